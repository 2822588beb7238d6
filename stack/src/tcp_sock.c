/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket bookkeeping: the socket table (ids), the flow table (4-tuple →
 * socket, shared by workers, lock-free readers), listeners by port,
 * ephemeral ports, ISNs (RFC 6528) and state changes.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_rcu_qsbr.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_spinlock.h>
#include <rte_cycles.h>

#include "cfg.h"
#include "log.h"
#include "tcp.h"
#include "trace.h"
#include "tpad.h"

struct tcp_sock **tcp_socks;
uint32_t tcp_max_socks;

static int *free_sids;
static uint32_t nr_free_sids;
static rte_spinlock_t sid_lock = RTE_SPINLOCK_INITIALIZER;

static struct rte_hash *flow_table;
/* Readers of the lock-free flow table are the workers; a deleted key's slot
 * is reused only after every online worker reported a quiescent state
 * (the end of a tpa_worker_run iteration), so no lookup can still see it. */
static struct rte_rcu_qsbr *flow_qsbr;
static rte_spinlock_t flow_lock = RTE_SPINLOCK_INITIALIZER;
static struct tcp_sock *listeners[65536];
static uint8_t isn_secret[16];

/* Family-agnostic flow key: room for IPv6 although only IPv4 is filled today. */
struct tcp_flow_key {
	uint8_t family;
	uint8_t pad;
	uint16_t lport, rport;
	uint16_t pad2;
	uint8_t lip[16], rip[16];
};

static const char *const state_names[TPA_TCP_NR_STATE] = {
	"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
	"FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
};

const char *tcp_state_name(int state)
{
	return state >= 0 && state < TPA_TCP_NR_STATE ? state_names[state] : "?";
}

int tcp_init(int nr_worker)
{
	struct rte_hash_parameters hp = {
		.name = "tpa_flows",
		.key_len = sizeof(struct tcp_flow_key),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		/* workers add/remove flows; every worker looks them up */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD,
	};

	tcp_max_socks = tpa_cfg.max_socks;
	hp.entries = tcp_max_socks * 2;
	tcp_socks = rte_zmalloc("tpa_socks", sizeof(*tcp_socks) * tcp_max_socks, 0);
	free_sids = rte_malloc("tpa_sids", sizeof(*free_sids) * tcp_max_socks, 0);
	flow_table = rte_hash_create(&hp);
	if (!tcp_socks || !free_sids || !flow_table) {
		LOG_ERR("cannot allocate socket tables for %u sockets", tcp_max_socks);
		return -1;
	}
	flow_qsbr = rte_zmalloc("tpa_qsbr", rte_rcu_qsbr_get_memsize((uint32_t)nr_worker), RTE_CACHE_LINE_SIZE);
	if (!flow_qsbr || rte_rcu_qsbr_init(flow_qsbr, (uint32_t)nr_worker)) {
		LOG_ERR("cannot set up RCU for the flow table");
		return -1;
	}
	{
		struct rte_hash_rcu_config rc = { .v = flow_qsbr, .mode = RTE_HASH_QSBR_MODE_DQ };
		if (rte_hash_rcu_qsbr_add(flow_table, &rc)) {
			LOG_ERR("cannot attach RCU to the flow table: %s", rte_strerror(rte_errno));
			return -1;
		}
	}
	/* hand out low ids first: pop from the end */
	for (uint32_t i = 0; i < tcp_max_socks; i++)
		free_sids[i] = (int)(tcp_max_socks - 1 - i);
	nr_free_sids = tcp_max_socks;
	memset(listeners, 0, sizeof(listeners));
	if (getrandom(isn_secret, sizeof(isn_secret), 0) != sizeof(isn_secret))
		for (size_t i = 0; i < sizeof(isn_secret); i++)
			isn_secret[i] = (uint8_t)(rte_rdtsc() >> (i % 8));
	return 0;
}

void tcp_fini(void)
{
	if (tcp_socks)
		for (uint32_t i = 0; i < tcp_max_socks; i++)
			rte_free(tcp_socks[i]);
	rte_free(tcp_socks);
	rte_free(free_sids);
	rte_hash_free(flow_table);
	rte_free(flow_qsbr);
	flow_qsbr = NULL;
	tcp_socks = NULL;
	free_sids = NULL;
	flow_table = NULL;
}

void tcp_worker_online(int worker)
{
	rte_rcu_qsbr_thread_register(flow_qsbr, (unsigned int)worker);
	rte_rcu_qsbr_thread_online(flow_qsbr, (unsigned int)worker);
}

void tcp_worker_quiescent(int worker)
{
	rte_rcu_qsbr_quiescent(flow_qsbr, (unsigned int)worker);
}

struct tcp_sock *tcp_sock_get(int sid)
{
	struct tcp_sock *sk;

	if (sid < 0 || (uint32_t)sid >= tcp_max_socks || !(sk = tcp_socks[sid]) || !sk->in_use)
		return NULL;
	return sk;
}

void tcp_tw_link(struct tcp_sock *sk)
{
	struct tpa_worker *w = sk->w;

	if (sk->in_tw_list)
		return;
	sk->in_tw_list = 1;
	sk->tw_next = NULL;
	sk->tw_prev = w->tw_tail;
	if (w->tw_tail)
		w->tw_tail->tw_next = sk;
	else
		w->tw_head = sk;
	w->tw_tail = sk;
}

void tcp_tw_unlink(struct tcp_sock *sk)
{
	struct tpa_worker *w = sk->w;

	if (!sk->in_tw_list)
		return;
	if (sk->tw_prev)
		sk->tw_prev->tw_next = sk->tw_next;
	else
		w->tw_head = sk->tw_next;
	if (sk->tw_next)
		sk->tw_next->tw_prev = sk->tw_prev;
	else
		w->tw_tail = sk->tw_prev;
	sk->tw_prev = sk->tw_next = NULL;
	sk->in_tw_list = 0;
}

/* End this worker's oldest TIME_WAIT connection early, as a kernel does
 * when its TIME_WAIT table overflows; 0 when there is none. Its id (and the
 * memory attached to it) is the next one handed out: the id list is LIFO. */
static int recycle_time_wait(struct tpa_worker *w)
{
	if (!w->tw_head)
		return 0;
	w->stats.tw_recycled++;
	tcp_sock_done(w->tw_head);
	return 1;
}

/* Memory of a slot that never held a socket. */
static struct tcp_sock *slot_memory(void)
{
	struct tcp_sock *sk = rte_zmalloc("tpa_sock", sizeof(*sk), RTE_CACHE_LINE_SIZE);

	if (!sk)
		return NULL;
	sk->txq_size = 512;
	sk->txq = rte_zmalloc("tpa_txq", sizeof(*sk->txq) * sk->txq_size, RTE_CACHE_LINE_SIZE);
	if (!sk->txq) {
		rte_free(sk);
		return NULL;
	}
	return sk;
}

/*
 * A socket for @p w. When ids or memory run out, TIME_WAIT connections of
 * this worker make room (oldest first): otherwise a server that closes first
 * caps new connections at (max_socks or memory) / time_wait.
 */
struct tcp_sock *tcp_sock_alloc(struct tpa_worker *w)
{
	struct tcp_sock *sk;
	uint32_t gen = 0;
	int sid;

	for (;;) {
		rte_spinlock_lock(&sid_lock);
		if (!nr_free_sids) {
			rte_spinlock_unlock(&sid_lock);
			if (recycle_time_wait(w))
				continue;
			errno = EMFILE;
			return NULL;
		}
		sid = free_sids[--nr_free_sids];
		rte_spinlock_unlock(&sid_lock);
		if (tcp_socks[sid] || (tcp_socks[sid] = slot_memory()))
			break;
		rte_spinlock_lock(&sid_lock);
		free_sids[nr_free_sids++] = sid;
		rte_spinlock_unlock(&sid_lock);
		if (!recycle_time_wait(w)) {
			errno = ENOMEM;
			return NULL;
		}
	}

	sk = tcp_socks[sid];
	{
		/* keep the allocations of a previous life */
		struct tx_desc *txq = sk->txq;
		struct tpa_lat_hist *lat = sk->lat;
		struct trace_ring *tr = sk->trace;
		uint32_t txq_size = sk->txq_size;

		gen = sk->gen + 1;
		memset(sk, 0, sizeof(*sk));
		sk->txq = txq;
		sk->txq_size = txq_size;
		sk->lat = lat;
		sk->trace = tr;
	}
	if (tpa_cfg.latency && !sk->lat)
		sk->lat = rte_zmalloc("tpa_lat", sizeof(*sk->lat) * TPA_LAT_NR_STAGE, 0);
	else if (sk->lat)
		tcp_lat_reset(sk->lat);
	sk->sid = sid;
	sk->gen = gen;
	sk->in_use = 1;
	sk->w = w;
	sk->state = TPA_TCP_CLOSED;
	tpa_timer_init(&sk->timer, NULL);
	sk->created_tsc = sk->state_tsc = w->now ? w->now : tpa_now();
	sk->snd_buf = tpa_cfg.snd_buf;
	sk->rcv_buf = tpa_cfg.rcv_buf;
	sk->cc = &tcp_cc_newreno;
	trace_sock_init(sk);
	w->nr_socks++;
	return sk;
}

/* Take @p sk off the worker's per-iteration lists: its id may be reused
 * before the lists are walked, and a reused socket must not be linked twice. */
static void unlink_worker_lists(struct tcp_sock *sk)
{
	struct tpa_worker *w = sk->w;
	struct tcp_sock **pp;

	if (sk->flags & SK_IN_OUT_LIST) {
		for (pp = &w->out_head; *pp; pp = &(*pp)->out_next)
			if (*pp == sk) {
				*pp = sk->out_next;
				break;
			}
		sk->flags &= ~SK_IN_OUT_LIST;
	}
	if (sk->flags & SK_IN_READY) {
		for (pp = &w->ready_head; *pp; pp = &(*pp)->ready_next)
			if (*pp == sk) {
				*pp = sk->ready_next;
				break;
			}
		sk->flags &= ~SK_IN_READY;
	}
}

void tcp_sock_free(struct tcp_sock *sk)
{
	unlink_worker_lists(sk);
	sk->state = TPA_TCP_CLOSED;
	sk->in_use = 0;
	tpad_conn_update(sk);
	sk->gen++;
	sk->w->nr_socks--;
	rte_spinlock_lock(&sid_lock);
	free_sids[nr_free_sids++] = sk->sid;
	rte_spinlock_unlock(&sid_lock);
}

static void flow_key(struct tcp_flow_key *k, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
	memset(k, 0, sizeof(*k));
	k->family = 4;
	k->lport = lport;
	k->rport = rport;
	memcpy(k->lip, &lip, 4);
	memcpy(k->rip, &rip, 4);
}

struct tcp_sock *tcp_flow_lookup(uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
	struct tcp_flow_key k;
	void *data;

	flow_key(&k, lip, lport, rip, rport);
	if (rte_hash_lookup_data(flow_table, &k, &data) < 0)
		return NULL;
	return data;
}

int tcp_flow_add(struct tcp_sock *sk)
{
	struct tcp_flow_key k;
	int rc;

	flow_key(&k, sk->lip, sk->lport, sk->rip, sk->rport);
	rte_spinlock_lock(&flow_lock);
	rc = rte_hash_add_key_data(flow_table, &k, sk);
	rte_spinlock_unlock(&flow_lock);
	return rc < 0 ? -1 : 0;
}

void tcp_flow_del(struct tcp_sock *sk)
{
	struct tcp_flow_key k;

	flow_key(&k, sk->lip, sk->lport, sk->rip, sk->rport);
	rte_spinlock_lock(&flow_lock);
	if (tcp_flow_lookup(sk->lip, sk->lport, sk->rip, sk->rport) == sk)
		rte_hash_del_key(flow_table, &k);
	rte_spinlock_unlock(&flow_lock);
}

struct tcp_sock *tcp_listen_lookup(uint16_t lport)
{
	return __atomic_load_n(&listeners[rte_be_to_cpu_16(lport)], __ATOMIC_ACQUIRE);
}

int tcp_listen_add(struct tcp_sock *sk)
{
	struct tcp_sock *expect = NULL;

	if (!__atomic_compare_exchange_n(&listeners[rte_be_to_cpu_16(sk->lport)], &expect, sk, 0,
					 __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
		errno = EADDRINUSE;
		return -1;
	}
	return 0;
}

void tcp_listen_del(struct tcp_sock *sk)
{
	struct tcp_sock *expect = sk;

	__atomic_compare_exchange_n(&listeners[rte_be_to_cpu_16(sk->lport)], &expect, NULL, 0,
				    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

static uint64_t siphash_2_4(const uint8_t key[16], uint64_t m0, uint64_t m1);

/*
 * RFC 6056 algorithm 3: offset = F(addresses, remote port, secret), then a
 * shared counter. Consecutive connections to one destination take
 * consecutive ports, so a port comes back only after the whole range —
 * long after the peer's TIME_WAIT for it has passed (or at least with a
 * newer timestamp) — while other destinations start elsewhere.
 */
uint16_t tcp_port_alloc(uint32_t lip, uint32_t rip, uint16_t rport)
{
	static uint32_t counter;	/* atomically bumped: workers share the range */
	const uint32_t lo = 32768, span = 61000 - 32768;
	uint32_t offset = (uint32_t)siphash_2_4(isn_secret, ((uint64_t)lip << 32) | rip, rport ^ 0x5a5a0000ull);

	for (uint32_t i = 0; i < span; i++) {
		uint32_t c = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
		uint16_t p = rte_cpu_to_be_16((uint16_t)(lo + (offset + c) % span));
		if (!tcp_listen_lookup(p) && !tcp_flow_lookup(lip, p, rip, rport))
			return p;
	}
	return 0;
}

/* SipHash-2-4 (Aumasson & Bernstein), written from the paper's description,
 * for RFC 6528 ISNs: F(4-tuple, secret). */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

static uint64_t siphash_2_4(const uint8_t key[16], uint64_t m0, uint64_t m1)
{
	uint64_t k0, k1, v0, v1, v2, v3, mi[3];
	const uint64_t len = 16;

	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);
	v0 = k0 ^ 0x736f6d6570736575ull;
	v1 = k1 ^ 0x646f72616e646f6dull;
	v2 = k0 ^ 0x6c7967656e657261ull;
	v3 = k1 ^ 0x7465646279746573ull;
	mi[0] = m0;
	mi[1] = m1;
	mi[2] = len << 56;
	for (int i = 0; i < 3; i++) {
		v3 ^= mi[i];
		SIPROUND;
		SIPROUND;
		v0 ^= mi[i];
	}
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint32_t tcp_isn(uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport, uint64_t now)
{
	/* RFC 6528: ISN = M + F(tuple, secret), M a 4 microsecond clock */
	uint64_t m = (uint64_t)((double)now / (double)tpa_tsc_hz * 250000.0);
	uint64_t f = siphash_2_4(isn_secret, ((uint64_t)lip << 32) | rip, ((uint64_t)lport << 16) | rport);

	return (uint32_t)m + (uint32_t)f;
}

void tcp_set_state(struct tcp_sock *sk, int state)
{
	uint64_t now = sk->w->now;

	trace_state(sk, sk->state, state, now - sk->state_tsc);
	sk->state = (uint8_t)state;
	sk->state_tsc = now;
	tpad_conn_update(sk);	/* crash cleanup table (stack/tpad) */
}
