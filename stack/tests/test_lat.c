/* SPDX-License-Identifier: BSD-3-Clause */
/* Latency histograms: bucket layout, percentiles within 6.25%, merge, min/max/sum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tcp.h"

#define NS 20000

static struct tcp_sock sk;
static struct tpa_lat_hist hists[TPA_LAT_NR_STAGE];
static uint64_t vals[NS];

static int setup(void **state)
{
	(void)state;
	tpa_tsc_hz = 1000000000ull;	/* 1 cycle = 1 ns */
	memset(hists, 0, sizeof(hists));
	sk.lat = hists;
	return 0;
}

static void record(enum tpa_lat_stage st, uint64_t ns)
{
	tcp_lat_record(&sk, st, 1000, 1000 + ns);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_bucket_layout(void **state)
{
	(void)state;
	for (int i = 0; i < 16; i++)
		assert_int_equal(tpa_lat_bucket_low(i), i);	/* exact below 16 ns */
	for (int i = 1; i < TPA_LAT_NR_BUCKET; i++) {
		uint64_t lo = tpa_lat_bucket_low(i - 1), hi = tpa_lat_bucket_low(i);
		assert_true(hi > lo);
		if (i > 16)
			assert_true((hi - lo) * 16 <= lo);	/* width at most 1/16 of the lower bound */
	}
	/* each value lands in the bucket that covers it */
	for (uint64_t v = 1; v < (1ull << 38); v = v * 3 / 2 + 1) {
		struct tpa_lat_hist *h = &hists[TPA_LAT_WRITE_SUBMIT];
		int idx = -1;
		memset(h, 0, sizeof(*h));
		record(TPA_LAT_WRITE_SUBMIT, v);
		for (int i = 0; i < TPA_LAT_NR_BUCKET; i++)
			if (h->bucket[i])
				idx = i;
		assert_true(idx >= 0);
		assert_true(tpa_lat_bucket_low(idx) <= v);
		assert_true(idx == TPA_LAT_NR_BUCKET - 1 || v < tpa_lat_bucket_low(idx + 1));
	}
}

static void check_percentiles(const struct tpa_lat_hist *h, uint64_t *v, int n)
{
	static const double pcts[] = { 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9 };

	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	assert_int_equal(h->count, n);
	assert_int_equal(h->min_ns, v[0]);
	assert_int_equal(h->max_ns, v[n - 1]);
	assert_int_equal(tpa_lat_percentile(h, 100), v[n - 1]);
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		uint64_t rank = (uint64_t)ceil(pcts[i] / 100.0 * n);
		uint64_t exact = v[rank ? rank - 1 : 0];
		uint64_t got = tpa_lat_percentile(h, pcts[i]);
		double err = fabs((double)got - (double)exact) / (double)exact;
		if (err > 0.0625)
			fail_msg("p%.1f = %lu, exact %lu (error %.2f%%)", pcts[i], (unsigned long)got,
				 (unsigned long)exact, err * 100);
	}
}

static void test_percentiles_uniform(void **state)
{
	uint64_t sum = 0;

	(void)state;
	srand(3);
	for (int i = 0; i < NS; i++) {
		vals[i] = 1000 + (uint64_t)(rand() % 1000000);
		sum += vals[i];
		record(TPA_LAT_READ_DRAIN, vals[i]);
	}
	assert_int_equal(hists[TPA_LAT_READ_DRAIN].sum_ns, sum);
	check_percentiles(&hists[TPA_LAT_READ_DRAIN], vals, NS);
}

static void test_percentiles_long_tail(void **state)
{
	(void)state;
	srand(5);
	for (int i = 0; i < NS; i++) {
		/* log-uniform from 20 ns to ~20 ms: every decade populated */
		double e = 1.3 + 5.0 * (double)rand() / RAND_MAX;
		vals[i] = (uint64_t)pow(10.0, e);
		record(TPA_LAT_WRITE_COMPLETE, vals[i]);
	}
	check_percentiles(&hists[TPA_LAT_WRITE_COMPLETE], vals, NS);
}

static void test_percentiles_constant_and_empty(void **state)
{
	struct tpa_lat_hist empty = { 0 };

	(void)state;
	assert_int_equal(tpa_lat_percentile(&empty, 50), 0);
	for (int i = 0; i < 100; i++)
		record(TPA_LAT_WRITE_XMIT, 12345);
	/* clamped to what was seen: exact for a constant */
	assert_int_equal(tpa_lat_percentile(&hists[TPA_LAT_WRITE_XMIT], 1), 12345);
	assert_int_equal(tpa_lat_percentile(&hists[TPA_LAT_WRITE_XMIT], 50), 12345);
	assert_int_equal(tpa_lat_percentile(&hists[TPA_LAT_WRITE_XMIT], 99.99), 12345);
	/* a sample with the clock going backwards is ignored */
	tcp_lat_record(&sk, TPA_LAT_WRITE_XMIT, 2000, 1000);
	tcp_lat_record(&sk, TPA_LAT_WRITE_XMIT, 0, 1000);	/* no start stamp */
	assert_int_equal(hists[TPA_LAT_WRITE_XMIT].count, 100);
}

static void test_merge(void **state)
{
	struct tpa_lat_hist all = { 0 }, a = { 0 }, b = { 0 };

	(void)state;
	srand(9);
	for (int i = 0; i < NS; i++) {
		vals[i] = 100 + (uint64_t)(rand() % 50000);
		record(i & 1 ? TPA_LAT_READ_SUBMIT : TPA_LAT_READ_COMPLETE, vals[i]);
		record(TPA_LAT_WRITE_SUBMIT, vals[i]);
	}
	tpa_lat_merge(&a, &hists[TPA_LAT_READ_SUBMIT]);
	tpa_lat_merge(&b, &hists[TPA_LAT_READ_COMPLETE]);
	tpa_lat_merge(&all, &a);
	tpa_lat_merge(&all, &b);
	tpa_lat_merge(&all, &(struct tpa_lat_hist){ 0 });	/* empty: no effect on min */
	assert_memory_equal(&all, &hists[TPA_LAT_WRITE_SUBMIT], sizeof(all));
	check_percentiles(&all, vals, NS);
}

static void test_stage_names(void **state)
{
	(void)state;
	assert_string_equal(tpa_lat_stage_name(TPA_LAT_WRITE_SUBMIT), "write_lat.submit");
	assert_string_equal(tpa_lat_stage_name(TPA_LAT_WRITE_XMIT), "write_lat.xmit");
	assert_string_equal(tpa_lat_stage_name(TPA_LAT_WRITE_COMPLETE), "write_lat.complete");
	assert_string_equal(tpa_lat_stage_name(TPA_LAT_READ_SUBMIT), "read_lat.submit");
	assert_string_equal(tpa_lat_stage_name(TPA_LAT_READ_DRAIN), "read_lat.drain");
	assert_string_equal(tpa_lat_stage_name(TPA_LAT_READ_COMPLETE), "read_lat.complete");
	assert_null(tpa_lat_stage_name(TPA_LAT_NR_STAGE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_bucket_layout, setup),
		cmocka_unit_test_setup(test_percentiles_uniform, setup),
		cmocka_unit_test_setup(test_percentiles_long_tail, setup),
		cmocka_unit_test_setup(test_percentiles_constant_and_empty, setup),
		cmocka_unit_test_setup(test_merge, setup),
		cmocka_unit_test_setup(test_stage_names, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
