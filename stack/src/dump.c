/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker frame capture for `tpa dump`: when a worker's flag is set, the
 * worker copies each received / transmitted frame (up to DUMP_SNAP bytes)
 * into its own single-producer single-consumer ring; the control thread
 * pops the frames and ships them to the tool, which writes the pcaps.
 * A full ring drops the copy (counted), never the frame.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_mbuf.h>

#include "obs.h"
#include "worker.h"

#define DUMP_SLOTS 512
#define DUMP_SNAP 2048

struct dump_slot {
	struct tpa_dump_rec rec;
	uint8_t data[DUMP_SNAP];
};

struct dump_ring {
	uint32_t head;		/* written by the worker */
	uint32_t tail;		/* written by the control thread */
	uint64_t dropped;
	struct dump_slot slot[DUMP_SLOTS];
};

uint8_t tpa_dump_flags[TPA_DUMP_MAX_WORKER];
/* allocated on the first capture, kept until fini so a worker never races a free */
static struct dump_ring *rings[TPA_DUMP_MAX_WORKER];

void tpa_dump_frame(struct tpa_worker *w, struct rte_mbuf *m, int dir)
{
	struct dump_ring *r = rings[w->id];
	uint32_t head, tail;
	struct dump_slot *s;
	struct timespec ts;

	if (!r)
		return;
	head = r->head;
	tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	if (head - tail >= DUMP_SLOTS) {
		r->dropped++;
		return;
	}
	s = &r->slot[head % DUMP_SLOTS];
	clock_gettime(CLOCK_REALTIME, &ts);
	s->rec.ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	s->rec.len = m->pkt_len;
	s->rec.caplen = RTE_MIN(m->pkt_len, (uint32_t)DUMP_SNAP);
	s->rec.dir = (uint8_t)dir;
	/* copies across segments; returns the data pointer itself when contiguous */
	{
		const void *p = rte_pktmbuf_read(m, 0, s->rec.caplen, s->data);
		if (p && p != s->data)
			memcpy(s->data, p, s->rec.caplen);
	}
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
}

int tpa_dump_start(uint64_t mask, int dirs)
{
	for (int i = 0; i < tpa_nr_workers && i < TPA_DUMP_MAX_WORKER; i++) {
		if (!(mask & (1ull << i)))
			continue;
		if (!rings[i]) {
			rings[i] = calloc(1, sizeof(*rings[i]));
			if (!rings[i]) {
				errno = ENOMEM;
				return -1;
			}
		}
		/* discard what an earlier capture left */
		rings[i]->tail = rings[i]->head;
		rings[i]->dropped = 0;
	}
	for (int i = 0; i < tpa_nr_workers && i < TPA_DUMP_MAX_WORKER; i++)
		__atomic_store_n(&tpa_dump_flags[i], (mask & (1ull << i)) ? (uint8_t)dirs : 0, __ATOMIC_RELEASE);
	return 0;
}

void tpa_dump_stop(void)
{
	for (int i = 0; i < TPA_DUMP_MAX_WORKER; i++)
		__atomic_store_n(&tpa_dump_flags[i], 0, __ATOMIC_RELEASE);
}

int tpa_dump_pop(int w, struct tpa_dump_rec *buf, size_t len)
{
	struct dump_ring *r;
	struct dump_slot *s;
	uint32_t tail;

	if (w < 0 || w >= TPA_DUMP_MAX_WORKER || !(r = rings[w]))
		return 0;
	tail = r->tail;
	if (__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == tail)
		return 0;
	s = &r->slot[tail % DUMP_SLOTS];
	if (len >= sizeof(*buf) + s->rec.caplen) {
		*buf = s->rec;
		memcpy(buf->data, s->data, s->rec.caplen);
	}
	__atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
	return 1;
}

uint64_t tpa_dump_dropped(int w)
{
	return w >= 0 && w < TPA_DUMP_MAX_WORKER && rings[w] ? rings[w]->dropped : 0;
}

void tpa_dump_fini(void)
{
	tpa_dump_stop();
	for (int i = 0; i < TPA_DUMP_MAX_WORKER; i++) {
		free(rings[i]);
		rings[i] = NULL;
	}
}
