/* SPDX-License-Identifier: BSD-3-Clause */
/* TCP state machine (RFC 9293 3.3.2): every transition, driven by crafted segments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>

#include "harness.h"

static int setup(void **state)
{
	(void)state;
	th_reset();
	return 0;
}

static void test_passive_open_listen_synrcvd_established(void **state)
{
	struct th_seg *s;
	struct tcp_sock *sk;
	int ls, sid;

	(void)state;
	ls = tpa_listen_on(NULL, 7000, NULL);
	assert_true(ls >= 0);
	assert_int_equal(th_state(ls), TPA_TCP_LISTEN);
	th_inject(41000, 7000, TCP_SYN, 300, 0, 65535, NULL, 0, NULL, 0);
	sk = th_find(7000, 41000);
	assert_non_null(sk);
	assert_int_equal(sk->state, TPA_TCP_SYN_RCVD);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_SYN | TCP_ACK);
	assert_int_equal(s->ack, 301);
	/* not acceptable before the handshake completes */
	assert_int_equal(tpa_accept_burst(th_w, &sid, 1), 0);
	/* an ACK that does not acknowledge our SYN gets a RST <SEQ=SEG.ACK> and changes nothing */
	th_inject(41000, 7000, TCP_ACK, 301, s->seq + 5, 65535, NULL, 0, NULL, 0);
	{
		struct th_seg *r = th_pop_tcp();
		assert_non_null(r);
		assert_true(r->flags & TCP_RST);
		assert_int_equal(r->seq, s->seq + 5);
	}
	assert_int_equal(sk->state, TPA_TCP_SYN_RCVD);
	th_inject(41000, 7000, TCP_ACK, 301, s->seq + 1, 65535, NULL, 0, NULL, 0);
	assert_int_equal(sk->state, TPA_TCP_ESTABLISHED);
	assert_int_equal(tpa_accept_burst(th_w, &sid, 1), 1);
	assert_int_equal(sid, sk->sid);
	assert_int_equal(th_state(sid), TPA_TCP_ESTABLISHED);
	assert_null(th_pop_tcp());
}

static void test_active_open_synsent_established(void **state)
{
	struct th_seg *s;
	int sid;
	char b[4];

	(void)state;
	sid = tpa_connect_to(TH_PEER_IP, 7001, NULL);
	assert_true(sid >= 0);
	th_run();
	assert_int_equal(th_state(sid), TPA_TCP_SYN_SENT);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_SYN);
	assert_int_equal(s->dport, 7001);
	/* writes before the handshake: EAGAIN */
	assert_int_equal(tpa_write(sid, "x", 1), -1);
	assert_int_equal(errno, EAGAIN);
	/* a SYN-ACK acking the wrong number: RST, stay in SYN_SENT */
	th_inject(7001, s->sport, TCP_SYN | TCP_ACK, 900, s->seq + 7, 65535, NULL, 0, NULL, 0);
	{
		struct th_seg *r = th_pop_tcp();
		assert_non_null(r);
		assert_true(r->flags & TCP_RST);
		assert_int_equal(r->seq, s->seq + 7);
	}
	assert_int_equal(th_state(sid), TPA_TCP_SYN_SENT);
	th_inject(7001, s->sport, TCP_SYN | TCP_ACK, 900, s->seq + 1, 65535, NULL, 0, NULL, 0);
	assert_int_equal(th_state(sid), TPA_TCP_ESTABLISHED);
	{
		struct th_seg *a = th_pop_tcp();
		assert_non_null(a);
		assert_int_equal(a->flags, TCP_ACK);
		assert_int_equal(a->seq, s->seq + 1);
		assert_int_equal(a->ack, 901);
	}
	assert_int_equal(tpa_read(sid, b, sizeof(b)), -1);
	assert_int_equal(errno, EAGAIN);
}

/* RFC 9293 figure 7: both sides send SYN; each answers SYN-ACK; then ESTABLISHED. */
static void test_simultaneous_open(void **state)
{
	struct th_seg *s, *sa;
	uint32_t iss;
	uint16_t lport;
	int sid;

	(void)state;
	sid = tpa_connect_to(TH_PEER_IP, 7002, NULL);
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	iss = s->seq;
	lport = s->sport;
	/* the peer's SYN crosses ours */
	th_inject(7002, lport, TCP_SYN, 4000, 0, 65535, NULL, 0, NULL, 0);
	assert_int_equal(th_state(sid), TPA_TCP_SYN_RCVD);
	sa = th_pop_tcp();
	assert_non_null(sa);
	assert_int_equal(sa->flags, TCP_SYN | TCP_ACK);
	assert_int_equal(sa->seq, iss);	/* the same ISS, not a new one */
	assert_int_equal(sa->ack, 4001);
	/* the peer's SYN-ACK: whatever we answer must not be a RST */
	th_inject(7002, lport, TCP_SYN | TCP_ACK, 4000, iss + 1, 65535, NULL, 0, NULL, 0);
	while ((s = th_pop_tcp()))
		assert_false(s->flags & TCP_RST);
	/* and the peer's ACK of our SYN-ACK completes the open */
	th_inject(7002, lport, TCP_ACK, 4001, iss + 1, 65535, NULL, 0, NULL, 0);
	assert_int_equal(th_state(sid), TPA_TCP_ESTABLISHED);
	assert_int_equal(tpa_write(sid, "hi", 2), 2);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->seq, iss + 1);
	assert_int_equal(s->ack, 4001);
	assert_int_equal(s->len, 2);
}

/* Active close: FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT → CLOSED after tcp.time_wait_ms. */
static void test_active_close_fin_wait_time_wait(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	uint32_t fin_seq;
	int sid;

	(void)state;
	th_cfg("tcp.time_wait_ms=50");
	assert_int_equal(th_open_passive(&c, 7003, 41003, NULL, 0), 0);
	sid = c.sid;
	assert_int_equal(tpa_close(sid), 0);
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_FIN | TCP_ACK);
	fin_seq = s->seq;
	assert_int_equal(fin_seq, c.iss + 1);
	assert_int_equal(th_find(7003, 41003)->state, TPA_TCP_FIN_WAIT_1);
	th_ack(&c, fin_seq + 1);
	assert_int_equal(th_find(7003, 41003)->state, TPA_TCP_FIN_WAIT_2);
	assert_null(th_pop_tcp());
	th_send(&c, TCP_FIN, NULL, 0);
	assert_int_equal(th_find(7003, 41003)->state, TPA_TCP_TIME_WAIT);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_ACK);
	assert_int_equal(s->ack, c.pseq);
	assert_int_equal(s->seq, fin_seq + 1);
	/* a retransmitted FIN is acknowledged again */
	c.pseq--;
	th_send(&c, TCP_FIN, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_ACK);
	assert_int_equal(s->ack, c.pseq);
	th_advance_us(40 * 1000);
	assert_non_null(th_find(7003, 41003));
	th_advance_us(15 * 1000);
	assert_null(th_find(7003, 41003));
	assert_null(th_sock(sid));
	assert_null(th_pop_tcp());	/* TIME_WAIT ends silently */
}

/* Simultaneous close: FIN_WAIT_1 → CLOSING → TIME_WAIT. */
static void test_simultaneous_close_closing(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	uint32_t fin_seq;

	(void)state;
	th_cfg("tcp.time_wait_ms=20");
	assert_int_equal(th_open_passive(&c, 7004, 41004, NULL, 0), 0);
	assert_int_equal(tpa_close(c.sid), 0);
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	assert_true(s->flags & TCP_FIN);
	fin_seq = s->seq;
	/* the peer's FIN crosses ours: it does not acknowledge our FIN */
	th_send(&c, TCP_FIN, NULL, 0);
	assert_int_equal(th_find(7004, 41004)->state, TPA_TCP_CLOSING);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags & (TCP_ACK | TCP_RST), TCP_ACK);
	assert_int_equal(s->ack, c.pseq);
	th_ack(&c, fin_seq + 1);
	assert_int_equal(th_find(7004, 41004)->state, TPA_TCP_TIME_WAIT);
	th_advance_us(30 * 1000);
	assert_null(th_find(7004, 41004));
}

/* FIN and its ACK in one segment from FIN_WAIT_1 goes straight to TIME_WAIT. */
static void test_fin_wait_1_fin_ack_to_time_wait(void **state)
{
	struct th_conn c;
	struct th_seg *s;

	(void)state;
	th_cfg("tcp.time_wait_ms=20");
	assert_int_equal(th_open_passive(&c, 7005, 41005, NULL, 0), 0);
	tpa_close(c.sid);
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	c.pack = s->seq + 1;
	th_send(&c, TCP_FIN, NULL, 0);
	assert_int_equal(th_find(7005, 41005)->state, TPA_TCP_TIME_WAIT);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->ack, c.pseq);
}

/* Passive close: CLOSE_WAIT (EOF to the app) → LAST_ACK → CLOSED. */
static void test_passive_close_close_wait_last_ack(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	char buf[16];
	int sid;

	(void)state;
	assert_int_equal(th_open_passive(&c, 7006, 41006, NULL, 0), 0);
	sid = c.sid;
	th_send(&c, TCP_PSH, "bye", 3);
	th_send(&c, TCP_FIN, NULL, 0);
	assert_int_equal(th_state(sid), TPA_TCP_CLOSE_WAIT);
	s = th_pop_tcp();
	assert_non_null(s);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->ack, c.pseq);	/* FIN acknowledged */
	assert_int_equal(tpa_read(sid, buf, sizeof(buf)), 3);
	assert_int_equal(tpa_read(sid, buf, sizeof(buf)), 0);	/* end of stream */
	/* we can still send in CLOSE_WAIT */
	assert_int_equal(tpa_write(sid, "ok", 2), 2);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->len, 2);
	th_ack(&c, s->seq + 2);
	assert_int_equal(tpa_close(sid), 0);
	assert_int_equal(th_find(7006, 41006)->state, TPA_TCP_LAST_ACK);
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_FIN | TCP_ACK);
	assert_int_equal(s->seq, c.pack);
	th_ack(&c, s->seq + 1);
	assert_null(th_find(7006, 41006));
	assert_null(th_sock(sid));
	assert_null(th_pop_tcp());
}

/* The FIN goes only after every queued byte. */
static void test_close_sends_queued_data_before_fin(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	static uint8_t data[3000];

	(void)state;
	th_cfg("tcp.write_chunk_size=1000");
	/* MSS 1000 from the peer */
	assert_int_equal(th_open_passive(&c, 7007, 41007, (const uint8_t[]){ 2, 4, 0x03, 0xe8 }, 4), 0);
	c.win = 1000;	/* room for one segment */
	th_ack(&c, c.pack);
	assert_int_equal(tpa_write(c.sid, data, sizeof(data)), 3000);
	assert_int_equal(tpa_close(c.sid), 0);
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->len, 1000);
	assert_false(s->flags & TCP_FIN);
	assert_null(th_pop_tcp());
	c.win = 65535;
	th_ack(&c, s->seq + 1000);
	{
		uint32_t bytes = 0, fin_end = 0;
		int fins = 0;
		while ((s = th_pop_tcp())) {
			assert_int_equal(s->seq, c.iss + 1 + 1000 + bytes);
			bytes += s->len;
			if (s->flags & TCP_FIN) {
				fins++;
				fin_end = s->seq + s->len;
			}
		}
		assert_int_equal(bytes, 2000);
		assert_int_equal(fins, 1);
		assert_int_equal(fin_end, c.iss + 1 + 3000);	/* FIN after the last byte */
	}
}

/* RFC 9293 3.10.4 / RFC 2525 2.17: close with unread data aborts with RST. */
static void test_close_with_unread_data_sends_rst(void **state)
{
	struct th_conn c;
	struct th_seg *s;

	(void)state;
	assert_int_equal(th_open_passive(&c, 7008, 41008, NULL, 0), 0);
	th_send(&c, TCP_PSH, "unread", 6);
	th_clear_out();
	assert_int_equal(tpa_close(c.sid), 0);
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	assert_true(s->flags & TCP_RST);
	assert_int_equal(s->seq, c.iss + 1);
	assert_null(th_pop_tcp());
	assert_null(th_find(7008, 41008));
}

/* Data arriving after the application closed cannot be delivered: RST. */
static void test_data_after_close_in_fin_wait_2_gets_rst(void **state)
{
	struct th_conn c;
	struct th_seg *s;

	(void)state;
	assert_int_equal(th_open_passive(&c, 7009, 41009, NULL, 0), 0);
	tpa_close(c.sid);
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	th_ack(&c, s->seq + 1);
	assert_int_equal(th_find(7009, 41009)->state, TPA_TCP_FIN_WAIT_2);
	th_send(&c, TCP_PSH, "late", 4);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_true(s->flags & TCP_RST);
	assert_null(th_find(7009, 41009));
}

/* FIN_WAIT_2 does not wait forever once the application closed (60 s linger). */
static void test_fin_wait_2_linger_times_out(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	struct tcp_sock *sk;

	(void)state;
	assert_int_equal(th_open_passive(&c, 7010, 41010, NULL, 0), 0);
	tpa_close(c.sid);
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	th_ack(&c, s->seq + 1);
	sk = th_find(7010, 41010);
	assert_non_null(sk);
	assert_int_equal(sk->state, TPA_TCP_FIN_WAIT_2);
	assert_true(sk->tw_at > th_w->now + tpa_us_to_tsc(59ull * 1000000));
	assert_true(sk->tw_at < th_w->now + tpa_us_to_tsc(61ull * 1000000));
}

static void test_listen_backlog_bound(void **state)
{
	struct tpa_sock_opts o = { .listen_backlog = 2 };
	struct th_seg *s;
	int ls, sid[4];
	uint32_t iss0;

	(void)state;
	ls = tpa_listen_on(NULL, 7011, &o);
	assert_true(ls >= 0);
	th_inject(42000, 7011, TCP_SYN, 10, 0, 65535, NULL, 0, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	iss0 = s->seq;
	th_inject(42001, 7011, TCP_SYN, 20, 0, 65535, NULL, 0, NULL, 0);
	assert_non_null(th_pop_tcp());
	th_inject(42002, 7011, TCP_SYN, 30, 0, 65535, NULL, 0, NULL, 0);
	assert_null(th_pop_tcp());	/* silently dropped: the client retries */
	assert_int_equal(th_drops(DROP_TCP_BACKLOG_FULL), 1);
	assert_null(th_find(7011, 42002));
	/* completing a handshake does not free a slot until accept() */
	th_inject(42000, 7011, TCP_ACK, 11, iss0 + 1, 65535, NULL, 0, NULL, 0);
	th_inject(42002, 7011, TCP_SYN, 30, 0, 65535, NULL, 0, NULL, 0);
	assert_null(th_pop_tcp());
	assert_int_equal(th_drops(DROP_TCP_BACKLOG_FULL), 2);
	assert_int_equal(tpa_accept_burst(th_w, sid, 4), 1);
	th_inject(42002, 7011, TCP_SYN, 30, 0, 65535, NULL, 0, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_SYN | TCP_ACK);
	assert_int_equal(s->ack, 31);
}

/* A half-open child that is reset goes away and frees its backlog slot. */
static void test_rst_in_syn_rcvd_frees_child(void **state)
{
	struct tpa_sock_opts o = { .listen_backlog = 1 };
	struct th_seg *s;

	(void)state;
	assert_true(tpa_listen_on(NULL, 7012, &o) >= 0);
	th_inject(42010, 7012, TCP_SYN, 10, 0, 65535, NULL, 0, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	th_inject(42010, 7012, TCP_RST, 11, 0, 0, NULL, 0, NULL, 0);
	assert_null(th_find(7012, 42010));
	th_inject(42011, 7012, TCP_SYN, 10, 0, 65535, NULL, 0, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_SYN | TCP_ACK);
}

/* Closing a listener resets its unaccepted children. */
static void test_close_listener_resets_children(void **state)
{
	struct th_seg *s;
	int ls;

	(void)state;
	ls = tpa_listen_on(NULL, 7013, NULL);
	th_inject(42020, 7013, TCP_SYN, 10, 0, 65535, NULL, 0, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	th_inject(42020, 7013, TCP_ACK, 11, s->seq + 1, 65535, NULL, 0, NULL, 0);
	assert_int_equal(tpa_close(ls), 0);
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	assert_true(s->flags & TCP_RST);
	assert_null(th_find(7013, 42020));
	/* the port is free again */
	assert_true(tpa_listen_on(NULL, 7013, NULL) >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_passive_open_listen_synrcvd_established, setup),
		cmocka_unit_test_setup(test_active_open_synsent_established, setup),
		cmocka_unit_test_setup(test_simultaneous_open, setup),
		cmocka_unit_test_setup(test_active_close_fin_wait_time_wait, setup),
		cmocka_unit_test_setup(test_simultaneous_close_closing, setup),
		cmocka_unit_test_setup(test_fin_wait_1_fin_ack_to_time_wait, setup),
		cmocka_unit_test_setup(test_passive_close_close_wait_last_ack, setup),
		cmocka_unit_test_setup(test_close_sends_queued_data_before_fin, setup),
		cmocka_unit_test_setup(test_close_with_unread_data_sends_rst, setup),
		cmocka_unit_test_setup(test_data_after_close_in_fin_wait_2_gets_rst, setup),
		cmocka_unit_test_setup(test_fin_wait_2_linger_times_out, setup),
		cmocka_unit_test_setup(test_listen_backlog_bound, setup),
		cmocka_unit_test_setup(test_rst_in_syn_rcvd_frees_child, setup),
		cmocka_unit_test_setup(test_close_listener_resets_children, setup),
	};

	if (th_global_init()) {
		fprintf(stderr, "harness init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
