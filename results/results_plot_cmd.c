/* SPDX-License-Identifier: BSD-3-Clause */
/* `results plot spectrum|throughput|series`: argument handling around results_plot.c. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results_cmd.h"
#include "results_plot.h"
#include "results_store.h"
#include "results_summary.h"
#include "results_util.h"

/* Load @p n set arguments; with n == 0 every commit of the store, oldest first. */
static struct res_set *res_load_sets(char **args, size_t n, const char *store, size_t *out_n)
{
	struct res_store_commit *sc = NULL;
	struct res_set *sets;
	size_t i, nsc = 0;

	if (n == 0) {
		if (res_store_list(store, &sc, &nsc) < 0)
			return NULL;
		if (nsc == 0) {
			fprintf(stderr, "results: the store %s is empty\n", store);
			res_store_list_free(sc, nsc);
			return NULL;
		}
		n = nsc;
	}
	sets = res_xcalloc(n, sizeof(*sets));
	for (i = 0; i < n; i++) {
		if (res_set_resolve(&sets[i], sc ? sc[i].commit : args[i], store) < 0) {
			while (i > 0)
				res_set_free(&sets[i--]);
			res_set_free(&sets[0]);
			free(sets);
			res_store_list_free(sc, nsc);
			return NULL;
		}
	}
	res_store_list_free(sc, nsc);
	*out_n = n;
	return sets;
}

int res_plot_spectra(const char *dir, const struct res_set *sets, size_t n, const char *glob,
		     char ***outs, size_t *nouts)
{
	const struct res_set *first = &sets[0];
	size_t ci, i;
	int rc = 0;

	for (ci = 0; ci < first->nc; ci++) {
		const char *id = first->c[ci].id;
		struct res_hist *h = res_xcalloc(n, sizeof(*h));
		const char **labels = res_xcalloc(n, sizeof(*labels));
		char *san = res_sanitize(id), *base = res_fmt("%s/spectrum-%s", dir, san);
		char *title = res_fmt("latency spectrum: %s", id);

		if (res_glob_match(glob, id)) {
			for (i = 0; i < n; i++) {
				const struct res_case *c = res_set_case(&sets[i], id);

				labels[i] = sets[i].label;
				if (c != NULL)
					res_case_hist(c, &h[i]);
			}
			if (h[0].total > 0) {
				if (res_plot_spectrum(base, title, labels, h, n) < 0)
					rc = -1;
				else if (outs != NULL) {
					*outs = res_xrealloc(*outs, (*nouts + 1) * sizeof(**outs));
					(*outs)[(*nouts)++] = res_xstrdup(base);
				}
			}
		}
		for (i = 0; i < n; i++)
			res_hist_free(&h[i]);
		free(h);
		free(labels);
		free(san);
		free(base);
		free(title);
	}
	return rc;
}

int res_plot_series_all(const char *dir, const struct res_set *set, const char *glob,
			char ***outs, size_t *nouts)
{
	size_t ci;
	int rc = 0;

	for (ci = 0; ci < set->nc; ci++) {
		const struct res_case *c = &set->c[ci];
		char *san, *base, *title;
		size_t j, have = 0;

		for (j = 0; j < c->ns; j++)
			have += c->s[j].nts;
		if (!res_glob_match(glob, c->id) || have == 0)
			continue;
		san = res_sanitize(c->id);
		base = res_fmt("%s/series-%s", dir, san);
		title = res_fmt("per-second: %s (%s)", c->id, set->label);
		if (res_plot_timeseries(base, title, c) < 0)
			rc = -1;
		else if (outs != NULL) {
			*outs = res_xrealloc(*outs, (*nouts + 1) * sizeof(**outs));
			(*outs)[(*nouts)++] = res_xstrdup(base);
		}
		free(san);
		free(base);
		free(title);
	}
	return rc;
}

/* Median of @p m per case (rows) and set (columns). */
static int res_plot_throughput(const char *dir, const struct res_set *sets, size_t n, int m,
			       const char *glob)
{
	const char **xl = res_xcalloc(n, sizeof(*xl)), **names = NULL;
	double *vals = NULL;
	size_t nser = 0, i, s, ci;
	char *base = res_fmt("%s/trend-%s", dir, res_metrics[m].name);
	int ns = strcmp(res_metrics[m].unit, "ns") == 0;
	char *yl = res_fmt("%s (%s)", res_metrics[m].label, ns ? "us" : res_metrics[m].unit);
	int rc;

	for (i = 0; i < n; i++)
		xl[i] = sets[i].label;
	for (i = 0; i < n; i++)
		for (ci = 0; ci < sets[i].nc; ci++) {
			const char *id = sets[i].c[ci].id;

			if (!res_glob_match(glob, id))
				continue;
			for (s = 0; s < nser && strcmp(names[s], id) != 0; s++)
				;
			if (s == nser) {
				names = res_xrealloc(names, (nser + 1) * sizeof(*names));
				names[nser++] = id;
			}
		}
	vals = res_xcalloc(nser * n + 1, sizeof(*vals));
	for (s = 0; s < nser; s++)
		for (i = 0; i < n; i++) {
			const struct res_case *c = res_set_case(&sets[i], names[s]);

			vals[s * n + i] = c ? res_case_median(c, m) / (ns ? 1e3 : 1) : NAN;
		}
	rc = nser == 0 ? -1 : res_plot_trend(base, "median per set, in the order given (default: store commits, oldest first)", yl, xl, n, names, vals,
					     nser, NULL);
	if (nser == 0)
		fprintf(stderr, "results: no case matches\n");
	else if (rc == 0)
		printf("%s.png\n%s.svg\n", base, base);
	free(xl);
	free(names);
	free(vals);
	free(base);
	free(yl);
	return rc;
}

int res_cmd_plot(int argc, char **argv)
{
	static const struct option lo[] = {
		{"case", required_argument, NULL, 'c'}, {"out", required_argument, NULL, 'o'},
		{"metric", required_argument, NULL, 'm'}, {"store", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	const char *glob = NULL, *dir = "plots", *store_opt = NULL, *kind;
	int m = RES_M_GBPS, c, rc = 1;
	struct res_set *sets;
	size_t n = 0, i;
	char *store, **outs = NULL;
	size_t nouts = 0;

	while ((c = getopt_long(argc, argv, "c:o:m:s:", lo, NULL)) != -1) {
		switch (c) {
		case 'c': glob = optarg; break;
		case 'o': dir = optarg; break;
		case 's': store_opt = optarg; break;
		case 'm':
			m = res_metric_find(optarg);
			if (m < 0) {
				fprintf(stderr, "results plot: --metric '%s': unknown metric\n", optarg);
				return RES_EXIT_USAGE;
			}
			break;
		default: res_usage("plot"); return RES_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		res_usage("plot");
		return RES_EXIT_USAGE;
	}
	kind = argv[optind++];
	if (strcmp(kind, "spectrum") && strcmp(kind, "throughput") && strcmp(kind, "series")) {
		fprintf(stderr, "results plot: unknown kind '%s' (spectrum, throughput, series)\n", kind);
		return RES_EXIT_USAGE;
	}
	if (strcmp(kind, "throughput") != 0 && optind >= argc) {
		fprintf(stderr, "results plot %s: name at least one run directory or commit\n", kind);
		return RES_EXIT_USAGE;
	}
	if (strcmp(kind, "series") == 0 && argc - optind != 1) {
		fprintf(stderr, "results plot series: takes exactly one run directory or commit\n");
		return RES_EXIT_USAGE;
	}
	store = res_store_dir(store_opt);
	sets = res_load_sets(argv + optind, (size_t)(argc - optind), store, &n);
	free(store);
	if (sets == NULL)
		return 1;
	if (res_mkdirs(dir) < 0) {
		fprintf(stderr, "results: cannot create %s\n", dir);
		goto out;
	}
	if (strcmp(kind, "spectrum") == 0)
		rc = res_plot_spectra(dir, sets, n, glob, &outs, &nouts) < 0 || nouts == 0;
	else if (strcmp(kind, "series") == 0)
		rc = res_plot_series_all(dir, &sets[0], glob, &outs, &nouts) < 0 || nouts == 0;
	else
		rc = res_plot_throughput(dir, sets, n, m, glob) < 0;
	for (i = 0; i < nouts; i++) {
		printf("%s.png\n%s.svg\n", outs[i], outs[i]);
		free(outs[i]);
	}
	free(outs);
	if (rc && nouts == 0 && strcmp(kind, "throughput") != 0)
		fprintf(stderr, "results plot %s: nothing to plot\n", kind);
out:
	for (i = 0; i < n; i++)
		res_set_free(&sets[i]);
	free(sets);
	return rc;
}
