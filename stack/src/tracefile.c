/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Trace rings in the mapped file obs_dir/trace (one slot per socket id),
 * and the archive of rings of sockets that recovered from something
 * abnormal: obs_dir/archive/<sid>-<seq>-<reasons>-<recovery>.trace, each a
 * self-describing one-slot trace file. The datapath only copies the ring
 * into a queue; the control thread writes and rotates the files.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_spinlock.h>

#include "cfg.h"
#include "log.h"
#include "obs.h"
#include "tcp.h"
#include "trace.h"
#include "tracefile.h"

/* The identity of a slot's socket, at the start of the slot. */
struct trace_slot_meta {
	uint32_t sid, gen;
	uint64_t created_ns;	/* CLOCK_REALTIME */
	uint32_t lip, rip;	/* network order */
	uint16_t lport, rport;	/* network order */
	uint8_t worker, state;
	uint16_t pad;
	uint32_t iss, irs;
	uint64_t created_tsc;
	uint8_t reserved[16];
};
_Static_assert(sizeof(struct trace_slot_meta) == 64, "slot meta is 64 bytes");

#define SLOT_RING_OFF 64
#define ARCHIVE_QUEUE_MAX 16
#define ARCHIVE_NAMES_MAX 4096

static struct memfile trace_mf;
static uint32_t slot_records, nr_slots;
static size_t slot_size;
static char archive_dir[600];

/* archives queued by workers, written by the control thread */
struct archive_job {
	struct archive_job *next;
	size_t len;
	char name[128];
	uint8_t buf[];
};
static struct archive_job *job_head, *job_tail;
static uint32_t nr_jobs;
static rte_spinlock_t job_lock = RTE_SPINLOCK_INITIALIZER;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t archive_seq, archive_rotated, archive_lost;

/* names of written archives, oldest first, for rotation */
static char (*names)[128];
static uint32_t names_head, names_count;

static size_t slot_bytes(uint32_t nr_records)
{
	return (SLOT_RING_OFF + sizeof(struct trace_ring) + (size_t)nr_records * 8 + 63) & ~(size_t)63;
}

int tracefile_parser(char *buf, size_t len, uint32_t nslot, uint32_t nrec, const char *extra)
{
	static const char *const timers[] = { "rto", "delack", "persist", "keepalive", "time_wait", "syn" };
	int n;

	n = snprintf(buf, len,
		     "tpa-trace 1\n"
		     "layout nr_slot=%u slot_size=%zu meta=0 ring=%d records=%u\n"
		     "meta sid:u32@0 gen:u32@4 created_ns:u64@8 lip:ip4@16 rip:ip4@20 lport:be16@24 rport:be16@26"
		     " worker:u8@28 state:u8:state@29 iss:u32@32 irs:u32@36 created_tsc:u64@40\n"
		     "ring mask:u32@0 head:u64@8 base_tsc:u64@16 rec:8@%zu\n",
		     nslot, slot_bytes(nrec), SLOT_RING_OFF, nrec, sizeof(struct trace_ring));
	n += snprintf(buf + n, len - (size_t)n, "enum state");
	for (int s = 0; s < TPA_TCP_NR_STATE; s++)
		n += snprintf(buf + n, len - (size_t)n, " %s", tcp_state_name(s));
	n += snprintf(buf + n, len - (size_t)n, "\nenum timer");
	for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++)
		n += snprintf(buf + n, len - (size_t)n, " %s", timers[i]);
	n += snprintf(buf + n, len - (size_t)n,
		      "\nenum retx rto fast sack\n"
		      "enum rstdir in out\n"
		      "enum cwnd_why - fast_retx recovery_end rto\n"
		      "bits tcpflags F S R P A U\n"
		      "init snd_una=iss+1\n"
		      "rec %d ts us:u56:time\n"
		      "rec %d rcv_seq flags:u8:tcpflags win:u16 seq:u32:rseq | tcp_rcv: seq={seq} flags={flags} win={win}\n"
		      "rec %d rcv_ack nr_sack:u8 len:u16 ack:u32:sseq | + ack={ack} len={len} .-snd_una={ack-snd_una}\n"
		      "rec %d xmit_seq flags:u8:tcpflags len:u16 seq:u32:sseq | xmit pkt: seq={seq} len={len} flags={flags}\n"
		      "rec %d xmit_ack retrans:u8 win:u16 ack:u32:rseq | + ack={ack} win={win} retrans={retrans}\n"
		      "rec %d state old:u8:state new:u16:state ms:u32 | state => {new} (from {old} after {ms} ms)\n"
		      "rec %d timer kind:u8:timer backoff:u16 rto_us:u32 | timer {kind}: backoff={backoff} rto={rto_us}us\n"
		      "rec %d rtt -:u8 -:u16 srtt_us:u32 | rtt: srtt={srtt_us}us\n"
		      "rec %d rttvar -:u8 -:u16 rttvar_us:u32 | rttvar={rttvar_us}us\n"
		      "rec %d cwnd why:u8:cwnd_why dupacks:u16 cwnd:u32 | cwnd={cwnd} why={why} dupacks={dupacks}\n"
		      "rec %d ssthresh -:u8 -:u16 ssthresh:u32 | ssthresh={ssthresh}\n"
		      "rec %d snd_una -:u8 txq:u16 snd_una:u32:sseq | snd_una={snd_una} txq_descs={txq}\n"
		      "rec %d rxq -:u8 ooo:u16 rxq_bytes:u32 | rxq={rxq_bytes} ooo_segs={ooo}\n"
		      "rec %d zc_done -:u8 -:u16 bytes:u32 | zero-copy write done: {bytes} bytes\n"
		      "rec %d retrans kind:u8:retx len:u16 seq:u32:sseq | retrans {kind}: seq={seq} len={len}\n"
		      "rec %d ooo -:u8 len:u16 seq:u32:rseq | ooo: seq={seq} len={len}\n"
		      "rec %d rst dir:u8:rstdir -:u16 seq:u32 | rst {dir}: seq={seq}\n"
		      "rec %d err -:u8 -:u16 errno:u32:errno | error: {errno}\n",
		      TR_TS, TR_RCV_SEQ, TR_RCV_ACK, TR_XMIT_SEQ, TR_XMIT_ACK, TR_STATE, TR_TIMER, TR_RTT,
		      TR_RTTVAR, TR_CWND, TR_SSTHRESH, TR_SND_UNA, TR_RXQ, TR_ZC_DONE, TR_RETRANS, TR_OOO, TR_RST,
		      TR_ERR);
	if (extra)
		n += snprintf(buf + n, len - (size_t)n, "%s\n", extra);
	return n;
}

int tracefile_init(const char *dir, uint32_t nslot, uint32_t nrec)
{
	char path[600], parser[4096];
	uint32_t n = 1;

	while (n < nrec)
		n <<= 1;
	slot_records = n;
	slot_size = slot_bytes(n);
	nr_slots = nslot;
	tracefile_parser(parser, sizeof(parser), nslot, n, NULL);
	snprintf(archive_dir, sizeof(archive_dir), "%s/archive", dir);
	names = calloc(ARCHIVE_NAMES_MAX, sizeof(*names));
	names_head = names_count = 0;
	snprintf(path, sizeof(path), "%s/trace", dir);
	if (!names)
		return -1;
	return memfile_create(&trace_mf, path, "trace", parser, (size_t)nslot * slot_size, tpa_tsc_hz,
			      tpa_now());
}

void tracefile_fini(void)
{
	/* rings inside the mapping must not be written any more: detach them */
	if (trace_mf.hdr && tcp_socks)
		for (uint32_t i = 0; i < tcp_max_socks; i++) {
			struct tcp_sock *sk = tcp_socks[i];
			char *p = sk ? (char *)sk->trace : NULL;
			if (p && p >= (char *)trace_mf.data && p < (char *)trace_mf.data + trace_mf.data_size)
				sk->trace = NULL;
		}
	memfile_close(&trace_mf);
	free(names);
	names = NULL;
	archive_dir[0] = 0;
}

static struct trace_slot_meta *slot_meta(int sid)
{
	if (!trace_mf.hdr || sid < 0 || (uint32_t)sid >= nr_slots)
		return NULL;
	return (struct trace_slot_meta *)((char *)trace_mf.data + (size_t)sid * slot_size);
}

struct trace_ring *tracefile_ring_alloc(int sid, uint32_t nr_records)
{
	struct trace_slot_meta *m = slot_meta(sid);

	if (!m || nr_records != slot_records)
		return NULL;
	return (struct trace_ring *)((char *)m + SLOT_RING_OFF);
}

static void fill_meta(struct trace_slot_meta *m, const struct tcp_sock *sk)
{
	struct timespec ts;
	uint64_t now_ns;

	if (m->created_tsc != sk->created_tsc || m->sid != (uint32_t)sk->sid) {
		clock_gettime(CLOCK_REALTIME, &ts);
		now_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		m->created_ns = now_ns - tpa_tsc_to_ns(tpa_now() - sk->created_tsc);
		m->created_tsc = sk->created_tsc;
		m->gen++;
	}
	m->sid = (uint32_t)sk->sid;
	m->lip = sk->lip;
	m->rip = sk->rip;
	m->lport = sk->lport;
	m->rport = sk->rport;
	m->worker = (uint8_t)(sk->w ? sk->w->id : 0);
	m->state = sk->state;
	m->iss = sk->iss;
	m->irs = sk->irs;
}

void tracefile_sock_meta(const struct tcp_sock *sk)
{
	struct trace_slot_meta *m = slot_meta(sk->sid);

	if (m && (char *)sk->trace == (char *)m + SLOT_RING_OFF)
		fill_meta(m, sk);
}

void tracefile_reason_name(uint32_t reasons, char *buf, size_t len)
{
	static const char *const r[] = { "rto", "fastretx", "ooo", "zerownd", "rst" };
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < 5; i++)
		if (reasons & (1u << i))
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "+" : "", r[i]);
	if (!n)
		snprintf(buf, len, "none");
}

static void write_job(struct archive_job *j)
{
	char path[800];
	int fd;

	if (!names || !archive_dir[0])
		return;
	if (mkdir(archive_dir, 0755) && errno != EEXIST)
		return;
	snprintf(path, sizeof(path), "%s/%s", archive_dir, j->name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, j->buf, j->len) != (ssize_t)j->len) {
		LOG_WARN("trace archive %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(path);
		return;
	}
	close(fd);
	snprintf(names[(names_head + names_count) % ARCHIVE_NAMES_MAX], 128, "%s", j->name);
	if (names_count < ARCHIVE_NAMES_MAX)
		names_count++;
	else
		names_head = (names_head + 1) % ARCHIVE_NAMES_MAX;
	/* keep the newest obs.archive_max (settable at runtime) */
	while (names_count > tpa_cfg.archive_max) {
		snprintf(path, sizeof(path), "%s/%s", archive_dir, names[names_head]);
		unlink(path);
		names_head = (names_head + 1) % ARCHIVE_NAMES_MAX;
		names_count--;
		archive_rotated++;
	}
}

void tracefile_flush(void)
{
	struct archive_job *j;

	pthread_mutex_lock(&write_lock);
	for (;;) {
		rte_spinlock_lock(&job_lock);
		j = job_head;
		if (j) {
			job_head = j->next;
			if (!job_head)
				job_tail = NULL;
			nr_jobs--;
		}
		rte_spinlock_unlock(&job_lock);
		if (!j)
			break;
		write_job(j);
		free(j);
	}
	pthread_mutex_unlock(&write_lock);
}

uint64_t tracefile_archived(uint64_t *rotated)
{
	if (rotated)
		*rotated = archive_rotated;
	return archive_seq;
}

void tracefile_archive(struct tcp_sock *sk, uint32_t reasons, uint64_t recovery_tsc)
{
	char parser[4096], extra[160], why[64];
	struct trace_slot_meta *m;
	struct archive_job *j;
	size_t data_off, len, ring_len;
	uint64_t seq;
	double ms = (double)recovery_tsc * 1000.0 / (double)tpa_tsc_hz;

	if (!archive_dir[0] || !sk->trace)
		return;
	if (nr_jobs >= ARCHIVE_QUEUE_MAX) {
		archive_lost++;
		return;
	}
	seq = __atomic_fetch_add(&archive_seq, 1, __ATOMIC_RELAXED) + 1;
	tracefile_reason_name(reasons, why, sizeof(why));
	snprintf(extra, sizeof(extra), "archive sid=%d seq=%llu reasons=%s recovery_us=%llu", sk->sid,
		 (unsigned long long)seq, why, (unsigned long long)(ms * 1000.0));
	ring_len = sizeof(struct trace_ring) + ((size_t)sk->trace->mask + 1) * 8;
	tracefile_parser(parser, sizeof(parser), 1, sk->trace->mask + 1, extra);
	len = memfile_layout(strlen(parser), slot_bytes(sk->trace->mask + 1), &data_off);
	j = calloc(1, sizeof(*j) + len);
	if (!j) {
		archive_lost++;
		return;
	}
	memfile_format(j->buf, "trace-archive", parser, slot_bytes(sk->trace->mask + 1), tpa_tsc_hz, tpa_now());
	m = (struct trace_slot_meta *)(j->buf + data_off);
	fill_meta(m, sk);
	m->gen = 1;
	memcpy((char *)m + SLOT_RING_OFF, sk->trace, ring_len);
	j->len = len;
	snprintf(j->name, sizeof(j->name), "%d-%llu-%s-%.1fms.trace", sk->sid, (unsigned long long)seq, why, ms);
	rte_spinlock_lock(&job_lock);
	if (job_tail)
		job_tail->next = j;
	else
		job_head = j;
	job_tail = j;
	nr_jobs++;
	rte_spinlock_unlock(&job_lock);
}
