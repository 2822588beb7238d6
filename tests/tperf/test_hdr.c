/* SPDX-License-Identifier: BSD-3-Clause */
/* cmocka unit tests of tperf/hdr.[ch] and hdr_json.[ch]. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hdr.h"
#include "hdr_json.h"

#define NR_SAMPLE 200000

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static double urand(void)
{
	return (double)(rng() >> 11) / 9007199254740992.0;
}

static double nrand(void)
{
	double u = urand() + 1e-12, v = urand();

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

enum dist { D_UNIFORM_LOG, D_BIMODAL, D_PARETO, D_SMALL };

static int64_t sample(enum dist d)
{
	double x;

	switch (d) {
	case D_UNIFORM_LOG:	/* 1 ns .. 10 s, log-uniform */
		return (int64_t)exp(urand() * log(1e10));
	case D_BIMODAL:		/* 10 us +- 1 us and 2 ms +- 200 us */
		x = (rng() & 7) ? 10000 + 1000 * nrand() : 2000000 + 200000 * nrand();
		return x < 0 ? 0 : (int64_t)x;
	case D_PARETO:		/* heavy tail, alpha 1.1, from 5 us */
		return (int64_t)(5000.0 / pow(urand() + 1e-15, 1 / 1.1)) % 3000000000000LL;
	case D_SMALL:		/* 0..300: exercises the unit-width first bucket */
		return (int64_t)(rng() % 301);
	}
	return 0;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted samples. */
static int64_t exact_pct(const int64_t *v, size_t n, double pct)
{
	double x = pct / 100.0 * (double)n;
	size_t rank = (size_t)x;

	if ((double)rank < x - 1e-9 * x)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

static const double pcts[] = {0, 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 99.999, 100};

static void check_dist(enum dist d, int digits)
{
	int64_t *v = malloc(NR_SAMPLE * sizeof(*v));
	struct hdr_hist *h = hdr_create(1, HDR_HIGHEST_DEFAULT, digits);
	double sum = 0, sq = 0, mean, sd, tol = pow(10, -digits);

	assert_non_null(v);
	assert_non_null(h);
	for (size_t i = 0; i < NR_SAMPLE; i++) {
		v[i] = sample(d);
		sum += (double)v[i];
		assert_int_equal(hdr_record(h, v[i]), 0);
	}
	qsort(v, NR_SAMPLE, sizeof(*v), cmp64);
	assert_int_equal(h->total, NR_SAMPLE);
	assert_int_equal(hdr_min(h), v[0]);
	assert_int_equal(hdr_max(h), v[NR_SAMPLE - 1]);
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		int64_t e = exact_pct(v, NR_SAMPLE, pcts[i]);
		int64_t got = hdr_percentile(h, pcts[i]);

		/* Same bucket as the exact value, never below it, and within precision. */
		if (hdr_lowest_equiv(h, got) != hdr_lowest_equiv(h, e) || got < e ||
		    (double)(got - e) > tol * (double)e) {
			fail_msg("dist %d digits %d p%g: hdr %lld exact %lld", d, digits, pcts[i],
				 (long long)got, (long long)e);
		}
	}
	mean = sum / NR_SAMPLE;
	for (size_t i = 0; i < NR_SAMPLE; i++)
		sq += ((double)v[i] - mean) * ((double)v[i] - mean);
	sd = sqrt(sq / NR_SAMPLE);
	/* Midpoint estimates: each value off by at most half a bucket (+1 unit). */
	if (fabs(hdr_mean(h) - mean) > tol * mean + 1)
		fail_msg("dist %d digits %d mean %f exact %f", d, digits, hdr_mean(h), mean);
	if (fabs(hdr_stddev(h) - sd) > 2 * tol * (sd + mean) + 1)
		fail_msg("dist %d digits %d stddev %f exact %f", d, digits, hdr_stddev(h), sd);
	hdr_free(h);
	free(v);
}

static void test_percentiles_vs_sorted(void **state)
{
	for (int d = D_UNIFORM_LOG; d <= D_SMALL; d++)
		for (int digits = 1; digits <= 4; digits++)
			check_dist(d, digits);
}

static void test_precision_bound(void **state)
{
	/* Every bucket is at most 10^-digits of its lowest value wide. */
	for (int digits = 1; digits <= 5; digits++) {
		struct hdr_hist *h = hdr_create(1, HDR_HIGHEST_DEFAULT, digits);

		assert_non_null(h);
		for (int32_t i = 0; i < h->counts_len; i++) {
			int64_t lo = hdr_value_at_index(h, i), hi = hdr_highest_equiv(h, lo);

			assert_int_equal(hdr_index_of(h, lo), i);
			assert_int_equal(hdr_index_of(h, hi), i);
			if (i + 1 < h->counts_len)
				assert_int_equal(hdr_value_at_index(h, i + 1), hi + 1);
			if (hi > lo)
				assert_true((double)(hi - lo) <= (double)lo * pow(10, -digits));
		}
		assert_true(hdr_value_at_index(h, h->counts_len - 1) <= INT64_MAX / 2);
		assert_true(hdr_highest_equiv(h, hdr_value_at_index(h, h->counts_len - 1)) >=
			    (int64_t)HDR_HIGHEST_DEFAULT);
		hdr_free(h);
	}
}

static void fill_counts_equal(const struct hdr_hist *a, const struct hdr_hist *b)
{
	assert_int_equal(a->counts_len, b->counts_len);
	assert_int_equal(a->total, b->total);
	assert_memory_equal(a->counts, b->counts, a->counts_len * sizeof(uint64_t));
}

static void test_merge(void **state)
{
	struct hdr_hist *all = hdr_create(1, HDR_HIGHEST_DEFAULT, 3);
	struct hdr_hist *part[4], *merged = hdr_create(1, HDR_HIGHEST_DEFAULT, 3);
	struct hdr_hist *other = hdr_create(1, 1000000000000LL, 2);

	for (int i = 0; i < 4; i++)
		part[i] = hdr_create(1, HDR_HIGHEST_DEFAULT, 3);
	for (int i = 0; i < 100000; i++) {
		int64_t v = sample((enum dist)(i % 4));

		hdr_record(all, v);
		hdr_record(part[rng() % 4], v);
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(hdr_merge(merged, part[i]), 0);
	fill_counts_equal(all, merged);
	assert_int_equal(hdr_min(all), hdr_min(merged));
	assert_int_equal(hdr_max(all), hdr_max(merged));
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		assert_int_equal(hdr_percentile(all, pcts[i]), hdr_percentile(merged, pcts[i]));
	/* Merging into a coarser histogram keeps the total and each value's bucket. */
	hdr_merge(other, all);
	assert_int_equal(other->total, all->total);
	assert_true(hdr_percentile(other, 50) >= hdr_lowest_equiv(other, hdr_percentile(all, 50)));
	hdr_free(all);
	hdr_free(merged);
	hdr_free(other);
	for (int i = 0; i < 4; i++)
		hdr_free(part[i]);
}

static void test_json_roundtrip(void **state)
{
	struct hdr_hist *h = hdr_create(1, HDR_HIGHEST_DEFAULT, 3), *back;
	json_t *j, *parsed;
	json_error_t jerr;
	char err[256], *text;

	for (int i = 0; i < 50000; i++)
		hdr_record(h, sample((enum dist)(i % 4)));
	hdr_record(h, 0);
	hdr_record(h, HDR_HIGHEST_DEFAULT);
	j = hdr_to_json(h);
	assert_non_null(j);
	text = json_dumps(j, JSON_COMPACT);
	parsed = json_loads(text, 0, &jerr);
	assert_non_null(parsed);
	back = hdr_from_json(parsed, err, sizeof(err));
	assert_non_null(back);
	fill_counts_equal(h, back);
	assert_int_equal(back->digits, 3);
	assert_int_equal(back->highest, HDR_HIGHEST_DEFAULT);
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		assert_int_equal(hdr_lowest_equiv(h, hdr_percentile(h, pcts[i])),
				 hdr_lowest_equiv(h, hdr_percentile(back, pcts[i])));
	/* The counts array lists only non-empty buckets, ascending. */
	{
		json_t *counts = json_object_get(parsed, "counts"), *pair;
		size_t i;
		json_int_t prev = -1;

		json_array_foreach(counts, i, pair) {
			json_int_t lo = json_integer_value(json_array_get(pair, 0));

			assert_true(lo > prev);
			assert_true(json_integer_value(json_array_get(pair, 1)) > 0);
			assert_int_equal(hdr_lowest_equiv(h, lo), lo);
			prev = lo;
		}
	}
	free(text);
	json_decref(j);
	json_decref(parsed);
	hdr_free(back);

	/* Bad input is rejected with a message naming the key. */
	parsed = json_loads("{\"highest\": 1000, \"significant_digits\": 3, \"counts\": [[5, -1]]}", 0, &jerr);
	assert_null(hdr_from_json(parsed, err, sizeof(err)));
	assert_non_null(strstr(err, "counts[0]"));
	json_decref(parsed);
	parsed = json_loads("{\"highest\": 1000, \"significant_digits\": 9, \"counts\": []}", 0, &jerr);
	assert_null(hdr_from_json(parsed, err, sizeof(err)));
	assert_non_null(strstr(err, "significant_digits=9"));
	json_decref(parsed);
	hdr_free(h);
}

static void test_edges(void **state)
{
	struct hdr_hist *h;

	assert_null(hdr_create(0, 1000, 3));
	assert_null(hdr_create(1, 1, 3));
	assert_null(hdr_create(1, 1000, 0));
	assert_null(hdr_create(1, 1000, 6));
	h = hdr_create(1, HDR_HIGHEST_DEFAULT, 3);
	assert_int_equal(hdr_percentile(h, 50), 0);
	assert_true(hdr_mean(h) == 0);
	assert_int_equal(hdr_min(h), 0);
	assert_int_equal(hdr_max(h), 0);
	assert_int_equal(hdr_record(h, -1), -1);
	assert_int_equal(h->total, 0);
	hdr_record(h, 0);
	hdr_record(h, 1);
	hdr_record(h, HDR_HIGHEST_DEFAULT);
	hdr_record(h, HDR_HIGHEST_DEFAULT + 12345);	/* clamped, still counted */
	assert_int_equal(h->total, 4);
	assert_int_equal(h->clamped, 1);
	assert_int_equal(hdr_min(h), 0);
	assert_int_equal(hdr_max(h), HDR_HIGHEST_DEFAULT);
	assert_int_equal(hdr_percentile(h, 0), 0);
	assert_int_equal(hdr_percentile(h, 25), 0);
	assert_int_equal(hdr_percentile(h, 50), 1);
	assert_int_equal(hdr_percentile(h, 100), HDR_HIGHEST_DEFAULT);
	/* Values below 2 * 10^digits are exact. */
	for (int64_t v = 0; v < 2000; v++)
		assert_int_equal(hdr_highest_equiv(h, v), v);
	hdr_reset(h);
	assert_int_equal(h->total, 0);
	assert_int_equal(hdr_percentile(h, 99), 0);
	hdr_record_n(h, 5000, 10);
	assert_int_equal(h->total, 10);
	assert_int_equal(hdr_percentile(h, 1), 5000);
	hdr_free(h);

	/* Unit larger than 1: lowest 1000 ignores sub-microsecond detail. */
	h = hdr_create(1000, 1000000000, 2);
	assert_non_null(h);
	hdr_record(h, 123300);
	assert_int_equal(hdr_lowest_equiv(h, 123300), hdr_lowest_equiv(h, 122900));
	assert_int_equal(hdr_lowest_equiv(h, 123300) % 512, 0);
	hdr_free(h);
}

static void test_iter_and_hgrm(void **state)
{
	struct hdr_hist *h = hdr_create(1, HDR_HIGHEST_DEFAULT, 3);
	struct hdr_iter it;
	uint64_t sum = 0;
	int64_t prev = -1;
	char *buf = NULL, *line, *save;
	size_t len = 0;
	FILE *f;
	double last_pct = -1, value, pct, prev_value = -1;
	unsigned long long cnt, last_cnt = 0;
	int rows = 0, footer = 0;

	for (int i = 0; i < 100000; i++)
		hdr_record(h, sample(D_BIMODAL));
	hdr_iter_init(&it, h);
	while (hdr_iter_next(&it)) {
		assert_true(it.low > prev);
		assert_true(it.count > 0);
		sum += it.count;
		assert_int_equal(it.cumulative, sum);
		prev = it.low;
	}
	assert_int_equal(sum, h->total);

	f = open_memstream(&buf, &len);
	assert_int_equal(hdr_write_hgrm(h, f, 1000.0, 5), 0);
	fclose(f);
	assert_non_null(strstr(buf, "Value     Percentile TotalCount 1/(1-Percentile)"));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#') {
			footer++;
			continue;
		}
		if (sscanf(line, "%lf %lf %llu", &value, &pct, &cnt) != 3)
			continue;
		rows++;
		assert_true(pct >= last_pct);
		assert_true(cnt >= last_cnt);
		assert_true(value >= prev_value);
		last_pct = pct;
		last_cnt = cnt;
		prev_value = value;
	}
	assert_int_equal(footer, 3);
	assert_true(rows > 50);
	assert_true(last_pct == 1.0);
	assert_int_equal(last_cnt, h->total);
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	hdr_write_hgrm(h, f, 1000.0, 5);
	fclose(f);
	assert_non_null(strstr(buf, "#[Buckets = "));
	assert_non_null(strstr(buf, "SubBuckets     =         2048]"));
	free(buf);
	hdr_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentiles_vs_sorted),
		cmocka_unit_test(test_precision_bound),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_iter_and_hgrm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
