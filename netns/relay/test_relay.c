/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the relay: option parsing, PRNG, frame surgery, the pipeline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "relay.h"

static void
test_duration(void **state)
{
	uint64_t ns;

	assert_int_equal(relay_parse_duration("1ms", &ns), 0);
	assert_int_equal(ns, 1000000);
	assert_int_equal(relay_parse_duration("200us", &ns), 0);
	assert_int_equal(ns, 200000);
	assert_int_equal(relay_parse_duration("0.5s", &ns), 0);
	assert_int_equal(ns, 500000000);
	assert_int_equal(relay_parse_duration("0", &ns), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(relay_parse_duration("5", &ns), -1);
	assert_int_equal(relay_parse_duration("-1ms", &ns), -1);
	assert_int_equal(relay_parse_duration("1 ms", &ns), -1);
	assert_int_equal(relay_parse_duration("1h", &ns), -1);
	assert_int_equal(relay_parse_duration("", &ns), -1);
}

static void
test_rate_prob_size(void **state)
{
	uint64_t v;
	double p;

	assert_int_equal(relay_parse_rate("100mbit", &v), 0);
	assert_int_equal(v, 100000000);
	assert_int_equal(relay_parse_rate("10mbps", &v), 0);
	assert_int_equal(v, 80000000);
	assert_int_equal(relay_parse_rate("100", &v), -1);
	assert_int_equal(relay_parse_rate("fastmbit", &v), -1);
	assert_int_equal(relay_parse_prob("0.02", &p), 0);
	assert_true(p == 0.02);
	assert_int_equal(relay_parse_prob("2%", &p), 0);
	assert_true(p == 0.02);
	assert_int_equal(relay_parse_prob("1.5", &p), -1);
	assert_int_equal(relay_parse_prob("nan", &p), -1);
	assert_int_equal(relay_parse_prob("0.1x", &p), -1);
	assert_int_equal(relay_parse_size("16k", &v), 0);
	assert_int_equal(v, 16384);
	assert_int_equal(relay_parse_size("1.5", &v), -1);
}

static int
parse(struct relay_cfg *cfg, const char *line)
{
	char buf[512], *argv[32], *tok;
	int argc = 0;

	snprintf(buf, sizeof(buf), "tpa-relay %s", line);
	for (tok = strtok(buf, " "); tok && argc < 31; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	/* keep the strings alive across the call only: copy what we check */
	return relay_opts_parse(argc, argv, cfg);
}

static void
test_opts_dir(void **state)
{
	struct relay_cfg cfg;

	assert_int_equal(parse(&cfg, "--a x --b y --loss 0.1 --dir ab"), 0);
	assert_true(cfg.imp[RELAY_AB].loss == 0.1);
	assert_true(cfg.imp[RELAY_BA].loss == 0);
	assert_int_equal(parse(&cfg, "--a x --b y --dir ab --loss 0.1 --dir ba --dup 0.2"), 0);
	assert_true(cfg.imp[RELAY_AB].loss == 0.1 && cfg.imp[RELAY_AB].dup == 0);
	assert_true(cfg.imp[RELAY_BA].loss == 0 && cfg.imp[RELAY_BA].dup == 0.2);
	assert_int_equal(parse(&cfg, "--a x --b y --delay 1ms --seed 7"), 0);
	assert_int_equal(cfg.imp[RELAY_AB].delay_ns, 1000000);
	assert_int_equal(cfg.imp[RELAY_BA].delay_ns, 1000000);
	assert_int_equal(cfg.seed, 7);
	/* bad input: exit code 2 */
	assert_int_equal(parse(&cfg, "--a x --b y --loss 2"), 2);
	assert_int_equal(parse(&cfg, "--a x --b y --dir up"), 2);
	assert_int_equal(parse(&cfg, "--a x"), 2);
	assert_int_equal(parse(&cfg, "--a x --b x"), 2);
	assert_int_equal(parse(&cfg, "--a x --b y --bogus 1"), 2);
	assert_int_equal(parse(&cfg, "--a x --b y --delay"), 2);
	assert_int_equal(parse(&cfg, "--a x --b y stray"), 2);
}

static void
test_prng(void **state)
{
	struct relay_prng a, b;
	int i, hits = 0;

	relay_prng_seed(&a, 42);
	relay_prng_seed(&b, 42);
	for (i = 0; i < 1000; i++)
		assert_true(relay_prng_next(&a) == relay_prng_next(&b));
	relay_prng_seed(&b, 43);
	assert_true(relay_prng_next(&a) != relay_prng_next(&b));
	for (i = 0; i < 100000; i++)
		hits += relay_prng_chance(&a, 0.1);
	/* 10% +- ~10 sigma */
	assert_in_range(hits, 9000, 11000);
}

/* 14 B Ethernet + 20 B IPv4 + 8 B UDP + payload */
static size_t
make_udp(uint8_t *f, size_t payload)
{
	size_t iplen = 20 + 8 + payload;

	memset(f, 0, 64 + payload);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (uint8_t)(iplen >> 8);
	f[17] = (uint8_t)iplen;
	f[23] = 17;
	f[26] = 10; f[29] = 1;	/* 10.0.0.1 */
	f[30] = 10; f[33] = 2;	/* 10.0.0.2 */
	f[34] = 0x30; f[35] = 0x39;
	f[36] = 0x30; f[37] = 0x3a;
	f[38] = (uint8_t)((8 + payload) >> 8);
	f[39] = (uint8_t)(8 + payload);
	memset(f + 42, 0xab, payload);
	return 14 + iplen;
}

static void
test_corrupt_and_csum(void **state)
{
	uint8_t f[256], g[256];
	struct relay_prng r;
	size_t len = make_udp(f, 32), i, diff = 0;
	long off;

	/* checksum: recomputing over a correct frame verifies to zero */
	assert_int_equal(relay_frame_fix_csum(f, len), 0);
	assert_true(f[40] != 0 || f[41] != 0);
	memcpy(g, f, len);
	relay_prng_seed(&r, 1);
	off = relay_frame_corrupt(g, len, &r);
	assert_true(off >= 34 && off < (long)len);
	for (i = 0; i < len; i++)
		diff += f[i] != g[i];
	assert_int_equal(diff, 1);
	/* ARP is never corrupted */
	memset(g, 0, sizeof(g));
	g[12] = 0x08; g[13] = 0x06;
	assert_int_equal(relay_frame_corrupt(g, 60, &r), -1);
	assert_false(relay_frame_is_ip(g, 60));
	/* Ethernet padding past the IP length is never the target */
	len = make_udp(f, 0);
	for (i = 0; i < 200; i++) {
		off = relay_frame_corrupt(f, 60, &r);
		assert_true(off >= 34 && off < 42);
	}
}

static void
test_path(void **state)
{
	struct relay_impair imp = { .loss = 0.25, .dup = 0.1, .limit = 100000 };
	struct relay_port out = { .fd = -1 };
	struct relay_path p;
	uint8_t f[128];
	size_t len = make_udp(f, 16);
	int sv[2], i;
	uint64_t next;

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	out.fd = sv[0];
	assert_int_equal(relay_path_init(&p, &imp, 5, 0), 0);
	for (i = 0; i < 1000; i++) {
		relay_path_input(&p, f, len, 100);
		next = relay_path_output(&p, &out, 100);
		assert_true(next == UINT64_MAX);
		while (recv(sv[1], f + 100, 1, MSG_DONTWAIT) > 0)
			;
	}
	assert_int_equal(p.st.rx, 1000);
	assert_int_equal(p.st.tx, p.st.rx - p.st.lost + p.st.duplicated);
	assert_in_range(p.st.lost, 150, 350);
	assert_in_range(p.st.duplicated, 30, 130);
	relay_path_fini(&p);

	/* delay + reorder: a held frame is overtaken and counted */
	imp = (struct relay_impair){ .reorder = 1, .reorder_gap_ns = 1000, .limit = 10 };
	assert_int_equal(relay_path_init(&p, &imp, 5, 0), 0);
	relay_path_input(&p, f, len, 0);
	p.imp.reorder = 0;
	relay_path_input(&p, f, len, 0);
	assert_int_equal(relay_path_output(&p, &out, 0), 1000);
	assert_int_equal(p.st.tx, 1);
	assert_true(relay_path_output(&p, &out, 1000) == UINT64_MAX);
	assert_int_equal(p.st.tx, 2);
	assert_int_equal(p.st.reordered, 1);
	relay_path_fini(&p);

	/* rate: 8 kbit/s = 1 byte per ms, bucket of 64 bytes */
	imp = (struct relay_impair){ .rate_bps = 8000, .burst_bytes = 64, .limit = 10 };
	assert_int_equal(relay_path_init(&p, &imp, 5, 0), 0);
	p.t_refill = 0;
	relay_path_input(&p, f, 60, 0);
	relay_path_input(&p, f, 60, 0);
	next = relay_path_output(&p, &out, 0);
	assert_int_equal(p.st.tx, 1);
	/* 4 tokens left, 56 more bytes at 1 byte/ms */
	assert_true(next > 55000000 && next < 57000000);
	relay_path_output(&p, &out, next);
	assert_int_equal(p.st.tx, 2);
	relay_path_fini(&p);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_rate_prob_size),
		cmocka_unit_test(test_opts_dir),
		cmocka_unit_test(test_prng),
		cmocka_unit_test(test_corrupt_and_csum),
		cmocka_unit_test(test_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
