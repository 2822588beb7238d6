/* SPDX-License-Identifier: BSD-3-Clause */
#include "ms_yaml.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static const char *const ms_block_names[] = {
	[MS_BLOCK_PARAMS] = "params",
	[MS_BLOCK_DEFAULTS] = "default_params",
	[MS_BLOCK_EXCLUDE] = "exclude",
	[MS_BLOCK_INCLUDE] = "include",
	[MS_BLOCK_TIMEOUT] = "timeout",
};

/* Block content starts on the line after the header; libyaml marks are 0-based. */
static struct ms_pos ms_mark_pos(const struct ms_pos *hdr, yaml_mark_t m)
{
	struct ms_pos p = { hdr->file, hdr->line + 1 + (int)m.line, (int)m.column + 1 };

	return p;
}

static const char *ms_node_str(yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

int ms_parse_timeout(const char *s, const struct ms_pos *pos, double *out,
		     struct ms_error *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0)
		return ms_err_at(err, pos, "timeout must be a positive number of seconds, got '%s'", s);
	*out = v;
	return 0;
}

/* Scalar → scalar value; sequence of scalars → list value (a bash array). */
static int ms_node_value(yaml_document_t *doc, yaml_node_t *n, const struct ms_pos *hdr,
			 const char *key, struct ms_value *out, struct ms_error *err)
{
	struct ms_pos pos = ms_mark_pos(hdr, n->start_mark);

	memset(out, 0, sizeof(*out));
	if (n->type == YAML_SCALAR_NODE) {
		ms_value_scalar(out, ms_node_str(n));
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return ms_err_at(err, &pos, "value of '%s' must be a scalar or a list of scalars", key);
	out->is_list = true;
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(doc, *it);

		if (e->type != YAML_SCALAR_NODE) {
			struct ms_pos ep = ms_mark_pos(hdr, e->start_mark);

			ms_value_free(out);
			return ms_err_at(err, &ep, "list value of '%s' may only hold scalars", key);
		}
		out->items = ms_xrealloc(out->items, (out->n + 1) * sizeof(char *));
		out->items[out->n++] = ms_xstrdup(ms_node_str(e));
	}
	return 0;
}

/* Check a mapping: scalar keys that are shell identifiers, no duplicates. */
static int ms_check_mapping(yaml_document_t *doc, yaml_node_t *map, const struct ms_pos *hdr,
			    const char *what, struct ms_error *err)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		struct ms_pos kp = ms_mark_pos(hdr, k->start_mark);

		if (k->type != YAML_SCALAR_NODE)
			return ms_err_at(err, &kp, "%s: keys must be plain names", what);
		if (!ms_is_identifier(ms_node_str(k)))
			return ms_err_at(err, &kp, "%s: '%s' is not a valid name (letters, digits and _ only, not starting with a digit)",
					 what, ms_node_str(k));
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = yaml_document_get_node(doc, q->key);

			if (k2->type == YAML_SCALAR_NODE && !strcmp(ms_node_str(k2), ms_node_str(k))) {
				struct ms_pos fp = ms_mark_pos(hdr, k2->start_mark);

				return ms_err_at(err, &kp, "%s: duplicate key '%s' (first at line %d)",
						 what, ms_node_str(k), fp.line);
			}
		}
	}
	return 0;
}

static int ms_do_params(struct ms_scenario *sc, yaml_document_t *doc, yaml_node_t *root,
			const struct ms_pos *hdr, struct ms_error *err)
{
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		struct ms_pos kp = ms_mark_pos(hdr, k->start_mark);
		struct ms_pos vp = ms_mark_pos(hdr, v->start_mark);
		const char *key = ms_node_str(k);
		struct ms_param *par;

		for (size_t i = 0; i < sc->nparams; i++)
			if (!strcmp(sc->params[i].key, key))
				return ms_err_at(err, &kp, "params: duplicate parameter '%s' (first at %s:%d:%d)",
						 key, sc->params[i].pos.file, sc->params[i].pos.line,
						 sc->params[i].pos.col);
		sc->params = ms_xrealloc(sc->params, (sc->nparams + 1) * sizeof(*sc->params));
		par = &sc->params[sc->nparams];
		memset(par, 0, sizeof(*par));
		par->pos = kp;
		if (v->type == YAML_SCALAR_NODE) {
			par->vals = ms_xcalloc(1, sizeof(*par->vals));
			ms_value_scalar(&par->vals[0], ms_node_str(v));
			par->nvals = 1;
		} else if (v->type == YAML_SEQUENCE_NODE) {
			size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);

			if (n == 0)
				return ms_err_at(err, &vp, "params: parameter '%s' has an empty list of values", key);
			par->vals = ms_xcalloc(n, sizeof(*par->vals));
			for (size_t i = 0; i < n; i++) {
				yaml_node_t *e = yaml_document_get_node(doc, v->data.sequence.items.start[i]);

				if (e->type == YAML_SEQUENCE_NODE &&
				    e->data.sequence.items.top == e->data.sequence.items.start) {
					struct ms_pos ep = ms_mark_pos(hdr, e->start_mark);

					for (size_t j = 0; j < i; j++)
						ms_value_free(&par->vals[j]);
					free(par->vals);
					return ms_err_at(err, &ep, "params: parameter '%s' has an empty list as a value", key);
				}
				if (ms_node_value(doc, e, hdr, key, &par->vals[i], err) < 0) {
					for (size_t j = 0; j < i; j++)
						ms_value_free(&par->vals[j]);
					free(par->vals);
					return -1;
				}
			}
			par->nvals = n;
		} else {
			return ms_err_at(err, &vp, "params: '%s' must be a list of values (or one scalar)", key);
		}
		par->key = ms_xstrdup(key);
		sc->nparams++;
	}
	return 0;
}

/* A mapping of key → scalar-or-list, merged into @p out (later keys win when @p replace). */
static int ms_do_kvmap(yaml_document_t *doc, yaml_node_t *map, const struct ms_pos *hdr,
		       const char *what, struct ms_kvlist *out, struct ms_error *err)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		struct ms_pos kp = ms_mark_pos(hdr, k->start_mark);
		struct ms_value val;
		struct ms_kv *kv;

		if (v->type == YAML_SEQUENCE_NODE &&
		    v->data.sequence.items.top == v->data.sequence.items.start) {
			struct ms_pos vp = ms_mark_pos(hdr, v->start_mark);

			return ms_err_at(err, &vp, "%s: '%s' has an empty list", what, ms_node_str(k));
		}
		if (ms_node_value(doc, v, hdr, ms_node_str(k), &val, err) < 0)
			return -1;
		ms_kvlist_set(out, ms_node_str(k), &val, &kp);
		kv = ms_kvlist_find(out, ms_node_str(k));
		kv->vpos = ms_mark_pos(hdr, v->start_mark);
		ms_value_free(&val);
	}
	return 0;
}

static int ms_do_matrix_list(struct ms_scenario *sc, enum ms_block kind, yaml_document_t *doc,
			     yaml_node_t *root, const struct ms_pos *hdr, struct ms_error *err)
{
	const char *what = ms_block_names[kind];
	struct ms_kvlist **list = kind == MS_BLOCK_EXCLUDE ? &sc->excludes : &sc->includes;
	size_t *n = kind == MS_BLOCK_EXCLUDE ? &sc->nexcludes : &sc->nincludes;
	struct ms_pos rp = ms_mark_pos(hdr, root->start_mark);

	if (root->type != YAML_SEQUENCE_NODE)
		return ms_err_at(err, &rp, "%s: expected a list of mappings (\"- key: value\")", what);
	if (root->data.sequence.items.top == root->data.sequence.items.start)
		return ms_err_at(err, &rp, "%s: empty list", what);
	for (yaml_node_item_t *it = root->data.sequence.items.start;
	     it < root->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(doc, *it);
		struct ms_pos ep = ms_mark_pos(hdr, e->start_mark);
		struct ms_kvlist entry = {0};

		if (e->type != YAML_MAPPING_NODE)
			return ms_err_at(err, &ep, "%s: each entry must be a mapping of parameter: value", what);
		if (e->data.mapping.pairs.top == e->data.mapping.pairs.start)
			return ms_err_at(err, &ep, "%s: empty entry", what);
		if (ms_check_mapping(doc, e, hdr, what, err) < 0)
			return -1;
		entry.pos = ep;
		if (ms_do_kvmap(doc, e, hdr, what, &entry, err) < 0) {
			ms_kvlist_free(&entry);
			return -1;
		}
		*list = ms_xrealloc(*list, (*n + 1) * sizeof(**list));
		(*list)[(*n)++] = entry;
	}
	return 0;
}

static int ms_yaml_error(yaml_parser_t *parser, const struct ms_pos *hdr, struct ms_error *err)
{
	struct ms_pos pos = ms_mark_pos(hdr, parser->problem_mark);
	const char *problem = parser->problem ? parser->problem : "malformed YAML";

	if (parser->context)
		return ms_err_at(err, &pos, "bad YAML: %s %s", problem, parser->context);
	return ms_err_at(err, &pos, "bad YAML: %s", problem);
}

int ms_yaml_block(struct ms_scenario *sc, enum ms_block kind, const char *text,
		  const struct ms_pos *hdr, struct ms_error *err)
{
	const char *what = ms_block_names[kind];
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = -1;

	if (!yaml_parser_initialize(&parser))
		return ms_err(err, "libyaml: cannot initialise the parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
	if (!yaml_parser_load(&parser, &doc)) {
		ms_yaml_error(&parser, hdr, err);
		yaml_parser_delete(&parser);
		return -1;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		rc = ms_err_at(err, hdr, "empty '%s:' block", what);
		goto out;
	}
	struct ms_pos rp = ms_mark_pos(hdr, root->start_mark);

	switch (kind) {
	case MS_BLOCK_PARAMS:
	case MS_BLOCK_DEFAULTS:
		if (root->type != YAML_MAPPING_NODE) {
			rc = ms_err_at(err, &rp, "%s: expected a mapping (\"name: value\" lines)", what);
			goto out;
		}
		if (ms_check_mapping(&doc, root, hdr, what, err) < 0)
			goto out;
		if (kind == MS_BLOCK_PARAMS)
			rc = ms_do_params(sc, &doc, root, hdr, err);
		else
			rc = ms_do_kvmap(&doc, root, hdr, what, &sc->defaults, err);
		break;
	case MS_BLOCK_EXCLUDE:
	case MS_BLOCK_INCLUDE:
		rc = ms_do_matrix_list(sc, kind, &doc, root, hdr, err);
		break;
	case MS_BLOCK_TIMEOUT:
		if (root->type != YAML_SCALAR_NODE) {
			rc = ms_err_at(err, &rp, "timeout: expected a number of seconds");
			goto out;
		}
		rc = ms_parse_timeout(ms_node_str(root), &rp, &sc->timeout, err);
		break;
	}
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}
