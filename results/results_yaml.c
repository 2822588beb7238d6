/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results_yaml.h"

int res_yaml_load(struct res_yaml *y, const char *file)
{
	yaml_parser_t p;
	FILE *f = fopen(file, "r");
	int rc = 0;

	memset(y, 0, sizeof(*y));
	y->file = file;
	if (f == NULL) {
		fprintf(stderr, "%s: cannot open: %s\n", file, strerror(errno));
		return -1;
	}
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	if (!yaml_parser_load(&p, &y->doc)) {
		fprintf(stderr, "%s:%zu:%zu: YAML error: %s%s%s\n", file, p.problem_mark.line + 1,
			p.problem_mark.column + 1, p.problem ? p.problem : "syntax error",
			p.context ? " " : "", p.context ? p.context : "");
		rc = -1;
	} else {
		y->loaded = 1;
	}
	yaml_parser_delete(&p);
	fclose(f);
	return rc;
}

void res_yaml_free(struct res_yaml *y)
{
	if (y->loaded)
		yaml_document_delete(&y->doc);
	y->loaded = 0;
}

yaml_node_t *res_yaml_root(struct res_yaml *y)
{
	return y->loaded ? yaml_document_get_root_node(&y->doc) : NULL;
}

int res_yaml_line(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 1;
}

const char *res_yaml_str(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

void res_yaml_err(struct res_yaml *y, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", y->file, res_yaml_line(n));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

yaml_node_t *res_yaml_get(struct res_yaml *y, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pr;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		const char *k = res_yaml_str(yaml_document_get_node(&y->doc, pr->key));

		if (k != NULL && strcmp(k, key) == 0)
			return yaml_document_get_node(&y->doc, pr->value);
	}
	return NULL;
}

int res_yaml_keys(struct res_yaml *y, yaml_node_t *map, const char *what,
		  const char *const *allowed)
{
	yaml_node_pair_t *pr;
	const char *const *a;

	if (map == NULL || map->type != YAML_MAPPING_NODE) {
		res_yaml_err(y, map, "%s: expected a mapping (key: value)", what);
		return -1;
	}
	for (pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *kn = yaml_document_get_node(&y->doc, pr->key);
		const char *k = res_yaml_str(kn);

		for (a = allowed; k != NULL && *a != NULL && strcmp(*a, k) != 0; a++)
			;
		if (k == NULL || *a == NULL) {
			char list[256] = "";

			for (a = allowed; *a; a++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
					 a == allowed ? "" : ", ", *a);
			res_yaml_err(y, kn, "%s: unknown key '%s' (allowed: %s)", what, k ? k : "?", list);
			return -1;
		}
	}
	return 0;
}

int res_yaml_num(struct res_yaml *y, yaml_node_t *map, const char *key, double lo, double hi,
		 double *out)
{
	yaml_node_t *n = res_yaml_get(y, map, key);
	const char *s = res_yaml_str(n);
	char *end;
	double v;

	if (n == NULL)
		return 0;
	errno = 0;
	v = s ? strtod(s, &end) : 0;
	if (s == NULL || end == s || *end != '\0' || errno != 0 || v < lo || v > hi) {
		res_yaml_err(y, n, "key '%s': value '%s' is not a number in [%g, %g]", key,
			     s ? s : "(not a scalar)", lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}
