/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ms_script.h
 * Generate the bash script of one case.
 *
 * Layout: MS_* defaults for running outside ms-run, default_params, the
 * case's params, --var overrides (all as single-quoted shell variables; list
 * values as bash arrays), the cleanup trap that calls the body's
 * `ms_cleanup` function (if it defines one) on any exit, then the body.
 */
#ifndef MS_SCRIPT_H
#define MS_SCRIPT_H

#include "ms_model.h"

/**
 * Render the script of @p c.
 * @param vars  --var overrides (may be NULL)
 * @return malloc'd script text
 */
char *ms_script_render(const struct ms_case *c, const struct ms_kvlist *vars);

/** Append "name=value" as one bash assignment line (array for lists). */
void ms_script_assign(struct ms_buf *b, const char *name, const struct ms_value *v);

#endif
