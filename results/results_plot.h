/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Pictures drawn with gnuplot. Every function writes @p outbase.png and
 * @p outbase.svg; data and script go to a temporary directory that is
 * removed afterwards. All return 0, or -1 with a message on stderr.
 */
#ifndef RESULTS_PLOT_H
#define RESULTS_PLOT_H

#include <stddef.h>

#include "results_load.h"

/**
 * Latency percentile spectrum, HdrHistogram style: x is 1/(1-p) on a log
 * scale labelled 50%, 90%, 99%, ..., y the latency; one line per histogram.
 */
int res_plot_spectrum(const char *outbase, const char *title, const char *const *labels,
		      const struct res_hist *hists, size_t n);

/** Per-second time series (`samples`) of the repetitions of one case. */
int res_plot_timeseries(const char *outbase, const char *title, const struct res_case *c);

/**
 * A metric across commits: @p values is row-major [nseries][nx] (NAN for a
 * gap); @p marks (nx entries, may be NULL) flags change points with
 * +1 (worse) or -1 (better) on the first series.
 */
int res_plot_trend(const char *outbase, const char *title, const char *ylabel,
		   const char *const *xlabels, size_t nx, const char *const *series,
		   const double *values, size_t nseries, const int *marks);

/** Per-repetition values of metric @p m for several sets of one case (a strip plot). */
int res_plot_reps(const char *outbase, const char *title, int m, const char *const *labels,
		  const struct res_case *const *cases, size_t n);

/**
 * Spectrum plots `<dir>/spectrum-<case>` overlaying @p n sets, one per case of
 * the first set matching @p glob. Output bases are appended to @p outs.
 */
int res_plot_spectra(const char *dir, const struct res_set *sets, size_t n, const char *glob,
		     char ***outs, size_t *nouts);

/** Time-series plots `<dir>/series-<case>` of every case of @p set matching @p glob. */
int res_plot_series_all(const char *dir, const struct res_set *set, const char *glob,
			char ***outs, size_t *nouts);

#endif
