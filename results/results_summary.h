/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * `results summary`: one table per scenario, one row per case, each value
 * the median over the case's repetitions.
 */
#ifndef RESULTS_SUMMARY_H
#define RESULTS_SUMMARY_H

#include <stdio.h>

#include "results_load.h"

/** Print the summary of @p set as text (or Markdown with @p markdown) to @p out. */
void res_summary_print(const struct res_set *set, const char *glob, int markdown, FILE *out);

/** Print the summary of @p set as JSON to @p out. */
void res_summary_json(const struct res_set *set, const char *glob, FILE *out);

/** Median of metric @p m over the repetitions of @p c (NAN when none). */
double res_case_median(const struct res_case *c, int m);

#endif
