/* SPDX-License-Identifier: BSD-3-Clause */
/* Regression tests for bugs found end to end; each names what it guards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "harness.h"

static int setup(void **state)
{
	(void)state;
	th_reset();
	return 0;
}

/* Feed a frame through the input path only: no output flush, as when
 * several frames arrive in one burst. */
static void input_only(uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack)
{
	static uint8_t buf[256];
	uint32_t n = th_build(buf, sport, dport, flags, seq, ack, 65535, NULL, 0, NULL, 0);
	struct rte_mbuf *m = rte_pktmbuf_alloc(th_w->pool);

	memcpy(rte_pktmbuf_append(m, (uint16_t)n), buf, n);
	th_w->now = tpa_now();
	pkt_meta(m)->rx_tsc = th_w->now;
	tpa_worker_input(th_w, m);
}

static int out_list_len(int bound)
{
	int n = 0;

	for (struct tcp_sock *sk = th_w->out_head; sk && n <= bound; sk = sk->out_next)
		n++;
	return n;
}

/*
 * Found by `tpa` end-to-end tests (back-to-back short connections to techo):
 * a socket freed in LAST_ACK while still on the worker's output list, whose
 * id is reused by a SYN in the same burst, was linked to itself and
 * tcp_output_pending() spun forever.
 */
static void test_freed_socket_reused_in_same_burst(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	int sid;

	(void)state;
	assert_int_equal(th_open_passive(&c, 7100, 41100, NULL, 0), 0);
	sid = c.sid;
	th_send(&c, TCP_FIN, NULL, 0);		/* peer closes: CLOSE_WAIT */
	assert_int_equal(tpa_close(sid), 0);	/* we close: LAST_ACK, FIN out */
	th_run();
	while ((s = th_pop_tcp()) && !(s->flags & TCP_FIN))
		;
	assert_non_null(s);
	/* one burst: a data-less ACK of our FIN that also schedules output, then a new SYN */
	input_only(41100, 7100, TCP_ACK, c.pseq, s->seq + 1);
	input_only(41101, 7100, TCP_SYN, 555, 0);
	assert_true(out_list_len(8) <= 2);	/* no cycle */
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_SYN | TCP_ACK);
	assert_int_equal(s->ack, 556);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_freed_socket_reused_in_same_burst, setup),
	};

	if (th_global_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
