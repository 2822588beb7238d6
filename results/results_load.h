/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Loading tperf results (schema tpa.tperf/1) laid out by ms-run:
 * `<run>/<scenario>/<case-id>/` holding `result.json` (any `*.json` whose
 * "schema" is "tpa.tperf/1") and `status`, with `--repeat N` one `rep-<i>/`
 * per repetition below the case directory. A run directory also holds
 * `manifest.json`. Several run directories (e.g. every run of one commit in
 * the store) can be loaded into one set: their repetitions are pooled.
 */
#ifndef RESULTS_LOAD_H
#define RESULTS_LOAD_H

#include <stddef.h>
#include <stdint.h>

/** The metrics every result yields, one value per repetition. */
enum res_metric_id {
	RES_M_GBPS,	/**< throughput.gbit_per_s */
	RES_M_MSGS,	/**< throughput.messages_per_s */
	RES_M_CONNS,	/**< throughput.connections_per_s */
	RES_M_P50,	/**< latency.summary.p50 (ns) */
	RES_M_P90,
	RES_M_P99,
	RES_M_P99_9,
	RES_M_P99_99,
	RES_M_MAX,
	RES_M_MEAN,
	RES_M_CPU,	/**< cpu.ns_per_op */
	RES_M_ERRORS,	/**< sum of errors.* plus failed repetitions */
	RES_M_COUNT
};

/** Static description of a metric. */
struct res_metric_def {
	const char *name;	/**< name used on the command line and in JSON */
	const char *label;	/**< human label */
	const char *unit;	/**< unit of the stored value */
	int lower_is_better;	/**< 1 for latency, CPU, errors; 0 for rates */
};

extern const struct res_metric_def res_metrics[RES_M_COUNT];

/** Index of the metric called @p name (also accepts p99.9 for p99_9), or -1. */
int res_metric_find(const char *name);

/** One non-empty histogram bucket: lowest value of the bucket and its count. */
struct res_hbucket {
	uint64_t value;
	uint64_t count;
};

/** A sparse histogram, buckets sorted by value, values unique. */
struct res_hist {
	struct res_hbucket *b;
	size_t n;
	uint64_t total;
};

/** One per-second entry of `samples`. */
struct res_tsample {
	double t, bytes, messages, connections, p50, p99;
};

/** One repetition: one tperf result (or the merge of several client results). */
struct res_sample {
	char *path;			/**< directory of the repetition */
	double m[RES_M_COUNT];		/**< NAN when the result lacks it */
	struct res_hist hist;
	struct res_tsample *ts;
	size_t nts;
	int failed;			/**< status file non-zero/timeout or status "error" */
	char *status;			/**< content of the status file, or NULL */
	char *run_id;			/**< run it came from */
};

/** One case (scenario/case-id) and its repetitions. */
struct res_case {
	char *id;
	struct res_sample *s;
	size_t ns;
};

/** A run, or the pool of several runs of one commit. */
struct res_set {
	char *label;		/**< short name for tables and plots */
	char *commit;		/**< git commit from the manifest or results */
	int dirty;
	char *started_at;	/**< earliest started_at seen */
	char *host;		/**< hostname */
	char **runs;		/**< run directories loaded */
	size_t nruns;
	struct res_case *c;
	size_t nc;
};

/**
 * Load the run directory @p dir into @p set (appending to what is there).
 * @return number of repetitions loaded, or -1 with a message on stderr.
 */
int res_set_load_run(struct res_set *set, const char *dir);

/** Find a case by id, or NULL. */
struct res_case *res_set_case(const struct res_set *set, const char *id);

/** Free everything @p set owns and zero it. */
void res_set_free(struct res_set *set);

/** Values of metric @p m over the repetitions of @p c (NANs skipped). */
size_t res_case_values(const struct res_case *c, int m, double *out);

/** Merge the histograms of all repetitions of @p c into @p out. */
void res_case_hist(const struct res_case *c, struct res_hist *out);

/** Add the buckets of @p src into @p dst. */
void res_hist_merge(struct res_hist *dst, const struct res_hist *src);

/**
 * Value at percentile @p pct (0..100): the lowest bucket value whose
 * cumulative count reaches pct% of the total. NAN for an empty histogram.
 */
double res_hist_value_at(const struct res_hist *h, double pct);

/** Free the buckets of @p h. */
void res_hist_free(struct res_hist *h);

#endif
