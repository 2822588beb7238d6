/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file Memory-mapped observability files under obs.run_dir/<id>/.
 *
 * Every file starts with a 128-byte header (a multiple of 64), then the
 * parser text, then the data area (64-byte aligned):
 *
 *   off  size  field
 *     0     8  magic "TPAMEMF1"
 *     8     4  version (1)
 *    12     4  header size (128)
 *    16     8  total file size
 *    24     8  data offset
 *    32     8  parser offset
 *    40     4  parser length (bytes, no NUL needed)
 *    44     4  pid of the writer
 *    48    32  name ("trace", "socks", "stats", ...)
 *    80     8  CLOCK_REALTIME ns when the file was made
 *    88     8  TSC frequency of the writer (Hz)
 *    96     8  TSC at creation (pairs with the realtime above)
 *   104    24  reserved (zero)
 *
 * The parser is text describing the data area, so a reader decodes a file
 * from what the file says about itself, not from its own headers; see
 * docs/observability.md for the parser grammar of each file.
 */
#ifndef TPA_MEMFILE_H
#define TPA_MEMFILE_H

#include <stddef.h>
#include <stdint.h>

#define MEMFILE_MAGIC "TPAMEMF1"
#define MEMFILE_VERSION 1
#define MEMFILE_HDR_SIZE 128

struct memfile_hdr {
	char magic[8];
	uint32_t version;
	uint32_t hdr_size;
	uint64_t size;
	uint64_t data_off;
	uint64_t parser_off;
	uint32_t parser_len;
	uint32_t pid;
	char name[32];
	uint64_t created_realtime_ns;
	uint64_t tsc_hz;
	uint64_t created_tsc;
	uint8_t reserved[24];
};

_Static_assert(sizeof(struct memfile_hdr) == MEMFILE_HDR_SIZE, "memfile header is 128 bytes");

/** One mapped file. */
struct memfile {
	struct memfile_hdr *hdr;	/* == the mapping */
	void *data;			/* data area */
	size_t data_size;
	char path[512];
};

/** Bytes a file with @p parser_len and @p data_size takes (header, parser, aligned data). */
size_t memfile_layout(size_t parser_len, size_t data_size, size_t *data_off);

/**
 * Fill @p buf (at least memfile_layout() bytes, zeroed) with a header and the
 * parser; the data area is left as is. Used for both mapped and archived files.
 */
void memfile_format(void *buf, const char *name, const char *parser, size_t data_size,
		    uint64_t tsc_hz, uint64_t now_tsc);

/**
 * Create (replace) @p path, size it for @p parser and @p data_size bytes of
 * data, map it shared and write the header. 0, or -1 with errno set.
 */
int memfile_create(struct memfile *mf, const char *path, const char *name, const char *parser,
		   size_t data_size, uint64_t tsc_hz, uint64_t now_tsc);

/** Unmap (the file stays). */
void memfile_close(struct memfile *mf);

/**
 * Check a buffer holding a whole file: magic, version, offsets inside @p len.
 * On success point @p parser / @p data into @p buf and return 0; else -1 with
 * a reason in @p err.
 */
int memfile_check(const void *buf, size_t len, const char **parser, size_t *parser_len,
		  const void **data, size_t *data_size, char *err, size_t errlen);

#endif
