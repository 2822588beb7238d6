/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the .ms reader: blocks, includes and every error path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ms_parse.h"
#include "ms_test_util.h"

static char *dir;

/* Parse TEXT as DIR/t.ms; expect failure with a message starting "t.ms:LINE:COL: " and containing WHAT. */
static void expect_error(const char *text, int line, int col, const char *what)
{
	char *path = ms_t_write(dir, "t.ms", text);
	struct ms_error err = {{0}};
	struct ms_scenario *sc = ms_parse_file(path, &err);
	char *prefix = ms_xasprintf("%s:%d:%d: ", path, line, col);

	if (sc || strncmp(err.msg, prefix, strlen(prefix)) || !strstr(err.msg, what))
		fail_msg("input:\n%s\nwant '%s...%s', got '%s'", text, prefix, what,
			 sc ? "(success)" : err.msg);
	ms_scenario_free(sc);
	free(prefix);
	free(path);
}

static void test_blocks_and_body(void **state)
{
	char *path = ms_t_write(dir, "blocks.ms",
				"# header comment\n"
				"params:\n"
				"  b: [1, 2]\n"
				"  a: x\n"
				"end\n"
				"echo one\n"
				"default_params:\n"
				"  d: 'quoted value'\n"
				"  arr: [p, q]\n"
				"end\n"
				"timeout: 12.5\n"
				"echo two\n");
	struct ms_error err;
	struct ms_scenario *sc = ms_parse_file(path, &err);

	assert_non_null(sc);
	assert_string_equal(sc->name, "blocks");
	assert_int_equal(sc->nparams, 2);
	assert_string_equal(sc->params[0].key, "b");
	assert_int_equal(sc->params[0].nvals, 2);
	assert_string_equal(sc->params[0].vals[1].items[0], "2");
	assert_string_equal(sc->params[1].key, "a");
	assert_int_equal(sc->params[1].nvals, 1);
	assert_int_equal(sc->params[1].pos.line, 4);
	assert_int_equal(sc->params[1].pos.col, 3);
	assert_int_equal(sc->defaults.n, 2);
	assert_string_equal(sc->defaults.v[0].val.items[0], "quoted value");
	assert_true(sc->defaults.v[1].val.is_list);
	assert_int_equal(sc->defaults.v[1].val.n, 2);
	assert_true(sc->timeout > 12.4 && sc->timeout < 12.6);
	assert_string_equal(sc->body, "# header comment\necho one\necho two\n");
	ms_scenario_free(sc);
	free(path);
}

/* "word:" at column 0 without a later "end" is body text (a heredoc), not a block */
static void test_colon_lines_in_body(void **state)
{
	char *path = ms_t_write(dir, "heredoc.ms",
				"python3 - <<'PY'\n"
				"if x:\n"
				"    pass\n"
				"else:\n"
				"    pass\n"
				"PY\n"
				"params:\n  a: [1]\nend\n"
				"finally:\n");
	struct ms_error err;
	struct ms_scenario *sc = ms_parse_file(path, &err);

	if (!sc)
		fail_msg("%s", err.msg);
	assert_non_null(strstr(sc->body, "\nelse:\n"));
	assert_non_null(strstr(sc->body, "\nfinally:\n"));
	assert_int_equal(sc->nparams, 1);
	ms_scenario_free(sc);
	free(path);
}

static void test_include_nested(void **state)
{
	char *sub = ms_xasprintf("%s/lib", dir);
	char *path;
	struct ms_error err;
	struct ms_scenario *sc;

	ms_mkdir_p(sub, 0755);
	free(ms_t_write(sub, "a.msh", "default_params:\n  x: 1\nend\nfa() { :; }\n#include b.msh\n"));
	free(ms_t_write(sub, "b.msh", "fb() { :; }\n"));
	path = ms_t_write(dir, "inc.ms", "#include \"lib/a.msh\"\nparams:\n  y: [1]\nend\nfa; fb\n");
	sc = ms_parse_file(path, &err);
	assert_non_null(sc);
	assert_int_equal(sc->defaults.n, 1);
	assert_non_null(strstr(sc->body, "fa() { :; }"));
	assert_non_null(strstr(sc->body, "fb() { :; }"));
	assert_true(strstr(sc->body, "fb() {") < strstr(sc->body, "fa; fb"));
	assert_int_equal(sc->nfiles, 3);
	ms_scenario_free(sc);
	free(path);
	free(sub);
}

static void test_defaults_merge(void **state)
{
	char *path = ms_t_write(dir, "merge.ms",
				"default_params:\n  x: 1\n  y: 2\nend\n"
				"default_params:\n  x: 3\nend\n");
	struct ms_error err;
	struct ms_scenario *sc = ms_parse_file(path, &err);

	assert_non_null(sc);
	assert_int_equal(sc->defaults.n, 2);
	assert_string_equal(ms_kvlist_find(&sc->defaults, "x")->val.items[0], "3");
	ms_scenario_free(sc);
	free(path);
}

static void test_errors(void **state)
{
	expect_error("params:\n  a: [1, 2\nend\n", 3, 1, "bad YAML");
	expect_error("params:\n  a: {x: 1\nend\n", 3, 1, "bad YAML");
	expect_error("echo\nparams:\n  a: []\nend\n", 3, 6, "empty list");
	expect_error("params:\n  a: [[]]\nend\n", 2, 7, "empty list");
	expect_error("params:\n  a: [1]\n  b: [2]\n  a: [3]\nend\n", 4, 3, "duplicate key 'a'");
	expect_error("default_params:\n  a: 1\n  a: 2\nend\n", 3, 3, "duplicate key 'a'");
	expect_error("params:\n  a: [1]\nend\nparams:\n  a: [2]\nend\n", 5, 3, "duplicate parameter 'a'");
	expect_error("echo hi\nparams:\n  a: [1]\n", 2, 1, "unterminated 'params:' block");
	expect_error("exclude:\n  - a: 1\n", 1, 1, "unterminated 'exclude:' block");
	expect_error("echo\n\nparms:\n  a: 1\nend\n", 3, 1, "unknown block 'parms:'");
	expect_error("else:\nparms:\n  a: 1\nend\ntimeout: 1\n", 2, 1, "unknown block 'parms:'");
	expect_error("params: [1, 2]\n", 1, 9, "starts a block");
	expect_error("params:\nend\n", 1, 1, "empty 'params:' block");
	expect_error("params:\n  - 1\nend\n", 2, 3, "expected a mapping");
	expect_error("params:\n  a:\n    x: 1\nend\n", 3, 5, "must be a list");
	expect_error("params:\n  a: [{x: 1}]\nend\n", 2, 7, "scalar or a list");
	expect_error("params:\n  a-b: [1]\nend\n", 2, 3, "not a valid name");
	expect_error("params:\n  1a: [1]\nend\n", 2, 3, "not a valid name");
	expect_error("exclude:\n  a: 1\nend\n", 2, 3, "expected a list");
	expect_error("include:\n  - 7\nend\n", 2, 5, "must be a mapping");
	expect_error("include:\n  - {}\nend\n", 2, 5, "empty entry");
	expect_error("exclude:\n  []\nend\n", 2, 3, "empty list");
	expect_error("timeout: soon\n", 1, 10, "positive number");
	expect_error("timeout: -1\n", 1, 10, "positive number");
	expect_error("timeout:\n  [1]\nend\n", 2, 3, "number of seconds");
	expect_error("echo\n#include missing.msh\n", 2, 10, "cannot include 'missing.msh'");
	expect_error("#include\n", 1, 1, "missing file name");
}

static void test_include_cycle(void **state)
{
	char *a, *b;
	struct ms_error err = {{0}};
	struct ms_scenario *sc;
	char *want;

	free(ms_t_write(dir, "cyc_b.msh", "echo b\n\n#include cyc_a.msh\n"));
	a = ms_t_write(dir, "cyc_a.msh", "#include cyc_b.msh\n");
	b = ms_xasprintf("%s/cyc_b.msh", dir);
	sc = ms_parse_file(a, &err);
	assert_null(sc);
	want = ms_xasprintf("%s:3:10: include cycle", b);
	if (strncmp(err.msg, want, strlen(want)))
		fail_msg("want '%s', got '%s'", want, err.msg);
	free(want);
	/* a file including itself */
	free(a);
	a = ms_t_write(dir, "self.ms", "#include self.ms\n");
	sc = ms_parse_file(a, &err);
	assert_null(sc);
	assert_non_null(strstr(err.msg, "include cycle"));
	/* the same file twice, not nested, is fine */
	free(ms_t_write(dir, "twice.msh", "x=1\n"));
	free(a);
	a = ms_t_write(dir, "twice.ms", "#include twice.msh\n#include twice.msh\n");
	sc = ms_parse_file(a, &err);
	assert_non_null(sc);
	ms_scenario_free(sc);
	free(a);
	free(b);
}

static void test_missing_file(void **state)
{
	struct ms_error err;
	struct ms_scenario *sc = ms_parse_file("/nonexistent/x.ms", &err);

	assert_null(sc);
	assert_non_null(strstr(err.msg, "/nonexistent/x.ms"));
}

static void test_sanitize(void **state)
{
	char s[] = "a b/c\\d$e=f.g,h-i*j";

	ms_sanitize(s);
	assert_string_equal(s, "a_b_c_d_e=f.g,h-i_j");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_and_body),
		cmocka_unit_test(test_colon_lines_in_body),
		cmocka_unit_test(test_include_nested),
		cmocka_unit_test(test_defaults_merge),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_include_cycle),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_sanitize),
	};
	int rc;

	dir = ms_t_tmpdir();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ms_rm_rf(dir);
	free(dir);
	return rc;
}
