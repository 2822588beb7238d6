/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer entry points for the receive path (see fuzz_rx.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_rx.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (fuzz_rx_init()) {
		fprintf(stderr, "fuzz_rx: harness init failed\n");
		exit(1);
	}
	return 0;
}

/* FUZZ_RX_SELFTEST=1: an input starting with the magic reads one byte past
 * a heap buffer, so a test can prove the sanitizers and the crash reporting
 * work end to end. */
static void selftest(const uint8_t *data, size_t size)
{
	static const char magic[] = "TPA-FUZZ-SELFTEST";
	volatile uint8_t sink;
	uint8_t *p;

	if (size < sizeof(magic) - 1 || memcmp(data, magic, sizeof(magic) - 1) || !getenv("FUZZ_RX_SELFTEST"))
		return;
	p = malloc(size);
	memcpy(p, data, size);
	sink = p[size];
	(void)sink;
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	selftest(data, size);
	fuzz_rx_one(data, size);
	return 0;
}
