/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ms_parse.h
 * Read a .ms file: split it into YAML blocks and the bash body, following
 * `#include FILE` lines (relative to the including file) with cycle detection.
 *
 * Blocks start with a line `NAME:` at column 0 (params, default_params,
 * exclude, include, timeout) and end with a line `end`; `timeout: N` may also
 * be written on one line. Everything else is the bash body.
 */
#ifndef MS_PARSE_H
#define MS_PARSE_H

#include "ms_model.h"

/**
 * Parse a scenario file.
 *
 * @return the scenario (free with ms_scenario_free()), or NULL with @p err
 *         set to "FILE:LINE:COLUMN: message".
 */
struct ms_scenario *ms_parse_file(const char *path, struct ms_error *err);

/** Make @p s safe as one path component: keep [A-Za-z0-9._,+=@%-], others → '_'. */
void ms_sanitize(char *s);

#endif
