/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One direction of the relay. A frame goes through, in order:
 * loss -> duplicate -> (per copy) corrupt, delay+jitter, reorder hold ->
 * queue ordered by release time -> token bucket -> send.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "relay.h"

uint64_t
relay_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline int
frame_before(const struct relay_frame *x, const struct relay_frame *y)
{
	return x->t_release < y->t_release ||
	       (x->t_release == y->t_release && x->seq < y->seq);
}

static void
heap_push(struct relay_path *p, struct relay_frame *f)
{
	uint32_t i = p->nr++;

	while (i > 0) {
		uint32_t up = (i - 1) / 2;

		if (!frame_before(f, p->heap[up]))
			break;
		p->heap[i] = p->heap[up];
		i = up;
	}
	p->heap[i] = f;
}

static struct relay_frame *
heap_pop(struct relay_path *p)
{
	struct relay_frame *top = p->heap[0], *last = p->heap[--p->nr];
	uint32_t i = 0;

	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m;

		if (l >= p->nr)
			break;
		m = (r < p->nr && frame_before(p->heap[r], p->heap[l])) ? r : l;
		if (!frame_before(p->heap[m], last))
			break;
		p->heap[i] = p->heap[m];
		i = m;
	}
	if (p->nr > 0)
		p->heap[i] = last;
	return top;
}

int
relay_path_init(struct relay_path *p, const struct relay_impair *imp, uint64_t seed,
		int ip_only)
{
	memset(p, 0, sizeof(*p));
	p->imp = *imp;
	p->ip_only = ip_only;
	relay_prng_seed(&p->prng, seed);
	p->cap = imp->limit;
	p->heap = calloc(p->cap, sizeof(*p->heap));
	if (p->heap == NULL)
		return -1;
	if (imp->rate_bps) {
		/* default depth: 1 ms worth of rate, at least two full frames */
		double b = imp->burst_bytes ? (double)imp->burst_bytes :
			   (double)imp->rate_bps / 8 / 1000;

		if (!imp->burst_bytes && b < 3028)
			b = 3028;
		p->burst = b;
		p->tokens = b;
	}
	return 0;
}

static uint64_t
path_release_time(struct relay_path *p, uint64_t now)
{
	int64_t d = (int64_t)p->imp.delay_ns;

	if (p->imp.jitter_ns) {
		/* uniform in [-jitter, +jitter] */
		uint64_t span = 2 * p->imp.jitter_ns + 1;

		d += (int64_t)(relay_prng_next(&p->prng) % span) - (int64_t)p->imp.jitter_ns;
	}
	if (d < 0)
		d = 0;
	return now + (uint64_t)d;
}

static void
path_enqueue(struct relay_path *p, const uint8_t *f, size_t len, uint64_t now, int impair)
{
	struct relay_frame *fr;

	if (p->nr >= p->cap) {
		p->st.queue_drops++;
		return;
	}
	fr = malloc(sizeof(*fr) + len);
	if (fr == NULL) {
		p->st.queue_drops++;
		return;
	}
	memcpy(fr->data, f, len);
	fr->len = (uint32_t)len;
	fr->seq = p->next_seq++;
	if (impair && p->imp.corrupt > 0 && relay_prng_chance(&p->prng, p->imp.corrupt)) {
		if (relay_frame_corrupt(fr->data, len, &p->prng) >= 0)
			p->st.corrupted++;
	}
	fr->t_release = path_release_time(p, now);
	if (impair && p->imp.reorder > 0 && relay_prng_chance(&p->prng, p->imp.reorder)) {
		fr->t_release += p->imp.reorder_gap_ns;
		p->st.reorder_held++;
	}
	if (fr->t_release > now)
		p->st.delayed++;
	heap_push(p, fr);
}

void
relay_path_input(struct relay_path *p, const uint8_t *f, size_t len, uint64_t now)
{
	int impair = !p->ip_only || relay_frame_is_ip(f, len);
	int copies = 1;

	p->st.rx++;
	p->st.rx_bytes += len;
	if (!impair) {
		p->st.passed++;
		path_enqueue(p, f, len, now, 0);
		return;
	}
	if (p->imp.loss > 0 && relay_prng_chance(&p->prng, p->imp.loss)) {
		p->st.lost++;
		return;
	}
	if (p->imp.dup > 0 && relay_prng_chance(&p->prng, p->imp.dup)) {
		copies = 2;
		p->st.duplicated++;
	}
	while (copies--)
		path_enqueue(p, f, len, now, 1);
}

/* Refill the bucket; returns when @p need bytes will be there (now if already). */
static uint64_t
bucket_ready(struct relay_path *p, double need, uint64_t now)
{
	double rate = (double)p->imp.rate_bps / 8 / 1e9;	/* bytes per ns */

	if (now > p->t_refill) {
		p->tokens += (double)(now - p->t_refill) * rate;
		if (p->tokens > p->burst)
			p->tokens = p->burst;
	}
	p->t_refill = now;
	if (need > p->burst)
		need = p->burst;	/* a frame larger than the bucket waits for a full one */
	if (p->tokens >= need)
		return now;
	return now + (uint64_t)((need - p->tokens) / rate) + 1;
}

uint64_t
relay_path_output(struct relay_path *p, struct relay_port *out, uint64_t now)
{
	while (p->nr > 0) {
		struct relay_frame *f = p->heap[0];

		if (f->t_release > now)
			return f->t_release;
		if (p->imp.rate_bps) {
			uint64_t t = bucket_ready(p, f->len, now);

			if (t > now) {
				p->st.rate_waits++;
				return t;
			}
			p->tokens -= f->len;
		}
		heap_pop(p);
		if (relay_port_send(out, f->data, f->len) == 0) {
			p->st.tx++;
			p->st.tx_bytes += f->len;
			if (p->sent_any && f->seq < p->max_sent_seq)
				p->st.reordered++;
			if (!p->sent_any || f->seq > p->max_sent_seq)
				p->max_sent_seq = f->seq;
			p->sent_any = 1;
		} else {
			p->st.tx_errors++;
		}
		free(f);
	}
	return UINT64_MAX;
}

void
relay_path_fini(struct relay_path *p)
{
	while (p->nr > 0) {
		free(heap_pop(p));
		p->st.pending++;
	}
	free(p->heap);
	p->heap = NULL;
}
