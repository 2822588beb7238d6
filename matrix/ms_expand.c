/* SPDX-License-Identifier: BSD-3-Clause */
#include "ms_expand.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms_parse.h"
#include "ms_yaml.h"

/** A combination under construction and where it came from. */
struct ms_combo {
	struct ms_kvlist kv;
	struct ms_pos origin;
};

struct ms_combos {
	struct ms_combo *v;
	size_t n;
	size_t cap;
};

static struct ms_combo *ms_combos_push(struct ms_combos *c)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = ms_xrealloc(c->v, c->cap * sizeof(*c->v));
	}
	memset(&c->v[c->n], 0, sizeof(c->v[0]));
	return &c->v[c->n++];
}

static void ms_combos_free(struct ms_combos *c)
{
	for (size_t i = 0; i < c->n; i++)
		ms_kvlist_free(&c->v[i].kv);
	free(c->v);
}

char *ms_value_text(const struct ms_value *v)
{
	struct ms_buf b = {0};

	for (size_t i = 0; i < v->n; i++) {
		if (i)
			ms_buf_putc(&b, ',');
		ms_buf_puts(&b, v->items[i]);
	}
	return ms_buf_take(&b);
}

static uint64_t ms_fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

char *ms_case_id(const char *name, const struct ms_kvlist *vals)
{
	struct ms_buf part = {0};
	char *n = ms_xstrdup(name), *id;

	ms_sanitize(n);
	for (size_t i = 0; i < vals->n; i++) {
		char *v = ms_value_text(&vals->v[i].val);

		if (i)
			ms_buf_puts(&part, "__");
		ms_buf_printf(&part, "%s=%s", vals->v[i].key, v);
		free(v);
	}
	if (!part.s)
		ms_buf_puts(&part, "default");
	ms_sanitize(part.s);
	if (part.len > MS_ID_MAX_PART) {
		/* keep ids within a file name's limit, unique via a hash of the whole */
		uint64_t h = ms_fnv1a(part.s);

		part.len = MS_ID_MAX_PART - 17;
		part.s[part.len] = '\0';
		ms_buf_printf(&part, "~%016" PRIx64, h);
	}
	id = ms_xasprintf("%s/%s", n, part.s);
	free(n);
	ms_buf_free(&part);
	return id;
}

static bool ms_is_param(const struct ms_scenario *sc, const char *key)
{
	for (size_t i = 0; i < sc->nparams; i++)
		if (!strcmp(sc->params[i].key, key))
			return true;
	return false;
}

static void ms_product(const struct ms_scenario *sc, struct ms_combos *out)
{
	size_t total = 1;

	if (sc->nparams == 0)
		return;
	for (size_t i = 0; i < sc->nparams; i++)
		total *= sc->params[i].nvals;
	for (size_t c = 0; c < total; c++) {
		struct ms_combo *cb = ms_combos_push(out);
		size_t rest = c;

		/* mixed-radix decode, last parameter varying fastest */
		size_t *idx = ms_xcalloc(sc->nparams, sizeof(size_t));

		for (size_t i = sc->nparams; i-- > 0;) {
			idx[i] = rest % sc->params[i].nvals;
			rest /= sc->params[i].nvals;
		}
		for (size_t i = 0; i < sc->nparams; i++)
			ms_kvlist_add(&cb->kv, sc->params[i].key, &sc->params[i].vals[idx[i]],
				      &sc->params[i].pos);
		cb->origin = sc->params[0].pos;
		free(idx);
	}
}

static bool ms_entry_matches(const struct ms_kvlist *entry, const struct ms_kvlist *kv)
{
	for (size_t i = 0; i < entry->n; i++) {
		struct ms_kv *have = ms_kvlist_find(kv, entry->v[i].key);

		if (!have || !ms_value_equal(&have->val, &entry->v[i].val))
			return false;
	}
	return true;
}

static int ms_apply_excludes(const struct ms_scenario *sc, struct ms_combos *cs, struct ms_error *err)
{
	for (size_t e = 0; e < sc->nexcludes; e++) {
		const struct ms_kvlist *ex = &sc->excludes[e];
		size_t w = 0;

		for (size_t i = 0; i < ex->n; i++)
			if (!ms_is_param(sc, ex->v[i].key))
				return ms_err_at(err, &ex->v[i].pos, "exclude: '%s' is not a parameter of params:",
						 ex->v[i].key);
		for (size_t i = 0; i < cs->n; i++) {
			if (ms_entry_matches(ex, &cs->v[i].kv))
				ms_kvlist_free(&cs->v[i].kv);
			else
				cs->v[w++] = cs->v[i];
		}
		cs->n = w;
	}
	return 0;
}

static void ms_apply_includes(const struct ms_scenario *sc, struct ms_combos *cs)
{
	size_t base = cs->n;	/* only original combinations are extended */

	for (size_t e = 0; e < sc->nincludes; e++) {
		const struct ms_kvlist *in = &sc->includes[e];
		bool used = false;

		for (size_t c = 0; c < base; c++) {
			struct ms_kvlist *kv = &cs->v[c].kv;
			bool ok = true;

			for (size_t i = 0; i < in->n && ok; i++) {
				struct ms_kv *have;

				if (!ms_is_param(sc, in->v[i].key))
					continue;
				have = ms_kvlist_find(kv, in->v[i].key);
				ok = have && ms_value_equal(&have->val, &in->v[i].val);
			}
			if (!ok)
				continue;
			for (size_t i = 0; i < in->n; i++)
				ms_kvlist_set(kv, in->v[i].key, &in->v[i].val, &in->v[i].pos);
			used = true;
		}
		if (!used) {
			struct ms_combo *cb = ms_combos_push(cs);

			ms_kvlist_copy(&cb->kv, in);
			cb->origin = in->pos;
		}
	}
}

/* Reorder pairs: params in file order, then added keys by first appearance. */
static void ms_canonical_order(const struct ms_scenario *sc, struct ms_kvlist *kv)
{
	struct ms_kvlist out = {0};
	const char **order = NULL;
	size_t n = 0;

	for (size_t i = 0; i < sc->nparams; i++) {
		order = ms_xrealloc(order, (n + 1) * sizeof(char *));
		order[n++] = sc->params[i].key;
	}
	for (size_t e = 0; e < sc->nincludes; e++)
		for (size_t i = 0; i < sc->includes[e].n; i++) {
			const char *k = sc->includes[e].v[i].key;
			bool seen = false;

			for (size_t j = 0; j < n && !seen; j++)
				seen = !strcmp(order[j], k);
			if (!seen) {
				order = ms_xrealloc(order, (n + 1) * sizeof(char *));
				order[n++] = k;
			}
		}
	for (size_t j = 0; j < n; j++) {
		struct ms_kv *have = ms_kvlist_find(kv, order[j]);

		if (have) {
			ms_kvlist_add(&out, have->key, &have->val, &have->pos);
			out.v[out.n - 1].vpos = have->vpos;
		}
	}
	free(order);
	ms_kvlist_free(kv);
	*kv = out;
}

static int ms_case_timeout(const struct ms_scenario *sc, const struct ms_kvlist *kv, double *out,
			   struct ms_error *err)
{
	const struct ms_kv *t = ms_kvlist_find(kv, "ms_timeout");

	if (!t)
		t = ms_kvlist_find(&sc->defaults, "ms_timeout");
	*out = sc->timeout;
	if (!t)
		return 0;
	if (t->val.is_list)
		return ms_err_at(err, &t->vpos, "ms_timeout must be a number of seconds, not a list");
	return ms_parse_timeout(t->val.items[0], &t->vpos, out, err);
}

int ms_expand(const struct ms_scenario *sc, struct ms_caselist *out, struct ms_error *err)
{
	struct ms_combos cs = {0};
	size_t first = out->n;
	int rc = -1;

	ms_product(sc, &cs);
	if (ms_apply_excludes(sc, &cs, err) < 0)
		goto out;
	ms_apply_includes(sc, &cs);
	if (cs.n == 0 && sc->nparams == 0) {
		/* no grid at all: the scenario is one case */
		struct ms_combo *cb = ms_combos_push(&cs);

		cb->origin = (struct ms_pos){ sc->files[0], 1, 1 };
	}
	for (size_t i = 0; i < cs.n; i++) {
		struct ms_case *c;

		ms_canonical_order(sc, &cs.v[i].kv);
		if (out->n == out->cap) {
			out->cap = out->cap ? out->cap * 2 : 16;
			out->v = ms_xrealloc(out->v, out->cap * sizeof(*out->v));
		}
		c = &out->v[out->n];
		memset(c, 0, sizeof(*c));
		c->sc = sc;
		c->index = i;
		c->vals = cs.v[i].kv;
		cs.v[i].kv = (struct ms_kvlist){0};
		c->id = ms_case_id(sc->name, &c->vals);
		out->n++;
		if (ms_case_timeout(sc, &c->vals, &c->timeout, err) < 0)
			goto out;
		for (size_t j = first; j < out->n - 1; j++)
			if (!strcmp(out->v[j].id, c->id)) {
				ms_err_at(err, &cs.v[i].origin,
					  "two combinations give the same case id '%s' (values equal once made file-name safe?)",
					  c->id);
				goto out;
			}
	}
	rc = 0;
out:
	ms_combos_free(&cs);
	return rc;
}
