/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-socket stage latency histograms. Log-linear buckets: values below 16
 * ns get one bucket each; above, every power of two is split into 16
 * linear sub-buckets, so a bucket is at most 1/16 of its lower bound wide.
 * Recording is a clz, a shift and an increment.
 */
#include <errno.h>
#include <string.h>

#include "pkt.h"
#include "tcp.h"

static const char *const stage_names[TPA_LAT_NR_STAGE] = {
	"write_lat.submit", "write_lat.xmit", "write_lat.complete",
	"read_lat.submit", "read_lat.drain", "read_lat.complete",
};

const char *tpa_lat_stage_name(enum tpa_lat_stage st)
{
	return (unsigned)st < TPA_LAT_NR_STAGE ? stage_names[st] : NULL;
}

static inline int lat_bucket(uint64_t v)
{
	int msb, idx;

	if (v < (1u << TPA_LAT_SUB_BITS))
		return (int)v;
	msb = 63 - __builtin_clzll(v);
	idx = ((msb - TPA_LAT_SUB_BITS + 1) << TPA_LAT_SUB_BITS) +
	      (int)((v >> (msb - TPA_LAT_SUB_BITS)) & ((1u << TPA_LAT_SUB_BITS) - 1));
	return idx < TPA_LAT_NR_BUCKET ? idx : TPA_LAT_NR_BUCKET - 1;
}

uint64_t tpa_lat_bucket_low(int idx)
{
	int exp = idx >> TPA_LAT_SUB_BITS, sub = idx & ((1 << TPA_LAT_SUB_BITS) - 1);

	if (exp == 0)
		return (uint64_t)sub;
	return ((uint64_t)((1 << TPA_LAT_SUB_BITS) | sub)) << (exp - 1);
}

static void lat_add(struct tpa_lat_hist *h, uint64_t ns)
{
	h->bucket[lat_bucket(ns)]++;
	if (!h->count || ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->count++;
	h->sum_ns += ns;
}

void tcp_lat_record(struct tcp_sock *sk, enum tpa_lat_stage st, uint64_t tsc_from, uint64_t tsc_to)
{
	if (!tsc_from || tsc_to < tsc_from)
		return;
	lat_add(&sk->lat[st], tpa_tsc_to_ns(tsc_to - tsc_from));
}

uint64_t tpa_lat_percentile(const struct tpa_lat_hist *h, double pct)
{
	uint64_t want, seen = 0;

	if (!h->count)
		return 0;
	if (pct >= 100.0)
		return h->max_ns;
	want = (uint64_t)((pct / 100.0) * (double)h->count + 0.5);
	if (want == 0)
		want = 1;
	for (int i = 0; i < TPA_LAT_NR_BUCKET; i++) {
		seen += h->bucket[i];
		if (seen >= want) {
			/* report the bucket's middle, clamped to what was seen */
			uint64_t lo = tpa_lat_bucket_low(i), hi = tpa_lat_bucket_low(i + 1);
			uint64_t v = lo + (hi - lo) / 2;
			if (v > h->max_ns)
				v = h->max_ns;
			if (v < h->min_ns)
				v = h->min_ns;
			return v;
		}
	}
	return h->max_ns;
}

/* Clear a socket's histograms for reuse: only the buckets between the
 * smallest and largest value recorded can be non-zero, so a connection's
 * setup does not pay for wiping every bucket of six histograms. */
void tcp_lat_reset(struct tpa_lat_hist *h)
{
	for (int st = 0; st < TPA_LAT_NR_STAGE; st++) {
		if (h[st].count) {
			int lo = lat_bucket(h[st].min_ns), hi = lat_bucket(h[st].max_ns);
			memset(&h[st].bucket[lo], 0, (size_t)(hi - lo + 1) * sizeof(h[st].bucket[0]));
		}
		h[st].count = h[st].sum_ns = h[st].min_ns = h[st].max_ns = 0;
	}
}

void tpa_lat_merge(struct tpa_lat_hist *dst, const struct tpa_lat_hist *src)
{
	if (!src->count)
		return;
	if (!dst->count || src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	for (int i = 0; i < TPA_LAT_NR_BUCKET; i++)
		dst->bucket[i] += src->bucket[i];
}

/* Read-completion latency, from the iov_read_done callback. */
void tcp_lat_read_done(struct rte_mbuf *m, uint64_t now_tsc)
{
	struct pkt_meta *pm = pkt_meta(m);
	struct tcp_sock *sk = tcp_sock_get(pm->sid);

	if (sk && sk->gen == pm->sk_gen && sk->lat)
		tcp_lat_record(sk, TPA_LAT_READ_COMPLETE, pm->rx_tsc, now_tsc);
}
