/* SPDX-License-Identifier: BSD-3-Clause */
#include "ms_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ms_util.h"

void ms_exec_init(void)
{
	/* orphaned grandchildren of a case become ours, so we can reap them */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}

static void ms_exec_child(const struct ms_exec_req *req, int errfd)
{
	sigset_t none;
	int fd, e;

	/* a new session: the case and everything it starts share one process group */
	if (setsid() < 0)
		goto fail;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (chdir(req->dir) < 0)
		goto fail;
	if ((fd = open("/dev/null", O_RDONLY)) < 0 || dup2(fd, 0) < 0)
		goto fail;
	close(fd);
	if ((fd = open(req->out_name ? req->out_name : "stdout", O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0 ||
	    ftruncate(fd, 0) < 0 || dup2(fd, 1) < 0)
		goto fail;
	close(fd);
	/* the same name for both: share one file (and its offset) */
	if (req->err_name && req->out_name && !strcmp(req->err_name, req->out_name)) {
		if (dup2(1, 2) < 0)
			goto fail;
	} else {
		if ((fd = open(req->err_name ? req->err_name : "stderr", O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0 ||
		    ftruncate(fd, 0) < 0 || dup2(fd, 2) < 0)
			goto fail;
		close(fd);
	}
	for (char *const *e2 = req->env; e2 && *e2; e2++)
		putenv(*e2);
	execlp("bash", "bash", req->script, (char *)NULL);
fail:
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* The case's leader: watched through a pidfd, or by polling waitpid() without one. */
struct ms_waiter {
	pid_t pid;
	int pidfd;
	bool reaped;
	int status;
};

static bool ms_exec_exited(struct ms_waiter *w)
{
	if (!w->reaped && waitpid(w->pid, &w->status, WNOHANG) == w->pid)
		w->reaped = true;
	return w->reaped;
}

/*
 * Wait until the leader exits (1), @p secs pass (0; < 0 waits forever) or
 * stop_fd becomes readable (2).
 */
static int ms_exec_wait(struct ms_waiter *w, int stop_fd, double secs)
{
	struct pollfd pf[2] = { { stop_fd, POLLIN, 0 }, { w->pidfd, POLLIN, 0 } };
	double end = ms_mono_now() + secs;

	for (;;) {
		int ms = -1, n;

		if (w->pidfd < 0 && ms_exec_exited(w))
			return 1;
		if (secs >= 0) {
			double left = end - ms_mono_now();

			if (left <= 0)
				return 0;
			ms = (int)(left * 1000) + 1;
		}
		if (w->pidfd < 0 && (ms < 0 || ms > 10))
			ms = 10;	/* no pidfd (old kernel, valgrind): poll */
		n = poll(pf + (stop_fd < 0), (stop_fd < 0 ? 0 : 1) + (w->pidfd >= 0), ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (stop_fd >= 0 && pf[0].revents)
			return 2;
		if (w->pidfd >= 0 && pf[1].revents)
			return 1;
	}
}

static void ms_exec_drain(int fd)
{
	char buf[64];

	while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
		;
}

/* Kill what is left of process group @p pgid and reap orphans that came to us. */
static bool ms_exec_sweep(pid_t pgid, double grace)
{
	double end = ms_mono_now() + grace;
	bool any = kill(-pgid, 0) == 0;

	if (!any)
		return false;
	kill(-pgid, SIGTERM);
	for (int sig = SIGTERM;;) {
		while (waitpid(-pgid, NULL, WNOHANG) > 0)
			;
		if (kill(-pgid, 0) < 0)
			break;
		if (sig == SIGTERM && ms_mono_now() >= end) {
			sig = SIGKILL;
			kill(-pgid, SIGKILL);
			end = ms_mono_now() + 5;
		} else if (sig == SIGKILL && ms_mono_now() >= end) {
			break;	/* unkillable (D state): give up */
		}
		usleep(20000);
	}
	return true;
}

int ms_exec_case(const struct ms_exec_req *req, struct ms_exec_res *res)
{
	double t0 = ms_mono_now();
	int errpipe[2], status = 0, w, childerr;
	pid_t pid;
	ssize_t n;

	memset(res, 0, sizeof(*res));
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(errpipe[0]);
		close(errpipe[1]);
		return -1;
	}
	if (pid == 0)
		ms_exec_child(req, errpipe[1]);
	close(errpipe[1]);
	/* EOF means exec succeeded, hence setsid() too: pid is now the pgid */
	n = read(errpipe[0], &childerr, sizeof(childerr));
	close(errpipe[0]);
	if (n == sizeof(childerr)) {
		waitpid(pid, NULL, 0);
		errno = childerr;
		return -1;
	}

	struct ms_waiter wt = { .pid = pid, .pidfd = pidfd_open(pid, 0) };

	w = ms_exec_wait(&wt, req->stop_fd, req->timeout > 0 ? req->timeout : -1);
	if (w != 1) {
		if (w == 2) {
			res->interrupted = true;
			ms_exec_drain(req->stop_fd);
		} else {
			res->timed_out = true;
		}
		kill(-pid, SIGTERM);
		for (;;) {
			/* the grace period lets the script's ms_cleanup run */
			w = ms_exec_wait(&wt, req->stop_fd, req->grace);
			if (w == 2 && req->stops && *req->stops < 2) {
				ms_exec_drain(req->stop_fd);
				continue;
			}
			break;
		}
		if (w != 1)
			kill(-pid, SIGKILL);	/* grace over, or a second Ctrl-C */
	}
	if (!wt.reaped)
		while (waitpid(pid, &wt.status, 0) < 0 && errno == EINTR)
			;
	status = wt.status;
	if (wt.pidfd >= 0)
		close(wt.pidfd);
	res->leftovers_killed = ms_exec_sweep(pid, req->grace < 2 ? req->grace : 2);
	res->elapsed = ms_mono_now() - t0;
	if (WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
		res->exit_code = 128 + res->signal;
	} else {
		res->exit_code = WEXITSTATUS(status);
	}
	return 0;
}
