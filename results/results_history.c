/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `results history METRIC`: one metric across the commits of the store,
 * oldest first (git commit date when git knows the commit, else the earliest
 * run start). A change point is a commit whose comparison with the previous
 * commit that has the case gives a significant verdict (better or worse)
 * under the compare rule; it is marked in the table and the plot.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "results_cmd.h"
#include "results_compare.h"
#include "results_plot.h"
#include "results_store.h"
#include "results_summary.h"
#include "results_util.h"

int res_cmd_history(int argc, char **argv)
{
	static const struct option lo[] = {
		{"case", required_argument, NULL, 'c'}, {"store", required_argument, NULL, 's'},
		{"plot", required_argument, NULL, 'p'}, {"json", no_argument, NULL, 'j'},
		{"alpha", required_argument, NULL, 'a'}, {"min-effect", required_argument, NULL, 'e'},
		{NULL, 0, NULL, 0},
	};
	const char *glob = NULL, *store_opt = NULL, *plot = NULL;
	struct res_store_commit *sc = NULL;
	struct res_set *sets = NULL;
	const char **ids = NULL, **xl = NULL;
	struct res_cmp_opts o;
	size_t nsc = 0, nid = 0, i, k;
	double *vals = NULL;
	int *marks = NULL, json = 0, c, m, rc = 1;
	json_t *jroot = json_object(), *jcases = json_array();
	char *store, buf[32];

	res_cmp_opts_default(&o);
	while ((c = getopt_long(argc, argv, "c:s:p:ja:e:", lo, NULL)) != -1) {
		switch (c) {
		case 'c': glob = optarg; break;
		case 's': store_opt = optarg; break;
		case 'p': plot = optarg; break;
		case 'j': json = 1; break;
		case 'a': o.alpha = res_opt_double("history", "--alpha", optarg, 1e-9, 0.5); break;
		case 'e': o.min_effect = res_opt_double("history", "--min-effect", optarg, 0, 100); break;
		default: res_usage("history"); json_decref(jroot); json_decref(jcases);
			return RES_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		res_usage("history");
		json_decref(jroot);
		json_decref(jcases);
		return RES_EXIT_USAGE;
	}
	m = res_metric_find(argv[optind]);
	if (m < 0) {
		fprintf(stderr, "results history: unknown metric '%s'\n", argv[optind]);
		json_decref(jroot);
		json_decref(jcases);
		return RES_EXIT_USAGE;
	}
	store = res_store_dir(store_opt);
	if (res_store_list(store, &sc, &nsc) < 0)
		goto out;
	sets = res_xcalloc(nsc, sizeof(*sets));
	xl = res_xcalloc(nsc, sizeof(*xl));
	for (i = 0; i < nsc; i++) {
		if (res_set_resolve(&sets[i], sc[i].commit, store) < 0)
			goto out;
		xl[i] = sets[i].label;
		for (k = 0; k < sets[i].nc; k++) {
			size_t j;

			if (!res_glob_match(glob, sets[i].c[k].id))
				continue;
			for (j = 0; j < nid && strcmp(ids[j], sets[i].c[k].id) != 0; j++)
				;
			if (j == nid) {
				ids = res_xrealloc(ids, (nid + 1) * sizeof(*ids));
				ids[nid++] = sets[i].c[k].id;
			}
		}
	}
	if (nid == 0) {
		fprintf(stderr, "results history: no case%s%s in the store %s\n", glob ? " matches " : "",
			glob ? glob : "", store);
		goto out;
	}
	vals = res_xcalloc(nid * nsc, sizeof(*vals));
	marks = res_xcalloc(nid * nsc, sizeof(*marks));
	if (!json)
		printf("%s (%s) across %zu commits, oldest first; change point = significant verdict "
		       "against the previous commit (alpha %g, min effect %g%%)\n", res_metrics[m].label,
		       res_metrics[m].unit, nsc, o.alpha, 100 * o.min_effect);
	for (k = 0; k < nid; k++) {
		const struct res_case *prev = NULL;
		json_t *jc = json_object(), *jp = json_array();

		if (!json)
			printf("\n%s\n  %-14s %-20s %5s %12s  %s\n", ids[k], "commit", "date", "reps",
			       res_metrics[m].label, "change");
		for (i = 0; i < nsc; i++) {
			const struct res_case *cs = res_set_case(&sets[i], ids[k]);
			struct res_cmp r = {0};
			char when[32] = "-";
			const char *change = "";
			time_t t = (time_t)sc[i].when;

			vals[k * nsc + i] = cs ? res_case_median(cs, m) : NAN;
			if (cs == NULL)
				continue;
			if (sc[i].when > 0)
				strftime(when, sizeof(when), "%Y-%m-%d %H:%M", gmtime(&t));
			if (prev != NULL &&
			    res_compare_case(prev, cs, m, res_metrics[m].lower_is_better, &o, &r) == 0) {
				if (r.verdict == RES_V_WORSE || r.verdict == RES_V_BETTER) {
					marks[k * nsc + i] = r.verdict == RES_V_WORSE ? 1 : -1;
					change = r.verdict == RES_V_WORSE ? "<<< worse" : ">>> better";
				} else if (r.verdict == RES_V_UNKNOWN) {
					change = "(too few reps to judge)";
				}
			}
			if (!json) {
				printf("  %-14.12s %-20s %5zu %12s  %s", sc[i].commit, when, cs->ns,
				       res_fmt_metric(m, vals[k * nsc + i], buf, sizeof(buf)), change);
				if (marks[k * nsc + i])
					printf(" (ratio %.3f, p %.3g)", r.ratio, r.p);
				printf("\n");
			}
			json_array_append_new(jp, json_pack("{s:s,s:f,s:s,s:o,s:i,s:i}", "commit",
				sc[i].commit, "when", sc[i].when, "when_from", sc[i].from_git ? "git" : "run",
				"value", isfinite(vals[k * nsc + i]) ? json_real(vals[k * nsc + i]) :
				json_null(), "repetitions", (int)cs->ns, "change", marks[k * nsc + i]));
			prev = cs;
		}
		json_object_set_new(jc, "id", json_string(ids[k]));
		json_object_set_new(jc, "points", jp);
		json_array_append_new(jcases, jc);
	}
	if (json) {
		json_object_set_new(jroot, "metric", json_string(res_metrics[m].name));
		json_object_set_new(jroot, "cases", json_incref(jcases));
		json_dumpf(jroot, stdout, JSON_INDENT(2));
		printf("\n");
	}
	rc = 0;
	if (plot != NULL) {
		char *base = res_fmt("%s/history-%s", plot, res_metrics[m].name);
		int ns = strcmp(res_metrics[m].unit, "ns") == 0;
		char *yl = res_fmt("%s (%s)", res_metrics[m].label, ns ? "us" : res_metrics[m].unit);

		for (i = 0; ns && i < nid * nsc; i++)
			vals[i] /= 1e3;

		if (res_mkdirs(plot) < 0 ||
		    res_plot_trend(base, "history, oldest commit first (circles: change points)", yl, xl, nsc, ids, vals, nid,
				   marks) < 0)
			rc = 1;
		else if (!json)
			printf("\nplot: %s.png %s.svg\n", base, base);
		free(base);
		free(yl);
	}
out:
	for (i = 0; sets && i < nsc; i++)
		res_set_free(&sets[i]);
	free(sets);
	free(xl);
	free(ids);
	free(vals);
	free(marks);
	res_store_list_free(sc, nsc);
	free(store);
	json_decref(jcases);
	json_decref(jroot);
	return rc;
}
