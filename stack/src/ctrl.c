/* SPDX-License-Identifier: BSD-3-Clause */
/* The control thread and its request handlers (see ctrl.h for the protocol). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_lcore.h>
#include <rte_mempool.h>

#include "cfg.h"
#include "ctrl.h"
#include "fault.h"
#include "log.h"
#include "net.h"
#include "obs.h"
#include "tcp.h"
#include "worker.h"

#define MAX_CLIENTS 8
#define TICK_MS 100
#define REQ_MAX (64 * 1024)

static pthread_t ctrl_tid;
static int ctrl_running;
static int listen_fd = -1;
static int wake_pipe[2] = { -1, -1 };
static char sock_path[600];

static json_t *err_reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *err_reply(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", buf);
}

static json_t *ok_reply(void)
{
	return json_pack("{s:b}", "ok", 1);
}

static const char *ip_str(uint32_t ip, char *buf)
{
	inet_ntop(AF_INET, &ip, buf, INET_ADDRSTRLEN);
	return buf;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ handlers */

static json_t *cmd_info(json_t *req)
{
	uint32_t nsock = 0;

	for (int i = 0; i < tpa_nr_workers; i++)
		nsock += tpa_workers[i].nr_socks;
	return json_pack("{s:b, s:s, s:i, s:f, s:i, s:I, s:s, s:s, s:I}", "ok", 1, "id", tpa_obs_id, "pid",
			 (int)getpid(), "uptime_s", (double)(mono_ns() - tpa_obs_start_ns) / 1e9, "workers",
			 tpa_nr_workers, "socks", (json_int_t)nsock, "version", TPA_VERSION, "program",
			 program_invocation_short_name, "tsc_hz", (json_int_t)tpa_tsc_hz);
}

static json_t *lat_json(int sid)
{
	json_t *o = json_object();

	for (int st = 0; st < TPA_LAT_NR_STAGE; st++) {
		struct tpa_lat_hist h;
		if (tpa_sock_lat_get(sid, (enum tpa_lat_stage)st, &h))
			continue;
		json_object_set_new(o, tpa_lat_stage_name((enum tpa_lat_stage)st),
				    json_pack("{s:I, s:I, s:I, s:I, s:I}", "count", (json_int_t)h.count, "p50_ns",
					      (json_int_t)tpa_lat_percentile(&h, 50), "p99_ns",
					      (json_int_t)tpa_lat_percentile(&h, 99), "p999_ns",
					      (json_int_t)tpa_lat_percentile(&h, 99.9), "max_ns",
					      (json_int_t)h.max_ns));
	}
	return o;
}

static json_t *sock_json(const struct tcp_sock *sk)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	json_t *o = json_pack("{s:i, s:i, s:s, s:s, s:i, s:s, s:i}", "sid", sk->sid, "worker", sk->w->id, "state",
			      tcp_state_name(sk->state), "local_ip", ip_str(sk->lip, a), "local_port",
			      rte_be_to_cpu_16(sk->lport), "remote_ip", ip_str(sk->rip, b), "remote_port",
			      rte_be_to_cpu_16(sk->rport));

#define U(k, v) json_object_set_new(o, k, json_integer((json_int_t)(v)))
	U("snd_una", sk->snd_una);
	U("snd_nxt", sk->snd_nxt);
	U("rcv_nxt", sk->rcv_nxt);
	U("snd_wnd", sk->snd_wnd);
	U("rcv_wnd", sk->rcv_wnd);
	U("mss", sk->mss);
	U("cwnd", sk->cwnd);
	U("ssthresh", sk->ssthresh);
	U("srtt_us", sk->srtt_us);
	U("rttvar_us", sk->rttvar_us);
	U("rto_us", sk->rto_us);
	U("bytes_in", sk->bytes_in);
	U("bytes_out", sk->bytes_out);
	U("pkts_in", sk->pkts_in);
	U("pkts_out", sk->pkts_out);
	U("retrans_pkts", sk->retrans_pkts);
	U("retrans_bytes", sk->retrans_bytes);
	U("rto_count", sk->rto_count);
	U("fast_retrans", sk->fast_retrans);
	U("dup_acks_in", sk->dup_acks_in);
	U("ooo_pkts", sk->ooo_pkts);
	U("zwnd_probes", sk->zwnd_probes);
	U("rxq_bytes", sk->rxq_bytes);
	U("snd_queued", sk->snd_queued);
	U("age_ms", tpa_tsc_to_ns(tpa_now() - sk->created_tsc) / 1000000);
	U("state_ms", tpa_tsc_to_ns(tpa_now() - sk->state_tsc) / 1000000);
#undef U
	return o;
}

static json_t *cmd_sk(json_t *req)
{
	int all = json_is_true(json_object_get(req, "all"));
	int lat = json_is_true(json_object_get(req, "lat"));
	json_t *arr = json_array();

	for (uint32_t i = 0; i < tcp_max_socks; i++) {
		struct tcp_sock *sk = tcp_socks[i];
		json_t *o;

		if (!sk || !sk->in_use || (!all && sk->state == TPA_TCP_CLOSED))
			continue;
		o = sock_json(sk);
		if (lat)
			json_object_set_new(o, "lat", lat_json(sk->sid));
		json_array_append_new(arr, o);
	}
	return json_pack("{s:b, s:o}", "ok", 1, "socks", arr);
}

static json_t *cmd_worker(json_t *req)
{
	json_t *arr = json_array();

	for (int i = 0; i < tpa_nr_workers; i++) {
		struct tpa_worker *w = &tpa_workers[i];
		struct tpa_worker_stats st;
		json_t *drops = json_object(), *o;

		memcpy(&st, &w->stats, sizeof(st));
		for (int d = 0; tpa_drop_reason_name(d); d++)
			if (st.drop[d])
				json_object_set_new(drops, tpa_drop_reason_name(d), json_integer((json_int_t)st.drop[d]));
		o = json_pack("{s:i, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "worker", i,
			      "bound", w->bound, "rx_pkts", (json_int_t)st.rx_pkts, "rx_bytes", (json_int_t)st.rx_bytes,
			      "tx_pkts", (json_int_t)st.tx_pkts, "tx_bytes", (json_int_t)st.tx_bytes, "polls_empty",
			      (json_int_t)st.polls_empty, "polls_busy", (json_int_t)st.polls_busy, "cycles_busy",
			      (json_int_t)st.cycles_busy, "cycles_total", (json_int_t)st.cycles_total,
			      "mbuf_alloc_fail", (json_int_t)st.mbuf_alloc_fail, "tx_ring_full",
			      (json_int_t)st.tx_ring_full, "tw_recycled", (json_int_t)st.tw_recycled, "max_gap_us",
			      (json_int_t)(tpa_tsc_to_ns(w->max_gap_tsc) / 1000), "socks", (json_int_t)w->nr_socks,
			      "drops", drops);
		json_array_append_new(arr, o);
	}
	return json_pack("{s:b, s:o, s:I}", "ok", 1, "workers", arr, "tsc_hz", (json_int_t)tpa_tsc_hz);
}

static void mp_walk(struct rte_mempool *mp, void *arg)
{
	json_t *caches = json_array(), *arr = arg;
	unsigned int cached = 0;

	if (mp->cache_size)
		for (unsigned int l = 0; l < RTE_MAX_LCORE; l++) {
			struct rte_mempool_cache *c = rte_mempool_default_cache(mp, l);
			if (!c || !c->len)
				continue;
			cached += c->len;
			json_array_append_new(caches, json_pack("{s:i, s:i}", "lcore", (int)l, "len", (int)c->len));
		}
	json_array_append_new(arr, json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:o}", "name", mp->name, "size",
					     (int)mp->size, "avail", (int)rte_mempool_avail_count(mp), "in_use",
					     (int)rte_mempool_in_use_count(mp), "cache_size", (int)mp->cache_size,
					     "cached", (int)cached, "elt_size", (int)mp->elt_size, "caches", caches));
}

static json_t *cmd_mem(json_t *req)
{
	json_t *arr = json_array();

	rte_mempool_walk(mp_walk, arr);
	return json_pack("{s:b, s:o}", "ok", 1, "pools", arr);
}

static json_t *cmd_neigh(json_t *req)
{
	struct neigh_entry e[NEIGH_TABLE_SIZE];
	int n = neigh_dump(e, NEIGH_TABLE_SIZE);
	json_t *arr = json_array();
	uint64_t now = tpa_now();

	for (int i = 0; i < n; i++) {
		char ip[INET_ADDRSTRLEN], mac[RTE_ETHER_ADDR_FMT_SIZE];
		json_int_t exp = e[i].expire == UINT64_MAX ? -1
			       : e[i].expire > now ? (json_int_t)(tpa_tsc_to_ns(e[i].expire - now) / 1000000) : 0;

		rte_ether_format_addr(mac, sizeof(mac), &e[i].mac);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:i, s:i, s:I}", "ip", ip_str(e[i].ip, ip), "mac",
						     mac, "state", neigh_state_name(e[i].state), "tries",
						     (int)e[i].tries, "pending", (int)e[i].nr_pending, "expire_ms", exp));
	}
	return json_pack("{s:b, s:o}", "ok", 1, "neigh", arr);
}

static json_t *cmd_cfg_list(json_t *req)
{
	json_t *arr = json_array();
	const char *k;
	int rt;

	for (int i = 0; (k = tpa_cfg_key_name(i, &rt)); i++) {
		char v[TPA_CFG_STR_MAX + 32];
		if (tpa_cfg_get(k, v, sizeof(v)) < 0)
			v[0] = 0;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:b}", "key", k, "value", v, "runtime", rt));
	}
	return json_pack("{s:b, s:o}", "ok", 1, "keys", arr);
}

static json_t *cmd_cfg_get(json_t *req)
{
	const char *k = json_string_value(json_object_get(req, "key"));
	char v[TPA_CFG_STR_MAX + 32];

	if (!k)
		return err_reply("cfg_get: missing \"key\"");
	if (tpa_cfg_get(k, v, sizeof(v)) < 0)
		return err_reply("unknown key '%s'", k);
	return json_pack("{s:b, s:s, s:s}", "ok", 1, "key", k, "value", v);
}

static json_t *cmd_cfg_set(json_t *req)
{
	const char *k = json_string_value(json_object_get(req, "key"));
	const char *v = json_string_value(json_object_get(req, "value"));
	char err[512], now[TPA_CFG_STR_MAX + 32];

	if (!k || !v)
		return err_reply("cfg_set: needs \"key\" and \"value\" strings");
	if (tpa_cfg_set(k, v, err, sizeof(err)))
		return err_reply("%s", err);
	tpa_cfg_get(k, now, sizeof(now));
	return json_pack("{s:b, s:s, s:s}", "ok", 1, "key", k, "value", now);
}

static json_t *cmd_fault(json_t *req)
{
	const char *dir = json_string_value(json_object_get(req, "dir"));
	const char *spec = json_string_value(json_object_get(req, "spec"));
	uint64_t cnt[2][FAULT_NR_KIND];
	char err[512], v[2][256];
	json_t *c[2];

	if (spec) {
		const char *key = !dir || !strcmp(dir, "egress") ? "fault.egress"
				: !strcmp(dir, "ingress") ? "fault.ingress" : NULL;
		if (!key)
			return err_reply("fault: bad direction '%s': expected ingress or egress", dir);
		if (tpa_cfg_set(key, spec, err, sizeof(err)))
			return err_reply("%s", err);
	}
	tpa_fault_counters(cnt);
	for (int d = 0; d < 2; d++) {
		c[d] = json_object();
		for (int k = 0; k < FAULT_NR_KIND; k++)
			json_object_set_new(c[d], tpa_fault_kind_name(k), json_integer((json_int_t)cnt[d][k]));
	}
	tpa_cfg_get("fault.ingress", v[0], sizeof(v[0]));
	tpa_cfg_get("fault.egress", v[1], sizeof(v[1]));
	return json_pack("{s:b, s:{s:s, s:o}, s:{s:s, s:o}}", "ok", 1, "ingress", "spec", v[0], "injected", c[0],
			 "egress", "spec", v[1], "injected", c[1]);
}

static json_t *cmd_states(json_t *req)
{
	static struct obs_state_ev ev[OBS_RING_SIZE];
	int n = obs_states_get(ev, OBS_RING_SIZE);
	json_t *arr = json_array();

	for (int i = 0; i < n; i++) {
		char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
		json_array_append_new(arr, json_pack("{s:I, s:i, s:i, s:s, s:i, s:s, s:i, s:s, s:s, s:I}", "ns",
						     (json_int_t)ev[i].ns, "sid", (int)ev[i].sid, "worker",
						     ev[i].worker, "local_ip", ip_str(ev[i].lip, a), "local_port",
						     rte_be_to_cpu_16(ev[i].lport), "remote_ip", ip_str(ev[i].rip, b),
						     "remote_port", rte_be_to_cpu_16(ev[i].rport), "old",
						     tcp_state_name(ev[i].old), "new", tcp_state_name(ev[i].new_state),
						     "us_in_old", (json_int_t)ev[i].us_in_old));
	}
	return json_pack("{s:b, s:o}", "ok", 1, "states", arr);
}

static json_t *cmd_life(json_t *req)
{
	static struct obs_life_ev ev[OBS_RING_SIZE];
	int n = obs_life_get(ev, OBS_RING_SIZE);
	json_t *arr = json_array();

	for (int i = 0; i < n; i++) {
		char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
		json_array_append_new(arr, json_pack("{s:I, s:i, s:i, s:s, s:i, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:i}",
						     "end_ns", (json_int_t)ev[i].end_ns, "sid", (int)ev[i].sid,
						     "worker", ev[i].worker, "local_ip", ip_str(ev[i].lip, a),
						     "local_port", rte_be_to_cpu_16(ev[i].lport), "remote_ip",
						     ip_str(ev[i].rip, b), "remote_port", rte_be_to_cpu_16(ev[i].rport),
						     "bytes_in", (json_int_t)ev[i].bytes_in, "bytes_out",
						     (json_int_t)ev[i].bytes_out, "pkts_in", (json_int_t)ev[i].pkts_in,
						     "pkts_out", (json_int_t)ev[i].pkts_out, "retrans_pkts",
						     (json_int_t)ev[i].retrans_pkts, "duration_us",
						     (json_int_t)ev[i].duration_us, "last_state",
						     tcp_state_name(ev[i].last_state), "err", ev[i].err));
	}
	return json_pack("{s:b, s:o}", "ok", 1, "life", arr);
}

static json_t *cmd_dump_start(json_t *req)
{
	const char *dir = json_string_value(json_object_get(req, "dir"));
	json_t *wm = json_object_get(req, "workers");
	uint64_t mask = json_is_integer(wm) ? (uint64_t)json_integer_value(wm) : ~0ull;
	int dirs = !dir || !strcmp(dir, "both") ? TPA_DUMP_IN | TPA_DUMP_OUT
		 : !strcmp(dir, "in") ? TPA_DUMP_IN : !strcmp(dir, "out") ? TPA_DUMP_OUT : 0;

	if (!dirs)
		return err_reply("dump: bad direction '%s': expected in, out or both", dir);
	if (tpa_nr_workers < 64)
		mask &= (1ull << tpa_nr_workers) - 1;
	if (!mask)
		return err_reply("dump: no such worker (the instance has %d)", tpa_nr_workers);
	if (tpa_dump_start(mask, dirs))
		return err_reply("dump: %s", strerror(errno));
	return json_pack("{s:b, s:i}", "ok", 1, "workers", tpa_nr_workers);
}

static json_t *cmd_dump_read(json_t *req)
{
	static uint8_t buf[sizeof(struct tpa_dump_rec) + 4096];
	static char hex[2 * 4096 + 1];
	struct tpa_dump_rec *r = (struct tpa_dump_rec *)buf;
	json_t *frames = json_array(), *dropped = json_array();
	int max = (int)json_integer_value(json_object_get(req, "max")), n = 0;

	if (max <= 0 || max > 1024)
		max = 256;
	for (int w = 0; w < tpa_nr_workers && n < max; w++)
		while (n < max && tpa_dump_pop(w, r, sizeof(buf))) {
			for (uint32_t i = 0; i < r->caplen; i++)
				sprintf(hex + 2 * i, "%02x", r->data[i]);
			hex[2 * r->caplen] = 0;
			json_array_append_new(frames, json_pack("[i, I, s, i, s]", w, (json_int_t)r->ns,
								r->dir == TPA_DUMP_IN ? "in" : "out", (int)r->len, hex));
			n++;
		}
	for (int w = 0; w < tpa_nr_workers; w++)
		json_array_append_new(dropped, json_integer((json_int_t)tpa_dump_dropped(w)));
	return json_pack("{s:b, s:o, s:o}", "ok", 1, "frames", frames, "dropped", dropped);
}

static json_t *cmd_dump_stop(json_t *req)
{
	tpa_dump_stop();
	return ok_reply();
}

static const struct {
	const char *name;
	json_t *(*fn)(json_t *req);
} cmds[] = {
	{ "info", cmd_info },	      { "sk", cmd_sk },		    { "worker", cmd_worker },
	{ "mem", cmd_mem },	      { "neigh", cmd_neigh },	    { "cfg_list", cmd_cfg_list },
	{ "cfg_get", cmd_cfg_get },   { "cfg_set", cmd_cfg_set },   { "fault", cmd_fault },
	{ "states", cmd_states },     { "life", cmd_life },	    { "dump_start", cmd_dump_start },
	{ "dump_read", cmd_dump_read }, { "dump_stop", cmd_dump_stop },
};

json_t *ctrl_handle(json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));

	if (!cmd)
		return err_reply("request without a \"cmd\" string");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, cmd))
			return cmds[i].fn(req);
	return err_reply("unknown command '%s'", cmd);
}

/* ------------------------------------------------------------ the thread */

struct client {
	int fd;
	size_t len;
	char buf[REQ_MAX];
};

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Serve every complete line in the client's buffer; -1 to drop the client. */
static int serve_lines(struct client *c)
{
	char *nl;

	while ((nl = memchr(c->buf, '\n', c->len))) {
		json_error_t jerr;
		json_t *req, *rep;
		char *out;
		size_t line = (size_t)(nl - c->buf) + 1;
		int rc;

		req = json_loadb(c->buf, line - 1, 0, &jerr);
		rep = req ? ctrl_handle(req) : err_reply("bad JSON request: %s", jerr.text);
		if (!rep)	/* json_pack failed: never leave the client waiting */
			rep = err_reply("internal error building the reply");
		json_decref(req);
		out = json_dumps(rep, JSON_COMPACT);
		json_decref(rep);
		rc = out ? send_all(c->fd, out, strlen(out)) : -1;
		if (!rc)
			rc = send_all(c->fd, "\n", 1);
		free(out);
		memmove(c->buf, c->buf + line, c->len - line);
		c->len -= line;
		if (rc)
			return -1;
	}
	return c->len >= sizeof(c->buf) ? -1 : 0;
}

static void *ctrl_main(void *arg)
{
	static struct client clients[MAX_CLIENTS];
	uint64_t last_tick = 0;

	(void)arg;
	for (int i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;
	while (__atomic_load_n(&ctrl_running, __ATOMIC_ACQUIRE)) {
		struct pollfd pfd[MAX_CLIENTS + 2];
		int idx[MAX_CLIENTS + 2], n = 0;
		uint64_t now;

		pfd[n] = (struct pollfd){ .fd = wake_pipe[0], .events = POLLIN };
		idx[n++] = -2;
		pfd[n] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		idx[n++] = -1;
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i].fd >= 0) {
				pfd[n] = (struct pollfd){ .fd = clients[i].fd, .events = POLLIN };
				idx[n++] = i;
			}
		poll(pfd, (nfds_t)n, TICK_MS);
		for (int k = 0; k < n; k++) {
			if (!pfd[k].revents)
				continue;
			if (idx[k] == -2)
				continue;
			if (idx[k] == -1) {
				int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
				int slot = -1;
				for (int i = 0; i < MAX_CLIENTS && fd >= 0; i++)
					if (clients[i].fd < 0) {
						slot = i;
						break;
					}
				if (fd >= 0 && slot < 0) {
					const char *busy = "{\"ok\":false,\"error\":\"too many control clients\"}\n";
					send_all(fd, busy, strlen(busy));
					close(fd);
				} else if (fd >= 0) {
					clients[slot].fd = fd;
					clients[slot].len = 0;
				}
				continue;
			}
			{
				struct client *c = &clients[idx[k]];
				ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
				if (r <= 0 || (c->len += (size_t)r, serve_lines(c))) {
					close(c->fd);
					c->fd = -1;
				}
			}
		}
		now = mono_ns();
		if (now - last_tick >= TICK_MS * 1000000ull) {
			last_tick = now;
			obs_refresh();
			tracefile_flush();
		}
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0) {
			close(clients[i].fd);
			clients[i].fd = -1;
		}
	return NULL;
}

int ctrl_start(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return -1;
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(listen_fd, 16) ||
	    pipe2(wake_pipe, O_CLOEXEC))
		goto fail;
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	ctrl_running = 1;
	e = pthread_create(&ctrl_tid, NULL, ctrl_main, NULL);
	if (e) {
		ctrl_running = 0;
		errno = e;
		goto fail;
	}
	pthread_setname_np(ctrl_tid, "tpa-ctrl");
	return 0;
fail:
	e = errno;
	close(listen_fd);
	listen_fd = -1;
	unlink(path);
	errno = e;
	return -1;
}

void ctrl_stop(void)
{
	if (!ctrl_running)
		return;
	__atomic_store_n(&ctrl_running, 0, __ATOMIC_RELEASE);
	if (write(wake_pipe[1], "x", 1) < 0)
		LOG_DEBUG("ctrl: wake: %s", strerror(errno));
	pthread_join(ctrl_tid, NULL);
	close(listen_fd);
	close(wake_pipe[0]);
	close(wake_pipe[1]);
	listen_fd = wake_pipe[0] = wake_pipe[1] = -1;
	unlink(sock_path);
}
