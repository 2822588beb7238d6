/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ms_json.h
 * JSON views of cases, shared by ms-list --json and the ms-run reports.
 */
#ifndef MS_JSON_H
#define MS_JSON_H

#include <jansson.h>

#include "ms_model.h"

/** A value as a JSON string, or an array of strings for a list. New reference. */
json_t *ms_json_value(const struct ms_value *v);
/** An object {key: value} from a pair list, in order. New reference. */
json_t *ms_json_kvlist(const struct ms_kvlist *l);
/** {"id", "scenario", "file", "index", "params", "timeout"}. New reference. */
json_t *ms_json_case(const struct ms_case *c);

#endif
