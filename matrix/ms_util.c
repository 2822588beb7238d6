/* SPDX-License-Identifier: BSD-3-Clause */
#include "ms_util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int ms_verr(struct ms_error *err, const struct ms_pos *pos, const char *fmt, va_list ap)
{
	size_t off = 0;

	if (!err)
		return -1;
	if (pos && pos->file)
		off = (size_t)snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: ",
				       pos->file, pos->line, pos->col);
	if (off < sizeof(err->msg))
		vsnprintf(err->msg + off, sizeof(err->msg) - off, fmt, ap);
	return -1;
}

int ms_err_at(struct ms_error *err, const struct ms_pos *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ms_verr(err, pos, fmt, ap);
	va_end(ap);
	return -1;
}

int ms_err(struct ms_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ms_verr(err, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

static void ms_oom(void)
{
	fputs("ms: out of memory\n", stderr);
	abort();
}

void *ms_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		ms_oom();
	return p;
}

void *ms_xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		ms_oom();
	return p;
}

void *ms_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		ms_oom();
	return p;
}

char *ms_xstrdup(const char *s)
{
	return ms_xstrndup(s, strlen(s));
}

char *ms_xstrndup(const char *s, size_t n)
{
	char *p = ms_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *ms_xasprintf(const char *fmt, ...)
{
	struct ms_buf b = {0};
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	b.cap = (size_t)n + 1;
	b.s = ms_xmalloc(b.cap);
	va_start(ap, fmt);
	vsnprintf(b.s, b.cap, fmt, ap);
	va_end(ap);
	return b.s;
}

static void ms_buf_grow(struct ms_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	if (b->cap < 64)
		b->cap = 64;
	while (b->cap < need)
		b->cap *= 2;
	b->s = ms_xrealloc(b->s, b->cap);
}

void ms_buf_add(struct ms_buf *b, const char *s, size_t n)
{
	ms_buf_grow(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void ms_buf_puts(struct ms_buf *b, const char *s)
{
	ms_buf_add(b, s, strlen(s));
}

void ms_buf_putc(struct ms_buf *b, char c)
{
	ms_buf_add(b, &c, 1);
}

void ms_buf_printf(struct ms_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	ms_buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void ms_buf_shquote(struct ms_buf *b, const char *s)
{
	/* Single quotes protect everything but ' itself, written as '\'' */
	ms_buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			ms_buf_puts(b, "'\\''");
		else
			ms_buf_putc(b, *s);
	}
	ms_buf_putc(b, '\'');
}

char *ms_buf_take(struct ms_buf *b)
{
	char *s = b->s ? b->s : ms_xstrdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void ms_buf_free(struct ms_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

bool ms_is_identifier(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

char *ms_read_file(const char *path, size_t *len)
{
	struct ms_buf b = {0};
	char chunk[8192];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ms_buf_add(&b, chunk, n);
	if (ferror(f)) {
		int e = errno;

		fclose(f);
		ms_buf_free(&b);
		errno = e;
		return NULL;
	}
	fclose(f);
	if (len)
		*len = b.len;
	return ms_buf_take(&b);
}

int ms_write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		off += (size_t)w;
	}
	return close(fd);
}

int ms_mkdir_p(const char *path, int mode)
{
	char *p = ms_xstrdup(path);
	char *s;
	int rc = 0;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
			rc = -1;
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

static int ms_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int ms_rm_rf(const char *path)
{
	return nftw(path, ms_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void ms_utc_now(char *out, size_t n, bool compact)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, compact ? "%Y%m%dT%H%M%SZ" : "%Y-%m-%dT%H:%M:%SZ", &tm);
}

double ms_mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *ms_capture(const char *cmd)
{
	char line[4096];
	FILE *p = popen(cmd, "r");
	char *out = NULL;

	if (!p)
		return NULL;
	if (fgets(line, sizeof(line), p)) {
		size_t n = strlen(line);

		while (n && isspace((unsigned char)line[n - 1]))
			line[--n] = '\0';
		if (n)
			out = ms_xstrdup(line);
	}
	if (pclose(p) != 0) {
		free(out);
		out = NULL;
	}
	return out;
}
