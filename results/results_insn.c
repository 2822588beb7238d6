/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `results insn-gate`: the deterministic gate. Each command of a YAML list
 * (ci/insn-gates.yaml) runs under valgrind --tool=callgrind; its instruction
 * count (Ir), optionally only inside one function, is compared with a
 * baseline with a tight relative threshold.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

#include <jansson.h>

#include "results_cmd.h"
#include "results_util.h"
#include "results_yaml.h"

#define RES_INSN_SCHEMA "tpa.insn/1"

struct res_insn_gate {
	char *name;
	char **argv;		/* expanded command, NULL-terminated */
	int argc;
	char *collect;		/* function for --toggle-collect, or NULL */
	double threshold;
	int line;
};

struct res_insn_cfg {
	struct res_insn_gate *g;
	size_t n;
};

static void res_insn_cfg_free(struct res_insn_cfg *c)
{
	size_t i;
	int j;

	for (i = 0; i < c->n; i++) {
		for (j = 0; j < c->g[i].argc; j++)
			free(c->g[i].argv[j]);
		free(c->g[i].argv);
		free(c->g[i].name);
		free(c->g[i].collect);
	}
	free(c->g);
	memset(c, 0, sizeof(*c));
}

/* Expand one word of a command (environment variables, quotes; no command substitution). */
static int res_insn_expand(struct res_yaml *y, yaml_node_t *n, const char *s,
			   struct res_insn_gate *g)
{
	wordexp_t we;
	size_t i;
	int rc = wordexp(s, &we, WRDE_NOCMD | WRDE_UNDEF);

	if (rc != 0) {
		res_yaml_err(y, n, "key 'command': cannot expand '%s' (%s)", s,
			     rc == WRDE_BADVAL ? "undefined environment variable" :
			     rc == WRDE_CMDSUB ? "command substitution is not allowed" :
			     "bad quoting or characters");
		if (rc == WRDE_NOSPACE)
			wordfree(&we);
		return -1;
	}
	for (i = 0; i < we.we_wordc; i++) {
		g->argv = res_xrealloc(g->argv, (size_t)(g->argc + 2) * sizeof(*g->argv));
		g->argv[g->argc++] = res_xstrdup(we.we_wordv[i]);
		g->argv[g->argc] = NULL;
	}
	wordfree(&we);
	return 0;
}

static int res_insn_cfg_load(const char *file, struct res_insn_cfg *cfg, double thr_override)
{
	static const char *const top_keys[] = {"threshold", "gates", NULL};
	static const char *const gate_keys[] = {"name", "command", "collect", "threshold", NULL};
	struct res_yaml y;
	yaml_node_t *root, *gates, *n;
	yaml_node_item_t *it;
	double thr = 0.01;
	int rc = -1;
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	if (res_yaml_load(&y, file) < 0)
		return -1;
	root = res_yaml_root(&y);
	if (root == NULL) {
		fprintf(stderr, "%s:1: empty file; expected a mapping with 'gates'\n", file);
		goto out;
	}
	if (res_yaml_keys(&y, root, "top level", top_keys) < 0 ||
	    res_yaml_num(&y, root, "threshold", 0, 10, &thr) < 0)
		goto out;
	gates = res_yaml_get(&y, root, "gates");
	if (gates == NULL || gates->type != YAML_SEQUENCE_NODE ||
	    gates->data.sequence.items.start == gates->data.sequence.items.top) {
		res_yaml_err(&y, gates ? gates : root, "key 'gates': expected a non-empty list");
		goto out;
	}
	for (it = gates->data.sequence.items.start; it < gates->data.sequence.items.top; it++) {
		yaml_node_t *gn = yaml_document_get_node(&y.doc, *it);
		struct res_insn_gate g = {0};
		const char *s;

		cfg->g = res_xrealloc(cfg->g, (cfg->n + 1) * sizeof(*cfg->g));
		if (res_yaml_keys(&y, gn, "gate", gate_keys) < 0)
			goto out;
		g.line = res_yaml_line(gn);
		g.threshold = thr;
		s = res_yaml_str(res_yaml_get(&y, gn, "name"));
		if (s == NULL || s[0] == '\0') {
			res_yaml_err(&y, gn, "gate: key 'name' is missing");
			goto out;
		}
		for (i = 0; i < cfg->n; i++)
			if (strcmp(cfg->g[i].name, s) == 0) {
				res_yaml_err(&y, gn, "key 'name': '%s' is used twice", s);
				goto out;
			}
		g.name = res_xstrdup(s);
		cfg->g[cfg->n++] = g;	/* owned by cfg from here on */
		n = res_yaml_get(&y, gn, "command");
		if (n != NULL && n->type == YAML_SCALAR_NODE) {
			if (res_insn_expand(&y, n, res_yaml_str(n), &cfg->g[cfg->n - 1]) < 0)
				goto out;
		} else if (n != NULL && n->type == YAML_SEQUENCE_NODE) {
			yaml_node_item_t *ci;

			for (ci = n->data.sequence.items.start; ci < n->data.sequence.items.top; ci++) {
				yaml_node_t *w = yaml_document_get_node(&y.doc, *ci);

				if (res_yaml_str(w) == NULL) {
					res_yaml_err(&y, w, "key 'command': list items must be strings");
					goto out;
				}
				if (res_insn_expand(&y, w, res_yaml_str(w), &cfg->g[cfg->n - 1]) < 0)
					goto out;
			}
		}
		if (cfg->g[cfg->n - 1].argc == 0) {
			res_yaml_err(&y, n ? n : gn, "gate '%s': key 'command' must be a non-empty "
				     "string or list", s);
			goto out;
		}
		n = res_yaml_get(&y, gn, "collect");
		if (n != NULL) {
			if (res_yaml_str(n) == NULL || !res_yaml_str(n)[0]) {
				res_yaml_err(&y, n, "key 'collect': expected a function name");
				goto out;
			}
			cfg->g[cfg->n - 1].collect = res_xstrdup(res_yaml_str(n));
		}
		if (res_yaml_num(&y, gn, "threshold", 0, 10, &cfg->g[cfg->n - 1].threshold) < 0)
			goto out;
		if (thr_override >= 0)
			cfg->g[cfg->n - 1].threshold = thr_override;
	}
	rc = 0;
out:
	res_yaml_free(&y);
	if (rc < 0)
		res_insn_cfg_free(cfg);
	return rc;
}

/* Run one gate under callgrind; returns the Ir count or -1. */
static double res_insn_measure(const struct res_insn_gate *g, const char *tmpdir)
{
	char *out = res_fmt("%s/callgrind.out", tmpdir), *log = res_fmt("%s/log", tmpdir);
	char *outopt = res_fmt("--callgrind-out-file=%s", out);
	char *tog = g->collect ? res_fmt("--toggle-collect=%s", g->collect) : NULL;
	char **argv = res_xcalloc((size_t)g->argc + 6, sizeof(*argv));
	double ir = -1;
	int k = 0, st, i;
	pid_t pid;
	FILE *f;
	char line[512];

	argv[k++] = "valgrind";
	argv[k++] = "--tool=callgrind";
	argv[k++] = outopt;
	if (tog)
		argv[k++] = tog;
	for (i = 0; i < g->argc; i++)
		argv[k++] = g->argv[i];
	argv[k] = NULL;
	unlink(out);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run valgrind: %s\n", strerror(errno));
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char *text = res_read_file(log);

		fprintf(stderr, "insn-gate: %s: command failed (exit %d): ", g->name,
			pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		for (i = 0; i < g->argc; i++)
			fprintf(stderr, "%s%s", i ? " " : "", g->argv[i]);
		fprintf(stderr, "\n%s", text ? text : "");
		free(text);
		goto out;
	}
	f = fopen(out, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		/* "summary:" (or "totals:") holds the total of the first event, Ir. */
		if (strncmp(line, "summary:", 8) == 0 || (ir < 0 && strncmp(line, "totals:", 7) == 0))
			ir = strtod(strchr(line, ':') + 1, NULL);
	}
	if (f != NULL)
		fclose(f);
	if (ir < 0)
		fprintf(stderr, "insn-gate: %s: no instruction count in %s\n", g->name, out);
	else if (ir == 0 && g->collect)
		fprintf(stderr, "insn-gate: %s: 0 instructions inside '%s': is the function name right "
				"(and not inlined)?\n", g->name, g->collect), ir = -1;
out:
	unlink(out);
	unlink(log);
	free(out);
	free(log);
	free(outopt);
	free(tog);
	free(argv);
	return ir;
}

int res_cmd_insn_gate(int argc, char **argv)
{
	static const struct option lo[] = {
		{"config", required_argument, NULL, 'c'}, {"baseline", required_argument, NULL, 'b'},
		{"out", required_argument, NULL, 'o'}, {"threshold", required_argument, NULL, 't'},
		{"update-baseline", no_argument, NULL, 'u'}, {"measure-only", no_argument, NULL, 'm'},
		{NULL, 0, NULL, 0},
	};
	const char *cfg_file = NULL, *baseline = NULL, *out = NULL;
	double thr = -1;
	int update = 0, measure_only = 0, c, rc = 1, fails = 0;
	struct res_insn_cfg cfg;
	json_t *base = NULL, *bcounts = NULL, *counts = json_object();
	char tmpdir[] = "/tmp/results-insn.XXXXXX";
	size_t i;

	while ((c = getopt_long(argc, argv, "c:b:o:t:um", lo, NULL)) != -1) {
		switch (c) {
		case 'c': cfg_file = optarg; break;
		case 'b': baseline = optarg; break;
		case 'o': out = optarg; break;
		case 'u': update = 1; break;
		case 'm': measure_only = 1; break;
		case 't': {
			char *end;

			thr = strtod(optarg, &end);
			if (end == optarg || *end || thr < 0 || thr > 10) {
				fprintf(stderr, "results insn-gate: --threshold '%s': want a number in "
						"[0, 10]\n", optarg);
				json_decref(counts);
				return RES_EXIT_USAGE;
			}
			break;
		}
		default: res_usage("insn-gate"); json_decref(counts); return RES_EXIT_USAGE;
		}
	}
	if (cfg_file == NULL || optind != argc || (!measure_only && baseline == NULL)) {
		res_usage("insn-gate");
		json_decref(counts);
		return RES_EXIT_USAGE;
	}
	if (res_insn_cfg_load(cfg_file, &cfg, thr) < 0) {
		json_decref(counts);
		return RES_EXIT_USAGE;
	}
	if (baseline != NULL && !update && !measure_only) {
		json_error_t jerr;
		const char *schema;

		base = json_load_file(baseline, 0, &jerr);
		if (base == NULL) {
			fprintf(stderr, "%s:%d: %s\n", baseline, jerr.line, jerr.text);
			rc = RES_EXIT_USAGE;
			goto done;
		}
		schema = json_string_value(json_object_get(base, "schema"));
		bcounts = json_object_get(base, "counts");
		if (schema == NULL || strcmp(schema, RES_INSN_SCHEMA) != 0 || !json_is_object(bcounts)) {
			fprintf(stderr, "%s: not an instruction baseline (want \"schema\": \"%s\" and "
					"\"counts\": {name: count})\n", baseline, RES_INSN_SCHEMA);
			rc = RES_EXIT_USAGE;
			goto done;
		}
	}
	if (mkdtemp(tmpdir) == NULL) {
		fprintf(stderr, "insn-gate: mkdtemp: %s\n", strerror(errno));
		goto done;
	}
	printf("insn-gate: %s (%zu commands)%s%s\n", cfg_file, cfg.n, base ? ", baseline " : "",
	       base ? baseline : "");
	for (i = 0; i < cfg.n; i++) {
		const struct res_insn_gate *g = &cfg.g[i];
		double ir = res_insn_measure(g, tmpdir), b, ratio;
		json_t *bv;

		if (ir < 0) {
			fails++;
			continue;
		}
		json_object_set_new(counts, g->name, json_integer((json_int_t)ir));
		bv = bcounts ? json_object_get(bcounts, g->name) : NULL;
		if (bcounts == NULL) {
			printf("      %-24s %14.0f Ir\n", g->name, ir);
			continue;
		}
		if (!json_is_number(bv)) {
			printf("new   %-24s %14.0f Ir  (not in the baseline; add it with --update-baseline)\n",
			       g->name, ir);
			continue;
		}
		b = json_number_value(bv);
		ratio = b > 0 ? ir / b : INFINITY;
		if (ratio > 1 + g->threshold) {
			fails++;
			printf("FAIL  %-24s %14.0f Ir  baseline %.0f  %+.3f%% > +%.3g%%\n", g->name, ir, b,
			       100 * (ratio - 1), 100 * g->threshold);
		} else {
			printf("%-4s  %-24s %14.0f Ir  baseline %.0f  %+.3f%%%s\n",
			       ratio < 1 - g->threshold ? "ok" : "ok", g->name, ir, b, 100 * (ratio - 1),
			       ratio < 1 - g->threshold ? "  (faster: consider --update-baseline)" : "");
		}
	}
	rmdir(tmpdir);
	{
		json_t *doc = json_pack("{s:s,s:O}", "schema", RES_INSN_SCHEMA, "counts", counts);
		const char *dst = update ? baseline : out;

		if (dst != NULL && json_dump_file(doc, dst, JSON_INDENT(2) | JSON_SORT_KEYS) != 0) {
			fprintf(stderr, "insn-gate: cannot write %s\n", dst);
			fails++;
		} else if (dst != NULL) {
			printf("insn-gate: counts written to %s\n", dst);
		}
		json_decref(doc);
	}
	rc = fails > 0;
	if (bcounts != NULL)
		printf("insn-gate: %s\n", rc ? "FAILED" : "passed");
done:
	json_decref(base);
	json_decref(counts);
	res_insn_cfg_free(&cfg);
	return rc;
}
