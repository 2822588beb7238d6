/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Log-linear histogram: bucket b >= 1 holds values in [2^b * H, 2^(b+1) * H)
 * (H = half the sub-bucket count, unit = lowest), split into H sub-buckets
 * of width 2^b; bucket 0 holds [0, 2H) at unit width. Counter index of a
 * value is therefore (b + 1) * H + (v >> b) - H, computed with one clz.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"

struct hdr_shape {
	int unit_mag, sub_half_mag;
	int32_t sub_count, bucket_count, counts_len;
};

static int hdr_shape_get(int64_t lowest, int64_t highest, int digits, struct hdr_shape *s)
{
	int64_t largest_single, untrackable;
	int sub_mag = 0;

	if (lowest < 1 || digits < 1 || digits > 5 || highest < 2 * lowest)
		return -1;
	s->unit_mag = 63 - __builtin_clzll((uint64_t)lowest);
	largest_single = 2;
	for (int i = 0; i < digits; i++)
		largest_single *= 10;
	while ((INT64_C(1) << sub_mag) < largest_single)
		sub_mag++;
	s->sub_half_mag = (sub_mag > 1 ? sub_mag : 1) - 1;
	s->sub_count = INT32_C(1) << (s->sub_half_mag + 1);
	if (s->unit_mag + s->sub_half_mag + 1 > 62)
		return -1;

	/* Buckets needed so that the top one reaches past highest. */
	untrackable = (int64_t)s->sub_count << s->unit_mag;
	s->bucket_count = 1;
	while (untrackable <= highest) {
		if (untrackable > INT64_MAX / 2) {
			s->bucket_count++;
			break;
		}
		untrackable <<= 1;
		s->bucket_count++;
	}
	s->counts_len = (s->bucket_count + 1) * (s->sub_count / 2);
	return 0;
}

size_t hdr_mem_size(int64_t lowest, int64_t highest, int digits)
{
	struct hdr_shape s;

	if (hdr_shape_get(lowest, highest, digits, &s) < 0)
		return 0;
	return sizeof(struct hdr_hist) + (size_t)s.counts_len * sizeof(uint64_t);
}

struct hdr_hist *hdr_create(int64_t lowest, int64_t highest, int digits)
{
	struct hdr_shape s;
	struct hdr_hist *h;

	if (hdr_shape_get(lowest, highest, digits, &s) < 0) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h) + (size_t)s.counts_len * sizeof(uint64_t));
	if (h == NULL)
		return NULL;
	h->lowest = lowest;
	h->highest = highest;
	h->digits = digits;
	h->unit_mag = s.unit_mag;
	h->sub_half_mag = s.sub_half_mag;
	h->sub_count = s.sub_count;
	h->sub_half = s.sub_count / 2;
	h->sub_mask = (int64_t)(s.sub_count - 1) << s.unit_mag;
	h->bucket_count = s.bucket_count;
	h->counts_len = s.counts_len;
	hdr_reset(h);
	return h;
}

void hdr_free(struct hdr_hist *h)
{
	free(h);
}

void hdr_reset(struct hdr_hist *h)
{
	memset(h->counts, 0, (size_t)h->counts_len * sizeof(uint64_t));
	h->total = 0;
	h->clamped = 0;
	h->min = INT64_MAX;
	h->max = 0;
	h->min_idx = INT32_MAX;
	h->max_idx = -1;
}

static inline int32_t hdr_bucket_of(const struct hdr_hist *h, int64_t v)
{
	int pow2ceil = 64 - __builtin_clzll((uint64_t)(v | h->sub_mask));

	return pow2ceil - h->unit_mag - (h->sub_half_mag + 1);
}

static inline int32_t hdr_sub_of(const struct hdr_hist *h, int64_t v, int32_t b)
{
	return (int32_t)(v >> (b + h->unit_mag));
}

int32_t hdr_index_of(const struct hdr_hist *h, int64_t v)
{
	int32_t b = hdr_bucket_of(h, v);
	int32_t s = hdr_sub_of(h, v, b);

	return ((b + 1) << h->sub_half_mag) + (s - h->sub_half);
}

int64_t hdr_value_at_index(const struct hdr_hist *h, int32_t idx)
{
	int32_t b = (idx >> h->sub_half_mag) - 1;
	int32_t s = (idx & (h->sub_half - 1)) + h->sub_half;

	if (b < 0) {
		s -= h->sub_half;
		b = 0;
	}
	return (int64_t)s << (b + h->unit_mag);
}

int64_t hdr_lowest_equiv(const struct hdr_hist *h, int64_t v)
{
	int32_t b = hdr_bucket_of(h, v);

	return (int64_t)hdr_sub_of(h, v, b) << (b + h->unit_mag);
}

static int64_t hdr_equiv_range(const struct hdr_hist *h, int64_t v)
{
	int32_t b = hdr_bucket_of(h, v);

	if (hdr_sub_of(h, v, b) >= h->sub_count)
		b++;
	return INT64_C(1) << (h->unit_mag + b);
}

int64_t hdr_highest_equiv(const struct hdr_hist *h, int64_t v)
{
	return hdr_lowest_equiv(h, v) + hdr_equiv_range(h, v) - 1;
}

int64_t hdr_median_equiv(const struct hdr_hist *h, int64_t v)
{
	return hdr_lowest_equiv(h, v) + (hdr_equiv_range(h, v) >> 1);
}

int hdr_record_n(struct hdr_hist *h, int64_t v, uint64_t n)
{
	int32_t idx;

	if (v < 0)
		return -1;
	if (n == 0)
		return 0;
	if (v > h->highest) {
		v = h->highest;
		h->clamped += n;
	}
	idx = hdr_index_of(h, v);
	h->counts[idx] += n;
	h->total += n;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	if (idx < h->min_idx)
		h->min_idx = idx;
	if (idx > h->max_idx)
		h->max_idx = idx;
	return 0;
}

uint64_t hdr_merge(struct hdr_hist *dst, const struct hdr_hist *src)
{
	uint64_t before = dst->clamped;
	bool same = dst->lowest == src->lowest && dst->digits == src->digits &&
		    dst->counts_len >= src->counts_len;

	if (src->total == 0)
		return 0;
	for (int32_t i = src->min_idx; i <= src->max_idx; i++) {
		uint64_t n = src->counts[i];

		if (n == 0)
			continue;
		if (same) {
			dst->counts[i] += n;
			dst->total += n;
			if (i < dst->min_idx)
				dst->min_idx = i;
			if (i > dst->max_idx)
				dst->max_idx = i;
		} else {
			hdr_record_n(dst, hdr_value_at_index(src, i), n);
		}
	}
	/* Keep the exact extremes across merges. */
	if (src->min < dst->min)
		dst->min = src->min <= dst->highest ? src->min : dst->highest;
	if (src->max > dst->max)
		dst->max = src->max <= dst->highest ? src->max : dst->highest;
	dst->clamped += src->clamped;
	return dst->clamped - before;
}

int64_t hdr_percentile(const struct hdr_hist *h, double pct)
{
	uint64_t want, seen = 0;
	double x;

	if (h->total == 0)
		return 0;
	if (pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	/* Nearest rank: the smallest count c with c >= pct% of total. */
	x = pct / 100.0 * (double)h->total;
	want = (uint64_t)x;
	if ((double)want < x - 1e-9 * x)
		want++;
	if (want < 1)
		want = 1;
	if (want > h->total)
		want = h->total;
	for (int32_t i = h->min_idx; i <= h->max_idx; i++) {
		seen += h->counts[i];
		if (seen >= want) {
			int64_t hi = hdr_highest_equiv(h, hdr_value_at_index(h, i));

			/* Never report beyond what was actually recorded. */
			return hi > h->max ? h->max : hi;
		}
	}
	return h->max;
}

double hdr_mean(const struct hdr_hist *h)
{
	double sum = 0;

	if (h->total == 0)
		return 0;
	for (int32_t i = h->min_idx; i <= h->max_idx; i++)
		if (h->counts[i])
			sum += (double)h->counts[i] *
			       (double)hdr_median_equiv(h, hdr_value_at_index(h, i));
	return sum / (double)h->total;
}

double hdr_stddev(const struct hdr_hist *h)
{
	double mean = hdr_mean(h), sq = 0;

	if (h->total == 0)
		return 0;
	for (int32_t i = h->min_idx; i <= h->max_idx; i++) {
		if (h->counts[i]) {
			double d = (double)hdr_median_equiv(h, hdr_value_at_index(h, i)) - mean;

			sq += d * d * (double)h->counts[i];
		}
	}
	return sqrt(sq / (double)h->total);
}

int64_t hdr_min(const struct hdr_hist *h)
{
	return h->total ? h->min : 0;
}

int64_t hdr_max(const struct hdr_hist *h)
{
	return h->total ? h->max : 0;
}

void hdr_iter_init(struct hdr_iter *it, const struct hdr_hist *h)
{
	memset(it, 0, sizeof(*it));
	it->h = h;
	it->idx = h->total ? h->min_idx : h->counts_len;
}

bool hdr_iter_next(struct hdr_iter *it)
{
	const struct hdr_hist *h = it->h;

	while (it->idx <= h->max_idx && it->idx < h->counts_len) {
		int32_t i = it->idx++;

		if (h->counts[i] == 0)
			continue;
		it->low = hdr_value_at_index(h, i);
		it->high = hdr_highest_equiv(h, it->low);
		it->count = h->counts[i];
		it->cumulative += it->count;
		return true;
	}
	return false;
}

/* Next percentile level: ticks_per_half steps per halving of the distance to 100%. */
static double hdr_next_level(double level, int ticks_per_half)
{
	double halvings = floor(log2(100.0 / (100.0 - level)));
	double ticks = ticks_per_half * pow(2.0, halvings + 1);

	return level + 100.0 / ticks;
}

int hdr_write_hgrm(const struct hdr_hist *h, FILE *f, double scale, int ticks_per_half)
{
	struct hdr_iter it;
	double level = 0.0;
	int64_t last = 0;
	int d = h->digits;

	if (scale <= 0)
		scale = 1.0;
	if (ticks_per_half < 1)
		ticks_per_half = 5;
	fprintf(f, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
		"1/(1-Percentile)");
	hdr_iter_init(&it, h);
	while (hdr_iter_next(&it)) {
		last = it.high;
		while (100.0 * (double)it.cumulative / (double)h->total >= level) {
			fprintf(f, "%12.*f %2.12f %10llu %14.2f\n", d, (double)it.high / scale,
				level / 100.0, (unsigned long long)it.cumulative,
				1.0 / (1.0 - level / 100.0));
			level = hdr_next_level(level, ticks_per_half);
			if (it.cumulative >= h->total)
				break;
		}
	}
	if (h->total)
		fprintf(f, "%12.*f %2.12f %10llu\n", d, (double)last / scale, 1.0,
			(unsigned long long)h->total);
	fprintf(f, "#[Mean    = %12.*f, StdDeviation   = %12.*f]\n", d, hdr_mean(h) / scale, d,
		hdr_stddev(h) / scale);
	fprintf(f, "#[Max     = %12.*f, Total count    = %12llu]\n", d,
		(double)(h->total ? hdr_highest_equiv(h, h->max) : 0) / scale,
		(unsigned long long)h->total);
	fprintf(f, "#[Buckets = %12d, SubBuckets     = %12d]\n", h->bucket_count, h->sub_count);
	return ferror(f) ? -1 : 0;
}
