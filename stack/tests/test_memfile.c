/* SPDX-License-Identifier: BSD-3-Clause */
/* Mem files: header layout, parser round trip, and rejection of bad files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memfile.h"
#include "obs.h"
#include "trace.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/tpa-memfile-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	tpa_obs_rmtree(dir);
	return 0;
}

/* Read a whole file into a malloc'd buffer. */
static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *b;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &sb))
		return NULL;
	b = malloc((size_t)sb.st_size);
	if (b && read(fd, b, (size_t)sb.st_size) != sb.st_size) {
		free(b);
		b = NULL;
	}
	close(fd);
	*len = (size_t)sb.st_size;
	return b;
}

static void test_header_and_parser_round_trip(void **state)
{
	const char *parser = "tpa-test 1\nfield a:u32@0 b:u64@8\n";
	struct memfile mf;
	char path[128], err[128];
	const char *p;
	const void *data;
	size_t plen, dsize, len;
	uint8_t *buf;

	(void)state;
	snprintf(path, sizeof(path), "%s/thing", dir);
	assert_int_equal(memfile_create(&mf, path, "thing", parser, 1000, 2000000000ull, 42), 0);
	/* header: 64-byte aligned, data aligned, parser right after the header */
	assert_int_equal(mf.hdr->hdr_size % 64, 0);
	assert_int_equal(mf.hdr->data_off % 64, 0);
	assert_int_equal(mf.hdr->parser_off, MEMFILE_HDR_SIZE);
	assert_int_equal(mf.hdr->parser_len, strlen(parser));
	assert_int_equal(mf.hdr->size, mf.hdr->data_off + 1000);
	assert_int_equal(mf.hdr->pid, getpid());
	assert_string_equal(mf.hdr->name, "thing");
	assert_int_equal(mf.hdr->tsc_hz, 2000000000ull);
	assert_memory_equal(mf.hdr->magic, MEMFILE_MAGIC, 8);
	assert_ptr_equal((char *)mf.data, (char *)mf.hdr + mf.hdr->data_off);
	memset(mf.data, 0xab, 1000);	/* the whole data area is writable */
	memfile_close(&mf);

	/* what a reader sees in the file */
	buf = slurp(path, &len);
	assert_non_null(buf);
	assert_int_equal(len, ((struct memfile_hdr *)buf)->size);
	assert_int_equal(memfile_check(buf, len, &p, &plen, &data, &dsize, err, sizeof(err)), 0);
	assert_int_equal(plen, strlen(parser));
	assert_memory_equal(p, parser, plen);
	assert_int_equal(dsize, 1000);
	assert_int_equal(((const uint8_t *)data)[0], 0xab);
	assert_int_equal(((const uint8_t *)data)[999], 0xab);

	/* truncated and foreign files are refused with a reason */
	assert_int_equal(memfile_check(buf, len - 1, &p, &plen, &data, &dsize, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "corrupt"));
	buf[0] = 'X';
	assert_int_equal(memfile_check(buf, len, &p, &plen, &data, &dsize, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "magic"));
	free(buf);
}

static void test_trace_parser_describes_every_record_type(void **state)
{
	char text[8192], *save = NULL, *line;
	int seen[TR_NR_TYPE] = { 0 }, layout = 0;

	(void)state;
	tracefile_parser(text, sizeof(text), 7, 256, "archive sid=1");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int id, pos = 0;
		char name[32];
		unsigned long slot_size;

		if (sscanf(line, "layout nr_slot=7 slot_size=%lu", &slot_size) == 1) {
			/* meta + ring header + 256 records, 64-byte aligned */
			assert_int_equal(slot_size % 64, 0);
			assert_true(slot_size >= 64 + sizeof(struct trace_ring) + 256 * 8);
			layout = 1;
		}
		if (sscanf(line, "rec %d %31s %n", &id, name, &pos) != 2)
			continue;
		assert_true(id > 0 && id < TR_NR_TYPE);
		seen[id]++;
		/* the fields of a record fit its 7 payload bytes */
		{
			int bytes = 0;
			char *f = line + pos, *bar = strstr(line, " | ");
			if (bar)
				*bar = 0;
			for (char *t = strtok(f, " "); t; t = strtok(NULL, " ")) {
				char *u = strstr(t, ":u");
				assert_non_null(u);
				bytes += atoi(u + 2) / 8;
			}
			assert_true(bytes <= 7);
		}
	}
	assert_true(layout);
	for (int t = 1; t < TR_NR_TYPE; t++)
		assert_int_equal(seen[t], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_header_and_parser_round_trip, setup, teardown),
		cmocka_unit_test(test_trace_parser_describes_every_record_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
