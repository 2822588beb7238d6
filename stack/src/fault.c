/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_ether.h>

#include "fault.h"
#include "worker.h"
#include "pkt.h"

struct tpa_fault_spec tpa_fault_specs[2];

#define HELD_MAX 512
#define REORDER_HOLD_US 2000

struct held_frame {
	struct rte_mbuf *m;
	uint64_t release;
};

/* Per-worker state lives here, not in struct tpa_worker, so the worker
 * stays small when injection is off. */
struct fault_state {
	uint64_t rng;
	struct held_frame held[2][HELD_MAX];
	uint32_t nr_held[2];
	uint64_t injected[2][FAULT_NR_KIND];
};
static struct fault_state fault_state[RTE_MAX_LCORE];

static const char *const kind_names[] = { "drop", "dup", "reorder", "delay", "truncate", "corrupt" };

const char *tpa_fault_kind_name(int k)
{
	return k >= 0 && k < FAULT_NR_KIND ? kind_names[k] : NULL;
}

int tpa_fault_parse(const char *spec, struct tpa_fault_spec *out, char *err, size_t errlen)
{
	char buf[256], *save = NULL, *item;

	memset(out, 0, sizeof(*out));
	out->delay_us = 1000;
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "fault spec too long");
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '='), *end;
		int k;

		if (!eq) {
			snprintf(err, errlen, "fault item '%s': expected name=value", item);
			return -1;
		}
		*eq = 0;
		if (strcmp(item, "delay_us") == 0 || strcmp(item, "port") == 0) {
			unsigned long v = strtoul(eq + 1, &end, 10);
			if (*end || end == eq + 1 || v > (item[0] == 'p' ? 65535ul : 10000000ul)) {
				snprintf(err, errlen, "fault item '%s': bad value '%s'", item, eq + 1);
				return -1;
			}
			if (item[0] == 'p')
				out->port = (uint16_t)v;
			else
				out->delay_us = (uint32_t)v;
			continue;
		}
		for (k = 0; k < FAULT_NR_KIND; k++)
			if (strcmp(item, kind_names[k]) == 0)
				break;
		if (k == FAULT_NR_KIND) {
			snprintf(err, errlen, "fault item '%s': unknown (drop, dup, reorder, delay, truncate, corrupt, delay_us, port)",
				 item);
			return -1;
		}
		double p = strtod(eq + 1, &end);
		if (*end || end == eq + 1 || p < 0 || p > 1) {
			snprintf(err, errlen, "fault item '%s': bad probability '%s' (0..1)", item, eq + 1);
			return -1;
		}
		out->ppm[k] = (uint32_t)(p * 1e6 + 0.5);
		if (out->ppm[k])
			out->active = 1;
	}
	return 0;
}

void tpa_fault_set(enum tpa_fault_dir dir, const struct tpa_fault_spec *spec)
{
	tpa_fault_specs[dir] = *spec;
}

void tpa_fault_counters(uint64_t out[2][FAULT_NR_KIND])
{
	memset(out, 0, sizeof(uint64_t) * 2 * FAULT_NR_KIND);
	for (int i = 0; i < tpa_nr_workers && i < RTE_MAX_LCORE; i++)
		for (int d = 0; d < 2; d++)
			for (int k = 0; k < FAULT_NR_KIND; k++)
				out[d][k] += fault_state[i].injected[d][k];
}

static inline uint32_t rnd_ppm(struct fault_state *fs)
{
	/* xorshift64*: cheap, and good enough to pick faults */
	uint64_t x = fs->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	fs->rng = x;
	return (uint32_t)(((x * 0x2545F4914F6CDD1Dull) >> 32) % 1000000);
}

static int frame_matches(struct rte_mbuf *m, enum tpa_fault_dir dir, uint16_t port)
{
	/* ingress frames still have their Ethernet header; egress ones too */
	struct rte_ether_hdr *eh = pkt_peek(m, 0, sizeof(*eh));
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;

	(void)dir;
	if (!eh || eh->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return 0;
	ip = pkt_peek(m, sizeof(*eh), sizeof(*ip));
	if (!ip || ip->next_proto_id != IPPROTO_TCP)
		return 0;
	th = pkt_peek(m, sizeof(*eh) + (ip->version_ihl & 0xf) * 4, sizeof(*th));
	return th && (th->src_port == rte_cpu_to_be_16(port) || th->dst_port == rte_cpu_to_be_16(port));
}

static int hold(struct tpa_worker *w, struct fault_state *fs, enum tpa_fault_dir dir, struct rte_mbuf *m,
		uint64_t us)
{
	if (fs->nr_held[dir] == HELD_MAX)
		return -1;
	fs->held[dir][fs->nr_held[dir]].m = m;
	fs->held[dir][fs->nr_held[dir]].release = w->now + tpa_us_to_tsc(us);
	fs->nr_held[dir]++;
	return 0;
}

struct rte_mbuf *tpa_fault_apply(struct tpa_worker *w, enum tpa_fault_dir dir, struct rte_mbuf *m)
{
	const struct tpa_fault_spec *s = &tpa_fault_specs[dir];
	struct fault_state *fs = &fault_state[w->id];

	if (!fs->rng)
		fs->rng = 0x9E3779B97F4A7C15ull ^ ((uint64_t)w->id << 32) ^ w->now;
	if (s->port && !frame_matches(m, dir, s->port))
		return m;
	if (s->ppm[FAULT_DROP] && rnd_ppm(fs) < s->ppm[FAULT_DROP]) {
		fs->injected[dir][FAULT_DROP]++;
		if (dir == FAULT_INGRESS)
			w->stats.drop[DROP_FAULT_INJECTED]++;
		rte_pktmbuf_free(m);
		return NULL;
	}
	if (s->ppm[FAULT_TRUNCATE] && rnd_ppm(fs) < s->ppm[FAULT_TRUNCATE] && m->pkt_len > 1) {
		uint32_t cut = 1 + rnd_ppm(fs) % (m->pkt_len - 1) / 2;

		fs->injected[dir][FAULT_TRUNCATE]++;
		if (rte_pktmbuf_trim(m, (uint16_t)cut)) {
			/* the cut reaches past the last segment (chained TX frames): copy the head */
			struct rte_mbuf *c = rte_pktmbuf_copy(m, w->pool, 0, m->pkt_len - cut);
			if (c) {
				rte_pktmbuf_free(m);
				m = c;
			}
		}
	}
	if (s->ppm[FAULT_CORRUPT] && rnd_ppm(fs) < s->ppm[FAULT_CORRUPT] && m->data_len > 34) {
		/* flip a byte beyond the Ethernet and IP headers: checksums must catch it */
		uint32_t off = 34 + rnd_ppm(fs) % (m->data_len - 34);
		fs->injected[dir][FAULT_CORRUPT]++;
		*rte_pktmbuf_mtod_offset(m, uint8_t *, off) ^= 0x5a;
	}
	if (s->ppm[FAULT_DUP] && rnd_ppm(fs) < s->ppm[FAULT_DUP]) {
		struct rte_mbuf *c = rte_pktmbuf_copy(m, w->pool, 0, UINT32_MAX);
		if (c && hold(w, fs, dir, c, 0) == 0)
			fs->injected[dir][FAULT_DUP]++;
		else if (c)
			rte_pktmbuf_free(c);
	}
	if (s->ppm[FAULT_REORDER] && rnd_ppm(fs) < s->ppm[FAULT_REORDER] &&
	    hold(w, fs, dir, m, REORDER_HOLD_US) == 0) {
		fs->injected[dir][FAULT_REORDER]++;
		return NULL;
	}
	if (s->ppm[FAULT_DELAY] && rnd_ppm(fs) < s->ppm[FAULT_DELAY] && hold(w, fs, dir, m, s->delay_us) == 0) {
		fs->injected[dir][FAULT_DELAY]++;
		return NULL;
	}
	return m;
}

void tpa_fault_release(struct tpa_worker *w, int force)
{
	struct fault_state *fs = &fault_state[w->id];

	for (int dir = 0; dir < 2; dir++) {
		uint32_t keep = 0, n = fs->nr_held[dir];
		struct rte_mbuf *due[HELD_MAX];
		uint32_t nr_due = 0;

		if (!n)
			continue;
		for (uint32_t i = 0; i < n; i++) {
			if (force || fs->held[dir][i].release <= w->now)
				due[nr_due++] = fs->held[dir][i].m;
			else
				fs->held[dir][keep++] = fs->held[dir][i];
		}
		fs->nr_held[dir] = keep;
		for (uint32_t i = 0; i < nr_due; i++) {
			if (force && dir == FAULT_INGRESS)
				rte_pktmbuf_free(due[i]);
			else if (dir == FAULT_INGRESS)
				tpa_worker_input(w, due[i]);
			else
				tpa_worker_xmit_raw(w, due[i]);
		}
	}
}
