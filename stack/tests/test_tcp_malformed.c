/* SPDX-License-Identifier: BSD-3-Clause */
/* Malformed TCP segments are dropped and counted by reason; segments for no socket get RSTs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "harness.h"

static uint8_t frame[2048];

static int setup(void **state)
{
	(void)state;
	th_reset();
	return 0;
}

static struct rte_ipv4_hdr *ip_of(void)
{
	return (struct rte_ipv4_hdr *)(frame + 14);
}

static struct rte_tcp_hdr *tcp_of(void)
{
	return (struct rte_tcp_hdr *)(frame + 34);
}

static void fix_tcp_csum(void)
{
	tcp_of()->cksum = 0;
	tcp_of()->cksum = rte_ipv4_udptcp_cksum(ip_of(), tcp_of());
}

/* Every variant goes to an established connection; it must survive each one untouched. */
static void test_bad_segments_dropped_by_reason(void **state)
{
	struct th_conn c;
	uint32_t n;
	char b[8];
	const uint8_t bad_opt[] = { 2, 10, 0, 0 };	/* MSS claiming 10 bytes in a 4-byte option area */
	const uint8_t bad_opt2[] = { 8, 10, 0, 0, 0, 0, 0, 0 };	/* TS running past the header */
	const uint8_t bad_opt3[] = { 3 };	/* kind without a length byte */

	(void)state;
	assert_int_equal(th_open_passive(&c, 9900, 53000, NULL, 0), 0);

	/* data offset below 5 words */
	n = th_build(frame, c.pport, c.lport, TCP_ACK, c.pseq, c.pack, 65535, "abc", 3, NULL, 0);
	tcp_of()->data_off = 4 << 4;
	fix_tcp_csum();
	th_inject_frame(frame, n);
	assert_int_equal(th_drops(DROP_TCP_MALFORMED), 1);
	/* data offset beyond the segment */
	n = th_build(frame, c.pport, c.lport, TCP_ACK, c.pseq, c.pack, 65535, "abc", 3, NULL, 0);
	tcp_of()->data_off = 15 << 4;
	th_inject_frame(frame, n);
	assert_int_equal(th_drops(DROP_TCP_MALFORMED), 2);
	/* shorter than a TCP header */
	n = th_build(frame, c.pport, c.lport, TCP_ACK, c.pseq, c.pack, 65535, NULL, 0, NULL, 0);
	ip_of()->total_length = rte_cpu_to_be_16(20 + 12);
	ip_of()->hdr_checksum = 0;
	ip_of()->hdr_checksum = rte_ipv4_cksum(ip_of());
	th_inject_frame(frame, 34 + 12);
	assert_int_equal(th_drops(DROP_TCP_MALFORMED), 3);
	/* option length past the header (checksum valid) */
	th_inject(c.pport, c.lport, TCP_ACK, c.pseq, c.pack, 65535, "abc", 3, bad_opt, sizeof(bad_opt));
	assert_int_equal(th_drops(DROP_TCP_MALFORMED), 4);
	th_inject(c.pport, c.lport, TCP_ACK, c.pseq, c.pack, 65535, "abc", 3, bad_opt2, sizeof(bad_opt2));
	assert_int_equal(th_drops(DROP_TCP_MALFORMED), 5);
	th_inject(c.pport, c.lport, TCP_ACK, c.pseq, c.pack, 65535, "abc", 3, bad_opt3, sizeof(bad_opt3));
	assert_int_equal(th_drops(DROP_TCP_MALFORMED), 6);
	/* bad checksum: one payload bit flipped */
	n = th_build(frame, c.pport, c.lport, TCP_ACK, c.pseq, c.pack, 65535, "abc", 3, NULL, 0);
	frame[n - 1] ^= 0x01;
	th_inject_frame(frame, n);
	assert_int_equal(th_drops(DROP_TCP_CSUM), 1);
	/* bad flag combinations */
	th_inject(c.pport, c.lport, TCP_SYN | TCP_FIN, c.pseq, 0, 65535, NULL, 0, NULL, 0);
	th_inject(c.pport, c.lport, TCP_SYN | TCP_RST, c.pseq, 0, 65535, NULL, 0, NULL, 0);
	th_inject(c.pport, c.lport, 0, c.pseq, 0, 65535, "abc", 3, NULL, 0);	/* no flags at all */
	th_inject(c.pport, c.lport, TCP_FIN | TCP_PSH, c.pseq, 0, 65535, "abc", 3, NULL, 0);	/* no ACK */
	assert_int_equal(th_drops(DROP_TCP_BAD_FLAGS), 4);

	assert_null(th_pop_tcp());	/* nothing answered */
	assert_int_equal(th_state(c.sid), TPA_TCP_ESTABLISHED);
	assert_int_equal(th_sock(c.sid)->rcv_nxt, c.pseq);
	assert_int_equal(tpa_read(c.sid, b, sizeof(b)), -1);
	assert_int_equal(errno, EAGAIN);
	/* and a good one still goes through */
	th_send(&c, TCP_PSH, "good", 4);
	assert_int_equal(tpa_read(c.sid, b, sizeof(b)), 4);
}

/* SYN+FIN and SYN+RST to a listener are dropped too: no half-open child. */
static void test_bad_flags_to_listener(void **state)
{
	(void)state;
	assert_true(tpa_listen_on(NULL, 9901, NULL) >= 0);
	th_inject(53001, 9901, TCP_SYN | TCP_FIN, 1, 0, 65535, NULL, 0, NULL, 0);
	th_inject(53001, 9901, TCP_SYN | TCP_RST, 1, 0, 65535, NULL, 0, NULL, 0);
	assert_null(th_pop_tcp());
	assert_null(th_find(9901, 53001));
	assert_int_equal(th_drops(DROP_TCP_BAD_FLAGS), 2);
}

/* RFC 9293 3.10.7.1: no socket → RST; <SEQ=0><ACK=SEG.SEQ+SEG.LEN> for non-ACK segments. */
static void test_rst_for_no_socket(void **state)
{
	struct th_seg *s;

	(void)state;
	/* SYN with data: SEG.LEN counts the SYN and every byte */
	th_inject(53002, 9902, TCP_SYN, 100, 0, 65535, "12345", 5, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_RST | TCP_ACK);
	assert_int_equal(s->seq, 0);
	assert_int_equal(s->ack, 106);
	assert_int_equal(s->sport, 9902);
	assert_int_equal(s->dport, 53002);
	assert_true(s->csum_ok);
	assert_int_equal(s->len, 0);
	/* data with ACK: <SEQ=SEG.ACK><CTL=RST> */
	th_inject(53002, 9902, TCP_ACK | TCP_PSH | TCP_FIN, 200, 777, 65535, "xy", 2, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_RST);
	assert_int_equal(s->seq, 777);
	/* RST for RST: never */
	th_inject(53002, 9902, TCP_RST | TCP_ACK, 200, 777, 0, NULL, 0, NULL, 0);
	assert_null(th_pop_tcp());
	assert_int_equal(th_drops(DROP_TCP_NO_SOCK), 3);
	/* an ACK to a listening port (no connection) gets the same RST */
	assert_true(tpa_listen_on(NULL, 9903, NULL) >= 0);
	th_inject(53003, 9903, TCP_ACK, 5, 999, 65535, NULL, 0, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_RST);
	assert_int_equal(s->seq, 999);
	assert_null(th_find(9903, 53003));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_bad_segments_dropped_by_reason, setup),
		cmocka_unit_test_setup(test_bad_flags_to_listener, setup),
		cmocka_unit_test_setup(test_rst_for_no_socket, setup),
	};

	if (th_global_init()) {
		fprintf(stderr, "harness init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
