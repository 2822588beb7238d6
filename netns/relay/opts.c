/* SPDX-License-Identifier: BSD-3-Clause */
/* Command line of tpa-relay: strict parsing, every bad value named. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "relay.h"

/* Split "12.5ms" into a finite non-negative number and its unit suffix. */
static int
parse_num_unit(const char *s, double *v, const char **unit)
{
	char *end;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(*v) || *v < 0)
		return -1;
	*unit = end;
	return 0;
}

int
relay_parse_duration(const char *s, uint64_t *ns)
{
	static const struct { const char *u; double mul; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
	};
	const char *unit;
	double v;
	size_t i;

	if (parse_num_unit(s, &v, &unit) < 0)
		return -1;
	if (*unit == '\0') {
		/* a bare number is ambiguous; only zero means the same in every unit */
		if (v != 0)
			return -1;
		*ns = 0;
		return 0;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].u) == 0) {
			double r = v * units[i].mul;

			if (r > 3600e9)	/* an hour of delay is a typo */
				return -1;
			*ns = (uint64_t)llround(r);
			return 0;
		}
	}
	return -1;
}

int
relay_parse_rate(const char *s, uint64_t *bps)
{
	static const struct { const char *u; double mul; } units[] = {
		{ "bit", 1 }, { "kbit", 1e3 }, { "mbit", 1e6 }, { "gbit", 1e9 },
		{ "bps", 8 }, { "kbps", 8e3 }, { "mbps", 8e6 }, { "gbps", 8e9 },
	};
	const char *unit;
	double v;
	size_t i;

	if (parse_num_unit(s, &v, &unit) < 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(unit, units[i].u) == 0) {
			double r = v * units[i].mul;

			if (r < 8 || r > 1e12)
				return -1;
			*bps = (uint64_t)llround(r);
			return 0;
		}
	}
	return -1;
}

int
relay_parse_prob(const char *s, double *p)
{
	const char *unit;
	double v;

	if (parse_num_unit(s, &v, &unit) < 0)
		return -1;
	if (strcmp(unit, "%") == 0)
		v /= 100;
	else if (*unit != '\0')
		return -1;
	if (v > 1)
		return -1;
	*p = v;
	return 0;
}

int
relay_parse_size(const char *s, uint64_t *bytes)
{
	const char *unit;
	double v, mul = 1;

	if (parse_num_unit(s, &v, &unit) < 0)
		return -1;
	if (strcasecmp(unit, "k") == 0 || strcasecmp(unit, "kb") == 0)
		mul = 1024;
	else if (strcasecmp(unit, "m") == 0 || strcasecmp(unit, "mb") == 0)
		mul = 1024 * 1024;
	else if (*unit != '\0')
		return -1;
	if (v != floor(v) || v * mul > 1e12)
		return -1;
	*bytes = (uint64_t)(v * mul);
	return 0;
}

void
relay_usage(FILE *f)
{
	fputs(
"usage: tpa-relay --a IF --b IF [--netns-a NS] [--netns-b NS] [impairments]\n"
"                 [--seed N] [--stats FILE] [--ip-only] [--quiet]\n"
"Forward L2 frames between interfaces A and B, both ways, with impairments.\n"
"impairments (each applies to the directions of the nearest --dir before it;\n"
"those before the first --dir follow the first --dir; default both):\n"
"  --dir ab|ba|both      direction of the following impairments\n"
"  --loss P              drop probability (0.02 or 2%)\n"
"  --dup P               duplicate probability\n"
"  --reorder P           hold a frame back by --reorder-gap so later ones pass it\n"
"  --reorder-gap DUR     hold time of reordered frames (default 1ms)\n"
"  --corrupt P           flip one byte past the IP header\n"
"  --delay DUR           fixed delay (ns, us, ms, s: 1ms, 200us)\n"
"  --jitter DUR          uniform +/- DUR around the delay\n"
"  --rate RATE           token bucket rate (bit, kbit, mbit, gbit; bps.. = bytes/s)\n"
"  --burst SIZE          token bucket depth in bytes (default: 1ms of rate, >= 3028)\n"
"  --limit N             queued frames per direction before tail drop (default 10000)\n"
"other:\n"
"  --seed N              PRNG seed (default 1)\n"
"  --stats FILE          write JSON counters on exit and on SIGUSR1\n"
"  --ip-only             forward non-IP frames (ARP) untouched but delayed\n"
"  --quiet               no counters on stdout at exit\n"
"  --check               validate the options and exit 0\n"
"Counters are printed at exit (SIGINT/SIGTERM). Exit 2 on a bad option.\n", f);
}

enum {
	OPT_A = 256, OPT_B, OPT_NETNS_A, OPT_NETNS_B, OPT_LOSS, OPT_DUP, OPT_REORDER,
	OPT_REORDER_GAP, OPT_CORRUPT, OPT_DELAY, OPT_JITTER, OPT_RATE, OPT_BURST,
	OPT_LIMIT, OPT_DIR, OPT_SEED, OPT_STATS, OPT_IP_ONLY, OPT_QUIET, OPT_CHECK, OPT_HELP,
};

static const struct option relay_longopts[] = {
	{ "a", required_argument, NULL, OPT_A },
	{ "b", required_argument, NULL, OPT_B },
	{ "netns-a", required_argument, NULL, OPT_NETNS_A },
	{ "netns-b", required_argument, NULL, OPT_NETNS_B },
	{ "loss", required_argument, NULL, OPT_LOSS },
	{ "dup", required_argument, NULL, OPT_DUP },
	{ "reorder", required_argument, NULL, OPT_REORDER },
	{ "reorder-gap", required_argument, NULL, OPT_REORDER_GAP },
	{ "corrupt", required_argument, NULL, OPT_CORRUPT },
	{ "delay", required_argument, NULL, OPT_DELAY },
	{ "jitter", required_argument, NULL, OPT_JITTER },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "burst", required_argument, NULL, OPT_BURST },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "ip-only", no_argument, NULL, OPT_IP_ONLY },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Direction mask: bit 0 = AB, bit 1 = BA. */
static int
parse_dir(const char *s)
{
	if (strcmp(s, "ab") == 0)
		return 1;
	if (strcmp(s, "ba") == 0)
		return 2;
	if (strcmp(s, "both") == 0)
		return 3;
	return -1;
}

static int
bad(const char *opt, const char *val, const char *expect)
{
	fprintf(stderr, "tpa-relay: bad value for --%s: '%s' (expected %s)\n", opt, val, expect);
	return 2;
}

static int
valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n <= max && strchr(s, '/') == NULL;
}

int
relay_opts_parse(int argc, char **argv, struct relay_cfg *cfg)
{
	int dirmask, first_dir = 3, c, i, idx;

	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = 1;
	for (i = 0; i < RELAY_NDIR; i++) {
		cfg->imp[i].reorder_gap_ns = 1000000;
		cfg->imp[i].limit = 10000;
	}

	/* impairments before the first --dir follow that --dir */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strncmp(argv[i], "--dir=", 6) == 0) {
			first_dir = parse_dir(argv[i] + 6);
			break;
		}
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
			first_dir = parse_dir(argv[i + 1]);
			break;
		}
	}
	if (first_dir < 0)
		first_dir = 3;	/* reported by the main pass */
	dirmask = first_dir;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", relay_longopts, &idx)) != -1) {
		const char *name = c >= OPT_A && c < OPT_HELP ?
				   relay_longopts[c - OPT_A].name : "?";
		const char *v = optarg;
		uint64_t u = 0;
		double p = 0;
		char *end;
		int d;

		switch (c) {
		case OPT_A:
		case OPT_B:
			if (!valid_name(v, 15))
				return bad(name, v, "an interface name of 1-15 characters");
			cfg->ifname[c == OPT_A ? 0 : 1] = v;
			continue;
		case OPT_NETNS_A:
		case OPT_NETNS_B:
			if (!valid_name(v, 200))
				return bad(name, v, "a namespace name from 'ip netns list'");
			cfg->netns[c == OPT_NETNS_A ? 0 : 1] = v;
			continue;
		case OPT_DIR:
			dirmask = parse_dir(v);
			if (dirmask < 0)
				return bad(name, v, "ab, ba or both");
			continue;
		case OPT_SEED:
			errno = 0;
			u = strtoull(v, &end, 0);
			if (errno || end == v || *end || *v == '-')
				return bad(name, v, "an unsigned integer");
			cfg->seed = u;
			continue;
		case OPT_STATS:
			if (*v == '\0')
				return bad(name, v, "a file path");
			cfg->stats_path = v;
			continue;
		case OPT_IP_ONLY:
			cfg->ip_only = 1;
			continue;
		case OPT_QUIET:
			cfg->quiet = 1;
			continue;
		case OPT_CHECK:
			cfg->check_only = 1;
			continue;
		case OPT_HELP:
			relay_usage(stdout);
			return 1;
		case '?':
		case ':':
			if (optopt >= OPT_A && optopt <= OPT_HELP)
				fprintf(stderr, "tpa-relay: option --%s needs a value\n",
					relay_longopts[optopt - OPT_A].name);
			else
				fprintf(stderr, "tpa-relay: unknown option '%s'\n",
					argv[optind - 1]);
			fputs("try 'tpa-relay --help'\n", stderr);
			return 2;
		default:
			break;
		}

		/* per-direction impairments: parse once, store into each selected dir */
		switch (c) {
		case OPT_LOSS: case OPT_DUP: case OPT_REORDER: case OPT_CORRUPT:
			if (relay_parse_prob(v, &p) < 0)
				return bad(name, v, "a probability in [0, 1], e.g. 0.02 or 2%");
			break;
		case OPT_DELAY: case OPT_JITTER: case OPT_REORDER_GAP:
			if (relay_parse_duration(v, &u) < 0)
				return bad(name, v, "a duration with unit ns, us, ms or s, e.g. 1ms");
			break;
		case OPT_RATE:
			if (relay_parse_rate(v, &u) < 0)
				return bad(name, v, "a rate such as 100mbit, 10mbps or 500kbit");
			break;
		case OPT_BURST:
			if (relay_parse_size(v, &u) < 0 || u < 64)
				return bad(name, v, "a size in bytes >= 64, e.g. 16k");
			break;
		case OPT_LIMIT:
			errno = 0;
			u = strtoull(v, &end, 10);
			if (errno || end == v || *end || *v == '-' || u < 1 || u > 10000000)
				return bad(name, v, "a frame count in 1..10000000");
			break;
		}
		for (d = 0; d < RELAY_NDIR; d++) {
			struct relay_impair *im = &cfg->imp[d];

			if (!(dirmask & (1 << d)))
				continue;
			switch (c) {
			case OPT_LOSS: im->loss = p; break;
			case OPT_DUP: im->dup = p; break;
			case OPT_REORDER: im->reorder = p; break;
			case OPT_CORRUPT: im->corrupt = p; break;
			case OPT_DELAY: im->delay_ns = u; break;
			case OPT_JITTER: im->jitter_ns = u; break;
			case OPT_REORDER_GAP: im->reorder_gap_ns = u; break;
			case OPT_RATE: im->rate_bps = u; break;
			case OPT_BURST: im->burst_bytes = u; break;
			case OPT_LIMIT: im->limit = (uint32_t)u; break;
			}
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tpa-relay: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (cfg->ifname[0] == NULL || cfg->ifname[1] == NULL) {
		fprintf(stderr, "tpa-relay: --a and --b are required\n");
		fputs("try 'tpa-relay --help'\n", stderr);
		return 2;
	}
	if (strcmp(cfg->ifname[0], cfg->ifname[1]) == 0 &&
	    (cfg->netns[0] == cfg->netns[1] ||
	     (cfg->netns[0] && cfg->netns[1] && strcmp(cfg->netns[0], cfg->netns[1]) == 0))) {
		fprintf(stderr, "tpa-relay: --a and --b name the same interface '%s'\n",
			cfg->ifname[0]);
		return 2;
	}
	return cfg->check_only ? 1 : 0;
}
