/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP (RFC 826) and the neighbour table. The table is shared by all workers
 * and protected by a spinlock: it is touched per packet only to read a MAC
 * of a resolved entry, and TCP caches the MAC in the socket, so contention
 * stays off the per-segment path.
 */
#include <string.h>
#include <rte_arp.h>
#include <rte_spinlock.h>

#include "cfg.h"
#include "log.h"
#include "net.h"

static struct neigh_entry neigh_table[NEIGH_TABLE_SIZE];
static rte_spinlock_t neigh_lock = RTE_SPINLOCK_INITIALIZER;
static uint64_t neigh_next_tick;

static const char *const state_names[] = { "FREE", "INCOMPLETE", "REACHABLE", "STALE", "FAILED" };

const char *neigh_state_name(int s)
{
	return s >= 0 && s <= NEIGH_FAILED ? state_names[s] : "?";
}

int neigh_init(void)
{
	neigh_flush();
	return 0;
}

static void drop_pending(struct tpa_worker *w, struct neigh_entry *e)
{
	struct rte_mbuf *m = e->pending_head, *next;

	for (; m; m = next) {
		next = pkt_meta(m)->qnext;
		w->stats.drop[DROP_NEIGH_QUEUE_FULL]++;
		rte_pktmbuf_free(m);
	}
	e->pending_head = e->pending_tail = NULL;
	e->nr_pending = 0;
}

void neigh_flush(void)
{
	rte_spinlock_lock(&neigh_lock);
	for (int i = 0; i < NEIGH_TABLE_SIZE; i++) {
		struct rte_mbuf *m = neigh_table[i].pending_head, *next;
		for (; m; m = next) {
			next = pkt_meta(m)->qnext;
			rte_pktmbuf_free(m);
		}
		memset(&neigh_table[i], 0, sizeof(neigh_table[i]));
	}
	rte_spinlock_unlock(&neigh_lock);
}

/* Lookup or claim a slot; caller holds the lock. Evicts the oldest non-pending entry when full. */
static struct neigh_entry *neigh_get(uint32_t ip, int create)
{
	struct neigh_entry *free_e = NULL, *victim = NULL;

	for (int i = 0; i < NEIGH_TABLE_SIZE; i++) {
		struct neigh_entry *e = &neigh_table[i];
		if (e->state != NEIGH_FREE && e->ip == ip)
			return e;
		if (e->state == NEIGH_FREE && !free_e)
			free_e = e;
		else if (e->state != NEIGH_FREE && !e->nr_pending && (!victim || e->expire < victim->expire))
			victim = e;
	}
	if (!create)
		return NULL;
	if (!free_e && victim) {
		memset(victim, 0, sizeof(*victim));
		free_e = victim;
	}
	if (free_e)
		free_e->ip = ip;
	return free_e;
}

static struct rte_mbuf *arp_build(struct tpa_worker *w, uint16_t op, const struct rte_ether_addr *tha,
				  uint32_t tip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);
	struct rte_arp_hdr *a;

	if (!m) {
		w->stats.mbuf_alloc_fail++;
		return NULL;
	}
	a = (struct rte_arp_hdr *)rte_pktmbuf_append(m, sizeof(*a));
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(&tpa_netif.mac, &a->arp_data.arp_sha);
	a->arp_data.arp_sip = tpa_netif.ip;
	if (tha)
		rte_ether_addr_copy(tha, &a->arp_data.arp_tha);
	else
		memset(&a->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
	a->arp_data.arp_tip = tip;
	return m;
}

static void arp_send_request(struct tpa_worker *w, uint32_t tip)
{
	static const struct rte_ether_addr bcast = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct rte_mbuf *m = arp_build(w, RTE_ARP_OP_REQUEST, NULL, tip);

	if (m)
		eth_output(w, m, &bcast, RTE_ETHER_TYPE_ARP);
}

void arp_send_gratuitous(struct tpa_worker *w)
{
	arp_send_request(w, tpa_netif.ip);
}

/* A mapping was learned: update the entry and send what waited for it. Caller holds the lock. */
static void neigh_learn(struct tpa_worker *w, struct neigh_entry *e, const struct rte_ether_addr *mac)
{
	struct rte_mbuf *m, *next;

	rte_ether_addr_copy(mac, &e->mac);
	e->state = NEIGH_REACHABLE;
	e->tries = 0;
	e->expire = w->now + tpa_us_to_tsc((uint64_t)tpa_cfg.arp_timeout_ms * 1000);
	for (m = e->pending_head; m; m = next) {
		next = pkt_meta(m)->qnext;
		pkt_meta(m)->qnext = NULL;
		eth_output(w, m, mac, RTE_ETHER_TYPE_IPV4);
	}
	e->pending_head = e->pending_tail = NULL;
	e->nr_pending = 0;
}

void arp_input(struct tpa_worker *w, struct rte_mbuf *m)
{
	struct rte_arp_hdr *a = pkt_peek(m, 0, sizeof(*a));
	struct neigh_entry *e;
	uint32_t sip, tip;
	uint16_t op;

	if (unlikely(!a || a->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
		     a->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
		     a->arp_hlen != RTE_ETHER_ADDR_LEN || a->arp_plen != 4)) {
		tpa_drop(w, m, DROP_ARP_MALFORMED);
		return;
	}
	op = rte_be_to_cpu_16(a->arp_opcode);
	sip = a->arp_data.arp_sip;
	tip = a->arp_data.arp_tip;
	if (unlikely((op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) ||
		     !rte_is_unicast_ether_addr(&a->arp_data.arp_sha))) {
		tpa_drop(w, m, DROP_ARP_MALFORMED);
		return;
	}

	/* RFC 826 merge: refresh a known sender; learn it when the packet is for us */
	rte_spinlock_lock(&neigh_lock);
	e = neigh_get(sip, tip == tpa_netif.ip && sip != 0);
	if (e && sip != 0 && sip != tpa_netif.ip)
		neigh_learn(w, e, &a->arp_data.arp_sha);
	rte_spinlock_unlock(&neigh_lock);

	if (tip != tpa_netif.ip) {
		tpa_drop(w, m, DROP_ARP_NOT_FOR_US);
		return;
	}
	if (op == RTE_ARP_OP_REQUEST) {
		/* answer in place: reuse the request's buffer */
		struct rte_ether_addr sha = a->arp_data.arp_sha;
		rte_ether_addr_copy(&sha, &a->arp_data.arp_tha);
		rte_ether_addr_copy(&tpa_netif.mac, &a->arp_data.arp_sha);
		a->arp_data.arp_tip = sip;
		a->arp_data.arp_sip = tpa_netif.ip;
		a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
		rte_pktmbuf_trim(m, m->pkt_len - sizeof(*a));
		eth_output(w, m, &sha, RTE_ETHER_TYPE_ARP);
		return;
	}
	rte_pktmbuf_free(m);
}

int neigh_resolve(struct tpa_worker *w, uint32_t next_hop, struct rte_mbuf *m, struct rte_ether_addr *mac)
{
	struct neigh_entry *e;
	int send_req = 0;

	rte_spinlock_lock(&neigh_lock);
	e = neigh_get(next_hop, 1);
	if (!e) {
		rte_spinlock_unlock(&neigh_lock);
		w->stats.drop[DROP_NEIGH_QUEUE_FULL]++;
		rte_pktmbuf_free(m);
		return 1;
	}
	if (e->state == NEIGH_REACHABLE || e->state == NEIGH_STALE) {
		rte_ether_addr_copy(&e->mac, mac);
		if (e->state == NEIGH_STALE && e->tries == 0) {
			/* keep using the old MAC while re-confirming it */
			e->tries = 1;
			e->expire = w->now + tpa_us_to_tsc((uint64_t)tpa_cfg.arp_retry_ms * 1000);
			send_req = 1;
		}
		rte_spinlock_unlock(&neigh_lock);
		if (send_req)
			arp_send_request(w, next_hop);
		return 0;
	}
	if (e->state == NEIGH_FREE || e->state == NEIGH_FAILED) {
		e->state = NEIGH_INCOMPLETE;
		e->tries = 1;
		e->expire = w->now + tpa_us_to_tsc((uint64_t)tpa_cfg.arp_retry_ms * 1000);
		send_req = 1;
	}
	if (e->nr_pending >= tpa_cfg.arp_queue_max) {
		w->stats.drop[DROP_NEIGH_QUEUE_FULL]++;
		rte_pktmbuf_free(m);
	} else {
		pkt_meta(m)->qnext = NULL;
		if (e->pending_tail)
			pkt_meta(e->pending_tail)->qnext = m;
		else
			e->pending_head = m;
		e->pending_tail = m;
		e->nr_pending++;
	}
	rte_spinlock_unlock(&neigh_lock);
	if (send_req)
		arp_send_request(w, next_hop);
	return 1;
}

void neigh_tick(struct tpa_worker *w, uint64_t now)
{
	uint32_t retry[NEIGH_TABLE_SIZE];
	int nr_retry = 0;

	if (now < neigh_next_tick || !rte_spinlock_trylock(&neigh_lock))
		return;
	neigh_next_tick = now + tpa_us_to_tsc(10 * 1000);
	for (int i = 0; i < NEIGH_TABLE_SIZE; i++) {
		struct neigh_entry *e = &neigh_table[i];

		if (e->state == NEIGH_FREE || now < e->expire)
			continue;
		switch (e->state) {
		case NEIGH_REACHABLE:
			e->state = NEIGH_STALE;
			e->tries = 0;
			e->expire = UINT64_MAX;	/* re-confirmed on next use */
			break;
		case NEIGH_INCOMPLETE:
		case NEIGH_STALE:
			if (e->tries >= tpa_cfg.arp_retries) {
				drop_pending(w, e);
				e->state = NEIGH_FAILED;
				e->expire = now + tpa_us_to_tsc((uint64_t)tpa_cfg.arp_retry_ms * 1000);
				LOG_INFO("neighbour %u.%u.%u.%u unreachable after %u tries",
					 e->ip & 0xff, (e->ip >> 8) & 0xff, (e->ip >> 16) & 0xff, e->ip >> 24, e->tries);
				break;
			}
			e->tries++;
			e->expire = now + tpa_us_to_tsc((uint64_t)tpa_cfg.arp_retry_ms * 1000);
			retry[nr_retry++] = e->ip;
			break;
		case NEIGH_FAILED:
			memset(e, 0, sizeof(*e));
			break;
		}
	}
	rte_spinlock_unlock(&neigh_lock);
	for (int i = 0; i < nr_retry; i++)
		arp_send_request(w, retry[i]);
}

int neigh_dump(struct neigh_entry *out, int max)
{
	int n = 0;

	rte_spinlock_lock(&neigh_lock);
	for (int i = 0; i < NEIGH_TABLE_SIZE && n < max; i++) {
		if (neigh_table[i].state == NEIGH_FREE)
			continue;
		out[n] = neigh_table[i];
		out[n].pending_head = out[n].pending_tail = NULL;
		n++;
	}
	rte_spinlock_unlock(&neigh_lock);
	return n;
}

int neigh_add_static(uint32_t ip, const struct rte_ether_addr *mac)
{
	struct neigh_entry *e;

	rte_spinlock_lock(&neigh_lock);
	e = neigh_get(ip, 1);
	if (e) {
		rte_ether_addr_copy(mac, &e->mac);
		e->state = NEIGH_REACHABLE;
		e->expire = UINT64_MAX;	/* never goes stale */
	}
	rte_spinlock_unlock(&neigh_lock);
	return e ? 0 : -1;
}
