/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * hdr: a log-linear ("HdrHistogram"-style) histogram of 64-bit values.
 *
 * Values are integers (tperf records nanoseconds). The range
 * [0, highest] is covered by buckets of doubling size, each split into
 * sub-buckets of equal width, so that every recorded value is known to
 * within one part in 10^significant_digits of itself. Memory is fixed at
 * creation; recording is O(1); percentiles walk the buckets.
 *
 * The layout follows the published HdrHistogram design (sub-bucket count
 * 2^ceil(log2(2 * 10^digits)), bucket i covering [2^i * S/2, 2^(i+1) * S)
 * for i >= 1 with S the sub-bucket count), so the bucket and sub-bucket
 * numbers written in the .hgrm footer mean the same thing as there.
 *
 * Not thread-safe: one writer per histogram; merge per-thread histograms.
 */
#ifndef TPERF_HDR_H
#define TPERF_HDR_H

#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Default range used by tperf: 1 ns .. 1 hour. */
#define HDR_LOWEST_DEFAULT 1
#define HDR_HIGHEST_DEFAULT 3600000000000ULL

struct hdr_hist {
	int64_t lowest;		/**< lowest discernible value (power of two used) */
	int64_t highest;	/**< highest trackable value */
	int digits;		/**< significant decimal digits, 1..5 */
	int unit_mag;		/**< log2(lowest) rounded down */
	int sub_half_mag;	/**< log2(sub_count) - 1 */
	int32_t sub_count;	/**< sub-buckets per bucket */
	int32_t sub_half;	/**< sub_count / 2 */
	int64_t sub_mask;
	int32_t bucket_count;	/**< buckets needed to cover highest */
	int32_t counts_len;	/**< number of counters */
	uint64_t total;		/**< values recorded */
	uint64_t clamped;	/**< values above highest, recorded as highest */
	int64_t min;		/**< smallest value recorded (exact), INT64_MAX when empty */
	int64_t max;		/**< largest value recorded (exact, after clamping), 0 when empty */
	int32_t min_idx, max_idx; /**< non-empty counter range, for fast walks */
	uint64_t counts[];
};

/**
 * Allocate a histogram.
 * @param lowest  lowest discernible value, >= 1 (1 for nanoseconds).
 * @param highest highest trackable value, >= 2 * lowest.
 * @param digits  significant decimal digits, 1..5.
 * @return NULL with errno EINVAL on bad arguments, ENOMEM on allocation failure.
 */
struct hdr_hist *hdr_create(int64_t lowest, int64_t highest, int digits);

/** Free a histogram (NULL is fine). */
void hdr_free(struct hdr_hist *h);

/** Bytes of memory a histogram with these parameters takes (0 if invalid). */
size_t hdr_mem_size(int64_t lowest, int64_t highest, int digits);

/** Forget every recorded value. */
void hdr_reset(struct hdr_hist *h);

/**
 * Record @p count occurrences of @p value. Negative values are rejected
 * (-1); values above @c highest are recorded as @c highest and counted in
 * @c clamped (a stall is never dropped silently). O(1).
 */
int hdr_record_n(struct hdr_hist *h, int64_t value, uint64_t count);

static inline int hdr_record(struct hdr_hist *h, int64_t value)
{
	return hdr_record_n(h, value, 1);
}

/**
 * Add every count of @p src into @p dst. The two may differ in range and
 * precision; values are re-recorded at their bucket's lowest value, so
 * merging equal-shaped histograms is exact.
 * @return number of values that did not fit (clamped) in @p dst.
 */
uint64_t hdr_merge(struct hdr_hist *dst, const struct hdr_hist *src);

/** Index of the counter that @p value lands in. */
int32_t hdr_index_of(const struct hdr_hist *h, int64_t value);
/** Smallest value that shares @p value's counter. */
int64_t hdr_lowest_equiv(const struct hdr_hist *h, int64_t value);
/** Largest value that shares @p value's counter. */
int64_t hdr_highest_equiv(const struct hdr_hist *h, int64_t value);
/** Middle of @p value's counter range (used for mean and stddev). */
int64_t hdr_median_equiv(const struct hdr_hist *h, int64_t value);
/** Lowest value of counter @p idx. */
int64_t hdr_value_at_index(const struct hdr_hist *h, int32_t idx);

/**
 * Value at percentile @p pct (0..100): the highest value equivalent to the
 * smallest recorded value v such that at least pct% of all values are <= v.
 * pct 0 gives the minimum bucket, 100 the maximum. 0 when empty.
 */
int64_t hdr_percentile(const struct hdr_hist *h, double pct);

/** Mean of the recorded values (bucket midpoints); 0 when empty. */
double hdr_mean(const struct hdr_hist *h);
/** Population standard deviation (bucket midpoints); 0 when empty. */
double hdr_stddev(const struct hdr_hist *h);
/** Exact smallest recorded value; 0 when empty. */
int64_t hdr_min(const struct hdr_hist *h);
/** Exact largest recorded value; 0 when empty. */
int64_t hdr_max(const struct hdr_hist *h);

/** One non-empty counter, as produced by hdr_iter_next(). */
struct hdr_iter {
	const struct hdr_hist *h;
	int32_t idx;		/**< next counter to look at */
	int64_t low;		/**< lowest value of the bucket */
	int64_t high;		/**< highest value of the bucket */
	uint64_t count;		/**< values in the bucket */
	uint64_t cumulative;	/**< values in this and every lower bucket */
};

/** Start an iteration over the non-empty counters, lowest first. */
void hdr_iter_init(struct hdr_iter *it, const struct hdr_hist *h);
/** Advance to the next non-empty counter; false when done. */
bool hdr_iter_next(struct hdr_iter *it);

/**
 * Write the percentile distribution in HdrHistogram's .hgrm text format
 * (columns Value, Percentile, TotalCount, 1/(1-Percentile) and the
 * Mean/StdDeviation, Max/Total count, Buckets/SubBuckets footer).
 * @param scale  values are divided by this before printing: 1000.0 turns
 *               nanoseconds into microseconds (the HdrHistogram plotters'
 *               customary unit); 1.0 prints raw values.
 * @param ticks_per_half  percentile ticks per halving distance (5 is the
 *               HdrHistogram default).
 * @return 0, or -1 if writing failed.
 */
int hdr_write_hgrm(const struct hdr_hist *h, FILE *f, double scale, int ticks_per_half);

#ifdef __cplusplus
}
#endif
#endif /* TPERF_HDR_H */
