/* SPDX-License-Identifier: BSD-3-Clause */
/* ARP (RFC 826) and the neighbour table: replies, malformed requests, resolution queueing, retries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_arp.h>

#include "harness.h"

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static int setup(void **state)
{
	(void)state;
	th_reset();
	return 0;
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

/* An ARP frame; returns its length (42). */
static uint32_t arp_frame(uint8_t *f, const uint8_t *dst, uint16_t op, const uint8_t *sha, uint32_t sip,
			  const uint8_t *tha, uint32_t tip)
{
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(f + 14);

	memcpy(f, dst, 6);
	memcpy(f + 6, sha, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = 6;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	memcpy(&a->arp_data.arp_sha, sha, 6);
	a->arp_data.arp_sip = sip;
	memcpy(&a->arp_data.arp_tha, tha, 6);
	a->arp_data.arp_tip = tip;
	return 42;
}

static const struct rte_arp_hdr *arp_of(const struct th_seg *s)
{
	return (const struct rte_arp_hdr *)(s->raw + 14);
}

static int neigh_state_of(uint32_t ip, struct neigh_entry *out)
{
	struct neigh_entry t[NEIGH_TABLE_SIZE];
	int n = neigh_dump(t, NEIGH_TABLE_SIZE);

	for (int i = 0; i < n; i++)
		if (t[i].ip == ip) {
			if (out)
				*out = t[i];
			return t[i].state;
		}
	return -1;
}

static void test_arp_request_gets_reply(void **state)
{
	const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x33 };
	const uint8_t zero[6] = { 0 };
	uint8_t f[64];
	struct th_seg *s;
	const struct rte_arp_hdr *a;
	struct neigh_entry e;

	(void)state;
	th_inject_frame(f, arp_frame(f, bcast, RTE_ARP_OP_REQUEST, mac, ip4("10.0.0.33"), zero, ip4(TH_LOCAL_IP)));
	s = th_pop();
	assert_non_null(s);
	assert_int_equal(s->ethertype, RTE_ETHER_TYPE_ARP);
	assert_int_equal(s->arp_op, RTE_ARP_OP_REPLY);
	assert_memory_equal(s->raw, mac, 6);		/* unicast to the asker */
	assert_memory_equal(s->raw + 6, our_mac, 6);
	a = arp_of(s);
	assert_int_equal(rte_be_to_cpu_16(a->arp_hardware), RTE_ARP_HRD_ETHER);
	assert_int_equal(rte_be_to_cpu_16(a->arp_protocol), RTE_ETHER_TYPE_IPV4);
	assert_memory_equal(&a->arp_data.arp_sha, our_mac, 6);
	assert_int_equal(a->arp_data.arp_sip, ip4(TH_LOCAL_IP));
	assert_memory_equal(&a->arp_data.arp_tha, mac, 6);
	assert_int_equal(a->arp_data.arp_tip, ip4("10.0.0.33"));
	assert_true(s->frame_len >= 42);
	assert_null(th_pop());
	/* RFC 826: the asker was learned */
	assert_int_equal(neigh_state_of(ip4("10.0.0.33"), &e), NEIGH_REACHABLE);
	assert_memory_equal(&e.mac, mac, 6);
}

static void test_arp_not_for_us(void **state)
{
	const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x34 };
	const uint8_t zero[6] = { 0 };
	uint8_t f[64];

	(void)state;
	th_inject_frame(f, arp_frame(f, bcast, RTE_ARP_OP_REQUEST, mac, ip4("10.0.0.34"), zero, ip4("10.0.0.99")));
	assert_null(th_pop());
	assert_int_equal(th_drops(DROP_ARP_NOT_FOR_US), 1);
	/* not learned either: the conversation is not ours */
	assert_int_equal(neigh_state_of(ip4("10.0.0.34"), NULL), -1);
}

static void test_arp_malformed(void **state)
{
	const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x35 };
	const uint8_t mcast[6] = { 0x03, 0, 0, 0, 0, 0x35 };
	const uint8_t zero[6] = { 0 };
	uint8_t f[64];
	uint32_t n;
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(f + 14);

	(void)state;
	n = arp_frame(f, bcast, RTE_ARP_OP_REQUEST, mac, ip4("10.0.0.35"), zero, ip4(TH_LOCAL_IP));
	th_inject_frame(f, 14 + 20);	/* truncated */
	a->arp_hlen = 5;
	th_inject_frame(f, n);
	a->arp_hlen = 6;
	a->arp_plen = 16;
	th_inject_frame(f, n);
	a->arp_plen = 4;
	a->arp_hardware = rte_cpu_to_be_16(6);	/* IEEE 802 */
	th_inject_frame(f, n);
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(0x86dd);
	th_inject_frame(f, n);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_opcode = rte_cpu_to_be_16(3);	/* RARP request */
	th_inject_frame(f, n);
	n = arp_frame(f, bcast, RTE_ARP_OP_REQUEST, mcast, ip4("10.0.0.35"), zero, ip4(TH_LOCAL_IP));
	th_inject_frame(f, n);	/* multicast sender: not a station */
	assert_int_equal(th_drops(DROP_ARP_MALFORMED), 7);
	assert_null(th_pop());
	assert_int_equal(neigh_state_of(ip4("10.0.0.35"), NULL), -1);
}

/* Packets to an unknown neighbour wait for the ARP reply, then go to the learned MAC. */
static void test_resolution_queues_then_sends(void **state)
{
	const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x07 };
	uint8_t f[64];
	struct th_seg *s;
	int sid;

	(void)state;
	sid = tpa_connect_to("10.0.0.7", 80, NULL);
	assert_true(sid >= 0);
	th_run();
	s = th_pop();
	assert_non_null(s);
	assert_int_equal(s->arp_op, RTE_ARP_OP_REQUEST);
	assert_memory_equal(s->raw, bcast, 6);
	assert_int_equal(arp_of(s)->arp_data.arp_tip, ip4("10.0.0.7"));
	assert_int_equal(arp_of(s)->arp_data.arp_sip, ip4(TH_LOCAL_IP));
	assert_null(th_pop());	/* the SYN waits */
	assert_int_equal(neigh_state_of(ip4("10.0.0.7"), NULL), NEIGH_INCOMPLETE);
	th_inject_frame(f, arp_frame(f, our_mac, RTE_ARP_OP_REPLY, mac, ip4("10.0.0.7"), our_mac, ip4(TH_LOCAL_IP)));
	s = th_pop();
	assert_non_null(s);
	assert_int_equal(s->ip_proto, IPPROTO_TCP);
	assert_int_equal(s->flags, TCP_SYN);
	assert_memory_equal(s->raw, mac, 6);
	assert_true(s->csum_ok);
	assert_int_equal(neigh_state_of(ip4("10.0.0.7"), NULL), NEIGH_REACHABLE);
}

/* arp.queue_max bounds what waits for one neighbour; the rest is dropped and counted. */
static void test_resolution_queue_bound(void **state)
{
	const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x08 };
	uint8_t f[64];
	struct th_seg *s;
	int nr_arp = 0, nr_syn = 0;

	(void)state;
	th_cfg("arp.queue_max=2");
	for (int i = 0; i < 3; i++)
		assert_true(tpa_connect_to("10.0.0.8", (uint16_t)(80 + i), NULL) >= 0);
	th_run();
	while ((s = th_pop()))
		nr_arp += s->arp_op == RTE_ARP_OP_REQUEST;
	assert_int_equal(nr_arp, 1);	/* one request for the three packets */
	assert_int_equal(th_drops(DROP_NEIGH_QUEUE_FULL), 1);
	th_inject_frame(f, arp_frame(f, our_mac, RTE_ARP_OP_REPLY, mac, ip4("10.0.0.8"), our_mac, ip4(TH_LOCAL_IP)));
	while ((s = th_pop()))
		nr_syn += s->flags == TCP_SYN;
	assert_int_equal(nr_syn, 2);
}

/* No reply: arp.retries requests arp.retry_ms apart, then FAILED and the queue is dropped. */
static void test_resolution_retries_then_fails(void **state)
{
	struct th_seg r[6], *s;
	int n = 0;

	(void)state;
	th_cfg("arp.retries=3; arp.retry_ms=20");
	assert_true(tpa_connect_to("10.0.0.9", 80, NULL) >= 0);
	th_run();
	th_advance_us(75 * 1000);
	while ((s = th_pop()) && n < 6)
		r[n++] = *s;
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++) {
		assert_int_equal(r[i].arp_op, RTE_ARP_OP_REQUEST);
		assert_int_equal(arp_of(&r[i])->arp_data.arp_tip, ip4("10.0.0.9"));
	}
	for (int i = 1; i < n; i++) {
		double ms = th_ms_between(&r[i - 1], &r[i]);
		if (ms < 19.5 || ms > 32.0)	/* the table is scanned every 10 ms */
			fail_msg("retry interval %.2f ms, expected 20..30", ms);
	}
	assert_int_equal(neigh_state_of(ip4("10.0.0.9"), NULL), NEIGH_FAILED);
	assert_int_equal(th_drops(DROP_NEIGH_QUEUE_FULL), 1);	/* the queued SYN */
	/* a FAILED entry is forgotten after a while; a new packet asks again */
	th_advance_us(40 * 1000);
	assert_int_equal(neigh_state_of(ip4("10.0.0.9"), NULL), -1);
}

/* REACHABLE turns STALE after arp.timeout_ms; a STALE entry is still used while it is re-confirmed. */
static void test_stale_entry_reconfirmed(void **state)
{
	const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x0a };
	uint8_t f[64];
	struct th_seg *s;
	int nr_arp = 0, nr_syn = 0;

	(void)state;
	th_cfg("arp.timeout_ms=100");
	th_inject_frame(f, arp_frame(f, our_mac, RTE_ARP_OP_REPLY, mac, ip4("10.0.0.10"), our_mac, ip4(TH_LOCAL_IP)));
	/* a reply addressed to us is learned (RFC 826: we are the target) */
	assert_int_equal(neigh_state_of(ip4("10.0.0.10"), NULL), NEIGH_REACHABLE);
	th_advance_us(120 * 1000);
	assert_int_equal(neigh_state_of(ip4("10.0.0.10"), NULL), NEIGH_STALE);
	assert_true(tpa_connect_to("10.0.0.10", 80, NULL) >= 0);
	th_run();
	while ((s = th_pop())) {
		if (s->arp_op == RTE_ARP_OP_REQUEST)
			nr_arp++;
		if (s->flags == TCP_SYN) {
			nr_syn++;
			assert_memory_equal(s->raw, mac, 6);
		}
	}
	assert_int_equal(nr_arp, 1);
	assert_int_equal(nr_syn, 1);
}

/* Off-link destinations resolve the gateway. */
static void test_gateway_next_hop(void **state)
{
	struct th_seg *s;

	(void)state;
	assert_true(tpa_connect_to("192.0.2.1", 80, NULL) >= 0);
	th_run();
	s = th_pop();
	assert_non_null(s);
	assert_int_equal(s->arp_op, RTE_ARP_OP_REQUEST);
	assert_int_equal(arp_of(s)->arp_data.arp_tip, ip4("10.0.0.254"));
	/* no gateway: unreachable at once */
	th_reset();
	tpa_netif.gw = 0;
	assert_int_equal(tpa_connect_to("192.0.2.1", 80, NULL), -1);
	assert_int_equal(errno, ENETUNREACH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_arp_request_gets_reply, setup),
		cmocka_unit_test_setup(test_arp_not_for_us, setup),
		cmocka_unit_test_setup(test_arp_malformed, setup),
		cmocka_unit_test_setup(test_resolution_queues_then_sends, setup),
		cmocka_unit_test_setup(test_resolution_queue_bound, setup),
		cmocka_unit_test_setup(test_resolution_retries_then_fails, setup),
		cmocka_unit_test_setup(test_stale_entry_reconfirmed, setup),
		cmocka_unit_test_setup(test_gateway_next_hop, setup),
	};

	if (th_global_init()) {
		fprintf(stderr, "harness init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
