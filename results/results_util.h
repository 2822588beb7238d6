/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Small helpers shared by the results tool: allocation that cannot fail
 * silently, path and string formatting, directory helpers.
 */
#ifndef RESULTS_UTIL_H
#define RESULTS_UTIL_H

#include <stddef.h>

/** Exit status for usage and configuration errors. */
#define RES_EXIT_USAGE 2

/** calloc() that aborts the program with a message on failure. */
void *res_xcalloc(size_t n, size_t size);
/** realloc() that aborts the program with a message on failure. */
void *res_xrealloc(void *p, size_t size);
/** strdup() that aborts on failure; NULL in gives NULL out. */
char *res_xstrdup(const char *s);
/** printf() into a freshly allocated string. */
char *res_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** 1 when @p path is a directory. */
int res_is_dir(const char *path);
/** 1 when @p path is a regular file. */
int res_is_file(const char *path);
/** mkdir -p; 0 on success, -1 with errno set. */
int res_mkdirs(const char *path);
/** Read a whole small file into a NUL-terminated string, or NULL. */
char *res_read_file(const char *path);
/** Replace characters that do not belong in file names by '_'. */
char *res_sanitize(const char *s);
/** fnmatch() of a case id against a glob; NULL glob matches all. */
int res_glob_match(const char *glob, const char *s);

#endif
