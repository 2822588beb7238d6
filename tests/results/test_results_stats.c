/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of results_stats.c and the verdict rule of results_compare.c.
 * Expected p-values are those of scipy.stats.mannwhitneyu(method='asymptotic',
 * use_continuity=True), which implements the same normal approximation.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "results_compare.h"
#include "results_stats.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void test_median_quantile(void **state)
{
	const double odd[] = {5, 1, 3}, even[] = {4, 1, 3, 2};

	(void)state;
	assert_float_equal(rs_median(odd, 3), 3, 1e-12);
	assert_float_equal(rs_median(even, 4), 2.5, 1e-12);
	assert_float_equal(rs_quantile(even, 4, 0), 1, 1e-12);
	assert_float_equal(rs_quantile(even, 4, 1), 4, 1e-12);
	assert_float_equal(rs_quantile(even, 4, 0.25), 1.75, 1e-12);
	assert_true(isnan(rs_median(odd, 0)));
}

static void test_mwu_separated(void **state)
{
	const double a[] = {1, 2, 3, 4, 5}, b[] = {6, 7, 8, 9, 10};
	struct rs_mwu r;

	(void)state;
	assert_int_equal(rs_mann_whitney(a, 5, b, 5, &r), 0);
	assert_float_equal(r.u, 0, 1e-12);
	assert_float_equal(r.p, 0.012185780355344813, 1e-9);
	assert_true(r.z < 0);
	/* Symmetric: swapping the samples gives U' = n1 n2 - U and the same p. */
	assert_int_equal(rs_mann_whitney(b, 5, a, 5, &r), 0);
	assert_float_equal(r.u, 25, 1e-12);
	assert_float_equal(r.p, 0.012185780355344813, 1e-9);
}

static void test_mwu_ties(void **state)
{
	const double a[] = {1, 2, 2, 3, 3, 3}, b[] = {3, 4, 4, 5};
	const double c[] = {10.1, 10.4, 9.8, 10.0, 10.2, 9.9}, d[] = {10.3, 10.6, 10.5, 10.8, 10.2};
	struct rs_mwu r;

	(void)state;
	rs_mann_whitney(a, NELEM(a), b, NELEM(b), &r);
	assert_float_equal(r.u, 1.5, 1e-12);
	assert_float_equal(r.p, 0.026826219079541514, 1e-9);
	rs_mann_whitney(c, NELEM(c), d, NELEM(d), &r);
	assert_float_equal(r.u, 2.5, 1e-12);
	assert_float_equal(r.p, 0.02810006355731762, 1e-9);
}

static void test_mwu_degenerate(void **state)
{
	const double a[] = {7, 7, 7}, b[] = {7, 7};
	struct rs_mwu r;

	(void)state;
	assert_int_equal(rs_mann_whitney(a, 3, b, 2, &r), 0);
	assert_float_equal(r.p, 1, 0);
	assert_int_equal(rs_mann_whitney(a, 0, b, 2, &r), -1);
	assert_float_equal(r.p, 1, 0);
}

static void test_bootstrap(void **state)
{
	const double a[] = {100, 100, 100, 100, 100}, b[] = {110, 110, 110, 110, 110};
	const double c[] = {98, 103, 100, 97, 101, 99}, d[] = {118, 121, 119, 125, 120, 117};
	double lo, hi, lo2, hi2;

	(void)state;
	assert_int_equal(rs_bootstrap_ratio(a, 5, b, 5, 500, 0.05, 1, &lo, &hi), 0);
	assert_float_equal(lo, 1.1, 1e-12);
	assert_float_equal(hi, 1.1, 1e-12);
	assert_int_equal(rs_bootstrap_ratio(c, 6, d, 6, 2000, 0.05, 42, &lo, &hi), 0);
	/* The interval brackets the point ratio 119.5 / 99.5 and stays within the data's extremes. */
	assert_true(lo <= 119.5 / 99.5 && hi >= 119.5 / 99.5);
	assert_true(lo >= 117.0 / 103 && hi <= 125.0 / 97);
	/* Same seed, same interval; different seed, (almost surely) not identical. */
	rs_bootstrap_ratio(c, 6, d, 6, 2000, 0.05, 42, &lo2, &hi2);
	assert_float_equal(lo, lo2, 0);
	assert_float_equal(hi, hi2, 0);
	assert_int_equal(rs_bootstrap_ratio(a, 0, b, 5, 100, 0.05, 1, &lo, &hi), -1);
}

static void test_verdicts(void **state)
{
	const double base[] = {100, 102, 98, 101, 99, 100};
	const double slow[] = {120, 123, 118, 121, 119, 122};
	const double tiny[] = {102.0, 102.5, 101.5, 102.2, 101.8, 102.1};
	struct res_cmp_opts o;
	struct res_cmp r;

	(void)state;
	res_cmp_opts_default(&o);
	/* Latency (lower is better) up 20%: worse; the same move on a rate: better. */
	res_compare_values(base, 6, slow, 6, 1, &o, &r);
	assert_int_equal(r.verdict, RES_V_WORSE);
	assert_true(r.p < 0.05 && r.ci_lo > 1);
	res_compare_values(base, 6, slow, 6, 0, &o, &r);
	assert_int_equal(r.verdict, RES_V_BETTER);
	/* Same data: no change. */
	res_compare_values(base, 6, base, 6, 1, &o, &r);
	assert_int_equal(r.verdict, RES_V_SAME);
	assert_float_equal(r.ratio, 1, 1e-12);
	/* A consistent 2% shift is significant but below the 5% minimum effect. */
	res_compare_values(base, 6, tiny, 6, 1, &o, &r);
	assert_int_equal(r.verdict, RES_V_SAME);
	assert_true(r.p < 0.05);
	o.min_effect = 0.01;
	res_compare_values(base, 6, tiny, 6, 1, &o, &r);
	assert_int_equal(r.verdict, RES_V_WORSE);
	/* Three repetitions a side cannot reach p < 0.05: unknown, not "no change". */
	res_compare_values(base, 3, slow, 3, 1, &o, &r);
	assert_int_equal(r.verdict, RES_V_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median_quantile),
		cmocka_unit_test(test_mwu_separated),
		cmocka_unit_test(test_mwu_ties),
		cmocka_unit_test(test_mwu_degenerate),
		cmocka_unit_test(test_bootstrap),
		cmocka_unit_test(test_verdicts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
