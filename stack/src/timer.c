/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include "timer.h"

int tpa_timer_heap_init(struct tpa_timer_heap *th, uint32_t cap)
{
	th->h = calloc(cap, sizeof(*th->h));
	th->nr = 0;
	th->cap = th->h ? cap : 0;
	return th->h ? 0 : -1;
}

void tpa_timer_heap_free(struct tpa_timer_heap *th)
{
	free(th->h);
	th->h = NULL;
	th->nr = th->cap = 0;
}

void tpa_timer_init(struct tpa_timer *t, tpa_timer_fn fn)
{
	t->expire = 0;
	t->heap_idx = -1;
	t->fn = fn;
}

static void place(struct tpa_timer_heap *th, uint32_t i, struct tpa_timer *t)
{
	th->h[i] = t;
	t->heap_idx = (int32_t)i;
}

static void sift_up(struct tpa_timer_heap *th, uint32_t i)
{
	struct tpa_timer *t = th->h[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (th->h[parent]->expire <= t->expire)
			break;
		place(th, i, th->h[parent]);
		i = parent;
	}
	place(th, i, t);
}

static void sift_down(struct tpa_timer_heap *th, uint32_t i)
{
	struct tpa_timer *t = th->h[i];

	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= th->nr)
			break;
		if (c + 1 < th->nr && th->h[c + 1]->expire < th->h[c]->expire)
			c++;
		if (t->expire <= th->h[c]->expire)
			break;
		place(th, i, th->h[c]);
		i = c;
	}
	place(th, i, t);
}

static void heap_remove(struct tpa_timer_heap *th, struct tpa_timer *t)
{
	uint32_t i = (uint32_t)t->heap_idx;
	struct tpa_timer *last = th->h[--th->nr];

	t->heap_idx = -1;
	if (last == t)
		return;
	place(th, i, last);
	if (i > 0 && th->h[(i - 1) / 2]->expire > last->expire)
		sift_up(th, i);
	else
		sift_down(th, i);
}

void tpa_timer_set(struct tpa_timer_heap *th, struct tpa_timer *t, uint64_t expire)
{
	if (t->heap_idx >= 0) {
		if (expire == t->expire)
			return;
		heap_remove(th, t);
	}
	t->expire = expire;
	if (!expire)
		return;
	if (th->nr == th->cap) {
		uint32_t cap = th->cap ? th->cap * 2 : 64;
		struct tpa_timer **h = realloc(th->h, cap * sizeof(*h));
		if (!h)
			abort();	/* timers are not optional; out of memory here is fatal */
		th->h = h;
		th->cap = cap;
	}
	th->h[th->nr] = t;
	t->heap_idx = (int32_t)th->nr++;
	sift_up(th, th->nr - 1);
}

int tpa_timer_run(struct tpa_timer_heap *th, uint64_t now)
{
	int n = 0;

	while (th->nr && th->h[0]->expire <= now) {
		struct tpa_timer *t = th->h[0];
		heap_remove(th, t);
		t->expire = 0;
		t->fn(t, now);
		n++;
	}
	return n;
}

uint64_t tpa_timer_next(const struct tpa_timer_heap *th)
{
	return th->nr ? th->h[0]->expire : UINT64_MAX;
}
