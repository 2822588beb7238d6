/* SPDX-License-Identifier: BSD-3-Clause */
#include "ms_manifest.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ms_json.h"
#include "ms_util.h"

#define MS_VERSION "0.1.0"

char *ms_quote_argv(int argc, char **argv)
{
	struct ms_buf b = {0};

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (i)
			ms_buf_putc(&b, ' ');
		if (*a && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+=./,:@%") == strlen(a))
			ms_buf_puts(&b, a);
		else
			ms_buf_shquote(&b, a);
	}
	return ms_buf_take(&b);
}

/* Run "git -C DIR ARGS" and return its first output line. */
static char *ms_git(const char *dir, const char *args)
{
	struct ms_buf cmd = {0};
	char *out;

	ms_buf_puts(&cmd, "git -C ");
	ms_buf_shquote(&cmd, dir);
	ms_buf_printf(&cmd, " %s 2>/dev/null", args);
	out = ms_capture(cmd.s);
	ms_buf_free(&cmd);
	return out;
}

static char *ms_dir_of(const char *path)
{
	char *tmp = realpath(path, NULL), *d;

	if (!tmp)
		return ms_xstrdup(".");
	d = ms_xstrdup(dirname(tmp));
	free(tmp);
	return d;
}

char *ms_git_short(const char *path)
{
	char *dir = ms_dir_of(path);
	char *s = ms_git(dir, "rev-parse --short=12 HEAD");

	free(dir);
	return s ? s : ms_xstrdup("nogit");
}

static json_t *ms_json_str_or_null(char *s)
{
	json_t *j = s ? json_string(s) : json_null();

	free(s);
	return j;
}

static json_t *ms_git_facts(const char *path)
{
	char *dir = ms_dir_of(path);
	char *top = ms_git(dir, "rev-parse --show-toplevel");
	char *dirty = NULL;
	json_t *g;

	if (top) {
		/* any line of porcelain output means a modified tracked file */
		dirty = ms_git(dir, "status --porcelain --untracked-files=no");
	}
	g = json_pack("{s:o, s:o, s:o, s:o, s:o}",
		      "toplevel", ms_json_str_or_null(top),
		      "commit", ms_json_str_or_null(ms_git(dir, "rev-parse HEAD")),
		      "short", ms_json_str_or_null(ms_git(dir, "rev-parse --short=12 HEAD")),
		      "branch", ms_json_str_or_null(ms_git(dir, "rev-parse --abbrev-ref HEAD")),
		      "dirty", top ? json_boolean(dirty != NULL) : json_null());
	free(dirty);
	free(dir);
	return g;
}

static char *ms_cpu_model(void)
{
	char *txt = ms_read_file("/proc/cpuinfo", NULL), *p, *e, *out = NULL;

	if (!txt)
		return NULL;
	p = strstr(txt, "model name");
	if (p && (p = strchr(p, ':'))) {
		p += 2;
		e = strchr(p, '\n');
		out = e ? ms_xstrndup(p, (size_t)(e - p)) : ms_xstrdup(p);
	}
	free(txt);
	return out;
}

static json_t *ms_host_facts(void)
{
	struct utsname u;
	char host[256] = "";

	uname(&u);
	gethostname(host, sizeof(host) - 1);
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:I, s:o}",
			 "hostname", host,
			 "kernel", u.release,
			 "kernel_version", u.version,
			 "machine", u.machine,
			 "cpu_model", ms_json_str_or_null(ms_cpu_model()),
			 "cores", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN),
			 "os", ms_json_str_or_null(ms_capture(". /etc/os-release 2>/dev/null && echo \"$PRETTY_NAME\"")));
}

static json_t *ms_versions(void)
{
	struct utsname u;

	uname(&u);
	return json_pack("{s:s, s:s, s:o, s:o}",
			 "ms", MS_VERSION,
			 "kernel", u.release,
			 "dpdk", ms_json_str_or_null(ms_capture("pkg-config --modversion libdpdk 2>/dev/null")),
			 "bash", ms_json_str_or_null(ms_capture("bash -c 'echo $BASH_VERSION' 2>/dev/null")));
}

static json_t *ms_plan_json(const struct ms_plan *plan, const struct ms_run_opts *o)
{
	json_t *files = json_array();
	char shard[64];

	for (size_t i = 0; i < plan->nsc; i++)
		json_array_append_new(files, json_string(plan->scs[i]->abspath));
	snprintf(shard, sizeof(shard), "%d/%d", o->shard_k, o->shard_n);
	return json_pack("{s:o, s:o, s:o, s:o, s:i, s:o, s:f, s:b}",
			 "files", files,
			 "vars", ms_json_kvlist(&plan->vars),
			 "filter", o->regex ? json_string(o->regex) : json_null(),
			 "shard", o->shard_n ? json_string(shard) : json_null(),
			 "repeat", o->repeat,
			 "timeout", o->timeout > 0 ? json_real(o->timeout) : json_null(),
			 "grace", o->grace,
			 "stop_on_failure", o->stop_on_fail);
}

json_t *ms_manifest_begin(const char *run_dir, const char *run_id, const char *mode,
			  const struct ms_plan *plan, const struct ms_run_opts *o)
{
	char now[32], cwd[4096];
	char *cmdline = ms_quote_argv(o->argc, o->argv);
	char *path = ms_xasprintf("%s/manifest.json", run_dir);
	json_t *m = NULL, *argv = json_array(), *inv;

	ms_utc_now(now, sizeof(now), false);
	if (!getcwd(cwd, sizeof(cwd)))
		strcpy(cwd, "?");
	for (int i = 0; i < o->argc; i++)
		json_array_append_new(argv, json_string(o->argv[i]));
	inv = json_pack("{s:s, s:o, s:s, s:s, s:s, s:n}",
			"mode", mode, "command", argv, "command_line", cmdline,
			"cwd", cwd, "started_at", now, "ended_at");
	if (strcmp(mode, "run"))
		m = json_load_file(path, 0, NULL);
	if (!m) {
		m = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:n, s:b, s:o, s:s, s:o}",
			      "schema", "tpa.ms-run/1",
			      "run_id", run_id,
			      "run_dir", run_dir,
			      "git", ms_git_facts(plan->nsc ? plan->scs[0]->abspath : "."),
			      "host", ms_host_facts(),
			      "versions", ms_versions(),
			      "command", json_deep_copy(json_object_get(inv, "command")),
			      "command_line", json_string(cmdline),
			      "started_at", now,
			      "ended_at",
			      "finished", 0,
			      "plan", ms_plan_json(plan, o),
			      "results_layout", "<run_dir>/<scenario>/<params>[/rep-<i>]/",
			      "invocations", json_array());
	}
	json_array_append_new(json_object_get(m, "invocations"), inv);
	free(cmdline);
	free(path);
	return m;
}

int ms_manifest_write(json_t *m, const char *run_dir, bool finished, bool interrupted)
{
	json_t *invs = json_object_get(m, "invocations");
	json_t *inv = json_array_get(invs, json_array_size(invs) - 1);
	char *path = ms_xasprintf("%s/manifest.json", run_dir);
	char *tmp = ms_xasprintf("%s/.manifest.json.tmp", run_dir);
	char now[32];
	int rc;

	if (finished) {
		ms_utc_now(now, sizeof(now), false);
		json_object_set_new(m, "ended_at", json_string(now));
		json_object_set_new(m, "finished", json_true());
		json_object_set_new(inv, "ended_at", json_string(now));
		json_object_set_new(inv, "interrupted", json_boolean(interrupted));
	}
	/* write then rename: readers never see half a manifest */
	rc = json_dump_file(m, tmp, JSON_INDENT(2));
	if (rc == 0)
		rc = rename(tmp, path);
	free(path);
	free(tmp);
	return rc;
}
