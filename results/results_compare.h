/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Comparing two result sets (a base and a new run or commit) per case and
 * metric, with a verdict that tolerates noise:
 *
 * - ratio = median(new) / median(base) over the repetitions;
 * - the change is significant when the two-sided Mann-Whitney U test gives
 *   p < alpha AND the bootstrap (1 - alpha) interval of the ratio excludes 1
 *   on the same side;
 * - it is called better/worse only when significant AND |ratio - 1| reaches
 *   the minimum effect; otherwise "no change";
 * - "unknown" when the repetitions cannot reach p < alpha even in the best
 *   case (e.g. fewer than 4 per side at alpha 0.05).
 */
#ifndef RESULTS_COMPARE_H
#define RESULTS_COMPARE_H

#include <stdio.h>

#include "results_load.h"

/** Verdict of one comparison. */
enum res_verdict {
	RES_V_SAME,	/**< no change beyond noise or below the minimum effect */
	RES_V_BETTER,
	RES_V_WORSE,
	RES_V_UNKNOWN,	/**< too few repetitions to tell */
};

/** Name of a verdict: "no change", "better", "worse", "unknown". */
const char *res_verdict_name(enum res_verdict v);

/** Knobs of the statistical decision. */
struct res_cmp_opts {
	double alpha;		/**< significance level, e.g. 0.05 */
	double min_effect;	/**< minimum relative change of the median ratio, e.g. 0.05 */
	int boot_iters;		/**< bootstrap resamples; 0 disables the bootstrap */
	uint64_t seed;		/**< bootstrap seed */
};

/** Defaults: alpha 0.05, min effect 5%, 2000 resamples. */
void res_cmp_opts_default(struct res_cmp_opts *o);

/** Outcome of comparing one metric of one case. */
struct res_cmp {
	size_t na, nb;		/**< repetitions with a value */
	double base, new;	/**< medians */
	double ratio;		/**< new / base (INFINITY when base is 0 and new is not) */
	double p;		/**< Mann-Whitney two-sided p */
	double ci_lo, ci_hi;	/**< bootstrap interval of the ratio (NAN if none) */
	enum res_verdict verdict;
	const char *reason;	/**< short explanation of the verdict */
};

/**
 * Compare two samples of one metric. @p lower_is_better gives the good
 * direction.
 */
void res_compare_values(const double *a, size_t na, const double *b, size_t nb,
			int lower_is_better, const struct res_cmp_opts *o, struct res_cmp *out);

/**
 * Compare metric @p m of two cases.
 * @return 0, or -1 when either side has no value of the metric.
 */
int res_compare_case(const struct res_case *a, const struct res_case *b, int m,
		     int lower_is_better, const struct res_cmp_opts *o, struct res_cmp *out);

/** Percentiles of the histogram-level (spectrum) comparison. */
#define RES_SPECTRUM_N 5
extern const double res_spectrum_pct[RES_SPECTRUM_N];

/** One row of the spectrum comparison from merged histograms. */
struct res_spectrum {
	double pct, base, new, ratio;
};

/** Fill @p out from the merged histograms; returns 0 or -1 if a side has none. */
int res_compare_spectrum(const struct res_case *a, const struct res_case *b,
			 struct res_spectrum out[RES_SPECTRUM_N]);

/** Format value @p v of metric @p m with a unit into @p buf. */
const char *res_fmt_metric(int m, double v, char *buf, size_t len);

/**
 * Print the comparison of all common cases matching @p glob (NULL for all)
 * as a text table or, with @p json, as one JSON document.
 * @return number of metrics judged worse.
 */
int res_compare_print(const struct res_set *a, const struct res_set *b, const char *glob,
		      const struct res_cmp_opts *o, int json, FILE *out);

#endif
