/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpa: look inside running tpa stacks. Talks to an instance's control
 * socket (obs.run_dir/<id>/ctrl) or reads its mapped files. See
 * docs/observability.md.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tpa.h"

static int json_out;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tpa [-r RUN_DIR] [-i ID] [-j] COMMAND [ARGS]\n"
		"  list                         instances (default command): id, pid, uptime\n"
		"  sk [-a] [-v] [-s SID]        sockets; -a adds closed ones, -v counters and latency percentiles\n"
		"  ss [-t SEC]                  live per-socket rates (two samples SEC apart, default 1)\n"
		"  worker                       per-worker busy/total cycles, empty polls, starvation, drops\n"
		"  mem                          mempools: size, free, per-lcore cache use\n"
		"  neigh                        neighbour (ARP) table\n"
		"  cfg list | get KEY | set KEY VALUE\n"
		"  fault [ingress|egress] SPEC  set fault injection (\"\" turns it off); no SPEC: show counters\n"
		"  life                         closed connections: addresses, bytes each way, duration\n"
		"  states                       state transitions with the time spent in the old state\n"
		"  dump -w FILE [-c N] [-t SEC] [--dir in|out|both]\n"
		"                               capture to FILE-w<N>.pcap, one per worker\n"
		"  st [ID|FILE] [-s SID] [--rel|--abs] [--archives]\n"
		"                               decode live or archived socket traces\n"
		"-r: run dir (default $TPA_RUN_DIR or /run/tpa); -i: instance id; -j: print the raw JSON reply\n");
}

static long to_long(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0) {
		fprintf(stderr, "tpa: bad %s '%s': expected a non-negative integer\n", what, s);
		exit(2);
	}
	return v;
}

static json_t *call_or_exit(json_t *req)
{
	char id[256];
	json_t *rep;

	if (tpa_resolve(id, sizeof(id)))
		exit(1);
	rep = tpa_call(id, req);
	if (!rep)
		exit(1);
	if (json_out) {
		char *s = json_dumps(rep, JSON_INDENT(1));
		puts(s);
		free(s);
		json_decref(rep);
		exit(0);
	}
	return rep;
}

static int64_t geti(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *gets_(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k)) ?: "";
}

static const char *endpoint(json_t *o, const char *ip, const char *port, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%lld", gets_(o, ip), (long long)geti(o, port));
	return buf;
}

/* ------------------------------------------------------------------ list */

static int cmd_list(int argc, char **argv)
{
	struct dirent **ents;
	char ids[64][64];
	int n = 0, k;

	(void)argc;
	(void)argv;
	tpa_clean_stale(1);
	k = scandir(tpa_run_dir, &ents, NULL, alphasort);
	for (int i = 0; i < k; i++) {
		if (ents[i]->d_name[0] != '.' && strlen(ents[i]->d_name) < 64 && n < 64)
			snprintf(ids[n++], 64, "%s", ents[i]->d_name);
		free(ents[i]);
	}
	if (k >= 0)
		free(ents);
	if (!json_out)
		printf("%-24s %8s %10s %7s %6s  %s\n", "ID", "PID", "UPTIME", "WORKERS", "SOCKS", "PROGRAM");
	for (int i = 0; i < n; i++) {
		json_t *rep = tpa_call(ids[i], json_pack("{s:s}", "cmd", "info"));
		char up[32];
		double s;

		if (!rep)
			continue;
		if (json_out) {
			char *t = json_dumps(rep, JSON_COMPACT);
			puts(t);
			free(t);
			json_decref(rep);
			continue;
		}
		s = json_real_value(json_object_get(rep, "uptime_s"));
		if (s < 60)
			snprintf(up, sizeof(up), "%.1fs", s);
		else if (s < 3600)
			snprintf(up, sizeof(up), "%dm%02ds", (int)s / 60, (int)s % 60);
		else
			snprintf(up, sizeof(up), "%dh%02dm", (int)s / 3600, (int)s / 60 % 60);
		printf("%-24s %8lld %10s %7lld %6lld  %s\n", ids[i], (long long)geti(rep, "pid"), up,
		       (long long)geti(rep, "workers"), (long long)geti(rep, "socks"), gets_(rep, "program"));
		json_decref(rep);
	}
	return 0;
}

/* -------------------------------------------------------------------- sk */

static void print_lat(json_t *lat)
{
	const char *stage;
	json_t *h;

	json_object_foreach(lat, stage, h) {
		if (!geti(h, "count"))
			continue;
		printf("    %-22s n=%-8lld p50=%.1fus p99=%.1fus p99.9=%.1fus max=%.1fus\n", stage,
		       (long long)geti(h, "count"), geti(h, "p50_ns") / 1e3, geti(h, "p99_ns") / 1e3,
		       geti(h, "p999_ns") / 1e3, geti(h, "max_ns") / 1e3);
	}
}

static int cmd_sk(int argc, char **argv)
{
	int all = 0, verbose = 0, c;
	long sid = -1;
	json_t *rep, *s;
	size_t i;

	optind = 0;
	while ((c = getopt(argc, argv, "avs:")) != -1)
		switch (c) {
		case 'a': all = 1; break;
		case 'v': verbose = 1; break;
		case 's': sid = to_long(optarg, "socket id"); break;
		default: usage(stderr); return 2;
		}
	rep = call_or_exit(json_pack("{s:s, s:b, s:b}", "cmd", "sk", "all", all, "lat", verbose));
	printf("%-5s %-2s %-12s %-21s %-21s %10s %10s %8s %8s %6s\n", "SID", "W", "STATE", "LOCAL", "REMOTE",
	       "BYTES_IN", "BYTES_OUT", "CWND", "SRTT_US", "RETX");
	json_array_foreach(json_object_get(rep, "socks"), i, s) {
		char l[64], r[64];

		if (sid >= 0 && geti(s, "sid") != sid)
			continue;
		printf("%-5lld %-2lld %-12s %-21s %-21s %10lld %10lld %8lld %8lld %6lld\n", (long long)geti(s, "sid"),
		       (long long)geti(s, "worker"), gets_(s, "state"), endpoint(s, "local_ip", "local_port", l, 64),
		       endpoint(s, "remote_ip", "remote_port", r, 64), (long long)geti(s, "bytes_in"),
		       (long long)geti(s, "bytes_out"), (long long)geti(s, "cwnd"), (long long)geti(s, "srtt_us"),
		       (long long)geti(s, "retrans_pkts"));
		if (verbose) {
			printf("    snd_una=%lld snd_nxt=%lld rcv_nxt=%lld snd_wnd=%lld rcv_wnd=%lld mss=%lld ssthresh=%lld"
			       " rto=%lldus rttvar=%lldus\n",
			       (long long)geti(s, "snd_una"), (long long)geti(s, "snd_nxt"), (long long)geti(s, "rcv_nxt"),
			       (long long)geti(s, "snd_wnd"), (long long)geti(s, "rcv_wnd"), (long long)geti(s, "mss"),
			       (long long)geti(s, "ssthresh"), (long long)geti(s, "rto_us"), (long long)geti(s, "rttvar_us"));
			printf("    pkts_in=%lld pkts_out=%lld retrans_bytes=%lld rto=%lld fast_retrans=%lld dup_acks_in=%lld"
			       " ooo=%lld zwnd_probes=%lld rxq=%lld sndq=%lld age=%lldms in_state=%lldms\n",
			       (long long)geti(s, "pkts_in"), (long long)geti(s, "pkts_out"),
			       (long long)geti(s, "retrans_bytes"), (long long)geti(s, "rto_count"),
			       (long long)geti(s, "fast_retrans"), (long long)geti(s, "dup_acks_in"),
			       (long long)geti(s, "ooo_pkts"), (long long)geti(s, "zwnd_probes"),
			       (long long)geti(s, "rxq_bytes"), (long long)geti(s, "snd_queued"),
			       (long long)geti(s, "age_ms"), (long long)geti(s, "state_ms"));
			print_lat(json_object_get(s, "lat"));
		}
	}
	json_decref(rep);
	if (all) {
		/* connections that are gone: from the stack's ring of closed connections */
		char id[256];
		json_t *life;

		if (tpa_resolve(id, sizeof(id)) || !(life = tpa_call(id, json_pack("{s:s}", "cmd", "life"))))
			return 1;
		json_array_foreach(json_object_get(life, "life"), i, s) {
			char l[64], r[64];
			if (sid >= 0 && geti(s, "sid") != sid)
				continue;
			printf("%-5lld %-2lld %-12s %-21s %-21s %10lld %10lld %8s %8s %6lld\n", (long long)geti(s, "sid"),
			       (long long)geti(s, "worker"), "CLOSED(gone)", endpoint(s, "local_ip", "local_port", l, 64),
			       endpoint(s, "remote_ip", "remote_port", r, 64), (long long)geti(s, "bytes_in"),
			       (long long)geti(s, "bytes_out"), "-", "-", (long long)geti(s, "retrans_pkts"));
		}
		json_decref(life);
	}
	return 0;
}

/* -------------------------------------------------------------------- ss */

static int cmd_ss(int argc, char **argv)
{
	double secs = 1;
	json_t *a, *b, *s;
	size_t i;
	int c;
	struct timespec t0, t1;

	optind = 0;
	while ((c = getopt(argc, argv, "t:")) != -1)
		switch (c) {
		case 't':
			secs = atof(optarg);
			if (secs <= 0 || secs > 60) {
				fprintf(stderr, "tpa: bad -t '%s': expected seconds in (0, 60]\n", optarg);
				return 2;
			}
			break;
		default: usage(stderr); return 2;
		}
	if (json_out) {
		fprintf(stderr, "tpa: ss has no JSON form; use 'tpa -j sk' twice\n");
		return 2;
	}
	a = call_or_exit(json_pack("{s:s}", "cmd", "sk"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	usleep((useconds_t)(secs * 1e6));
	b = call_or_exit(json_pack("{s:s}", "cmd", "sk"));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%-5s %-12s %-21s %-21s %10s %10s %8s %8s %7s %6s %8s %8s\n", "SID", "STATE", "LOCAL", "REMOTE",
	       "RX_B/s", "TX_B/s", "RX_PPS", "TX_PPS", "RETX/s", "RETX", "CWND", "SRTT_US");
	json_array_foreach(json_object_get(b, "socks"), i, s) {
		json_t *o = NULL, *x;
		size_t j;
		char l[64], r[64], h1[32], h2[32];
		double d[5] = { 0 };

		json_array_foreach(json_object_get(a, "socks"), j, x)
			if (geti(x, "sid") == geti(s, "sid") && geti(x, "local_port") == geti(s, "local_port") &&
			    geti(x, "remote_port") == geti(s, "remote_port"))
				o = x;
		if (o) {
			d[0] = (double)(geti(s, "bytes_in") - geti(o, "bytes_in")) / secs;
			d[1] = (double)(geti(s, "bytes_out") - geti(o, "bytes_out")) / secs;
			d[2] = (double)(geti(s, "pkts_in") - geti(o, "pkts_in")) / secs;
			d[3] = (double)(geti(s, "pkts_out") - geti(o, "pkts_out")) / secs;
			d[4] = (double)(geti(s, "retrans_pkts") - geti(o, "retrans_pkts")) / secs;
		}
		printf("%-5lld %-12s %-21s %-21s %10s %10s %8.0f %8.0f %7.1f %6lld %8lld %8lld\n", (long long)geti(s, "sid"),
		       gets_(s, "state"), endpoint(s, "local_ip", "local_port", l, 64),
		       endpoint(s, "remote_ip", "remote_port", r, 64), tpa_human(d[0], h1, 32), tpa_human(d[1], h2, 32),
		       d[2], d[3], d[4], (long long)geti(s, "retrans_pkts"), (long long)geti(s, "cwnd"),
		       (long long)geti(s, "srtt_us"));
	}
	json_decref(a);
	json_decref(b);
	return 0;
}

/* ---------------------------------------------------------------- worker */

static int cmd_worker(int argc, char **argv)
{
	json_t *rep = call_or_exit(json_pack("{s:s}", "cmd", "worker")), *w;
	double hz = (double)geti(rep, "tsc_hz");
	size_t i;

	json_array_foreach(json_object_get(rep, "workers"), i, w) {
		double busy = (double)geti(w, "cycles_busy"), total = (double)geti(w, "cycles_total");
		double pe = (double)geti(w, "polls_empty"), pb = (double)geti(w, "polls_busy");
		const char *k;
		json_t *v;
		int nd = 0;

		printf("worker %lld%s: socks=%lld\n", (long long)geti(w, "worker"),
		       json_is_true(json_object_get(w, "bound")) ? "" : " (not bound to a thread)",
		       (long long)geti(w, "socks"));
		printf("  cycles: busy=%.0f total=%.0f busy_share=%.2f%% (%.3fs of %.3fs)\n", busy, total,
		       total > 0 ? 100 * busy / total : 0, hz > 0 ? busy / hz : 0, hz > 0 ? total / hz : 0);
		printf("  polls: busy=%.0f empty=%.0f empty_share=%.2f%%\n", pb, pe, pe + pb > 0 ? 100 * pe / (pe + pb) : 0);
		printf("  longest gap between polls (starvation): %lld us\n", (long long)geti(w, "max_gap_us"));
		printf("  rx: %lld pkts %lld bytes   tx: %lld pkts %lld bytes\n", (long long)geti(w, "rx_pkts"),
		       (long long)geti(w, "rx_bytes"), (long long)geti(w, "tx_pkts"), (long long)geti(w, "tx_bytes"));
		printf("  mbuf_alloc_fail=%lld tx_ring_full=%lld tw_recycled=%lld\n", (long long)geti(w, "mbuf_alloc_fail"),
		       (long long)geti(w, "tx_ring_full"), (long long)geti(w, "tw_recycled"));
		printf("  drops:");
		json_object_foreach(json_object_get(w, "drops"), k, v) {
			printf(" %s=%lld", k, (long long)json_integer_value(v));
			nd++;
		}
		printf("%s\n", nd ? "" : " none");
	}
	json_decref(rep);
	return 0;
}

/* ------------------------------------------------------------------- mem */

static int cmd_mem(int argc, char **argv)
{
	json_t *rep = call_or_exit(json_pack("{s:s}", "cmd", "mem")), *p;
	size_t i;

	printf("%-16s %8s %8s %8s %6s %7s %6s  %s\n", "POOL", "SIZE", "FREE", "IN_USE", "CACHE", "CACHED", "ELT",
	       "PER-LCORE CACHE");
	json_array_foreach(json_object_get(rep, "pools"), i, p) {
		json_t *c;
		size_t j;

		printf("%-16s %8lld %8lld %8lld %6lld %7lld %6lld  ", gets_(p, "name"), (long long)geti(p, "size"),
		       (long long)geti(p, "avail"), (long long)geti(p, "in_use"), (long long)geti(p, "cache_size"),
		       (long long)geti(p, "cached"), (long long)geti(p, "elt_size"));
		json_array_foreach(json_object_get(p, "caches"), j, c)
			printf("%slcore%lld=%lld", j ? " " : "", (long long)geti(c, "lcore"), (long long)geti(c, "len"));
		printf("%s\n", json_array_size(json_object_get(p, "caches")) ? "" : "-");
	}
	json_decref(rep);
	return 0;
}

/* ----------------------------------------------------------------- neigh */

static int cmd_neigh(int argc, char **argv)
{
	json_t *rep = call_or_exit(json_pack("{s:s}", "cmd", "neigh")), *e;
	size_t i;

	printf("%-16s %-18s %-11s %6s %8s %10s\n", "IP", "MAC", "STATE", "TRIES", "PENDING", "EXPIRE_MS");
	json_array_foreach(json_object_get(rep, "neigh"), i, e) {
		char exp[32];
		if (geti(e, "expire_ms") < 0)
			snprintf(exp, sizeof(exp), "never");
		else
			snprintf(exp, sizeof(exp), "%lld", (long long)geti(e, "expire_ms"));
		printf("%-16s %-18s %-11s %6lld %8lld %10s\n", gets_(e, "ip"), gets_(e, "mac"), gets_(e, "state"),
		       (long long)geti(e, "tries"), (long long)geti(e, "pending"), exp);
	}
	json_decref(rep);
	return 0;
}

/* ------------------------------------------------------------------- cfg */

static int cmd_cfg(int argc, char **argv)
{
	json_t *rep, *k;
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "list")) {
		if (argc > 2)
			goto bad;
		rep = call_or_exit(json_pack("{s:s}", "cmd", "cfg_list"));
		json_array_foreach(json_object_get(rep, "keys"), i, k)
			printf("%-24s %-3s %s\n", gets_(k, "key"), json_is_true(json_object_get(k, "runtime")) ? "rw" : "ro",
			       gets_(k, "value"));
	} else if (!strcmp(argv[1], "get")) {
		if (argc != 3)
			goto bad;
		rep = call_or_exit(json_pack("{s:s, s:s}", "cmd", "cfg_get", "key", argv[2]));
		printf("%s\n", gets_(rep, "value"));
	} else if (!strcmp(argv[1], "set")) {
		if (argc != 4)
			goto bad;
		rep = call_or_exit(json_pack("{s:s, s:s, s:s}", "cmd", "cfg_set", "key", argv[2], "value", argv[3]));
		printf("%s = %s\n", gets_(rep, "key"), gets_(rep, "value"));
	} else {
		goto bad;
	}
	json_decref(rep);
	return 0;
bad:
	fprintf(stderr, "usage: tpa cfg list | get KEY | set KEY VALUE\n");
	return 2;
}

/* ----------------------------------------------------------------- fault */

static void print_fault_dir(json_t *rep, const char *dir)
{
	json_t *d = json_object_get(rep, dir), *v;
	const char *k;

	printf("%-8s spec=\"%s\" injected:", dir, gets_(d, "spec"));
	json_object_foreach(json_object_get(d, "injected"), k, v)
		printf(" %s=%lld", k, (long long)json_integer_value(v));
	printf("\n");
}

static int cmd_fault(int argc, char **argv)
{
	const char *dir = NULL, *spec = NULL;
	json_t *req, *rep;

	if (argc == 2) {
		spec = argv[1];
	} else if (argc == 3) {
		dir = argv[1];
		spec = argv[2];
		if (strcmp(dir, "ingress") && strcmp(dir, "egress")) {
			fprintf(stderr, "tpa: fault: bad direction '%s': expected ingress or egress\n", dir);
			return 2;
		}
	} else if (argc > 3) {
		fprintf(stderr, "usage: tpa fault [ingress|egress] SPEC\n");
		return 2;
	}
	req = json_pack("{s:s}", "cmd", "fault");
	if (spec) {
		json_object_set_new(req, "spec", json_string(spec));
		json_object_set_new(req, "dir", json_string(dir ? dir : "egress"));
	}
	rep = call_or_exit(req);
	print_fault_dir(rep, "ingress");
	print_fault_dir(rep, "egress");
	json_decref(rep);
	return 0;
}

/* ------------------------------------------------------------ life, states */

static const char *clock_str(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	localtime_r(&t, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%06d", tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ns % 1000000000 / 1000));
	return buf;
}

static int cmd_life(int argc, char **argv)
{
	json_t *rep = call_or_exit(json_pack("{s:s}", "cmd", "life")), *e;
	size_t i;

	printf("%-15s %-5s %-15s %5s %-15s %5s %9s %9s %10s %-11s\n", "TIME", "SID", "LADDR", "LPORT", "RADDR",
	       "RPORT", "TX_KB", "RX_KB", "MS", "LAST_STATE");
	json_array_foreach(json_object_get(rep, "life"), i, e) {
		char t[32];
		printf("%-15s %-5lld %-15s %5lld %-15s %5lld %9.2f %9.2f %10.3f %-11s%s\n",
		       clock_str(geti(e, "end_ns"), t, sizeof(t)), (long long)geti(e, "sid"), gets_(e, "local_ip"),
		       (long long)geti(e, "local_port"), gets_(e, "remote_ip"), (long long)geti(e, "remote_port"),
		       geti(e, "bytes_out") / 1024.0, geti(e, "bytes_in") / 1024.0, geti(e, "duration_us") / 1000.0,
		       gets_(e, "last_state"), geti(e, "err") ? " (error)" : "");
	}
	json_decref(rep);
	return 0;
}

static int cmd_states(int argc, char **argv)
{
	json_t *rep = call_or_exit(json_pack("{s:s}", "cmd", "states")), *e;
	size_t i;

	printf("%-15s %-5s %-15s %5s %-15s %5s %-11s -> %-11s %10s\n", "TIME", "SID", "LADDR", "LPORT", "RADDR",
	       "RPORT", "OLDSTATE", "NEWSTATE", "MS");
	json_array_foreach(json_object_get(rep, "states"), i, e) {
		char t[32];
		printf("%-15s %-5lld %-15s %5lld %-15s %5lld %-11s -> %-11s %10.3f\n", clock_str(geti(e, "ns"), t, sizeof(t)),
		       (long long)geti(e, "sid"), gets_(e, "local_ip"), (long long)geti(e, "local_port"),
		       gets_(e, "remote_ip"), (long long)geti(e, "remote_port"), gets_(e, "old"), gets_(e, "new"),
		       geti(e, "us_in_old") / 1000.0);
	}
	json_decref(rep);
	return 0;
}

/* ------------------------------------------------------------------ main */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "list", cmd_list }, { "sk", cmd_sk }, { "ss", cmd_ss }, { "worker", cmd_worker }, { "mem", cmd_mem },
	{ "neigh", cmd_neigh }, { "cfg", cmd_cfg }, { "fault", cmd_fault }, { "life", cmd_life },
	{ "states", cmd_states }, { "dump", tpa_cmd_dump }, { "st", tpa_cmd_st },
};

int main(int argc, char **argv)
{
	int c;

	tpa_run_dir = getenv("TPA_RUN_DIR");
	if (!tpa_run_dir || !*tpa_run_dir)
		tpa_run_dir = "/run/tpa";
	/* options before the command only: "+" stops at the first non-option */
	while ((c = getopt(argc, argv, "+r:i:jh")) != -1)
		switch (c) {
		case 'r': tpa_run_dir = optarg; break;
		case 'i': tpa_inst = optarg; break;
		case 'j': json_out = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	if (optind >= argc)
		return cmd_list(0, NULL);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[optind], cmds[i].name))
			return cmds[i].fn(argc - optind, argv + optind);
	if (!strcmp(argv[optind], "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "tpa: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
