/* SPDX-License-Identifier: BSD-3-Clause */
/* Configuration parser: every key's good and bad values, files, sections, $TPA_CFG, runtime rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "cfg.h"

#define LONG300 "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" \
	"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define LONG70 "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"

struct key_case {
	const char *key;
	const char *good;
	const char *shown;	/* tpa_cfg_format after applying good */
	const char *bad[4];
};

/* One row per key: a test fails when a key is added without a row here. */
static const struct key_case cases[] = {
	{ "net.ip", "10.1.2.3/16", "10.1.2.3/16", { "10.1.2/8", "224.0.0.1", "10.0.0.1/33", "0.0.0.0" } },
	{ "net.mask", "255.255.0.0", "255.255.0.0", { "255.0.255.0", "abc", "255.255.0" } },
	{ "net.gw", "10.1.0.1", "10.1.0.1", { "10.1.0.300", "gw" } },
	{ "net.mac", "02:aa:bb:cc:dd:ee", "02:aa:bb:cc:dd:ee",
	  { "01:00:5e:00:00:01", "02:aa:bb:cc:dd", "02:aa:bb:cc:dd:ee:ff", "02:aa:bb:cc:dd:1ff" } },
	{ "net.mtu", "9000", "9000", { "575", "9001", "1500x", "" } },
	{ "dpdk.vdev", "net_null0", "net_null0", { LONG300 } },
	{ "dpdk.pci", "0000:00:01.0", "0000:00:01.0", { LONG300 } },
	{ "dpdk.lcores", "0-3", "0-3", { LONG70 } },
	{ "dpdk.file_prefix", "tpa1", "tpa1", { LONG70 } },
	{ "dpdk.eal_extra", "--log-level=8", "--log-level=8", { LONG300 } },
	{ "dpdk.mem_mb", "1024", "1024", { "31", "65537", "-5" } },
	{ "dpdk.in_memory", "no", "0", { "maybe", "2" } },
	{ "dpdk.nr_mbuf", "4k", "4096", { "1023", "5M", "4q" } },
	{ "dpdk.mbuf_cache", "0", "0", { "513" } },
	{ "dpdk.mbuf_data_room", "4096", "4096", { "511", "65536" } },
	{ "dpdk.rx_desc", "512", "512", { "63", "16385" } },
	{ "dpdk.tx_desc", "512", "512", { "63", "16385" } },
	{ "dpdk.burst", "64", "64", { "0", "257" } },
	{ "dpdk.offload", "off", "0", { "2" } },
	{ "worker.idle", "backoff", "backoff", { "sleep", "" } },
	{ "worker.idle_polls", "100", "100", { "0" } },
	{ "worker.idle_sleep_us", "500", "500", { "0", "1000001" } },
	{ "arp.timeout_ms", "1000", "1000", { "99", "86400001" } },
	{ "arp.retry_ms", "10", "10", { "9", "60001" } },
	{ "arp.retries", "5", "5", { "0", "101" } },
	{ "arp.queue_max", "16", "16", { "0", "4097" } },
	{ "tcp.write_chunk_size", "1k", "1024", { "63", "2M" } },
	{ "tcp.snd_buf", "1m", "1048576", { "4095", "2g", "99999999999" } },
	{ "tcp.rcv_buf", "65536", "65536", { "100" } },
	{ "tcp.time_wait_ms", "0", "0", { "240001" } },
	{ "tcp.rto_min_ms", "1", "1", { "0" } },
	{ "tcp.rto_max_ms", "100", "100", { "99", "600001" } },
	{ "tcp.rto_init_ms", "3000", "3000", { "0", "60001" } },
	{ "tcp.retries", "1", "1", { "0", "101" } },
	{ "tcp.syn_retries", "100", "100", { "101" } },
	{ "tcp.delayed_ack_us", "0", "0", { "500001" } },
	{ "tcp.keepalive", "true", "1", { "enable" } },
	{ "tcp.keepalive_idle_s", "7200", "7200", { "0", "86401" } },
	{ "tcp.keepalive_intvl_s", "75", "75", { "3601" } },
	{ "tcp.keepalive_probes", "9", "9", { "0" } },
	{ "tcp.sack", "0", "0", { "-1" } },
	{ "tcp.timestamps", "yes", "1", { "Y" } },
	{ "tcp.wscale", "on", "1", { "" } },
	{ "tcp.ooo_max_bytes", "0", "0", { "1073741825", "2G" } },
	{ "tcp.listen_backlog", "65535", "65535", { "0", "65536" } },
	{ "tcp.max_socks", "16", "16", { "15", "1048577" } },
	{ "tcp.cc", "newreno", "newreno", { "cubic" } },
	{ "obs.latency", "0", "0", { "x" } },
	{ "obs.trace", "1", "1", { "2" } },
	{ "obs.trace_records", "64", "64", { "63" } },
	{ "obs.archive_max", "1", "1", { "0", "4097" } },
	{ "obs.run_dir", "/tmp/x", "/tmp/x", { LONG300 } },
	{ "obs.id", "srv1", "srv1", { LONG70 } },
	{ "log.level", "debug", "debug", { "verbose" } },
	{ "fault.ingress", "drop=0.5,port=80", "drop=0.5,port=80", { "drop=2", "port=70000" } },
	{ "fault.egress", "dup=0.1", "dup=0.1", { "explode=1", "delay_us=x" } },
	{ "debug.slow_ns", "1000", "1000", { "1000001" } },
	{ "tpad.enable", "1", "1", { "2" } },
	{ "tpad.iface", "eth0", "eth0", { LONG70 } },
	{ "tpad.linger_ms", "100", "100", { "60001" } },
};
#define NR_CASES (sizeof(cases) / sizeof(cases[0]))

static const struct key_case *case_of(const char *key)
{
	for (size_t i = 0; i < NR_CASES; i++)
		if (strcmp(cases[i].key, key) == 0)
			return &cases[i];
	return NULL;
}

static void test_every_key_has_a_case(void **state)
{
	const char *k;
	int i, rt;

	(void)state;
	for (i = 0; (k = tpa_cfg_key_name(i, &rt)); i++)
		if (!case_of(k))
			fail_msg("config key '%s' has no test case", k);
	assert_int_equal((size_t)i, NR_CASES);
}

static void test_good_values(void **state)
{
	struct tpa_cfg c;
	char err[512], buf[512];

	(void)state;
	for (size_t i = 0; i < NR_CASES; i++) {
		tpa_cfg_defaults(&c);
		if (tpa_cfg_apply(&c, cases[i].key, cases[i].good, 0, err, sizeof(err)))
			fail_msg("%s=%s refused: %s", cases[i].key, cases[i].good, err);
		assert_true(tpa_cfg_format(&c, cases[i].key, buf, sizeof(buf)) >= 0);
		if (strcmp(buf, cases[i].shown))
			fail_msg("%s=%s reads back as '%s', expected '%s'", cases[i].key, cases[i].good, buf,
				 cases[i].shown);
	}
}

/* Each bad value is refused with a message naming the key and the value; nothing changes. */
static void test_bad_values(void **state)
{
	struct tpa_cfg c, ref;
	char err[512], frag[32];

	(void)state;
	for (size_t i = 0; i < NR_CASES; i++) {
		for (int b = 0; b < 4 && cases[i].bad[b]; b++) {
			const char *v = cases[i].bad[b];

			tpa_cfg_defaults(&c);
			tpa_cfg_defaults(&ref);
			err[0] = 0;
			if (tpa_cfg_apply(&c, cases[i].key, v, 0, err, sizeof(err)) == 0)
				fail_msg("%s='%s' was accepted", cases[i].key, v);
			if (!strstr(err, cases[i].key))
				fail_msg("message for %s='%s' does not name the key: %s", cases[i].key, v, err);
			snprintf(frag, sizeof(frag), "%.20s", v);
			if (!strstr(err, frag))
				fail_msg("message for %s='%s' does not show the value: %s", cases[i].key, v, err);
			if (memcmp(&c, &ref, sizeof(c)))
				fail_msg("%s='%s' refused but changed the config", cases[i].key, v);
		}
	}
}

static void test_unknown_key(void **state)
{
	struct tpa_cfg c;
	char err[256];

	(void)state;
	tpa_cfg_defaults(&c);
	assert_int_equal(tpa_cfg_apply(&c, "tcp.nonsense", "1", 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "tcp.nonsense"));
}

/* Keys that cannot change while running are refused by tpa_cfg_apply(runtime=1). */
static void test_runtime_read_only(void **state)
{
	static const char *const must_be_ro[] = { "net.ip", "net.mac", "dpdk.vdev", "dpdk.nr_mbuf", "tcp.max_socks",
						  "tcp.snd_buf", "tcp.rcv_buf", "tcp.wscale", "arp.queue_max" };
	static const char *const must_be_rw[] = { "tcp.delayed_ack_us", "tcp.write_chunk_size", "log.level",
						  "fault.egress", "tcp.keepalive" };
	struct tpa_cfg c;
	char err[512];
	const char *k;
	int rt;

	(void)state;
	for (int i = 0; (k = tpa_cfg_key_name(i, &rt)); i++) {
		const struct key_case *kc = case_of(k);
		int rc;

		assert_non_null(kc);
		tpa_cfg_defaults(&c);
		err[0] = 0;
		rc = tpa_cfg_apply(&c, k, kc->good, 1, err, sizeof(err));
		if (rt && rc)
			fail_msg("runtime key %s refused at runtime: %s", k, err);
		if (!rt) {
			if (rc == 0)
				fail_msg("read-only key %s accepted at runtime", k);
			if (!strstr(err, k) || !strstr(err, "read-only"))
				fail_msg("message for read-only %s: %s", k, err);
		}
	}
	for (size_t i = 0; i < sizeof(must_be_ro) / sizeof(must_be_ro[0]); i++) {
		const char *n;
		for (int j = 0; (n = tpa_cfg_key_name(j, &rt)); j++)
			if (strcmp(n, must_be_ro[i]) == 0 && rt)
				fail_msg("%s must not be settable at runtime", n);
	}
	for (size_t i = 0; i < sizeof(must_be_rw) / sizeof(must_be_rw[0]); i++) {
		tpa_cfg_defaults(&c);
		if (tpa_cfg_apply(&c, must_be_rw[i], case_of(must_be_rw[i])->good, 1, err, sizeof(err)))
			fail_msg("%s should be settable at runtime: %s", must_be_rw[i], err);
	}
}

static char *write_tmp(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/tpa-cfg-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_file_sections_comments_and_lines(void **state)
{
	struct tpa_cfg c;
	char err[512], want[128];
	char *path;

	(void)state;
	path = write_tmp("# a comment\n"
			 "net.ip = 10.9.0.2/24   # trailing comment\n"
			 "\n"
			 "[tcp]\n"
			 "snd_buf = 64k\n"
			 "  rcv_buf=128k\n"
			 "arp.retries = 7\n"	/* dotted keys inside a section stay as written */
			 "[worker]\n"
			 "idle = backoff\n");
	tpa_cfg_defaults(&c);
	if (tpa_cfg_load_file(&c, path, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(c.snd_buf, 65536);
	assert_int_equal(c.rcv_buf, 131072);
	assert_int_equal(c.arp_retries, 7);
	assert_int_equal(c.idle, TPA_IDLE_BACKOFF);
	assert_int_equal(c.mask, htonl(0xffffff00));
	unlink(path);

	/* an error names file:line, the key and the value */
	path = write_tmp("[tcp]\nsnd_buf = 64k\n\n# fine so far\nretries = lots\n");
	tpa_cfg_defaults(&c);
	assert_int_equal(tpa_cfg_load_file(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:5", path);
	if (!strstr(err, want) || !strstr(err, "tcp.retries") || !strstr(err, "lots"))
		fail_msg("bad message: %s", err);
	unlink(path);

	path = write_tmp("net.mtu 1500\n");
	assert_int_equal(tpa_cfg_load_file(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:1", path);
	assert_non_null(strstr(err, want));
	unlink(path);

	path = write_tmp("[tcp\nsnd_buf=1\n");
	assert_int_equal(tpa_cfg_load_file(&c, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "section"));
	snprintf(want, sizeof(want), "%s:1", path);
	assert_non_null(strstr(err, want));
	unlink(path);

	path = write_tmp("[tcp]\n = 5\n");
	assert_int_equal(tpa_cfg_load_file(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2", path);
	assert_non_null(strstr(err, want));
	unlink(path);

	assert_int_equal(tpa_cfg_load_file(&c, "/nonexistent/tpa.cfg", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/tpa.cfg"));
}

static void test_override_string(void **state)
{
	struct tpa_cfg c;
	char err[512];

	(void)state;
	tpa_cfg_defaults(&c);
	assert_int_equal(tpa_cfg_load_string(&c, " tcp.sack=0 ;; tcp.retries = 4;\nlog.level=info ", "$TPA_CFG", err,
					     sizeof(err)), 0);
	assert_int_equal(c.sack, 0);
	assert_int_equal(c.retries, 4);
	assert_int_equal(c.log_level, 2);
	assert_int_equal(tpa_cfg_load_string(&c, "tcp.sack=0; tcp.retries=x", "$TPA_CFG", err, sizeof(err)), -1);
	if (!strstr(err, "$TPA_CFG") || !strstr(err, "tcp.retries") || !strstr(err, "'x'"))
		fail_msg("bad message: %s", err);
	assert_int_equal(tpa_cfg_load_string(&c, "justakey", "$TPA_CFG", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "justakey"));
}

/* Precedence: defaults < file ($TPA_CFG_FILE) < $TPA_CFG; then cross-key checks. */
static void test_load_precedence_and_validation(void **state)
{
	struct tpa_cfg c;
	char err[512];
	char *path;

	(void)state;
	path = write_tmp("net.ip=10.2.0.2/24\ntcp.retries=5\ntcp.syn_retries=9\n");
	setenv("TPA_CFG_FILE", path, 1);
	setenv("TPA_CFG", "tcp.retries=6", 1);
	if (tpa_cfg_load(&c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(c.retries, 6);
	assert_int_equal(c.syn_retries, 9);
	assert_int_equal(c.keepalive_probes, 6);	/* default */
	/* gateway off the subnet */
	setenv("TPA_CFG", "net.gw=10.3.0.1", 1);
	assert_int_equal(tpa_cfg_load(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "net.gw"));
	assert_non_null(strstr(err, "10.3.0.1"));
	/* rto_min above rto_max */
	setenv("TPA_CFG", "tcp.rto_min_ms=5000; tcp.rto_max_ms=1000", 1);
	assert_int_equal(tpa_cfg_load(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "tcp.rto_min_ms"));
	/* both devices */
	setenv("TPA_CFG", "dpdk.pci=0000:00:01.0", 1);
	assert_int_equal(tpa_cfg_load(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "dpdk.pci"));
	/* no address */
	unlink(path);
	path = write_tmp("tcp.retries=5\n");
	setenv("TPA_CFG_FILE", path, 1);
	unsetenv("TPA_CFG");
	assert_int_equal(tpa_cfg_load(&c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "net.ip"));
	unlink(path);
	unsetenv("TPA_CFG_FILE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_has_a_case),
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_runtime_read_only),
		cmocka_unit_test(test_file_sections_comments_and_lines),
		cmocka_unit_test(test_override_string),
		cmocka_unit_test(test_load_precedence_and_validation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
