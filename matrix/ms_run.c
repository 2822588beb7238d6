/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ms-run: run every case of matrix-shell scenario files, each isolated in
 * its own directory and process group, and record the results.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms_run.h"

static void ms_run_usage(FILE *f)
{
	fputs("usage: ms-run [options] FILE...\n"
	      "  -g REGEX            run the cases whose id matches the POSIX extended REGEX\n"
	      "  --var k=v           override variable k in every case (repeatable)\n"
	      "  -e                  stop at the first failed or timed-out case\n"
	      "  --timeout S         per-case timeout in seconds (overrides the scenarios')\n"
	      "  --grace S           seconds between SIGTERM and SIGKILL at a timeout (default 5)\n"
	      "  --shard K/N         run the cases whose index in the selection is K-1 modulo N\n"
	      "  --resume RUN_DIR    run what RUN_DIR has not recorded yet, into RUN_DIR\n"
	      "  --rerun-failed RUN_DIR  rerun the failed and timed-out cases of RUN_DIR\n"
	      "  --repeat N          run each case N times (case dirs get a rep-<i> level)\n"
	      "  --dry-run           print what would run\n"
	      "  --results DIR       results root (default results/runs)\n"
	      "With --resume/--rerun-failed, FILE... and the options -g, --var, --shard and\n"
	      "--repeat default to those recorded in RUN_DIR/manifest.json.\n"
	      "Exit: 0 all passed, 1 a case failed or timed out, 2 bad usage or input, 130 interrupted.\n", f);
}

static int ms_parse_num(const char *opt, const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < 0) {
		fprintf(stderr, "ms-run: %s '%s': expected a non-negative number of seconds\n", opt, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* Fill what the command line left open from the manifest of the run being resumed. */
static int ms_from_manifest(const char *run_dir, struct ms_run_opts *o, struct ms_plan *plan,
			    bool have_shard, bool have_repeat, bool have_vars, bool have_timeout,
			    json_t **keep)
{
	char *path = ms_xasprintf("%s/manifest.json", run_dir);
	json_error_t jerr;
	json_t *m = json_load_file(path, 0, &jerr), *p, *v;
	const char *k;

	if (!m) {
		fprintf(stderr, "ms-run: %s: %s\n", path, jerr.text);
		free(path);
		return -1;
	}
	free(path);
	*keep = m;
	p = json_object_get(m, "plan");
	if (!o->nfiles) {
		json_t *files = json_object_get(p, "files");

		o->nfiles = json_array_size(files);
		o->files = ms_xcalloc(o->nfiles + 1, sizeof(char *));
		for (size_t i = 0; i < o->nfiles; i++)
			o->files[i] = (char *)json_string_value(json_array_get(files, i));
		if (!o->regex && json_is_string(json_object_get(p, "filter")))
			o->regex = json_string_value(json_object_get(p, "filter"));
	}
	if (!have_shard && json_is_string(json_object_get(p, "shard")))
		sscanf(json_string_value(json_object_get(p, "shard")), "%d/%d", &o->shard_k, &o->shard_n);
	if (!have_repeat && json_is_integer(json_object_get(p, "repeat")))
		o->repeat = (int)json_integer_value(json_object_get(p, "repeat"));
	if (!have_timeout && json_is_number(json_object_get(p, "timeout")))
		o->timeout = json_number_value(json_object_get(p, "timeout"));
	if (!have_vars)
		json_object_foreach(json_object_get(p, "vars"), k, v) {
			char *arg = ms_xasprintf("%s=%s", k, json_string_value(v) ? json_string_value(v) : "");
			struct ms_error err;

			ms_plan_add_var(plan, arg, &err);
			free(arg);
		}
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_VAR = 256, OPT_TIMEOUT, OPT_GRACE, OPT_SHARD, OPT_RESUME, OPT_RERUN,
	       OPT_REPEAT, OPT_DRY, OPT_RESULTS };
	static const struct option opts[] = {
		{ "var", required_argument, NULL, OPT_VAR },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "grace", required_argument, NULL, OPT_GRACE },
		{ "shard", required_argument, NULL, OPT_SHARD },
		{ "resume", required_argument, NULL, OPT_RESUME },
		{ "rerun-failed", required_argument, NULL, OPT_RERUN },
		{ "repeat", required_argument, NULL, OPT_REPEAT },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "results", required_argument, NULL, OPT_RESULTS },
		{ "grep", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ms_run_opts o = { .repeat = 1, .grace = 5, .argc = argc, .argv = argv };
	bool have_shard = false, have_repeat = false, have_vars = false, have_timeout = false;
	struct ms_plan plan = {0};
	struct ms_error err = {{0}};
	json_t *manifest = NULL;
	char **files_alloc = NULL;
	int c, rc;
	char tail;

	while ((c = getopt_long(argc, argv, "g:eh", opts, NULL)) != -1) {
		switch (c) {
		case 'g': o.regex = optarg; break;
		case 'e': o.stop_on_fail = true; break;
		case OPT_VAR:
			have_vars = true;
			if (ms_plan_add_var(&plan, optarg, &err) < 0) {
				fprintf(stderr, "ms-run: %s\n", err.msg);
				goto usage;
			}
			break;
		case OPT_TIMEOUT:
			have_timeout = true;
			if (ms_parse_num("--timeout", optarg, &o.timeout) < 0)
				goto usage;
			break;
		case OPT_GRACE:
			if (ms_parse_num("--grace", optarg, &o.grace) < 0)
				goto usage;
			break;
		case OPT_SHARD:
			have_shard = true;
			if (sscanf(optarg, "%d/%d%c", &o.shard_k, &o.shard_n, &tail) != 2 ||
			    o.shard_n < 1 || o.shard_k < 1 || o.shard_k > o.shard_n) {
				fprintf(stderr, "ms-run: --shard '%s': expected K/N with 1 <= K <= N\n", optarg);
				goto usage;
			}
			break;
		case OPT_RESUME: o.resume_dir = optarg; break;
		case OPT_RERUN: o.rerun_dir = optarg; break;
		case OPT_REPEAT:
			have_repeat = true;
			if (sscanf(optarg, "%d%c", &o.repeat, &tail) != 1 || o.repeat < 1) {
				fprintf(stderr, "ms-run: --repeat '%s': expected a positive integer\n", optarg);
				goto usage;
			}
			break;
		case OPT_DRY: o.dry_run = true; break;
		case OPT_RESULTS: o.results = optarg; break;
		case 'h':
			ms_run_usage(stdout);
			ms_plan_free(&plan);
			return 0;
		default:
			goto usage;
		}
	}
	if (o.resume_dir && o.rerun_dir) {
		fputs("ms-run: --resume and --rerun-failed exclude each other\n", stderr);
		goto usage;
	}
	o.files = argv + optind;
	o.nfiles = (size_t)(argc - optind);
	if (o.resume_dir || o.rerun_dir) {
		size_t given = o.nfiles;

		if (ms_from_manifest(o.resume_dir ? o.resume_dir : o.rerun_dir, &o, &plan, have_shard,
				     have_repeat, have_vars, have_timeout, &manifest) < 0) {
			ms_plan_free(&plan);
			return MS_EXIT_USAGE;
		}
		if (!given)
			files_alloc = o.files;
	}
	if (!o.nfiles) {
		fputs("ms-run: no scenario FILE given\n", stderr);
		goto usage;
	}
	if (ms_plan_load(&plan, o.files, o.nfiles, o.regex, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		rc = MS_EXIT_USAGE;
		goto out;
	}
	rc = ms_runner(&plan, &o);
out:
	ms_plan_free(&plan);
	free(files_alloc);
	json_decref(manifest);
	return rc;
usage:
	ms_run_usage(stderr);
	ms_plan_free(&plan);
	return MS_EXIT_USAGE;
}
