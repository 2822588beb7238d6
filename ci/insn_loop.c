/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpa-insn-loop N: a deterministic workload whose instruction count grows
 * linearly with N. It stands in for stack/bench/tpa-microbench when proving
 * ci/insn-gate: "more iterations" is a deliberate, exactly known slowdown.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static volatile uint64_t insn_loop_sink;

/* The measured region; ci/insn-gates.yaml names it in "collect". */
__attribute__((noinline)) uint64_t insn_loop_run(uint64_t n)
{
	uint64_t x = 88172645463325252ULL, i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return x;
}

int main(int argc, char **argv)
{
	char *end;
	unsigned long long n;

	if (argc != 2) {
		fprintf(stderr, "usage: tpa-insn-loop ITERATIONS\n");
		return 2;
	}
	n = strtoull(argv[1], &end, 10);
	if (end == argv[1] || *end != '\0') {
		fprintf(stderr, "tpa-insn-loop: '%s' is not a number\n", argv[1]);
		return 2;
	}
	insn_loop_sink = insn_loop_run(n);
	return 0;
}
