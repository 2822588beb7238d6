/* SPDX-License-Identifier: BSD-3-Clause */
#include "ms_model.h"

#include <stdlib.h>
#include <string.h>

void ms_value_free(struct ms_value *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->items[i]);
	free(v->items);
	v->items = NULL;
	v->n = 0;
}

void ms_value_copy(struct ms_value *dst, const struct ms_value *src)
{
	dst->n = src->n;
	dst->is_list = src->is_list;
	dst->items = ms_xcalloc(src->n, sizeof(char *));
	for (size_t i = 0; i < src->n; i++)
		dst->items[i] = ms_xstrdup(src->items[i]);
}

bool ms_value_equal(const struct ms_value *a, const struct ms_value *b)
{
	if (a->n != b->n || a->is_list != b->is_list)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]))
			return false;
	return true;
}

void ms_value_scalar(struct ms_value *v, const char *s)
{
	v->n = 1;
	v->is_list = false;
	v->items = ms_xcalloc(1, sizeof(char *));
	v->items[0] = ms_xstrdup(s);
}

void ms_kvlist_add(struct ms_kvlist *l, const char *key, const struct ms_value *val,
		   const struct ms_pos *pos)
{
	struct ms_kv *kv;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = ms_xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	kv = &l->v[l->n++];
	memset(kv, 0, sizeof(*kv));
	kv->key = ms_xstrdup(key);
	ms_value_copy(&kv->val, val);
	if (pos) {
		kv->pos = *pos;
		kv->vpos = *pos;
	}
}

struct ms_kv *ms_kvlist_find(const struct ms_kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key))
			return &l->v[i];
	return NULL;
}

void ms_kvlist_set(struct ms_kvlist *l, const char *key, const struct ms_value *val,
		   const struct ms_pos *pos)
{
	struct ms_kv *kv = ms_kvlist_find(l, key);

	if (!kv) {
		ms_kvlist_add(l, key, val, pos);
		return;
	}
	ms_value_free(&kv->val);
	ms_value_copy(&kv->val, val);
	if (pos) {
		kv->pos = *pos;
		kv->vpos = *pos;
	}
}

void ms_kvlist_copy(struct ms_kvlist *dst, const struct ms_kvlist *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->pos = src->pos;
	for (size_t i = 0; i < src->n; i++) {
		ms_kvlist_add(dst, src->v[i].key, &src->v[i].val, &src->v[i].pos);
		dst->v[i].vpos = src->v[i].vpos;
	}
}

void ms_kvlist_free(struct ms_kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		ms_value_free(&l->v[i].val);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void ms_scenario_free(struct ms_scenario *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->nparams; i++) {
		for (size_t j = 0; j < sc->params[i].nvals; j++)
			ms_value_free(&sc->params[i].vals[j]);
		free(sc->params[i].vals);
		free(sc->params[i].key);
	}
	free(sc->params);
	ms_kvlist_free(&sc->defaults);
	for (size_t i = 0; i < sc->nexcludes; i++)
		ms_kvlist_free(&sc->excludes[i]);
	free(sc->excludes);
	for (size_t i = 0; i < sc->nincludes; i++)
		ms_kvlist_free(&sc->includes[i]);
	free(sc->includes);
	for (size_t i = 0; i < sc->nfiles; i++)
		free(sc->files[i]);
	free(sc->files);
	free(sc->body);
	free(sc->name);
	free(sc->path);
	free(sc->abspath);
	free(sc);
}

void ms_caselist_free(struct ms_caselist *cl)
{
	for (size_t i = 0; i < cl->n; i++) {
		free(cl->v[i].id);
		ms_kvlist_free(&cl->v[i].vals);
	}
	free(cl->v);
	memset(cl, 0, sizeof(*cl));
}
