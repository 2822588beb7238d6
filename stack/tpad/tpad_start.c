/* SPDX-License-Identifier: BSD-3-Clause */
/* tpad, stack side: create the table, then double-fork the daemon so it is
 * nobody's zombie and survives the stack, whatever kills it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_eal.h>

#include "cfg.h"
#include "dev.h"
#include "log.h"
#include "net.h"
#include "obs.h"
#include "tcp.h"
#include "tpad_int.h"

static int ctl_fd = -1;

void tpad_instance_id(char *buf, size_t len)
{
	/* the same directory as the other mem files (obs.c) */
	if (tpa_obs_id[0])
		snprintf(buf, len, "%s", tpa_obs_id);
	else
		tpa_obs_make_id(buf, len);
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

/* The TAP PMD's queue descriptors: every fd of ours that is /dev/net/tun. */
static int find_tun_fds(int *fds, int max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char link[300], target[32];
		ssize_t k;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		k = readlink(link, target, sizeof(target) - 1);
		if (k <= 0)
			continue;
		target[k] = 0;
		if (strcmp(target, "/dev/net/tun") == 0)
			fds[n++] = atoi(de->d_name);
	}
	closedir(d);
	return n;
}

/* tpad.iface, else the interface of an af_packet vdev ("net_af_packet0,iface=eth0"). */
static void pick_iface(char *buf, size_t len)
{
	const char *p;

	buf[0] = 0;
	if (tpa_cfg.tpad_iface[0]) {
		snprintf(buf, len, "%s", tpa_cfg.tpad_iface);
		return;
	}
	if (strncmp(tpa_cfg.vdev, "net_af_packet", 13) || !(p = strstr(tpa_cfg.vdev, "iface=")))
		return;
	snprintf(buf, len, "%.*s", (int)strcspn(p + 6, ","), p + 6);
}

int tpad_start(void)
{
	static struct tpad_ctx ctx;	/* the child reads it after fork */
	char id[64];
	int pipefd[2];
	pid_t pid;
	int st;

	if (!tpa_cfg.tpad_enable || ctl_fd >= 0)
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	ctx.instance = getpid();
	ctx.linger_ms = tpa_cfg.tpad_linger_ms;
	ctx.log_level = tpa_cfg.log_level;
	tpad_instance_id(id, sizeof(id));
	if (tpa_obs_dir[0])
		snprintf(ctx.run_dir, sizeof(ctx.run_dir), "%s", tpa_obs_dir);
	else if (snprintf(ctx.run_dir, sizeof(ctx.run_dir), "%s/%s", tpa_cfg.run_dir, id) >= (int)sizeof(ctx.run_dir))
		goto too_long;
	if (snprintf(ctx.table, sizeof(ctx.table), "%s/%s", ctx.run_dir, TPAD_FILE) >= (int)sizeof(ctx.table))
		goto too_long;
	snprintf(ctx.dpdk_dir, sizeof(ctx.dpdk_dir), "%s", rte_eal_get_runtime_dir());
	if (!tpa_cfg.in_memory) {
		/* dev.c's prefix: dpdk.file_prefix or tpa-<pid> */
		if (tpa_cfg.file_prefix[0])
			snprintf(ctx.huge_prefix, sizeof(ctx.huge_prefix), "%smap_", tpa_cfg.file_prefix);
		else
			snprintf(ctx.huge_prefix, sizeof(ctx.huge_prefix), "tpa-%dmap_", (int)getpid());
	}
	pick_iface(ctx.iface, sizeof(ctx.iface));
	/* without obs (it failed or the directory is another live instance's), only a fresh directory */
	if (!tpa_obs_dir[0] && (mkdir_p(tpa_cfg.run_dir) || mkdir(ctx.run_dir, 0755))) {
		LOG_WARN("tpad: cannot create %s: %s; crash cleanup is off", ctx.run_dir, strerror(errno));
		return -1;
	}
	if (tpad_table_create(ctx.table, tcp_max_socks, tpa_netif.ip, tpa_netif.mac.addr_bytes)) {
		LOG_WARN("tpad: cannot create %s: %s; crash cleanup is off", ctx.table, strerror(errno));
		return -1;
	}
	ctx.tab = tpad_table_get();	/* the daemon keeps this mapping: the file may go first */
	ctx.nr_tun = find_tun_fds(ctx.tun, TPAD_MAX_TUN);
	if (!ctx.nr_tun && !ctx.iface[0])
		LOG_INFO("tpad: no TAP and no tpad.iface: resets cannot be sent, only files are cleaned");
#ifdef SYS_pidfd_open
	ctx.pidfd = (int)syscall(SYS_pidfd_open, ctx.instance, 0);
#else
	ctx.pidfd = -1;
#endif
	if (pipe2(pipefd, O_CLOEXEC)) {
		LOG_WARN("tpad: pipe: %s; crash cleanup is off", strerror(errno));
		goto fail;
	}
	ctx.ctl = pipefd[0];
	pid = fork();
	if (pid < 0) {
		LOG_WARN("tpad: fork: %s; crash cleanup is off", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		goto fail;
	}
	if (pid == 0) {
		/* intermediate child: the daemon's parent becomes init at once */
		close(pipefd[1]);
		if (fork() == 0)
			tpad_daemon_main(&ctx);
		_exit(0);
	}
	close(pipefd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (ctx.pidfd >= 0)
		close(ctx.pidfd);
	ctl_fd = pipefd[1];
	LOG_INFO("tpad: watching instance %d (%d TAP queue(s)%s%s), table %s", (int)ctx.instance, ctx.nr_tun,
		 ctx.iface[0] ? ", af_packet on " : "", ctx.iface, ctx.table);
	return 0;

too_long:
	LOG_WARN("tpad: run dir path too long; crash cleanup is off");
	return -1;

fail:
	if (ctx.pidfd >= 0)
		close(ctx.pidfd);
	tpad_table_close();
	unlink(ctx.table);
	rmdir(ctx.run_dir);
	return -1;
}

void tpad_stop(void)
{
	if (ctl_fd < 0)
		return;
	/* a byte, not just EOF: a child the application forked may hold the write end too */
	if (write(ctl_fd, "F", 1) < 0)
		LOG_WARN("tpad: cannot signal the daemon: %s", strerror(errno));
	close(ctl_fd);
	ctl_fd = -1;
	tpad_table_close();
}
