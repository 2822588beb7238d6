/* SPDX-License-Identifier: BSD-3-Clause */
/* Zero-copy write (write_done exactly once), zero-copy read (iov_read_done), write chunking and
 * the tx_desc latency stamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "harness.h"

static const uint8_t mss1000[] = { 2, 4, 0x03, 0xe8 };
static uint8_t buf_a[3000], buf_b[3000];
static int done_a, done_b;

static void write_done(void *base, void *param)
{
	int *cnt = param;

	assert_true(base == buf_a || base == buf_b);
	(*cnt)++;
}

static int setup(void **state)
{
	(void)state;
	th_reset();
	done_a = done_b = 0;
	th_pattern(buf_a, 0, sizeof(buf_a));
	th_pattern(buf_b, 5000, sizeof(buf_b));
	return 0;
}

static void iov_set(struct tpa_iovec *v, uint8_t *base, uint32_t len, int *cnt)
{
	memset(v, 0, sizeof(*v));
	v->iov_base = base;
	v->iov_phys = (uint64_t)(uintptr_t)base;	/* no DMA in the harness: any non-zero IO address */
	v->iov_len = len;
	v->iov_param = cnt;
	v->iov_write_done = write_done;
}

static uint32_t txq_descs(int sid)
{
	struct tcp_sock *sk = th_sock(sid);

	return sk->txq_tail - sk->txq_head;
}

/* Two iovecs split into chunks; each write_done runs once, only when every byte of its iovec is acked. */
static void test_zwritev_done_after_ack_exactly_once(void **state)
{
	struct tpa_iovec iov[2];
	struct th_conn c;
	struct th_seg *s;
	uint32_t base;

	(void)state;
	th_cfg("tcp.write_chunk_size=1000");
	assert_int_equal(th_open_passive(&c, 9800, 52000, mss1000, sizeof(mss1000)), 0);
	base = c.iss + 1;
	iov_set(&iov[0], buf_a, 1500, &done_a);
	iov_set(&iov[1], buf_b, 500, &done_b);
	assert_int_equal(tpa_zwritev(c.sid, iov, 2), 2000);
	assert_int_equal(txq_descs(c.sid), 3);	/* 1000 + 500 from a, 500 from b */
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->len, 1000);
	assert_memory_equal(s->payload, buf_a, 1000);
	assert_true(s->csum_ok);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->len, 1000);	/* spans the end of a and all of b */
	assert_memory_equal(s->payload, buf_a + 1000, 500);
	assert_memory_equal(s->payload + 500, buf_b, 500);
	assert_int_equal(done_a + done_b, 0);	/* sent is not acknowledged */
	th_ack(&c, base + 1000);
	assert_int_equal(done_a, 0);	/* a has 500 bytes unacked */
	th_ack(&c, base + 1500);
	assert_int_equal(done_a, 1);
	assert_int_equal(done_b, 0);
	th_ack(&c, base + 2000);
	assert_int_equal(done_a, 1);
	assert_int_equal(done_b, 1);
	assert_int_equal(txq_descs(c.sid), 0);
	/* duplicate ACKs, close and teardown never call them again */
	th_ack(&c, base + 2000);
	assert_int_equal(tpa_close(c.sid), 0);
	th_reset();
	assert_int_equal(done_a, 1);
	assert_int_equal(done_b, 1);
}

/* Retransmissions build new views of the same buffer; still one write_done. */
static void test_zwritev_retransmitted_then_acked(void **state)
{
	struct tpa_iovec iov;
	struct th_conn c;
	struct th_seg *s;

	(void)state;
	th_cfg("tcp.rto_min_ms=20");
	assert_int_equal(th_open_passive(&c, 9801, 52001, mss1000, sizeof(mss1000)), 0);
	iov_set(&iov, buf_a, 800, &done_a);
	assert_int_equal(tpa_zwritev(c.sid, &iov, 1), 800);
	assert_non_null(th_pop_tcp());
	th_advance_us(25 * 1000);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->len, 800);
	assert_memory_equal(s->payload, buf_a, 800);
	assert_int_equal(done_a, 0);
	th_ack(&c, c.iss + 801);
	assert_int_equal(done_a, 1);
	th_advance_us(100 * 1000);
	assert_int_equal(done_a, 1);
}

/* A reset connection hands every pending buffer back, once. */
static void test_zwritev_done_on_reset(void **state)
{
	struct tpa_iovec iov[2];
	struct th_conn c;
	char b[4];

	(void)state;
	assert_int_equal(th_open_passive(&c, 9802, 52002, mss1000, sizeof(mss1000)), 0);
	iov_set(&iov[0], buf_a, 1000, &done_a);
	iov_set(&iov[1], buf_b, 1000, &done_b);
	assert_int_equal(tpa_zwritev(c.sid, iov, 2), 2000);
	th_ack(&c, c.iss + 1001);
	assert_int_equal(done_a, 1);
	assert_int_equal(done_b, 0);
	th_inject(c.pport, c.lport, TCP_RST, c.pseq, 0, 0, NULL, 0, NULL, 0);
	assert_int_equal(tpa_read(c.sid, b, sizeof(b)), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(done_a, 1);
	assert_int_equal(done_b, 1);
	assert_int_equal(tpa_close(c.sid), 0);
	th_reset();
	assert_int_equal(done_a, 1);
	assert_int_equal(done_b, 1);
}

/* A refused write leaves the buffer with the application: no callback. */
static void test_zwritev_refused_keeps_ownership(void **state)
{
	struct tpa_iovec iov;
	int sid;

	(void)state;
	sid = tpa_connect_to(TH_PEER_IP, 9803, NULL);
	iov_set(&iov, buf_a, 100, &done_a);
	assert_int_equal(tpa_zwritev(sid, &iov, 1), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(tpa_zwritev(sid, NULL, 0), -1);
	th_reset();
	assert_int_equal(done_a, 0);
}

/* The send buffer bounds zero-copy writes by whole iovecs. */
static void test_zwritev_send_buffer_full(void **state)
{
	static uint8_t big[6000];
	struct tpa_iovec iov[2];
	struct th_conn c;

	(void)state;
	th_cfg("tcp.snd_buf=4096");
	assert_int_equal(th_open_passive(&c, 9804, 52004, mss1000, sizeof(mss1000)), 0);
	iov_set(&iov[0], buf_a, 3000, &done_a);
	iov_set(&iov[1], big, 3000, &done_b);
	assert_int_equal(tpa_zwritev(c.sid, iov, 2), 3000);	/* the second does not fit */
	iov_set(&iov[0], big, 3000, &done_b);
	assert_int_equal(tpa_zwritev(c.sid, iov, 1), -1);
	assert_int_equal(errno, EAGAIN);
	th_ack(&c, c.iss + 3001);
	assert_int_equal(done_a, 1);
	assert_int_equal(done_b, 0);
}

/* Copy writes: split by tcp.write_chunk_size into tx_descs with their three stamps. */
static void test_write_chunking_and_desc_stamps(void **state)
{
	static uint8_t data[3500];
	struct tpa_lat_hist h;
	struct th_conn c;
	struct tcp_sock *sk;
	uint32_t base;

	(void)state;
	th_cfg("tcp.write_chunk_size=1000");
	th_pattern(data, 0, sizeof(data));
	assert_int_equal(th_open_passive(&c, 9805, 52005, mss1000, sizeof(mss1000)), 0);
	sk = th_sock(c.sid);
	base = c.iss + 1;
	c.win = 2000;	/* only the first two chunks can go */
	th_ack(&c, base);
	assert_int_equal(tpa_write(c.sid, data, sizeof(data)), 3500);
	assert_int_equal(txq_descs(c.sid), 4);
	for (int i = 0; i < 4; i++) {
		struct tx_desc *d = &sk->txq[(sk->txq_head + i) & (sk->txq_size - 1)];
		assert_int_equal(d->len, i < 3 ? 1000 : 500);
		assert_int_equal(d->seq, base + 1000 * i);
		assert_true(d->tsc_start != 0);
		assert_true(d->tsc_submit >= d->tsc_start);
		/* all chunks of one call share its start time */
		assert_true(d->tsc_start == sk->txq[sk->txq_head & (sk->txq_size - 1)].tsc_start);
		if (i < 2)
			assert_true(d->tsc_xmit >= d->tsc_submit);
		else
			assert_int_equal(d->tsc_xmit, 0);	/* not sent yet */
	}
	assert_int_equal(tpa_sock_lat_get(c.sid, TPA_LAT_WRITE_SUBMIT, &h), 0);
	assert_int_equal(h.count, 4);
	assert_int_equal(tpa_sock_lat_get(c.sid, TPA_LAT_WRITE_XMIT, &h), 0);
	assert_int_equal(h.count, 2);
	assert_int_equal(tpa_sock_lat_get(c.sid, TPA_LAT_WRITE_COMPLETE, &h), 0);
	assert_int_equal(h.count, 0);
	th_clear_out();
	th_advance_us(2000);
	c.win = 65535;
	th_ack(&c, base + 1000);
	assert_int_equal(tpa_sock_lat_get(c.sid, TPA_LAT_WRITE_COMPLETE, &h), 0);
	assert_int_equal(h.count, 1);
	assert_true(h.min_ns >= 2000000);	/* at least the 2 ms we waited */
	assert_int_equal(tpa_sock_lat_get(c.sid, TPA_LAT_WRITE_XMIT, &h), 0);
	assert_int_equal(h.count, 4);
	th_ack(&c, base + 3500);
	assert_int_equal(tpa_sock_lat_get(c.sid, TPA_LAT_WRITE_COMPLETE, &h), 0);
	assert_int_equal(h.count, 4);
	assert_int_equal(txq_descs(c.sid), 0);
}

/* A write larger than the free send buffer is partial; a full buffer gives EAGAIN. */
static void test_write_send_buffer_full(void **state)
{
	static uint8_t data[10000];
	struct th_conn c;

	(void)state;
	th_cfg("tcp.snd_buf=4096");
	assert_int_equal(th_open_passive(&c, 9806, 52006, mss1000, sizeof(mss1000)), 0);
	c.win = 0;
	th_ack(&c, c.iss + 1);
	assert_int_equal(tpa_write(c.sid, data, sizeof(data)), 4096);
	assert_int_equal(tpa_write(c.sid, data, 1), -1);
	assert_int_equal(errno, EAGAIN);
}

static int read_done_calls;

/* Zero-copy read: iovecs point into the packets; the window returns on iov_read_done. */
static void test_zreadv_and_read_done(void **state)
{
	struct tpa_iovec iov[4];
	struct tpa_lat_hist h;
	struct th_conn c;
	uint32_t wnd0;
	ssize_t n;

	(void)state;
	read_done_calls = 0;
	assert_int_equal(th_open_passive(&c, 9807, 52007, NULL, 0), 0);
	wnd0 = tcp_rcv_window(th_sock(c.sid));
	assert_int_equal(tpa_zreadv(c.sid, iov, 4), -1);
	assert_int_equal(errno, EAGAIN);
	th_send(&c, TCP_PSH, "hello", 5);
	th_send(&c, TCP_PSH, "world!", 6);
	n = tpa_zreadv(c.sid, iov, 4);
	assert_int_equal(n, 11);
	assert_int_equal(iov[0].iov_len, 5);
	assert_memory_equal(iov[0].iov_base, "hello", 5);
	assert_int_equal(iov[1].iov_len, 6);
	assert_memory_equal(iov[1].iov_base, "world!", 6);
	assert_non_null(iov[0].iov_read_done);
	/* nothing left to read, but the buffers still count against the window */
	assert_int_equal(tpa_zreadv(c.sid, iov + 2, 2), -1);
	assert_int_equal(errno, EAGAIN);
	assert_true(tcp_rcv_window(th_sock(c.sid)) <= wnd0 - 11);
	assert_int_equal(tpa_sock_lat_get(c.sid, TPA_LAT_READ_DRAIN, &h), 0);
	assert_int_equal(h.count, 2);
	assert_int_equal(tpa_sock_lat_get(c.sid, TPA_LAT_READ_COMPLETE, &h), 0);
	assert_int_equal(h.count, 0);
	iov[0].iov_read_done(iov[0].iov_base, iov[0].iov_param);
	assert_int_equal(th_sock(c.sid)->zread_bytes, 6);
	iov[1].iov_read_done(iov[1].iov_base, iov[1].iov_param);
	assert_int_equal(th_sock(c.sid)->zread_bytes, 0);
	assert_int_equal(tpa_sock_lat_get(c.sid, TPA_LAT_READ_COMPLETE, &h), 0);
	assert_int_equal(h.count, 2);
	/* copy reads still work afterwards and see the next data in order */
	th_send(&c, TCP_PSH, "!", 1);
	{
		char b[4];
		assert_int_equal(tpa_read(c.sid, b, sizeof(b)), 1);
		assert_int_equal(b[0], '!');
	}
}

/* Not enough iovecs for the next packet: nothing is handed out (no partial packets). */
static void test_zreadv_needs_an_iovec(void **state)
{
	struct tpa_iovec iov[1];
	struct th_conn c;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9808, 52008, NULL, 0), 0);
	th_send(&c, TCP_PSH, "abc", 3);
	assert_int_equal(tpa_zreadv(c.sid, iov, 0), -1);
	assert_int_equal(errno, ENOBUFS);
	assert_int_equal(tpa_zreadv(c.sid, iov, 1), 3);
	iov[0].iov_read_done(iov[0].iov_base, iov[0].iov_param);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_zwritev_done_after_ack_exactly_once, setup),
		cmocka_unit_test_setup(test_zwritev_retransmitted_then_acked, setup),
		cmocka_unit_test_setup(test_zwritev_done_on_reset, setup),
		cmocka_unit_test_setup(test_zwritev_refused_keeps_ownership, setup),
		cmocka_unit_test_setup(test_zwritev_send_buffer_full, setup),
		cmocka_unit_test_setup(test_write_chunking_and_desc_stamps, setup),
		cmocka_unit_test_setup(test_write_send_buffer_full, setup),
		cmocka_unit_test_setup(test_zreadv_and_read_done, setup),
		cmocka_unit_test_setup(test_zreadv_needs_an_iovec, setup),
	};

	if (th_global_init()) {
		fprintf(stderr, "harness init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
