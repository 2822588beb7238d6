/* SPDX-License-Identifier: BSD-3-Clause */
/* tpa-relay: the event loop. One thread, ppoll() on both ports with a deadline. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "relay.h"

static volatile sig_atomic_t relay_quit;
static volatile sig_atomic_t relay_dump;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		relay_dump = 1;
	else
		relay_quit = 1;
}

/* Drain port @p in into path @p path. Returns -1 when the port is gone. */
static int
relay_drain(struct relay_port *in, struct relay_path *path, uint8_t *buf)
{
	int i;

	for (i = 0; i < 256; i++) {
		int partial;
		long n = relay_port_recv(in, buf, RELAY_FRAME_MAX, &partial);

		if (n == 0)
			return 0;
		if (n == -2)	/* our own transmission */
			continue;
		if (n < 0) {
			if (errno == EMSGSIZE) {
				path->st.rx_errors++;
				continue;
			}
			if (errno == EINTR)
				return 0;
			/* ENETDOWN and friends: gone for good, or just down? */
			if (!relay_port_alive(in))
				return -1;
			if (errno != ENETDOWN)
				path->st.rx_errors++;
			return 0;
		}
		if (partial && relay_frame_fix_csum(buf, (size_t)n) == 0)
			path->st.csum_fixed++;
		relay_path_input(path, buf, (size_t)n, relay_now_ns());
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct relay_port port[RELAY_NDIR];
	struct relay_path path[RELAY_NDIR];
	struct relay_cfg cfg;
	struct sigaction sa;
	sigset_t block, orig;
	uint8_t *buf;
	int rc, d, status = 0;

	rc = relay_opts_parse(argc, argv, &cfg);
	if (rc == 1)
		return 0;
	if (rc != 0)
		return rc;

	buf = malloc(RELAY_FRAME_MAX);
	for (d = 0; d < RELAY_NDIR; d++) {
		port[d] = (struct relay_port){ .fd = -1, .ifname = cfg.ifname[d],
					       .netns = cfg.netns[d] };
		/* distinct streams per direction, both derived from --seed */
		if (relay_path_init(&path[d], &cfg.imp[d], cfg.seed * 2 + (uint64_t)d,
				    cfg.ip_only) < 0 || buf == NULL) {
			fprintf(stderr, "tpa-relay: out of memory\n");
			return 1;
		}
	}
	for (d = 0; d < RELAY_NDIR; d++) {
		if (relay_port_open(&port[d]) < 0) {
			status = 1;
			cfg.quiet = 1;	/* nothing ran: no counters to show */
			cfg.stats_path = NULL;
			goto out;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (cfg.stats_path && relay_stats_write_json(cfg.stats_path, &cfg, path) < 0) {
		status = 1;
		goto out;
	}

	while (!relay_quit) {
		struct pollfd pfd[RELAY_NDIR];
		uint64_t now = relay_now_ns(), next = UINT64_MAX;
		struct timespec ts, *tsp = NULL;

		for (d = 0; d < RELAY_NDIR; d++) {
			uint64_t t = relay_path_output(&path[d], &port[!d], now);

			if (t < next)
				next = t;
			pfd[d] = (struct pollfd){ .fd = port[d].fd, .events = POLLIN };
		}
		if (next != UINT64_MAX) {
			uint64_t wait = next > now ? next - now : 0;

			ts.tv_sec = (time_t)(wait / 1000000000ULL);
			ts.tv_nsec = (long)(wait % 1000000000ULL);
			tsp = &ts;
		}
		/* signals are only delivered inside ppoll: no lost wake-up */
		rc = ppoll(pfd, RELAY_NDIR, tsp, &orig);
		if (rc < 0 && errno != EINTR) {
			fprintf(stderr, "tpa-relay: ppoll: %s\n", strerror(errno));
			status = 1;
			break;
		}
		if (relay_dump) {
			relay_dump = 0;
			if (cfg.stats_path)
				relay_stats_write_json(cfg.stats_path, &cfg, path);
		}
		if (rc <= 0)
			continue;
		for (d = 0; d < RELAY_NDIR; d++) {
			if (!(pfd[d].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			if (relay_drain(&port[d], &path[d], buf) < 0) {
				/* e.g. the DPDK TAP of a stack that exited */
				fprintf(stderr, "tpa-relay: interface '%s' is gone, stopping\n",
					port[d].ifname);
				relay_quit = 1;
			}
		}
	}
out:
	for (d = 0; d < RELAY_NDIR; d++)
		relay_path_fini(&path[d]);
	if (!cfg.quiet)
		relay_stats_print(stdout, &cfg, path);
	if (cfg.stats_path && relay_stats_write_json(cfg.stats_path, &cfg, path) < 0)
		status = 1;
	for (d = 0; d < RELAY_NDIR; d++)
		relay_port_close(&port[d]);
	free(buf);
	return status;
}
