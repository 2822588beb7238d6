/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "results_stats.h"
#include "results_util.h"

static int rs_dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double rs_quantile(const double *v, size_t n, double q)
{
	double *c, pos, r;
	size_t i;

	if (n == 0)
		return NAN;
	c = res_xcalloc(n, sizeof(*c));
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), rs_dbl_cmp);
	pos = q * (double)(n - 1);
	i = (size_t)pos;
	r = i + 1 < n ? c[i] + (pos - (double)i) * (c[i + 1] - c[i]) : c[n - 1];
	free(c);
	return r;
}

double rs_median(const double *v, size_t n)
{
	return rs_quantile(v, n, 0.5);
}

double rs_norm_sf(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}

struct rs_obs {
	double v;
	int group;
};

static int rs_obs_cmp(const void *a, const void *b)
{
	return rs_dbl_cmp(&((const struct rs_obs *)a)->v, &((const struct rs_obs *)b)->v);
}

int rs_mann_whitney(const double *a, size_t na, const double *b, size_t nb, struct rs_mwu *out)
{
	size_t n = na + nb, i, j;
	struct rs_obs *o;
	double r1 = 0, ties = 0, mu, var, d;

	memset(out, 0, sizeof(*out));
	out->p = 1;
	if (na == 0 || nb == 0)
		return -1;
	o = res_xcalloc(n, sizeof(*o));
	for (i = 0; i < na; i++)
		o[i] = (struct rs_obs){a[i], 0};
	for (i = 0; i < nb; i++)
		o[na + i] = (struct rs_obs){b[i], 1};
	qsort(o, n, sizeof(*o), rs_obs_cmp);
	/* Average ranks over runs of equal values; collect t^3 - t for the tie term. */
	for (i = 0; i < n; i = j) {
		double t, rank;

		for (j = i + 1; j < n && o[j].v == o[i].v; j++)
			;
		t = (double)(j - i);
		rank = ((double)i + 1 + (double)j) / 2;
		for (size_t k = i; k < j; k++)
			if (o[k].group == 0)
				r1 += rank;
		ties += t * t * t - t;
	}
	free(o);
	out->u = r1 - (double)na * ((double)na + 1) / 2;
	mu = (double)na * (double)nb / 2;
	var = (double)na * (double)nb / 12 *
	      (((double)n + 1) - ties / ((double)n * ((double)n - 1)));
	if (var <= 0)
		return 0;	/* every value tied: no evidence either way */
	d = out->u - mu;
	d = d > 0 ? fmax(d - 0.5, 0) : fmin(d + 0.5, 0);
	out->z = d / sqrt(var);
	out->p = fmin(1, 2 * rs_norm_sf(fabs(out->z)));
	return 0;
}

uint64_t rs_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double rs_resample_median(const double *v, size_t n, double *tmp, uint64_t *st)
{
	size_t i;

	for (i = 0; i < n; i++)
		tmp[i] = v[rs_rand(st) % n];
	qsort(tmp, n, sizeof(*tmp), rs_dbl_cmp);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

int rs_bootstrap_ratio(const double *a, size_t na, const double *b, size_t nb, int iters,
		       double alpha, uint64_t seed, double *lo, double *hi)
{
	double *tmp, *ratios;
	size_t nr = 0;
	int i;

	*lo = *hi = NAN;
	if (na == 0 || nb == 0 || iters <= 0)
		return -1;
	tmp = res_xcalloc(na > nb ? na : nb, sizeof(*tmp));
	ratios = res_xcalloc((size_t)iters, sizeof(*ratios));
	for (i = 0; i < iters; i++) {
		double ma = rs_resample_median(a, na, tmp, &seed);
		double mb = rs_resample_median(b, nb, tmp, &seed);

		if (ma != 0)
			ratios[nr++] = mb / ma;
	}
	if (nr > 0) {
		*lo = rs_quantile(ratios, nr, alpha / 2);
		*hi = rs_quantile(ratios, nr, 1 - alpha / 2);
	}
	free(tmp);
	free(ratios);
	return nr > 0 ? 0 : -1;
}
