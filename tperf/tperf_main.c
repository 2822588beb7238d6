/* SPDX-License-Identifier: BSD-3-Clause */
/* tperf: command line, thread start, per-second lines, exit status. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "tperf.h"

#define NS 1000000000ULL

static struct tperf_ctx *g_ctx;
static volatile sig_atomic_t g_interrupted;

static void usage(FILE *f)
{
	fprintf(f,
"usage: tperf -s [server options]\n"
"       tperf -c ADDR [-t read|write|rw|rr|crr] [client options]\n"
"\n"
"common:\n"
"  -s, --server            run the server (learns each test from its clients)\n"
"  -c, --client ADDR       run the client against the server at ADDR\n"
"  -p, --port N            TCP port (default 5201)\n"
"  -n, --threads N         threads, one stack worker each (default 1)\n"
"      --kernel            use Linux sockets + epoll instead of the tpa stack\n"
"      --stack             use the tpa stack (the default when built in)\n"
"      --json FILE         write the result (schema tpa.tperf/1) to FILE\n"
"      --digits N          latency histogram significant digits, 1..5 (default 3)\n"
"  -v, --verbose           per-thread lines each second\n"
"  -h, --help              this text;  -V, --version: print the version\n"
"server:\n"
"  -B, --bind ADDR         listen on ADDR only (default: any)\n"
"  -1, --once              exit after one client session\n"
"client:\n"
"  -t, --test T            read (server sends), write (client sends), rw (both),\n"
"                          rr (request/response of -m bytes each way),\n"
"                          crr (rr on a new connection per request), l2pp (raw\n"
"                          Ethernet ping-pong of -m-byte frames, no IP); default rr\n"
"  -C, --connections N     connections per thread (default 1)\n"
"  -m, --message-size N    bytes per message, K/M suffixes, 1..64M\n"
"                          (default 64 for rr/crr/l2pp, 128K for streams;\n"
"                          l2pp: whole frame, 60..9014)\n"
"  -d, --duration S        measured seconds (default 10)\n"
"      --warmup S          seconds run before measuring, excluded (default 0)\n"
"  -R, --rate N            rr open loop: N requests/s per connection, latency\n"
"                          from the intended send time (default: closed loop)\n"
"  -W, --zero-copy 0|1     stack: zero-copy writes from preallocated buffers\n"
"  -i, --integrity         send a verifiable pattern and check every byte\n"
"      --connect-timeout S give up connecting after S seconds (default 3)\n"
"      --hgrm FILE         write the latency histogram in HdrHistogram .hgrm form\n"
"      --hgrm-scale X      divide ns by X in the .hgrm (default 1000: microseconds)\n");
}

static void bad_arg(const char *opt, const char *val, const char *what)
{
	if (val[0])
		fprintf(stderr, "tperf: %s '%s': %s\n\n", opt, val, what);
	else
		fprintf(stderr, "tperf: %s: %s\n\n", opt, what);
	usage(stderr);
	exit(2);
}

static uint64_t parse_uint(const char *opt, const char *s, uint64_t min, uint64_t max, bool suffix)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;
	char why[96];

	errno = 0;
	if (s[0] == '-' || s[0] == '\0')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		goto bad;
	if (suffix && *end) {
		if (strcmp(end, "K") == 0 || strcmp(end, "k") == 0)
			mult = 1024;
		else if (strcmp(end, "M") == 0 || strcmp(end, "m") == 0)
			mult = 1024 * 1024;
		else
			goto bad;
	} else if (*end) {
		goto bad;
	}
	if (v > max / mult || v * mult < min)
		goto bad;
	return v * mult;
bad:
	snprintf(why, sizeof(why), "expected an integer in %llu..%llu%s", (unsigned long long)min,
		 (unsigned long long)max, suffix ? " (K and M suffixes allowed)" : "");
	bad_arg(opt, s, why);
	return 0;
}

static double parse_double(const char *opt, const char *s, double min, double max)
{
	char *end, why[96];
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max) {
		snprintf(why, sizeof(why), "expected a number in %g..%g", min, max);
		bad_arg(opt, s, why);
	}
	return v;
}

enum {
	OPT_KERNEL = 256, OPT_STACK, OPT_JSON, OPT_HGRM, OPT_HGRM_SCALE, OPT_WARMUP,
	OPT_CONNECT_TIMEOUT, OPT_DIGITS,
};

static const struct option long_opts[] = {
	{"server", no_argument, NULL, 's'},
	{"client", required_argument, NULL, 'c'},
	{"test", required_argument, NULL, 't'},
	{"threads", required_argument, NULL, 'n'},
	{"connections", required_argument, NULL, 'C'},
	{"message-size", required_argument, NULL, 'm'},
	{"duration", required_argument, NULL, 'd'},
	{"port", required_argument, NULL, 'p'},
	{"zero-copy", required_argument, NULL, 'W'},
	{"integrity", no_argument, NULL, 'i'},
	{"rate", required_argument, NULL, 'R'},
	{"bind", required_argument, NULL, 'B'},
	{"once", no_argument, NULL, '1'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{"kernel", no_argument, NULL, OPT_KERNEL},
	{"stack", no_argument, NULL, OPT_STACK},
	{"json", required_argument, NULL, OPT_JSON},
	{"hgrm", required_argument, NULL, OPT_HGRM},
	{"hgrm-scale", required_argument, NULL, OPT_HGRM_SCALE},
	{"warmup", required_argument, NULL, OPT_WARMUP},
	{"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
	{"digits", required_argument, NULL, OPT_DIGITS},
	{NULL, 0, NULL, 0},
};

static void parse_args(int argc, char **argv, struct tperf_cfg *cfg)
{
	const char *client_only = NULL, *server_only = NULL;
	bool role_set = false, msg_set = false, be_kernel = false, be_stack = false;
	int o;

	opterr = 0;
	while ((o = getopt_long(argc, argv, ":sc:t:n:C:m:d:p:W:iR:B:1vhV", long_opts, NULL)) != -1) {
		switch (o) {
		case 's':
			if (role_set)
				bad_arg("-s", "", "give exactly one of -s and -c");
			role_set = true;
			cfg->role = TPERF_SERVER;
			break;
		case 'c':
			if (role_set)
				bad_arg("-c", optarg, "give exactly one of -s and -c");
			role_set = true;
			cfg->role = TPERF_CLIENT;
			cfg->server = optarg;
			break;
		case 't':
			cfg->test = tperf_test_parse(optarg);
			if (cfg->test < 0)
				bad_arg("-t", optarg, "expected read, write, rw, rr, crr or l2pp");
			client_only = "-t";
			break;
		case 'n':
			cfg->threads = (int)parse_uint("-n", optarg, 1, 128, false);
			break;
		case 'C':
			cfg->conns = (int)parse_uint("-C", optarg, 1, 100000, false);
			client_only = "-C";
			break;
		case 'm':
			cfg->msg_size = (uint32_t)parse_uint("-m", optarg, 1, 64u << 20, true);
			msg_set = true;
			client_only = "-m";
			break;
		case 'd':
			cfg->duration_s = parse_double("-d", optarg, 0.1, 86400);
			client_only = "-d";
			break;
		case 'p':
			cfg->port = (uint16_t)parse_uint("-p", optarg, 1, 65535, false);
			break;
		case 'W':
			cfg->zcopy = (int)parse_uint("-W", optarg, 0, 1, false);
			cfg->zcopy_effective = cfg->zcopy;
			client_only = "-W";
			break;
		case 'i':
			cfg->integrity = true;
			client_only = "-i";
			break;
		case 'R':
			cfg->rate = parse_double("-R", optarg, 0.001, 1e9);
			client_only = "-R";
			break;
		case 'B':
			cfg->bind = optarg;
			server_only = "-B";
			break;
		case '1':
			cfg->once = true;
			server_only = "-1";
			break;
		case 'v':
			cfg->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("tperf %s\n", TPERF_VERSION);
			exit(0);
		case OPT_KERNEL:
			be_kernel = true;
			break;
		case OPT_STACK:
			be_stack = true;
			break;
		case OPT_JSON:
			cfg->json_path = optarg;
			break;
		case OPT_HGRM:
			cfg->hgrm_path = optarg;
			client_only = "--hgrm";
			break;
		case OPT_HGRM_SCALE:
			cfg->hgrm_scale = parse_double("--hgrm-scale", optarg, 1e-9, 1e12);
			break;
		case OPT_WARMUP:
			cfg->warmup_s = parse_double("--warmup", optarg, 0, 3600);
			client_only = "--warmup";
			break;
		case OPT_CONNECT_TIMEOUT:
			cfg->connect_timeout_s = parse_double("--connect-timeout", optarg, 0.01, 3600);
			client_only = "--connect-timeout";
			break;
		case OPT_DIGITS:
			cfg->digits = (int)parse_uint("--digits", optarg, 1, 5, false);
			break;
		case ':':
			bad_arg(argv[optind - 1], "", "needs a value");
			break;
		default:
			bad_arg(argv[optind - 1], "", "unknown option");
		}
	}
	if (optind < argc)
		bad_arg("argument", argv[optind], "unexpected");
	if (!role_set)
		bad_arg("-s/-c", "", "give exactly one of -s (server) and -c ADDR (client)");
	if (cfg->role == TPERF_SERVER && client_only)
		bad_arg(client_only, "", "is a client option; the server learns the test from the client");
	if (cfg->role == TPERF_CLIENT && server_only)
		bad_arg(server_only, "", "is a server option");
	if (be_kernel && be_stack)
		bad_arg("--kernel/--stack", "", "give at most one");
#ifdef TPERF_HAVE_STACK
	cfg->backend = be_kernel ? TPERF_BE_KERNEL : TPERF_BE_STACK;
#else
	if (!be_kernel) {
		fprintf(stderr, "tperf: this tperf was built without the tpa stack; use --kernel\n");
		exit(2);
	}
	cfg->backend = TPERF_BE_KERNEL;
#endif
	if (cfg->role == TPERF_CLIENT) {
		if (cfg->rate > 0 && cfg->test != TPERF_T_RR)
			bad_arg("-R", "", "open loop (-R) applies to -t rr only");
		if (!msg_set)
			cfg->msg_size = (cfg->test == TPERF_T_RR || cfg->test == TPERF_T_CRR ||
					 cfg->test == TPERF_T_L2PP) ? 64 : 128 << 10;
		if (cfg->test == TPERF_T_L2PP) {
			char v[16];

			snprintf(v, sizeof(v), "%u", cfg->msg_size);
			if (cfg->msg_size < TPERF_L2_MIN || cfg->msg_size > TPERF_L2_MAX)
				bad_arg("-m", v, "l2pp: the Ethernet frame size, 60..9014 (and at most MTU + 14)");
			if (cfg->threads != 1 || cfg->conns != 1)
				bad_arg("-n/-C", "", "l2pp runs one ping-pong: -n 1 -C 1");
		}
		if (cfg->server[0] == '\0')
			bad_arg("-c", cfg->server, "empty server address");
	}
}

static void on_signal(int sig)
{
	g_interrupted = 1;
	if (g_ctx) {
		if (!g_ctx->t_stopped)
			g_ctx->t_stopped = tperf_now_ns();
		g_ctx->stop = 1;
	}
}

static bool all_done(const struct tperf_ctx *ctx)
{
	for (int i = 0; i < ctx->cfg.threads; i++)
		if (!__atomic_load_n(&ctx->threads[i].done, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / NS), .tv_nsec = (long)(ns % NS)};

	nanosleep(&ts, NULL);
}

static void client_seconds(struct tperf_ctx *ctx, json_t *samples)
{
	int nfull = (int)floor(ctx->cfg.duration_s + 1e-9);

	while (__atomic_load_n(&ctx->go, __ATOMIC_ACQUIRE) == 0 && !all_done(ctx))
		sleep_ns(1000000);
	if (ctx->go != 1)
		return;
	for (int k = 0; k < nfull; k++) {
		uint64_t end = ctx->t_mstart + (uint64_t)(k + 1) * NS, now;

		while ((now = tperf_now_ns()) < end + 20000000 && !all_done(ctx))
			sleep_ns(10000000);
		if (ctx->stop && (!ctx->t_stopped || ctx->t_stopped < end))
			return;	/* ended within this second: no full sample */
		/* Wait (bounded) until every thread moved past second k. */
		for (int w = 0; w < 100; w++) {
			bool past = true;

			for (int i = 0; i < ctx->cfg.threads; i++)
				if (__atomic_load_n(&ctx->threads[i].cur_sec, __ATOMIC_ACQUIRE) <= k)
					past = false;
			if (past)
				break;
			sleep_ns(5000000);
		}
		tperf_sample_collect(ctx, k, samples, true);
	}
}

static void server_seconds(struct tperf_ctx *ctx)
{
	uint64_t last_b = 0, last_m = 0, last_c = 0;
	int sec = 0;

	while (!all_done(ctx)) {
		uint64_t b = 0, m = 0, c = 0;

		for (int i = 0; i < 100 && !all_done(ctx); i++)
			sleep_ns(10000000);
		for (int i = 0; i < ctx->cfg.threads; i++) {
			const struct tperf_thread *th = &ctx->threads[i];

			b += __atomic_load_n(&th->bytes_tx, __ATOMIC_RELAXED) +
			     __atomic_load_n(&th->bytes_rx, __ATOMIC_RELAXED);
			m += __atomic_load_n(&th->messages, __ATOMIC_RELAXED);
			c += __atomic_load_n(&th->connections, __ATOMIC_RELAXED);
		}
		if (b != last_b || m != last_m)
			printf("[srv] %4d-%-4d s  %10.3f Gbit/s  %10.0f msg/s\n", sec, sec + 1,
			       (double)(b - last_b) * 8 / 1e9, (double)(m - last_m));
		fflush(stdout);
		last_b = b;
		last_m = m;
		last_c = c;
		sec++;
	}
	(void)last_c;
}

int main(int argc, char **argv)
{
	static struct tperf_ctx ctx;
	struct tperf_cfg *cfg = &ctx.cfg;
	struct sigaction sa = {.sa_handler = on_signal};
	json_t *samples = json_array();
	const char *error = NULL;
	struct tm tm;
	time_t t;
	int ok, rc;

	cfg->role = TPERF_CLIENT;
	cfg->test = TPERF_T_RR;
	cfg->threads = 1;
	cfg->conns = 1;
	cfg->duration_s = 10;
	cfg->port = TPERF_DEFAULT_PORT;
	cfg->hgrm_scale = 1000.0;
	cfg->digits = 3;
	cfg->connect_timeout_s = 3;
	parse_args(argc, argv, cfg);

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(ctx.started_at, sizeof(ctx.started_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (getrandom(&ctx.session_id, sizeof(ctx.session_id), 0) != sizeof(ctx.session_id))
		ctx.session_id = (uint64_t)t ^ ((uint64_t)getpid() << 32);
#ifdef TPERF_HAVE_STACK
	ctx.be = cfg->backend == TPERF_BE_STACK ? &tperf_stack_backend : &tperf_kernel_backend;
#else
	ctx.be = &tperf_kernel_backend;
#endif
	g_ctx = &ctx;
	if (ctx.be->init(&ctx) < 0) {
		fprintf(stderr, "tperf: %s backend failed to start\n", ctx.be->name);
		return 1;
	}
	ctx.threads = calloc((size_t)cfg->threads, sizeof(*ctx.threads));
	if (ctx.threads == NULL)
		return 1;
	if (cfg->role == TPERF_CLIENT)
		printf("tperf: %s test to %s port %u, %s backend, %d thread(s) x %d conn(s), %u B messages, %s loop\n",
		       tperf_test_name(cfg->test), cfg->server, cfg->port, ctx.be->name, cfg->threads,
		       cfg->conns, cfg->msg_size, cfg->rate > 0 ? "open" : "closed");
	else
		printf("tperf: server listening on port %u, %s backend, %d thread(s)\n", cfg->port,
		       ctx.be->name, cfg->threads);
	ctx.t_start = tperf_now_ns();
	for (int i = 0; i < cfg->threads; i++) {
		struct tperf_thread *th = &ctx.threads[i];

		th->id = i;
		th->ctx = &ctx;
		th->cur_sec = -1;
		if (cfg->role == TPERF_CLIENT) {
			th->nr_secs = (int)ceil(cfg->duration_s) + 1;
			th->secs = calloc((size_t)th->nr_secs, sizeof(*th->secs));
		}
	}
	for (int i = 0; i < cfg->threads; i++)
		if (pthread_create(&ctx.threads[i].tid, NULL, tperf_thread_main, &ctx.threads[i])) {
			fprintf(stderr, "tperf: cannot start thread %d\n", i);
			return 1;
		}
	if (cfg->role == TPERF_CLIENT)
		client_seconds(&ctx, samples);
	else
		server_seconds(&ctx);
	for (int i = 0; i < cfg->threads; i++)
		pthread_join(ctx.threads[i].tid, NULL);
	if (!ctx.t_stopped)
		ctx.t_stopped = tperf_now_ns();

	ok = 1;
	for (int i = 0; i < cfg->threads; i++)
		if (ctx.threads[i].failed) {
			ok = 0;
			error = ctx.threads[i].errmsg;
			fprintf(stderr, "tperf: error: %s\n", error);
			break;
		}
	if (ok && cfg->role == TPERF_CLIENT && g_interrupted) {
		ok = 0;
		error = "interrupted";
	}
	for (int i = 0; ok && i < cfg->threads; i++)
		if (ctx.threads[i].err_integrity) {
			ok = 0;
			error = "payload integrity errors";
		}
	rc = tperf_report(&ctx, ok, error, samples);
	json_decref(samples);
	ctx.be->fini(&ctx);
	for (int i = 0; i < cfg->threads; i++) {
		hdr_free(ctx.threads[i].lat);
		for (int k = 0; k < ctx.threads[i].nr_secs; k++)
			hdr_free(ctx.threads[i].secs[k].lat);
		free(ctx.threads[i].secs);
	}
	free(ctx.threads);
	return ok && rc == 0 ? 0 : 1;
}
