/* SPDX-License-Identifier: BSD-3-Clause */
/* Memory-mapped self-describing files (see memfile.h for the layout). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "memfile.h"

#define ALIGN64(x) (((x) + 63) & ~(size_t)63)

size_t memfile_layout(size_t parser_len, size_t data_size, size_t *data_off)
{
	size_t off = ALIGN64(MEMFILE_HDR_SIZE + parser_len + 1);

	if (data_off)
		*data_off = off;
	return off + data_size;
}

void memfile_format(void *buf, const char *name, const char *parser, size_t data_size,
		    uint64_t tsc_hz, uint64_t now_tsc)
{
	struct memfile_hdr *h = buf;
	size_t plen = strlen(parser), data_off;
	struct timespec ts;

	h->size = memfile_layout(plen, data_size, &data_off);
	h->version = MEMFILE_VERSION;
	h->hdr_size = MEMFILE_HDR_SIZE;
	h->data_off = data_off;
	h->parser_off = MEMFILE_HDR_SIZE;
	h->parser_len = (uint32_t)plen;
	h->pid = (uint32_t)getpid();
	snprintf(h->name, sizeof(h->name), "%s", name);
	clock_gettime(CLOCK_REALTIME, &ts);
	h->created_realtime_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	h->tsc_hz = tsc_hz;
	h->created_tsc = now_tsc;
	memcpy((char *)buf + MEMFILE_HDR_SIZE, parser, plen);
	/* the magic last: a reader never sees a valid magic on a half-made header */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(h->magic, MEMFILE_MAGIC, 8);
}

int memfile_create(struct memfile *mf, const char *path, const char *name, const char *parser,
		   size_t data_size, uint64_t tsc_hz, uint64_t now_tsc)
{
	size_t data_off, size = memfile_layout(strlen(parser), data_size, &data_off);
	void *p;
	int fd, e;

	memset(mf, 0, sizeof(*mf));
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	/* sparse: pages of idle sockets' rings cost nothing until written */
	if (ftruncate(fd, (off_t)size)) {
		e = errno;
		close(fd);
		unlink(path);
		errno = e;
		return -1;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	e = errno;
	close(fd);
	if (p == MAP_FAILED) {
		unlink(path);
		errno = e;
		return -1;
	}
	memfile_format(p, name, parser, data_size, tsc_hz, now_tsc);
	mf->hdr = p;
	mf->data = (char *)p + data_off;
	mf->data_size = data_size;
	snprintf(mf->path, sizeof(mf->path), "%s", path);
	return 0;
}

void memfile_close(struct memfile *mf)
{
	if (mf->hdr)
		munmap(mf->hdr, mf->hdr->size);
	mf->hdr = NULL;
	mf->data = NULL;
}

int memfile_check(const void *buf, size_t len, const char **parser, size_t *parser_len,
		  const void **data, size_t *data_size, char *err, size_t errlen)
{
	const struct memfile_hdr *h = buf;

	if (len < MEMFILE_HDR_SIZE || memcmp(h->magic, MEMFILE_MAGIC, 8)) {
		snprintf(err, errlen, "not a tpa mem file (bad magic)");
		return -1;
	}
	if (h->version != MEMFILE_VERSION || h->hdr_size < 64 || h->hdr_size % 64) {
		snprintf(err, errlen, "unsupported mem file version %u (header %u bytes)", h->version,
			 h->hdr_size);
		return -1;
	}
	if (h->size > len || h->parser_off < h->hdr_size || h->parser_off + h->parser_len > h->size ||
	    h->data_off > h->size || h->data_off < h->parser_off + h->parser_len) {
		snprintf(err, errlen, "corrupt mem file: size %llu, parser %llu+%u, data at %llu, %zu bytes read",
			 (unsigned long long)h->size, (unsigned long long)h->parser_off, h->parser_len,
			 (unsigned long long)h->data_off, len);
		return -1;
	}
	*parser = (const char *)buf + h->parser_off;
	*parser_len = h->parser_len;
	*data = (const char *)buf + h->data_off;
	*data_size = h->size - h->data_off;
	return 0;
}
