/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * JSON form of an hdr histogram (results schema tpa.tperf/1,
 * latency.histogram): {"lowest", "highest", "significant_digits",
 * "counts": [[bucket_low_value, count], ...]} listing non-empty buckets.
 * Recording each bucket_low_value count times into an empty histogram of
 * the same shape rebuilds the counters exactly.
 */
#ifndef TPERF_HDR_JSON_H
#define TPERF_HDR_JSON_H

#include <stddef.h>
#include <jansson.h>

#include "hdr.h"

#ifdef __cplusplus
extern "C" {
#endif

/** New JSON object describing @p h (NULL on allocation failure). */
json_t *hdr_to_json(const struct hdr_hist *h);

/**
 * Rebuild a histogram from its JSON form.
 * @param err  on failure, a message naming the offending key and value.
 * @return a new histogram, or NULL on bad input.
 */
struct hdr_hist *hdr_from_json(const json_t *obj, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* TPERF_HDR_JSON_H */
