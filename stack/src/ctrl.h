/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file The control thread: control plane only (the datapath stays
 * run-to-completion in the application's threads). It serves the unix
 * socket obs.run_dir/<id>/ctrl, refreshes the mapped socks/stats files and
 * writes queued trace archives.
 *
 * Protocol: one JSON object per line each way. A request has "cmd" and its
 * arguments; a reply has "ok" (true/false) and either the data or "error".
 * Commands: info, sk, worker, mem, neigh, cfg_list, cfg_get, cfg_set,
 * fault, life, states, dump_start, dump_read, dump_stop (see ctrl.c and
 * docs/observability.md).
 */
#ifndef TPA_CTRL_H
#define TPA_CTRL_H

#include <jansson.h>

/** Run one request and return its reply (a new reference). Used by the socket server and tests. */
json_t *ctrl_handle(json_t *req);

/** Start the control thread serving @p path; 0 or -1 with errno. */
int ctrl_start(const char *path);
/** Stop and join it; removes the socket. */
void ctrl_stop(void);

#endif
