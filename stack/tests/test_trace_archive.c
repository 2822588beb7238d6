/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Trace archive: a socket that recovers from an RTO gets its ring archived
 * as <sid>-<seq>-rto-<recovery>ms.trace, self-describing, holding the
 * retransmission; the archive keeps only the newest obs.archive_max files.
 * Set $TPA_TEST_ARCHIVE_OUT to a directory to keep a copy of the RTO
 * archive (tests/obs decodes it with `tpa st`).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "memfile.h"
#include "obs.h"
#include "trace.h"
#include "tracefile.h"

static char run_dir[64];
static char arch_dir[600];

static int setup(void **state)
{
	(void)state;
	th_reset();
	th_cfg("tcp.rto_min_ms=100; tcp.rto_init_ms=100");
	return 0;
}

/* Names in the archive dir, sorted; returns how many. */
static int list_archives(char names[][256], int max)
{
	struct dirent **e;
	int n = scandir(arch_dir, &e, NULL, alphasort), k = 0;

	for (int i = 0; i < n; i++) {
		if (e[i]->d_name[0] != '.' && k < max)
			snprintf(names[k++], 256, "%s", e[i]->d_name);
		free(e[i]);
	}
	if (n >= 0)
		free(e);
	return k;
}

static void clear_archives(void)
{
	char names[64][256], p[1000];
	int n = list_archives(names, 64);

	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%.500s/%.255s", arch_dir, names[i]);
		unlink(p);
	}
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *b = NULL;
	int fd = open(path, O_RDONLY);

	if (fd >= 0 && !fstat(fd, &sb) && (b = malloc((size_t)sb.st_size)) &&
	    read(fd, b, (size_t)sb.st_size) != sb.st_size) {
		free(b);
		b = NULL;
	}
	if (fd >= 0)
		close(fd);
	*len = b ? (size_t)sb.st_size : 0;
	return b;
}

/* The record type id the file's own parser gives @p name, -1 if none. */
static int rec_id(const char *parser, size_t plen, const char *name)
{
	char *text = strndup(parser, plen), *save = NULL;
	int id = -1;

	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char n[32];
		int i;
		if (sscanf(l, "rec %d %31s", &i, n) == 2 && !strcmp(n, name))
			id = i;
	}
	free(text);
	return id;
}

static void test_rto_recovery_is_archived(void **state)
{
	static uint8_t data[100];
	char names[8][256], path[1000], err[128], want[64];
	struct th_conn c;
	struct th_seg *s;
	uint32_t seq;
	const char *parser;
	const void *area;
	size_t plen, dsize, len;
	uint8_t *buf;
	double ms;
	int xmit_id, xack_id, n, found_retrans = 0, found_first = 0;

	(void)state;
	clear_archives();
	assert_int_equal(th_open_passive(&c, 90, 41000, NULL, 0), 0);
	assert_int_equal(tpa_write(c.sid, data, sizeof(data)), (ssize_t)sizeof(data));
	s = th_pop_tcp();
	assert_non_null(s);
	seq = s->seq;
	assert_int_equal(s->len, sizeof(data));
	/* the peer's ACK is lost: the RTO fires and the segment goes again */
	th_advance_us(150000);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->seq, seq);
	assert_int_equal(s->len, sizeof(data));
	/* nothing is archived while the socket is still in trouble */
	tracefile_flush();
	assert_int_equal(list_archives(names, 8), 0);
	th_ack(&c, seq + sizeof(data));
	tracefile_flush();

	n = list_archives(names, 8);
	assert_int_equal(n, 1);
	/* <sid>-<seq>-rto-<recovery>ms.trace; recovery runs from the RTO expiry
	 * (100 ms after the send) to the ACK (150 ms after): about 50 ms */
	snprintf(want, sizeof(want), "%d-", c.sid);
	assert_true(!strncmp(names[0], want, strlen(want)));
	assert_non_null(strstr(names[0], "-rto-"));
	assert_non_null(strstr(names[0], "ms.trace"));
	ms = atof(strstr(names[0], "-rto-") + 5);
	assert_true(ms >= 45.0 && ms < 100.0);

	snprintf(path, sizeof(path), "%s/%s", arch_dir, names[0]);
	buf = slurp(path, &len);
	assert_non_null(buf);
	if (getenv("TPA_TEST_ARCHIVE_OUT")) {
		char out[1200];
		FILE *f;
		snprintf(out, sizeof(out), "%s/%s", getenv("TPA_TEST_ARCHIVE_OUT"), names[0]);
		f = fopen(out, "w");
		assert_non_null(f);
		assert_int_equal(fwrite(buf, 1, len, f), len);
		fclose(f);
	}
	assert_int_equal(memfile_check(buf, len, &parser, &plen, &area, &dsize, err, sizeof(err)), 0);
	assert_non_null(memmem(parser, plen, "reasons=rto", 11));
	/* decode with the file's own parser: the send and its retransmission are in the ring */
	xmit_id = rec_id(parser, plen, "xmit_seq");
	xack_id = rec_id(parser, plen, "xmit_ack");
	assert_true(xmit_id > 0 && xack_id > 0);
	{
		/* xmit_seq(flags, len, seq) then xmit_ack(retransmit?, win, ack) */
		const struct trace_ring *r = (const void *)((const uint8_t *)area + 64);
		for (uint64_t i = 0; i + 1 < r->head && i < r->mask; i++) {
			uint64_t v = r->rec[i], nx = r->rec[i + 1];
			if ((v & 0xff) == (uint64_t)xmit_id && (uint32_t)(v >> 32) == seq &&
			    ((v >> 16) & 0xffff) == sizeof(data)) {
				if ((nx & 0xff) == (uint64_t)xack_id && ((nx >> 8) & 0xff) == 1)
					found_retrans++;
				else
					found_first++;
			}
		}
	}
	assert_int_equal(found_first, 1);
	assert_true(found_retrans);
	free(buf);
}

static void test_archive_rotates_keeping_newest(void **state)
{
	char names[16][256];
	struct th_conn c;
	uint64_t first, rotated0, rotated1;
	int n;

	(void)state;
	clear_archives();
	tpa_cfg.archive_max = 3;
	assert_int_equal(th_open_passive(&c, 91, 41001, NULL, 0), 0);
	first = tracefile_archived(&rotated0);
	for (int i = 0; i < 5; i++)
		tracefile_archive(th_sock(c.sid), TRACE_ABN_OOO | TRACE_ABN_FAST_RETX, tpa_us_to_tsc(1500));
	tracefile_flush();
	n = list_archives(names, 16);
	assert_int_equal(n, 3);
	assert_int_equal(tracefile_archived(&rotated1), first + 5);
	assert_true(rotated1 - rotated0 >= 2);
	/* the survivors are the three newest: sequence numbers first+3..first+5 */
	for (int i = 0; i < n; i++) {
		unsigned long long seq = strtoull(strchr(names[i], '-') + 1, NULL, 10);
		assert_true(seq >= first + 3 && seq <= first + 5);
		assert_non_null(strstr(names[i], "-fastretx+ooo-1.5ms.trace"));
	}
	tpa_cfg.archive_max = 64;
}

static int group_setup(void **state)
{
	(void)state;
	if (th_global_init())
		return -1;
	snprintf(run_dir, sizeof(run_dir), "/tmp/tpa-arch-XXXXXX");
	if (!mkdtemp(run_dir))
		return -1;
	snprintf(tpa_cfg.run_dir, sizeof(tpa_cfg.run_dir), "%s", run_dir);
	setenv("TPA_ID", "unit", 1);
	if (tpa_obs_init())
		return -1;
	snprintf(arch_dir, sizeof(arch_dir), "%s/archive", tpa_obs_dir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tpa_obs_fini();
	tpa_obs_rmtree(run_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_rto_recovery_is_archived, setup),
		cmocka_unit_test_setup(test_archive_rotates_keeping_newest, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
