/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ms-list: show the cases of matrix-shell scenario files.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms_json.h"
#include "ms_plan.h"
#include "ms_script.h"

static void ms_list_usage(FILE *f)
{
	fputs("usage: ms-list [--short|--shell|--json] [--count] [-g REGEX] [--var k=v]... FILE...\n"
	      "  --short      case ids, one per line (default)\n"
	      "  --shell      the generated script of every case\n"
	      "  --json       cases as a JSON array (with --shell: including scripts)\n"
	      "  --count      only the number of cases\n"
	      "  -g REGEX     keep cases whose id matches the POSIX extended REGEX\n"
	      "  --var k=v    override variable k in the generated scripts\n", f);
}

int main(int argc, char **argv)
{
	enum { OPT_SHORT = 256, OPT_SHELL, OPT_JSON, OPT_COUNT, OPT_VAR };
	static const struct option opts[] = {
		{ "short", no_argument, NULL, OPT_SHORT },
		{ "shell", no_argument, NULL, OPT_SHELL },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "count", no_argument, NULL, OPT_COUNT },
		{ "var", required_argument, NULL, OPT_VAR },
		{ "grep", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ms_plan plan = {0};
	struct ms_error err = {{0}};
	bool shell = false, json = false, count = false;
	const char *regex = NULL;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "g:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_SHORT: shell = false; break;
		case OPT_SHELL: shell = true; break;
		case OPT_JSON: json = true; break;
		case OPT_COUNT: count = true; break;
		case 'g': regex = optarg; break;
		case OPT_VAR:
			if (ms_plan_add_var(&plan, optarg, &err) < 0) {
				fprintf(stderr, "ms-list: %s\n", err.msg);
				ms_plan_free(&plan);
				return MS_EXIT_USAGE;
			}
			break;
		case 'h':
			ms_list_usage(stdout);
			ms_plan_free(&plan);
			return 0;
		default:
			ms_list_usage(stderr);
			ms_plan_free(&plan);
			return MS_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs("ms-list: no scenario FILE given\n", stderr);
		ms_list_usage(stderr);
		ms_plan_free(&plan);
		return MS_EXIT_USAGE;
	}
	if (ms_plan_load(&plan, argv + optind, (size_t)(argc - optind), regex, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		ms_plan_free(&plan);
		return MS_EXIT_USAGE;
	}

	if (count && json) {
		printf("{\"count\": %zu}\n", plan.nsel);
	} else if (count) {
		printf("%zu\n", plan.nsel);
	} else if (json) {
		json_t *a = json_array();

		for (size_t i = 0; i < plan.nsel; i++) {
			json_t *o = ms_json_case(plan.sel[i]);

			if (shell) {
				char *s = ms_script_render(plan.sel[i], &plan.vars);

				json_object_set_new(o, "script", json_string(s));
				free(s);
			}
			json_array_append_new(a, o);
		}
		if (json_dumpf(a, stdout, JSON_INDENT(2)) < 0)
			rc = 1;
		putchar('\n');
		json_decref(a);
	} else if (shell) {
		for (size_t i = 0; i < plan.nsel; i++) {
			char *s = ms_script_render(plan.sel[i], &plan.vars);

			printf("%s### ==== case %s ====\n%s", i ? "\n" : "", plan.sel[i]->id, s);
			free(s);
		}
	} else {
		for (size_t i = 0; i < plan.nsel; i++)
			puts(plan.sel[i]->id);
	}
	if (fflush(stdout) != 0)
		rc = 1;
	ms_plan_free(&plan);
	return rc;
}
