/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ms_util.h
 * Small helpers shared by the matrix-shell tools: growable string buffers,
 * allocation that aborts on exhaustion, positioned error messages and
 * file-system helpers.
 */
#ifndef MS_UTIL_H
#define MS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/** Exit status for usage errors and malformed input. */
#define MS_EXIT_USAGE 2

/** A position in an input file; @c file points to a string owned elsewhere. */
struct ms_pos {
	const char *file;
	int line;	/**< 1-based */
	int col;	/**< 1-based */
};

/** An error message, formatted "FILE:LINE:COLUMN: message" when positioned. */
struct ms_error {
	char msg[2048];
};

/** Record a positioned error; returns -1 so callers can `return ms_err_at(...)`. */
int ms_err_at(struct ms_error *err, const struct ms_pos *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** Record an error with no position; returns -1. */
int ms_err(struct ms_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void *ms_xmalloc(size_t n);
void *ms_xcalloc(size_t n, size_t sz);
void *ms_xrealloc(void *p, size_t n);
char *ms_xstrdup(const char *s);
char *ms_xstrndup(const char *s, size_t n);
char *ms_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** A growable, always NUL-terminated byte buffer. */
struct ms_buf {
	char *s;
	size_t len;
	size_t cap;
};

void ms_buf_add(struct ms_buf *b, const char *s, size_t n);
void ms_buf_puts(struct ms_buf *b, const char *s);
void ms_buf_putc(struct ms_buf *b, char c);
void ms_buf_printf(struct ms_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Append @p s as one single-quoted bash word. */
void ms_buf_shquote(struct ms_buf *b, const char *s);
/** Detach the string (caller frees) and reset the buffer. */
char *ms_buf_take(struct ms_buf *b);
void ms_buf_free(struct ms_buf *b);

/** True when @p s is a valid bash variable name. */
bool ms_is_identifier(const char *s);

/** Read a whole file; NULL with errno set on failure. */
char *ms_read_file(const char *path, size_t *len);
/** Write a whole file (created 0644, truncated); 0 or -1 with errno. */
int ms_write_file(const char *path, const char *data, size_t len);
/** mkdir -p; 0 or -1 with errno. */
int ms_mkdir_p(const char *path, int mode);
/** Recursively remove a path (files and directories); 0 or -1. */
int ms_rm_rf(const char *path);

/** UTC wall-clock time as "YYYY-MM-DDTHH:MM:SSZ" (or compact "YYYYMMDDTHHMMSSZ"). */
void ms_utc_now(char *out, size_t n, bool compact);
/** Monotonic clock in seconds. */
double ms_mono_now(void);

/** Run a shell command line and return its trimmed first line of output (NULL if none/failure). */
char *ms_capture(const char *cmd);

#endif
