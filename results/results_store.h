/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The results store: `<store>/<commit>/<run-id>/`, one directory per commit
 * (`<commit>-dirty` for runs of a dirty tree) holding copies of (or links to)
 * its run directories. A "set" argument on the command line is either a run
 * directory or a commit (full id, unique prefix, or any git revision) in the
 * store, in which case all its runs are pooled.
 */
#ifndef RESULTS_STORE_H
#define RESULTS_STORE_H

#include <stddef.h>

#include "results_load.h"

/** The store directory: @p opt, else $TPA_RESULTS_STORE, else <git top>/results/store. */
char *res_store_dir(const char *opt);

/**
 * Run @p argv (no shell), capture up to @p len - 1 bytes of stdout into @p buf.
 * @return the exit status, or -1 when it could not run.
 */
int res_run_capture(char *const argv[], char *buf, size_t len);

/** Load @p arg (run directory or store commit) into @p set. 0 or -1 with a message. */
int res_set_resolve(struct res_set *set, const char *arg, const char *store);

/**
 * Resolve the BASE and NEW sets of a comparison; both must hold results.
 * Errors are reported prefixed with @p tool. 0, or -1.
 */
int res_set_resolve_pair(struct res_set *base, struct res_set *cur, const char *base_arg,
			 const char *cur_arg, const char *store, const char *tool);

/**
 * Copy (or with @p link, symlink) run @p run_dir into the store, under
 * @p commit (NULL: the manifest's commit, with "-dirty" for a dirty tree).
 * @return 0, or -1 with a message.
 */
int res_store_add(const char *run_dir, const char *store, const char *commit, int link);

/** One commit of the store, with the time it is ordered by. */
struct res_store_commit {
	char *commit;
	double when;		/**< git commit time, else earliest run start (epoch s) */
	int from_git;		/**< 1 when @c when is the commit date */
};

/** All commits in @p store in time order. 0, or -1 when the store is unreadable. */
int res_store_list(const char *store, struct res_store_commit **out, size_t *n);

/** Free a list from res_store_list(). */
void res_store_list_free(struct res_store_commit *v, size_t n);

#endif
