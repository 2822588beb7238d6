/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file Observability plumbing shared by memfile.c, tracefile.c, ctrl.c,
 * dump.c and telemetry.c: the instance directory obs.run_dir/<id>/, the
 * mapped socks/stats/trace files, the rings of state changes and closed
 * connections, and per-worker frame capture. All of it runs on the control
 * thread except the small hooks the datapath calls (obs_sock_state,
 * tpa_dump_frame), which never block.
 */
#ifndef TPA_OBS_H
#define TPA_OBS_H

#include <stdint.h>
#include <stddef.h>

#include "memfile.h"

struct tcp_sock;
struct tpa_worker;
struct rte_mbuf;

/** Start observability for a running stack: files, control thread, telemetry. 0 or -1. */
int tpa_obs_init(void);
/** Stop the control thread and remove obs.run_dir/<id>/ (idempotent). */
void tpa_obs_fini(void);

/** Instance id and directory, "" before tpa_obs_init. */
extern char tpa_obs_id[64];
extern char tpa_obs_dir[400];
/** CLOCK_MONOTONIC ns at tpa_obs_init (uptime of the instance). */
extern uint64_t tpa_obs_start_ns;

/** Compute the id (TPA_ID, obs.id, or program-pid) into @p buf. */
void tpa_obs_make_id(char *buf, size_t len);
/** Remove directories under @p run_dir whose owner pid is gone; returns how many. */
int tpa_obs_clean_stale(const char *run_dir);
/** rm -r @p path (files and one level of subdirectories). */
void tpa_obs_rmtree(const char *path);

/* ------------------------------------------------------------- socks table */

/** One socket in the mapped socks file (layout described by its parser). */
struct obs_sock_rec {
	uint32_t sid, gen;
	uint8_t in_use, state, worker, pad;
	uint32_t lip, rip;		/* network order */
	uint16_t lport, rport;		/* network order */
	uint32_t snd_una, snd_nxt, rcv_nxt, snd_wnd, rcv_wnd, cwnd, ssthresh, srtt_us, rto_us, mss;
	uint64_t bytes_in, bytes_out, pkts_in, pkts_out, retrans_pkts, retrans_bytes;
	uint64_t rto_count, fast_retrans, dup_acks_in, ooo_pkts, zwnd_probes;
	uint64_t created_ns, updated_ns;	/* CLOCK_REALTIME */
	uint8_t reserved[24];
};

/** Copy @p sk's fields into its record of the socks file (no-op when not mapped). */
void obs_sock_snapshot(const struct tcp_sock *sk);
/** Refresh every record and the stats file (control thread, every 100 ms). */
void obs_refresh(void);

/**
 * Hook from trace_state(): a socket moves from @p old to @p new_state after
 * @p tsc_in_old cycles. Updates the socks file and the state / lifetime
 * rings. Called by the socket's worker; cheap (no syscalls).
 */
void obs_sock_state(struct tcp_sock *sk, int old, int new_state, uint64_t tsc_in_old);

/* ------------------------------------------------------------ event rings */

struct obs_state_ev {
	uint64_t ns;			/* CLOCK_REALTIME */
	uint64_t us_in_old;
	uint32_t sid, lip, rip;
	uint16_t lport, rport;
	uint8_t old, new_state, worker;
};

struct obs_life_ev {
	uint64_t end_ns;		/* CLOCK_REALTIME at close */
	uint64_t duration_us;
	uint64_t bytes_in, bytes_out, pkts_in, pkts_out, retrans_pkts;
	uint32_t sid, lip, rip;
	uint16_t lport, rport;
	uint8_t last_state, worker;
	int err;
};

#define OBS_RING_SIZE 1024

/** Copy up to @p max of the newest state changes, oldest first; returns how many. */
int obs_states_get(struct obs_state_ev *out, int max);
/** Same for closed connections. */
int obs_life_get(struct obs_life_ev *out, int max);

/* ------------------------------------------------------------ trace files */

/** Map obs_dir/trace for @p nr_slot sockets of @p nr_records each. */
int tracefile_init(const char *dir, uint32_t nr_slot, uint32_t nr_records);
void tracefile_fini(void);
/** Record the identity of @p sk in its trace slot (state hook). */
void tracefile_sock_meta(const struct tcp_sock *sk);
/** Write archives queued by the datapath (control thread; also called by fini). */
void tracefile_flush(void);
/** The parser text of trace files with @p nr_slot slots (for tests and archives). */
int tracefile_parser(char *buf, size_t len, uint32_t nr_slot, uint32_t nr_records, const char *extra);
/** Name the reasons bitmask, e.g. "rto+ooo". */
void tracefile_reason_name(uint32_t reasons, char *buf, size_t len);
/** Number of archives written so far, and how many rotated out. */
uint64_t tracefile_archived(uint64_t *rotated);

/* ---------------------------------------------------------- frame capture */

#define TPA_DUMP_IN  0x1
#define TPA_DUMP_OUT 0x2
#define TPA_DUMP_MAX_WORKER 64

/** Per-worker capture direction mask; 0 (the usual case) costs one load per frame. */
extern uint8_t tpa_dump_flags[TPA_DUMP_MAX_WORKER];

/** Copy @p m (not consumed) into the worker's capture ring. */
void tpa_dump_frame(struct tpa_worker *w, struct rte_mbuf *m, int dir);

struct tpa_dump_rec {
	uint64_t ns;		/* CLOCK_REALTIME */
	uint32_t len, caplen;
	uint8_t dir;
	uint8_t data[];
};

/** Start capturing on the workers in @p mask with @p dirs; 0 or -1 (ENOMEM, EBUSY). */
int tpa_dump_start(uint64_t mask, int dirs);
void tpa_dump_stop(void);
/** Pop one captured frame of worker @p w into @p buf (size @p len); 1, or 0 when empty. */
int tpa_dump_pop(int w, struct tpa_dump_rec *buf, size_t len);
/** Frames the worker could not queue (ring full). */
uint64_t tpa_dump_dropped(int w);
void tpa_dump_fini(void);

/* ---------------------------------------------------- control + telemetry */

int ctrl_start(const char *path);
void ctrl_stop(void);
void obs_telemetry_register(void);

#endif
