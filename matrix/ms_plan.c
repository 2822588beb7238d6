/* SPDX-License-Identifier: BSD-3-Clause */
#include "ms_plan.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "ms_expand.h"
#include "ms_parse.h"

int ms_plan_add_var(struct ms_plan *p, const char *arg, struct ms_error *err)
{
	const char *eq = strchr(arg, '=');
	struct ms_value v;
	char *key;

	if (!eq)
		return ms_err(err, "--var '%s': expected NAME=VALUE", arg);
	key = ms_xstrndup(arg, (size_t)(eq - arg));
	if (!ms_is_identifier(key)) {
		ms_err(err, "--var '%s': '%s' is not a valid shell variable name", arg, key);
		free(key);
		return -1;
	}
	ms_value_scalar(&v, eq + 1);
	ms_kvlist_set(&p->vars, key, &v, NULL);
	ms_value_free(&v);
	free(key);
	return 0;
}

int ms_plan_load(struct ms_plan *p, char *const *files, size_t nfiles, const char *regex,
		 struct ms_error *err)
{
	regex_t re;

	if (regex) {
		int rc = regcomp(&re, regex, REG_EXTENDED | REG_NOSUB);

		if (rc) {
			char msg[256];

			regerror(rc, &re, msg, sizeof(msg));
			return ms_err(err, "-g '%s': bad regular expression: %s", regex, msg);
		}
	}
	for (size_t i = 0; i < nfiles; i++) {
		struct ms_scenario *sc = ms_parse_file(files[i], err);
		size_t first = p->all.n;

		if (!sc)
			goto fail;
		p->scs = ms_xrealloc(p->scs, (p->nsc + 1) * sizeof(*p->scs));
		p->scs[p->nsc++] = sc;
		if (ms_expand(sc, &p->all, err) < 0)
			goto fail;
		/* the same scenario name in two files would mix their results */
		for (size_t j = 0; j < first; j++)
			if (!strcmp(p->all.v[j].sc->name, sc->name) && p->all.v[j].sc != sc) {
				ms_err(err, "%s and %s both have the scenario name '%s'; case ids would clash",
				       p->all.v[j].sc->path, sc->path, sc->name);
				goto fail;
			}
	}
	p->sel = ms_xcalloc(p->all.n, sizeof(*p->sel));
	for (size_t i = 0; i < p->all.n; i++)
		if (!regex || regexec(&re, p->all.v[i].id, 0, NULL, 0) == 0)
			p->sel[p->nsel++] = &p->all.v[i];
	if (regex)
		regfree(&re);
	return 0;
fail:
	if (regex)
		regfree(&re);
	return -1;
}

void ms_plan_free(struct ms_plan *p)
{
	ms_caselist_free(&p->all);
	for (size_t i = 0; i < p->nsc; i++)
		ms_scenario_free(p->scs[i]);
	free(p->scs);
	free(p->sel);
	ms_kvlist_free(&p->vars);
	memset(p, 0, sizeof(*p));
}
