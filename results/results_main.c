/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * results: read tperf results laid out by ms-run, summarize, compare with
 * statistics, plot, report, keep a per-commit store, and gate CI on them.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results_cmd.h"
#include "results_util.h"

struct res_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
};

static const struct res_cmd res_cmds[] = {
	{"summary", res_cmd_summary, "summary [--json] [--case GLOB] SET"},
	{"compare", res_cmd_compare,
	 "compare [--json] [--case GLOB] [--alpha A] [--min-effect E] [--store DIR] BASE NEW"},
	{"plot", res_cmd_plot,
	 "plot spectrum|throughput|series [--case GLOB] [--metric M] [--out DIR] [--store DIR] SET..."},
	{"report", res_cmd_report, "report [--base SET] [--store DIR] [--out DIR] RUN_DIR|SET"},
	{"history", res_cmd_history,
	 "history METRIC [--case GLOB] [--store DIR] [--plot DIR] [--json] [--alpha A] [--min-effect E]"},
	{"store", res_cmd_store, "store [--store DIR] [--commit SHA] [--link] RUN_DIR..."},
	{"gate", res_cmd_gate, "gate --config FILE [--plots DIR] [--store DIR] [--json] BASE NEW"},
	{"insn-gate", res_cmd_insn_gate,
	 "insn-gate --config FILE [--baseline FILE | --measure-only] [--out FILE] [--threshold T]"},
};
#define RES_NCMDS (sizeof(res_cmds) / sizeof(res_cmds[0]))

void res_usage(const char *cmd)
{
	size_t i;

	fprintf(stderr, "usage:\n");
	for (i = 0; i < RES_NCMDS; i++)
		if (cmd == NULL || strcmp(cmd, res_cmds[i].name) == 0)
			fprintf(stderr, "  results %s\n", res_cmds[i].usage);
	if (cmd == NULL)
		fprintf(stderr, "SET is a run directory or a commit in the store "
				"(results/store/<commit>/<run-id>/).\nSee docs/results.md.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		res_usage(NULL);
		return argc < 2 ? RES_EXIT_USAGE : 0;
	}
	for (i = 0; i < RES_NCMDS; i++)
		if (strcmp(argv[1], res_cmds[i].name) == 0) {
			optind = 1;
			return res_cmds[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "results: unknown command '%s'\n", argv[1]);
	res_usage(NULL);
	return RES_EXIT_USAGE;
}
