/* SPDX-License-Identifier: BSD-3-Clause */
/* Counters out: a table for people, JSON for tests. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "relay.h"

#define RELAY_COUNTERS(X) \
	X(rx) X(rx_bytes) X(tx) X(tx_bytes) X(lost) X(duplicated) \
	X(reorder_held) X(reordered) X(corrupted) X(delayed) X(rate_waits) \
	X(queue_drops) X(tx_errors) X(rx_errors) X(csum_fixed) X(passed) X(pending)

static const char *const dir_name[RELAY_NDIR] = { "ab", "ba" };

void
relay_stats_print(FILE *f, const struct relay_cfg *cfg, const struct relay_path *path)
{
	fprintf(f, "tpa-relay: A=%s%s%s B=%s%s%s seed=%" PRIu64 "\n",
		cfg->ifname[0], cfg->netns[0] ? "@" : "", cfg->netns[0] ? cfg->netns[0] : "",
		cfg->ifname[1], cfg->netns[1] ? "@" : "", cfg->netns[1] ? cfg->netns[1] : "",
		cfg->seed);
	fprintf(f, "%-14s %14s %14s\n", "counter", "ab", "ba");
#define X(n) fprintf(f, "%-14s %14" PRIu64 " %14" PRIu64 "\n", #n, \
		     path[0].st.n, path[1].st.n);
	RELAY_COUNTERS(X)
#undef X
	fflush(f);
}

static void
json_impair(FILE *f, const struct relay_impair *im)
{
	fprintf(f, "{\"loss\": %.17g, \"dup\": %.17g, \"reorder\": %.17g, "
		"\"corrupt\": %.17g, \"delay_ns\": %" PRIu64 ", \"jitter_ns\": %" PRIu64
		", \"reorder_gap_ns\": %" PRIu64 ", \"rate_bps\": %" PRIu64
		", \"burst_bytes\": %" PRIu64 ", \"limit\": %u}",
		im->loss, im->dup, im->reorder, im->corrupt, im->delay_ns, im->jitter_ns,
		im->reorder_gap_ns, im->rate_bps, im->burst_bytes, im->limit);
}

/* Names are interface/namespace names (no quotes or backslashes expected). */
static void
json_str(FILE *f, const char *s)
{
	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

int
relay_stats_write_json(const char *path, const struct relay_cfg *cfg,
		       const struct relay_path *paths)
{
	char tmp[4096];
	FILE *f;
	int d;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (f == NULL) {
		fprintf(stderr, "tpa-relay: --stats %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "{\"seed\": %" PRIu64 ", \"a\": ", cfg->seed);
	json_str(f, cfg->ifname[0]);
	fputs(", \"b\": ", f);
	json_str(f, cfg->ifname[1]);
	fputs(", \"netns_a\": ", f);
	json_str(f, cfg->netns[0]);
	fputs(", \"netns_b\": ", f);
	json_str(f, cfg->netns[1]);
	fprintf(f, ", \"ip_only\": %s", cfg->ip_only ? "true" : "false");
	for (d = 0; d < RELAY_NDIR; d++) {
		const struct relay_stats *st = &paths[d].st;
		const char *sep = "";

		fprintf(f, ",\n \"%s\": {\"impair\": ", dir_name[d]);
		json_impair(f, &paths[d].imp);
		fputs(",\n  \"counters\": {", f);
#define X(n) fprintf(f, "%s\"%s\": %" PRIu64, sep, #n, st->n); sep = ", ";
		RELAY_COUNTERS(X)
#undef X
		fputs("}}", f);
	}
	fputs("}\n", f);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "tpa-relay: --stats %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
