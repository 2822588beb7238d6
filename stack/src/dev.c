/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "cfg.h"
#include "dev.h"
#include "fsutil.h"
#include "log.h"
#include "net.h"
#include "pkt.h"
#include "worker.h"

struct tpa_dev tpa_dev;

#define MAX_EAL_ARGS 48

/* Let EAL's lcore 0 float over every CPU we may run on, instead of pinning
 * the application's main thread to CPU 0. */
static void default_lcores(char *buf, size_t len)
{
	cpu_set_t set;
	int first = 1;
	size_t n;

	n = (size_t)snprintf(buf, len, "0@(");
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		for (int c = 0; c < CPU_SETSIZE && n < len - 8; c++) {
			if (!CPU_ISSET(c, &set))
				continue;
			n += (size_t)snprintf(buf + n, len - n, "%s%d", first ? "" : ",", c);
			first = 0;
		}
	}
	if (first)
		n += (size_t)snprintf(buf + n, len - n, "0");
	snprintf(buf + n, len - n, ")");
}

int tpa_dev_eal_init(void)
{
	char *argv[MAX_EAL_ARGS], lcores[128], mem[16], prefix[96], vdev[TPA_CFG_STR_MAX + 8];
	char extra[TPA_CFG_STR_MAX], *save = NULL, *tok;
	int argc = 0, rc;

	if (tpa_cfg.lcores[0])
		snprintf(lcores, sizeof(lcores), "%s", tpa_cfg.lcores);
	else
		default_lcores(lcores, sizeof(lcores));
	if (tpa_cfg.file_prefix[0])
		snprintf(prefix, sizeof(prefix), "%s", tpa_cfg.file_prefix);
	else
		snprintf(prefix, sizeof(prefix), "tpa-%d", (int)getpid());
	snprintf(mem, sizeof(mem), "%u", tpa_cfg.mem_mb);

	argv[argc++] = "tpa";
	argv[argc++] = "--file-prefix";
	argv[argc++] = prefix;
	argv[argc++] = "--lcores";
	argv[argc++] = lcores;
	argv[argc++] = "-m";
	argv[argc++] = mem;
	/* in-memory: hugepages come from memfd, so a crash leaves no hugepage
	 * files; single-file segments let vhost-user share memory by fd */
	argv[argc++] = tpa_cfg.in_memory ? "--in-memory" : "--single-file-segments";
	if (tpa_cfg.vdev[0]) {
		snprintf(vdev, sizeof(vdev), "%s", tpa_cfg.vdev);
		argv[argc++] = "--no-pci";
		argv[argc++] = "--vdev";
		argv[argc++] = vdev;
	} else {
		argv[argc++] = "-a";
		argv[argc++] = tpa_cfg.pci;
	}
	argv[argc++] = "--log-level";
	argv[argc++] = tpa_cfg.log_level >= 3 ? "8" : "4";
	snprintf(extra, sizeof(extra), "%s", tpa_cfg.eal_extra);
	for (tok = strtok_r(extra, " ", &save); tok && argc < MAX_EAL_ARGS - 1; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;

	/* where EAL keeps its runtime files, to remove them however we exit */
	if (getuid() == 0 || !getenv("XDG_RUNTIME_DIR"))
		snprintf(tpa_dev.runtime_dir, sizeof(tpa_dev.runtime_dir), "/var/run/dpdk/%s", prefix);
	else
		snprintf(tpa_dev.runtime_dir, sizeof(tpa_dev.runtime_dir), "%s/dpdk/%s", getenv("XDG_RUNTIME_DIR"),
			 prefix);
	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		tpa_dev_remove_runtime_dir();
		LOG_ERR("DPDK EAL init failed: %s (device '%s')", rte_strerror(rte_errno),
			tpa_cfg.vdev[0] ? tpa_cfg.vdev : tpa_cfg.pci);
		return -1;
	}
	return 0;
}

static int find_port(uint16_t *port)
{
	char name[TPA_CFG_STR_MAX];
	char *comma;
	uint16_t p;

	snprintf(name, sizeof(name), "%s", tpa_cfg.vdev[0] ? tpa_cfg.vdev : tpa_cfg.pci);
	comma = strchr(name, ',');
	if (comma)
		*comma = 0;
	if (rte_eth_dev_get_port_by_name(name, &p) == 0) {
		*port = p;
		return 0;
	}
	RTE_ETH_FOREACH_DEV(p) {
		*port = p;
		return 0;
	}
	LOG_ERR("no DPDK port for device '%s'", name);
	return -1;
}

static int worker_pools(struct tpa_worker *w, int socket)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	uint32_t room = tpa_cfg.mbuf_data_room;

	snprintf(name, sizeof(name), "tpa_w%d", w->id);
	w->pool = rte_pktmbuf_pool_create(name, tpa_cfg.nr_mbuf, tpa_cfg.mbuf_cache, TPA_PKT_PRIV_SIZE,
					  (uint16_t)room, socket);
	snprintf(name, sizeof(name), "tpa_zc%d", w->id);
	/* no data room: these only carry a header-less view of an external
	 * (zero-copy) or indirect (copied) payload buffer */
	w->zc_pool = rte_pktmbuf_pool_create(name, tpa_cfg.nr_mbuf, tpa_cfg.mbuf_cache, TPA_PKT_PRIV_SIZE, 0,
					     socket);
	if (!w->pool || !w->zc_pool) {
		LOG_ERR("cannot create mempools for worker %d (%u mbufs): %s; lower dpdk.nr_mbuf or raise dpdk.mem_mb",
			w->id, tpa_cfg.nr_mbuf, rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

int tpa_dev_port_init(int nr_queue)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_ether_addr mac;
	uint16_t port;
	int rc, socket;

	if (find_port(&port))
		return -1;
	tpa_dev.port_id = port;
	rc = rte_eth_dev_info_get(port, &info);
	if (rc) {
		LOG_ERR("port %u: cannot get device info: %s", port, rte_strerror(-rc));
		return -1;
	}
	snprintf(tpa_dev.driver, sizeof(tpa_dev.driver), "%s", info.driver_name);
	rte_eth_dev_get_name_by_port(port, tpa_dev.name);
	tpa_dev.is_tap = strstr(info.driver_name, "tap") != NULL;
	if (nr_queue > info.max_rx_queues || nr_queue > info.max_tx_queues) {
		LOG_ERR("port %s supports %u RX/%u TX queues; %d workers need one pair each",
			tpa_dev.name, info.max_rx_queues, info.max_tx_queues, nr_queue);
		return -1;
	}

	memset(&conf, 0, sizeof(conf));
	if (tpa_cfg.offload) {
		conf.txmode.offloads = info.tx_offload_capa &
			(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM);
		conf.rxmode.offloads = info.rx_offload_capa &
			(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM);
	}
	conf.txmode.offloads |= info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (tpa_cfg.mtu + RTE_ETHER_HDR_LEN > tpa_cfg.mbuf_data_room - RTE_PKTMBUF_HEADROOM)
		conf.rxmode.offloads |= info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER;
	if (nr_queue > 1 && info.flow_type_rss_offloads) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP);
	}
	/* RX interrupts let an idle worker sleep; not every driver has them */
	conf.intr_conf.rxq = tpa_cfg.idle == TPA_IDLE_BACKOFF;
	rc = rte_eth_dev_configure(port, nr_queue, nr_queue, &conf);
	if (rc && conf.intr_conf.rxq) {
		conf.intr_conf.rxq = 0;
		rc = rte_eth_dev_configure(port, nr_queue, nr_queue, &conf);
	}
	if (rc) {
		LOG_ERR("port %s: configure failed: %s", tpa_dev.name, rte_strerror(-rc));
		return -1;
	}
	tpa_dev.rx_intr = conf.intr_conf.rxq;
	tpa_dev.tx_offload = conf.txmode.offloads;
	tpa_dev.rx_offload = conf.rxmode.offloads;
	if (tpa_cfg.mtu != RTE_ETHER_MTU && (rc = rte_eth_dev_set_mtu(port, (uint16_t)tpa_cfg.mtu))) {
		/* memif and vhost have no MTU to set: they carry what fits their
		 * (chained) buffers, so within max_mtu the setting is ours alone */
		if (rc != -ENOTSUP || tpa_cfg.mtu > info.max_mtu) {
			LOG_ERR("port %s: cannot set MTU %u: %s", tpa_dev.name, tpa_cfg.mtu, rte_strerror(-rc));
			return -1;
		}
		LOG_INFO("port %s has no MTU setting; using MTU %u (max %u)", tpa_dev.name, tpa_cfg.mtu,
			 info.max_mtu);
	}

	socket = rte_eth_dev_socket_id(port);
	if (socket < 0)
		socket = 0;
	for (int q = 0; q < nr_queue; q++) {
		struct tpa_worker *w = &tpa_workers[q];
		struct rte_eth_rxconf rxc = info.default_rxconf;
		struct rte_eth_txconf txc = info.default_txconf;

		if (worker_pools(w, socket))
			return -1;
		rxc.offloads = conf.rxmode.offloads;
		txc.offloads = conf.txmode.offloads;
		rc = rte_eth_rx_queue_setup(port, (uint16_t)q, (uint16_t)tpa_cfg.rx_desc, (unsigned)socket, &rxc,
					    w->pool);
		if (!rc)
			rc = rte_eth_tx_queue_setup(port, (uint16_t)q, (uint16_t)tpa_cfg.tx_desc, (unsigned)socket,
						    &txc);
		if (rc) {
			LOG_ERR("port %s: queue %d setup failed: %s", tpa_dev.name, q, rte_strerror(-rc));
			return -1;
		}
		w->port_id = port;
		w->queue_id = (uint16_t)q;
	}
	rc = rte_eth_dev_start(port);
	if (rc) {
		LOG_ERR("port %s: start failed: %s", tpa_dev.name, rte_strerror(-rc));
		return -1;
	}
	tpa_dev.started = 1;
	rte_eth_promiscuous_enable(port);

	/* Our station address: configured, or the port's. On a TAP the port's
	 * address belongs to the kernel interface on the other side of the
	 * wire, so the stack derives a distinct locally administered one. */
	rte_eth_macaddr_get(port, &mac);
	if (tpa_cfg.mac_set) {
		memcpy(tpa_netif.mac.addr_bytes, tpa_cfg.mac, 6);
	} else {
		tpa_netif.mac = mac;
		if (tpa_dev.is_tap) {
			tpa_netif.mac.addr_bytes[0] = 0x02;
			tpa_netif.mac.addr_bytes[5] ^= 0x5a;
		}
	}
	tpa_netif.tx_offload = tpa_dev.tx_offload;
	tpa_netif.rx_offload = tpa_dev.rx_offload;
	LOG_INFO("port %s (%s) up: %d queue(s), tx offloads 0x%" PRIx64 ", rx interrupts %s", tpa_dev.name,
		 tpa_dev.driver, nr_queue, tpa_dev.tx_offload, tpa_dev.rx_intr ? "on" : "off");
	return 0;
}

void tpa_dev_remove_runtime_dir(void)
{
	if (tpa_dev.runtime_dir[0])
		tpa_rmtree(tpa_dev.runtime_dir);
}

void tpa_dev_fini(void)
{
	if (tpa_dev.started) {
		rte_eth_dev_stop(tpa_dev.port_id);
		rte_eth_dev_close(tpa_dev.port_id);
		tpa_dev.started = 0;
	}
}
