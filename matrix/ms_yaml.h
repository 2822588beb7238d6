/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ms_yaml.h
 * Turn the YAML text of one .ms block into scenario data, reporting errors
 * at their position in the .ms file.
 */
#ifndef MS_YAML_H
#define MS_YAML_H

#include "ms_model.h"

/** The kinds of block a .ms file may hold. */
enum ms_block {
	MS_BLOCK_PARAMS,
	MS_BLOCK_DEFAULTS,
	MS_BLOCK_EXCLUDE,
	MS_BLOCK_INCLUDE,
	MS_BLOCK_TIMEOUT,
};

/**
 * Parse the content of a block and merge it into @p sc.
 *
 * @param sc    scenario being built
 * @param kind  which block
 * @param text  the block's lines (without header and "end")
 * @param hdr   position of the block header; content starts on the next line
 * @param err   filled on failure
 * @return 0, or -1 with @p err set to "FILE:LINE:COLUMN: message"
 */
int ms_yaml_block(struct ms_scenario *sc, enum ms_block kind, const char *text,
		  const struct ms_pos *hdr, struct ms_error *err);

/** Parse a timeout value ("30", "2.5"); 0 or -1 with @p err set. */
int ms_parse_timeout(const char *s, const struct ms_pos *pos, double *out,
		     struct ms_error *err);

#endif
