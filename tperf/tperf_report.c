/* SPDX-License-Identifier: BSD-3-Clause */
/* Output: one line per second, the final summary, --json and --hgrm files. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tperf.h"
#include "hdr_json.h"

#define NS 1e9

static const char *loop_name(const struct tperf_cfg *cfg)
{
	return cfg->rate > 0 ? "open" : "closed";
}

static const char *lat_what(const struct tperf_cfg *cfg)
{
	switch (cfg->test) {
	case TPERF_T_RR:
		return cfg->rate > 0 ?
			"rr open loop: intended send time -> response fully received (round trip; "
			"coordinated omission corrected)" :
			"rr closed loop: request write started -> response fully received (round trip)";
	case TPERF_T_CRR:
		return "crr: connect started -> response fully received (handshake + round trip)";
	case TPERF_T_L2PP:
		return "l2pp: raw Ethernet frame handed to the port -> its echo received (round trip, no IP/TCP)";
	default:
		return "none: stream test, no per-message latency";
	}
}

static void fmt_ns(char *buf, size_t len, double ns)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.2f us", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.2f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", ns / 1e9);
}

static bool has_latency(const struct tperf_cfg *cfg)
{
	return cfg->role == TPERF_CLIENT &&
	       (cfg->test == TPERF_T_RR || cfg->test == TPERF_T_CRR || cfg->test == TPERF_T_L2PP);
}

static void print_line(const char *who, int sec, uint64_t bytes, uint64_t msgs, uint64_t conns,
		       const struct hdr_hist *lat)
{
	char p50[32] = "", p99[32] = "";

	if (lat && lat->total) {
		fmt_ns(p50, sizeof(p50), (double)hdr_percentile(lat, 50));
		fmt_ns(p99, sizeof(p99), (double)hdr_percentile(lat, 99));
	}
	printf("[%4s] %4d-%-4d s  %10.3f Gbit/s  %10.0f msg/s  %8.0f conn/s%s%s%s%s\n", who, sec,
	       sec + 1, (double)bytes * 8 / 1e9, (double)msgs, (double)conns,
	       p50[0] ? "  p50 " : "", p50, p99[0] ? "  p99 " : "", p99);
}

/* Merge second @p sec of every thread into one sample; free the per-second histograms. */
void tperf_sample_collect(struct tperf_ctx *ctx, int sec, json_t *samples, bool print)
{
	const struct tperf_cfg *cfg = &ctx->cfg;
	struct hdr_hist *lat = hdr_create(1, HDR_HIGHEST_DEFAULT, 2);
	uint64_t bytes = 0, msgs = 0, conns = 0;

	for (int i = 0; i < cfg->threads; i++) {
		struct tperf_thread *th = &ctx->threads[i];
		struct tperf_sec *s;

		if (sec >= th->nr_secs)
			continue;
		s = &th->secs[sec];
		bytes += s->bytes;
		msgs += s->messages;
		conns += s->connections;
		if (print && cfg->verbose && cfg->threads > 1) {
			char who[16];

			snprintf(who, sizeof(who), "t%d", i);
			print_line(who, sec, s->bytes, s->messages, s->connections, s->lat);
		}
		if (s->lat) {
			if (lat)
				hdr_merge(lat, s->lat);
			hdr_free(s->lat);
			s->lat = NULL;
		}
	}
	if (print)
		print_line(cfg->threads > 1 ? "SUM" : "", sec, bytes, msgs, conns, lat);
	json_array_append_new(samples, json_pack("{sisIsIsIsIsI}", "t", sec + 1, "bytes",
						 (json_int_t)bytes, "messages", (json_int_t)msgs,
						 "connections", (json_int_t)conns, "p50",
						 (json_int_t)(lat ? hdr_percentile(lat, 50) : 0), "p99",
						 (json_int_t)(lat ? hdr_percentile(lat, 99) : 0)));
	hdr_free(lat);
	fflush(stdout);
}

static json_t *options_json(const struct tperf_ctx *ctx)
{
	const struct tperf_cfg *cfg = &ctx->cfg;
	bool server = cfg->role == TPERF_SERVER;
	int test = server ? ctx->server_test : cfg->test;

	return json_pack("{ss ss ss si si sI sf sf si ss* si sb sf ss sf si}",
			 "role", server ? "server" : "client",
			 "test", tperf_test_name(test),
			 "backend", ctx->be->name,
			 "threads", cfg->threads,
			 "connections", server ? 0 : cfg->conns,
			 "message_size", (json_int_t)(server ? ctx->server_msg_size : cfg->msg_size),
			 "duration_s", server ? 0.0 : cfg->duration_s,
			 "warmup_s", server ? 0.0 : cfg->warmup_s,
			 "port", cfg->port,
			 "server", server ? (cfg->bind ? cfg->bind : "any") : cfg->server,
			 "zero_copy_write", cfg->zcopy_effective,
			 "integrity", cfg->integrity,
			 "rate", cfg->rate,
			 "loop", loop_name(cfg),
			 "connect_timeout_s", cfg->connect_timeout_s,
			 "significant_digits", cfg->digits);
}

static json_t *summary_json(const struct hdr_hist *h)
{
	return json_pack("{sIsIsfsfsIsIsIsIsIsI}", "count", (json_int_t)h->total, "min",
			 (json_int_t)hdr_min(h), "mean", hdr_mean(h), "stddev", hdr_stddev(h), "p50",
			 (json_int_t)hdr_percentile(h, 50), "p90", (json_int_t)hdr_percentile(h, 90),
			 "p99", (json_int_t)hdr_percentile(h, 99), "p99_9",
			 (json_int_t)hdr_percentile(h, 99.9), "p99_99",
			 (json_int_t)hdr_percentile(h, 99.99), "max", (json_int_t)hdr_max(h));
}

static int write_json(const char *path, json_t *root)
{
	char tmp[4096];

	/* Write then rename, so a reader never sees half a file. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_dump_file(root, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) < 0 ||
	    rename(tmp, path) < 0) {
		fprintf(stderr, "tperf: --json %s: cannot write: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int write_hgrm(const struct tperf_cfg *cfg, const struct hdr_hist *h)
{
	FILE *f = fopen(cfg->hgrm_path, "w");

	if (f == NULL || hdr_write_hgrm(h, f, cfg->hgrm_scale, 5) < 0) {
		fprintf(stderr, "tperf: --hgrm %s: cannot write: %s\n", cfg->hgrm_path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

int tperf_report(struct tperf_ctx *ctx, int ok, const char *error, json_t *samples)
{
	const struct tperf_cfg *cfg = &ctx->cfg;
	struct hdr_hist *lat = hdr_create(1, HDR_HIGHEST_DEFAULT, cfg->digits);
	uint64_t bytes_tx = 0, bytes_rx = 0, msgs = 0, conns = 0, e_int = 0, e_conn = 0, e_reset = 0,
		 e_to = 0, retrans = 0, rto = 0, fast = 0, cpu_ns = 0;
	double elapsed, bytes, user = 0, sys = 0;
	json_t *root, *per_thread = json_array(), *latency;
	const char *commit;
	bool dirty;
	int rc = 0;
	char a[32], b[32], c[32], d[32], e[32], f[32], g[32], h[32], i9[32], mx[32];

	if (lat == NULL)
		return -1;
	for (int i = 0; i < cfg->threads; i++) {
		const struct tperf_thread *th = &ctx->threads[i];

		bytes_tx += th->bytes_tx;
		bytes_rx += th->bytes_rx;
		msgs += th->messages;
		conns += th->connections;
		e_int += th->err_integrity;
		e_conn += th->err_connect;
		e_reset += th->err_reset;
		e_to += th->err_timeouts;
		retrans += th->retrans_pkts;
		rto += th->rto;
		fast += th->fast_retrans;
		user += th->user_s;
		sys += th->sys_s;
		cpu_ns += th->cpu_ns;
		if (th->lat)
			hdr_merge(lat, th->lat);
		json_array_append_new(per_thread, json_pack("{sisfsfsf}", "thread", i, "user_s",
							    th->user_s, "sys_s", th->sys_s, "cpu_s",
							    (double)th->cpu_ns / NS));
	}
	if (cfg->role == TPERF_SERVER) {
		elapsed = (double)(ctx->t_stopped - ctx->t_start) / NS;
	} else if (ctx->t_mstart == 0 || (ctx->t_stopped && ctx->t_stopped <= ctx->t_mstart)) {
		elapsed = 0;
	} else if (ctx->t_stopped && ctx->t_stopped < ctx->t_mend) {
		elapsed = (double)(ctx->t_stopped - ctx->t_mstart) / NS;
	} else {
		elapsed = cfg->duration_s;
	}
	bytes = (double)(bytes_tx + bytes_rx);

	root = json_object();
	tperf_git_commit(&commit, &dirty);
	json_object_set_new(root, "schema", json_string("tpa.tperf/1"));
	json_object_set_new(root, "tool", json_pack("{sssssssb}", "name", "tperf", "version",
						    TPERF_VERSION, "git_commit", commit, "git_dirty",
						    dirty));
	json_object_set_new(root, "host", tperf_host_json(ctx));
	json_object_set_new(root, "options", options_json(ctx));
	json_object_set_new(root, "started_at", json_string(ctx->started_at));
	json_object_set_new(root, "duration_s", json_real(elapsed));
	json_object_set_new(root, "status", json_string(ok ? "ok" : "error"));
	json_object_set_new(root, "error", ok ? json_null() : json_string(error ? error : "error"));
	json_object_set_new(root, "throughput",
			    json_pack("{sIsfsIsfsIsfsIsI}", "bytes", (json_int_t)(bytes_tx + bytes_rx),
				      "gbit_per_s", elapsed > 0 ? bytes * 8 / elapsed / 1e9 : 0.0,
				      "messages", (json_int_t)msgs, "messages_per_s",
				      elapsed > 0 ? (double)msgs / elapsed : 0.0, "connections",
				      (json_int_t)conns, "connections_per_s",
				      elapsed > 0 ? (double)conns / elapsed : 0.0, "bytes_tx",
				      (json_int_t)bytes_tx, "bytes_rx", (json_int_t)bytes_rx));
	json_object_set_new(root, "cpu",
			    json_pack("{sosfsfsfsf}", "per_thread", per_thread, "total_s",
				      (double)cpu_ns / NS, "user_s", user, "sys_s", sys, "ns_per_op",
				      msgs ? (double)cpu_ns / (double)msgs : 0.0));
	json_object_set_new(root, "errors", json_pack("{sIsIsIsI}", "integrity", (json_int_t)e_int,
						      "connect", (json_int_t)e_conn, "reset",
						      (json_int_t)e_reset, "timeouts", (json_int_t)e_to));
	json_object_set_new(root, "stack", json_pack("{sIsIsIs{}}", "retrans_pkts", (json_int_t)retrans,
						     "rto", (json_int_t)rto, "fast_retrans",
						     (json_int_t)fast, "drops"));
	latency = json_pack("{sssssssoso}", "unit", "ns", "what", lat_what(cfg), "loop",
			    loop_name(cfg), "summary", summary_json(lat), "histogram",
			    hdr_to_json(lat));
	json_object_set_new(root, "latency", latency);
	json_object_set(root, "samples", samples ? samples : json_array());
	json_object_set_new(root, "stages", json_object());
	ctx->be->report(ctx, root);

	/* Human summary. */
	printf("- - - - - - - - - - - - - - - - - - - - - - - - -\n");
	if (cfg->role == TPERF_CLIENT)
		printf("tperf %s: %s backend, %d thread(s) x %d conn(s), %u B messages, %s loop%s, "
		       "%.2f s measured (+%.2f s warm-up)\n", tperf_test_name(cfg->test),
		       ctx->be->name, cfg->threads, cfg->conns, cfg->msg_size, loop_name(cfg),
		       cfg->integrity ? ", integrity checked" : "", elapsed, cfg->warmup_s);
	else
		printf("tperf server: %s backend, %d thread(s), %d session(s), %.2f s\n",
		       ctx->be->name, cfg->threads, ctx->sessions_done, elapsed);
	printf("throughput: %.3f Gbit/s (%llu B: %llu sent, %llu received), %.1f msg/s (%llu), "
	       "%.1f conn/s (%llu)\n", elapsed > 0 ? bytes * 8 / elapsed / 1e9 : 0.0,
	       (unsigned long long)(bytes_tx + bytes_rx), (unsigned long long)bytes_tx,
	       (unsigned long long)bytes_rx, elapsed > 0 ? (double)msgs / elapsed : 0.0,
	       (unsigned long long)msgs, elapsed > 0 ? (double)conns / elapsed : 0.0,
	       (unsigned long long)conns);
	if (has_latency(cfg) && lat->total == 0) {
		printf("latency: no complete transaction measured\n");
	} else if (has_latency(cfg)) {
		fmt_ns(a, sizeof(a), (double)hdr_min(lat));
		fmt_ns(b, sizeof(b), hdr_mean(lat));
		fmt_ns(c, sizeof(c), hdr_stddev(lat));
		fmt_ns(d, sizeof(d), (double)hdr_percentile(lat, 50));
		fmt_ns(e, sizeof(e), (double)hdr_percentile(lat, 90));
		fmt_ns(f, sizeof(f), (double)hdr_percentile(lat, 99));
		fmt_ns(g, sizeof(g), (double)hdr_percentile(lat, 99.9));
		fmt_ns(h, sizeof(h), (double)hdr_percentile(lat, 99.99));
		fmt_ns(mx, sizeof(mx), (double)hdr_max(lat));
		snprintf(i9, sizeof(i9), "%llu", (unsigned long long)lat->total);
		printf("latency (%s):\n  count %s  min %s  mean %s  stddev %s\n"
		       "  p50 %s  p90 %s  p99 %s  p99.9 %s  p99.99 %s  max %s\n",
		       lat_what(cfg), i9, a, b, c, d, e, f, g, h, mx);
	}
	printf("cpu: %.3f s (user %.3f, sys %.3f), %.0f ns/op\n", (double)cpu_ns / NS, user, sys,
	       msgs ? (double)cpu_ns / (double)msgs : 0.0);
	if (e_int + e_conn + e_reset + e_to)
		printf("errors: integrity %llu, connect %llu, reset %llu, timeouts %llu\n",
		       (unsigned long long)e_int, (unsigned long long)e_conn,
		       (unsigned long long)e_reset, (unsigned long long)e_to);
	printf("status: %s%s%s\n", ok ? "ok" : "error", ok ? "" : ": ", ok ? "" : error);
	fflush(stdout);

	if (cfg->json_path && write_json(cfg->json_path, root) < 0)
		rc = -1;
	if (cfg->hgrm_path && write_hgrm(cfg, lat) < 0)
		rc = -1;
	json_decref(root);
	hdr_free(lat);
	return rc;
}
