/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tperf internals: configuration, per-thread state, the backend interface
 * (kernel sockets + epoll, or the tpa stack) and the wire protocol.
 */
#ifndef TPERF_H
#define TPERF_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <pthread.h>
#include <jansson.h>

#include "hdr.h"

#define TPERF_VERSION "0.1.0"
#define TPERF_DEFAULT_PORT 5201

/* ------------------------------------------------------------ wire protocol */

#define TPERF_MAGIC 0x54505246u		/* "TPRF" */
#define TPERF_PROTO_VERSION 1
#define TPERF_HELLO_LEN 32

/* Test codes as sent on the wire; the name is from the client's view. */
enum tperf_test {
	TPERF_T_NONE = 0,
	TPERF_T_READ = 1,	/* server sends a stream, client reads */
	TPERF_T_WRITE = 2,	/* client sends a stream, server reads */
	TPERF_T_RW = 3,		/* both at once */
	TPERF_T_RR = 4,		/* request of -m bytes, response of -m bytes */
	TPERF_T_CRR = 5,	/* rr on a new connection per request */
	TPERF_T_L2PP = 6,	/* raw L2 ping-pong (not TCP): see tperf_l2pp.c */
	TPERF_T_CTRL = 15,	/* the session's control connection */
};

#define TPERF_F_INTEGRITY 0x01
#define TPERF_F_CTRL_ACK 0x04

/** The header that opens every connection (big-endian on the wire). */
struct tperf_hello {
	uint8_t version;
	uint8_t test;
	uint8_t flags;
	uint32_t msg_size;
	uint32_t conn_index;
	uint64_t session_id;
	uint32_t duration_ms;
	uint32_t rate;
};

void tperf_hello_encode(const struct tperf_hello *h, uint8_t out[TPERF_HELLO_LEN]);
/** @return 0, or -1 with a reason in @p why (bad magic, version). */
int tperf_hello_decode(const uint8_t in[TPERF_HELLO_LEN], struct tperf_hello *h, const char **why);

const char *tperf_test_name(int test);
int tperf_test_parse(const char *s);

/* ------------------------------------------------------------ raw L2 ping-pong */

#define TPERF_L2_ETHERTYPE 0x88B5	/* IEEE 802 local experimental */
#define TPERF_L2_MAGIC 0x54504c32u	/* "TPL2" */
#define TPERF_L2_HDR 32			/* after the 14-byte Ethernet header */
#define TPERF_L2_MIN 60			/* smallest Ethernet frame without FCS */
#define TPERF_L2_MAX 9014		/* MTU 9000 + Ethernet header */
#define TPERF_L2_PING 1
#define TPERF_L2_PONG 2

/** Fill @p frame (len bytes from the Ethernet header on) as ping @p seq. */
void tperf_l2_build(uint8_t *frame, size_t len, const uint8_t dst[6], uint64_t session, uint64_t seq,
		    uint64_t t_ns, bool integrity);
/**
 * Check a frame received by the client: 1 the pong of @p seq, 0 another
 * frame (stale, other session), -1 pong of @p seq with a wrong payload byte
 * (its offset in *bad_off).
 */
int tperf_l2_check(const uint8_t *frame, size_t len, size_t want_len, uint64_t session, uint64_t seq,
		   size_t *bad_off);
/**
 * Server: turn a ping (payload after the Ethernet header) into its pong in
 * place; 0 done, -1 not a tperf ping (leave it).
 */
int tperf_l2_pong(uint8_t *payload, size_t len);

/* ------------------------------------------------------------ payload pattern */

#define TPERF_SEED_C2S 0x6c62272e07bb0142ULL
#define TPERF_SEED_S2C 0x2545f4914f6cdd1dULL

/** Fill @p buf with the pattern bytes of stream offsets [off, off+len). */
void tperf_pattern_fill(uint8_t *buf, uint64_t off, size_t len, uint64_t seed);
/** @return -1 if buf matches, else the index of the first wrong byte. */
ssize_t tperf_pattern_check(const uint8_t *buf, uint64_t off, size_t len, uint64_t seed);
/** The expected byte at stream offset @p off. */
uint8_t tperf_pattern_byte(uint64_t off, uint64_t seed);

/* ------------------------------------------------------------ configuration */

enum tperf_role { TPERF_CLIENT, TPERF_SERVER };
enum tperf_backend_kind { TPERF_BE_STACK, TPERF_BE_KERNEL };

struct tperf_cfg {
	enum tperf_role role;
	enum tperf_backend_kind backend;
	int test;
	int threads;
	int conns;			/* per thread */
	uint32_t msg_size;
	double duration_s;
	double warmup_s;
	uint16_t port;
	const char *server;
	const char *bind;
	int zcopy;
	int zcopy_effective;
	bool integrity;
	double rate;			/* rr open loop: requests/s per connection, 0 = closed */
	bool verbose;
	bool once;			/* server: exit after one client session */
	const char *json_path;
	const char *hgrm_path;
	double hgrm_scale;		/* divide ns by this in .hgrm (1000 = us) */
	int digits;			/* histogram significant digits */
	double connect_timeout_s;
};

/* ------------------------------------------------------------ threads */

#define TPERF_EV_IN 0x001u
#define TPERF_EV_OUT 0x004u
#define TPERF_EV_ERR 0x008u
#define TPERF_EV_HUP 0x010u

struct tperf_event {
	uint32_t events;
	void *data;
};

struct tperf_sec {
	uint64_t bytes, messages, connections;
	struct hdr_hist *lat;		/* this second's latencies, 2 digits */
};

struct tperf_conn;
struct tperf_ctx;

struct tperf_thread {
	int id;
	pthread_t tid;
	struct tperf_ctx *ctx;
	void *be;			/* backend's per-thread state */

	struct tperf_conn **conns;	/* client: conns of this thread */
	int nr_conns;
	struct tperf_conn *ctrl;	/* client thread 0: control connection */
	uint8_t *txbuf, *rxbuf;
	size_t txbuf_len, rxbuf_len;

	/* measurement (client: measured window only; server: everything) */
	struct hdr_hist *lat;
	struct tperf_sec *secs;
	int nr_secs;
	int cur_sec;			/* published with release semantics */
	uint64_t bytes_tx, bytes_rx, messages, connections;
	uint64_t err_integrity, err_connect, err_reset, err_timeouts;
	uint64_t retrans_pkts, rto, fast_retrans;
	double user_s, sys_s;
	uint64_t cpu_ns;
	bool done;			/* loop left (read by main) */
	bool failed;
	char errmsg[256];
	int nr_open;			/* server: open data connections */
};

struct tperf_ctx {
	struct tperf_cfg cfg;
	const struct tperf_backend *be;
	struct tperf_thread *threads;
	uint64_t session_id;
	/* client timeline (CLOCK_MONOTONIC ns), set by thread 0 once the server answered */
	uint64_t t_start, t_mstart, t_mend;
	volatile int go;		/* 1: timeline set, start; -1: abort */
	volatile int stop;		/* ask every thread to finish */
	uint64_t t_stopped;		/* when the run actually ended (ns) */
	int server_test;		/* server: test of the last session seen */
	uint32_t server_msg_size;
	uint64_t server_first_ns, server_last_ns;
	int sessions_done;
	char started_at[32];
};

/* ------------------------------------------------------------ backend */

typedef void (*tperf_rx_fn)(void *arg, const uint8_t *data, size_t len);

struct tperf_backend {
	const char *name;
	/** Process-wide start, before threads. */
	int (*init)(struct tperf_ctx *ctx);
	void (*fini)(struct tperf_ctx *ctx);
	/** In the thread itself. */
	int (*thread_init)(struct tperf_thread *th);
	void (*thread_fini)(struct tperf_thread *th);
	/** Non-blocking connect; returns a socket id, the socket is registered for IN|OUT. */
	int (*connect)(struct tperf_thread *th, const char *host, uint16_t port, void *data);
	/** After OUT/ERR on a connecting socket: 0 established, -errno failed, 1 still pending. */
	int (*connect_check)(struct tperf_thread *th, int sid, uint32_t events);
	int (*listen)(struct tperf_thread *th, const char *bind, uint16_t port);
	/** Take accepted sockets; *data_listener is the event data of the listener. */
	int (*accept)(struct tperf_thread *th, int *sids, int nr);
	bool accept_polled;		/* call accept every loop turn (no listener event) */
	int (*watch)(struct tperf_thread *th, int sid, uint32_t events, void *data);
	/** A buffer to write up to *len bytes from (may lower *len); NULL if none free. */
	uint8_t *(*tx_buf)(struct tperf_thread *th, size_t *len);
	/** Send from a tx_buf buffer: bytes queued, or -1 with errno. */
	ssize_t (*tx_commit)(struct tperf_thread *th, int sid, uint8_t *buf, size_t len);
	/** Read what is queued, calling fn per chunk: bytes read, 0 at EOF, -1 with errno. */
	ssize_t (*recv)(struct tperf_thread *th, int sid, tperf_rx_fn fn, void *arg);
	/** Wait up to timeout_ns (0: do not wait) for events. */
	int (*poll)(struct tperf_thread *th, struct tperf_event *ev, int max, int64_t timeout_ns);
	void (*close)(struct tperf_thread *th, int sid);
	/** Add backend facts to the result (stack counters, stages, dpdk version). */
	void (*report)(struct tperf_ctx *ctx, json_t *root);
	/*
	 * l2pp client. Servers answer pings by themselves (the backend hooks
	 * EtherType TPERF_L2_ETHERTYPE when it listens).
	 */
	/** Raw access to the port/interface that leads to @p host; 0, or -1 after tperf_thread_fail. */
	int (*l2_open)(struct tperf_thread *th, const char *host);
	/** Send a whole frame (the source MAC is set by the backend): 0 or -1 with errno. */
	int (*l2_send)(struct tperf_thread *th, const uint8_t *frame, size_t len);
	/**
	 * Wait up to @p timeout_ns for a frame of TPERF_L2_ETHERTYPE; copy it (from
	 * the Ethernet header on; the destination MAC may read as zero) into @p buf.
	 * @return its length, 0 if none came, -1 on error.
	 */
	ssize_t (*l2_recv)(struct tperf_thread *th, uint8_t *buf, size_t max, int64_t timeout_ns);
	void (*l2_close)(struct tperf_thread *th);
};

extern const struct tperf_backend tperf_kernel_backend;
#ifdef TPERF_HAVE_STACK
extern const struct tperf_backend tperf_stack_backend;
#endif

/* ------------------------------------------------------------ helpers */

uint64_t tperf_now_ns(void);
/** Event data that marks the listening socket's events. */
void *tperf_listener_data(void);
void *tperf_thread_main(void *arg);
void tperf_thread_fail(struct tperf_thread *th, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* host facts */
json_t *tperf_host_json(const struct tperf_ctx *ctx);
void tperf_git_commit(const char **commit, bool *dirty);
const char *tperf_dpdk_version(void);

/* reporting */
void tperf_sample_collect(struct tperf_ctx *ctx, int sec, json_t *samples, bool print);
int tperf_report(struct tperf_ctx *ctx, int ok, const char *error, json_t *samples);

#endif /* TPERF_H */
