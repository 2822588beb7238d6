/* SPDX-License-Identifier: BSD-3-Clause */
/* Start-up and shutdown: configuration → EAL → port → workers → protocols. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_errno.h>

#include "cfg.h"
#include "dev.h"
#include "fault.h"
#include "log.h"
#include "net.h"
#include "obs.h"
#include "tcp.h"
#include "tpad.h"
#include "worker.h"

static int started;
static int next_worker;

static int apply_faults(char *err, size_t errlen);
static void tpa_fini_internal(void);

int tpa_init(int nr_worker)
{
	char err[512];

	if (started) {
		errno = EALREADY;
		return -1;
	}
	if (nr_worker < 1 || nr_worker > 64) {
		fprintf(stderr, "tpa: error: nr_worker %d out of range [1, 64]\n", nr_worker);
		errno = EINVAL;
		return -1;
	}
	if (tpa_cfg_load(&tpa_cfg, err, sizeof(err))) {
		fprintf(stderr, "tpa: config error: %s\n", err);
		errno = EINVAL;
		return -1;
	}
	tpa_log_level = tpa_cfg.log_level;
	if (apply_faults(err, sizeof(err))) {
		fprintf(stderr, "tpa: config error: %s\n", err);
		errno = EINVAL;
		return -1;
	}
	if (tpa_dev_eal_init()) {
		errno = ENODEV;
		return -1;
	}
	tpa_tsc_hz = rte_get_tsc_hz();
	tpa_netif.ip = tpa_cfg.ip;
	tpa_netif.mask = tpa_cfg.mask;
	tpa_netif.gw = tpa_cfg.gw;
	tpa_netif.mtu = (uint16_t)tpa_cfg.mtu;

	tpa_workers = rte_zmalloc("tpa_workers", sizeof(*tpa_workers) * (size_t)nr_worker, RTE_CACHE_LINE_SIZE);
	if (!tpa_workers)
		goto fail;
	tpa_nr_workers = nr_worker;
	for (int i = 0; i < nr_worker; i++)
		if (tpa_worker_setup(&tpa_workers[i], i))
			goto fail;
	if (neigh_init() || tcp_init(nr_worker) || tpa_dev_port_init(nr_worker))
		goto fail;
	started = 1;
	next_worker = 0;
	tpa_obs_init();		/* mem files, control socket, telemetry; a failure only warns */
	tpad_start();		/* crash cleanup daemon (stack/tpad); a failure only warns */
	return 0;

fail:
	tpa_fini_internal();
	errno = ENODEV;
	return -1;
}

static void tpa_fini_internal(void)
{
	tpa_obs_fini();
	neigh_flush();
	if (tpa_workers)
		for (int i = 0; i < tpa_nr_workers; i++)
			tpa_worker_teardown(&tpa_workers[i]);
	tpa_dev_fini();
	tcp_fini();
	rte_free(tpa_workers);
	tpa_workers = NULL;
	tpa_nr_workers = 0;
	rte_eal_cleanup();
	tpa_dev_remove_runtime_dir();
}

/* Is any closed-by-the-app connection still sending its data or FIN? */
static int closing_sockets_busy(void)
{
	for (uint32_t i = 0; i < tcp_max_socks; i++) {
		struct tcp_sock *sk = tcp_socks[i];
		if (sk && sk->in_use && (sk->flags & SK_FIN_QUEUED) &&
		    (sk->state == TPA_TCP_FIN_WAIT_1 || sk->state == TPA_TCP_LAST_ACK ||
		     sk->state == TPA_TCP_CLOSING))
			return 1;
	}
	return 0;
}

/* Drive every worker from this thread for a short while, so that FINs of
 * connections closed just before exit reach the peer. */
static void drain_closing(void)
{
	uint64_t end = tpa_now() + tpa_us_to_tsc(200 * 1000);
	struct tpa_worker *saved = tpa_worker_self();

	while (closing_sockets_busy() && tpa_now() < end)
		for (int i = 0; i < tpa_nr_workers; i++) {
			tpa_worker_set_self(&tpa_workers[i]);
			tpa_worker_run(&tpa_workers[i]);
		}
	tpa_worker_set_self(saved);
}

void tpa_fini(void)
{
	if (!started)
		return;
	drain_closing();
	started = 0;
	tpa_fini_internal();
	tpad_stop();
}

struct tpa_worker *tpa_worker_init(void)
{
	int id = __atomic_fetch_add(&next_worker, 1, __ATOMIC_RELAXED);
	struct tpa_worker *w;

	if (!started || id >= tpa_nr_workers) {
		errno = started ? EBUSY : EINVAL;
		return NULL;
	}
	w = &tpa_workers[id];
	w->bound = 1;
	/* an lcore id gives this thread its own mempool cache */
	if (rte_lcore_id() == LCORE_ID_ANY && rte_thread_register() < 0)
		LOG_WARN("worker %d: no free lcore id (%s): mempool access will not be cached", id,
			 rte_strerror(rte_errno));
	tpa_worker_set_self(w);
	tcp_worker_online(id);
	w->now = tpa_now();
	if (id == 0)
		arp_send_gratuitous(w);
	tpa_worker_flush(w);
	return w;
}

static int apply_faults(char *err, size_t errlen)
{
	struct tpa_fault_spec s;

	if (tpa_fault_parse(tpa_cfg.fault_ingress, &s, err, errlen))
		return -1;
	tpa_fault_set(FAULT_INGRESS, &s);
	if (tpa_fault_parse(tpa_cfg.fault_egress, &s, err, errlen))
		return -1;
	tpa_fault_set(FAULT_EGRESS, &s);
	return 0;
}

int tpa_cfg_get(const char *key, char *buf, size_t len)
{
	int n = tpa_cfg_format(&tpa_cfg, key, buf, len);

	if (n < 0)
		errno = ENOENT;
	return n;
}

int tpa_cfg_set(const char *key, const char *value, char *err, size_t errlen)
{
	struct tpa_cfg tmp = tpa_cfg;

	if (tpa_cfg_apply(&tmp, key, value, 1, err, errlen))
		return -1;
	if (!strncmp(key, "fault.", 6)) {
		tpa_cfg = tmp;
		return apply_faults(err, errlen);
	}
	tpa_cfg = tmp;
	tpa_log_level = tpa_cfg.log_level;
	return 0;
}
