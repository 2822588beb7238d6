/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ms_exec.h"
#include "ms_manifest.h"
#include "ms_report.h"
#include "ms_run.h"
#include "ms_script.h"

static volatile sig_atomic_t ms_stops;
static int ms_stop_pipe[2] = { -1, -1 };

static void ms_on_stop(int sig)
{
	int e = errno;
	char c = (char)sig;

	ms_stops++;
	if (write(ms_stop_pipe[1], &c, 1) < 0) {
		/* pipe full: a stop is already pending */
	}
	errno = e;
}

static void ms_signals_init(void)
{
	struct sigaction sa = { .sa_handler = ms_on_stop };

	if (pipe2(ms_stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		perror("ms-run: pipe");
		exit(1);
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

const char *ms_status_name(enum ms_status st)
{
	static const char *const names[] = {
		[MS_ST_SKIPPED] = "skipped", [MS_ST_PASSED] = "passed", [MS_ST_FAILED] = "failed",
		[MS_ST_TIMEOUT] = "timeout", [MS_ST_INTERRUPTED] = "interrupted",
	};

	return names[st];
}

void ms_job_load(struct ms_job *j, const char *run_dir)
{
	char *path = ms_xasprintf("%s/%s/status", run_dir, j->rel);
	char *s = ms_read_file(path, NULL), *end;
	json_t *t;

	free(path);
	j->st = MS_ST_SKIPPED;
	j->elapsed = 0;
	if (!s)
		return;
	if (!strncmp(s, "timeout", 7)) {
		j->st = MS_ST_TIMEOUT;
	} else if (!strncmp(s, "interrupted", 11)) {
		j->st = MS_ST_INTERRUPTED;
	} else {
		long v = strtol(s, &end, 10);

		if (end != s) {
			j->exit_code = (int)v;
			j->st = v == 0 ? MS_ST_PASSED : MS_ST_FAILED;
		}
	}
	free(s);
	path = ms_xasprintf("%s/%s/timing.json", run_dir, j->rel);
	t = json_load_file(path, 0, NULL);
	free(path);
	if (t) {
		j->elapsed = json_number_value(json_object_get(t, "elapsed_s"));
		j->timeout = json_number_value(json_object_get(t, "timeout_s"));
		json_decref(t);
	}
}

/* Build the job list: selected cases in this shard, each repeated. */
static struct ms_job *ms_jobs_build(const struct ms_plan *plan, const struct ms_run_opts *o,
				    size_t *njobs)
{
	struct ms_job *jobs = ms_xcalloc(plan->nsel * (size_t)o->repeat + 1, sizeof(*jobs));
	size_t n = 0;

	for (size_t i = 0; i < plan->nsel; i++) {
		/* shard K/N takes the cases whose index in the selection is K-1 modulo N */
		if (o->shard_n && i % (size_t)o->shard_n != (size_t)(o->shard_k - 1))
			continue;
		for (int r = 1; r <= o->repeat; r++) {
			struct ms_job *j = &jobs[n++];

			j->c = plan->sel[i];
			j->rep = r;
			j->timeout = o->timeout > 0 ? o->timeout : j->c->timeout;
			j->rel = o->repeat > 1 ? ms_xasprintf("%s/rep-%d", j->c->id, r)
					       : ms_xstrdup(j->c->id);
		}
	}
	*njobs = n;
	return jobs;
}

/* A fresh directory for a new run: RESULTS/<UTC time>-<short commit>[-N]. */
static char *ms_new_run_dir(const struct ms_plan *plan, const char *results, char **run_id)
{
	char stamp[32], *commit, *abs, *dir = NULL;

	if (ms_mkdir_p(results, 0755) < 0 || !(abs = realpath(results, NULL))) {
		fprintf(stderr, "ms-run: cannot create results directory %s: %s\n", results, strerror(errno));
		return NULL;
	}
	ms_utc_now(stamp, sizeof(stamp), true);
	commit = ms_git_short(plan->nsc ? plan->scs[0]->abspath : ".");
	for (int i = 1; i < 1000; i++) {
		free(*run_id);
		*run_id = i == 1 ? ms_xasprintf("%s-%s", stamp, commit)
				 : ms_xasprintf("%s-%s-%d", stamp, commit, i);
		dir = ms_xasprintf("%s/%s", abs, *run_id);
		if (mkdir(dir, 0755) == 0)
			break;
		if (errno != EEXIST) {
			fprintf(stderr, "ms-run: cannot create %s: %s\n", dir, strerror(errno));
			free(dir);
			dir = NULL;
			break;
		}
		free(dir);
		dir = NULL;
	}
	free(commit);
	free(abs);
	return dir;
}

static int ms_write_timing(const char *dir, const struct ms_job *j, const char *start,
			   const char *end, const struct ms_exec_res *r)
{
	char *path = ms_xasprintf("%s/timing.json", dir);
	json_t *t = json_pack("{s:s, s:i, s:s, s:s, s:f, s:o, s:s, s:o, s:o, s:b, s:b}",
			      "case_id", j->c->id,
			      "repeat", j->rep,
			      "started_at", start,
			      "ended_at", end,
			      "elapsed_s", r->elapsed,
			      "timeout_s", j->timeout > 0 ? json_real(j->timeout) : json_null(),
			      "status", ms_status_name(j->st),
			      "exit_code", r->timed_out || r->interrupted ? json_null() : json_integer(r->exit_code),
			      "signal", r->signal ? json_integer(r->signal) : json_null(),
			      "leftover_processes_killed", r->leftovers_killed,
			      "fallback_cleanup", r->fallback_cleanup);
	int rc = json_dump_file(t, path, JSON_INDENT(2));

	json_decref(t);
	free(path);
	return rc;
}

/* Move a previous attempt out of the way: RUN/.attempts/<n>/<rel>. */
static void ms_archive_attempt(const char *run_dir, const char *rel)
{
	char *src = ms_xasprintf("%s/%s", run_dir, rel);

	for (int n = 1; n < 10000; n++) {
		char *dst = ms_xasprintf("%s/.attempts/%d/%s", run_dir, n, rel);
		struct stat st;

		if (stat(dst, &st) < 0) {
			char *parent = ms_xstrdup(dst);

			*strrchr(parent, '/') = '\0';
			ms_mkdir_p(parent, 0755);
			if (rename(src, dst) < 0)
				ms_rm_rf(src);
			free(parent);
			free(dst);
			break;
		}
		free(dst);
	}
	free(src);
}

/*
 * Cleanup fallback: commands a case registered in .ms_cleanup_pending (one
 * bash command per line, see lib/common.msh) are still pending when its
 * ms_cleanup could not run (killed with SIGKILL, TERM ignored): run them
 * here, last registered first, in a session of their own.
 */
static bool ms_run_pending_cleanup(const char *dir, const struct ms_run_opts *o)
{
	static const char script[] =
		"# written by ms-run: the case ended with cleanups still registered\n"
		"tac .ms_cleanup_pending | while IFS= read -r cmd; do eval \"$cmd\" </dev/null || echo \"ms-run: cleanup failed: $cmd\" >&2; done\n"
		"rm -f .ms_cleanup_pending\n";
	char *pending = ms_xasprintf("%s/.ms_cleanup_pending", dir);
	char *path = ms_xasprintf("%s/cleanup-fallback.sh", dir);
	struct ms_exec_req req = {
		.dir = dir, .script = "cleanup-fallback.sh", .out_name = "cleanup-fallback.log",
		.err_name = "cleanup-fallback.log", .timeout = 120, .grace = o->grace, .stop_fd = -1,
	};
	struct ms_exec_res r;
	bool ran = false;

	if (access(pending, F_OK) == 0 && ms_write_file(path, script, sizeof(script) - 1) == 0) {
		ran = ms_exec_case(&req, &r) == 0;
		if (ran && (r.exit_code || r.timed_out))
			fprintf(stderr, "ms-run: cleanup fallback in %s did not finish cleanly\n", dir);
	}
	free(pending);
	free(path);
	return ran;
}

static int ms_run_job(struct ms_job *j, const struct ms_plan *plan, const struct ms_run_opts *o,
		      const char *run_dir, const char *run_id)
{
	char *dir = ms_xasprintf("%s/%s", run_dir, j->rel);
	char *script = ms_script_render(j->c, &plan->vars);
	char *path = ms_xasprintf("%s/case.sh", dir);
	char *env[8] = {0};
	char start[32], end[32];
	struct ms_exec_res r;
	struct ms_exec_req req = {
		.dir = dir, .script = "case.sh", .env = env, .timeout = j->timeout,
		.grace = o->grace, .stop_fd = ms_stop_pipe[0], .stops = &ms_stops,
	};
	const char *st;
	int rc = 0;

	ms_rm_rf(dir);	/* a half-done attempt of an interrupted run */
	if (ms_mkdir_p(dir, 0755) < 0 || ms_write_file(path, script, strlen(script)) < 0) {
		fprintf(stderr, "ms-run: cannot write %s: %s\n", path, strerror(errno));
		rc = -1;
		goto out;
	}
	chmod(path, 0755);
	env[0] = ms_xasprintf("MS_CASE_DIR=%s", dir);
	env[1] = ms_xasprintf("MS_CASE_ID=%s", j->c->id);
	env[2] = ms_xasprintf("MS_RUN_DIR=%s", run_dir);
	env[3] = ms_xasprintf("MS_REPEAT=%d", j->rep);
	env[4] = ms_xasprintf("MS_RUN_ID=%s", run_id);
	ms_utc_now(start, sizeof(start), false);
	if (ms_exec_case(&req, &r) < 0) {
		fprintf(stderr, "ms-run: cannot start %s: %s\n", j->c->id, strerror(errno));
		rc = -1;
		goto out;
	}
	ms_utc_now(end, sizeof(end), false);
	if (r.interrupted) {
		j->st = MS_ST_INTERRUPTED;
		st = "interrupted\n";
	} else if (r.timed_out) {
		j->st = MS_ST_TIMEOUT;
		st = "timeout\n";
	} else {
		j->st = r.exit_code ? MS_ST_FAILED : MS_ST_PASSED;
		st = NULL;
	}
	j->exit_code = r.exit_code;
	j->elapsed = r.elapsed;
	r.fallback_cleanup = ms_run_pending_cleanup(dir, o);
	ms_write_timing(dir, j, start, end, &r);
	free(path);
	path = ms_xasprintf("%s/status", dir);
	if (st) {
		ms_write_file(path, st, strlen(st));
	} else {
		char num[16];
		int n = snprintf(num, sizeof(num), "%d\n", r.exit_code);

		ms_write_file(path, num, (size_t)n);
	}
out:
	for (int i = 0; env[i]; i++)
		free(env[i]);
	free(path);
	free(script);
	free(dir);
	return rc;
}

static void ms_progress(size_t i, size_t n, const struct ms_job *j)
{
	static const char *const tag[] = {
		[MS_ST_SKIPPED] = "SKIP", [MS_ST_PASSED] = "PASS", [MS_ST_FAILED] = "FAIL",
		[MS_ST_TIMEOUT] = "TIMEOUT", [MS_ST_INTERRUPTED] = "INTR",
	};

	printf("[%zu/%zu] %-7s %s", i + 1, n, tag[j->st], j->rel);
	if (j->st == MS_ST_FAILED)
		printf(" (exit %d)", j->exit_code);
	printf(" %.2fs\n", j->elapsed);
	fflush(stdout);
}

int ms_runner(struct ms_plan *plan, const struct ms_run_opts *o)
{
	const char *mode = o->resume_dir ? "resume" : o->rerun_dir ? "rerun-failed" : "run";
	const char *reuse = o->resume_dir ? o->resume_dir : o->rerun_dir;
	char *run_dir = NULL, *run_id = NULL;
	struct ms_counts counts;
	struct ms_job *jobs;
	size_t njobs;
	bool stop = false, interrupted = false;
	json_t *manifest;
	int rc;

	jobs = ms_jobs_build(plan, o, &njobs);
	if (o->dry_run) {
		for (size_t i = 0; i < njobs; i++) {
			printf("would run %s", jobs[i].rel);
			if (jobs[i].timeout > 0)
				printf(" (timeout %gs)", jobs[i].timeout);
			putchar('\n');
		}
		printf("%zu case(s)%s\n", njobs, reuse ? " before skipping those already recorded" : "");
		rc = 0;
		goto out;
	}

	if (reuse) {
		run_dir = realpath(reuse, NULL);
		if (!run_dir) {
			fprintf(stderr, "ms-run: %s: %s\n", reuse, strerror(errno));
			rc = MS_EXIT_USAGE;
			goto out;
		}
		const char *slash = strrchr(run_dir, '/');

		run_id = ms_xstrdup(slash ? slash + 1 : run_dir);
	} else {
		run_dir = ms_new_run_dir(plan, o->results ? o->results : "results/runs", &run_id);
		if (!run_dir) {
			rc = 1;
			goto out;
		}
	}
	ms_exec_init();
	ms_signals_init();
	manifest = ms_manifest_begin(run_dir, run_id, mode, plan, o);
	ms_manifest_write(manifest, run_dir, false, false);
	printf("ms-run: %s %s: %zu case(s)\n", mode, run_dir, njobs);
	fflush(stdout);

	for (size_t i = 0; i < njobs; i++) {
		struct ms_job *j = &jobs[i];

		ms_job_load(j, run_dir);
		if (o->resume_dir && j->st != MS_ST_SKIPPED && j->st != MS_ST_INTERRUPTED)
			continue;	/* already recorded */
		if (o->rerun_dir) {
			if (j->st != MS_ST_FAILED && j->st != MS_ST_TIMEOUT)
				continue;
			ms_archive_attempt(run_dir, j->rel);
		}
		if (ms_stops)
			interrupted = true;
		if (interrupted || stop) {
			j->st = MS_ST_SKIPPED;
			continue;
		}
		if (ms_run_job(j, plan, o, run_dir, run_id) < 0) {
			j->st = MS_ST_FAILED;
			j->exit_code = 127;
		}
		ms_progress(i, njobs, j);
		if (j->st == MS_ST_INTERRUPTED || ms_stops)
			interrupted = true;
		if (o->stop_on_fail && (j->st == MS_ST_FAILED || j->st == MS_ST_TIMEOUT))
			stop = true;
	}
	/* the summary covers every job of the run, including earlier invocations */
	for (size_t i = 0; i < njobs; i++)
		ms_job_load(&jobs[i], run_dir);
	if (ms_report_write(run_dir, run_id, jobs, njobs) < 0)
		fprintf(stderr, "ms-run: cannot write the summary in %s: %s\n", run_dir, strerror(errno));
	ms_manifest_write(manifest, run_dir, true, interrupted);
	json_decref(manifest);

	ms_report_count(jobs, njobs, &counts);
	printf("ms-run: %s%s: ", run_id, interrupted ? " (interrupted)" : "");
	ms_report_line(stdout, &counts);
	printf("ms-run: results in %s\n", run_dir);
	if (interrupted)
		rc = MS_EXIT_INTERRUPTED;
	else if (counts.failed || counts.timed_out || counts.interrupted)
		rc = 1;
	else
		rc = 0;
out:
	for (size_t i = 0; i < njobs; i++)
		free(jobs[i].rel);
	free(jobs);
	free(run_dir);
	free(run_id);
	return rc;
}
