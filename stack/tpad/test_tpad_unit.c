/* SPDX-License-Identifier: BSD-3-Clause */
/* tpad's pure parts: forged segments, RST candidates, tree removal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tpad_int.h"

/* tpad_clean.c logs through this; the daemon's version writes to stderr */
void tpad_log(const struct tpad_ctx *ctx, int level, const char *fmt, ...)
{
	(void)ctx;
	(void)level;
	(void)fmt;
}

static uint16_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static const uint8_t smac[6] = { 2, 1, 2, 3, 4, 5 }, dmac[6] = { 6, 9, 8, 7, 6, 5 };

static void test_rst_is_well_formed(void **state)
{
	uint8_t f[TPAD_FRAME_LEN], ph[12];
	uint32_t lip = inet_addr("10.0.0.2"), rip = inet_addr("10.0.0.1");
	struct tpad_seg s;

	(void)state;
	assert_int_equal(tpad_build_seg(f, smac, dmac, lip, rip, htons(80), htons(40000), 0x04, 0xfffffff0u, 0),
			 TPAD_FRAME_LEN);
	assert_memory_equal(f, dmac, 6);
	assert_memory_equal(f + 6, smac, 6);
	assert_int_equal(sum16(f + 14, 20, 0), 0xffff);	/* IP header checksum verifies */
	memcpy(ph, f + 26, 8);				/* pseudo header: src, dst, 0, proto, len */
	ph[8] = 0;
	ph[9] = 6;
	ph[10] = 0;
	ph[11] = 20;
	assert_int_equal(sum16(f + 34, 20, sum16(ph, 12, 0)), 0xffff);
	assert_int_equal(tpad_parse_seg(f, sizeof(f), &s), 0);
	assert_int_equal(s.sip, lip);
	assert_int_equal(s.dip, rip);
	assert_int_equal(ntohs(s.sport), 80);
	assert_int_equal(ntohs(s.dport), 40000);
	assert_int_equal(s.seq, 0xfffffff0u);
	assert_int_equal(s.flags, 0x04);
	assert_int_equal(s.len, 0);
}

static void test_parse_rejects_what_is_not_a_whole_tcp_segment(void **state)
{
	uint8_t f[TPAD_FRAME_LEN];
	struct tpad_seg s;

	(void)state;
	tpad_build_seg(f, smac, dmac, 1, 2, 3, 4, 0x12, 5, 6);
	assert_int_equal(tpad_parse_seg(f, sizeof(f), &s), 0);
	assert_int_equal(s.len, 1);				/* SYN counts one */
	assert_int_equal(tpad_parse_seg(f, sizeof(f) - 1, &s), -1);	/* truncated */
	f[14 + 6] = 0x20;					/* more fragments */
	assert_int_equal(tpad_parse_seg(f, sizeof(f), &s), -1);
	f[14 + 6] = 0x40;
	f[14 + 9] = 17;						/* UDP */
	assert_int_equal(tpad_parse_seg(f, sizeof(f), &s), -1);
	f[14 + 9] = 6;
	f[34 + 12] = 4 << 4;					/* data offset below 5 words */
	assert_int_equal(tpad_parse_seg(f, sizeof(f), &s), -1);
	f[34 + 12] = 5 << 4;
	f[12] = 0x86;						/* not IPv4 */
	assert_int_equal(tpad_parse_seg(f, sizeof(f), &s), -1);
}

static void test_rst_candidates(void **state)
{
	struct tpad_conn c = { .snd_una = 1000, .snd_nxt = 1000, .snd_wnd = 4000 };
	uint32_t seq[5];

	(void)state;
	/* exact first, duplicates dropped, then a quarter window apart */
	assert_int_equal(tpad_rst_seqs(&c, seq), 4);
	assert_int_equal(seq[0], 1000);
	assert_int_equal(seq[1], 2000);
	assert_int_equal(seq[3], 4000);
	c.snd_una = 500;
	assert_int_equal(tpad_rst_seqs(&c, seq), 5);
	assert_int_equal(seq[1], 500);
	/* a closed window leaves only the recorded numbers */
	c.snd_wnd = 0;
	assert_int_equal(tpad_rst_seqs(&c, seq), 2);
	/* wraps like sequence numbers do */
	c.snd_nxt = 0xffffff00u;
	c.snd_una = c.snd_nxt;
	c.snd_wnd = 0x1000;
	assert_int_equal(tpad_rst_seqs(&c, seq), 4);
	assert_int_equal(seq[1], 0x300u);
}

static void test_rmtree_never_follows_symlinks(void **state)
{
	char base[] = "/tmp/tpad-unit-XXXXXX", p[256], keep[256];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(base));
	snprintf(keep, sizeof(keep), "%s/outside", base);
	assert_int_equal(mkdir(keep, 0755), 0);
	snprintf(p, sizeof(p), "%s/outside/precious", base);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/inst", base);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/inst/sub", base);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/inst/sub/file", base);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/inst/link", base);
	assert_int_equal(symlink(keep, p), 0);

	snprintf(p, sizeof(p), "%s/inst", base);
	assert_int_equal(tpad_rmtree(p), 0);
	assert_int_not_equal(access(p, F_OK), 0);
	snprintf(p, sizeof(p), "%s/outside/precious", base);
	assert_int_equal(access(p, F_OK), 0);		/* the link's target survived */
	assert_int_equal(tpad_rmtree(base), 0);
	assert_int_equal(tpad_rmtree(base), 0);		/* gone already: fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rst_is_well_formed),
		cmocka_unit_test(test_parse_rejects_what_is_not_a_whole_tcp_segment),
		cmocka_unit_test(test_rst_candidates),
		cmocka_unit_test(test_rmtree_never_follows_symlinks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
