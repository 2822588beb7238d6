/* SPDX-License-Identifier: BSD-3-Clause */
#include "ms_json.h"

json_t *ms_json_value(const struct ms_value *v)
{
	json_t *a;

	if (!v->is_list)
		return json_string(v->items[0]);
	a = json_array();
	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->items[i]));
	return a;
}

json_t *ms_json_kvlist(const struct ms_kvlist *l)
{
	json_t *o = json_object();

	for (size_t i = 0; i < l->n; i++)
		json_object_set_new(o, l->v[i].key, ms_json_value(&l->v[i].val));
	return o;
}

json_t *ms_json_case(const struct ms_case *c)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:o, s:o}",
			 "id", c->id,
			 "scenario", c->sc->name,
			 "file", c->sc->path,
			 "index", (json_int_t)c->index,
			 "params", ms_json_kvlist(&c->vals),
			 "timeout", c->timeout > 0 ? json_real(c->timeout) : json_null());
}
