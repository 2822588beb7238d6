/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpa-tapcheck: the smallest real DPDK program for the lab. It reads $TPA_CFG
 * (dpdk.vdev, net.ip, net.mac, dpdk.file_prefix) like the stack does, starts
 * the port (the net_tap PMD creates the TAP and sets it UP), then answers ARP
 * and ICMP echo for net.ip until SIGINT/SIGTERM. It proves that `tpa-lab run`
 * can move a live PMD TAP into the peer namespace.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_mbuf.h>

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

/* Value of KEY in a "k=v;k=v" list, copied to OUT. */
static int
cfg_get(const char *cfg, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);
	const char *p = cfg;

	while (p && *p) {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		while (*p == ' ' && n) {
			p++;
			n--;
		}
		if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			snprintf(out, len, "%.*s", (int)(n - klen - 1), p + klen + 1);
			/* later keys win, as in the stack */
		}
		p = end ? end + 1 : NULL;
	}
	return out[0] ? 0 : -1;
}

static int
reply(struct rte_mbuf *m, uint32_t my_ip, const struct rte_ether_addr *my_mac)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
		struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

		if (arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) ||
		    arp->arp_data.arp_tip != my_ip)
			return 0;
		arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
		arp->arp_data.arp_tha = arp->arp_data.arp_sha;
		arp->arp_data.arp_tip = arp->arp_data.arp_sip;
		arp->arp_data.arp_sha = *my_mac;
		arp->arp_data.arp_sip = my_ip;
	} else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
		struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)((char *)ip + rte_ipv4_hdr_len(ip));
		uint32_t sum;

		if (ip->next_proto_id != IPPROTO_ICMP || ip->dst_addr != my_ip ||
		    icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST)
			return 0;
		icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
		/* incremental: type 8 -> 0 adds 0x0800 to the checksum */
		sum = (uint32_t)(~rte_be_to_cpu_16(icmp->icmp_cksum) & 0xffff) - 0x0800;
		sum = (sum & 0xffff) + (sum >> 16);
		icmp->icmp_cksum = rte_cpu_to_be_16((uint16_t)~sum);
		ip->dst_addr = ip->src_addr;
		ip->src_addr = my_ip;
	} else {
		return 0;
	}
	eth->dst_addr = eth->src_addr;
	eth->src_addr = *my_mac;
	return 1;
}

int
main(int argc, char **argv)
{
	char vdev[256] = "", ip[64] = "", mac[32] = "", prefix[64] = "tapcheck";
	char vdev_arg[300], prefix_arg[100];
	const char *cfg = getenv("TPA_CFG");
	struct rte_eth_conf conf = { 0 };
	struct rte_ether_addr my_mac;
	struct rte_mempool *mp;
	uint64_t replies = 0, rx = 0;
	uint32_t my_ip;
	char *slash;
	int rc;

	(void)argc;
	if (cfg == NULL || cfg_get(cfg, "dpdk.vdev", vdev, sizeof(vdev)) < 0 ||
	    cfg_get(cfg, "net.ip", ip, sizeof(ip)) < 0 ||
	    cfg_get(cfg, "net.mac", mac, sizeof(mac)) < 0) {
		fprintf(stderr, "tpa-tapcheck: TPA_CFG must set dpdk.vdev, net.ip and net.mac\n");
		return 2;
	}
	cfg_get(cfg, "dpdk.file_prefix", prefix, sizeof(prefix));
	slash = strchr(ip, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, ip, &my_ip) != 1 || rte_ether_unformat_addr(mac, &my_mac) < 0) {
		fprintf(stderr, "tpa-tapcheck: bad net.ip '%s' or net.mac '%s'\n", ip, mac);
		return 2;
	}
	snprintf(vdev_arg, sizeof(vdev_arg), "--vdev=%s", vdev);
	snprintf(prefix_arg, sizeof(prefix_arg), "--file-prefix=%s", prefix);
	char *eal[] = { argv[0], "-l", "0", "--no-huge", "-m", "128", "--no-pci",
			"--log-level=*:warning", vdev_arg, prefix_arg, NULL };
	rc = rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal);
	if (rc < 0) {
		fprintf(stderr, "tpa-tapcheck: EAL init failed\n");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "tpa-tapcheck: no port\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("tapcheck", 2047, 64, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (mp == NULL || rte_eth_dev_configure(0, 1, 1, &conf) < 0 ||
	    rte_eth_rx_queue_setup(0, 0, 256, 0, NULL, mp) < 0 ||
	    rte_eth_tx_queue_setup(0, 0, 256, 0, NULL) < 0 ||
	    rte_eth_dev_start(0) < 0) {
		fprintf(stderr, "tpa-tapcheck: port setup failed\n");
		return 1;
	}
	printf("tpa-tapcheck: port started, ip %s\n", ip);
	fflush(stdout);
	while (!quit) {
		struct rte_mbuf *pkts[32], *out[32];
		uint16_t n = rte_eth_rx_burst(0, 0, pkts, 32), i, k = 0, sent;

		rx += n;
		for (i = 0; i < n; i++) {
			if (reply(pkts[i], my_ip, &my_mac))
				out[k++] = pkts[i];
			else
				rte_pktmbuf_free(pkts[i]);
		}
		sent = k ? rte_eth_tx_burst(0, 0, out, k) : 0;
		replies += sent;
		for (i = sent; i < k; i++)
			rte_pktmbuf_free(out[i]);
		if (n == 0)
			rte_delay_us_sleep(200);
	}
	printf("tpa-tapcheck: rx=%lu replies=%lu\n", (unsigned long)rx, (unsigned long)replies);
	rte_eth_dev_stop(0);
	rte_eth_dev_close(0);
	rte_eal_cleanup();
	return 0;
}
