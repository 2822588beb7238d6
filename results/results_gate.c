/* SPDX-License-Identifier: BSD-3-Clause */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "results_cmd.h"
#include "results_compare.h"
#include "results_gate.h"
#include "results_plot.h"
#include "results_store.h"
#include "results_util.h"
#include "results_yaml.h"

static int res_gate_direction(struct res_yaml *y, yaml_node_t *n, int *lower)
{
	const char *s = res_yaml_str(n);

	if (s != NULL && strcmp(s, "lower") == 0)
		*lower = 1;
	else if (s != NULL && strcmp(s, "higher") == 0)
		*lower = 0;
	else {
		res_yaml_err(y, n, "key 'direction': value '%s' is neither 'lower' nor 'higher' "
			     "(the good direction)", s ? s : "(not a scalar)");
		return -1;
	}
	return 0;
}

int res_gate_cfg_load(const char *file, struct res_gate_cfg *cfg)
{
	static const char *const top_keys[] = {"defaults", "gates", NULL};
	static const char *const def_keys[] = {"significance", "min_effect", "inconclusive", NULL};
	static const char *const gate_keys[] = {"metric", "direction", "min_effect", "significance",
						"cases", NULL};
	struct res_yaml y;
	yaml_node_t *root, *defs, *gates, *n;
	yaml_node_item_t *it;
	double alpha = 0.05, min_effect = 0.05;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	cfg->fail_inconclusive = 1;
	if (res_yaml_load(&y, file) < 0)
		return -1;
	root = res_yaml_root(&y);
	if (root == NULL) {
		fprintf(stderr, "%s:1: empty file; expected a mapping with 'gates'\n", file);
		goto out;
	}
	if (res_yaml_keys(&y, root, "top level", top_keys) < 0)
		goto out;
	defs = res_yaml_get(&y, root, "defaults");
	if (defs != NULL) {
		if (res_yaml_keys(&y, defs, "defaults", def_keys) < 0 ||
		    res_yaml_num(&y, defs, "significance", 1e-9, 0.5, &alpha) < 0 ||
		    res_yaml_num(&y, defs, "min_effect", 0, 100, &min_effect) < 0)
			goto out;
		n = res_yaml_get(&y, defs, "inconclusive");
		if (n != NULL) {
			const char *s = res_yaml_str(n);

			if (s != NULL && strcmp(s, "fail") == 0)
				cfg->fail_inconclusive = 1;
			else if (s != NULL && strcmp(s, "pass") == 0)
				cfg->fail_inconclusive = 0;
			else {
				res_yaml_err(&y, n, "key 'inconclusive': value '%s' is neither 'fail' "
					     "nor 'pass'", s ? s : "(not a scalar)");
				goto out;
			}
		}
	}
	gates = res_yaml_get(&y, root, "gates");
	if (gates == NULL || gates->type != YAML_SEQUENCE_NODE ||
	    gates->data.sequence.items.start == gates->data.sequence.items.top) {
		res_yaml_err(&y, gates ? gates : root, "key 'gates': expected a non-empty list of gates");
		goto out;
	}
	for (it = gates->data.sequence.items.start; it < gates->data.sequence.items.top; it++) {
		yaml_node_t *gn = yaml_document_get_node(&y.doc, *it);
		struct res_gate g = {0};
		const char *ms, *cs;

		if (res_yaml_keys(&y, gn, "gate", gate_keys) < 0)
			goto out;
		n = res_yaml_get(&y, gn, "metric");
		ms = res_yaml_str(n);
		if (ms == NULL) {
			res_yaml_err(&y, gn, "gate: key 'metric' is missing");
			goto out;
		}
		g.metric = res_metric_find(ms);
		if (g.metric < 0) {
			res_yaml_err(&y, n, "key 'metric': unknown metric '%s' (known: gbit_per_s, "
				     "messages_per_s, connections_per_s, p50, p90, p99, p99_9, p99_99, "
				     "max, mean, cpu_ns_per_op, errors)", ms);
			goto out;
		}
		g.lower_is_better = res_metrics[g.metric].lower_is_better;
		n = res_yaml_get(&y, gn, "direction");
		if (n != NULL && res_gate_direction(&y, n, &g.lower_is_better) < 0)
			goto out;
		g.alpha = alpha;
		g.min_effect = min_effect;
		if (res_yaml_num(&y, gn, "significance", 1e-9, 0.5, &g.alpha) < 0 ||
		    res_yaml_num(&y, gn, "min_effect", 0, 100, &g.min_effect) < 0)
			goto out;
		n = res_yaml_get(&y, gn, "cases");
		cs = n ? res_yaml_str(n) : "*";
		if (cs == NULL) {
			res_yaml_err(&y, n, "key 'cases': expected a glob string such as 'lat/*'");
			goto out;
		}
		g.cases = res_xstrdup(cs);
		g.line = res_yaml_line(gn);
		cfg->g = res_xrealloc(cfg->g, (cfg->n + 1) * sizeof(*cfg->g));
		cfg->g[cfg->n++] = g;
	}
	rc = 0;
out:
	res_yaml_free(&y);
	if (rc < 0)
		res_gate_cfg_free(cfg);
	return rc;
}

void res_gate_cfg_free(struct res_gate_cfg *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n; i++)
		free(cfg->g[i].cases);
	free(cfg->g);
	cfg->g = NULL;
	cfg->n = 0;
}

/* Evidence for an offending case: its spectrum and its per-repetition values. */
static void res_gate_plots(const char *dir, const struct res_set *a, const struct res_set *b,
			   const struct res_case *ca, const struct res_case *cb, int m, int spectrum)
{
	const char *labels[2] = {a->label, b->label};
	const struct res_case *cs[2] = {ca, cb};
	struct res_hist h[2];
	char *san = res_sanitize(ca->id), *base, *title;

	res_case_hist(ca, &h[0]);
	res_case_hist(cb, &h[1]);
	if (spectrum && h[0].total > 0 && h[1].total > 0) {
		base = res_fmt("%s/spectrum-%s", dir, san);
		title = res_fmt("latency spectrum: %s", ca->id);
		if (res_plot_spectrum(base, title, labels, h, 2) == 0)
			printf("      plot: %s.png\n", base);
		free(base);
		free(title);
	}
	base = res_fmt("%s/reps-%s-%s", dir, res_metrics[m].name, san);
	title = res_fmt("%s per repetition: %s", res_metrics[m].label, ca->id);
	if (res_plot_reps(base, title, m, labels, cs, 2) == 0)
		printf("      plot: %s.png\n", base);
	free(base);
	free(title);
	res_hist_free(&h[0]);
	res_hist_free(&h[1]);
	free(san);
}

int res_cmd_gate(int argc, char **argv)
{
	static const struct option lo[] = {
		{"config", required_argument, NULL, 'c'}, {"plots", required_argument, NULL, 'p'},
		{"store", required_argument, NULL, 's'}, {"json", required_argument, NULL, 'j'},
		{"no-plots", no_argument, NULL, 'n'}, {NULL, 0, NULL, 0},
	};
	const char *cfg_file = NULL, *plots = NULL, *store_opt = NULL, *json_out = NULL;
	struct res_gate_cfg cfg;
	struct res_set a = {0}, b = {0};
	json_t *jr = json_array();
	size_t gi, ci;
	int c, no_plots = 0, fails = 0, unknown = 0, checked = 0, rc = 1;
	char *store, *plot_dir = NULL;
	const struct res_case **plotted = NULL;
	size_t nplotted = 0;
	char v1[32], v2[32];

	while ((c = getopt_long(argc, argv, "c:p:s:j:n", lo, NULL)) != -1) {
		switch (c) {
		case 'c': cfg_file = optarg; break;
		case 'p': plots = optarg; break;
		case 's': store_opt = optarg; break;
		case 'j': json_out = optarg; break;
		case 'n': no_plots = 1; break;
		default: res_usage("gate"); json_decref(jr); return RES_EXIT_USAGE;
		}
	}
	if (cfg_file == NULL || argc - optind != 2) {
		res_usage("gate");
		json_decref(jr);
		return RES_EXIT_USAGE;
	}
	if (res_gate_cfg_load(cfg_file, &cfg) < 0) {
		json_decref(jr);
		return RES_EXIT_USAGE;
	}
	store = res_store_dir(store_opt);
	if (res_set_resolve_pair(&a, &b, argv[optind], argv[optind + 1], store, "perf-gate") < 0)
		goto out;
	if (plots != NULL)
		plot_dir = res_xstrdup(plots);
	else if (res_is_dir(argv[optind + 1]))
		plot_dir = res_fmt("%s/gate-plots", argv[optind + 1]);
	else
		plot_dir = res_xstrdup("perf-gate-plots");
	printf("perf-gate: %s (%zu gates)  base %s  new %s\n", cfg_file, cfg.n, a.label, b.label);
	for (gi = 0; gi < cfg.n; gi++) {
		const struct res_gate *g = &cfg.g[gi];
		struct res_cmp_opts o;
		int matched = 0;

		res_cmp_opts_default(&o);
		o.alpha = g->alpha;
		o.min_effect = g->min_effect;
		for (ci = 0; ci < b.nc; ci++) {
			const struct res_case *cb = &b.c[ci], *ca = res_set_case(&a, cb->id);
			struct res_cmp r;
			const char *tag;

			if (ca == NULL || !res_glob_match(g->cases, cb->id) ||
			    res_compare_case(ca, cb, g->metric, g->lower_is_better, &o, &r) < 0)
				continue;
			matched++;
			checked++;
			if (r.verdict == RES_V_WORSE) {
				tag = "FAIL";
				fails++;
			} else if (r.verdict == RES_V_UNKNOWN) {
				tag = cfg.fail_inconclusive ? "FAIL" : "warn";
				unknown++;
			} else {
				tag = "ok";
			}
			printf("%-4s  %-8s %s: %s -> %s  ratio %.3f  p %.3g  CI [%.3f, %.3f]  (%s; %s is "
			       "better, min effect %g%%, alpha %g)\n", tag, res_metrics[g->metric].label,
			       cb->id, res_fmt_metric(g->metric, r.base, v1, sizeof(v1)),
			       res_fmt_metric(g->metric, r.new, v2, sizeof(v2)), r.ratio, r.p, r.ci_lo,
			       r.ci_hi, r.verdict == RES_V_UNKNOWN ? r.reason : res_verdict_name(r.verdict),
			       g->lower_is_better ? "lower" : "higher", 100 * g->min_effect, g->alpha);
			json_array_append_new(jr, json_pack("{s:s,s:s,s:s,s:f,s:f,s:f,s:f,s:s,s:i}",
				"metric", res_metrics[g->metric].name, "case", cb->id, "verdict",
				res_verdict_name(r.verdict), "base", isfinite(r.base) ? r.base : 0,
				"new", isfinite(r.new) ? r.new : 0, "ratio", isfinite(r.ratio) ? r.ratio : 0,
				"p", r.p, "status", tag, "gate_line", g->line));
			if (r.verdict == RES_V_WORSE && !no_plots) {
				/* One spectrum per case however many of its metrics fail. */
				size_t k;
				int first;

				for (k = 0; k < nplotted && plotted[k] != cb; k++)
					;
				first = k == nplotted;
				if (first) {
					plotted = res_xrealloc(plotted, (nplotted + 1) * sizeof(*plotted));
					plotted[nplotted++] = cb;
				}
				if (res_mkdirs(plot_dir) == 0)
					res_gate_plots(plot_dir, &a, &b, ca, cb, g->metric, first);
			}
		}
		if (matched == 0)
			printf("warn  %s:%d: gate on %s matched no case present on both sides\n", cfg_file,
			       g->line, res_metrics[g->metric].name);
	}
	if (checked == 0)
		printf("perf-gate: nothing was checked: no gated metric in common cases\n");
	rc = fails > 0 || (cfg.fail_inconclusive && unknown > 0) || checked == 0;
	printf("perf-gate: %s: %d checks, %d regressions, %d inconclusive\n", rc ? "FAILED" : "passed",
	       checked, fails, unknown);
	if (json_out != NULL && json_dump_file(json_pack("{s:o,s:b}", "checks", json_incref(jr),
							 "passed", !rc), json_out, JSON_INDENT(2)) != 0)
		fprintf(stderr, "perf-gate: cannot write %s\n", json_out);
out:
	free(plotted);
	json_decref(jr);
	free(store);
	free(plot_dir);
	res_set_free(&a);
	res_set_free(&b);
	res_gate_cfg_free(&cfg);
	return rc;
}
