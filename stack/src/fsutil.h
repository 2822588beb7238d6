/* SPDX-License-Identifier: BSD-3-Clause */
/** @file File-system helpers shared by the library, tpad and the tools. */
#ifndef TPA_FSUTIL_H
#define TPA_FSUTIL_H

/**
 * Remove @p path and, if it is a directory, everything below it, without
 * ever following a symbolic link. A missing path is not an error.
 * @return 0, or -1 when something could not be removed.
 */
int tpa_rmtree(const char *path);

#include <stdio.h>

/** The pid in @p dir/pid (an instance's run directory), or -1. */
int tpa_instance_pid(const char *dir);

/**
 * Remove the directories under @p run_dir (obs.run_dir) of instances that
 * are gone: their pid file names a dead process, or they have no pid file
 * and are older than 10 s (younger ones may be starting). Each removal is
 * reported on @p log when not NULL. Returns how many were removed.
 */
int tpa_clean_stale_instances(const char *run_dir, FILE *log);

#endif
