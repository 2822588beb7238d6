/* SPDX-License-Identifier: BSD-3-Clause */
/* Argument handling of the simple subcommands: summary, compare, store. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results_cmd.h"
#include "results_compare.h"
#include "results_store.h"
#include "results_summary.h"
#include "results_util.h"

/* Parse a number option; exits 2 with a message when it is not one. */
double res_opt_double(const char *cmd, const char *opt, const char *arg, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "results %s: %s '%s': want a number in [%g, %g]\n", cmd, opt, arg, lo, hi);
		exit(RES_EXIT_USAGE);
	}
	return v;
}

int res_cmd_summary(int argc, char **argv)
{
	static const struct option lo[] = {
		{"json", no_argument, NULL, 'j'}, {"case", required_argument, NULL, 'c'},
		{"store", required_argument, NULL, 's'}, {"markdown", no_argument, NULL, 'm'},
		{NULL, 0, NULL, 0},
	};
	const char *glob = NULL, *store_opt = NULL;
	int json = 0, md = 0, c, rc;
	struct res_set set = {0};
	char *store;

	while ((c = getopt_long(argc, argv, "jc:s:m", lo, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'm': md = 1; break;
		case 'c': glob = optarg; break;
		case 's': store_opt = optarg; break;
		default: res_usage("summary"); return RES_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		res_usage("summary");
		return RES_EXIT_USAGE;
	}
	store = res_store_dir(store_opt);
	rc = res_set_resolve(&set, argv[optind], store);
	free(store);
	if (rc < 0)
		return 1;
	if (set.nc == 0) {
		fprintf(stderr, "results: %s: no tperf results (schema tpa.tperf/1) found\n", argv[optind]);
		res_set_free(&set);
		return 1;
	}
	if (json)
		res_summary_json(&set, glob, stdout);
	else
		res_summary_print(&set, glob, md, stdout);
	res_set_free(&set);
	return 0;
}

int res_cmd_compare(int argc, char **argv)
{
	static const struct option lo[] = {
		{"json", no_argument, NULL, 'j'}, {"case", required_argument, NULL, 'c'},
		{"alpha", required_argument, NULL, 'a'}, {"min-effect", required_argument, NULL, 'e'},
		{"store", required_argument, NULL, 's'}, {"fail-on-worse", no_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	const char *glob = NULL, *store_opt = NULL;
	struct res_set a = {0}, b = {0};
	struct res_cmp_opts o;
	int json = 0, fail = 0, c, rc = 1, worse;
	char *store;

	res_cmp_opts_default(&o);
	while ((c = getopt_long(argc, argv, "jc:a:e:s:f", lo, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'f': fail = 1; break;
		case 'c': glob = optarg; break;
		case 's': store_opt = optarg; break;
		case 'a': o.alpha = res_opt_double("compare", "--alpha", optarg, 1e-9, 0.5); break;
		case 'e': o.min_effect = res_opt_double("compare", "--min-effect", optarg, 0, 100); break;
		default: res_usage("compare"); return RES_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		res_usage("compare");
		return RES_EXIT_USAGE;
	}
	store = res_store_dir(store_opt);
	if (res_set_resolve_pair(&a, &b, argv[optind], argv[optind + 1], store, "results") < 0)
		goto out;
	worse = res_compare_print(&a, &b, glob, &o, json, stdout);
	rc = fail && worse > 0 ? 1 : 0;
out:
	free(store);
	res_set_free(&a);
	res_set_free(&b);
	return rc;
}

int res_cmd_store(int argc, char **argv)
{
	static const struct option lo[] = {
		{"store", required_argument, NULL, 's'}, {"link", no_argument, NULL, 'l'},
		{"commit", required_argument, NULL, 'c'}, {NULL, 0, NULL, 0},
	};
	const char *store_opt = NULL, *commit = NULL;
	int link = 0, c, rc = 0;
	char *store;

	while ((c = getopt_long(argc, argv, "s:lc:", lo, NULL)) != -1) {
		switch (c) {
		case 's': store_opt = optarg; break;
		case 'c': commit = optarg; break;
		case 'l': link = 1; break;
		default: res_usage("store"); return RES_EXIT_USAGE;
		}
	}
	if (argc - optind < 1) {
		res_usage("store");
		return RES_EXIT_USAGE;
	}
	store = res_store_dir(store_opt);
	for (; optind < argc; optind++)
		if (res_store_add(argv[optind], store, commit, link) < 0)
			rc = 1;
	free(store);
	return rc;
}
