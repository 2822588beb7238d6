/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ms_expand.h
 * Expand a scenario's parameter grid into cases.
 *
 * Order: the cartesian product of params in file order, the first parameter
 * varying slowest. Then exclude entries drop every combination matching all
 * of their pairs. Then include entries (GitHub Actions matrix semantics):
 * an entry extends each remaining original combination whose original
 * parameter values it does not change; an entry that extends none is
 * appended as a new combination of its own pairs.
 */
#ifndef MS_EXPAND_H
#define MS_EXPAND_H

#include "ms_model.h"

/** Longest params part of an id before it is shortened with a hash. */
#define MS_ID_MAX_PART 200

/**
 * Expand @p sc, appending its cases to @p out.
 * @return 0, or -1 with @p err set.
 */
int ms_expand(const struct ms_scenario *sc, struct ms_caselist *out, struct ms_error *err);

/**
 * Build a case id "NAME/k=v__k=v" ("NAME/default" without parameters);
 * every component is made safe as a directory name. Caller frees.
 */
char *ms_case_id(const char *name, const struct ms_kvlist *vals);

/** Render a value as text: a scalar as is, a list joined with ','. Caller frees. */
char *ms_value_text(const struct ms_value *v);

#endif
