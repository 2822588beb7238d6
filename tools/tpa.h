/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file The `tpa` tool: shared helpers of its subcommands.
 * Exit status: 0 ok, 1 runtime failure (no instance, refused request),
 * 2 usage error.
 */
#ifndef TPA_TOOL_H
#define TPA_TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/** obs.run_dir of the instances: -r, else $TPA_RUN_DIR, else /run/tpa. */
extern const char *tpa_run_dir;
/** -i ID, or NULL. */
extern const char *tpa_inst;

/** Pick the instance: -i, or the only live one. Prints why not and returns -1. */
int tpa_resolve(char *id, size_t len);

/** Open a connection to instance @p id's control socket; -1 with a message. */
int tpa_connect(const char *id);
/** Send @p req (stolen) on @p fd and read the reply; NULL with a message on failure. */
json_t *tpa_call_fd(int fd, json_t *req);
/**
 * One request to the resolved instance. On {"ok":false} prints the error
 * and returns NULL; the caller exits 1.
 */
json_t *tpa_call(const char *id, json_t *req);

/** Remove run-dir entries whose pid is gone; returns how many. */
int tpa_clean_stale(int verbose);

int tpa_cmd_st(int argc, char **argv);
int tpa_cmd_dump(int argc, char **argv);

/** Print @p n bytes as "1.2K", "3.4M", ... into @p buf. */
const char *tpa_human(double n, char *buf, size_t len);

#endif
