/* SPDX-License-Identifier: BSD-3-Clause */
/* Ethernet, IPv4 and ICMP input validation: every malformed frame is dropped and counted by reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_icmp.h>
#include <rte_ip.h>

#include "harness.h"

static uint8_t f[2048];

static int setup(void **state)
{
	(void)state;
	th_reset();
	assert_true(tpa_listen_on(NULL, 80, NULL) >= 0);
	return 0;
}

static struct rte_ipv4_hdr *ip_of(uint8_t *frame)
{
	return (struct rte_ipv4_hdr *)(frame + 14);
}

static void fix_ip_csum(uint8_t *frame)
{
	struct rte_ipv4_hdr *ip = ip_of(frame);

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* A valid SYN to port 80 (a listener answers it): the baseline every mutation breaks. */
static uint32_t good_syn(void)
{
	return th_build(f, 40000, 80, TCP_SYN, 1, 0, 65535, NULL, 0, NULL, 0);
}

static void expect_drop(enum tpa_drop_reason r, uint64_t n)
{
	assert_null(th_pop());
	assert_int_equal(th_drops(r), n);
}

static void test_baseline_syn_is_answered(void **state)
{
	(void)state;
	th_inject_frame(f, good_syn());
	assert_non_null(th_pop());
}

static void test_ethernet(void **state)
{
	uint32_t n;

	(void)state;
	n = good_syn();
	f[0] = 0x02;
	f[5] = 0x77;	/* another station's MAC */
	th_inject_frame(f, n);
	expect_drop(DROP_NOT_FOR_US, 1);
	th_inject_frame(f, 13);
	expect_drop(DROP_SHORT_FRAME, 1);
	n = good_syn();
	f[12] = 0x86;
	f[13] = 0xdd;	/* IPv6: not handled */
	th_inject_frame(f, n);
	expect_drop(DROP_UNKNOWN_ETHERTYPE, 1);
	/* broadcast destination is accepted by L2 */
	n = good_syn();
	memset(f, 0xff, 6);
	th_inject_frame(f, n);
	assert_non_null(th_pop());
}

static void test_ipv4_validation(void **state)
{
	uint32_t n;
	struct rte_ipv4_hdr *ip = ip_of(f);

	(void)state;
	n = good_syn();
	th_inject_frame(f, 14 + 19);	/* shorter than an IPv4 header */
	expect_drop(DROP_IP_SHORT, 1);

	n = good_syn();
	ip->version_ihl = 0x65;
	fix_ip_csum(f);
	th_inject_frame(f, n);
	expect_drop(DROP_IP_VERSION, 1);

	n = good_syn();
	ip->version_ihl = 0x44;	/* IHL 4 words */
	fix_ip_csum(f);
	th_inject_frame(f, n);
	expect_drop(DROP_IP_HDR_LEN, 1);
	n = good_syn();
	ip->version_ihl = 0x4f;	/* 60 bytes of header in a 40-byte packet */
	th_inject_frame(f, 14 + 40);
	expect_drop(DROP_IP_HDR_LEN, 2);

	n = good_syn();
	ip->total_length = rte_cpu_to_be_16(rte_be_to_cpu_16(ip->total_length) + 1);	/* beyond the frame */
	fix_ip_csum(f);
	th_inject_frame(f, n);
	expect_drop(DROP_IP_TOTAL_LEN, 1);
	n = good_syn();
	ip->total_length = rte_cpu_to_be_16(19);	/* below the header */
	fix_ip_csum(f);
	th_inject_frame(f, n);
	expect_drop(DROP_IP_TOTAL_LEN, 2);

	n = good_syn();
	ip->hdr_checksum ^= 0x0100;
	th_inject_frame(f, n);
	expect_drop(DROP_IP_CSUM, 1);

	n = good_syn();
	ip->time_to_live = 0;
	fix_ip_csum(f);
	th_inject_frame(f, n);
	expect_drop(DROP_IP_TTL, 1);

	n = good_syn();
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);	/* first fragment */
	fix_ip_csum(f);
	th_inject_frame(f, n);
	n = good_syn();
	ip->fragment_offset = rte_cpu_to_be_16(185);	/* a later fragment */
	fix_ip_csum(f);
	th_inject_frame(f, n);
	expect_drop(DROP_IP_FRAGMENT, 2);
	/* DF alone is fine */
	n = good_syn();
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	fix_ip_csum(f);
	th_inject_frame(f, n);
	assert_non_null(th_pop());
	th_reset();
	assert_true(tpa_listen_on(NULL, 80, NULL) >= 0);

	n = good_syn();
	inet_pton(AF_INET, "10.0.0.3", &ip->dst_addr);
	fix_ip_csum(f);
	th_inject_frame(f, n);
	expect_drop(DROP_IP_NOT_FOR_US, 1);

	n = good_syn();
	inet_pton(AF_INET, "10.0.0.255", &ip->src_addr);	/* subnet broadcast source */
	fix_ip_csum(f);
	th_inject_frame(f, n);
	n = good_syn();
	inet_pton(AF_INET, "224.0.0.1", &ip->src_addr);
	fix_ip_csum(f);
	th_inject_frame(f, n);
	expect_drop(DROP_IP_BAD_SRC, 2);

	n = good_syn();
	ip->next_proto_id = IPPROTO_UDP;
	fix_ip_csum(f);
	th_inject_frame(f, n);
	expect_drop(DROP_UNKNOWN_PROTO, 1);
}

/* Ethernet padding beyond the IP total length is ignored, not taken as payload. */
static void test_ethernet_padding_trimmed(void **state)
{
	struct th_conn c;
	uint32_t n;
	char b[16];

	(void)state;
	assert_int_equal(th_open_passive(&c, 81, 40001, NULL, 0), 0);
	n = th_build(f, c.pport, c.lport, TCP_ACK | TCP_PSH, c.pseq, c.pack, 65535, "ab", 2, NULL, 0);
	memset(f + n, 0xee, 6);
	th_inject_frame(f, n + 6);
	assert_int_equal(tpa_read(c.sid, b, sizeof(b)), 2);
	assert_memory_equal(b, "ab", 2);
}

static uint32_t icmp_echo(uint8_t *frame, const void *data, uint16_t len)
{
	struct rte_ipv4_hdr *ip = ip_of(frame);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(frame + 34);
	uint32_t n = th_build(frame, 1, 1, TCP_ACK, 0, 0, 0, NULL, 0, NULL, 0);

	(void)n;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + len));
	fix_ip_csum(frame);
	memset(ic, 0, 8);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	ic->icmp_ident = rte_cpu_to_be_16(0x1234);
	ic->icmp_seq_nb = rte_cpu_to_be_16(7);
	memcpy(ic + 1, data, len);
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, 8 + len);
	return 34 + 8 + len;
}

static void test_icmp_echo_reply(void **state)
{
	static const char payload[] = "0123456789abcdefghijklmnopqrstuvwxyz!?";
	const uint16_t len = sizeof(payload);
	struct th_seg *s;
	const struct rte_ipv4_hdr *ip;
	const struct rte_icmp_hdr *ic;
	struct in_addr peer;

	(void)state;
	th_inject_frame(f, icmp_echo(f, payload, len));
	s = th_pop();
	assert_non_null(s);
	assert_int_equal(s->ip_proto, IPPROTO_ICMP);
	assert_int_equal(s->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_true(s->csum_ok);	/* IP header checksum */
	ip = (const struct rte_ipv4_hdr *)(s->raw + 14);
	inet_pton(AF_INET, TH_PEER_IP, &peer);
	assert_int_equal(ip->dst_addr, peer.s_addr);
	assert_int_equal(ip->src_addr, tpa_netif.ip);
	assert_int_equal(rte_be_to_cpu_16(ip->total_length), 20 + 8 + len);
	assert_int_equal(s->frame_len, 14 + 20 + 8 + len);
	ic = (const struct rte_icmp_hdr *)(s->raw + 34);
	assert_int_equal(ic->icmp_code, 0);
	assert_int_equal(rte_be_to_cpu_16(ic->icmp_ident), 0x1234);
	assert_int_equal(rte_be_to_cpu_16(ic->icmp_seq_nb), 7);
	assert_memory_equal(ic + 1, payload, len);
	assert_int_equal(rte_raw_cksum(ic, 8 + len), 0xffff);	/* ICMP checksum verifies */
	{
		static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
		assert_memory_equal(s->raw, peer_mac, 6);
	}
}

static void test_icmp_bad_input(void **state)
{
	uint32_t n;
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(f + 34);

	(void)state;
	n = icmp_echo(f, "data", 4);
	ic->icmp_cksum ^= 0x0001;
	th_inject_frame(f, n);
	expect_drop(DROP_ICMP_CSUM, 1);
	n = icmp_echo(f, "data", 4);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;	/* not a request: ignore */
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, 12);
	th_inject_frame(f, n);
	expect_drop(DROP_ICMP_UNHANDLED, 1);
	n = icmp_echo(f, "", 0);
	ip_of(f)->total_length = rte_cpu_to_be_16(20 + 4);	/* 4 bytes of ICMP */
	fix_ip_csum(f);
	th_inject_frame(f, 14 + 24);
	expect_drop(DROP_ICMP_MALFORMED, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_baseline_syn_is_answered, setup),
		cmocka_unit_test_setup(test_ethernet, setup),
		cmocka_unit_test_setup(test_ipv4_validation, setup),
		cmocka_unit_test_setup(test_ethernet_padding_trimmed, setup),
		cmocka_unit_test_setup(test_icmp_echo_reply, setup),
		cmocka_unit_test_setup(test_icmp_bad_input, setup),
	};

	if (th_global_init()) {
		fprintf(stderr, "harness init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
