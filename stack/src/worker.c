/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop: receive a burst, run it to completion through the
 * protocol layers, fire due timers, send what the sockets queued, and
 * apply the idle policy when there was nothing to do.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "cfg.h"
#include "dev.h"
#include "fault.h"
#include "log.h"
#include "net.h"
#include "obs.h"
#include "tcp.h"
#include "worker.h"
#include "tracepoints.h"

struct tpa_worker *tpa_workers;
int tpa_nr_workers;
uint64_t tpa_tsc_hz;
uint64_t tpa_clock_offset;

static __thread struct tpa_worker *self;

static const char *const drop_names[DROP_NR] = {
	[DROP_NOT_FOR_US] = "not_for_us",
	[DROP_SHORT_FRAME] = "short_frame",
	[DROP_UNKNOWN_ETHERTYPE] = "unknown_ethertype",
	[DROP_ARP_MALFORMED] = "arp_malformed",
	[DROP_ARP_NOT_FOR_US] = "arp_not_for_us",
	[DROP_IP_SHORT] = "ip_short",
	[DROP_IP_VERSION] = "ip_bad_version",
	[DROP_IP_HDR_LEN] = "ip_bad_hdr_len",
	[DROP_IP_TOTAL_LEN] = "ip_bad_total_len",
	[DROP_IP_CSUM] = "ip_bad_csum",
	[DROP_IP_TTL] = "ip_ttl_zero",
	[DROP_IP_FRAGMENT] = "ip_fragment",
	[DROP_IP_NOT_FOR_US] = "ip_not_for_us",
	[DROP_IP_BAD_SRC] = "ip_bad_src",
	[DROP_UNKNOWN_PROTO] = "ip_unknown_proto",
	[DROP_ICMP_MALFORMED] = "icmp_malformed",
	[DROP_ICMP_CSUM] = "icmp_bad_csum",
	[DROP_ICMP_UNHANDLED] = "icmp_unhandled",
	[DROP_TCP_MALFORMED] = "tcp_malformed",
	[DROP_TCP_CSUM] = "tcp_bad_csum",
	[DROP_TCP_BAD_FLAGS] = "tcp_bad_flags",
	[DROP_TCP_NO_SOCK] = "tcp_no_sock",
	[DROP_TCP_OUT_OF_WINDOW] = "tcp_out_of_window",
	[DROP_TCP_PAWS] = "tcp_paws",
	[DROP_TCP_BACKLOG_FULL] = "tcp_backlog_full",
	[DROP_TCP_OOO_FULL] = "tcp_ooo_full",
	[DROP_TCP_RCVBUF_FULL] = "tcp_rcvbuf_full",
	[DROP_NO_MBUF] = "no_mbuf",
	[DROP_NEIGH_QUEUE_FULL] = "neigh_queue_full",
	[DROP_HANDOFF_FULL] = "handoff_full",
	[DROP_FAULT_INJECTED] = "fault_injected",
};

const char *tpa_drop_reason_name(int i)
{
	return i >= 0 && i < DROP_NR ? drop_names[i] : NULL;
}

struct tpa_worker *tpa_worker_self(void)
{
	return self;
}

void tpa_worker_set_self(struct tpa_worker *w)
{
	self = w;
}

int tpa_worker_id(const struct tpa_worker *w)
{
	return w->id;
}

int tpa_nr_worker(void)
{
	return tpa_nr_workers;
}

static uint16_t xmit_port(struct tpa_worker *w, struct rte_mbuf **m, uint16_t n)
{
	return rte_eth_tx_burst(w->port_id, w->queue_id, m, n);
}

int tpa_worker_setup(struct tpa_worker *w, int id)
{
	char name[RTE_RING_NAMESIZE];

	w->id = id;
	w->burst = (uint16_t)tpa_cfg.burst;
	w->intr_epfd = -1;
	w->txb = rte_zmalloc("tpa_txb", sizeof(*w->txb) * 2 * w->burst, RTE_CACHE_LINE_SIZE);
	snprintf(name, sizeof(name), "tpa_handoff%d", id);
	w->handoff = rte_ring_create(name, 1024, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (!w->txb || !w->handoff || tpa_timer_heap_init(&w->timers, 1024)) {
		LOG_ERR("worker %d: out of memory", id);
		return -1;
	}
	w->xmit = xmit_port;
	return 0;
}

void tpa_worker_teardown(struct tpa_worker *w)
{
	struct rte_mbuf *m;

	if (w->handoff) {
		while (rte_ring_dequeue(w->handoff, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(w->handoff);
		w->handoff = NULL;
	}
	tpa_fault_release(w, 1);
	tpa_worker_flush(w);
	rte_free(w->txb);
	w->txb = NULL;
	tpa_timer_heap_free(&w->timers);
	if (w->intr_epfd >= 0)
		close(w->intr_epfd);
}

void tpa_worker_flush(struct tpa_worker *w)
{
	uint16_t sent = 0, n = w->nr_txb;

	while (sent < n) {
		uint16_t k = w->xmit(w, w->txb + sent, n - sent);

		tpa_tp_tx_burst((uint16_t)w->id, (uint16_t)(n - sent), k);
		if (k == 0) {
			/* ring full: drop the rest, TCP retransmits what mattered */
			w->stats.tx_ring_full += n - sent;
			rte_pktmbuf_free_bulk(w->txb + sent, n - sent);
			break;
		}
		sent += k;
	}
	w->nr_txb = 0;
}

void tpa_worker_xmit_raw(struct tpa_worker *w, struct rte_mbuf *m)
{
	if (unlikely(tpa_dump_flags[w->id] & TPA_DUMP_OUT))
		tpa_dump_frame(w, m, TPA_DUMP_OUT);
	w->stats.tx_pkts++;
	w->stats.tx_bytes += m->pkt_len;
	w->txb[w->nr_txb++] = m;
	if (w->nr_txb >= w->burst)
		tpa_worker_flush(w);
}

void tpa_worker_xmit(struct tpa_worker *w, struct rte_mbuf *m)
{
	if (unlikely(tpa_fault_specs[FAULT_EGRESS].active)) {
		m = tpa_fault_apply(w, FAULT_EGRESS, m);
		if (!m)
			return;
	}
	tpa_worker_xmit_raw(w, m);
}

#ifdef TPA_DEBUG_SLOW
/* -Dslow_knob=true: a fixed extra cost per received packet (about 2000
 * instructions), so the instruction-count gate has a known regression to catch */
static void debug_slow_fixed(void)
{
	for (volatile int i = 0; i < 500; i++)
		;
}
#endif

void tpa_worker_input(struct tpa_worker *w, struct rte_mbuf *m)
{
#ifdef TPA_DEBUG_SLOW
	debug_slow_fixed();
#endif
	w->stats.rx_pkts++;
	w->stats.rx_bytes += m->pkt_len;
	if (unlikely(tpa_dump_flags[w->id] & TPA_DUMP_IN))
		tpa_dump_frame(w, m, TPA_DUMP_IN);
	eth_input(w, m);
}

static void debug_slow(void)
{
	/* the documented regression knob: spin a fixed time per packet */
	uint64_t end = rte_rdtsc() + tpa_cfg.debug_slow_ns * tpa_tsc_hz / 1000000000ull;
	while (rte_rdtsc() < end)
		rte_pause();
}

static void worker_sleep(struct tpa_worker *w)
{
	uint64_t next = tpa_timer_next(&w->timers), now = tpa_now();
	uint64_t max_us = tpa_cfg.idle_sleep_us, us = max_us;

	if (next != UINT64_MAX) {
		if (next <= now)
			return;
		us = (next - now) * 1000000 / tpa_tsc_hz;
		if (us > max_us)
			us = max_us;
	}
	if (tpa_dev.rx_intr && w->intr_epfd < 0) {
		int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(w->port_id, w->queue_id);
		struct epoll_event ev = { .events = EPOLLIN };
		w->intr_epfd = epoll_create1(EPOLL_CLOEXEC);
		if (fd < 0 || w->intr_epfd < 0 || epoll_ctl(w->intr_epfd, EPOLL_CTL_ADD, fd, &ev)) {
			if (w->intr_epfd >= 0)
				close(w->intr_epfd);
			w->intr_epfd = -2;	/* unsupported: short sleeps */
		}
	}
	if (w->intr_epfd >= 0) {
		struct epoll_event ev;
		int ms = (int)((us + 999) / 1000);
		rte_eth_dev_rx_intr_enable(w->port_id, w->queue_id);
		epoll_wait(w->intr_epfd, &ev, 1, ms);
		rte_eth_dev_rx_intr_disable(w->port_id, w->queue_id);
	} else {
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)us * 1000 };
		nanosleep(&ts, NULL);
	}
}

void tpa_worker_run(struct tpa_worker *w)
{
	struct rte_mbuf *pkts[256];
	uint64_t start = tpa_now();
	uint16_t n = 0, nh;
	int work;

	if (w->run_tsc) {
		/* a gap is the application keeping the worker away, unless we slept */
		if (!w->slept && start - w->run_tsc > w->max_gap_tsc)
			w->max_gap_tsc = start - w->run_tsc;
		w->slept = 0;
		w->stats.cycles_total += start - w->run_tsc;
	}
	w->run_tsc = start;
	w->now = start;

	if (likely(tpa_dev.started))
		n = rte_eth_rx_burst(w->port_id, w->queue_id, pkts, w->burst);
	if (n)
		tpa_tp_rx_burst((uint16_t)w->id, n);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		pkt_meta(m)->rx_tsc = start;
		if (unlikely(tpa_cfg.debug_slow_ns))
			debug_slow();
		if (unlikely(tpa_fault_specs[FAULT_INGRESS].active)) {
			m = tpa_fault_apply(w, FAULT_INGRESS, m);
			if (!m)
				continue;
		}
		tpa_worker_input(w, m);
	}
	/* frames of our flows that landed on another worker's queue */
	nh = (uint16_t)rte_ring_dequeue_burst(w->handoff, (void **)pkts, w->burst, NULL);
	for (uint16_t i = 0; i < nh; i++)
		tcp_input_handoff(w, pkts[i]);

	work = n + nh;
	work += tpa_timer_run(&w->timers, start);
	neigh_tick(w, start);
	tpa_fault_release(w, 0);
	work += tcp_output_pending(w);
	tpa_worker_flush(w);
	tcp_worker_quiescent(w->id);

	if (work) {
		w->stats.polls_busy++;
		w->empty_polls = 0;
		w->stats.cycles_busy += tpa_now() - start;
	} else {
		w->stats.polls_empty++;
		if (tpa_cfg.idle == TPA_IDLE_BACKOFF && ++w->empty_polls >= tpa_cfg.idle_polls) {
			worker_sleep(w);
			w->slept = 1;
		}
	}
}

int tpa_worker_stats_get(int worker, struct tpa_worker_stats *out)
{
	if (worker < 0 || worker >= tpa_nr_workers) {
		errno = EINVAL;
		return -1;
	}
	memcpy(out, &tpa_workers[worker].stats, sizeof(*out));
	return 0;
}
