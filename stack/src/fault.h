/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file Fault injection on a worker's ingress and egress: drop, duplicate,
 * reorder, delay, truncate, corrupt, each with a probability, optionally
 * restricted to one TCP port. Spec syntax (cfg keys fault.ingress and
 * fault.egress, settable at runtime):
 *   "drop=0.02,dup=0.01,reorder=0.05,delay=0.1,delay_us=500,truncate=0.001,corrupt=0.001,port=5201"
 * An empty spec turns injection off. Frames held for delay/reorder are
 * released by the worker loop.
 */
#ifndef TPA_FAULT_H
#define TPA_FAULT_H

#include <stdint.h>
#include <stddef.h>

struct rte_mbuf;
struct tpa_worker;

enum tpa_fault_kind { FAULT_DROP, FAULT_DUP, FAULT_REORDER, FAULT_DELAY, FAULT_TRUNCATE, FAULT_CORRUPT,
		      FAULT_NR_KIND };
enum tpa_fault_dir { FAULT_INGRESS, FAULT_EGRESS };

struct tpa_fault_spec {
	uint32_t ppm[FAULT_NR_KIND];	/* probability in parts per million */
	uint32_t delay_us;		/* hold time for delay (default 1000) */
	uint16_t port;			/* 0: every frame; else TCP frames with this src or dst port */
	uint8_t active;
};

/** Parse @p spec; 0 or -1 with a message naming the bad item. */
int tpa_fault_parse(const char *spec, struct tpa_fault_spec *out, char *err, size_t errlen);
/** Install specs for every worker (atomically enough: a word per field). */
void tpa_fault_set(enum tpa_fault_dir dir, const struct tpa_fault_spec *spec);
/** Counters of injected faults, summed over workers. */
void tpa_fault_counters(uint64_t out[2][FAULT_NR_KIND]);
const char *tpa_fault_kind_name(int k);

extern struct tpa_fault_spec tpa_fault_specs[2];

/**
 * Run @p m through the faults of @p dir. Returns the frame to pass on now
 * (maybe altered), or NULL when it was dropped or held. Duplicates are
 * emitted through @p emit.
 */
struct rte_mbuf *tpa_fault_apply(struct tpa_worker *w, enum tpa_fault_dir dir, struct rte_mbuf *m);
/** Release held frames that are due: ingress ones go to the input path, egress ones to the TX batch. */
void tpa_fault_release(struct tpa_worker *w, int force);

#endif
