/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>

#include "hdr_json.h"

json_t *hdr_to_json(const struct hdr_hist *h)
{
	json_t *counts = json_array(), *obj;
	struct hdr_iter it;

	if (counts == NULL)
		return NULL;
	hdr_iter_init(&it, h);
	while (hdr_iter_next(&it))
		json_array_append_new(counts, json_pack("[II]", (json_int_t)it.low,
							(json_int_t)it.count));
	obj = json_pack("{sIsIsiso}", "lowest", (json_int_t)h->lowest, "highest",
			(json_int_t)h->highest, "significant_digits", h->digits, "counts", counts);
	return obj;
}

struct hdr_hist *hdr_from_json(const json_t *obj, char *err, size_t errlen)
{
	json_int_t lowest = 1, highest = 0;
	int digits = 0;
	json_t *counts = NULL, *pair;
	struct hdr_hist *h;
	size_t i;

	if (!json_is_object(obj)) {
		snprintf(err, errlen, "histogram: not an object");
		return NULL;
	}
	if (json_unpack((json_t *)obj, "{s?I,s:I,s:i,s:o}", "lowest", &lowest, "highest",
			&highest, "significant_digits", &digits, "counts", &counts) < 0) {
		snprintf(err, errlen, "histogram: needs integer highest, significant_digits and a counts array");
		return NULL;
	}
	if (!json_is_array(counts)) {
		snprintf(err, errlen, "histogram.counts: not an array");
		return NULL;
	}
	h = hdr_create(lowest, highest, digits);
	if (h == NULL) {
		snprintf(err, errlen, "histogram: bad shape lowest=%lld highest=%lld significant_digits=%d",
			 (long long)lowest, (long long)highest, digits);
		return NULL;
	}
	json_array_foreach(counts, i, pair) {
		json_t *v = json_array_get(pair, 0), *n = json_array_get(pair, 1);

		if (!json_is_array(pair) || json_array_size(pair) != 2 || !json_is_integer(v) ||
		    !json_is_integer(n) || json_integer_value(v) < 0 || json_integer_value(n) < 0 ||
		    json_integer_value(v) > highest) {
			snprintf(err, errlen, "histogram.counts[%zu]: expected [value 0..%lld, count >= 0]",
				 i, (long long)highest);
			hdr_free(h);
			return NULL;
		}
		hdr_record_n(h, json_integer_value(v), (uint64_t)json_integer_value(n));
	}
	return h;
}
