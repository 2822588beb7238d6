/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ms_plan.h
 * The set of cases a command works on: scenario files parsed and expanded,
 * filtered by an id regex, plus the --var overrides.
 */
#ifndef MS_PLAN_H
#define MS_PLAN_H

#include "ms_model.h"

struct ms_plan {
	struct ms_scenario **scs;
	size_t nsc;
	struct ms_caselist all;		/**< every case of every file, in order */
	struct ms_case **sel;		/**< the cases whose id matches the regex */
	size_t nsel;
	struct ms_kvlist vars;		/**< --var overrides, in order, last wins */
};

/** Add a "--var k=v" override; -1 with @p err on a bad argument. */
int ms_plan_add_var(struct ms_plan *p, const char *arg, struct ms_error *err);

/**
 * Parse and expand @p files, then keep the cases whose id matches the POSIX
 * extended @p regex (all when NULL).
 * @return 0, or -1 with @p err set.
 */
int ms_plan_load(struct ms_plan *p, char *const *files, size_t nfiles, const char *regex,
		 struct ms_error *err);

void ms_plan_free(struct ms_plan *p);

#endif
