/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * tpa: a userspace TCP/IP stack on DPDK, embedded in the application's threads.
 *
 * Model
 * -----
 * tpa_init() reads the configuration, starts DPDK and the port, and creates
 * N workers. The application then calls tpa_worker_init() once in each of N
 * threads of its own and drives that worker by calling tpa_worker_run() in its
 * loop. The stack creates no datapath thread of its own (run-to-completion).
 *
 * A socket belongs to the worker of the thread that created it (connect) or
 * that received its SYN (accept); all calls on a socket must come from the
 * thread that owns that worker. Socket ids are small non-negative integers,
 * unique across workers.
 *
 * Errors are returned as -1 with errno set (EAGAIN, ECONNRESET, ECONNREFUSED,
 * ETIMEDOUT, EPIPE, EINVAL, ENOMEM, ...), like the socket API.
 *
 * Addresses are family-agnostic in every table and structure (struct
 * tpa_addr); today only IPv4 is implemented, IPv6 is planned.
 */
#ifndef TPA_H
#define TPA_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TPA_VERSION "0.1.0"

struct tpa_worker;

/** An address of either family; only AF_INET is implemented today. */
struct tpa_addr {
	uint8_t family;		/**< AF_INET or AF_INET6 */
	uint8_t pad[3];
	union {
		uint32_t v4;	/**< network byte order */
		uint8_t v6[16];
	};
};

/* ---------------------------------------------------------------- setup */

/**
 * Start the stack with @p nr_worker workers.
 *
 * Configuration comes, in increasing precedence, from built-in defaults, the
 * file named by $TPA_CFG_FILE (or ./tpa.cfg when present), and the
 * semicolon-separated "key=value" list in $TPA_CFG. See docs/config.md.
 * Every bad value is rejected with a message naming the key and the value.
 *
 * @return 0 on success; -1 with errno set and a message on stderr otherwise.
 *         Nothing is left behind on failure (no hugepage files, no TAP).
 */
int tpa_init(int nr_worker);

/**
 * Stop the port and release DPDK resources; safe to call once after tpa_init,
 * from one thread once the worker threads stopped. Closed connections get up
 * to 200 ms to send their queued data and FIN first.
 */
void tpa_fini(void);

/** Bind the calling thread to the next free worker; NULL when all are taken. */
struct tpa_worker *tpa_worker_init(void);

/**
 * Run one iteration of the worker: receive and process a burst, fire due
 * timers, flush transmit queues. Applies the configured idle policy when the
 * worker found nothing to do for a while (may sleep up to a few ms).
 */
void tpa_worker_run(struct tpa_worker *worker);

/** The worker's index, 0..nr_worker-1. */
int tpa_worker_id(const struct tpa_worker *worker);

/* -------------------------------------------------------------- sockets */

/** Options for tpa_connect_to() and tpa_listen_on(); zero means default. */
struct tpa_sock_opts {
	uint16_t local_port;	/**< connect: bind to this local port (0: pick one) */
	struct tpa_addr local_ip; /**< connect: local address (family 0: the port's) */
	void *data;		/**< opaque user data, returned in events by default */
	uint32_t listen_backlog; /**< listen: bound on half-open + unaccepted (0: 128) */
	uint8_t reserved[32];
};

/**
 * Open a connection to @p server (dotted IPv4) port @p port. Non-blocking:
 * returns the socket id at once; the socket turns writable when established,
 * or reports TPA_EVENT_ERR with errno ECONNREFUSED/ETIMEDOUT from read/write.
 * Must be called from a thread bound to a worker.
 */
int tpa_connect_to(const char *server, uint16_t port, const struct tpa_sock_opts *opts);

/** Listen on @p port (@p local may be NULL for the port's address). */
int tpa_listen_on(const char *local, uint16_t port, const struct tpa_sock_opts *opts);

/** Take up to @p nr established connections accepted by @p worker. */
int tpa_accept_burst(struct tpa_worker *worker, int *sid, int nr);

/**
 * Close the socket: graceful FIN once queued data is sent; RST when unread
 * data is pending (RFC 9293 3.10.4). The id may be reused after this call.
 */
int tpa_close(int sid);

/* ----------------------------------------------------------------- data */

/**
 * A zero-copy buffer. For writes the application owns iov_base until
 * iov_write_done(iov_base, iov_param) is called, which happens exactly once,
 * after the peer acknowledged every byte (or the connection is gone).
 * For reads, iov_base points into a received packet; call
 * iov_read_done(iov_base, iov_param) exactly once to release it.
 */
struct tpa_iovec {
	void *iov_base;
	uint64_t iov_phys;	/**< IO address; 0: let the stack look it up */
	uint32_t iov_reserved;
	uint32_t iov_len;
	void *iov_param;
	union {
		void (*iov_read_done)(void *iov_base, void *iov_param);
		void (*iov_write_done)(void *iov_base, void *iov_param);
	};
};

/**
 * Zero-copy write: attach the buffers to outgoing segments.
 *
 * Takes whole iovecs only: the return value is the total length of the
 * first k iovecs queued (k may be less than @p nr_iov when the send queue is
 * full). For each of those the stack owns the buffer until it calls
 * iov_write_done exactly once; the iovecs not taken stay the application's
 * (no callback). Buffers outside DPDK memory (no IO address) are copied and
 * released at once. -1 with EAGAIN when not even the first iovec fits.
 */
ssize_t tpa_zwritev(int sid, const struct tpa_iovec *iov, int nr_iov);

/** Copying write. Returns the bytes queued, or -1 (EAGAIN when the send buffer is full). */
ssize_t tpa_write(int sid, const void *buf, size_t count);

/** Zero-copy read: fill up to @p nr_iov iovecs pointing into received payloads. */
ssize_t tpa_zreadv(int sid, struct tpa_iovec *iov, int nr_iov);

/** Copying read. Returns 0 at end of stream, -1 with EAGAIN when nothing is queued. */
ssize_t tpa_read(int sid, void *buf, size_t count);

/* --------------------------------------------------------------- events */

#define TPA_EVENT_IN	0x001u	/**< readable (data, FIN, or pending accept) */
#define TPA_EVENT_OUT	0x004u	/**< writable (established and send space) */
#define TPA_EVENT_ERR	0x008u	/**< error: reset, refused, timed out */
#define TPA_EVENT_HUP	0x010u	/**< peer closed and nothing more to read */

#define TPA_EVENT_CTRL_ADD 1
#define TPA_EVENT_CTRL_DEL 2
#define TPA_EVENT_CTRL_MOD 3

struct tpa_event {
	uint32_t events;
	void *data;
};

/** Register, change or remove interest in a socket's events (level-triggered). */
int tpa_event_ctrl(int sid, int op, struct tpa_event *event);

/** Collect up to @p max ready events of sockets owned by @p worker; never blocks. */
int tpa_event_poll(struct tpa_worker *worker, struct tpa_event *events, int max);

/* ---------------------------------------------------- latency histograms */

/**
 * The stages measured on every socket (always on). Write stages start at
 * the API call (tsc_start); read stages start when the packet was received.
 */
enum tpa_lat_stage {
	TPA_LAT_WRITE_SUBMIT,	/**< write API → queued to the socket's TX queue */
	TPA_LAT_WRITE_XMIT,	/**< write API → handed to the NIC */
	TPA_LAT_WRITE_COMPLETE,	/**< write API → acknowledged by the peer */
	TPA_LAT_READ_SUBMIT,	/**< packet received → queued to the socket */
	TPA_LAT_READ_DRAIN,	/**< packet received → read by the application */
	TPA_LAT_READ_COMPLETE,	/**< packet received → released (read_done) */
	TPA_LAT_NR_STAGE
};

/** Printable name of a stage, e.g. "write_lat.submit". */
const char *tpa_lat_stage_name(enum tpa_lat_stage stage);

/**
 * A log-linear latency histogram in nanoseconds: bucket i covers a range of
 * values whose width is 1/16 of its lower bound or less (relative error
 * below 6.25%). Fixed size, merge by adding counts.
 */
#define TPA_LAT_SUB_BITS 4
#define TPA_LAT_NR_BUCKET (40 << TPA_LAT_SUB_BITS)
struct tpa_lat_hist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t min_ns;
	uint64_t max_ns;
	uint32_t bucket[TPA_LAT_NR_BUCKET];
};

/** Value (ns) at percentile @p pct (0..100) of @p h; 0 when empty. */
uint64_t tpa_lat_percentile(const struct tpa_lat_hist *h, double pct);

/** Lowest value (ns) that lands in bucket @p idx. */
uint64_t tpa_lat_bucket_low(int idx);

/** Add @p src into @p dst. */
void tpa_lat_merge(struct tpa_lat_hist *dst, const struct tpa_lat_hist *src);

/* --------------------------------------------------------- socket info */

struct tpa_sock_info {
	int worker;
	int state;			/**< enum tpa_tcp_state */
	const char *state_name;		/**< "ESTABLISHED", ... */
	struct tpa_addr local_ip, remote_ip;
	uint16_t local_port, remote_port;
	uint32_t mss;
	uint32_t rtt_us, rttvar_us, rto_us;	/**< smoothed RTT, variance, current RTO */
	uint32_t cwnd, ssthresh;		/**< bytes */
	uint32_t snd_wnd, rcv_wnd;		/**< bytes, scaled */
	uint64_t bytes_in, bytes_out;		/**< payload bytes, excluding retransmits */
	uint64_t pkts_in, pkts_out;
	uint64_t retrans_pkts, retrans_bytes;
	uint64_t rto_count, fast_retrans, dup_acks_in, ooo_pkts, zero_wnd_probes;
	uint64_t created_ns;			/**< CLOCK_MONOTONIC at creation */
	uint8_t reserved[64];
};

enum tpa_tcp_state {
	TPA_TCP_CLOSED, TPA_TCP_LISTEN, TPA_TCP_SYN_SENT, TPA_TCP_SYN_RCVD,
	TPA_TCP_ESTABLISHED, TPA_TCP_FIN_WAIT_1, TPA_TCP_FIN_WAIT_2,
	TPA_TCP_CLOSE_WAIT, TPA_TCP_CLOSING, TPA_TCP_LAST_ACK, TPA_TCP_TIME_WAIT,
	TPA_TCP_NR_STATE
};

int tpa_sock_info_get(int sid, struct tpa_sock_info *info);

/** Copy one latency histogram of a socket. */
int tpa_sock_lat_get(int sid, enum tpa_lat_stage stage, struct tpa_lat_hist *out);

/* ------------------------------------------------------------ counters */

/** Per-worker counters; see docs/architecture.md for what each means. */
struct tpa_worker_stats {
	uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes;
	uint64_t polls_empty, polls_busy;
	uint64_t cycles_busy, cycles_total;
	uint64_t mbuf_alloc_fail, tx_ring_full;
	uint64_t tw_recycled;			/**< TIME_WAIT sockets ended early: socket ids ran out */
	uint64_t drop[32];			/**< indexed by enum tpa_drop_reason */
};

/** Read a worker's counters (a consistent enough snapshot; may race by a burst). */
int tpa_worker_stats_get(int worker, struct tpa_worker_stats *out);

/** Name of drop reason @p i ("bad_ip_csum", ...), NULL past the last. */
const char *tpa_drop_reason_name(int i);

/* --------------------------------------------------------------- raw L2 */

/**
 * Receive hook for an EtherType the stack does not handle itself.
 *
 * Called from tpa_worker_run() of the worker that received the frame, with
 * the whole frame from the Ethernet header on, linear; @p frame is valid only
 * during the call (copy what you keep). The hook may call tpa_raw_send() on
 * @p worker.
 */
typedef void (*tpa_raw_rx_fn)(struct tpa_worker *worker, const void *frame, uint16_t len, void *arg);

/**
 * Deliver received frames of @p ethertype (host order, >= 0x0600, not IPv4
 * or ARP; e.g. 0x88B5, IEEE 802 "local experimental") to @p fn instead of
 * dropping them as unknown_ethertype. NULL @p fn removes the hook. At most 4
 * EtherTypes. Call it before the workers see traffic of that type.
 *
 * @return 0; -1 with errno EINVAL (EtherType the stack owns) or ENOSPC.
 */
int tpa_raw_register(uint16_t ethertype, tpa_raw_rx_fn fn, void *arg);

/**
 * Send one Ethernet frame of @p len bytes (header included, 14..MTU+14) on
 * @p worker's queue, as given except the source address, which the stack sets
 * to its station MAC. The frame is copied and handed to the port at once (no
 * batching); egress fault injection applies. Call from the worker's thread.
 *
 * @return 0; -1 with errno EINVAL (length) or ENOMEM (no mbuf).
 */
int tpa_raw_send(struct tpa_worker *worker, const void *frame, uint16_t len);

/** Number of workers started by tpa_init(). */
int tpa_nr_worker(void);

/** Read a configuration value as text (e.g. "tcp.write_chunk_size"); returns len or -1. */
int tpa_cfg_get(const char *key, char *buf, size_t len);

/** Set a runtime-settable configuration value; -1 with a message for read-only keys. */
int tpa_cfg_set(const char *key, const char *value, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* TPA_H */
