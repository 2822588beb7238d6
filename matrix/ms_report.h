/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ms_report.h
 * summary.json, summary.txt and junit.xml of a run.
 */
#ifndef MS_REPORT_H
#define MS_REPORT_H

#include <stdio.h>

#include "ms_run.h"

/** Counts over the jobs of a run. */
struct ms_counts {
	size_t total, passed, failed, timed_out, interrupted, skipped;
};

void ms_report_count(const struct ms_job *jobs, size_t n, struct ms_counts *c);

/** Write summary.json, summary.txt and junit.xml into @p run_dir; 0 or -1. */
int ms_report_write(const char *run_dir, const char *run_id, const struct ms_job *jobs,
		    size_t n);

/** Print the one-line totals ("N cases: ... passed, ...") to @p f. */
void ms_report_line(FILE *f, const struct ms_counts *c);

/** Append @p s (at most @p n bytes) escaped for XML text/attributes, dropping invalid UTF-8 and control chars. */
void ms_xml_escape(struct ms_buf *b, const char *s, size_t n);

#endif
