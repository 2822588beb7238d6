/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Statistics for comparing two samples of repetitions: medians, the
 * Mann-Whitney U test (normal approximation with tie and continuity
 * correction) and a percentile bootstrap confidence interval of the ratio of
 * medians. Everything is deterministic for a given seed.
 */
#ifndef RESULTS_STATS_H
#define RESULTS_STATS_H

#include <stddef.h>
#include <stdint.h>

/** Result of a two-sided Mann-Whitney U test. */
struct rs_mwu {
	double u;	/**< U statistic of the first sample */
	double z;	/**< normal deviate, continuity corrected */
	double p;	/**< two-sided p-value (1 when undefined) */
};

/** Median of @p n values (copied, input untouched); NAN when n == 0. */
double rs_median(const double *v, size_t n);

/** Quantile @p q (0..1) of @p n values by linear interpolation; NAN when n == 0. */
double rs_quantile(const double *v, size_t n, double q);

/**
 * Two-sided Mann-Whitney U test of @p a against @p b.
 * Ties get average ranks and the variance the usual tie correction;
 * the continuity correction of 0.5 moves U toward its mean.
 * @return 0, or -1 when a sample is empty (out->p is then 1).
 */
int rs_mann_whitney(const double *a, size_t na, const double *b, size_t nb, struct rs_mwu *out);

/** Standard normal upper tail, P(Z > z). */
double rs_norm_sf(double z);

/** SplitMix64 step: deterministic pseudo-random generator. */
uint64_t rs_rand(uint64_t *state);

/**
 * Percentile bootstrap of median(b) / median(a): @p iters resamples of each
 * sample with replacement. Writes the (1 - @p alpha) interval into @p lo,
 * @p hi. Ratios with a zero median in @p a are skipped.
 * @return 0, or -1 when either sample is empty or no ratio was defined.
 */
int rs_bootstrap_ratio(const double *a, size_t na, const double *b, size_t nb, int iters,
		       double alpha, uint64_t seed, double *lo, double *hi);

#endif
