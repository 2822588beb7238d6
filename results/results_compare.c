/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "results_compare.h"
#include "results_stats.h"
#include "results_util.h"

const double res_spectrum_pct[RES_SPECTRUM_N] = {50, 90, 99, 99.9, 99.99};

const char *res_verdict_name(enum res_verdict v)
{
	switch (v) {
	case RES_V_BETTER:
		return "better";
	case RES_V_WORSE:
		return "worse";
	case RES_V_UNKNOWN:
		return "unknown";
	default:
		return "no change";
	}
}

void res_cmp_opts_default(struct res_cmp_opts *o)
{
	o->alpha = 0.05;
	o->min_effect = 0.05;
	o->boot_iters = 2000;
	o->seed = 0x7470612d72657375ULL;
}

/* Smallest two-sided p the normal approximation can give for these sizes. */
static double res_min_p(size_t na, size_t nb)
{
	double mu = (double)na * (double)nb / 2;
	double sd = sqrt((double)na * (double)nb * ((double)(na + nb) + 1) / 12);

	return sd > 0 ? 2 * rs_norm_sf((mu - 0.5) / sd) : 1;
}

void res_compare_values(const double *a, size_t na, const double *b, size_t nb,
			int lower_is_better, const struct res_cmp_opts *o, struct res_cmp *out)
{
	struct rs_mwu mw;
	int up, sig;

	memset(out, 0, sizeof(*out));
	out->na = na;
	out->nb = nb;
	out->base = rs_median(a, na);
	out->new = rs_median(b, nb);
	out->ci_lo = out->ci_hi = NAN;
	out->p = 1;
	if (out->base != 0)
		out->ratio = out->new / out->base;
	else
		out->ratio = out->new == 0 ? 1 : INFINITY;
	if (na == 0 || nb == 0 || res_min_p(na, nb) >= o->alpha) {
		out->verdict = RES_V_UNKNOWN;
		out->reason = "too few repetitions for this significance";
		return;
	}
	rs_mann_whitney(a, na, b, nb, &mw);
	out->p = mw.p;
	if (o->boot_iters > 0)
		rs_bootstrap_ratio(a, na, b, nb, o->boot_iters, o->alpha, o->seed,
				   &out->ci_lo, &out->ci_hi);
	up = out->ratio > 1;
	sig = mw.p < o->alpha;
	/* Both tests must agree: the interval has to exclude 1 on the side of the move. */
	if (sig && !isnan(out->ci_lo))
		sig = up ? out->ci_lo > 1 : out->ci_hi < 1;
	if (!sig) {
		out->verdict = RES_V_SAME;
		out->reason = "not significant";
	} else if (fabs(out->ratio - 1) < o->min_effect) {
		out->verdict = RES_V_SAME;
		out->reason = "significant but below the minimum effect";
	} else {
		out->verdict = up == !!lower_is_better ? RES_V_WORSE : RES_V_BETTER;
		out->reason = "significant";
	}
}

int res_compare_case(const struct res_case *a, const struct res_case *b, int m,
		     int lower_is_better, const struct res_cmp_opts *o, struct res_cmp *out)
{
	double *va = res_xcalloc(a->ns, sizeof(double)), *vb = res_xcalloc(b->ns, sizeof(double));
	size_t na = res_case_values(a, m, va), nb = res_case_values(b, m, vb);
	struct res_cmp_opts lo = *o;
	const char *p;

	if (na == 0 || nb == 0) {
		free(va);
		free(vb);
		return -1;
	}
	/* Per case and metric seed: reproducible and independent across rows. */
	for (p = a->id; *p; p++)
		lo.seed = lo.seed * 31 + (unsigned char)*p;
	lo.seed += (uint64_t)m * 0x9e3779b97f4a7c15ULL;
	res_compare_values(va, na, vb, nb, lower_is_better, &lo, out);
	free(va);
	free(vb);
	return 0;
}

int res_compare_spectrum(const struct res_case *a, const struct res_case *b,
			 struct res_spectrum out[RES_SPECTRUM_N])
{
	struct res_hist ha, hb;
	int i, rc = 0;

	res_case_hist(a, &ha);
	res_case_hist(b, &hb);
	if (ha.total == 0 || hb.total == 0)
		rc = -1;
	for (i = 0; rc == 0 && i < RES_SPECTRUM_N; i++) {
		out[i].pct = res_spectrum_pct[i];
		out[i].base = res_hist_value_at(&ha, res_spectrum_pct[i]);
		out[i].new = res_hist_value_at(&hb, res_spectrum_pct[i]);
		out[i].ratio = out[i].base > 0 ? out[i].new / out[i].base : NAN;
	}
	res_hist_free(&ha);
	res_hist_free(&hb);
	return rc;
}

const char *res_fmt_metric(int m, double v, char *buf, size_t len)
{
	const char *unit = res_metrics[m].unit;

	if (isnan(v))
		snprintf(buf, len, "-");
	else if (strcmp(unit, "ns") == 0) {
		if (v >= 1e9)
			snprintf(buf, len, "%.3gs", v / 1e9);
		else if (v >= 1e6)
			snprintf(buf, len, "%.4gms", v / 1e6);
		else if (v >= 1e3)
			snprintf(buf, len, "%.4gus", v / 1e3);
		else
			snprintf(buf, len, "%.4gns", v);
	} else if (strcmp(unit, "1/s") == 0) {
		if (v >= 1e6)
			snprintf(buf, len, "%.4gM", v / 1e6);
		else if (v >= 1e3)
			snprintf(buf, len, "%.4gk", v / 1e3);
		else
			snprintf(buf, len, "%.4g", v);
	} else {
		snprintf(buf, len, "%.4g", v);
	}
	return buf;
}

static json_t *res_jreal(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *res_set_json(const struct res_set *s)
{
	json_t *o = json_object(), *runs = json_array();
	size_t i;

	json_object_set_new(o, "label", json_string(s->label ? s->label : ""));
	json_object_set_new(o, "commit", s->commit ? json_string(s->commit) : json_null());
	for (i = 0; i < s->nruns; i++)
		json_array_append_new(runs, json_string(s->runs[i]));
	json_object_set_new(o, "runs", runs);
	return o;
}

int res_compare_print(const struct res_set *a, const struct res_set *b, const char *glob,
		      const struct res_cmp_opts *o, int json, FILE *out)
{
	json_t *root = json_object(), *cases = json_array();
	int worse = 0, better = 0, m, i;
	size_t ci;
	char b1[32], b2[32];

	if (!json) {
		fprintf(out, "base: %s%s%s  new: %s%s%s\n", a->label, a->commit ? " @" : "",
			a->commit ? a->commit : "", b->label, b->commit ? " @" : "",
			b->commit ? b->commit : "");
		fprintf(out, "verdict: Mann-Whitney p < %.3g and bootstrap %.0f%% CI of the median ratio "
			"excluding 1, and |ratio-1| >= %.3g\n\n", o->alpha, 100 * (1 - o->alpha),
			o->min_effect);
	}
	for (ci = 0; ci < a->nc; ci++) {
		const struct res_case *ca = &a->c[ci], *cb = res_set_case(b, ca->id);
		json_t *jc, *jm, *js;
		struct res_spectrum sp[RES_SPECTRUM_N];

		if (!res_glob_match(glob, ca->id))
			continue;
		if (cb == NULL) {
			if (!json)
				fprintf(out, "%s: only in base\n\n", ca->id);
			continue;
		}
		jc = json_object();
		jm = json_array();
		json_object_set_new(jc, "id", json_string(ca->id));
		if (!json) {
			fprintf(out, "%s (reps %zu vs %zu)\n", ca->id, ca->ns, cb->ns);
			fprintf(out, "  %-12s %12s %12s %8s %8s %17s  %s\n", "metric", "base", "new",
				"ratio", "p", "bootstrap CI", "verdict");
		}
		for (m = 0; m < RES_M_COUNT; m++) {
			struct res_cmp r;
			json_t *e;

			if (res_compare_case(ca, cb, m, res_metrics[m].lower_is_better, o, &r) < 0)
				continue;
			if (r.verdict == RES_V_WORSE)
				worse++;
			if (r.verdict == RES_V_BETTER)
				better++;
			e = json_object();
			json_object_set_new(e, "metric", json_string(res_metrics[m].name));
			json_object_set_new(e, "unit", json_string(res_metrics[m].unit));
			json_object_set_new(e, "good", json_string(res_metrics[m].lower_is_better ?
								   "lower" : "higher"));
			json_object_set_new(e, "n_base", json_integer((json_int_t)r.na));
			json_object_set_new(e, "n_new", json_integer((json_int_t)r.nb));
			json_object_set_new(e, "base", res_jreal(r.base));
			json_object_set_new(e, "new", res_jreal(r.new));
			json_object_set_new(e, "ratio", res_jreal(r.ratio));
			json_object_set_new(e, "p", res_jreal(r.p));
			json_object_set_new(e, "ci", json_pack("[oo]", res_jreal(r.ci_lo),
							       res_jreal(r.ci_hi)));
			json_object_set_new(e, "verdict", json_string(res_verdict_name(r.verdict)));
			json_object_set_new(e, "reason", json_string(r.reason));
			json_array_append_new(jm, e);
			if (!json) {
				char ci_s[40];

				if (isnan(r.ci_lo))
					snprintf(ci_s, sizeof(ci_s), "-");
				else
					snprintf(ci_s, sizeof(ci_s), "[%.3f, %.3f]", r.ci_lo, r.ci_hi);
				fprintf(out, "  %-12s %12s %12s %8.3f %8.3g %17s  %s%s\n",
					res_metrics[m].label, res_fmt_metric(m, r.base, b1, sizeof(b1)),
					res_fmt_metric(m, r.new, b2, sizeof(b2)), r.ratio, r.p, ci_s,
					res_verdict_name(r.verdict),
					r.verdict == RES_V_WORSE ? "  <<<" : "");
			}
		}
		json_object_set_new(jc, "metrics", jm);
		if (res_compare_spectrum(ca, cb, sp) == 0) {
			js = json_array();
			if (!json)
				fprintf(out, "  spectrum (merged histograms):");
			for (i = 0; i < RES_SPECTRUM_N; i++) {
				json_array_append_new(js, json_pack("{s:f,s:o,s:o,s:o}", "percentile",
								    sp[i].pct, "base", res_jreal(sp[i].base),
								    "new", res_jreal(sp[i].new), "ratio",
								    res_jreal(sp[i].ratio)));
				if (!json)
					fprintf(out, " p%g %s->%s (%+.1f%%)", sp[i].pct,
						res_fmt_metric(RES_M_P50, sp[i].base, b1, sizeof(b1)),
						res_fmt_metric(RES_M_P50, sp[i].new, b2, sizeof(b2)),
						100 * (sp[i].ratio - 1));
			}
			if (!json)
				fprintf(out, "\n");
			json_object_set_new(jc, "spectrum", js);
		}
		if (!json)
			fprintf(out, "\n");
		json_array_append_new(cases, jc);
	}
	for (ci = 0; ci < b->nc; ci++)
		if (res_glob_match(glob, b->c[ci].id) && res_set_case(a, b->c[ci].id) == NULL &&
		    !json)
			fprintf(out, "%s: only in new\n", b->c[ci].id);
	if (json) {
		json_object_set_new(root, "base", res_set_json(a));
		json_object_set_new(root, "new", res_set_json(b));
		json_object_set_new(root, "options",
				    json_pack("{s:f,s:f,s:i}", "alpha", o->alpha, "min_effect",
					      o->min_effect, "bootstrap_iterations", o->boot_iters));
		json_object_set_new(root, "cases", cases);
		json_object_set_new(root, "worse", json_integer(worse));
		json_object_set_new(root, "better", json_integer(better));
		json_dumpf(root, out, JSON_INDENT(2));
		fputc('\n', out);
	} else {
		json_decref(cases);
		fprintf(out, "summary: %d worse, %d better\n", worse, better);
	}
	json_decref(root);
	return worse;
}
