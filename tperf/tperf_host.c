/* SPDX-License-Identifier: BSD-3-Clause */
/* Facts about the host and the build, for the result's "tool" and "host". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "tperf.h"
#include "tperf_git.h"

#ifndef TPERF_DPDK_PKG_VERSION
#define TPERF_DPDK_PKG_VERSION "unknown"
#endif

/* The commit is taken when tperf is built (meson vcs_tag), "unknown" outside git. */
void tperf_git_commit(const char **commit, bool *dirty)
{
	static char buf[64];
	size_t n;

	snprintf(buf, sizeof(buf), "%s", TPERF_GIT_DESCRIBE);
	n = strlen(buf);
	*dirty = n > 6 && strcmp(buf + n - 6, "-dirty") == 0;
	if (*dirty)
		buf[n - 6] = '\0';
	*commit = buf;
}

const char *tperf_dpdk_version(void)
{
	/* Kernel-only builds: the libdpdk pkg-config version tperf was built against. */
	return "DPDK " TPERF_DPDK_PKG_VERSION;
}

static void cpu_model(char *out, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(out, len, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (colon && (strncmp(line, "model name", 10) == 0 ||
			      strncmp(line, "Model", 5) == 0)) {
			colon++;
			while (*colon == ' ' || *colon == '\t')
				colon++;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(out, len, "%s", colon);
			break;
		}
	}
	fclose(f);
}

/* TSC frequency, measured against CLOCK_MONOTONIC over 20 ms (0 off x86). */
static uint64_t tsc_hz(void)
{
#if defined(__x86_64__) || defined(__i386__)
	struct timespec ts = {0, 20000000};
	uint64_t t0 = tperf_now_ns(), c0 = __rdtsc(), t1, c1;

	nanosleep(&ts, NULL);
	t1 = tperf_now_ns();
	c1 = __rdtsc();
	return (uint64_t)((double)(c1 - c0) * 1e9 / (double)(t1 - t0) / 1e6 + 0.5) * 1000000;
#else
	return 0;
#endif
}

json_t *tperf_host_json(const struct tperf_ctx *ctx)
{
	struct utsname u;
	char host[256] = "unknown", model[256];

	gethostname(host, sizeof(host) - 1);
	cpu_model(model, sizeof(model));
	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	return json_pack("{sssssisssssI}", "hostname", host, "cpu_model", model, "cores",
			 (int)sysconf(_SC_NPROCESSORS_ONLN), "kernel", u.release, "dpdk_version",
			 tperf_dpdk_version(), "tsc_hz", (json_int_t)tsc_hz());
}
