/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Regression tests of the receive-path fuzzer: every input that once crashed
 * the stack (stack/fuzz/crashes/, one file per bug) is replayed through the
 * same driver as the fuzzer, then the stack must still answer and hold no
 * leaked mbuf. Also checks the driver itself reaches the live connections.
 *
 *   test_fuzz_regress CRASH_DIR [MORE_DIRS...]
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mempool.h>

#include "harness.h"
#include "fuzz_rx.h"

static char **dirs;
static int nr_dirs;

static void test_driver_reaches_both_connections(void **state)
{
	struct tpa_sock_info before, after;
	uint8_t f[256];
	uint16_t lport, pport;
	uint32_t iss, n;
	int sid;

	(void)state;
	/* accepted connection: 5 bytes in sequence, ACK 0 = relative to our ISS */
	assert_int_equal(fuzz_rx_conn(0, &sid, &lport, &pport, &iss), 0);
	assert_int_equal(tpa_sock_info_get(sid, &before), 0);
	n = th_build(f, pport, lport, TCP_ACK | TCP_PSH, FUZZ_PASSIVE_PEER_ISS + 1, 0, 65535, "hello", 5, NULL, 0);
	fuzz_rx_one(f, n);
	assert_int_equal(tpa_sock_info_get(sid, &after), 0);
	assert_int_equal(after.bytes_in - before.bytes_in, 5);
	/* active connection: destination port 0 stands for its local port */
	assert_int_equal(fuzz_rx_conn(1, &sid, &lport, &pport, &iss), 0);
	assert_int_equal(tpa_sock_info_get(sid, &before), 0);
	n = th_build(f, pport, 0, TCP_ACK | TCP_PSH, FUZZ_ACTIVE_PEER_ISS + 1, 0, 65535, "abc", 3, NULL, 0);
	fuzz_rx_one(f, n);
	assert_int_equal(tpa_sock_info_get(sid, &after), 0);
	assert_int_equal(after.bytes_in - before.bytes_in, 3);
}

static int replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[1024];
		uint8_t buf[16384];
		size_t len;
		FILE *f;

		if (de->d_name[0] == '.' || strstr(de->d_name, ".md"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		fprintf(stderr, "replay %s (%zu bytes)\n", de->d_name, len);
		fuzz_rx_one(buf, len);
		n++;
	}
	closedir(d);
	return n;
}

static void test_saved_inputs_replay_cleanly(void **state)
{
	unsigned before, after;
	uint8_t f[128];
	uint16_t lport, pport;
	uint32_t iss, n;
	int sid, total = 0;
	struct th_seg *s;

	(void)state;
	before = rte_mempool_avail_count(th_w->pool);
	for (int i = 0; i < nr_dirs; i++)
		total += replay_dir(dirs[i]);
	fprintf(stderr, "replayed %d saved input(s)\n", total);
	/* still alive: the accepted connection (re-established if an input killed it) answers */
	n = th_build(f, 1, 1, TCP_SYN, 1, 0, 1, NULL, 0, NULL, 0);	/* any input re-arms the connections */
	fuzz_rx_one(f, n);
	assert_int_equal(fuzz_rx_conn(0, &sid, &lport, &pport, &iss), 0);
	th_clear_out();
	th_inject(pport, lport, TCP_ACK | TCP_PSH, FUZZ_PASSIVE_PEER_ISS + 1, iss + 1, 65535, "x", 1, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);		/* new data or a duplicate: an ACK either way */
	assert_true(s->flags & TCP_ACK);
	assert_true(s->ack >= FUZZ_PASSIVE_PEER_ISS + 2);
	/* no mbuf leaked: what the connections still hold is at most their queues */
	th_clear_out();
	after = rte_mempool_avail_count(th_w->pool);
	assert_true(after + 64 >= before);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_driver_reaches_both_connections),
		cmocka_unit_test(test_saved_inputs_replay_cleanly),
	};

	dirs = argv + 1;
	nr_dirs = argc - 1;
	if (fuzz_rx_init()) {
		fprintf(stderr, "harness init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
