/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tests, written once against the backend interface so that the kernel
 * and the stack backends speak exactly the same wire protocol.
 *
 * Every connection starts with a 32-byte hello from the client; the payload
 * then flows per the test. Each direction's payload is the pattern stream of
 * tperf_pattern.c (offset 0 = first byte after the hello), generated only
 * when integrity checking (-i) is on.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "tperf.h"

#define NR_EVENT 64
#define TX_BURST 8		/* writes per conn per turn, so others get a go */
#define NS 1000000000ULL
#define NO_LIMIT UINT64_MAX

enum conn_state { CS_CONNECTING, CS_RUN, CS_WAIT_EOF, CS_CLOSED };

struct tperf_conn {
	struct tperf_thread *th;
	int sid;
	int idx;			/* in th->conns */
	int state;
	bool server, ctrl, want_out, bad;
	int test;
	uint32_t m;
	bool integ;
	uint8_t hello[TPERF_HELLO_LEN];	/* to send */
	uint32_t hello_len, hello_done;
	uint8_t hin[TPERF_HELLO_LEN];	/* to receive */
	uint32_t hin_len;		/* bytes expected (0: none) */
	uint32_t hin_got;
	uint64_t tx_off, rx_off, tx_goal;
	uint64_t tx_seed, rx_seed;
	uint64_t done;			/* client: responses received; server: requests */
	uint64_t t_req;			/* closed loop: request start; crr: connect start */
	uint64_t t_connect;
	uint64_t t0, interval;		/* open loop schedule */
	int gidx;			/* global connection index */
};

/* A marker that the event is the listening socket's. */
static char listener_marker;

uint64_t tperf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

#define CNT_ADD(x, n) __atomic_store_n(&(x), (x) + (n), __ATOMIC_RELAXED)

void tperf_thread_fail(struct tperf_thread *th, const char *fmt, ...)
{
	va_list ap;

	if (th->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(th->errmsg, sizeof(th->errmsg), fmt, ap);
	va_end(ap);
	th->failed = true;
	if (!th->ctx->t_stopped)
		th->ctx->t_stopped = tperf_now_ns();
	th->ctx->stop = 1;
}

/* ------------------------------------------------------------ accounting */

static bool in_window(const struct tperf_ctx *ctx, uint64_t now)
{
	return now >= ctx->t_mstart && now < ctx->t_mend;
}

static struct tperf_sec *sec_of(struct tperf_thread *th, uint64_t now)
{
	uint64_t k = (now - th->ctx->t_mstart) / NS;

	if (k >= (uint64_t)th->nr_secs)
		k = (uint64_t)th->nr_secs - 1;
	return &th->secs[k];
}

/* Count traffic: client only inside the measured window, server always. */
static void acct(struct tperf_thread *th, uint64_t now, uint64_t bytes_tx, uint64_t bytes_rx,
		 uint64_t msgs, uint64_t conns)
{
	struct tperf_ctx *ctx = th->ctx;

	if (ctx->cfg.role == TPERF_CLIENT) {
		struct tperf_sec *s;

		if (!in_window(ctx, now))
			return;
		s = sec_of(th, now);
		s->bytes += bytes_tx + bytes_rx;
		s->messages += msgs;
		s->connections += conns;
	}
	CNT_ADD(th->bytes_tx, bytes_tx);
	CNT_ADD(th->bytes_rx, bytes_rx);
	CNT_ADD(th->messages, msgs);
	CNT_ADD(th->connections, conns);
}

static void record_lat(struct tperf_thread *th, uint64_t now, uint64_t lat)
{
	struct tperf_sec *s;

	if (!in_window(th->ctx, now))
		return;
	hdr_record(th->lat, (int64_t)lat);
	s = sec_of(th, now);
	if (s->lat == NULL)
		s->lat = hdr_create(1, HDR_HIGHEST_DEFAULT, 2);
	if (s->lat)
		hdr_record(s->lat, (int64_t)lat);
}

static uint64_t msgs_between(uint64_t from, uint64_t to, uint32_t m)
{
	return to / m - from / m;
}

struct cpu_snap {
	double user, sys;
	uint64_t ns;
};

static void cpu_snap(struct cpu_snap *s)
{
	struct rusage ru;
	struct timespec ts;

	getrusage(RUSAGE_THREAD, &ru);
	s->user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	s->sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	s->ns = (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ connections */

static struct tperf_conn *conn_new(struct tperf_thread *th)
{
	struct tperf_conn *c = calloc(1, sizeof(*c));
	struct tperf_conn **v;

	if (c == NULL)
		return NULL;
	v = realloc(th->conns, (size_t)(th->nr_conns + 1) * sizeof(*v));
	if (v == NULL) {
		free(c);
		return NULL;
	}
	th->conns = v;
	c->th = th;
	c->sid = -1;
	c->idx = th->nr_conns;
	th->conns[th->nr_conns++] = c;
	return c;
}

static void conn_free(struct tperf_conn *c)
{
	struct tperf_thread *th = c->th;

	th->conns[c->idx] = th->conns[--th->nr_conns];
	th->conns[c->idx]->idx = c->idx;
	free(c);
}

static void conn_close(struct tperf_conn *c)
{
	if (c->sid >= 0)
		c->th->ctx->be->close(c->th, c->sid);
	c->sid = -1;
	c->state = CS_CLOSED;
}

static void conn_interest(struct tperf_conn *c, bool out)
{
	if (c->sid < 0 || out == c->want_out)
		return;
	c->want_out = out;
	c->th->ctx->be->watch(c->th, c->sid, TPERF_EV_IN | (out ? TPERF_EV_OUT : 0), c);
}

static bool client_running(struct tperf_thread *th)
{
	return !th->ctx->stop && tperf_now_ns() < th->ctx->t_mend;
}

/* The peer went away or failed. Fatal for a client while running. */
static void conn_lost(struct tperf_conn *c, int err)
{
	struct tperf_thread *th = c->th;
	const struct tperf_cfg *cfg = &th->ctx->cfg;

	if (err)
		CNT_ADD(th->err_reset, 1);
	if (c->server) {
		if (c->ctrl) {
			__atomic_fetch_add(&th->ctx->sessions_done, 1, __ATOMIC_RELAXED);
			if (cfg->once)
				th->ctx->stop = 1;
		}
		conn_close(c);
		CNT_ADD(th->nr_open, -1);
		conn_free(c);
		return;
	}
	if (client_running(th) || (c->ctrl && th->ctx->go == 0))
		tperf_thread_fail(th, "%s connection to %s:%u: %s%s%s", c->ctrl ? "control" : "data",
				  cfg->server, cfg->port,
				  err ? "the server reset the connection (" : "server closed the connection",
				  err ? strerror(err) : "", err ? ")" : "");
	conn_close(c);
}

/* Write what the connection owes: the hello, then payload up to tx_goal. */
static void conn_pump(struct tperf_conn *c)
{
	struct tperf_thread *th = c->th;
	const struct tperf_backend *be = th->ctx->be;

	for (int i = 0; i < TX_BURST; i++) {
		uint32_t hp = c->hello_len - c->hello_done;
		uint64_t pay, old = c->tx_off;
		size_t total, np;
		uint8_t *buf;
		ssize_t n;

		if (hp == 0 && c->tx_off >= c->tx_goal)
			break;
		if (c->tx_goal == NO_LIMIT)
			pay = c->m - c->tx_off % c->m;	/* the rest of this message */
		else
			pay = c->tx_goal - c->tx_off;
		if (pay > th->txbuf_len - TPERF_HELLO_LEN)
			pay = th->txbuf_len - TPERF_HELLO_LEN;
		total = hp + pay;
		buf = be->tx_buf(th, &total);
		if (buf == NULL)
			break;
		if (hp > total)
			hp = (uint32_t)total;
		memcpy(buf, c->hello + c->hello_done, hp);
		np = total - hp;
		if (c->integ && np)
			tperf_pattern_fill(buf + hp, c->tx_off, np, c->tx_seed);
		n = be->tx_commit(th, c->sid, buf, total);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
				break;
			conn_lost(c, errno);
			return;
		}
		if ((size_t)n <= hp) {
			c->hello_done += (uint32_t)n;
		} else {
			c->hello_done += hp;
			c->tx_off += (uint64_t)n - hp;
			acct(th, tperf_now_ns(), c->tx_off - old, 0,
			     c->test == TPERF_T_WRITE || c->test == TPERF_T_RW ||
			     (c->server && c->test == TPERF_T_READ) ?
				     msgs_between(old, c->tx_off, c->m) : 0, 0);
		}
		if ((size_t)n < total)
			break;
	}
	conn_interest(c, c->hello_done < c->hello_len || c->tx_off < c->tx_goal);
}

/* Open (or re-open, for crr) a client data connection. */
static int conn_connect(struct tperf_conn *c)
{
	struct tperf_thread *th = c->th;
	const struct tperf_cfg *cfg = &th->ctx->cfg;
	struct tperf_hello h = {
		.version = TPERF_PROTO_VERSION,
		.test = (uint8_t)c->test,
		.flags = cfg->integrity ? TPERF_F_INTEGRITY : 0,
		.msg_size = cfg->msg_size,
		.conn_index = (uint32_t)c->gidx,
		.session_id = th->ctx->session_id,
		.duration_ms = (uint32_t)(cfg->duration_s * 1000),
		.rate = (uint32_t)cfg->rate,
	};

	tperf_hello_encode(&h, c->hello);
	c->hello_len = TPERF_HELLO_LEN;
	c->hello_done = 0;
	c->hin_len = c->ctrl ? TPERF_HELLO_LEN : 0;
	c->hin_got = 0;
	c->tx_off = c->rx_off = c->tx_goal = c->done = 0;
	c->want_out = true;	/* connect registers IN|OUT */
	c->state = CS_CONNECTING;
	c->t_connect = c->t_req = tperf_now_ns();
	c->sid = th->ctx->be->connect(th, cfg->server, cfg->port, c);
	if (c->sid < 0) {
		CNT_ADD(th->err_connect, 1);
		tperf_thread_fail(th, "connect to %s:%u: %s", cfg->server, cfg->port,
				  strerror(errno));
		c->state = CS_CLOSED;
		return -1;
	}
	return 0;
}

static void client_start_request(struct tperf_conn *c, uint64_t now)
{
	c->t_req = now;
	c->tx_goal += c->m;
	conn_pump(c);
}

static void client_connected(struct tperf_conn *c, uint64_t now)
{
	const struct tperf_cfg *cfg = &c->th->ctx->cfg;

	c->state = CS_RUN;
	switch (c->test) {
	case TPERF_T_WRITE:
	case TPERF_T_RW:
		c->tx_goal = NO_LIMIT;
		break;
	case TPERF_T_RR:
		if (cfg->rate > 0) {
			int total = cfg->threads * cfg->conns;

			c->interval = (uint64_t)(NS / cfg->rate);
			if (c->interval == 0)
				c->interval = 1;
			/* Stagger connections over one interval to avoid lock-step bursts. */
			c->t0 = now + c->interval * (uint64_t)c->gidx / (uint64_t)total;
			break;
		}
		client_start_request(c, now);
		return;
	case TPERF_T_CRR:
		c->tx_goal = c->m;	/* t_req is the connect start */
		break;
	default:
		break;
	}
	conn_pump(c);
}

/* Receive callback: consume the peer's hello if one is due, then payload. */
static void conn_rx_cb(void *arg, const uint8_t *data, size_t len)
{
	struct tperf_conn *c = arg;
	struct tperf_thread *th = c->th;
	const struct tperf_cfg *cfg = &th->ctx->cfg;
	uint64_t old, now;

	if (c->bad)
		return;
	if (c->hin_got < c->hin_len) {
		size_t k = c->hin_len - c->hin_got;

		if (k > len)
			k = len;
		memcpy(c->hin + c->hin_got, data, k);
		c->hin_got += (uint32_t)k;
		data += k;
		len -= k;
		if (c->hin_got == c->hin_len) {
			struct tperf_hello h;
			const char *why = NULL;

			if (tperf_hello_decode(c->hin, &h, &why) < 0 ||
			    (!c->server && !(h.flags & TPERF_F_CTRL_ACK))) {
				c->bad = true;
				if (c->server)
					fprintf(stderr, "tperf: dropping a connection: %s\n",
						why ? why : "bad hello");
				else
					tperf_thread_fail(th, "control connection: bad answer from server: %s",
							  why ? why : "no ack");
				return;
			}
			if (c->server) {
				c->test = h.test;
				c->m = h.msg_size;
				c->integ = h.flags & TPERF_F_INTEGRITY;
				c->ctrl = h.test == TPERF_T_CTRL;
				c->rx_seed = TPERF_SEED_C2S;
				c->tx_seed = TPERF_SEED_S2C;
				if (c->ctrl) {
					h.flags |= TPERF_F_CTRL_ACK;
					tperf_hello_encode(&h, c->hello);
					c->hello_len = TPERF_HELLO_LEN;
				} else {
					th->ctx->server_test = h.test;
					th->ctx->server_msg_size = h.msg_size;
					if (h.test == TPERF_T_READ || h.test == TPERF_T_RW)
						c->tx_goal = NO_LIMIT;
				}
			}
		}
		if (len == 0)
			return;
	}
	if (c->ctrl || c->hin_got < c->hin_len)
		return;	/* nothing may follow a control hello */
	if (c->integ) {
		ssize_t bad = tperf_pattern_check(data, c->rx_off, len, c->rx_seed);

		if (bad >= 0) {
			uint64_t off = c->rx_off + (uint64_t)bad;

			c->bad = true;
			CNT_ADD(th->err_integrity, 1);
			if (c->server)
				fprintf(stderr, "tperf: integrity error from a client at stream offset %llu: "
					"byte 0x%02x, expected 0x%02x; closing it\n", (unsigned long long)off,
					data[bad], tperf_pattern_byte(off, c->rx_seed));
			else
				tperf_thread_fail(th, "integrity error at stream offset %llu: byte 0x%02x, expected 0x%02x",
						  (unsigned long long)off, data[bad],
						  tperf_pattern_byte(off, c->rx_seed));
			return;
		}
	}
	old = c->rx_off;
	c->rx_off += len;
	now = tperf_now_ns();
	if (c->server) {
		if (c->test == TPERF_T_RR || c->test == TPERF_T_CRR) {
			uint64_t reqs = c->rx_off / c->m;

			acct(th, now, 0, len, reqs - c->done, 0);
			c->done = reqs;
			c->tx_goal = reqs * c->m;
			if (c->test == TPERF_T_CRR && c->tx_goal > c->m)
				c->tx_goal = c->m;
		} else {
			acct(th, now, 0, len, msgs_between(old, c->rx_off, c->m), 0);
		}
		return;
	}
	if (c->test == TPERF_T_READ || c->test == TPERF_T_RW) {
		acct(th, now, 0, len, msgs_between(old, c->rx_off, c->m), 0);
		return;
	}
	/* rr / crr: each completed response is one transaction. */
	acct(th, now, 0, len, 0, 0);
	while (c->rx_off >= (c->done + 1) * c->m) {
		uint64_t start;

		if (c->test == TPERF_T_CRR)
			start = c->t_connect;
		else if (cfg->rate > 0)
			start = c->t0 + c->done * c->interval;	/* intended send time */
		else
			start = c->t_req;
		c->done++;
		record_lat(th, now, now - start);
		acct(th, now, 0, 0, 1, c->test == TPERF_T_CRR);
	}
}

/* Client actions after a receive: next request, crr state. */
static void client_after_rx(struct tperf_conn *c)
{
	const struct tperf_cfg *cfg = &c->th->ctx->cfg;

	if (c->test == TPERF_T_RR && cfg->rate <= 0 && c->done * c->m == c->tx_goal &&
	    c->rx_off == c->tx_goal && client_running(c->th))
		client_start_request(c, tperf_now_ns());
	else if (c->test == TPERF_T_CRR && c->done >= 1)
		c->state = CS_WAIT_EOF;
}

static void conn_rx(struct tperf_conn *c)
{
	struct tperf_thread *th = c->th;
	ssize_t n = th->ctx->be->recv(th, c->sid, conn_rx_cb, c);

	if (c->bad) {
		if (c->server) {
			conn_lost(c, 0);
		} else {
			conn_close(c);
		}
		return;
	}
	if (n == 0) {
		if (!c->server && c->state == CS_WAIT_EOF) {
			/* crr: the server closes first, so TIME_WAIT stays on its side. */
			conn_close(c);
			if (client_running(th))
				conn_connect(c);
			return;
		}
		if (!c->server && c->ctrl && th->ctx->stop) {
			conn_close(c);
			return;
		}
		conn_lost(c, 0);
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			conn_lost(c, errno);
		return;
	}
	if (c->server) {
		if (c->state == CS_RUN)
			conn_pump(c);
		return;
	}
	if (c->ctrl) {
		if (c->hin_got == c->hin_len && th->ctx->go == 0) {
			struct tperf_ctx *ctx = th->ctx;
			uint64_t now = tperf_now_ns();

			ctx->t_start = now;
			ctx->t_mstart = now + (uint64_t)(ctx->cfg.warmup_s * NS);
			ctx->t_mend = ctx->t_mstart + (uint64_t)(ctx->cfg.duration_s * NS);
			__atomic_store_n(&ctx->go, 1, __ATOMIC_RELEASE);
		}
		return;
	}
	client_after_rx(c);
}

static void conn_event(struct tperf_conn *c, uint32_t ev)
{
	struct tperf_thread *th = c->th;

	if (c->state == CS_CLOSED)
		return;
	if (c->state == CS_CONNECTING) {
		int r = th->ctx->be->connect_check(th, c->sid, ev);

		if (r > 0)
			return;
		if (r < 0) {
			CNT_ADD(th->err_connect, 1);
			tperf_thread_fail(th, "connect to %s:%u: %s", th->ctx->cfg.server,
					  th->ctx->cfg.port, strerror(-r));
			conn_close(c);
			return;
		}
		if (c->ctrl) {
			c->state = CS_RUN;
			conn_pump(c);
		} else {
			client_connected(c, tperf_now_ns());
		}
		if (c->state == CS_CLOSED)
			return;
	}
	if (ev & TPERF_EV_OUT) {
		conn_pump(c);
		if (c->state == CS_CLOSED || th->failed)
			return;
		if (c->server && c->test == TPERF_T_CRR && c->tx_off >= c->m) {
			conn_lost(c, 0);	/* response sent: close first */
			return;
		}
	}
	if (ev & (TPERF_EV_IN | TPERF_EV_ERR | TPERF_EV_HUP)) {
		bool server = c->server;

		conn_rx(c);
		if (server) /* c may be gone */
			return;
	}
}

/* ------------------------------------------------------------ server */

static void server_accept(struct tperf_thread *th)
{
	int sids[32];
	int n;

	while ((n = th->ctx->be->accept(th, sids, 32)) > 0) {
		for (int i = 0; i < n; i++) {
			struct tperf_conn *c = conn_new(th);

			if (c == NULL) {
				th->ctx->be->close(th, sids[i]);
				continue;
			}
			c->server = true;
			c->sid = sids[i];
			c->state = CS_RUN;
			c->hin_len = TPERF_HELLO_LEN;
			c->m = 1;
			c->want_out = true;
			conn_interest(c, false);
			CNT_ADD(th->nr_open, 1);
		}
		if (n < 32)
			break;
	}
}

static void server_loop(struct tperf_thread *th)
{
	struct tperf_ctx *ctx = th->ctx;
	const struct tperf_backend *be = ctx->be;
	struct tperf_event ev[NR_EVENT];

	while (!ctx->stop) {
		int n = be->poll(th, ev, NR_EVENT, 100000000);

		if (be->accept_polled)
			server_accept(th);
		for (int i = 0; i < n; i++) {
			if (ev[i].data == &listener_marker) {
				server_accept(th);
				continue;
			}
			struct tperf_conn *c = ev[i].data;

			conn_event(c, ev[i].events);
			/* crr: close as soon as the response is out */
		}
		for (int i = 0; i < th->nr_conns; i++) {
			struct tperf_conn *c = th->conns[i];

			if (c->test == TPERF_T_CRR && c->tx_goal == c->m && c->tx_off >= c->m) {
				conn_lost(c, 0);
				i--;
			}
		}
	}
}

void *tperf_listener_data(void)
{
	return &listener_marker;
}

/* ------------------------------------------------------------ client */

static int64_t client_timeout(struct tperf_thread *th, uint64_t now)
{
	const struct tperf_ctx *ctx = th->ctx;
	uint64_t next = now + 50000000;	/* wake at least every 50 ms */

	if (ctx->cfg.rate > 0)
		for (int i = 0; i < th->nr_conns; i++) {
			struct tperf_conn *c = th->conns[i];
			uint64_t due;

			if (c->state != CS_RUN || c->ctrl)
				continue;
			due = now < c->t0 ? c->t0 : c->t0 + ((now - c->t0) / c->interval + 1) * c->interval;
			if (due < next)
				next = due;
		}
	if (ctx->t_mend && ctx->t_mend < next)
		next = ctx->t_mend;
	return next > now ? (int64_t)(next - now) : 0;
}

static void client_schedule(struct tperf_thread *th, uint64_t now)
{
	for (int i = 0; i < th->nr_conns; i++) {
		struct tperf_conn *c = th->conns[i];
		uint64_t due;

		if (c->state != CS_RUN || c->ctrl || now < c->t0)
			continue;
		due = (now - c->t0) / c->interval + 1;
		if (due * c->m > c->tx_goal) {
			c->tx_goal = due * c->m;
			conn_pump(c);
		}
	}
}

static void client_check_connect_timeout(struct tperf_thread *th, uint64_t now)
{
	uint64_t limit = (uint64_t)(th->ctx->cfg.connect_timeout_s * NS);

	for (int i = 0; i < th->nr_conns; i++) {
		struct tperf_conn *c = th->conns[i];

		if (c->state == CS_CONNECTING && now - c->t_connect > limit) {
			CNT_ADD(th->err_timeouts, 1);
			tperf_thread_fail(th, "connect to %s:%u: no answer within %.1f s (--connect-timeout)",
					  th->ctx->cfg.server, th->ctx->cfg.port,
					  th->ctx->cfg.connect_timeout_s);
			return;
		}
	}
}

static void client_poll(struct tperf_thread *th, int64_t timeout)
{
	struct tperf_event ev[NR_EVENT];
	int n = th->ctx->be->poll(th, ev, NR_EVENT, timeout);

	for (int i = 0; i < n && !th->failed; i++)
		conn_event(ev[i].data, ev[i].events);
}

static void publish_sec(struct tperf_thread *th, uint64_t now)
{
	const struct tperf_ctx *ctx = th->ctx;
	int k = now < ctx->t_mstart ? -1 : (int)((now - ctx->t_mstart) / NS);

	if (k != th->cur_sec)
		__atomic_store_n(&th->cur_sec, k, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------ l2pp client */

#define L2PP_LOSS_NS 50000000ULL	/* a ping unanswered this long is lost */

struct l2pp {
	uint8_t dst[6];
	bool learned, out;
	uint64_t seq, t_sent, t_first, pongs;
	uint8_t *tx, *rx;
};

static struct l2pp *l2pp_start(struct tperf_thread *th)
{
	const struct tperf_backend *be = th->ctx->be;
	struct l2pp *l = calloc(1, sizeof(*l));

	if (l == NULL || (l->tx = malloc(TPERF_L2_MAX)) == NULL || (l->rx = malloc(TPERF_L2_MAX + 64)) == NULL) {
		tperf_thread_fail(th, "out of memory");
		goto err;
	}
	if (be->l2_open == NULL) {
		tperf_thread_fail(th, "-t l2pp: the %s backend has no raw L2 access", be->name);
		goto err;
	}
	if (be->l2_open(th, th->ctx->cfg.server) < 0) {
		if (!th->failed)
			tperf_thread_fail(th, "-t l2pp: no raw access towards %s", th->ctx->cfg.server);
		goto err;
	}
	memset(l->dst, 0xff, 6);	/* broadcast until the first pong names the server */
	l->t_first = tperf_now_ns();
	return l;
err:
	if (l) {
		free(l->tx);
		free(l->rx);
	}
	free(l);
	return NULL;
}

static void l2pp_stop(struct tperf_thread *th, struct l2pp *l)
{
	th->ctx->be->l2_close(th);
	free(l->tx);
	free(l->rx);
	free(l);
}

/* One ping in flight (closed loop); the RTT goes to the same histogram as rr. */
static void l2pp_turn(struct tperf_thread *th, struct l2pp *l, uint64_t now)
{
	struct tperf_ctx *ctx = th->ctx;
	const struct tperf_backend *be = ctx->be;
	uint32_t m = ctx->cfg.msg_size;
	uint64_t until;
	size_t bad;
	ssize_t n;
	int rc;

	if (!l->out) {
		tperf_l2_build(l->tx, m, l->dst, ctx->session_id, l->seq, now, ctx->cfg.integrity);
		l->t_sent = tperf_now_ns();
		if (be->l2_send(th, l->tx, m) < 0) {
			tperf_thread_fail(th, "-t l2pp: send of a %u-byte frame failed: %s", m, strerror(errno));
			return;
		}
		l->out = true;
	}
	until = l->t_sent + L2PP_LOSS_NS;
	if (ctx->t_mend && ctx->t_mend < until)
		until = ctx->t_mend;
	n = be->l2_recv(th, l->rx, TPERF_L2_MAX + 64, until > now ? (int64_t)(until - now) : 0);
	now = tperf_now_ns();
	if (n < 0) {
		tperf_thread_fail(th, "-t l2pp: receive failed: %s", strerror(errno));
		return;
	}
	rc = n > 0 ? tperf_l2_check(l->rx, (size_t)n, m, ctx->session_id, l->seq, &bad) : 0;
	if (rc < 0) {
		CNT_ADD(th->err_integrity, 1);
		tperf_thread_fail(th, "integrity: l2pp echo of ping %llu: frame byte %zu is wrong "
				  "(got %zd-byte frame, expected %u; byte 0x%02x)", (unsigned long long)l->seq,
				  bad, n, m, bad < (size_t)n ? l->rx[bad] : 0);
		return;
	}
	if (rc > 0) {
		record_lat(th, now, now - l->t_sent);
		acct(th, now, m, m, 1, 0);
		if (!l->learned) {
			memcpy(l->dst, l->rx + 6, 6);
			l->learned = true;
		}
		l->pongs++;
		l->out = false;
		l->seq++;
		return;
	}
	if (l->out && now - l->t_sent >= L2PP_LOSS_NS) {
		if (in_window(ctx, now))
			CNT_ADD(th->err_timeouts, 1);
		if (l->pongs == 0 && now - l->t_first > (uint64_t)(ctx->cfg.connect_timeout_s * NS)) {
			tperf_thread_fail(th, "-t l2pp: no echo from %s within %.1f s (is the server a tperf -s "
					  "on the same L2 segment?)", ctx->cfg.server, ctx->cfg.connect_timeout_s);
			return;
		}
		l->out = false;
		l->seq++;
	}
}

static void client_loop(struct tperf_thread *th)
{
	struct l2pp *l2 = NULL;
	struct tperf_ctx *ctx = th->ctx;
	const struct tperf_cfg *cfg = &ctx->cfg;
	struct cpu_snap c0 = {0}, c1;
	bool measuring = false;
	uint64_t now;

	if (th->id == 0) {
		struct tperf_conn *c = conn_new(th);

		if (c == NULL) {
			tperf_thread_fail(th, "out of memory");
			goto out;
		}
		th->ctrl = c;
		c->ctrl = true;
		c->test = TPERF_T_CTRL;
		c->m = 1;
		if (conn_connect(c) < 0)
			goto out;
		while (!ctx->go && !th->failed && !ctx->stop) {
			now = tperf_now_ns();
			client_check_connect_timeout(th, now);
			if (c->state == CS_RUN && now - c->t_connect > (uint64_t)(cfg->connect_timeout_s * NS)) {
				CNT_ADD(th->err_timeouts, 1);
				tperf_thread_fail(th, "control connection to %s:%u: no answer from the server within %.1f s",
						  cfg->server, cfg->port, cfg->connect_timeout_s);
			}
			client_poll(th, 10000000);
		}
		if (!ctx->go) {
			ctx->go = -1;
			goto out;
		}
	} else {
		while (__atomic_load_n(&ctx->go, __ATOMIC_ACQUIRE) == 0 && !ctx->stop) {
			struct timespec ts = {0, 1000000};

			nanosleep(&ts, NULL);
		}
		if (ctx->go < 0 || ctx->stop)
			goto out;
	}

	if (cfg->test == TPERF_T_L2PP) {
		l2 = l2pp_start(th);
		if (l2 == NULL)
			goto out;
	}
	for (int i = 0; l2 == NULL && i < cfg->conns; i++) {
		struct tperf_conn *c = conn_new(th);

		if (c == NULL) {
			tperf_thread_fail(th, "out of memory");
			goto out;
		}
		c->test = cfg->test;
		c->m = cfg->msg_size;
		c->integ = cfg->integrity;
		c->tx_seed = TPERF_SEED_C2S;
		c->rx_seed = TPERF_SEED_S2C;
		c->gidx = th->id * cfg->conns + i;
		if (conn_connect(c) < 0)
			goto out;
	}

	for (;;) {
		now = tperf_now_ns();
		if (now >= ctx->t_mend || ctx->stop)
			break;
		if (!measuring && now >= ctx->t_mstart) {
			cpu_snap(&c0);
			measuring = true;
		}
		publish_sec(th, now);
		client_check_connect_timeout(th, now);
		if (cfg->rate > 0)
			client_schedule(th, now);
		if (th->failed)
			break;
		if (l2)
			l2pp_turn(th, l2, now);
		else
			client_poll(th, ctx->be->accept_polled ? 0 : client_timeout(th, now));
		if (th->failed)
			break;
	}
out:
	if (l2)
		l2pp_stop(th, l2);
	now = tperf_now_ns();
	cpu_snap(&c1);
	if (!measuring)
		c0 = c1;
	th->user_s = c1.user - c0.user;
	th->sys_s = c1.sys - c0.sys;
	th->cpu_ns = c1.ns - c0.ns;
	__atomic_store_n(&th->cur_sec, INT32_MAX, __ATOMIC_RELEASE);
	for (int i = 0; i < th->nr_conns; i++)
		if (th->conns[i] != th->ctrl && th->conns[i]->state != CS_CLOSED)
			conn_close(th->conns[i]);
	if (th->ctrl) {
		/* Close the session only once every thread's data connections are closed. */
		for (int i = 1; i < cfg->threads; i++)
			while (!__atomic_load_n(&ctx->threads[i].done, __ATOMIC_ACQUIRE))
				client_poll(th, 1000000);
		if (th->ctrl->state != CS_CLOSED)
			conn_close(th->ctrl);
	}
}

void *tperf_thread_main(void *arg)
{
	struct tperf_thread *th = arg;
	struct tperf_ctx *ctx = th->ctx;
	const struct tperf_cfg *cfg = &ctx->cfg;
	struct cpu_snap c0, c1;

	th->cur_sec = -1;
	th->rxbuf_len = 256 << 10;
	th->txbuf_len = (cfg->msg_size > (256u << 10) ? cfg->msg_size : (256u << 10)) + TPERF_HELLO_LEN;
	if (cfg->role == TPERF_SERVER)
		th->txbuf_len = (256u << 10) + TPERF_HELLO_LEN;	/* big messages go in pieces */
	th->lat = hdr_create(1, HDR_HIGHEST_DEFAULT, cfg->digits);
	th->txbuf = malloc(th->txbuf_len);
	th->rxbuf = malloc(th->rxbuf_len);
	if (th->lat == NULL || th->txbuf == NULL || th->rxbuf == NULL) {
		tperf_thread_fail(th, "out of memory");
		goto done;
	}
	if (ctx->be->thread_init(th) < 0) {
		if (!th->failed)
			tperf_thread_fail(th, "backend thread init failed");
		goto done;
	}
	if (cfg->role == TPERF_SERVER) {
		cpu_snap(&c0);
		if (ctx->be->listen(th, cfg->bind, cfg->port) < 0) {
			if (!th->failed)
				tperf_thread_fail(th, "listen on port %u: %s", cfg->port, strerror(errno));
		} else {
			server_loop(th);
		}
		cpu_snap(&c1);
		th->user_s = c1.user - c0.user;
		th->sys_s = c1.sys - c0.sys;
		th->cpu_ns = c1.ns - c0.ns;
		while (th->nr_conns)
			conn_lost(th->conns[0], 0);
	} else {
		client_loop(th);
		while (th->nr_conns) {
			if (th->conns[0]->state != CS_CLOSED)
				conn_close(th->conns[0]);
			conn_free(th->conns[0]);
		}
	}
	ctx->be->thread_fini(th);
done:
	free(th->txbuf);
	free(th->rxbuf);
	th->txbuf = th->rxbuf = NULL;
	free(th->conns);
	th->conns = NULL;
	th->ctrl = NULL;
	__atomic_store_n(&th->cur_sec, INT32_MAX, __ATOMIC_RELEASE);
	__atomic_store_n(&th->done, true, __ATOMIC_RELEASE);
	return NULL;
}
