/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ms_manifest.h
 * manifest.json of a run: what ran, where, on which code.
 */
#ifndef MS_MANIFEST_H
#define MS_MANIFEST_H

#include <jansson.h>

#include "ms_run.h"

/**
 * Build the manifest of a new run, or load the existing one of a resumed
 * run and append this invocation. Returns a new reference.
 */
json_t *ms_manifest_begin(const char *run_dir, const char *run_id, const char *mode,
			  const struct ms_plan *plan, const struct ms_run_opts *o);

/** Record the end of this invocation and write RUN_DIR/manifest.json. */
int ms_manifest_write(json_t *m, const char *run_dir, bool finished, bool interrupted);

/** Short git commit of the repository holding @p path ("nogit" outside one). Caller frees. */
char *ms_git_short(const char *path);

/** A shell-quoted command line from argv. Caller frees. */
char *ms_quote_argv(int argc, char **argv);

#endif
