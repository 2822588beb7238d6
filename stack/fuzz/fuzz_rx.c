/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: one input = one Ethernet frame fed to the stack's
 * receive path (tpa_worker_input) through the no-NIC harness, with a
 * listener (port 80), an accepted connection (peer port 40000) and an
 * active one (to peer port 5201) alive; they are re-established whenever
 * an input kills them.
 *
 * Two details make the fuzzer effective:
 *  - the frame lives in a malloc'ed buffer attached to the mbuf as an
 *    external buffer, ending exactly where the input ends, so any read past
 *    the received length hits an AddressSanitizer redzone (mbuf data rooms
 *    come from DPDK memory, which ASan does not watch);
 *  - on the two connections the ACK field is relative to the stack's ISS
 *    (random), so seeds and mutations can acknowledge real data; the
 *    checksum is adjusted incrementally, so a bad checksum stays bad;
 *    likewise destination port 0 from the active connection's peer port
 *    stands for that connection's ephemeral local port.
 *
 * fuzz_main.c wraps this for libFuzzer; test_fuzz_regress.c replays saved
 * inputs (crashes found, corpus) through the same path under cmocka.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "harness.h"
#include "fuzz_rx.h"

#define LISTEN_PORT 80
#define PASSIVE_PPORT 40000
#define ACTIVE_PPORT 5201
#define EXT_HEADROOM 128
#define CLOCK_EVERY 128		/* inputs between clock advances */

static struct th_conn passive, active;
static int ready;
static uint64_t nr_input;

/* DPDK calls this with the buffer address; the allocation starts at @p opaque */
static void ext_free(void *addr, void *opaque)
{
	(void)addr;
	free(opaque);
}

/* A frame in an exactly-sized malloc'ed buffer (plus headroom for replies
 * built in place), attached to an mbuf of the harness pool. */
static struct rte_mbuf *frame_mbuf(const uint8_t *data, size_t len)
{
	struct rte_mbuf_ext_shared_info *shinfo;
	struct rte_mbuf *m;
	uint8_t *buf;
	size_t room = EXT_HEADROOM + len;

	m = rte_pktmbuf_alloc(th_w->pool);
	if (!m)
		return NULL;
	/* shinfo first, so the frame's end is the allocation's end */
	buf = malloc(sizeof(*shinfo) + room);
	if (!buf) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	shinfo = (struct rte_mbuf_ext_shared_info *)buf;
	shinfo->free_cb = ext_free;
	shinfo->fcb_opaque = buf;
	rte_mbuf_ext_refcnt_set(shinfo, 1);
	rte_pktmbuf_attach_extbuf(m, buf + sizeof(*shinfo), RTE_BAD_IOVA, (uint16_t)room, shinfo);
	m->data_off = EXT_HEADROOM;
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), data, len);
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	return m;
}

/* Fold @p delta (a change of a 32-bit field) into a TCP checksum. */
static uint16_t csum_adjust(uint16_t csum, uint32_t old, uint32_t new_val)
{
	uint32_t sum = (uint16_t)~ntohs(csum);

	sum += (uint16_t)~(old >> 16) + (uint16_t)~(old & 0xffff);
	sum += (new_val >> 16) + (new_val & 0xffff);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* ACK relative to our ISS on the two live connections (see the top). */
static void rebase_ack(uint8_t *f, size_t len)
{
	size_t ihl;
	uint8_t *th;
	uint16_t sport, dport, csum;
	uint32_t ack, abs_ack;
	const struct th_conn *c = NULL;

	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4 || f[14 + 9] != IPPROTO_TCP)
		return;
	ihl = (size_t)(f[14] & 0xf) * 4;
	if (ihl < 20 || 14 + ihl + 20 > len)
		return;
	th = f + 14 + ihl;
	sport = (uint16_t)(th[0] << 8 | th[1]);
	dport = (uint16_t)(th[2] << 8 | th[3]);
	if (active.sid >= 0 && sport == active.pport && dport == 0) {
		/* port 0 stands for the active connection's (random) local port */
		memcpy(&csum, th + 16, 2);
		csum = csum_adjust(csum, 0, active.lport);
		memcpy(th + 16, &csum, 2);
		dport = active.lport;
		th[2] = (uint8_t)(dport >> 8);
		th[3] = (uint8_t)dport;
	}
	if (passive.sid >= 0 && sport == passive.pport && dport == passive.lport)
		c = &passive;
	else if (active.sid >= 0 && sport == active.pport && dport == active.lport)
		c = &active;
	if (!c)
		return;
	memcpy(&ack, th + 8, 4);
	ack = ntohl(ack);
	abs_ack = ack + c->iss + 1;
	memcpy(&csum, th + 16, 2);
	csum = csum_adjust(csum, ack, abs_ack);
	memcpy(th + 16, &csum, 2);
	abs_ack = htonl(abs_ack);
	memcpy(th + 8, &abs_ack, 4);
}

static int conn_alive(const struct th_conn *c)
{
	int st = c->sid >= 0 ? th_state(c->sid) : -1;

	return st == TPA_TCP_ESTABLISHED;
}

static void drop_conn(struct th_conn *c)
{
	if (c->sid >= 0 && th_sock(c->sid))
		tpa_close(c->sid);
	c->sid = -1;
}

/* Keep one accepted and one active connection established. */
static void ensure_conns(void)
{
	if (!conn_alive(&passive)) {
		drop_conn(&passive);
		passive.pport++;	/* a fresh tuple: the old one may linger in TIME_WAIT */
		if (passive.pport < PASSIVE_PPORT || passive.pport > PASSIVE_PPORT + 1000)
			passive.pport = PASSIVE_PPORT;
		if (th_open_passive(&passive, LISTEN_PORT, passive.pport, NULL, 0))
			passive.sid = -1;
	}
	if (!conn_alive(&active)) {
		drop_conn(&active);
		if (th_open_active(&active, ACTIVE_PPORT, NULL, 0))
			active.sid = -1;
	}
	th_clear_out();
}

/* Free what inputs left queued: read data, accept and close new connections. */
static void drain(void)
{
	static uint8_t buf[65536];
	int sid[16], n;

	while ((n = tpa_accept_burst(th_w, sid, 16)) > 0)
		for (int i = 0; i < n; i++)
			tpa_close(sid[i]);
	if (passive.sid >= 0)
		while (tpa_read(passive.sid, buf, sizeof(buf)) > 0)
			;
	if (active.sid >= 0)
		while (tpa_read(active.sid, buf, sizeof(buf)) > 0)
			;
	th_clear_out();
}

int fuzz_rx_conn(int which, int *sid, uint16_t *lport, uint16_t *pport, uint32_t *iss)
{
	const struct th_conn *c = which ? &active : &passive;

	*sid = c->sid;
	*lport = c->lport;
	*pport = c->pport;
	*iss = c->iss;
	return c->sid >= 0 ? 0 : -1;
}

int fuzz_rx_init(void)
{
	if (th_global_init())
		return -1;
	passive.sid = active.sid = -1;
	passive.pport = PASSIVE_PPORT;
	if (tpa_listen_on(NULL, LISTEN_PORT, NULL) < 0)
		return -1;
	ensure_conns();
	ready = 1;
	return 0;
}

void fuzz_rx_one(const uint8_t *data, size_t size)
{
	struct rte_mbuf *m;
	uint8_t *copy;

	if (!ready || size == 0 || size > 9018)
		return;
	ensure_conns();
	copy = malloc(size);
	if (!copy)
		return;
	memcpy(copy, data, size);
	rebase_ack(copy, size);
	m = frame_mbuf(copy, size);
	if (!m) {
		/* the pool ran dry: free every connection's queues and retry; a
		 * second failure means the stack leaks mbufs */
		drop_conn(&passive);
		drop_conn(&active);
		th_advance_us(300000);
		m = frame_mbuf(copy, size);
		if (!m) {
			fprintf(stderr, "fuzz_rx: mbuf pool exhausted: the stack leaks mbufs\n");
			abort();
		}
	}
	free(copy);
	th_w->now = tpa_now();
	pkt_meta(m)->rx_tsc = th_w->now;
	tpa_worker_input(th_w, m);
	th_run();
	drain();
	if (++nr_input % CLOCK_EVERY == 0)
		th_advance_us(50000);	/* let timers run: RTO, delayed ACK, TIME_WAIT, keepalive */
}
