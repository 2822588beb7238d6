/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ms_exec.h
 * Run one case script in its own session/process group, with a timeout.
 *
 * The script runs as `bash SCRIPT` with cwd = the case directory, stdin from
 * /dev/null and stdout/stderr into the files "stdout" and "stderr" there.
 * At the timeout (or when the stop fd becomes readable: Ctrl-C) the whole
 * process group gets SIGTERM, then SIGKILL after the grace period. Processes
 * left in the group after the script exits are killed the same way.
 */
#ifndef MS_EXEC_H
#define MS_EXEC_H

#include <signal.h>
#include <stdbool.h>

/** What to run. */
struct ms_exec_req {
	const char *dir;		/**< case directory, becomes the cwd */
	const char *script;		/**< script path relative to @c dir */
	const char *out_name;		/**< stdout file in @c dir (default "stdout") */
	const char *err_name;		/**< stderr file in @c dir (default "stderr") */
	char *const *env;		/**< extra "NAME=value" entries, NULL-terminated */
	double timeout;			/**< seconds, 0 = none */
	double grace;			/**< seconds between SIGTERM and SIGKILL */
	int stop_fd;			/**< readable when the run is interrupted, or -1 */
	volatile sig_atomic_t *stops;	/**< count of interrupt signals received */
};

/** How it ended. */
struct ms_exec_res {
	int exit_code;		/**< exit status, or 128+signal when killed */
	int signal;		/**< terminating signal, 0 if it exited */
	bool timed_out;
	bool interrupted;
	bool leftovers_killed;	/**< processes remained in the group after the script */
	bool fallback_cleanup;	/**< set by the runner: pending cleanups were run for the case */
	double elapsed;		/**< seconds */
};

/**
 * Run a case and wait for it.
 * @return 0, or -1 with errno when the process could not be started.
 */
int ms_exec_case(const struct ms_exec_req *req, struct ms_exec_res *res);

/** Make the caller a child subreaper so orphans of a case can be reaped. */
void ms_exec_init(void);

#endif
