/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "results_load.h"
#include "results_util.h"

#define RES_SCHEMA "tpa.tperf/1"
#define RES_MAX_DEPTH 6

const struct res_metric_def res_metrics[RES_M_COUNT] = {
	[RES_M_GBPS]	= {"gbit_per_s", "Gbit/s", "Gbit/s", 0},
	[RES_M_MSGS]	= {"messages_per_s", "msgs/s", "1/s", 0},
	[RES_M_CONNS]	= {"connections_per_s", "conns/s", "1/s", 0},
	[RES_M_P50]	= {"p50", "p50", "ns", 1},
	[RES_M_P90]	= {"p90", "p90", "ns", 1},
	[RES_M_P99]	= {"p99", "p99", "ns", 1},
	[RES_M_P99_9]	= {"p99_9", "p99.9", "ns", 1},
	[RES_M_P99_99]	= {"p99_99", "p99.99", "ns", 1},
	[RES_M_MAX]	= {"max", "max", "ns", 1},
	[RES_M_MEAN]	= {"mean", "mean", "ns", 1},
	[RES_M_CPU]	= {"cpu_ns_per_op", "CPU/op", "ns", 1},
	[RES_M_ERRORS]	= {"errors", "errors", "count", 1},
};

int res_metric_find(const char *name)
{
	int i;

	if (strcmp(name, "p99.9") == 0)
		name = "p99_9";
	else if (strcmp(name, "p99.99") == 0)
		name = "p99_99";
	for (i = 0; i < RES_M_COUNT; i++)
		if (strcmp(res_metrics[i].name, name) == 0)
			return i;
	return -1;
}

/* Number at a dotted path in a JSON object, NAN when absent or not a number. */
static double res_jnum(json_t *o, const char *path)
{
	char buf[128], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
		o = json_is_object(o) ? json_object_get(o, tok) : NULL;
	return json_is_number(o) ? json_number_value(o) : NAN;
}

static int res_bucket_cmp(const void *a, const void *b)
{
	const struct res_hbucket *x = a, *y = b;

	return x->value < y->value ? -1 : x->value > y->value;
}

/* Sort and fold duplicate values. */
static void res_hist_normalize(struct res_hist *h)
{
	size_t i, j = 0;

	qsort(h->b, h->n, sizeof(*h->b), res_bucket_cmp);
	h->total = 0;
	for (i = 0; i < h->n; i++) {
		if (j > 0 && h->b[j - 1].value == h->b[i].value)
			h->b[j - 1].count += h->b[i].count;
		else
			h->b[j++] = h->b[i];
		h->total += h->b[i].count;
	}
	h->n = j;
}

void res_hist_merge(struct res_hist *dst, const struct res_hist *src)
{
	if (src->n == 0)
		return;
	dst->b = res_xrealloc(dst->b, (dst->n + src->n) * sizeof(*dst->b));
	memcpy(dst->b + dst->n, src->b, src->n * sizeof(*src->b));
	dst->n += src->n;
	res_hist_normalize(dst);
}

double res_hist_value_at(const struct res_hist *h, double pct)
{
	double want;
	uint64_t cum = 0;
	size_t i;

	if (h->total == 0)
		return NAN;
	want = ceil(pct / 100.0 * (double)h->total);
	if (want < 1)
		want = 1;
	for (i = 0; i < h->n; i++) {
		cum += h->b[i].count;
		if ((double)cum >= want)
			return (double)h->b[i].value;
	}
	return (double)h->b[h->n - 1].value;
}

void res_hist_free(struct res_hist *h)
{
	free(h->b);
	memset(h, 0, sizeof(*h));
}

static int res_parse_hist(json_t *counts, struct res_hist *h, const char *file)
{
	size_t i;
	json_t *e;

	if (!json_is_array(counts))
		return 0;
	h->b = res_xcalloc(json_array_size(counts), sizeof(*h->b));
	json_array_foreach(counts, i, e) {
		json_t *v = json_array_get(e, 0), *c = json_array_get(e, 1);

		if (!json_is_number(v) || !json_is_number(c) || json_number_value(v) < 0 ||
		    json_number_value(c) < 0) {
			fprintf(stderr, "results: %s: latency.histogram.counts[%zu] is not [value, count]\n",
				file, i);
			return -1;
		}
		h->b[h->n].value = (uint64_t)json_number_value(v);
		h->b[h->n].count = (uint64_t)json_number_value(c);
		h->n++;
	}
	res_hist_normalize(h);
	return 0;
}

static void res_parse_samples(json_t *arr, struct res_sample *s)
{
	size_t i;
	json_t *e;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return;
	s->ts = res_xcalloc(json_array_size(arr), sizeof(*s->ts));
	json_array_foreach(arr, i, e) {
		struct res_tsample *t = &s->ts[s->nts++];

		t->t = res_jnum(e, "t");
		t->bytes = res_jnum(e, "bytes");
		t->messages = res_jnum(e, "messages");
		t->connections = res_jnum(e, "connections");
		t->p50 = res_jnum(e, "p50");
		t->p99 = res_jnum(e, "p99");
	}
}

/* Fill the metrics of @p s from one result object. */
static int res_parse_result(json_t *root, const char *file, struct res_sample *s)
{
	static const char *const lat[] = {
		[RES_M_P50] = "p50", [RES_M_P90] = "p90", [RES_M_P99] = "p99",
		[RES_M_P99_9] = "p99_9", [RES_M_P99_99] = "p99_99", [RES_M_MAX] = "max",
		[RES_M_MEAN] = "mean",
	};
	static const char *const errs[] = {"integrity", "connect", "reset", "timeouts"};
	json_t *st = json_object_get(root, "status");
	char path[64];
	double e = 0, v;
	size_t i;
	int m;

	s->m[RES_M_GBPS] = res_jnum(root, "throughput.gbit_per_s");
	s->m[RES_M_MSGS] = res_jnum(root, "throughput.messages_per_s");
	s->m[RES_M_CONNS] = res_jnum(root, "throughput.connections_per_s");
	for (m = RES_M_P50; m <= RES_M_MEAN; m++) {
		snprintf(path, sizeof(path), "latency.summary.%s", lat[m]);
		s->m[m] = res_jnum(root, path);
	}
	/* A result without measurements reports count 0: its latencies mean nothing. */
	if (res_jnum(root, "latency.summary.count") == 0)
		for (m = RES_M_P50; m <= RES_M_MEAN; m++)
			s->m[m] = NAN;
	s->m[RES_M_CPU] = res_jnum(root, "cpu.ns_per_op");
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		snprintf(path, sizeof(path), "errors.%s", errs[i]);
		v = res_jnum(root, path);
		if (!isnan(v))
			e += v;
	}
	if (json_is_string(st) && strcmp(json_string_value(st), "ok") != 0)
		s->failed = 1;
	s->m[RES_M_ERRORS] = e;
	if (res_parse_hist(json_object_get(json_object_get(json_object_get(root, "latency"),
							   "histogram"), "counts"),
			   &s->hist, file) < 0)
		return -1;
	res_parse_samples(json_object_get(root, "samples"), s);
	return 0;
}

/* Fold @p o (another client of the same repetition) into @p s. */
static void res_sample_fold(struct res_sample *s, struct res_sample *o)
{
	static const int sum[] = {RES_M_GBPS, RES_M_MSGS, RES_M_CONNS, RES_M_ERRORS};
	size_t i;
	int m;

	for (i = 0; i < sizeof(sum) / sizeof(sum[0]); i++)
		if (!isnan(o->m[sum[i]]))
			s->m[sum[i]] = isnan(s->m[sum[i]]) ? o->m[sum[i]] : s->m[sum[i]] + o->m[sum[i]];
	if (!isnan(o->m[RES_M_CPU]))
		s->m[RES_M_CPU] = isnan(s->m[RES_M_CPU]) ? o->m[RES_M_CPU] :
				  (s->m[RES_M_CPU] + o->m[RES_M_CPU]) / 2;
	s->failed |= o->failed;
	res_hist_merge(&s->hist, &o->hist);
	/* Percentiles of the whole repetition come from the merged histogram. */
	if (s->hist.total > 0) {
		static const double pct[] = {
			[RES_M_P50] = 50, [RES_M_P90] = 90, [RES_M_P99] = 99,
			[RES_M_P99_9] = 99.9, [RES_M_P99_99] = 99.99, [RES_M_MAX] = 100,
		};
		for (m = RES_M_P50; m <= RES_M_MAX; m++)
			s->m[m] = res_hist_value_at(&s->hist, pct[m]);
	}
	res_hist_free(&o->hist);
	free(o->ts);
}

static int res_name_cmp(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of @p dir (without . and ..); NULL when unreadable. */
static char **res_list_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		v = res_xrealloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = res_xstrdup(de->d_name);
	}
	closedir(d);
	qsort(v, *n, sizeof(*v), res_name_cmp);
	return v;
}

static void res_free_list(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

static int res_ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static int res_is_rep_name(const char *name)
{
	return strncmp(name, "rep-", 4) == 0 && name[4] != '\0';
}

/* Load the tperf results in @p dir into @p s. Returns 1 loaded, 0 none, -1 bad. */
static int res_load_sample_dir(const char *dir, const char *parent_status, struct res_sample *s)
{
	size_t n, i, got = 0, clients = 0;
	int have = 0;
	char **names = res_list_dir(dir, &n);
	json_t **docs = res_xcalloc(n, sizeof(*docs));
	char **files = res_xcalloc(n, sizeof(*files));
	int rc = 0, m;

	for (i = 0; i < n; i++) {
		json_t *root, *schema;
		json_error_t jerr;
		char *p;

		if (!res_ends_with(names[i], ".json"))
			continue;
		p = res_fmt("%s/%s", dir, names[i]);
		root = res_is_file(p) ? json_load_file(p, 0, &jerr) : NULL;
		schema = root ? json_object_get(root, "schema") : NULL;
		if (!json_is_string(schema) || strcmp(json_string_value(schema), RES_SCHEMA) != 0) {
			/* Other JSON (manifest, summary, tperf server output of another schema). */
			json_decref(root);
			free(p);
			continue;
		}
		const char *role = json_string_value(json_object_get(json_object_get(root, "options"),
								      "role"));
		if (role == NULL || strcmp(role, "client") == 0)
			clients++;
		docs[got] = root;
		files[got++] = p;
	}
	if (got == 0)
		goto out;
	for (m = 0; m < RES_M_COUNT; m++)
		s->m[m] = NAN;
	s->path = res_xstrdup(dir);
	rc = 1;
	for (i = 0; i < got; i++) {
		const char *role = json_string_value(json_object_get(json_object_get(docs[i], "options"),
								      "role"));
		struct res_sample o = {0};

		/* Measure the client side; servers count only when there is no client. */
		if (clients > 0 && role != NULL && strcmp(role, "client") != 0)
			continue;
		if (!have) {
			have = 1;
			if (res_parse_result(docs[i], files[i], s) < 0)
				rc = -1;
			continue;
		}
		for (m = 0; m < RES_M_COUNT; m++)
			o.m[m] = NAN;
		if (res_parse_result(docs[i], files[i], &o) < 0)
			rc = -1;
		res_sample_fold(s, &o);
	}
	{
		char *sp = res_fmt("%s/status", dir);
		char *st = res_read_file(sp);

		free(sp);
		if (st == NULL && parent_status != NULL)
			st = res_xstrdup(parent_status);
		if (st != NULL) {
			st[strcspn(st, "\r\n")] = '\0';
			s->status = st;
			if (strcmp(st, "0") != 0)
				s->failed = 1;
		}
	}
	if (s->failed)
		s->m[RES_M_ERRORS] = (isnan(s->m[RES_M_ERRORS]) ? 0 : s->m[RES_M_ERRORS]) + 1;
out:
	for (i = 0; i < got; i++) {
		json_decref(docs[i]);
		free(files[i]);
	}
	free(docs);
	free(files);
	res_free_list(names, n);
	return rc;
}

struct res_case *res_set_case(const struct res_set *set, const char *id)
{
	size_t i;

	for (i = 0; i < set->nc; i++)
		if (strcmp(set->c[i].id, id) == 0)
			return &set->c[i];
	return NULL;
}

static struct res_case *res_set_case_get(struct res_set *set, const char *id)
{
	struct res_case *c = res_set_case(set, id);

	if (c != NULL)
		return c;
	set->c = res_xrealloc(set->c, (set->nc + 1) * sizeof(*set->c));
	c = &set->c[set->nc++];
	memset(c, 0, sizeof(*c));
	c->id = res_xstrdup(id);
	return c;
}

static void res_case_add(struct res_case *c, struct res_sample *s, const char *run_id)
{
	c->s = res_xrealloc(c->s, (c->ns + 1) * sizeof(*c->s));
	s->run_id = res_xstrdup(run_id);
	c->s[c->ns++] = *s;
}

/* Walk @p root/@p rel for case directories. Returns repetitions loaded or -1. */
static int res_walk(struct res_set *set, const char *root, const char *rel, const char *run_id,
		    int depth)
{
	char *dir = rel[0] ? res_fmt("%s/%s", root, rel) : res_xstrdup(root);
	size_t n, i, reps = 0;
	char **names = res_list_dir(dir, &n);
	int total = 0, r;

	if (names == NULL && n == 0 && !res_is_dir(dir)) {
		free(dir);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (res_is_rep_name(names[i]))
			reps++;
	if (reps > 0) {
		/* A case with repetitions: each rep-<i>/ is one sample. */
		char *sp = res_fmt("%s/status", dir);
		char *case_status = res_read_file(sp);

		free(sp);
		for (i = 0; i < n; i++) {
			struct res_sample s = {0};
			char *rd;

			if (!res_is_rep_name(names[i]))
				continue;
			rd = res_fmt("%s/%s", dir, names[i]);
			if (res_is_dir(rd)) {
				r = res_load_sample_dir(rd, NULL, &s);
				if (r < 0)
					total = -1;
				if (r == 0) {
					/* A repetition that left no result still happened: count it failed. */
					char *st = res_fmt("%s/status", rd);
					char *sv = res_read_file(st);
					int m;

					free(st);
					if (sv != NULL) {
						for (m = 0; m < RES_M_COUNT; m++)
							s.m[m] = NAN;
						s.m[RES_M_ERRORS] = 1;
						s.failed = 1;
						s.path = res_xstrdup(rd);
						sv[strcspn(sv, "\r\n")] = '\0';
						s.status = sv;
						r = 1;
					}
				}
				if (r > 0) {
					res_case_add(res_set_case_get(set, rel[0] ? rel : "."), &s, run_id);
					if (total >= 0)
						total++;
				}
			}
			free(rd);
		}
		free(case_status);
	} else {
		struct res_sample s = {0};

		r = res_load_sample_dir(dir, NULL, &s);
		if (r < 0)
			total = -1;
		else if (r > 0) {
			res_case_add(res_set_case_get(set, rel[0] ? rel : "."), &s, run_id);
			total++;
		}
		if (r == 0 && depth < RES_MAX_DEPTH) {
			for (i = 0; i < n; i++) {
				char *sub = rel[0] ? res_fmt("%s/%s", rel, names[i]) : res_xstrdup(names[i]);
				char *full = res_fmt("%s/%s", root, sub);

				if (res_is_dir(full)) {
					r = res_walk(set, root, sub, run_id, depth + 1);
					if (r < 0)
						total = -1;
					else if (total >= 0)
						total += r;
				}
				free(sub);
				free(full);
			}
		}
	}
	res_free_list(names, n);
	free(dir);
	return total;
}

static void res_set_manifest(struct res_set *set, const char *dir)
{
	char *p = res_fmt("%s/manifest.json", dir);
	json_error_t jerr;
	json_t *root = json_load_file(p, 0, &jerr);
	const char *commit, *started, *host;

	free(p);
	if (root == NULL)
		return;
	/* The brief's flat keys, or ms-run's "git": {"commit", "dirty"}. */
	commit = json_string_value(json_object_get(root, "git_commit"));
	if (commit == NULL)
		commit = json_string_value(json_object_get(json_object_get(root, "git"), "commit"));
	started = json_string_value(json_object_get(root, "started_at"));
	host = json_string_value(json_object_get(json_object_get(root, "host"), "hostname"));
	if (commit != NULL && set->commit == NULL)
		set->commit = res_xstrdup(commit);
	if (json_is_true(json_object_get(root, "git_dirty")) ||
	    json_is_true(json_object_get(json_object_get(root, "git"), "dirty")))
		set->dirty = 1;
	if (started != NULL && (set->started_at == NULL || strcmp(started, set->started_at) < 0)) {
		free(set->started_at);
		set->started_at = res_xstrdup(started);
	}
	if (host != NULL && set->host == NULL)
		set->host = res_xstrdup(host);
	json_decref(root);
}

int res_set_load_run(struct res_set *set, const char *dir)
{
	const char *base;
	char *d = res_xstrdup(dir);
	int r;

	while (strlen(d) > 1 && d[strlen(d) - 1] == '/')
		d[strlen(d) - 1] = '\0';
	if (!res_is_dir(d)) {
		fprintf(stderr, "results: %s: not a directory\n", dir);
		free(d);
		return -1;
	}
	base = strrchr(d, '/') ? strrchr(d, '/') + 1 : d;
	res_set_manifest(set, d);
	r = res_walk(set, d, "", base, 0);
	if (r < 0) {
		free(d);
		return -1;
	}
	set->runs = res_xrealloc(set->runs, (set->nruns + 1) * sizeof(*set->runs));
	set->runs[set->nruns++] = d;
	if (set->label == NULL)
		set->label = res_xstrdup(base);
	return r;
}

void res_set_free(struct res_set *set)
{
	size_t i, j;

	for (i = 0; i < set->nc; i++) {
		for (j = 0; j < set->c[i].ns; j++) {
			struct res_sample *s = &set->c[i].s[j];

			free(s->path);
			free(s->status);
			free(s->run_id);
			free(s->ts);
			res_hist_free(&s->hist);
		}
		free(set->c[i].s);
		free(set->c[i].id);
	}
	free(set->c);
	for (i = 0; i < set->nruns; i++)
		free(set->runs[i]);
	free(set->runs);
	free(set->label);
	free(set->commit);
	free(set->started_at);
	free(set->host);
	memset(set, 0, sizeof(*set));
}

size_t res_case_values(const struct res_case *c, int m, double *out)
{
	size_t i, n = 0;

	for (i = 0; i < c->ns; i++)
		if (!isnan(c->s[i].m[m]))
			out[n++] = c->s[i].m[m];
	return n;
}

void res_case_hist(const struct res_case *c, struct res_hist *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < c->ns; i++)
		res_hist_merge(out, &c->s[i].hist);
}
