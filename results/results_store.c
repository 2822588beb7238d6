/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "results_store.h"
#include "results_util.h"

int res_run_capture(char *const argv[], char *buf, size_t len)
{
	int fd[2], st;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fd) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(fd[1], 1);
		if (devnull >= 0)
			dup2(devnull, 2);
		close(fd[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	while (len > 0 && (n = read(fd[0], buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	if (len > 0)
		buf[got] = '\0';
	close(fd[0]);
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void res_chomp(char *s)
{
	s[strcspn(s, "\r\n")] = '\0';
}

char *res_store_dir(const char *opt)
{
	char *argv[] = {"git", "rev-parse", "--show-toplevel", NULL};
	const char *env = getenv("TPA_RESULTS_STORE");
	char top[PATH_MAX];

	if (opt != NULL)
		return res_xstrdup(opt);
	if (env != NULL && env[0])
		return res_xstrdup(env);
	if (res_run_capture(argv, top, sizeof(top)) == 0 && top[0]) {
		res_chomp(top);
		return res_fmt("%s/results/store", top);
	}
	return res_xstrdup("results/store");
}

/* Names of the commit directories in the store. */
static char **res_store_names(const char *store, size_t *n)
{
	DIR *d = opendir(store);
	struct dirent *de;
	char **v = NULL;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = res_fmt("%s/%s", store, de->d_name);
		if (res_is_dir(p)) {
			v = res_xrealloc(v, (*n + 1) * sizeof(*v));
			v[(*n)++] = res_xstrdup(de->d_name);
		}
		free(p);
	}
	closedir(d);
	return v;
}

static int res_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load every run of commit directory @p cdir. */
static int res_set_load_commit(struct res_set *set, const char *cdir, const char *commit)
{
	DIR *d = opendir(cdir);
	struct dirent *de;
	char **runs = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char *p = res_fmt("%s/%s", cdir, de->d_name);

		if (de->d_name[0] != '.' && res_is_dir(p)) {
			runs = res_xrealloc(runs, (n + 1) * sizeof(*runs));
			runs[n++] = p;
		} else {
			free(p);
		}
	}
	closedir(d);
	qsort(runs, n, sizeof(*runs), res_str_cmp);
	for (i = 0; i < n; i++) {
		if (res_set_load_run(set, runs[i]) < 0)
			rc = -1;
		free(runs[i]);
	}
	free(runs);
	if (n == 0) {
		fprintf(stderr, "results: %s: no runs stored for this commit\n", cdir);
		rc = -1;
	}
	/* The directory names the commit; a manifest may name the runner's tree instead. */
	free(set->label);
	set->label = res_fmt("%.12s", commit);
	free(set->commit);
	set->commit = res_xstrdup(commit);
	return rc;
}

int res_set_resolve(struct res_set *set, const char *arg, const char *store)
{
	char *argv[] = {"git", "rev-parse", "--verify", "-q", NULL, NULL};
	char full[128], *rev, *match = NULL;
	size_t n, i, hits = 0;
	char **names;
	int rc;

	if (res_is_dir(arg))
		return res_set_load_run(set, arg) < 0 ? -1 : 0;
	names = res_store_names(store, &n);
	for (i = 0; i < n && hits < 2; i++)
		if (strcmp(names[i], arg) == 0) {
			match = names[i];
			hits = 1;
			break;
		}
	if (match == NULL)
		for (i = 0; i < n; i++)
			if (strncmp(names[i], arg, strlen(arg)) == 0 && strlen(arg) >= 4) {
				match = names[i];
				hits++;
			}
	if (hits > 1) {
		fprintf(stderr, "results: %s: ambiguous commit prefix in %s\n", arg, store);
		match = NULL;
		rc = -1;
		goto out;
	}
	if (match == NULL) {
		/* Maybe a git revision such as HEAD~1 or a branch. */
		rev = res_fmt("%s^{commit}", arg);
		argv[4] = rev;
		if (res_run_capture(argv, full, sizeof(full)) == 0) {
			res_chomp(full);
			for (i = 0; i < n; i++)
				if (strcmp(names[i], full) == 0)
					match = names[i];
		}
		free(rev);
	}
	if (match == NULL) {
		fprintf(stderr, "results: %s: neither a run directory nor a commit in the store %s\n",
			arg, store);
		rc = -1;
		goto out;
	}
	{
		char *cdir = res_fmt("%s/%s", store, match);

		rc = res_set_load_commit(set, cdir, match);
		free(cdir);
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int res_store_add(const char *run_dir, const char *store, const char *commit_opt, int link)
{
	struct res_set s = {0};
	char real[PATH_MAX], *cdir = NULL, *dst = NULL, *commit;
	const char *base;
	int rc = -1, n;

	if (realpath(run_dir, real) == NULL || !res_is_dir(real)) {
		fprintf(stderr, "results: %s: not a directory\n", run_dir);
		return -1;
	}
	n = res_set_load_run(&s, real);
	if (n < 0)
		goto out;
	if (n == 0) {
		fprintf(stderr, "results: %s: no tperf results (schema tpa.tperf/1) found\n", run_dir);
		goto out;
	}
	if (commit_opt != NULL) {
		free(s.commit);
		s.commit = res_xstrdup(commit_opt);
		s.dirty = 0;
	}
	if (s.commit == NULL) {
		fprintf(stderr, "results: %s/manifest.json: no git commit (\"git_commit\" or "
				"\"git\": {\"commit\"}); pass --commit\n", run_dir);
		goto out;
	}
	commit = s.dirty ? res_fmt("%s-dirty", s.commit) : res_xstrdup(s.commit);
	if (strchr(commit, '/') != NULL || commit[0] == '.' || commit[0] == '\0') {
		fprintf(stderr, "results: %s/manifest.json: git_commit \"%s\" is not a commit id\n",
			run_dir, s.commit);
		free(commit);
		goto out;
	}
	base = strrchr(real, '/') + 1;
	cdir = res_fmt("%s/%s", store, commit);
	dst = res_fmt("%s/%s", cdir, base);
	free(commit);
	if (res_mkdirs(cdir) < 0) {
		fprintf(stderr, "results: cannot create %s: %s\n", cdir, strerror(errno));
		goto out;
	}
	if (access(dst, F_OK) == 0) {
		fprintf(stderr, "results: %s already stored\n", dst);
		goto out;
	}
	if (link) {
		if (symlink(real, dst) < 0) {
			fprintf(stderr, "results: symlink %s: %s\n", dst, strerror(errno));
			goto out;
		}
	} else {
		char *argv[] = {"cp", "-a", real, dst, NULL};
		char sink[16];

		if (res_run_capture(argv, sink, sizeof(sink)) != 0) {
			fprintf(stderr, "results: copying %s to %s failed\n", real, dst);
			goto out;
		}
	}
	printf("%s\n", dst);
	rc = 0;
out:
	free(cdir);
	free(dst);
	res_set_free(&s);
	return rc;
}

static double res_parse_iso(const char *s)
{
	struct tm tm = {0};

	if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return 0;
	return (double)timegm(&tm);
}

static int res_commit_cmp(const void *a, const void *b)
{
	const struct res_store_commit *x = a, *y = b;

	if (x->when != y->when)
		return x->when < y->when ? -1 : 1;
	return strcmp(x->commit, y->commit);
}

int res_store_list(const char *store, struct res_store_commit **out, size_t *n)
{
	char **names;
	size_t i;

	*out = NULL;
	names = res_store_names(store, n);
	if (names == NULL && !res_is_dir(store)) {
		fprintf(stderr, "results: %s: no such store\n", store);
		return -1;
	}
	*out = res_xcalloc(*n, sizeof(**out));
	for (i = 0; i < *n; i++) {
		struct res_store_commit *c = &(*out)[i];
		char *argv[] = {"git", "log", "-1", "--format=%ct", NULL, "--", NULL};
		char buf[64], *rev = res_xstrdup(names[i]);
		char *dash = strstr(rev, "-dirty");

		if (dash != NULL)
			*dash = '\0';
		argv[4] = rev;
		c->commit = names[i];
		if (res_run_capture(argv, buf, sizeof(buf)) == 0 && buf[0] >= '0' && buf[0] <= '9') {
			c->when = strtod(buf, NULL);
			c->from_git = 1;
		} else {
			struct res_set s = {0};
			char *cdir = res_fmt("%s/%s", store, names[i]);

			res_set_load_commit(&s, cdir, names[i]);
			c->when = res_parse_iso(s.started_at);
			res_set_free(&s);
			free(cdir);
		}
		free(rev);
	}
	free(names);
	qsort(*out, *n, sizeof(**out), res_commit_cmp);
	return 0;
}

void res_store_list_free(struct res_store_commit *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].commit);
	free(v);
}

int res_set_resolve_pair(struct res_set *base, struct res_set *cur, const char *base_arg,
			 const char *cur_arg, const char *store, const char *tool)
{
	if (res_set_resolve(base, base_arg, store) < 0 || res_set_resolve(cur, cur_arg, store) < 0)
		return -1;
	if (base->nc == 0 || cur->nc == 0) {
		fprintf(stderr, "%s: %s: no tperf results found\n", tool, base->nc == 0 ? base_arg : cur_arg);
		return -1;
	}
	return 0;
}
