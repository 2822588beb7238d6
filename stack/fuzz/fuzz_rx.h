/* SPDX-License-Identifier: BSD-3-Clause */
/** @file The receive-path fuzz driver shared by the libFuzzer target and the regression test. */
#ifndef TPA_FUZZ_RX_H
#define TPA_FUZZ_RX_H

#include <stddef.h>
#include <stdint.h>

/** Start the harness (EAL without hugepages) and open the live sockets. 0 or -1. */
int fuzz_rx_init(void);

/** Feed one Ethernet frame to the receive path, then run timers/output and drain. */
void fuzz_rx_one(const uint8_t *data, size_t size);

/** The live connection @p which (0: accepted, 1: active): sid, ports, our ISS. 0, or -1 when down. */
int fuzz_rx_conn(int which, int *sid, uint16_t *lport, uint16_t *pport, uint32_t *iss);

/** The harness peer's ISS on the accepted and on the active connection (data starts at ISS + 1). */
#define FUZZ_PASSIVE_PEER_ISS 1000u
#define FUZZ_ACTIVE_PEER_ISS 5000u

#endif
