/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Entry points of the results subcommands. Each takes the arguments after
 * "results" (argv[0] is the subcommand) and returns the exit status:
 * 0 success, 1 failure or regression, 2 usage or configuration error.
 */
#ifndef RESULTS_CMD_H
#define RESULTS_CMD_H

/**
 * Parse option @p opt of @p cmd as a number in [lo, hi]; prints a message and
 * exits 2 when it is not one.
 */
double res_opt_double(const char *cmd, const char *opt, const char *arg, double lo, double hi);

/** Print the usage of @p cmd (NULL: all) to stderr. */
void res_usage(const char *cmd);

int res_cmd_summary(int argc, char **argv);	/**< results summary */
int res_cmd_compare(int argc, char **argv);	/**< results compare */
int res_cmd_plot(int argc, char **argv);	/**< results plot */
int res_cmd_report(int argc, char **argv);	/**< results report */
int res_cmd_history(int argc, char **argv);	/**< results history */
int res_cmd_store(int argc, char **argv);	/**< results store */
int res_cmd_gate(int argc, char **argv);	/**< results gate */
int res_cmd_insn_gate(int argc, char **argv);	/**< results insn-gate */

#endif
