/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "harness.h"
#include "dev.h"
#include "fault.h"

struct tpa_worker *th_w;
static struct th_seg *outq;
static int nr_out, out_pos;
static struct rte_ether_addr peer_mac = { .addr_bytes = { 0x02, 0, 0, 0, 0, 0x01 } };

static void decode(struct rte_mbuf *m, struct th_seg *s)
{
	uint8_t frame[9200];
	uint32_t len = RTE_MIN(m->pkt_len, (uint32_t)sizeof(frame));
	const uint8_t *f = rte_pktmbuf_read(m, 0, len, frame);
	const struct rte_ether_hdr *eh = (const void *)f;
	const struct rte_ipv4_hdr *ip;
	uint32_t hl;

	memset(s, 0, offsetof(struct th_seg, payload));
	s->tsc = tpa_now();
	s->frame_len = m->pkt_len;
	memcpy(s->raw, f, RTE_MIN(len, (uint32_t)sizeof(s->raw)));
	s->ethertype = rte_be_to_cpu_16(eh->ether_type);
	if (s->ethertype == RTE_ETHER_TYPE_ARP) {
		const struct rte_arp_hdr *a = (const void *)(f + 14);
		s->arp_op = rte_be_to_cpu_16(a->arp_opcode);
		return;
	}
	if (s->ethertype != RTE_ETHER_TYPE_IPV4)
		return;
	ip = (const void *)(f + 14);
	hl = (ip->version_ihl & 0xf) * 4u;
	s->ip_proto = ip->next_proto_id;
	/* offloads are off in the harness: both checksums must be right */
	s->csum_ok = rte_raw_cksum(ip, hl) == 0xffff;
	if (ip->next_proto_id == IPPROTO_ICMP) {
		s->icmp_type = f[14 + hl];
		return;
	}
	if (ip->next_proto_id == IPPROTO_TCP) {
		const struct rte_tcp_hdr *th = (const void *)(f + 14 + hl);
		uint32_t thl = (th->data_off >> 4) * 4u, tot = rte_be_to_cpu_16(ip->total_length);
		s->csum_ok &= rte_ipv4_udptcp_cksum_verify(ip, th) == 0;
		s->sport = rte_be_to_cpu_16(th->src_port);
		s->dport = rte_be_to_cpu_16(th->dst_port);
		s->flags = th->tcp_flags;
		s->seq = rte_be_to_cpu_32(th->sent_seq);
		s->ack = rte_be_to_cpu_32(th->recv_ack);
		s->win = rte_be_to_cpu_16(th->rx_win);
		s->len = tot - hl - thl;
		tcp_opts_parse(th, thl, &s->o);
		memcpy(s->payload, (const uint8_t *)th + thl, RTE_MIN(s->len, (uint32_t)sizeof(s->payload)));
	}
}

static uint16_t capture(struct tpa_worker *w, struct rte_mbuf **m, uint16_t n)
{
	(void)w;
	for (uint16_t i = 0; i < n; i++) {
		if (nr_out < TH_MAX_OUT)
			decode(m[i], &outq[nr_out++]);
		rte_pktmbuf_free(m[i]);
	}
	return n;
}

int th_global_init(void)
{
	char prefix[64];
	char *argv[] = { "tpa-test", "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--no-telemetry", "--file-prefix", prefix,
			 "--log-level", "1", "-l", "0", NULL };
	struct tpa_worker *w;

	snprintf(prefix, sizeof(prefix), "tpa-unit-%d", (int)getpid());
	snprintf(tpa_dev.runtime_dir, sizeof(tpa_dev.runtime_dir), "/var/run/dpdk/%s", prefix);
	if (rte_eal_init(13, argv) < 0) {
		tpa_dev_remove_runtime_dir();
		return -1;
	}
	/* leave no runtime directory behind, whatever the tests did */
	atexit(tpa_dev_remove_runtime_dir);
	tpa_tsc_hz = rte_get_tsc_hz();
	outq = calloc(TH_MAX_OUT, sizeof(*outq));
	tpa_workers = rte_zmalloc(NULL, sizeof(*tpa_workers), RTE_CACHE_LINE_SIZE);
	tpa_nr_workers = 1;
	tpa_cfg_defaults(&tpa_cfg);
	th_cfg("");
	w = &tpa_workers[0];
	if (tpa_worker_setup(w, 0))
		return -1;
	w->pool = rte_pktmbuf_pool_create("th_pool", 16384, 256, TPA_PKT_PRIV_SIZE, 2048 + 128 + 9000, 0);
	w->zc_pool = rte_pktmbuf_pool_create("th_zc", 16384, 256, TPA_PKT_PRIV_SIZE, 0, 0);
	if (!w->pool || !w->zc_pool)
		return -1;
	w->xmit = capture;
	tpa_worker_set_self(w);
	th_w = w;
	if (neigh_init() || tcp_init(1))
		return -1;
	tcp_worker_online(0);
	th_reset();
	return 0;
}

void th_cfg(const char *kv)
{
	char err[256];

	if (tpa_cfg_load_string(&tpa_cfg, kv, "test", err, sizeof(err))) {
		fprintf(stderr, "harness: %s\n", err);
		abort();
	}
	tpa_netif.ip = tpa_cfg.ip;
	tpa_netif.mask = tpa_cfg.mask;
	tpa_netif.gw = tpa_cfg.gw;
	tpa_netif.mtu = (uint16_t)tpa_cfg.mtu;
	tpa_netif.tx_offload = 0;
}

void th_reset(void)
{
	struct in_addr a;

	/* free every socket the previous test left behind */
	for (uint32_t i = 0; i < tcp_max_socks; i++) {
		struct tcp_sock *sk = tcp_socks[i];
		if (sk && sk->in_use) {
			sk->flags |= SK_CLOSED_BY_APP;
			if (sk->state == TPA_TCP_LISTEN) {
				tcp_listen_del(sk);
				tcp_sock_free(sk);
			} else {
				tcp_sock_done(sk);
				if (sk->in_use)
					tcp_sock_free(sk);
			}
		}
	}
	th_w->accept_head = th_w->accept_tail = NULL;
	th_w->tw_head = th_w->tw_tail = NULL;
	th_w->ready_head = th_w->out_head = NULL;
	tpa_cfg_defaults(&tpa_cfg);
	tpa_cfg.log_level = 0;
	th_cfg("net.ip=" TH_LOCAL_IP "/24; net.gw=10.0.0.254; tcp.delayed_ack_us=0");
	rte_ether_unformat_addr("02:00:00:00:00:02", &tpa_netif.mac);
	neigh_flush();
	inet_pton(AF_INET, TH_PEER_IP, &a);
	neigh_add_static(a.s_addr, &peer_mac);
	memset(&th_w->stats, 0, sizeof(th_w->stats));
	tpa_fault_specs[0].active = tpa_fault_specs[1].active = 0;
	th_w->now = tpa_now();
	/* frames the previous test queued but did not flush, or held by faults */
	tpa_fault_release(th_w, 1);
	tpa_worker_flush(th_w);
	th_clear_out();
}

uint32_t th_build(uint8_t *buf, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
		  uint16_t win, const void *data, uint32_t len, const uint8_t *opts, uint8_t optlen)
{
	struct rte_ether_hdr *eh = (void *)buf;
	struct rte_ipv4_hdr *ip = (void *)(buf + 14);
	struct rte_tcp_hdr *th = (void *)(buf + 34);
	uint8_t olen = (uint8_t)((optlen + 3) & ~3);
	struct in_addr a;

	rte_ether_addr_copy(&tpa_netif.mac, &eh->dst_addr);
	rte_ether_addr_copy(&peer_mac, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, 20);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 20 + olen + len));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	inet_pton(AF_INET, TH_PEER_IP, &a);
	ip->src_addr = a.s_addr;
	ip->dst_addr = tpa_netif.ip;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	memset(th, 0, 20);
	th->src_port = rte_cpu_to_be_16(sport);
	th->dst_port = rte_cpu_to_be_16(dport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)(((20 + olen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(win);
	memset(th + 1, 1, olen);	/* NOP padding */
	if (optlen)
		memcpy(th + 1, opts, optlen);
	if (len)
		memcpy((uint8_t *)(th + 1) + olen, data, len);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return 34 + 20 + olen + len;
}

void th_inject_frame(const void *frame, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(th_w->pool);
	char *p;

	if (!m)
		abort();
	p = rte_pktmbuf_append(m, (uint16_t)len);
	if (!p)
		abort();
	memcpy(p, frame, len);
	th_w->now = tpa_now();
	pkt_meta(m)->rx_tsc = th_w->now;
	tpa_worker_input(th_w, m);
	th_run();
}

void th_inject(uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
	       const void *data, uint32_t len, const uint8_t *opts, uint8_t optlen)
{
	static uint8_t buf[9300];
	uint32_t n = th_build(buf, sport, dport, flags, seq, ack, win, data, len, opts, optlen);

	th_inject_frame(buf, n);
}

void th_run(void)
{
	tcp_worker_quiescent(0);
	th_w->now = tpa_now();
	tpa_timer_run(&th_w->timers, th_w->now);
	neigh_tick(th_w, th_w->now);
	tpa_fault_release(th_w, 0);
	tcp_output_pending(th_w);
	tpa_worker_flush(th_w);
}

void th_advance_us(uint64_t us)
{
	while (us) {
		uint64_t step = us > 1000 ? 1000 : us;
		tpa_clock_offset += tpa_us_to_tsc(step);
		us -= step;
		th_run();
	}
}

int th_nr_out(void)
{
	return nr_out - out_pos;
}

struct th_seg *th_out(int i)
{
	return i < nr_out - out_pos ? &outq[out_pos + i] : NULL;
}

struct th_seg *th_pop(void)
{
	return out_pos < nr_out ? &outq[out_pos++] : NULL;
}

void th_clear_out(void)
{
	nr_out = out_pos = 0;
}

uint64_t th_drops(enum tpa_drop_reason r)
{
	return th_w->stats.drop[r];
}

int th_establish_passive(uint16_t lport, uint16_t pport, uint32_t peer_iss, uint32_t *our_iss,
			 const uint8_t *syn_opts, uint8_t optlen)
{
	struct th_seg *s;
	int ls, sid;

	ls = tcp_listen_lookup(rte_cpu_to_be_16(lport)) ? tcp_listen_lookup(rte_cpu_to_be_16(lport))->sid
							 : tpa_listen_on(NULL, lport, NULL);
	if (ls < 0)
		return -1;
	th_clear_out();
	th_inject(pport, lport, TCP_SYN, peer_iss, 0, 65535, NULL, 0, syn_opts, optlen);
	s = th_pop();
	if (!s || s->flags != (TCP_SYN | TCP_ACK) || s->ack != peer_iss + 1)
		return -1;
	*our_iss = s->seq;
	th_inject(pport, lport, TCP_ACK, peer_iss + 1, s->seq + 1, 65535, NULL, 0, NULL, 0);
	if (tpa_accept_burst(th_w, &sid, 1) != 1)
		return -1;
	th_clear_out();
	return sid;
}

int th_establish_active(uint16_t pport, uint32_t peer_iss, uint32_t *our_iss, uint16_t *lport,
			const uint8_t *synack_opts, uint8_t optlen)
{
	struct th_seg *s;
	int sid;

	th_clear_out();
	sid = tpa_connect_to(TH_PEER_IP, pport, NULL);
	if (sid < 0)
		return -1;
	th_run();
	s = th_pop();
	if (!s || s->flags != TCP_SYN)
		return -1;
	*our_iss = s->seq;
	*lport = s->sport;
	th_inject(pport, s->sport, TCP_SYN | TCP_ACK, peer_iss, s->seq + 1, 65535, NULL, 0, synack_opts, optlen);
	s = th_pop();
	if (!s || s->flags != TCP_ACK || s->ack != peer_iss + 1)
		return -1;
	th_clear_out();
	return sid;
}

struct th_seg *th_pop_tcp(void)
{
	struct th_seg *s;

	while ((s = th_pop()) && s->ip_proto != IPPROTO_TCP)
		;
	return s;
}

struct tcp_sock *th_sock(int sid)
{
	return tcp_sock_get(sid);
}

struct tcp_sock *th_find(uint16_t lport, uint16_t pport)
{
	struct in_addr a;

	inet_pton(AF_INET, TH_PEER_IP, &a);
	return tcp_flow_lookup(tpa_netif.ip, rte_cpu_to_be_16(lport), a.s_addr, rte_cpu_to_be_16(pport));
}

int th_state(int sid)
{
	struct tpa_sock_info info;

	if (tpa_sock_info_get(sid, &info))
		return -1;
	return info.state;
}

uint8_t th_opt_ts(uint8_t *p, uint32_t val, uint32_t ecr)
{
	uint32_t v = rte_cpu_to_be_32(val), e = rte_cpu_to_be_32(ecr);

	p[0] = 1;
	p[1] = 1;
	p[2] = 8;
	p[3] = 10;
	memcpy(p + 4, &v, 4);
	memcpy(p + 8, &e, 4);
	return 12;
}

uint8_t th_opt_sack(uint8_t *p, int n, const uint32_t *blocks)
{
	p[0] = 1;
	p[1] = 1;
	p[2] = 5;
	p[3] = (uint8_t)(2 + 8 * n);
	for (int i = 0; i < 2 * n; i++) {
		uint32_t v = rte_cpu_to_be_32(blocks[i]);
		memcpy(p + 4 + 4 * i, &v, 4);
	}
	return (uint8_t)(4 + 8 * n);
}

double th_ms_between(const struct th_seg *a, const struct th_seg *b)
{
	return (double)(int64_t)(b->tsc - a->tsc) * 1000.0 / (double)tpa_tsc_hz;
}

void th_pattern(uint8_t *buf, uint32_t seq, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((seq + i) * 7 + 3);
}

int th_open_passive(struct th_conn *c, uint16_t lport, uint16_t pport, const uint8_t *opts, uint8_t optlen)
{
	memset(c, 0, sizeof(*c));
	c->sid = th_establish_passive(lport, pport, 1000, &c->iss, opts, optlen);
	if (c->sid < 0)
		return -1;
	c->lport = lport;
	c->pport = pport;
	c->pseq = 1001;
	c->pack = c->iss + 1;
	c->win = 65535;
	return 0;
}

int th_open_active(struct th_conn *c, uint16_t pport, const uint8_t *opts, uint8_t optlen)
{
	memset(c, 0, sizeof(*c));
	c->sid = th_establish_active(pport, 5000, &c->iss, &c->lport, opts, optlen);
	if (c->sid < 0)
		return -1;
	c->pport = pport;
	c->pseq = 5001;
	c->pack = c->iss + 1;
	c->win = 65535;
	return 0;
}

void th_send_opts(struct th_conn *c, uint8_t flags, const void *data, uint32_t len, const uint8_t *opts,
		  uint8_t optlen)
{
	th_inject(c->pport, c->lport, flags | TCP_ACK, c->pseq, c->pack, c->win, data, len, opts, optlen);
	c->pseq += len + ((flags & TCP_FIN) ? 1 : 0);
}

void th_send(struct th_conn *c, uint8_t flags, const void *data, uint32_t len)
{
	th_send_opts(c, flags, data, len, NULL, 0);
}

void th_ack(struct th_conn *c, uint32_t ack)
{
	c->pack = ack;
	th_inject(c->pport, c->lport, TCP_ACK, c->pseq, ack, c->win, NULL, 0, NULL, 0);
}
