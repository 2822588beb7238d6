/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include "log.h"

int tpa_log_level = TPA_LOG_WARN;

void tpa_log(enum tpa_log_level lvl, const char *fmt, ...)
{
	static const char *const tag[] = { "error", "warning", "info", "debug" };
	char line[512];
	va_list ap;

	if ((int)lvl > tpa_log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one write per line so concurrent workers do not interleave */
	fprintf(stderr, "tpa: %s: %s\n", tag[lvl], line);
}
