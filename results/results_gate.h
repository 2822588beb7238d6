/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Performance gates: thresholds from a YAML file (ci/perf-gates.yaml), each
 * naming a metric, its good direction, the minimum effect and the
 * significance level, applied to a base and a new result set with the
 * verdict rule of results_compare.h.
 */
#ifndef RESULTS_GATE_H
#define RESULTS_GATE_H

#include <stddef.h>

/** One gate. */
struct res_gate {
	int metric;		/**< enum res_metric_id */
	int lower_is_better;
	double min_effect;
	double alpha;
	char *cases;		/**< glob over case ids */
	int line;		/**< where it was defined */
};

/** A gate file. */
struct res_gate_cfg {
	struct res_gate *g;
	size_t n;
	int fail_inconclusive;	/**< too few repetitions fails the gate (default) */
};

/**
 * Parse @p file. On error prints `file:line: key: ...` and returns -1.
 */
int res_gate_cfg_load(const char *file, struct res_gate_cfg *cfg);

/** Free a configuration. */
void res_gate_cfg_free(struct res_gate_cfg *cfg);

#endif
