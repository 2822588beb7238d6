/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ms_run.h
 * Types shared by the ms-run runner, manifest and reports.
 */
#ifndef MS_RUN_H
#define MS_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "ms_plan.h"

/** Exit status of ms-run when interrupted (like a shell's 128+SIGINT). */
#define MS_EXIT_INTERRUPTED 130

/** Outcome of one job (one repetition of one case). */
enum ms_status {
	MS_ST_SKIPPED,		/**< not run (not reached, -e, Ctrl-C) */
	MS_ST_PASSED,		/**< exit status 0 */
	MS_ST_FAILED,		/**< non-zero exit status */
	MS_ST_TIMEOUT,		/**< killed at its timeout */
	MS_ST_INTERRUPTED,	/**< killed because ms-run was interrupted */
};

/** One repetition of one case. */
struct ms_job {
	const struct ms_case *c;
	int rep;		/**< 1-based repetition */
	char *rel;		/**< case dir relative to the run dir */
	enum ms_status st;
	int exit_code;		/**< valid for passed/failed */
	double elapsed;		/**< seconds, from timing.json */
	double timeout;		/**< seconds applied, 0 = none */
};

/** Options of one ms-run invocation. */
struct ms_run_opts {
	const char *results;		/**< results root (default results/runs) */
	const char *resume_dir;		/**< --resume RUN_DIR */
	const char *rerun_dir;		/**< --rerun-failed RUN_DIR */
	int shard_k, shard_n;		/**< --shard K/N, 0/0 when off */
	int repeat;			/**< --repeat N (>= 1) */
	double timeout;			/**< --timeout S, 0 = per scenario */
	double grace;			/**< SIGTERM → SIGKILL delay */
	bool stop_on_fail;		/**< -e */
	bool dry_run;
	const char *regex;		/**< -g */
	char **files;
	size_t nfiles;
	int argc;
	char **argv;
};

/** Name of a status as written in summaries ("passed", "timeout", ...). */
const char *ms_status_name(enum ms_status st);

/** Read a job's status from its case dir under @p run_dir. */
void ms_job_load(struct ms_job *j, const char *run_dir);

/**
 * Run the plan. Writes everything under the run directory and prints
 * progress to stdout.
 * @return ms-run's exit status.
 */
int ms_runner(struct ms_plan *plan, const struct ms_run_opts *o);

#endif
