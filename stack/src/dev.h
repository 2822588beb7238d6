/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file The device layer: EAL start-up from the configuration, one port
 * with one RX/TX queue pair per worker, mempools, offloads, RX interrupts.
 */
#ifndef TPA_DEV_H
#define TPA_DEV_H

#include <stdint.h>

struct tpa_dev {
	uint16_t port_id;
	int started;
	int is_tap;
	int rx_intr;		/* RX queue interrupts usable for the idle policy */
	uint64_t tx_offload, rx_offload;
	char name[64];
	char driver[64];
	char runtime_dir[256];	/* EAL's /var/run/dpdk/<prefix>, removed at exit */
};

extern struct tpa_dev tpa_dev;

/** Start EAL with arguments built from tpa_cfg. */
int tpa_dev_eal_init(void);
/** Configure and start the port with @p nr_queue queue pairs; creates each worker's pools. */
int tpa_dev_port_init(int nr_queue);
void tpa_dev_fini(void);
/** Remove EAL's runtime directory (after rte_eal_cleanup or a failed start). */
void tpa_dev_remove_runtime_dir(void);

#endif
