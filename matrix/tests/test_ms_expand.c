/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of grid expansion, case ids and script rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ms_expand.h"
#include "ms_parse.h"
#include "ms_script.h"
#include "ms_test_util.h"

static char *dir;

struct fixture {
	struct ms_scenario *sc;
	struct ms_caselist cl;
	struct ms_error err;
	int rc;
};

static void expand_text(struct fixture *f, const char *name, const char *text)
{
	char *path = ms_t_write(dir, name, text);

	memset(f, 0, sizeof(*f));
	f->sc = ms_parse_file(path, &f->err);
	if (!f->sc)
		fail_msg("parse failed: %s", f->err.msg);
	f->rc = ms_expand(f->sc, &f->cl, &f->err);
	free(path);
}

static void fixture_free(struct fixture *f)
{
	ms_caselist_free(&f->cl);
	ms_scenario_free(f->sc);
}

static void assert_ids(const struct fixture *f, const char *const *ids, size_t n)
{
	if (f->rc < 0)
		fail_msg("expand failed: %s", f->err.msg);
	assert_int_equal(f->cl.n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(f->cl.v[i].id, ids[i]);
}

static void test_product_order(void **state)
{
	static const char *const ids[] = {
		"test/test=read__message_size=1__nr_thread=1",
		"test/test=read__message_size=1__nr_thread=2",
		"test/test=read__message_size=64__nr_thread=1",
		"test/test=read__message_size=64__nr_thread=2",
		"test/test=write__message_size=1__nr_thread=1",
		"test/test=write__message_size=1__nr_thread=2",
		"test/test=write__message_size=64__nr_thread=1",
		"test/test=write__message_size=64__nr_thread=2",
	};
	struct fixture f;

	expand_text(&f, "test.ms",
		    "params:\n  test: [read, write]\n  message_size: [1, 64]\n  nr_thread: [1, 2]\nend\n");
	assert_ids(&f, ids, 8);
	for (size_t i = 0; i < f.cl.n; i++)
		assert_int_equal(f.cl.v[i].index, i);
	fixture_free(&f);
}

static void test_exclude(void **state)
{
	static const char *const ids[] = {
		"ex/a=1__b=x__c=p", "ex/a=2__b=x__c=p", "ex/a=2__b=y__c=p",
	};
	struct fixture f;

	/* 2*2*2 = 8, minus (a=1,b=y: 2 cases), minus (c=q: 4 cases, one already gone) → 3 */
	expand_text(&f, "ex.ms",
		    "params:\n  a: [1, 2]\n  b: [x, y]\n  c: [p, q]\nend\n"
		    "exclude:\n  - a: 1\n    b: y\n  - c: q\nend\n");
	assert_ids(&f, ids, 3);
	fixture_free(&f);

	expand_text(&f, "ex.ms", "params:\n  a: [1, 2]\nend\nexclude:\n  - z: 1\nend\n");
	assert_int_equal(f.rc, -1);
	assert_non_null(strstr(f.err.msg, "ex.ms:5:5: exclude: 'z' is not a parameter"));
	fixture_free(&f);
}

/* The example of GitHub's "Expanding or adding matrix configurations". */
static void test_include_github(void **state)
{
	static const char *const ids[] = {
		"gh/fruit=apple__animal=cat__color=pink__shape=circle",
		"gh/fruit=apple__animal=dog__color=green__shape=circle",
		"gh/fruit=pear__animal=cat__color=pink",
		"gh/fruit=pear__animal=dog__color=green",
		"gh/fruit=banana",
		"gh/fruit=banana__animal=cat",
	};
	struct fixture f;

	expand_text(&f, "gh.ms",
		    "params:\n  fruit: [apple, pear]\n  animal: [cat, dog]\nend\n"
		    "include:\n"
		    "  - color: green\n"
		    "  - color: pink\n    animal: cat\n"
		    "  - fruit: apple\n    shape: circle\n"
		    "  - fruit: banana\n"
		    "  - fruit: banana\n    animal: cat\n"
		    "end\n");
	assert_ids(&f, ids, 6);
	fixture_free(&f);
}

static void test_exclude_then_include(void **state)
{
	static const char *const ids[] = {
		"ei/os=linux__v=1", "ei/os=linux__v=2", "ei/os=bsd__v=1", "ei/os=bsd__v=2__extra=yes",
	};
	struct fixture f;

	/* the include re-adds the excluded combination as a new one */
	expand_text(&f, "ei.ms",
		    "params:\n  os: [linux, bsd]\n  v: [1, 2]\nend\n"
		    "exclude:\n  - os: bsd\n    v: 2\nend\n"
		    "include:\n  - os: bsd\n    v: 2\n    extra: 'yes'\nend\n");
	assert_ids(&f, ids, 4);
	fixture_free(&f);
}

static void test_no_params(void **state)
{
	static const char *const one[] = { "plain/default" };
	static const char *const inc[] = { "only/x=1", "only/x=2__y=b" };
	struct fixture f;

	expand_text(&f, "plain.ms", "echo hi\n");
	assert_ids(&f, one, 1);
	fixture_free(&f);
	expand_text(&f, "only.ms", "include:\n  - x: 1\n  - x: 2\n    y: b\nend\n");
	assert_ids(&f, inc, 2);
	fixture_free(&f);
}

static void test_ids_safe(void **state)
{
	struct fixture f;
	char *id;

	expand_text(&f, "my scen.ms",
		    "params:\n  path: ['/tmp/a b', '..']\n  l: [[1, 2]]\nend\n");
	assert_int_equal(f.rc, 0);
	assert_string_equal(f.cl.v[0].id, "my_scen/path=_tmp_a_b__l=1,2");
	assert_string_equal(f.cl.v[1].id, "my_scen/path=..__l=1,2");
	fixture_free(&f);

	/* values that become equal once made safe are an error, not a silent merge */
	expand_text(&f, "clash.ms", "params:\n  v: ['a b', 'a/b']\nend\n");
	assert_int_equal(f.rc, -1);
	assert_non_null(strstr(f.err.msg, "same case id"));
	fixture_free(&f);

	/* long ids are cut and made unique with a hash */
	struct ms_kvlist kv = {0};
	struct ms_value v;
	char big[400];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ms_value_scalar(&v, big);
	ms_kvlist_add(&kv, "k", &v, NULL);
	id = ms_case_id("n", &kv);
	assert_int_equal(strlen(id), 2 + MS_ID_MAX_PART);
	big[5] = 'y';
	ms_value_free(&kv.v[0].val);
	ms_value_scalar(&kv.v[0].val, big);
	char *id2 = ms_case_id("n", &kv);

	assert_string_not_equal(id, id2);
	free(id);
	free(id2);
	ms_value_free(&v);
	ms_kvlist_free(&kv);
}

static void test_timeouts(void **state)
{
	struct fixture f;

	expand_text(&f, "t.ms",
		    "timeout: 7\nparams:\n  a: [1, 2]\nend\n"
		    "include:\n  - a: 2\n    ms_timeout: 30\nend\n");
	assert_int_equal(f.rc, 0);
	assert_true(f.cl.v[0].timeout == 7);
	assert_true(f.cl.v[1].timeout == 30);
	fixture_free(&f);

	expand_text(&f, "t.ms", "default_params:\n  ms_timeout: never\nend\n");
	assert_int_equal(f.rc, -1);
	assert_non_null(strstr(f.err.msg, "t.ms:2:15: timeout must be a positive number"));
	fixture_free(&f);
}

static void test_script(void **state)
{
	struct fixture f;
	struct ms_kvlist vars = {0};
	struct ms_value v;
	char *s;

	expand_text(&f, "s.ms",
		    "default_params:\n  d: base\n  q: \"it's\"\nend\n"
		    "params:\n  a: ['$(touch x)', 'two']\n  l: [[x, 'y z']]\nend\n"
		    "echo body\n");
	assert_int_equal(f.rc, 0);
	ms_value_scalar(&v, "over ride");
	ms_kvlist_add(&vars, "d", &v, NULL);
	s = ms_script_render(&f.cl.v[0], &vars);
	assert_non_null(strstr(s, "d='base'\n"));
	assert_non_null(strstr(s, "q='it'\\''s'\n"));
	assert_non_null(strstr(s, "a='$(touch x)'\n"));
	assert_non_null(strstr(s, "l=('x' 'y z')\n"));
	assert_non_null(strstr(s, "d='over ride'\n"));
	/* defaults, then params, then --var, then the body */
	assert_true(strstr(s, "d='base'") < strstr(s, "a='$(touch x)'"));
	assert_true(strstr(s, "a='$(touch x)'") < strstr(s, "d='over ride'"));
	assert_true(strstr(s, "d='over ride'") < strstr(s, "echo body"));
	assert_non_null(strstr(s, "trap _ms_finish EXIT"));
	free(s);
	ms_value_free(&v);
	ms_kvlist_free(&vars);
	fixture_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_product_order),
		cmocka_unit_test(test_exclude),
		cmocka_unit_test(test_include_github),
		cmocka_unit_test(test_exclude_then_include),
		cmocka_unit_test(test_no_params),
		cmocka_unit_test(test_ids_safe),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_script),
	};
	int rc;

	dir = ms_t_tmpdir();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ms_rm_rf(dir);
	free(dir);
	return rc;
}
