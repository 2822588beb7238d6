/* SPDX-License-Identifier: BSD-3-Clause */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results_cmd.h"
#include "results_compare.h"
#include "results_plot.h"
#include "results_report.h"
#include "results_store.h"
#include "results_summary.h"
#include "results_util.h"

/* Run @p fn into a string (open_memstream). */
static char *res_capture_summary(const struct res_set *set, int md)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	res_summary_print(set, NULL, md, f);
	fclose(f);
	return buf;
}

static char *res_capture_compare(const struct res_set *a, const struct res_set *b, int *worse)
{
	struct res_cmp_opts o;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	res_cmp_opts_default(&o);
	*worse = res_compare_print(a, b, NULL, &o, 0, f);
	fclose(f);
	return buf;
}

static void res_html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else
			fputc(*s, f);
	}
}

/* Embed a PNG as a data: URI so the page needs no other file. */
static void res_html_png(FILE *f, const char *path)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	FILE *in = fopen(path, "rb");
	unsigned char in3[3];
	size_t n;

	if (in == NULL)
		return;
	fputs("<img alt=\"plot\" src=\"data:image/png;base64,", f);
	while ((n = fread(in3, 1, 3, in)) > 0) {
		unsigned v = (unsigned)in3[0] << 16 | (n > 1 ? (unsigned)in3[1] << 8 : 0) |
			     (n > 2 ? in3[2] : 0);

		fputc(b64[v >> 18 & 63], f);
		fputc(b64[v >> 12 & 63], f);
		fputc(n > 1 ? b64[v >> 6 & 63] : '=', f);
		fputc(n > 2 ? b64[v & 63] : '=', f);
	}
	fputs("\">\n", f);
	fclose(in);
}

int res_report_write(const char *dir, const struct res_set *set, const struct res_set *base)
{
	char *plots = res_fmt("%s/plots", dir), *mdp = res_fmt("%s/report.md", dir);
	char *htp = res_fmt("%s/report.html", dir), *sum_md, *sum_txt, *cmp = NULL;
	char **outs = NULL;
	size_t nouts = 0, nspec, i;
	struct res_set pair[2];
	FILE *md, *ht;
	int worse = 0, rc = -1;

	if (res_mkdirs(plots) < 0) {
		fprintf(stderr, "results: cannot create %s\n", plots);
		goto out;
	}
	if (base != NULL) {
		pair[0] = *base;
		pair[1] = *set;
		res_plot_spectra(plots, pair, 2, NULL, &outs, &nouts);
	} else {
		res_plot_spectra(plots, set, 1, NULL, &outs, &nouts);
	}
	nspec = nouts;
	res_plot_series_all(plots, set, NULL, &outs, &nouts);
	sum_md = res_capture_summary(set, 1);
	sum_txt = res_capture_summary(set, 0);
	if (base != NULL)
		cmp = res_capture_compare(base, set, &worse);
	md = fopen(mdp, "w");
	ht = fopen(htp, "w");
	if (md == NULL || ht == NULL) {
		fprintf(stderr, "results: cannot write %s\n", md ? htp : mdp);
		if (md)
			fclose(md);
		if (ht)
			fclose(ht);
		goto free_text;
	}
	fprintf(md, "# Results: %s\n\n", set->label);
	fprintf(md, "- commit: `%s`%s\n- host: %s\n- started: %s\n- runs: %zu\n",
		set->commit ? set->commit : "?", set->dirty ? " (dirty tree)" : "",
		set->host ? set->host : "?", set->started_at ? set->started_at : "?", set->nruns);
	if (base != NULL)
		fprintf(md, "- compared with: %s (`%s`): **%d metric(s) worse**\n", base->label,
			base->commit ? base->commit : "?", worse);
	fprintf(md, "- self-contained page: [report.html](report.html)\n\n## Summary\n\n%s\n", sum_md);
	if (cmp != NULL)
		fprintf(md, "## Comparison with %s\n\nSee docs/results.md for how verdicts are made.\n\n"
			    "```\n%s```\n\n", base->label, cmp);
	fprintf(md, "## Plots\n\nLatency spectra (x: percentile as 1/(1-p), log scale; y: latency):\n\n");
	for (i = 0; i < nouts; i++) {
		const char *name = strrchr(outs[i], '/') + 1;

		if (i == nspec)
			fprintf(md, "\nPer-second time series:\n\n");
		fprintf(md, "![%s](plots/%s.svg)\n\n", name, name);
	}
	fprintf(ht, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Results: ");
	res_html_text(ht, set->label);
	fprintf(ht, "</title>\n<style>body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}"
		    "pre{background:#f4f4f4;padding:.7em;overflow-x:auto;font-size:12px}"
		    "img{max-width:100%%;border:1px solid #ddd;margin:.5em 0}"
		    ".worse{color:#b00000;font-weight:bold}</style></head><body>\n<h1>Results: ");
	res_html_text(ht, set->label);
	fprintf(ht, "</h1>\n<ul><li>commit: <code>");
	res_html_text(ht, set->commit ? set->commit : "?");
	fprintf(ht, "</code>%s</li><li>host: ", set->dirty ? " (dirty tree)" : "");
	res_html_text(ht, set->host ? set->host : "?");
	fprintf(ht, "</li><li>started: ");
	res_html_text(ht, set->started_at ? set->started_at : "?");
	fprintf(ht, "</li>");
	if (base != NULL) {
		fprintf(ht, "<li>compared with ");
		res_html_text(ht, base->label);
		fprintf(ht, ": <span class=\"%s\">%d metric(s) worse</span></li>", worse ? "worse" : "",
			worse);
	}
	fprintf(ht, "</ul>\n<h2>Summary</h2>\n<pre>");
	res_html_text(ht, sum_txt);
	fprintf(ht, "</pre>\n");
	if (cmp != NULL) {
		fprintf(ht, "<h2>Comparison</h2>\n<pre>");
		res_html_text(ht, cmp);
		fprintf(ht, "</pre>\n");
	}
	fprintf(ht, "<h2>Plots</h2>\n");
	for (i = 0; i < nouts; i++) {
		char *png = res_fmt("%s.png", outs[i]);

		res_html_png(ht, png);
		free(png);
	}
	fprintf(ht, "</body></html>\n");
	fclose(md);
	fclose(ht);
	printf("%s\n%s\n", mdp, htp);
	rc = 0;
free_text:
	free(sum_md);
	free(sum_txt);
	free(cmp);
out:
	for (i = 0; i < nouts; i++)
		free(outs[i]);
	free(outs);
	free(plots);
	free(mdp);
	free(htp);
	return rc;
}

int res_cmd_report(int argc, char **argv)
{
	static const struct option lo[] = {
		{"base", required_argument, NULL, 'b'}, {"store", required_argument, NULL, 's'},
		{"out", required_argument, NULL, 'o'}, {NULL, 0, NULL, 0},
	};
	const char *base_arg = NULL, *store_opt = NULL, *out = NULL;
	struct res_set set = {0}, base = {0};
	char *store, *dir = NULL;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "b:s:o:", lo, NULL)) != -1) {
		switch (c) {
		case 'b': base_arg = optarg; break;
		case 's': store_opt = optarg; break;
		case 'o': out = optarg; break;
		default: res_usage("report"); return RES_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		res_usage("report");
		return RES_EXIT_USAGE;
	}
	store = res_store_dir(store_opt);
	if (res_set_resolve(&set, argv[optind], store) < 0 ||
	    (base_arg != NULL && res_set_resolve(&base, base_arg, store) < 0))
		goto done;
	if (set.nc == 0) {
		fprintf(stderr, "results: %s: no tperf results found\n", argv[optind]);
		goto done;
	}
	/* Into the run directory itself unless told otherwise (a commit has several). */
	if (out != NULL)
		dir = res_xstrdup(out);
	else if (set.nruns == 1 && res_is_dir(argv[optind]))
		dir = res_xstrdup(set.runs[0]);
	else
		dir = res_fmt("report-%s", set.label);
	rc = res_report_write(dir, &set, base_arg ? &base : NULL) < 0;
done:
	free(dir);
	free(store);
	res_set_free(&set);
	res_set_free(&base);
	return rc;
}
