/* SPDX-License-Identifier: BSD-3-Clause */
#include "ms_parse.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ms_yaml.h"

#define MS_MAX_INCLUDE_DEPTH 32

static const struct {
	const char *name;
	enum ms_block kind;
} ms_blocks[] = {
	{ "params", MS_BLOCK_PARAMS },
	{ "default_params", MS_BLOCK_DEFAULTS },
	{ "exclude", MS_BLOCK_EXCLUDE },
	{ "include", MS_BLOCK_INCLUDE },
	{ "timeout", MS_BLOCK_TIMEOUT },
};

/* State shared by the nested parse of one scenario. */
struct ms_parser {
	struct ms_scenario *sc;
	struct ms_buf body;
	const char *stack[MS_MAX_INCLUDE_DEPTH];	/* canonical paths being read */
	int depth;
	struct ms_error *err;
};

void ms_sanitize(char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (!(isalnum(c) || strchr("._,+=@%-", c)))
			*s = '_';
	}
}

static const char *ms_intern_file(struct ms_scenario *sc, const char *path)
{
	sc->files = ms_xrealloc(sc->files, (sc->nfiles + 1) * sizeof(char *));
	sc->files[sc->nfiles] = ms_xstrdup(path);
	return sc->files[sc->nfiles++];
}

static int ms_parse_one(struct ms_parser *p, const char *shown, const char *canon);

static void ms_include_dir(struct ms_buf *b, const char *canon_file)
{
	char *tmp = ms_xstrdup(canon_file);

	ms_buf_puts(b, "MS_INCLUDE_DIR=");
	ms_buf_shquote(b, dirname(tmp));
	ms_buf_putc(b, '\n');
	free(tmp);
}

/* "#include FILE" or "#include \"FILE\"". */
static int ms_do_include(struct ms_parser *p, const char *line, const struct ms_pos *lpos)
{
	const char *s = line + strlen("#include");
	struct ms_pos fpos = *lpos;
	char *name, *dir, *shown, *canon, *tmp;
	size_t n;
	int rc;

	while (*s == ' ' || *s == '\t')
		s++;
	fpos.col = (int)(s - line) + 1;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 2 && ((s[0] == '"' && s[n - 1] == '"') || (s[0] == '<' && s[n - 1] == '>'))) {
		s++;
		n -= 2;
	}
	if (n == 0)
		return ms_err_at(p->err, lpos, "#include: missing file name");
	name = ms_xstrndup(s, n);
	if (name[0] == '/') {
		shown = ms_xstrdup(name);
	} else {
		tmp = ms_xstrdup(lpos->file);
		dir = dirname(tmp);
		shown = strcmp(dir, ".") ? ms_xasprintf("%s/%s", dir, name) : ms_xstrdup(name);
		free(tmp);
	}
	canon = realpath(shown, NULL);
	if (!canon) {
		rc = ms_err_at(p->err, &fpos, "cannot include '%s' (%s): %s", name, shown, strerror(errno));
		goto out;
	}
	for (int i = 0; i < p->depth; i++) {
		if (strcmp(p->stack[i], canon))
			continue;
		struct ms_buf chain = {0};

		for (int j = i; j < p->depth; j++)
			ms_buf_printf(&chain, "%s -> ", p->stack[j]);
		ms_buf_puts(&chain, canon);
		rc = ms_err_at(p->err, &fpos, "include cycle: %s", chain.s);
		ms_buf_free(&chain);
		goto out;
	}
	if (p->depth >= MS_MAX_INCLUDE_DEPTH) {
		rc = ms_err_at(p->err, &fpos, "#include nested deeper than %d files", MS_MAX_INCLUDE_DEPTH);
		goto out;
	}
	/* the included text can find its own directory in MS_INCLUDE_DIR */
	ms_buf_printf(&p->body, "%s\n", line);
	ms_include_dir(&p->body, canon);
	rc = ms_parse_one(p, shown, canon);
	if (rc == 0) {
		ms_buf_printf(&p->body, "# end of %s\n", name);
		ms_include_dir(&p->body, p->stack[p->depth - 1]);
	}
out:
	free(canon);
	free(shown);
	free(name);
	return rc;
}

/* Is this a block header "name:" at column 0? Sets *inline_val to text after ':'. */
static int ms_block_header(const char *line, const char **inline_val, size_t *namelen)
{
	const char *s = line;

	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	while (isalnum((unsigned char)*s) || *s == '_')
		s++;
	if (*s != ':')
		return 0;
	*namelen = (size_t)(s - line);
	s++;
	while (*s == ' ' || *s == '\t')
		s++;
	*inline_val = s;
	return 1;
}

static int ms_is_end(const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, "end", 3))
		return 0;
	line += 3;
	while (*line == ' ' || *line == '\t' || *line == '\r')
		line++;
	return *line == '\0';
}

static int ms_known_block(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(ms_blocks) / sizeof(ms_blocks[0]); i++)
		if (strlen(ms_blocks[i].name) == n && !strncmp(name, ms_blocks[i].name, n))
			return (int)i;
	return -1;
}

/*
 * Does an unknown "word:" line open a block? Only if an "end" line follows
 * before the next "word:" line: a misspelt block. Otherwise it is body
 * text, such as "else:" at column 0 in a Python heredoc.
 */
static bool ms_opens_block(const char *rest)
{
	while (rest && *rest) {
		const char *nl = strchr(rest, '\n');
		size_t n = nl ? (size_t)(nl - rest) : strlen(rest);
		char *line = ms_xstrndup(rest, n);
		const char *val;
		size_t nl2;
		bool end = ms_is_end(line);
		bool hdr = ms_block_header(line, &val, &nl2);

		free(line);
		if (end)
			return true;
		if (hdr)
			return false;
		rest = nl ? nl + 1 : NULL;
	}
	return false;
}

static int ms_parse_text(struct ms_parser *p, const char *file, char *text)
{
	int in_block = -1;	/* index into ms_blocks, or -1 */
	struct ms_pos hdr = {0};
	struct ms_buf blk = {0};
	int lineno = 0;
	char *line = text, *next;

	for (; line && *line; line = next) {
		struct ms_pos lpos;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		lpos = (struct ms_pos){ file, lineno, 1 };

		if (in_block >= 0) {
			if (ms_is_end(line)) {
				int rc = ms_yaml_block(p->sc, ms_blocks[in_block].kind,
						       blk.s ? blk.s : "", &hdr, p->err);

				ms_buf_free(&blk);
				if (rc < 0)
					return -1;
				in_block = -1;
				continue;
			}
			ms_buf_printf(&blk, "%s\n", line);
			continue;
		}
		if (!strncmp(line, "#include", 8) &&
		    (line[8] == '\0' || line[8] == ' ' || line[8] == '\t')) {
			if (ms_do_include(p, line, &lpos) < 0)
				return -1;
			continue;
		}
		const char *val;
		size_t nl;

		if (ms_block_header(line, &val, &nl)) {
			int k = -1;
			bool empty = *val == '\0' || *val == '#' || *val == '\r';

			k = ms_known_block(line, nl);
			if (k < 0 && empty && ms_opens_block(next))
				return ms_err_at(p->err, &lpos,
						 "unknown block '%.*s:' (expected params, default_params, exclude, include or timeout)",
						 (int)nl, line);
			if (k >= 0 && empty) {
				in_block = k;
				hdr = lpos;
				continue;
			}
			if (k >= 0 && ms_blocks[k].kind == MS_BLOCK_TIMEOUT) {
				struct ms_pos vpos = { file, lineno, (int)(val - line) + 1 };
				char *v = ms_xstrdup(val);
				size_t n = strlen(v);
				int rc;

				while (n && isspace((unsigned char)v[n - 1]))
					v[--n] = '\0';
				rc = ms_parse_timeout(v, &vpos, &p->sc->timeout, p->err);
				free(v);
				if (rc < 0)
					return -1;
				continue;
			}
			if (k >= 0) {
				struct ms_pos vpos = { file, lineno, (int)(val - line) + 1 };

				return ms_err_at(p->err, &vpos,
						 "'%s:' starts a block: put its content on the following lines and close it with a line 'end'",
						 ms_blocks[k].name);
			}
		}
		ms_buf_printf(&p->body, "%s\n", line);
	}
	if (in_block >= 0) {
		ms_buf_free(&blk);
		return ms_err_at(p->err, &hdr, "unterminated '%s:' block: no 'end' line before the end of the file",
				 ms_blocks[in_block].name);
	}
	return 0;
}

static int ms_parse_one(struct ms_parser *p, const char *shown, const char *canon)
{
	const char *file = ms_intern_file(p->sc, shown);
	char *text = ms_read_file(shown, NULL);
	int rc;

	if (!text)
		return ms_err(p->err, "%s: cannot read: %s", shown, strerror(errno));
	p->stack[p->depth++] = canon;
	rc = ms_parse_text(p, file, text);
	p->depth--;
	free(text);
	return rc;
}

struct ms_scenario *ms_parse_file(const char *path, struct ms_error *err)
{
	struct ms_parser p = { .err = err };
	struct ms_scenario *sc = ms_xcalloc(1, sizeof(*sc));
	char *tmp, *base;
	size_t n;

	p.sc = sc;
	sc->path = ms_xstrdup(path);
	sc->abspath = realpath(path, NULL);
	if (!sc->abspath) {
		ms_err(err, "%s: cannot read: %s", path, strerror(errno));
		ms_scenario_free(sc);
		return NULL;
	}
	tmp = ms_xstrdup(path);
	base = basename(tmp);
	n = strlen(base);
	if (n > 3 && !strcmp(base + n - 3, ".ms"))
		base[n - 3] = '\0';
	sc->name = ms_xstrdup(base);
	ms_sanitize(sc->name);
	free(tmp);

	if (ms_parse_one(&p, path, sc->abspath) < 0) {
		ms_buf_free(&p.body);
		ms_scenario_free(sc);
		return NULL;
	}
	sc->body = ms_buf_take(&p.body);
	return sc;
}
