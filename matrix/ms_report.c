/* SPDX-License-Identifier: BSD-3-Clause */
#include "ms_report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ms_json.h"
#include "ms_util.h"

/* Bytes of a case's stdout/stderr kept in junit.xml. */
#define MS_JUNIT_TAIL 16384

void ms_report_count(const struct ms_job *jobs, size_t n, struct ms_counts *c)
{
	memset(c, 0, sizeof(*c));
	c->total = n;
	for (size_t i = 0; i < n; i++) {
		switch (jobs[i].st) {
		case MS_ST_PASSED: c->passed++; break;
		case MS_ST_FAILED: c->failed++; break;
		case MS_ST_TIMEOUT: c->timed_out++; break;
		case MS_ST_INTERRUPTED: c->interrupted++; break;
		case MS_ST_SKIPPED: c->skipped++; break;
		}
	}
}

void ms_report_line(FILE *f, const struct ms_counts *c)
{
	fprintf(f, "%zu cases: %zu passed, %zu failed, %zu timed out, %zu skipped",
		c->total, c->passed, c->failed, c->timed_out, c->skipped);
	if (c->interrupted)
		fprintf(f, ", %zu interrupted", c->interrupted);
	fputc('\n', f);
}

/* Length of the valid UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t ms_utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond Unicode, and U+FFFE/FFFF are not XML chars */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp == 0xfffe || cp == 0xffff)
		return 0;
	return len;
}

void ms_xml_escape(struct ms_buf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n && s[i]) {
		size_t l = ms_utf8_len(s + i, n - i);

		if (l == 0) {
			ms_buf_putc(b, '?');
			i++;
			continue;
		}
		if (l > 1) {
			ms_buf_add(b, (const char *)s + i, l);
			i += l;
			continue;
		}
		switch (s[i]) {
		case '&': ms_buf_puts(b, "&amp;"); break;
		case '<': ms_buf_puts(b, "&lt;"); break;
		case '>': ms_buf_puts(b, "&gt;"); break;
		case '"': ms_buf_puts(b, "&quot;"); break;
		case '\'': ms_buf_puts(b, "&apos;"); break;
		case '\t': case '\n': case '\r': ms_buf_putc(b, (char)s[i]); break;
		default:
			if (s[i] < 0x20 || s[i] == 0x7f)
				ms_buf_printf(b, "\\x%02x", s[i]);
			else
				ms_buf_putc(b, (char)s[i]);
		}
		i++;
	}
}

static void ms_xml_attr(struct ms_buf *b, const char *name, const char *val)
{
	ms_buf_printf(b, " %s=\"", name);
	ms_xml_escape(b, val, strlen(val));
	ms_buf_putc(b, '"');
}

/* The last MS_JUNIT_TAIL bytes of a case output file, escaped, in an element. */
static void ms_xml_tail(struct ms_buf *b, const char *run_dir, const struct ms_job *j,
			const char *file, const char *elem)
{
	char *path = ms_xasprintf("%s/%s/%s", run_dir, j->rel, file);
	size_t len = 0;
	char *txt = ms_read_file(path, &len);
	size_t off = 0;

	free(path);
	if (!txt)
		return;
	if (len > 0) {
		if (len > MS_JUNIT_TAIL) {
			off = len - MS_JUNIT_TAIL;
			/* do not start inside a UTF-8 sequence */
			while (off < len && ((unsigned char)txt[off] & 0xc0) == 0x80)
				off++;
		}
		ms_buf_printf(b, "      <%s>", elem);
		if (off)
			ms_buf_printf(b, "[... %zu bytes cut ...]\n", off);
		/* NUL bytes would end the text early: escape them as well */
		for (size_t i = off; i < len; i++) {
			size_t e = i;

			while (e < len && txt[e])
				e++;
			ms_xml_escape(b, txt + i, e - i);
			if (e < len)
				ms_buf_puts(b, "\\x00");
			i = e;
		}
		ms_buf_printf(b, "</%s>\n", elem);
	}
	free(txt);
}

static const char *ms_params_part(const struct ms_job *j)
{
	const char *s = strchr(j->c->id, '/');

	return s ? s + 1 : j->c->id;
}

static int ms_write_junit(const char *run_dir, const char *run_id, const struct ms_job *jobs,
			  size_t n)
{
	struct ms_buf b = {0};
	struct ms_counts all;
	double total_time = 0;
	char now[32], host[256] = "";
	char *path;
	int rc;

	ms_utc_now(now, sizeof(now), false);
	gethostname(host, sizeof(host) - 1);
	ms_report_count(jobs, n, &all);
	for (size_t i = 0; i < n; i++)
		total_time += jobs[i].elapsed;
	ms_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
	ms_xml_attr(&b, "name", run_id);
	ms_buf_printf(&b, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
		      all.total, all.failed, all.timed_out + all.interrupted, all.skipped, total_time);

	/* one testsuite per scenario, in the order scenarios first appear */
	for (size_t i = 0; i < n; i++) {
		const struct ms_scenario *sc = jobs[i].c->sc;
		bool first = true;

		for (size_t k = 0; k < i && first; k++)
			first = jobs[k].c->sc != sc;
		if (!first)
			continue;
		struct ms_counts c = {0};
		double t = 0;

		for (size_t k = i; k < n; k++) {
			if (jobs[k].c->sc != sc)
				continue;
			c.total++;
			c.passed += jobs[k].st == MS_ST_PASSED;
			c.failed += jobs[k].st == MS_ST_FAILED;
			c.timed_out += jobs[k].st == MS_ST_TIMEOUT || jobs[k].st == MS_ST_INTERRUPTED;
			c.skipped += jobs[k].st == MS_ST_SKIPPED;
			t += jobs[k].elapsed;
		}
		ms_buf_puts(&b, "  <testsuite");
		ms_xml_attr(&b, "name", sc->name);
		ms_buf_printf(&b, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\"",
			      c.total, c.failed, c.timed_out, c.skipped, t);
		ms_xml_attr(&b, "timestamp", now);
		ms_xml_attr(&b, "hostname", host);
		ms_xml_attr(&b, "file", sc->abspath);
		ms_buf_puts(&b, ">\n    <properties>\n      <property name=\"run_id\"");
		ms_xml_attr(&b, "value", run_id);
		ms_buf_puts(&b, "/>\n    </properties>\n");
		for (size_t k = i; k < n; k++) {
			const struct ms_job *j = &jobs[k];
			char name[1024];

			if (j->c->sc != sc)
				continue;
			if (j->rel && strstr(j->rel, "/rep-"))
				snprintf(name, sizeof(name), "%s [rep-%d]", ms_params_part(j), j->rep);
			else
				snprintf(name, sizeof(name), "%s", ms_params_part(j));
			ms_buf_puts(&b, "    <testcase");
			ms_xml_attr(&b, "classname", sc->name);
			ms_xml_attr(&b, "name", name);
			ms_buf_printf(&b, " time=\"%.3f\">\n", j->elapsed);
			switch (j->st) {
			case MS_ST_PASSED:
				break;
			case MS_ST_FAILED:
				ms_buf_printf(&b, "      <failure type=\"failed\" message=\"exit status %d\"/>\n",
					      j->exit_code);
				break;
			case MS_ST_TIMEOUT:
				ms_buf_printf(&b, "      <error type=\"timeout\" message=\"timed out after %gs\"/>\n",
					      j->timeout);
				break;
			case MS_ST_INTERRUPTED:
				ms_buf_puts(&b, "      <error type=\"interrupted\" message=\"ms-run was interrupted\"/>\n");
				break;
			case MS_ST_SKIPPED:
				ms_buf_puts(&b, "      <skipped message=\"not run\"/>\n");
				break;
			}
			if (j->st != MS_ST_SKIPPED) {
				ms_xml_tail(&b, run_dir, j, "stdout", "system-out");
				ms_xml_tail(&b, run_dir, j, "stderr", "system-err");
			}
			ms_buf_puts(&b, "    </testcase>\n");
		}
		ms_buf_puts(&b, "  </testsuite>\n");
	}
	ms_buf_puts(&b, "</testsuites>\n");
	path = ms_xasprintf("%s/junit.xml", run_dir);
	rc = ms_write_file(path, b.s, b.len);
	free(path);
	ms_buf_free(&b);
	return rc;
}

static int ms_write_summary(const char *run_dir, const char *run_id, const struct ms_job *jobs,
			    size_t n)
{
	struct ms_counts c;
	json_t *cases = json_array(), *s;
	struct ms_buf txt = {0};
	char *path;
	char now[32];
	int rc = 0;
	FILE *mf;

	ms_report_count(jobs, n, &c);
	ms_utc_now(now, sizeof(now), false);
	for (size_t i = 0; i < n; i++) {
		const struct ms_job *j = &jobs[i];
		json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:o, s:f, s:o, s:o}",
				      "id", j->c->id,
				      "scenario", j->c->sc->name,
				      "repeat", j->rep,
				      "dir", j->rel,
				      "status", ms_status_name(j->st),
				      "exit_code", j->st == MS_ST_PASSED || j->st == MS_ST_FAILED ?
						   json_integer(j->exit_code) : json_null(),
				      "elapsed_s", j->elapsed,
				      "timeout_s", j->timeout > 0 ? json_real(j->timeout) : json_null(),
				      "params", ms_json_kvlist(&j->c->vals));

		json_array_append_new(cases, o);
	}
	s = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
		      "schema", "tpa.ms-run.summary/1",
		      "run_id", run_id,
		      "written_at", now,
		      "total", (json_int_t)c.total,
		      "passed", (json_int_t)c.passed,
		      "failed", (json_int_t)c.failed,
		      "timed_out", (json_int_t)c.timed_out,
		      "interrupted", (json_int_t)c.interrupted,
		      "skipped", (json_int_t)c.skipped,
		      "cases", cases);
	path = ms_xasprintf("%s/summary.json", run_dir);
	if (json_dump_file(s, path, JSON_INDENT(2)) < 0)
		rc = -1;
	free(path);
	json_decref(s);

	mf = open_memstream(&txt.s, &txt.len);
	fprintf(mf, "run %s\n", run_id);
	ms_report_line(mf, &c);
	fputc('\n', mf);
	for (size_t i = 0; i < n; i++) {
		const struct ms_job *j = &jobs[i];
		static const char *const tag[] = {
			[MS_ST_SKIPPED] = "SKIP", [MS_ST_PASSED] = "PASS", [MS_ST_FAILED] = "FAIL",
			[MS_ST_TIMEOUT] = "TIMEOUT", [MS_ST_INTERRUPTED] = "INTR",
		};

		fprintf(mf, "%-8s %9.3fs  %s", tag[j->st], j->elapsed, j->rel);
		if (j->st == MS_ST_FAILED)
			fprintf(mf, "  (exit %d)", j->exit_code);
		fputc('\n', mf);
	}
	fclose(mf);
	path = ms_xasprintf("%s/summary.txt", run_dir);
	if (ms_write_file(path, txt.s, txt.len) < 0)
		rc = -1;
	free(path);
	free(txt.s);
	return rc;
}

int ms_report_write(const char *run_dir, const char *run_id, const struct ms_job *jobs, size_t n)
{
	int rc = ms_write_summary(run_dir, run_id, jobs, n);

	if (ms_write_junit(run_dir, run_id, jobs, n) < 0)
		rc = -1;
	return rc;
}
