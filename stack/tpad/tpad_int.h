/* SPDX-License-Identifier: BSD-3-Clause */
/** @file tpad internals shared by the stack-side and daemon-side files. */
#ifndef TPA_TPAD_INT_H
#define TPA_TPAD_INT_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "tpad.h"

#define TPAD_MAX_TUN 64

/** Everything the daemon needs, filled by the stack before fork. */
struct tpad_ctx {
	pid_t instance;			/* the stack's pid */
	int pidfd;			/* pidfd of the instance, -1 when unsupported */
	int ctl;			/* read end of the control pipe */
	int tun[TPAD_MAX_TUN];		/* TAP queue descriptors (inherited) */
	int nr_tun;
	char iface[64];			/* tpad.iface: AF_PACKET fallback */
	uint32_t linger_ms;
	int log_level;
	char table[PATH_MAX];		/* obs.run_dir/<id>/tpad-conns */
	char run_dir[PATH_MAX];		/* obs.run_dir/<id> */
	char dpdk_dir[PATH_MAX];	/* EAL runtime dir, e.g. /var/run/dpdk/<prefix> */
	char huge_prefix[96];
	struct tpad_hdr *tab;		/* the table, mapped before fork */		/* hugepage file prefix to remove ("" in memory mode) */
};

/** Create (truncate) and map the table file; the stack's entries then go there. */
int tpad_table_create(const char *path, uint32_t nr, uint32_t ip, const uint8_t mac[6]);
/** The stack's mapping of the table (NULL when none). */
struct tpad_hdr *tpad_table_get(void);
/** Unmap the stack's view of the table. */
void tpad_table_close(void);

/**
 * Bytes before the Ethernet header on TAP queue @p tun_fd (tun_pi, vnet
 * header). Moves the caller into the device's network namespace. 0 or -1.
 */
int tpad_tun_hdr_len(int tun_fd, size_t *hdr_len);

/** The daemon; never returns. */
void tpad_daemon_main(struct tpad_ctx *ctx) __attribute__((noreturn));

/** Remove the instance's runtime files (run dir if still ours, EAL dir, hugepage files). */
void tpad_cleanup_files(const struct tpad_ctx *ctx);

/** Log from the daemon: one write(2) per line, no stdio. */
void tpad_log(const struct tpad_ctx *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
