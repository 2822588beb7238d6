/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers for the matrix-shell unit tests: scratch files in a temp dir. */
#ifndef MS_TEST_UTIL_H
#define MS_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms_util.h"

/* Create DIR/NAME with TEXT; returns the malloc'd path. */
static inline char *ms_t_write(const char *dir, const char *name, const char *text)
{
	char *path = ms_xasprintf("%s/%s", dir, name);

	if (ms_write_file(path, text, strlen(text)) < 0) {
		perror(path);
		abort();
	}
	return path;
}

static inline char *ms_t_tmpdir(void)
{
	char tmpl[] = "/tmp/ms-unit-XXXXXX";
	char *d = mkdtemp(tmpl);

	if (!d)
		abort();
	return ms_xstrdup(d);
}

#endif
