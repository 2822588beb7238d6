/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stack backend: the tpa userspace TCP stack (stack/include/tpa.h).
 * tpa_init(n) at start; each tperf thread binds one worker and drives it
 * with tpa_worker_run() + tpa_event_poll() (busy polling, no sleeping in
 * tperf itself). With -W 1 writes are zero-copy from a per-thread pool of
 * preallocated DPDK buffers that iov_write_done returns to the pool; reads
 * are always zero-copy (tpa_zreadv, released right after checking).
 * At the end each socket's stage histograms are merged into "stages".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_version.h>

#include <tpa.h>

#include "tperf.h"

#define ZC_BUF_SIZE (64u << 10)
#define ZC_NR_BUF 512			/* 32 MiB per thread: > any send window */
#define NR_RX_IOV 32

struct zc_pool {
	void *buf[ZC_NR_BUF];
	int nr_free;
};

struct stack_thread {
	struct tpa_worker *worker;
	struct zc_pool *pool;		/* -W 1 only */
	struct tpa_lat_hist stages[TPA_LAT_NR_STAGE];
	uint8_t *l2buf;			/* l2pp client: the last frame received */
	size_t l2len, l2max;
};

static pthread_mutex_t stages_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tpa_lat_hist stages_all[TPA_LAT_NR_STAGE];

static int stack_init(struct tperf_ctx *ctx)
{
	if (tpa_init(ctx->cfg.threads) < 0) {
		fprintf(stderr, "tperf: tpa_init(%d): %s\n", ctx->cfg.threads, strerror(errno));
		return -1;
	}
	ctx->cfg.zcopy_effective = ctx->cfg.zcopy;
	return 0;
}

static void stack_fini(struct tperf_ctx *ctx)
{
	tpa_fini();
}

static int stack_thread_init(struct tperf_thread *th)
{
	struct stack_thread *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return -1;
	st->worker = tpa_worker_init();
	if (st->worker == NULL) {
		free(st);
		tperf_thread_fail(th, "tpa_worker_init: no free worker for thread %d", th->id);
		return -1;
	}
	if (th->ctx->cfg.zcopy_effective) {
		st->pool = calloc(1, sizeof(*st->pool));
		if (st->pool == NULL)
			return -1;
		for (int i = 0; i < ZC_NR_BUF; i++) {
			void *b = rte_malloc("tperf_zc", ZC_BUF_SIZE, 64);

			if (b == NULL) {
				tperf_thread_fail(th, "-W 1: cannot allocate zero-copy buffers from DPDK memory");
				return -1;
			}
			st->pool->buf[st->pool->nr_free++] = b;
		}
	}
	th->be = st;
	return 0;
}

static void stack_thread_fini(struct tperf_thread *th)
{
	struct stack_thread *st = th->be;

	if (st == NULL)
		return;
	/* Give the FINs of the sockets just closed a chance to leave (200 ms). */
	for (uint64_t end = tperf_now_ns() + 200000000; tperf_now_ns() < end;)
		tpa_worker_run(st->worker);
	pthread_mutex_lock(&stages_lock);
	for (int s = 0; s < TPA_LAT_NR_STAGE; s++)
		tpa_lat_merge(&stages_all[s], &st->stages[s]);
	pthread_mutex_unlock(&stages_lock);
	/* Pool buffers still held by the stack are released with the EAL at exit. */
	if (st->pool) {
		for (int i = 0; i < st->pool->nr_free; i++)
			rte_free(st->pool->buf[i]);
		st->pool->nr_free = 0;
	}
	th->be = NULL;
	/* st->pool stays allocated: write_done of in-flight buffers may still name it. */
	free(st);
}

static int stack_connect(struct tperf_thread *th, const char *host, uint16_t port, void *data)
{
	struct tpa_sock_opts opts = {.data = data};
	struct tpa_event ev = {.events = TPA_EVENT_IN | TPA_EVENT_OUT, .data = data};
	int sid = tpa_connect_to(host, port, &opts);

	if (sid < 0)
		return -1;
	if (tpa_event_ctrl(sid, TPA_EVENT_CTRL_ADD, &ev) < 0) {
		int e = errno;

		tpa_close(sid);
		errno = e;
		return -1;
	}
	return sid;
}

static int stack_connect_check(struct tperf_thread *th, int sid, uint32_t events)
{
	if (events & (TPA_EVENT_ERR | TPA_EVENT_HUP)) {
		char b;

		if (tpa_read(sid, &b, 0) < 0 && errno != EAGAIN)
			return -errno;
		return -ECONNREFUSED;
	}
	return (events & TPA_EVENT_OUT) ? 0 : 1;
}

/* Server: answer l2pp pings on whichever worker they arrive (tpa_raw_register). */
static void l2_echo(struct tpa_worker *w, const void *frame, uint16_t len, void *arg)
{
	static __thread uint8_t buf[TPERF_L2_MAX];
	struct tperf_thread *th = arg;

	if (len > sizeof(buf) || len < 14)
		return;
	memcpy(buf, frame, len);
	if (tperf_l2_pong(buf + 14, len - 14u) < 0)
		return;
	memcpy(buf, buf + 6, 6);	/* back to the sender; the stack sets the source */
	if (tpa_raw_send(w, buf, len) == 0) {
		__atomic_fetch_add(&th->messages, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&th->bytes_rx, len, __ATOMIC_RELAXED);
		__atomic_fetch_add(&th->bytes_tx, len, __ATOMIC_RELAXED);
	}
}

static int stack_listen(struct tperf_thread *th, const char *bind, uint16_t port)
{
	/* One listener for the instance; every worker takes its own accepts. */
	if (th->id != 0)
		return 0;
	if (tpa_raw_register(TPERF_L2_ETHERTYPE, l2_echo, th) < 0)
		fprintf(stderr, "tperf: cannot answer l2pp pings: tpa_raw_register: %s\n", strerror(errno));
	return tpa_listen_on(bind, port, NULL) < 0 ? -1 : 0;
}

/* Client: keep the pong for stack_l2_recv (one ping is in flight at a time). */
static void l2_keep(struct tpa_worker *w, const void *frame, uint16_t len, void *arg)
{
	struct stack_thread *st = arg;

	if (st->l2len == 0 && len <= st->l2max) {
		memcpy(st->l2buf, frame, len);
		st->l2len = len;
	}
}

static int stack_l2_open(struct tperf_thread *th, const char *host)
{
	struct stack_thread *st = th->be;

	st->l2max = TPERF_L2_MAX + 64;
	st->l2buf = malloc(st->l2max);
	if (st->l2buf == NULL)
		return -1;
	if (tpa_raw_register(TPERF_L2_ETHERTYPE, l2_keep, st) < 0) {
		tperf_thread_fail(th, "-t l2pp: tpa_raw_register: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int stack_l2_send(struct tperf_thread *th, const uint8_t *frame, size_t len)
{
	struct stack_thread *st = th->be;

	return tpa_raw_send(st->worker, frame, (uint16_t)len);
}

/* Busy-poll the worker (the stack never sleeps in tperf) until a frame or the deadline. */
static ssize_t stack_l2_recv(struct tperf_thread *th, uint8_t *buf, size_t max, int64_t timeout_ns)
{
	struct stack_thread *st = th->be;
	uint64_t end = tperf_now_ns() + (uint64_t)(timeout_ns > 0 ? timeout_ns : 0);
	size_t n;

	do {
		tpa_worker_run(st->worker);
		if (st->l2len)
			break;
	} while (tperf_now_ns() < end && !th->ctx->stop);
	n = st->l2len < max ? st->l2len : max;
	memcpy(buf, st->l2buf, n);
	st->l2len = 0;
	return (ssize_t)n;
}

static void stack_l2_close(struct tperf_thread *th)
{
	struct stack_thread *st = th->be;

	tpa_raw_register(TPERF_L2_ETHERTYPE, NULL, NULL);
	free(st->l2buf);
	st->l2buf = NULL;
}

static int stack_accept(struct tperf_thread *th, int *sids, int nr)
{
	struct stack_thread *st = th->be;

	return tpa_accept_burst(st->worker, sids, nr);
}

static int stack_watch(struct tperf_thread *th, int sid, uint32_t events, void *data)
{
	struct tpa_event ev = {.events = events, .data = data};

	if (tpa_event_ctrl(sid, TPA_EVENT_CTRL_MOD, &ev) == 0)
		return 0;
	return tpa_event_ctrl(sid, TPA_EVENT_CTRL_ADD, &ev);
}

static void zc_write_done(void *base, void *param)
{
	struct zc_pool *pool = param;

	pool->buf[pool->nr_free++] = base;
}

static uint8_t *stack_tx_buf(struct tperf_thread *th, size_t *len)
{
	struct stack_thread *st = th->be;

	if (st->pool == NULL) {
		if (*len > th->txbuf_len)
			*len = th->txbuf_len;
		return th->txbuf;
	}
	if (st->pool->nr_free == 0)
		return NULL;	/* all in flight: wait for ACKs */
	if (*len > ZC_BUF_SIZE)
		*len = ZC_BUF_SIZE;
	return st->pool->buf[--st->pool->nr_free];
}

static ssize_t stack_tx_commit(struct tperf_thread *th, int sid, uint8_t *buf, size_t len)
{
	struct stack_thread *st = th->be;
	struct tpa_iovec iov;
	ssize_t n;

	if (st->pool == NULL)
		return tpa_write(sid, buf, len);
	memset(&iov, 0, sizeof(iov));
	iov.iov_base = buf;
	iov.iov_len = (uint32_t)len;
	iov.iov_param = st->pool;
	iov.iov_write_done = zc_write_done;
	n = tpa_zwritev(sid, &iov, 1);
	if (n <= 0)
		st->pool->buf[st->pool->nr_free++] = buf;	/* not taken */
	/*
	 * Partly taken (0 < n < len): the stack owns the buffer and calls
	 * write_done once; the rest is sent again from a fresh buffer.
	 */
	return n;
}

static ssize_t stack_recv(struct tperf_thread *th, int sid, tperf_rx_fn fn, void *arg)
{
	struct tpa_iovec iov[NR_RX_IOV];
	ssize_t n = tpa_zreadv(sid, iov, NR_RX_IOV), left = n;

	for (int i = 0; left > 0 && i < NR_RX_IOV; i++) {
		fn(arg, iov[i].iov_base, iov[i].iov_len);
		left -= iov[i].iov_len;
		iov[i].iov_read_done(iov[i].iov_base, iov[i].iov_param);
	}
	return n;
}

static int stack_poll(struct tperf_thread *th, struct tperf_event *out, int max, int64_t timeout_ns)
{
	struct stack_thread *st = th->be;
	struct tpa_event ev[64];
	int n;

	if (max > 64)
		max = 64;
	tpa_worker_run(st->worker);
	n = tpa_event_poll(st->worker, ev, max);
	for (int i = 0; i < n; i++) {
		out[i].events = ev[i].events;
		out[i].data = ev[i].data;
	}
	return n < 0 ? 0 : n;
}

static void stack_close(struct tperf_thread *th, int sid)
{
	struct stack_thread *st = th->be;
	struct tpa_sock_info info;
	struct tpa_lat_hist h;

	for (int s = 0; s < TPA_LAT_NR_STAGE; s++)
		if (tpa_sock_lat_get(sid, (enum tpa_lat_stage)s, &h) == 0)
			tpa_lat_merge(&st->stages[s], &h);
	if (tpa_sock_info_get(sid, &info) == 0) {
		th->retrans_pkts += info.retrans_pkts;
		th->rto += info.rto_count;
		th->fast_retrans += info.fast_retrans;
	}
	tpa_close(sid);
}

static void stack_report(struct tperf_ctx *ctx, json_t *root)
{
	json_t *stages = json_object(), *drops = json_object(), *host;

	for (int s = 0; s < TPA_LAT_NR_STAGE; s++) {
		const struct tpa_lat_hist *h = &stages_all[s];

		json_object_set_new(stages, tpa_lat_stage_name((enum tpa_lat_stage)s),
				    json_pack("{sIsIsIsIsI}", "count", (json_int_t)h->count, "p50",
					      (json_int_t)tpa_lat_percentile(h, 50), "p99",
					      (json_int_t)tpa_lat_percentile(h, 99), "p99_9",
					      (json_int_t)tpa_lat_percentile(h, 99.9), "max",
					      (json_int_t)h->max_ns));
	}
	json_object_set_new(root, "stages", stages);

	for (int w = 0; w < tpa_nr_worker(); w++) {
		struct tpa_worker_stats ws;

		if (tpa_worker_stats_get(w, &ws) < 0)
			continue;
		for (int i = 0; i < 32; i++) {
			const char *name = tpa_drop_reason_name(i);
			json_t *old;

			if (name == NULL)
				break;
			old = json_object_get(drops, name);
			json_object_set_new(drops, name,
					    json_integer((old ? json_integer_value(old) : 0) +
							 (json_int_t)ws.drop[i]));
		}
	}
	json_object_set_new(json_object_get(root, "stack"), "drops", drops);

	host = json_object_get(root, "host");
	json_object_set_new(host, "dpdk_version", json_string(rte_version()));
	json_object_set_new(host, "tsc_hz", json_integer((json_int_t)rte_get_tsc_hz()));
}

const struct tperf_backend tperf_stack_backend = {
	.name = "stack",
	.init = stack_init,
	.fini = stack_fini,
	.thread_init = stack_thread_init,
	.thread_fini = stack_thread_fini,
	.connect = stack_connect,
	.connect_check = stack_connect_check,
	.listen = stack_listen,
	.accept = stack_accept,
	.accept_polled = true,
	.watch = stack_watch,
	.tx_buf = stack_tx_buf,
	.tx_commit = stack_tx_commit,
	.recv = stack_recv,
	.poll = stack_poll,
	.close = stack_close,
	.report = stack_report,
	.l2_open = stack_l2_open,
	.l2_send = stack_l2_send,
	.l2_recv = stack_l2_recv,
	.l2_close = stack_l2_close,
};
