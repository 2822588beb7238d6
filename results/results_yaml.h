/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Thin helpers over libyaml's document API for the gate configuration files:
 * load a file, look keys up, and report mistakes as `file:line: key: ...`.
 */
#ifndef RESULTS_YAML_H
#define RESULTS_YAML_H

#include <yaml.h>

/** A loaded YAML file. */
struct res_yaml {
	const char *file;
	yaml_document_t doc;
	int loaded;
};

/** Load @p file. 0, or -1 after printing `file:line:col: problem`. */
int res_yaml_load(struct res_yaml *y, const char *file);

/** Free the document. */
void res_yaml_free(struct res_yaml *y);

/** Root node, or NULL for an empty document. */
yaml_node_t *res_yaml_root(struct res_yaml *y);

/** 1-based line of @p n. */
int res_yaml_line(const yaml_node_t *n);

/** Value node of @p key in mapping @p map, or NULL. */
yaml_node_t *res_yaml_get(struct res_yaml *y, yaml_node_t *map, const char *key);

/** Scalar text of @p n, or NULL when @p n is not a scalar. */
const char *res_yaml_str(const yaml_node_t *n);

/** Print `file:line: <fmt>` to stderr. */
void res_yaml_err(struct res_yaml *y, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * Check that mapping @p map only has keys from the NULL-terminated @p allowed.
 * @p what names the mapping in messages. 0, or -1 after a message.
 */
int res_yaml_keys(struct res_yaml *y, yaml_node_t *map, const char *what,
		  const char *const *allowed);

/**
 * Number at @p key of @p map into @p out (left alone when the key is absent),
 * required to lie in [lo, hi]. 0, or -1 after a message.
 */
int res_yaml_num(struct res_yaml *y, yaml_node_t *map, const char *key, double lo, double hi,
		 double *out);

#endif
