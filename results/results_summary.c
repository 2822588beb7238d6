/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "results_compare.h"
#include "results_stats.h"
#include "results_summary.h"
#include "results_util.h"

static const int res_sum_cols[] = {
	RES_M_GBPS, RES_M_MSGS, RES_M_CONNS, RES_M_P50, RES_M_P99, RES_M_P99_9, RES_M_MAX,
	RES_M_CPU, RES_M_ERRORS,
};
#define RES_NCOLS (sizeof(res_sum_cols) / sizeof(res_sum_cols[0]))

double res_case_median(const struct res_case *c, int m)
{
	double *v = res_xcalloc(c->ns, sizeof(*v)), r;
	size_t n = res_case_values(c, m, v);

	r = rs_median(v, n);
	free(v);
	return r;
}

/* Scenario of a case id: its first path component. */
static size_t res_scen_len(const char *id)
{
	const char *s = strchr(id, '/');

	return s ? (size_t)(s - id) : 0;
}

static size_t res_failed(const struct res_case *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->ns; i++)
		n += c->s[i].failed != 0;
	return n;
}

void res_summary_print(const struct res_set *set, const char *glob, int markdown, FILE *out)
{
	size_t i, j, w = 4;
	const char *prev = NULL;
	size_t prevlen = 0;
	char buf[32];

	for (i = 0; i < set->nc; i++)
		if (strlen(set->c[i].id) > w)
			w = strlen(set->c[i].id);
	if (w > 60)
		w = 60;
	fprintf(out, "%srun: %s", markdown ? "" : "", set->label);
	if (set->commit)
		fprintf(out, "  commit: %s%s", set->commit, set->dirty ? " (dirty)" : "");
	if (set->host)
		fprintf(out, "  host: %s", set->host);
	fprintf(out, "\n(values are medians over the repetitions; latency from latency.summary)\n");
	for (i = 0; i < set->nc; i++) {
		const struct res_case *c = &set->c[i];
		size_t sl = res_scen_len(c->id);

		if (!res_glob_match(glob, c->id))
			continue;
		if (prev == NULL || sl != prevlen || strncmp(prev, c->id, sl) != 0) {
			fprintf(out, "\n%s%.*s\n", markdown ? "### " : "== ", (int)(sl ? sl : 1),
				sl ? c->id : ".");
			if (markdown) {
				fprintf(out, "\n| case | reps |");
				for (j = 0; j < RES_NCOLS; j++)
					fprintf(out, " %s |", res_metrics[res_sum_cols[j]].label);
				fprintf(out, "\n|---|---:|");
				for (j = 0; j < RES_NCOLS; j++)
					fprintf(out, "---:|");
				fprintf(out, "\n");
			} else {
				fprintf(out, "%-*s %5s", (int)w, "case", "reps");
				for (j = 0; j < RES_NCOLS; j++)
					fprintf(out, " %10s", res_metrics[res_sum_cols[j]].label);
				fprintf(out, "\n");
			}
			prev = c->id;
			prevlen = sl;
		}
		if (markdown)
			fprintf(out, "| %s | %zu |", c->id + (sl ? sl + 1 : 0), c->ns);
		else
			fprintf(out, "%-*s %5zu", (int)w, c->id + (sl ? sl + 1 : 0), c->ns);
		for (j = 0; j < RES_NCOLS; j++) {
			int m = res_sum_cols[j];

			res_fmt_metric(m, res_case_median(c, m), buf, sizeof(buf));
			fprintf(out, markdown ? " %s |" : " %10s", buf);
		}
		if (res_failed(c) > 0)
			fprintf(out, markdown ? " %zu failed |" : "  (%zu failed)", res_failed(c));
		fprintf(out, "\n");
	}
}

void res_summary_json(const struct res_set *set, const char *glob, FILE *out)
{
	json_t *root = json_object(), *cases = json_array();
	size_t i;
	int m;

	json_object_set_new(root, "label", json_string(set->label));
	json_object_set_new(root, "commit", set->commit ? json_string(set->commit) : json_null());
	for (i = 0; i < set->nc; i++) {
		const struct res_case *c = &set->c[i];
		json_t *jc, *jm;

		if (!res_glob_match(glob, c->id))
			continue;
		jc = json_object();
		jm = json_object();
		json_object_set_new(jc, "id", json_string(c->id));
		json_object_set_new(jc, "repetitions", json_integer((json_int_t)c->ns));
		json_object_set_new(jc, "failed", json_integer((json_int_t)res_failed(c)));
		for (m = 0; m < RES_M_COUNT; m++) {
			double v = res_case_median(c, m);

			json_object_set_new(jm, res_metrics[m].name, isfinite(v) ? json_real(v) : json_null());
		}
		json_object_set_new(jc, "median", jm);
		json_array_append_new(cases, jc);
	}
	json_object_set_new(root, "cases", cases);
	json_dumpf(root, out, JSON_INDENT(2));
	fputc('\n', out);
	json_decref(root);
}
