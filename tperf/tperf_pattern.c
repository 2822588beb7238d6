/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Payload integrity pattern: byte k of 8-byte word w = off / 8 of a stream
 * is byte k (little-endian) of mix(w + seed). Any byte is computable from
 * its stream offset alone, so a receiver checks chunks of any size at any
 * position, and a dropped, duplicated, reordered or flipped byte fails.
 */
#include <string.h>

#include "tperf.h"

static inline uint64_t pat_word(uint64_t w, uint64_t seed)
{
	uint64_t x = (w + seed) * 0x9e3779b97f4a7c15ULL;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return x;
}

uint8_t tperf_pattern_byte(uint64_t off, uint64_t seed)
{
	return (uint8_t)(pat_word(off >> 3, seed) >> ((off & 7) * 8));
}

void tperf_pattern_fill(uint8_t *buf, uint64_t off, size_t len, uint64_t seed)
{
	size_t i = 0;

	while (i < len && ((off + i) & 7))
		buf[i] = tperf_pattern_byte(off + i, seed), i++;
	for (; i + 8 <= len; i += 8) {
		uint64_t x = pat_word((off + i) >> 3, seed);

		memcpy(buf + i, &x, 8);	/* little-endian hosts only (x86, arm64) */
	}
	for (; i < len; i++)
		buf[i] = tperf_pattern_byte(off + i, seed);
}

ssize_t tperf_pattern_check(const uint8_t *buf, uint64_t off, size_t len, uint64_t seed)
{
	size_t i = 0;

	while (i < len && ((off + i) & 7)) {
		if (buf[i] != tperf_pattern_byte(off + i, seed))
			return (ssize_t)i;
		i++;
	}
	for (; i + 8 <= len; i += 8) {
		uint64_t x = pat_word((off + i) >> 3, seed), y;

		memcpy(&y, buf + i, 8);
		if (x != y)
			break;	/* find the byte below */
	}
	for (; i < len; i++)
		if (buf[i] != tperf_pattern_byte(off + i, seed))
			return (ssize_t)i;
	return -1;
}
