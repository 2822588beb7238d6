/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpa dump: per-worker packet capture. The stack's workers copy frames into
 * per-worker rings while the dump flag is set; this command pulls them over
 * the control socket and writes one pcap per worker (FILE-w0.pcap, ...)
 * with libpcap's pcap_dump, then prints per-worker packet counts.
 */
#include <getopt.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tpa.h"

#define MAX_W 64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int tpa_cmd_dump(int argc, char **argv)
{
	static const struct option lo[] = { { "dir", required_argument, NULL, 'd' }, { 0 } };
	const char *file = NULL, *dir = "both";
	long count = -1;
	double secs = 0, t0;
	char id[256], base[1024];
	pcap_t *dead;
	pcap_dumper_t *out[MAX_W] = { 0 };
	uint64_t got[MAX_W] = { 0 }, dropped[MAX_W] = { 0 }, total = 0;
	int fd, nw, c, rc = 0, stopping = 0;
	json_t *rep;
	struct sigaction sa = { .sa_handler = on_signal };
	static uint8_t frame[65536];

	optind = 0;
	while ((c = getopt_long(argc, argv, "w:c:t:", lo, NULL)) != -1)
		switch (c) {
		case 'w': file = optarg; break;
		case 'c': {
			char *end;
			count = strtol(optarg, &end, 10);
			if (!*optarg || *end || count <= 0) {
				fprintf(stderr, "tpa: dump: bad -c '%s': expected a positive packet count\n", optarg);
				return 2;
			}
			break;
		}
		case 't':
			secs = atof(optarg);
			if (secs <= 0) {
				fprintf(stderr, "tpa: dump: bad -t '%s': expected seconds > 0\n", optarg);
				return 2;
			}
			break;
		case 'd':
			dir = optarg;
			if (strcmp(dir, "in") && strcmp(dir, "out") && strcmp(dir, "both")) {
				fprintf(stderr, "tpa: dump: bad --dir '%s': expected in, out or both\n", dir);
				return 2;
			}
			break;
		default:
			goto usage;
		}
	if (!file || optind < argc)
		goto usage;
	snprintf(base, sizeof(base), "%s", file);
	if (strlen(base) > 5 && !strcmp(base + strlen(base) - 5, ".pcap"))
		base[strlen(base) - 5] = 0;
	if (tpa_resolve(id, sizeof(id)) || (fd = tpa_connect(id)) < 0)
		return 1;
	rep = tpa_call_fd(fd, json_pack("{s:s, s:s}", "cmd", "dump_start", "dir", dir));
	if (!rep || !json_is_true(json_object_get(rep, "ok"))) {
		fprintf(stderr, "tpa: dump: %s\n", rep ? json_string_value(json_object_get(rep, "error")) : "no reply");
		json_decref(rep);
		close(fd);
		return 1;
	}
	nw = (int)json_integer_value(json_object_get(rep, "workers"));
	json_decref(rep);
	if (nw > MAX_W)
		nw = MAX_W;
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	for (int w = 0; w < nw; w++) {
		char path[1100];
		snprintf(path, sizeof(path), "%s-w%d.pcap", base, w);
		out[w] = pcap_dump_open(dead, path);
		if (!out[w]) {
			fprintf(stderr, "tpa: dump: %s: %s\n", path, pcap_geterr(dead));
			rc = 1;
			stopping = 1;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	t0 = now_s();
	if (!rc)
		fprintf(stderr, "tpa: dump: capturing %s on %d worker(s) of %s into %s-wN.pcap%s\n", dir, nw, id, base,
			stop ? "" : " (Ctrl-C to stop)");
	for (;;) {
		json_t *frames, *f;
		size_t i;
		int n;

		if (!stopping && (stop || (count > 0 && total >= (uint64_t)count) || (secs > 0 && now_s() - t0 >= secs))) {
			/* stop the workers first, then drain what they queued */
			json_decref(tpa_call_fd(fd, json_pack("{s:s}", "cmd", "dump_stop")));
			stopping = 1;
		}
		rep = tpa_call_fd(fd, json_pack("{s:s, s:i}", "cmd", "dump_read", "max", 256));
		if (!rep) {
			rc = 1;
			break;
		}
		frames = json_object_get(rep, "frames");
		n = (int)json_array_size(frames);
		json_array_foreach(frames, i, f) {
			int w = (int)json_integer_value(json_array_get(f, 0));
			const char *hex = json_string_value(json_array_get(f, 4)) ?: "";
			int64_t ns = json_integer_value(json_array_get(f, 1));
			struct pcap_pkthdr h;
			size_t caplen = strlen(hex) / 2;

			if (w < 0 || w >= nw || !out[w] || (count > 0 && total >= (uint64_t)count))
				continue;
			if (caplen > sizeof(frame))
				caplen = sizeof(frame);
			for (size_t k = 0; k < caplen; k++)
				frame[k] = (uint8_t)(hexval(hex[2 * k]) << 4 | hexval(hex[2 * k + 1]));
			h.ts.tv_sec = ns / 1000000000;
			h.ts.tv_usec = ns % 1000000000 / 1000;
			h.caplen = (uint32_t)caplen;
			h.len = (uint32_t)json_integer_value(json_array_get(f, 3));
			pcap_dump((u_char *)out[w], &h, frame);
			got[w]++;
			total++;
		}
		json_array_foreach(json_object_get(rep, "dropped"), i, f)
			if (i < MAX_W)
				dropped[i] = (uint64_t)json_integer_value(f);
		json_decref(rep);
		if (stopping && n == 0)
			break;
		if (n == 0)
			usleep(10000);
	}
	if (!stopping)
		json_decref(tpa_call_fd(fd, json_pack("{s:s}", "cmd", "dump_stop")));
	close(fd);
	for (int w = 0; w < nw; w++) {
		if (out[w]) {
			pcap_dump_close(out[w]);
			printf("w%d: %llu packets captured (%llu not copied: ring full) -> %s-w%d.pcap\n", w,
			       (unsigned long long)got[w], (unsigned long long)dropped[w], base, w);
		}
	}
	printf("total: %llu packets\n", (unsigned long long)total);
	pcap_close(dead);
	return rc;
usage:
	fprintf(stderr, "usage: tpa dump -w FILE [-c N] [-t SEC] [--dir in|out|both]\n");
	return 2;
}
