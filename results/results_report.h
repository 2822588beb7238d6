/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * `results report`: report.md and a self-contained report.html (plots
 * embedded as base64 PNG) for a run, or for a comparison with --base.
 */
#ifndef RESULTS_REPORT_H
#define RESULTS_REPORT_H

#include "results_load.h"

/**
 * Write @p dir/report.md, @p dir/report.html and their plots in
 * @p dir/plots/ for @p set, compared with @p base when not NULL.
 * @return 0, or -1 with a message.
 */
int res_report_write(const char *dir, const struct res_set *set, const struct res_set *base);

#endif
