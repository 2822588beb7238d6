/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The instance directory obs.run_dir/<id>/ and what lives in it besides the
 * traces: the socks and stats files (refreshed by the control thread, the
 * socks records also written on every state change), the rings of state
 * changes and closed connections, and its removal at exit.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_spinlock.h>

#include "cfg.h"
#include "log.h"
#include "fsutil.h"
#include "obs.h"
#include "tcp.h"
#include "worker.h"

char tpa_obs_id[64];
char tpa_obs_dir[400];
uint64_t tpa_obs_start_ns;

static struct memfile socks_mf, stats_mf;
static int atexit_done;

static struct obs_state_ev states_ring[OBS_RING_SIZE];
static uint64_t states_head;
static struct obs_life_ev life_ring[OBS_RING_SIZE];
static uint64_t life_head;
static rte_spinlock_t ring_lock = RTE_SPINLOCK_INITIALIZER;

struct obs_stats_rec {
	struct tpa_worker_stats st;
	uint64_t max_gap_tsc, nr_socks, updated_ns;
};

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------- id, dirs */

void tpa_obs_make_id(char *buf, size_t len)
{
	const char *env = getenv("TPA_ID");

	if (env && *env)
		snprintf(buf, len, "%s", env);
	else if (tpa_cfg.id[0])
		snprintf(buf, len, "%s", tpa_cfg.id);
	else
		snprintf(buf, len, "%s-%d", program_invocation_short_name, (int)getpid());
	/* an id is one path component */
	for (char *p = buf; *p; p++)
		if (*p == '/' || (p == buf && *p == '.'))
			*p = '_';
}

void tpa_obs_rmtree(const char *path)
{
	tpa_rmtree(path);
}

int tpa_obs_clean_stale(const char *run_dir)
{
	return tpa_clean_stale_instances(run_dir, NULL);
}

static int mkdir_p(const char *path)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

/* ------------------------------------------------------------ socks, stats */

#define SF(name, type, field) \
	n += snprintf(buf + n, len - n, " " name ":" type "@%zu", offsetof(struct obs_sock_rec, field))

static int socks_parser(char *buf, size_t len, uint32_t nr)
{
	int n = snprintf(buf, len, "tpa-socks 1\nlayout nr=%u size=%zu\nfield", nr, sizeof(struct obs_sock_rec));

	SF("sid", "u32", sid); SF("gen", "u32", gen); SF("in_use", "u8", in_use);
	SF("state", "u8:state", state); SF("worker", "u8", worker);
	SF("lip", "ip4", lip); SF("rip", "ip4", rip); SF("lport", "be16", lport); SF("rport", "be16", rport);
	SF("snd_una", "u32", snd_una); SF("snd_nxt", "u32", snd_nxt); SF("rcv_nxt", "u32", rcv_nxt);
	SF("snd_wnd", "u32", snd_wnd); SF("rcv_wnd", "u32", rcv_wnd); SF("cwnd", "u32", cwnd);
	SF("ssthresh", "u32", ssthresh); SF("srtt_us", "u32", srtt_us); SF("rto_us", "u32", rto_us);
	SF("mss", "u32", mss);
	SF("bytes_in", "u64", bytes_in); SF("bytes_out", "u64", bytes_out);
	SF("pkts_in", "u64", pkts_in); SF("pkts_out", "u64", pkts_out);
	SF("retrans_pkts", "u64", retrans_pkts); SF("retrans_bytes", "u64", retrans_bytes);
	SF("rto_count", "u64", rto_count); SF("fast_retrans", "u64", fast_retrans);
	SF("dup_acks_in", "u64", dup_acks_in); SF("ooo_pkts", "u64", ooo_pkts);
	SF("zwnd_probes", "u64", zwnd_probes);
	SF("created_ns", "u64", created_ns); SF("updated_ns", "u64", updated_ns);
	n += snprintf(buf + n, len - n, "\nenum state");
	for (int s = 0; s < TPA_TCP_NR_STATE; s++)
		n += snprintf(buf + n, len - n, " %s", tcp_state_name(s));
	n += snprintf(buf + n, len - n, "\n");
	return n;
}

static int stats_parser(char *buf, size_t len, uint32_t nr)
{
	static const char *const names[] = { "rx_pkts", "rx_bytes", "tx_pkts", "tx_bytes", "polls_empty",
					     "polls_busy", "cycles_busy", "cycles_total", "mbuf_alloc_fail",
					     "tx_ring_full", "tw_recycled" };
	int n = snprintf(buf, len, "tpa-stats 1\nlayout nr=%u size=%zu\nfield", nr, sizeof(struct obs_stats_rec));
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		n += snprintf(buf + n, len - n, " %s:u64@%zu", names[i], i * 8);
	for (int d = 0; tpa_drop_reason_name(d); d++)
		n += snprintf(buf + n, len - n, " drop.%s:u64@%zu", tpa_drop_reason_name(d),
			      offsetof(struct tpa_worker_stats, drop) + (size_t)d * 8);
	n += snprintf(buf + n, len - n, " max_gap_tsc:u64@%zu nr_socks:u64@%zu updated_ns:u64@%zu\n",
		      offsetof(struct obs_stats_rec, max_gap_tsc), offsetof(struct obs_stats_rec, nr_socks),
		      offsetof(struct obs_stats_rec, updated_ns));
	return n;
}

static uint64_t tsc_to_realtime(uint64_t tsc)
{
	/* anchor: the trace file's creation pair would do too; this is cheap enough */
	uint64_t now_tsc = tpa_now(), now_ns = realtime_ns();

	return now_ns - (uint64_t)((double)(now_tsc - tsc) * 1e9 / (double)tpa_tsc_hz);
}

void obs_sock_snapshot(const struct tcp_sock *sk)
{
	struct obs_sock_rec *r;

	if (!socks_mf.hdr || (uint32_t)sk->sid >= tcp_max_socks)
		return;
	r = (struct obs_sock_rec *)socks_mf.data + sk->sid;
	if (r->gen != sk->gen + 1 || !r->created_ns)
		r->created_ns = tsc_to_realtime(sk->created_tsc);
	r->sid = (uint32_t)sk->sid;
	r->gen = sk->gen + 1;		/* 0 = never used */
	r->in_use = sk->in_use;
	r->state = sk->state;
	r->worker = (uint8_t)(sk->w ? sk->w->id : 0);
	r->lip = sk->lip;
	r->rip = sk->rip;
	r->lport = sk->lport;
	r->rport = sk->rport;
	r->snd_una = sk->snd_una;
	r->snd_nxt = sk->snd_nxt;
	r->rcv_nxt = sk->rcv_nxt;
	r->snd_wnd = sk->snd_wnd;
	r->rcv_wnd = sk->rcv_wnd;
	r->cwnd = sk->cwnd;
	r->ssthresh = sk->ssthresh;
	r->srtt_us = sk->srtt_us;
	r->rto_us = sk->rto_us;
	r->mss = sk->mss;
	r->bytes_in = sk->bytes_in;
	r->bytes_out = sk->bytes_out;
	r->pkts_in = sk->pkts_in;
	r->pkts_out = sk->pkts_out;
	r->retrans_pkts = sk->retrans_pkts;
	r->retrans_bytes = sk->retrans_bytes;
	r->rto_count = sk->rto_count;
	r->fast_retrans = sk->fast_retrans;
	r->dup_acks_in = sk->dup_acks_in;
	r->ooo_pkts = sk->ooo_pkts;
	r->zwnd_probes = sk->zwnd_probes;
	r->updated_ns = realtime_ns();
}

void obs_refresh(void)
{
	if (socks_mf.hdr && tcp_socks)
		for (uint32_t i = 0; i < tcp_max_socks; i++) {
			struct tcp_sock *sk = tcp_socks[i];
			struct obs_sock_rec *r = (struct obs_sock_rec *)socks_mf.data + i;
			if (sk && (sk->in_use || r->in_use))
				obs_sock_snapshot(sk);
		}
	if (stats_mf.hdr && tpa_workers)
		for (int i = 0; i < tpa_nr_workers; i++) {
			struct obs_stats_rec *r = (struct obs_stats_rec *)stats_mf.data + i;
			memcpy(&r->st, &tpa_workers[i].stats, sizeof(r->st));
			r->max_gap_tsc = tpa_workers[i].max_gap_tsc;
			r->nr_socks = tpa_workers[i].nr_socks;
			r->updated_ns = realtime_ns();
		}
}

/* ------------------------------------------------------------ event rings */

void obs_sock_state(struct tcp_sock *sk, int old, int new_state, uint64_t tsc_in_old)
{
	uint64_t now = realtime_ns();
	struct obs_state_ev *e;

	uint8_t cur = sk->state;

	if (!tpa_obs_dir[0])
		return;
	/* the caller updates sk->state after us: record the new one */
	sk->state = (uint8_t)new_state;
	tracefile_sock_meta(sk);
	obs_sock_snapshot(sk);
	sk->state = cur;
	rte_spinlock_lock(&ring_lock);
	e = &states_ring[states_head++ % OBS_RING_SIZE];
	e->ns = now;
	e->us_in_old = tsc_in_old * 1000000 / tpa_tsc_hz;
	e->sid = (uint32_t)sk->sid;
	e->lip = sk->lip;
	e->rip = sk->rip;
	e->lport = sk->lport;
	e->rport = sk->rport;
	e->old = (uint8_t)old;
	e->new_state = (uint8_t)new_state;
	e->worker = (uint8_t)sk->w->id;
	/* a connection's life ends when it reaches CLOSED having had a peer */
	if (new_state == TPA_TCP_CLOSED && old != TPA_TCP_LISTEN && sk->rport) {
		struct obs_life_ev *l = &life_ring[life_head++ % OBS_RING_SIZE];
		l->end_ns = now;
		l->duration_us = (sk->w->now - sk->created_tsc) * 1000000 / tpa_tsc_hz;
		l->bytes_in = sk->bytes_in;
		l->bytes_out = sk->bytes_out;
		l->pkts_in = sk->pkts_in;
		l->pkts_out = sk->pkts_out;
		l->retrans_pkts = sk->retrans_pkts;
		l->sid = (uint32_t)sk->sid;
		l->lip = sk->lip;
		l->rip = sk->rip;
		l->lport = sk->lport;
		l->rport = sk->rport;
		l->last_state = (uint8_t)old;
		l->worker = (uint8_t)sk->w->id;
		l->err = sk->err;
	}
	rte_spinlock_unlock(&ring_lock);
}

static int ring_copy(void *out, const void *ring, uint64_t head, size_t esz, int max)
{
	uint64_t n = head < OBS_RING_SIZE ? head : OBS_RING_SIZE, start;

	if (n > (uint64_t)max)
		n = (uint64_t)max;
	start = head - n;
	for (uint64_t i = 0; i < n; i++)
		memcpy((char *)out + i * esz, (const char *)ring + ((start + i) % OBS_RING_SIZE) * esz, esz);
	return (int)n;
}

int obs_states_get(struct obs_state_ev *out, int max)
{
	int n;

	rte_spinlock_lock(&ring_lock);
	n = ring_copy(out, states_ring, states_head, sizeof(*out), max);
	rte_spinlock_unlock(&ring_lock);
	return n;
}

int obs_life_get(struct obs_life_ev *out, int max)
{
	int n;

	rte_spinlock_lock(&ring_lock);
	n = ring_copy(out, life_ring, life_head, sizeof(*out), max);
	rte_spinlock_unlock(&ring_lock);
	return n;
}

/* ------------------------------------------------------------ init, fini */

static void obs_stop(int unmap);

static void obs_atexit(void)
{
	/* workers may still run while the process exits: keep their rings mapped */
	obs_stop(0);
}

int tpa_obs_init(void)
{
	char path[600], parser[8192], id[64];
	FILE *f;

	if (tpa_obs_dir[0])
		return 0;
	tpa_obs_make_id(id, sizeof(id));
	if (mkdir_p(tpa_cfg.run_dir)) {
		LOG_WARN("obs.run_dir '%s': cannot create: %s; no mem files, no control socket",
			 tpa_cfg.run_dir, strerror(errno));
		return -1;
	}
	tpa_obs_clean_stale(tpa_cfg.run_dir);
	snprintf(path, sizeof(path), "%s/%s", tpa_cfg.run_dir, id);
	if (mkdir(path, 0755)) {
		int pid = tpa_instance_pid(path);
		if (errno != EEXIST || (pid > 0 && pid != getpid() && !(kill(pid, 0) && errno == ESRCH))) {
			LOG_WARN("obs: cannot use '%s': %s; no mem files, no control socket", path,
				 errno == EEXIST ? "in use by a live instance (set obs.id or TPA_ID)" : strerror(errno));
			return -1;
		}
		tpa_obs_rmtree(path);
		if (mkdir(path, 0755)) {
			LOG_WARN("obs: cannot create '%s': %s", path, strerror(errno));
			return -1;
		}
	}
	snprintf(tpa_obs_id, sizeof(tpa_obs_id), "%s", id);
	snprintf(tpa_obs_dir, sizeof(tpa_obs_dir), "%.399s", path);
	tpa_obs_start_ns = mono_ns();
	snprintf(path, sizeof(path), "%s/pid", tpa_obs_dir);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	states_head = life_head = 0;

	socks_parser(parser, sizeof(parser), tcp_max_socks);
	snprintf(path, sizeof(path), "%s/socks", tpa_obs_dir);
	if (memfile_create(&socks_mf, path, "socks", parser, (size_t)tcp_max_socks * sizeof(struct obs_sock_rec),
			   tpa_tsc_hz, tpa_now()))
		LOG_WARN("obs: %s: %s", path, strerror(errno));
	stats_parser(parser, sizeof(parser), (uint32_t)tpa_nr_workers);
	snprintf(path, sizeof(path), "%s/stats", tpa_obs_dir);
	if (memfile_create(&stats_mf, path, "stats", parser,
			   (size_t)tpa_nr_workers * sizeof(struct obs_stats_rec), tpa_tsc_hz, tpa_now()))
		LOG_WARN("obs: %s: %s", path, strerror(errno));
	if (tpa_cfg.trace && tracefile_init(tpa_obs_dir, tcp_max_socks, tpa_cfg.trace_records))
		LOG_WARN("obs: trace file: %s; traces stay in plain memory", strerror(errno));
	snprintf(path, sizeof(path), "%s/ctrl", tpa_obs_dir);
	if (ctrl_start(path))
		LOG_WARN("obs: control socket %s: %s", path, strerror(errno));
	obs_telemetry_register();
	if (!atexit_done) {
		atexit(obs_atexit);
		atexit_done = 1;
	}
	return 0;
}

static void obs_stop(int unmap)
{
	if (!tpa_obs_dir[0])
		return;
	ctrl_stop();
	tracefile_flush();
	if (unmap) {
		tpa_dump_fini();
		tracefile_fini();
		memfile_close(&socks_mf);
		memfile_close(&stats_mf);
	} else {
		tpa_dump_stop();
	}
	tpa_obs_rmtree(tpa_obs_dir);
	tpa_obs_dir[0] = 0;
	tpa_obs_id[0] = 0;
}

void tpa_obs_fini(void)
{
	obs_stop(1);
}
