/* SPDX-License-Identifier: BSD-3-Clause */
/* TCP options: MSS, window scale (RFC 7323 2), SACK-permitted (RFC 2018), timestamps and PAWS (RFC 7323 3-5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "harness.h"

static int setup(void **state)
{
	(void)state;
	th_reset();
	return 0;
}

static uint8_t mss_opt(uint8_t *p, uint16_t mss)
{
	p[0] = 2;
	p[1] = 4;
	p[2] = (uint8_t)(mss >> 8);
	p[3] = (uint8_t)mss;
	return 4;
}

static uint8_t ws_opt(uint8_t *p, uint8_t ws)
{
	p[0] = 1;
	p[1] = 3;
	p[2] = 3;
	p[3] = ws;
	return 4;
}

/* Sum the payload of every captured segment; checks each is at most @p max_len. */
static uint32_t drain_bytes(uint32_t max_len, int *nr)
{
	struct th_seg *s;
	uint32_t n = 0;

	*nr = 0;
	while ((s = th_pop_tcp())) {
		assert_true(s->len <= max_len);
		n += s->len;
		(*nr)++;
	}
	return n;
}

static void test_mss_from_peer_limits_segments(void **state)
{
	static uint8_t data[5000];
	uint8_t o[4];
	struct th_conn c;
	struct th_seg *s;
	int nr;

	(void)state;
	assert_int_equal(th_open_passive(&c, 8000, 43000, o, mss_opt(o, 1000)), 0);
	assert_int_equal(th_sock(c.sid)->mss, 1000);
	assert_int_equal(tpa_write(c.sid, data, 3000), 3000);
	for (int i = 0; i < 3; i++) {
		s = th_pop_tcp();
		assert_non_null(s);
		assert_int_equal(s->len, 1000);
		assert_int_equal(s->seq, c.iss + 1 + 1000 * i);
	}
	assert_null(th_pop_tcp());
	(void)nr;
}

static void test_no_mss_option_means_536(void **state)
{
	static uint8_t data[2000];
	struct th_conn c;
	int nr;

	(void)state;
	assert_int_equal(th_open_passive(&c, 8001, 43001, NULL, 0), 0);
	assert_int_equal(th_sock(c.sid)->mss, 536);	/* RFC 9293 3.7.1 default */
	assert_int_equal(tpa_write(c.sid, data, sizeof(data)), 2000);
	assert_int_equal(drain_bytes(536, &nr), 2000);
	assert_int_equal(nr, 4);
}

static void test_our_mss_follows_mtu(void **state)
{
	struct th_seg *s;
	uint8_t o[4];

	(void)state;
	assert_true(tpa_listen_on(NULL, 8002, NULL) >= 0);
	th_inject(43002, 8002, TCP_SYN, 1, 0, 65535, NULL, 0, o, mss_opt(o, 9000));
	s = th_pop_tcp();
	assert_non_null(s);
	assert_true(s->o.has_mss);
	assert_int_equal(s->o.mss, 1460);
	/* the peer's larger MSS does not raise ours */
	assert_int_equal(th_find(8002, 43002)->mss, 1460);

	th_reset();
	th_cfg("net.mtu=9000");
	assert_true(tpa_listen_on(NULL, 8002, NULL) >= 0);
	th_inject(43002, 8002, TCP_SYN, 1, 0, 65535, NULL, 0, o, mss_opt(o, 9000));
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->o.mss, 8960);
	assert_int_equal(th_find(8002, 43002)->mss, 8960);
}

static void test_active_syn_offers_everything(void **state)
{
	struct th_seg *s;

	(void)state;
	assert_true(tpa_connect_to(TH_PEER_IP, 8003, NULL) >= 0);
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_SYN);
	assert_true(s->o.has_mss);
	assert_int_equal(s->o.mss, 1460);
	assert_true(s->o.sack_ok);
	assert_true(s->o.has_ts);
	assert_int_equal(s->o.tsecr, 0);
	assert_true(s->o.has_wscale);
	assert_int_equal(s->o.wscale, 5);	/* 1 MiB receive buffer needs 2^5 */

	th_reset();
	th_cfg("tcp.sack=0; tcp.timestamps=0; tcp.wscale=0");
	assert_true(tpa_connect_to(TH_PEER_IP, 8003, NULL) >= 0);
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	assert_true(s->o.has_mss);
	assert_false(s->o.sack_ok);
	assert_false(s->o.has_ts);
	assert_false(s->o.has_wscale);
}

/* Peer scale 7 applies to its window fields after the SYN; ours shifts our field. */
static void test_window_scale_passive_both_directions(void **state)
{
	static uint8_t data[20000];
	uint8_t o[8];
	uint8_t n = 0;
	struct th_conn c;
	struct th_seg *s;
	struct tpa_sock_info info;
	int nr;

	(void)state;
	n += mss_opt(o, 1024);
	n += ws_opt(o + n, 7);
	assert_true(tpa_listen_on(NULL, 8004, NULL) >= 0);
	th_inject(43004, 8004, TCP_SYN, 1000, 0, 65535, NULL, 0, o, n);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_true(s->o.has_wscale);
	assert_int_equal(s->o.wscale, 5);
	assert_int_equal(s->win, 65535);	/* never scaled on a SYN */
	memset(&c, 0, sizeof(c));
	c.lport = 8004;
	c.pport = 43004;
	c.iss = s->seq;
	c.pseq = 1001;
	c.pack = s->seq + 1;
	c.win = 16;	/* 16 << 7 = 2048 bytes: two full segments */
	th_ack(&c, c.pack);
	assert_int_equal(tpa_accept_burst(th_w, &c.sid, 1), 1);
	assert_int_equal(tpa_sock_info_get(c.sid, &info), 0);
	assert_int_equal(info.snd_wnd, 2048);
	assert_int_equal(tpa_write(c.sid, data, sizeof(data)), (ssize_t)sizeof(data));
	assert_int_equal(drain_bytes(1024, &nr), 2048);
	assert_int_equal(nr, 2);
	/* our window field is our window (1 MiB buffer less 1 unread byte) >> 5 */
	assert_int_equal(info.rcv_wnd, 1u << 20);
	th_send(&c, TCP_PSH, "x", 1);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->win, ((1u << 20) - 1) >> 5);
}

static void test_window_scale_not_offered_by_peer(void **state)
{
	static uint8_t data[70000];
	struct th_conn c;
	struct th_seg *s;
	int nr;

	(void)state;
	assert_true(tpa_listen_on(NULL, 8005, NULL) >= 0);
	th_inject(43005, 8005, TCP_SYN, 1000, 0, 65535, NULL, 0, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_false(s->o.has_wscale);
	th_inject(43005, 8005, TCP_ACK, 1001, s->seq + 1, 1072, NULL, 0, NULL, 0);
	assert_int_equal(tpa_accept_burst(th_w, &c.sid, 1), 1);
	assert_int_equal(th_sock(c.sid)->snd_wnd, 1072);	/* unscaled */
	assert_int_equal(th_sock(c.sid)->rcv_wscale, 0);
	c.lport = 8005;
	c.pport = 43005;
	c.pseq = 1001;
	c.pack = s->seq + 1;
	c.win = 1072;
	assert_true(tpa_write(c.sid, data, sizeof(data)) > 0);
	assert_int_equal(drain_bytes(536, &nr), 1072);
	th_send(&c, TCP_PSH, "x", 1);
	s = th_pop_tcp();
	assert_non_null(s);
	/* 1 MiB buffer, but no scaling: capped at 65535, and the right edge
	 * does not move for 1 byte (receiver SWS avoidance) */
	assert_int_equal(s->win, 65534);
}

static void test_window_scale_active(void **state)
{
	uint8_t o[4];
	struct th_conn c;
	struct th_seg *s;

	(void)state;
	assert_int_equal(th_open_active(&c, 8006, o, ws_opt(o, 2)), 0);
	assert_int_equal(th_sock(c.sid)->snd_wnd, 65535);	/* SYN-ACK window is not scaled */
	c.win = 1000;
	th_ack(&c, c.pack);
	assert_int_equal(th_sock(c.sid)->snd_wnd, 4000);
	th_send(&c, TCP_PSH, "x", 1);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->win, (th_sock(c.sid)->rcv_adv - th_sock(c.sid)->rcv_nxt) >> 5);

	/* SYN-ACK without window scale: neither side scales */
	th_reset();
	assert_int_equal(th_open_active(&c, 8006, NULL, 0), 0);
	c.win = 1000;
	th_ack(&c, c.pack);
	assert_int_equal(th_sock(c.sid)->snd_wnd, 1000);
	th_send(&c, TCP_PSH, "x", 1);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->win, 65534);
}

static void test_sack_permitted_negotiation(void **state)
{
	const uint8_t sackok[] = { 4, 2 };
	struct th_seg *s;
	struct th_conn c;

	(void)state;
	assert_true(tpa_listen_on(NULL, 8007, NULL) >= 0);
	th_inject(43007, 8007, TCP_SYN, 1, 0, 65535, NULL, 0, sackok, 2);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_true(s->o.sack_ok);
	assert_true(th_find(8007, 43007)->flags & SK_SACK_OK);

	th_reset();
	th_cfg("tcp.sack=0");
	assert_true(tpa_listen_on(NULL, 8007, NULL) >= 0);
	th_inject(43007, 8007, TCP_SYN, 1, 0, 65535, NULL, 0, sackok, 2);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_false(s->o.sack_ok);
	assert_false(th_find(8007, 43007)->flags & SK_SACK_OK);

	/* active: the SYN-ACK decides */
	th_reset();
	assert_int_equal(th_open_active(&c, 8008, NULL, 0), 0);
	assert_false(th_sock(c.sid)->flags & SK_SACK_OK);
	th_reset();
	assert_int_equal(th_open_active(&c, 8008, sackok, 2), 0);
	assert_true(th_sock(c.sid)->flags & SK_SACK_OK);
}

static void test_timestamps_echo_and_mss_reduction(void **state)
{
	uint8_t o[16];
	uint8_t n = 0;
	struct th_conn c;
	struct th_seg *s;
	uint32_t our_tsval;

	(void)state;
	n += mss_opt(o, 1460);
	n += th_opt_ts(o + n, 777, 0);
	assert_true(tpa_listen_on(NULL, 8009, NULL) >= 0);
	th_inject(43009, 8009, TCP_SYN, 1000, 0, 65535, NULL, 0, o, n);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_true(s->o.has_ts);
	assert_int_equal(s->o.tsecr, 777);
	our_tsval = s->o.tsval;
	assert_true(our_tsval != 0);
	memset(&c, 0, sizeof(c));
	c.lport = 8009;
	c.pport = 43009;
	c.pseq = 1001;
	c.pack = s->seq + 1;
	c.iss = s->seq;
	c.win = 65535;
	th_send_opts(&c, 0, NULL, 0, o, th_opt_ts(o, 800, our_tsval));
	assert_int_equal(tpa_accept_burst(th_w, &c.sid, 1), 1);
	/* 12 bytes of every segment go to the timestamp option */
	assert_int_equal(th_sock(c.sid)->mss, 1460 - 12);
	th_send_opts(&c, TCP_PSH, "abc", 3, o, th_opt_ts(o, 900, our_tsval));
	s = th_pop_tcp();
	assert_non_null(s);
	assert_true(s->o.has_ts);
	assert_int_equal(s->o.tsecr, 900);
	assert_true(s->o.tsval >= our_tsval);
	/* our clock moves in milliseconds */
	th_advance_us(30 * 1000);
	th_send_opts(&c, TCP_PSH, "d", 1, o, th_opt_ts(o, 901, our_tsval));
	s = th_pop_tcp();
	assert_non_null(s);
	assert_true(s->o.tsval >= our_tsval + 30);
	assert_true(s->o.tsval <= our_tsval + 40);
}

static void test_timestamps_not_offered_by_peer(void **state)
{
	struct th_conn c;
	struct th_seg *s;

	(void)state;
	assert_int_equal(th_open_passive(&c, 8010, 43010, NULL, 0), 0);
	th_send(&c, TCP_PSH, "abc", 3);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_false(s->o.has_ts);
	/* active open: SYN offered TS, the SYN-ACK did not: none afterwards */
	th_reset();
	assert_int_equal(th_open_active(&c, 8011, NULL, 0), 0);
	assert_int_equal(th_sock(c.sid)->mss, 536);
	assert_int_equal(tpa_write(c.sid, "z", 1), 1);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_false(s->o.has_ts);
}

/* RFC 7323 5.3: a segment whose TSval is older than TS.Recent is dropped and acknowledged. */
static void test_paws_rejects_old_timestamp(void **state)
{
	uint8_t o[16];
	struct th_conn c;
	struct th_seg *s;
	char buf[16];

	(void)state;
	assert_int_equal(th_open_passive(&c, 8012, 43012, o, th_opt_ts(o, 5000, 0)), 0);
	assert_int_equal(th_sock(c.sid)->ts_recent, 5000);
	th_send_opts(&c, TCP_PSH, "new", 3, o, th_opt_ts(o, 6000, 1));
	assert_non_null(th_pop_tcp());
	assert_int_equal(th_sock(c.sid)->ts_recent, 6000);
	/* an old duplicate from an earlier incarnation: TSval went backwards */
	th_send_opts(&c, TCP_PSH, "old", 3, o, th_opt_ts(o, 5500, 1));
	assert_int_equal(th_drops(DROP_TCP_PAWS), 1);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_ACK);
	assert_int_equal(s->ack, c.pseq - 3);	/* not accepted */
	assert_int_equal(s->o.tsecr, 6000);
	assert_int_equal(tpa_read(c.sid, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "new", 3);
	assert_int_equal(tpa_read(c.sid, buf, sizeof(buf)), -1);
	/* wrap-around: 0x80000000 later is "older" */
	c.pseq -= 3;
	th_send_opts(&c, TCP_PSH, "wrp", 3, o, th_opt_ts(o, 6000 + 0x80000001u, 1));
	assert_int_equal(th_drops(DROP_TCP_PAWS), 2);
	/* an equal TSval is fine */
	c.pseq -= 3;
	th_send_opts(&c, TCP_PSH, "eql", 3, o, th_opt_ts(o, 6000, 1));
	assert_int_equal(th_drops(DROP_TCP_PAWS), 2);
	assert_int_equal(tpa_read(c.sid, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "eql", 3);
}

/* A RST is never subject to PAWS (RFC 7323 5.3 R1 note). */
static void test_paws_does_not_apply_to_rst(void **state)
{
	uint8_t o[16];
	struct th_conn c;
	char b[4];

	(void)state;
	assert_int_equal(th_open_passive(&c, 8013, 43013, o, th_opt_ts(o, 5000, 0)), 0);
	th_inject(c.pport, c.lport, TCP_RST, c.pseq, 0, 0, NULL, 0, o, th_opt_ts(o, 10, 0));
	assert_int_equal(tpa_read(c.sid, b, sizeof(b)), -1);
	assert_int_equal(errno, ECONNRESET);
}

/* ts_recent only follows segments that cover last_ack_sent (RFC 7323 4.3). */
static void test_ts_recent_update_rule(void **state)
{
	uint8_t o[16];
	struct th_conn c;
	uint32_t seq;

	(void)state;
	assert_int_equal(th_open_passive(&c, 8014, 43014, o, th_opt_ts(o, 100, 0)), 0);
	seq = c.pseq;
	/* out-of-order segment with a newer TSval: kept, but TS.Recent stays */
	c.pseq = seq + 10;
	th_send_opts(&c, TCP_PSH, "later", 5, o, th_opt_ts(o, 300, 1));
	assert_int_equal(th_sock(c.sid)->ts_recent, 100);
	c.pseq = seq;
	th_send_opts(&c, TCP_PSH, "0123456789", 10, o, th_opt_ts(o, 200, 1));
	assert_int_equal(th_sock(c.sid)->ts_recent, 200);
}

/* Unknown options are skipped; options still parse after them. */
static void test_unknown_option_skipped(void **state)
{
	const uint8_t o[] = { 30, 6, 1, 2, 3, 4, 2, 4, 0x02, 0x00 };	/* kind 30 len 6, then MSS 512 */
	struct th_seg *s;

	(void)state;
	assert_true(tpa_listen_on(NULL, 8015, NULL) >= 0);
	th_inject(43015, 8015, TCP_SYN, 1, 0, 65535, NULL, 0, o, sizeof(o));
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_SYN | TCP_ACK);
	assert_int_equal(th_find(8015, 43015)->mss, 512);
}

/* A peer window scale above 14 is treated as 14 (RFC 7323 2.3). */
static void test_window_scale_clamped_to_14(void **state)
{
	uint8_t o[4];
	struct th_conn c;

	(void)state;
	assert_int_equal(th_open_passive(&c, 8016, 43016, o, ws_opt(o, 20)), 0);
	assert_int_equal(th_sock(c.sid)->snd_wscale, 14);
}

/* Move the stack clock forward to the TSC value whose microsecond count is @p target_us. */
static void clock_jump_to_us(unsigned __int128 target_us)
{
	unsigned __int128 now = tpa_now();
	unsigned __int128 t = target_us * tpa_tsc_hz / 1000000;

	if (t > now)
		tpa_clock_offset += (uint64_t)(t - now);
	th_run();
}

/* Our TSval after the handshake and 30 ms later: the clock must move by ~30 (mod 2^32). */
static void check_ts_clock_step(uint16_t port)
{
	uint8_t o[16];
	struct th_conn c;
	struct th_seg *s;
	uint32_t t1, t2;

	th_reset();
	assert_int_equal(th_open_passive(&c, port, 43020, o, th_opt_ts(o, 1, 0)), 0);
	th_send_opts(&c, TCP_PSH, "a", 1, o, th_opt_ts(o, 2, 0));
	s = th_pop_tcp();
	assert_non_null(s);
	t1 = s->o.tsval;
	th_advance_us(30 * 1000);
	th_send_opts(&c, TCP_PSH, "b", 1, o, th_opt_ts(o, 3, 0));
	s = th_pop_tcp();
	assert_non_null(s);
	t2 = s->o.tsval;
	/* RFC 7323 5.4: the timestamp clock is monotonic; a jump back breaks the peer's PAWS */
	assert_true((int32_t)(t2 - t1) >= 29);
	assert_true((int32_t)(t2 - t1) <= 45);
}

/* Our TSval must stay monotonic where 32-bit microseconds wrap (every 71.6 min of TSC)
 * and where TSC * 10^6 overflows 64 bits. */
static void test_timestamp_clock_monotonic_across_wraps(void **state)
{
	unsigned __int128 us = (unsigned __int128)tpa_now() * 1000000 / tpa_tsc_hz;
	unsigned __int128 wrap = ((us >> 32) + 1) << 32;
	unsigned __int128 ovf_tsc = ((unsigned __int128)1 << 64) / 1000000;

	(void)state;
	check_ts_clock_step(8020);
	/* 10 ms before the microsecond counter wraps */
	clock_jump_to_us(wrap - 10000);
	check_ts_clock_step(8021);
	/* 10 ms before TSC * 1e6 no longer fits 64 bits */
	if ((unsigned __int128)tpa_now() < ovf_tsc) {
		clock_jump_to_us(ovf_tsc * 1000000 / tpa_tsc_hz - 10000);
		check_ts_clock_step(8022);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_mss_from_peer_limits_segments, setup),
		cmocka_unit_test_setup(test_no_mss_option_means_536, setup),
		cmocka_unit_test_setup(test_our_mss_follows_mtu, setup),
		cmocka_unit_test_setup(test_active_syn_offers_everything, setup),
		cmocka_unit_test_setup(test_window_scale_passive_both_directions, setup),
		cmocka_unit_test_setup(test_window_scale_not_offered_by_peer, setup),
		cmocka_unit_test_setup(test_window_scale_active, setup),
		cmocka_unit_test_setup(test_sack_permitted_negotiation, setup),
		cmocka_unit_test_setup(test_timestamps_echo_and_mss_reduction, setup),
		cmocka_unit_test_setup(test_timestamps_not_offered_by_peer, setup),
		cmocka_unit_test_setup(test_paws_rejects_old_timestamp, setup),
		cmocka_unit_test_setup(test_paws_does_not_apply_to_rst, setup),
		cmocka_unit_test_setup(test_ts_recent_update_rule, setup),
		cmocka_unit_test_setup(test_unknown_option_skipped, setup),
		cmocka_unit_test_setup(test_window_scale_clamped_to_14, setup),
		/* moves the clock far forward: keep last */
		cmocka_unit_test_setup(test_timestamp_clock_monotonic_across_wraps, setup),
	};

	if (th_global_init()) {
		fprintf(stderr, "harness init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
