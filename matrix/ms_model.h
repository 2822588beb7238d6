/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ms_model.h
 * In-memory form of a parsed .ms scenario and of its expanded cases.
 */
#ifndef MS_MODEL_H
#define MS_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "ms_util.h"

/**
 * A parameter value: a scalar (n == 1, is_list false) or a flat list of
 * scalars (rendered as a bash array).
 */
struct ms_value {
	char **items;
	size_t n;
	bool is_list;
};

/** One key = value pair with where it was written. */
struct ms_kv {
	char *key;
	struct ms_value val;
	struct ms_pos pos;	/**< position of the key */
	struct ms_pos vpos;	/**< position of the value */
};

/** An ordered list of pairs (a mapping that keeps file order). */
struct ms_kvlist {
	struct ms_kv *v;
	size_t n;
	size_t cap;
	struct ms_pos pos;	/**< where the mapping starts */
};

/** A parameter of the params: block and the list of values it takes. */
struct ms_param {
	char *key;
	struct ms_value *vals;
	size_t nvals;
	struct ms_pos pos;
};

/** A parsed scenario file (with its #includes resolved). */
struct ms_scenario {
	char *path;		/**< as given on the command line */
	char *abspath;		/**< canonical path */
	char *name;		/**< basename without .ms, made id-safe */
	struct ms_param *params;
	size_t nparams;
	struct ms_kvlist defaults;
	struct ms_kvlist *excludes;
	size_t nexcludes;
	struct ms_kvlist *includes;
	size_t nincludes;
	double timeout;		/**< seconds; 0 = none */
	char *body;		/**< bash body, includes inlined */
	char **files;		/**< every file read; ms_pos.file points here */
	size_t nfiles;
};

/** One expanded case: a combination of parameter values. */
struct ms_case {
	char *id;		/**< "NAME/k=v__k=v" */
	const struct ms_scenario *sc;
	struct ms_kvlist vals;	/**< the combination, in id order */
	size_t index;		/**< position in the scenario's expansion */
	double timeout;		/**< scenario timeout, or the case's ms_timeout */
};

/** A list of cases. */
struct ms_caselist {
	struct ms_case *v;
	size_t n;
	size_t cap;
};

void ms_value_free(struct ms_value *v);
void ms_value_copy(struct ms_value *dst, const struct ms_value *src);
bool ms_value_equal(const struct ms_value *a, const struct ms_value *b);
/** Make a scalar value. */
void ms_value_scalar(struct ms_value *v, const char *s);

/** Append a pair (copies key and value). */
void ms_kvlist_add(struct ms_kvlist *l, const char *key, const struct ms_value *val,
		   const struct ms_pos *pos);
/** Find a key; NULL when absent. */
struct ms_kv *ms_kvlist_find(const struct ms_kvlist *l, const char *key);
/** Set a key: replace its value if present, else append. */
void ms_kvlist_set(struct ms_kvlist *l, const char *key, const struct ms_value *val,
		   const struct ms_pos *pos);
void ms_kvlist_copy(struct ms_kvlist *dst, const struct ms_kvlist *src);
void ms_kvlist_free(struct ms_kvlist *l);

void ms_scenario_free(struct ms_scenario *sc);
void ms_caselist_free(struct ms_caselist *cl);

#endif
