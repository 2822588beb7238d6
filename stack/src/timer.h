/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file Per-worker timers: a binary min-heap keyed by expiry (TSC). Each
 * owner (a socket, the neighbour table) keeps one timer armed at its
 * earliest deadline and sorts out which deadline fired in its callback.
 */
#ifndef TPA_TIMER_H
#define TPA_TIMER_H

#include <stdint.h>

struct tpa_timer;
typedef void (*tpa_timer_fn)(struct tpa_timer *t, uint64_t now);

struct tpa_timer {
	uint64_t expire;	/* TSC; 0 when not armed */
	int32_t heap_idx;	/* -1 when not in the heap */
	tpa_timer_fn fn;
};

struct tpa_timer_heap {
	struct tpa_timer **h;
	uint32_t nr, cap;
};

int tpa_timer_heap_init(struct tpa_timer_heap *th, uint32_t cap);
void tpa_timer_heap_free(struct tpa_timer_heap *th);
void tpa_timer_init(struct tpa_timer *t, tpa_timer_fn fn);
/** (Re)arm at @p expire; 0 disarms. */
void tpa_timer_set(struct tpa_timer_heap *th, struct tpa_timer *t, uint64_t expire);
/** Run every timer due at @p now; returns how many ran. */
int tpa_timer_run(struct tpa_timer_heap *th, uint64_t now);
/** The earliest expiry, or UINT64_MAX. */
uint64_t tpa_timer_next(const struct tpa_timer_heap *th);

#endif
