/* SPDX-License-Identifier: BSD-3-Clause */
#include "ms_script.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

void ms_script_assign(struct ms_buf *b, const char *name, const struct ms_value *v)
{
	ms_buf_printf(b, "%s=", name);
	if (v->is_list) {
		ms_buf_putc(b, '(');
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				ms_buf_putc(b, ' ');
			ms_buf_shquote(b, v->items[i]);
		}
		ms_buf_putc(b, ')');
	} else {
		ms_buf_shquote(b, v->items[0]);
	}
	ms_buf_putc(b, '\n');
}

static void ms_script_default(struct ms_buf *b, const char *name, const char *val)
{
	ms_buf_printf(b, "[ -n \"${%s-}\" ] || %s=", name, name);
	ms_buf_shquote(b, val);
	ms_buf_putc(b, '\n');
}

/*
 * The EXIT trap runs ms_cleanup after the body whatever happened; TERM/INT
 * (sent by ms-run at a timeout or on Ctrl-C) turn into an exit that goes
 * through it. The body's status is kept.
 */
static const char ms_script_trap[] =
	"_ms_finish() {\n"
	"\tlocal rc=$? crc\n"
	"\ttrap - EXIT TERM INT HUP\n"
	"\tif declare -F ms_cleanup >/dev/null; then\n"
	"\t\tset +e +u\n"
	"\t\tms_cleanup\n"
	"\t\tcrc=$?\n"
	"\t\t[ -z \"$MS_RUN_DIR\" ] || echo \"$crc\" >\"$MS_CASE_DIR/cleanup_status\" 2>/dev/null\n"
	"\t\t[ \"$crc\" -eq 0 ] || echo \"ms: ms_cleanup failed with status $crc\" >&2\n"
	"\tfi\n"
	"\texit \"$rc\"\n"
	"}\n"
	"trap _ms_finish EXIT\n"
	"trap 'exit 143' TERM\n"
	"trap 'exit 130' INT\n"
	"trap 'exit 129' HUP\n";

char *ms_script_render(const struct ms_case *c, const struct ms_kvlist *vars)
{
	const struct ms_scenario *sc = c->sc;
	struct ms_buf b = {0};
	char *tmp = ms_xstrdup(sc->abspath);

	ms_buf_puts(&b, "#!/usr/bin/env bash\n");
	ms_buf_printf(&b, "# matrix-shell case %s\n# generated from %s; edit the .ms file, not this one\n",
		      c->id, sc->abspath);
	ms_buf_puts(&b, "MS_SOURCE=");
	ms_buf_shquote(&b, sc->abspath);
	ms_buf_puts(&b, "\nMS_SOURCE_DIR=");
	ms_buf_shquote(&b, dirname(tmp));
	ms_buf_puts(&b, "\nMS_INCLUDE_DIR=$MS_SOURCE_DIR\nMS_SCENARIO=");
	ms_buf_shquote(&b, sc->name);
	ms_buf_putc(&b, '\n');
	free(tmp);
	/* set by ms-run; defaults let the script also run by hand */
	ms_script_default(&b, "MS_CASE_ID", c->id);
	ms_buf_puts(&b, "[ -n \"${MS_CASE_DIR-}\" ] || MS_CASE_DIR=$PWD\n");
	ms_buf_puts(&b, "[ -n \"${MS_REPEAT-}\" ] || MS_REPEAT=1\n");
	ms_buf_puts(&b, "MS_RUN_DIR=${MS_RUN_DIR-}\n");
	ms_buf_puts(&b, "export MS_SOURCE MS_SOURCE_DIR MS_SCENARIO MS_CASE_ID MS_CASE_DIR MS_REPEAT MS_RUN_DIR\n");

	if (sc->defaults.n) {
		ms_buf_puts(&b, "# default_params\n");
		for (size_t i = 0; i < sc->defaults.n; i++)
			ms_script_assign(&b, sc->defaults.v[i].key, &sc->defaults.v[i].val);
	}
	if (c->vals.n) {
		ms_buf_puts(&b, "# params of this case\n");
		for (size_t i = 0; i < c->vals.n; i++)
			ms_script_assign(&b, c->vals.v[i].key, &c->vals.v[i].val);
	}
	if (vars && vars->n) {
		ms_buf_puts(&b, "# --var overrides\n");
		for (size_t i = 0; i < vars->n; i++)
			ms_script_assign(&b, vars->v[i].key, &vars->v[i].val);
	}
	ms_buf_puts(&b, "# cleanup hook\n");
	ms_buf_puts(&b, ms_script_trap);
	ms_buf_puts(&b, "# ---- body ----\n");
	ms_buf_puts(&b, sc->body);
	return ms_buf_take(&b);
}
