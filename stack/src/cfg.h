/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file Configuration: a table of typed keys ("section.name"), filled from
 * built-in defaults, then a file, then the $TPA_CFG override list.
 * Every bad value is rejected with the key, the value and what was expected.
 */
#ifndef TPA_CFG_H
#define TPA_CFG_H

#include <stdint.h>
#include <stddef.h>

#define TPA_CFG_STR_MAX 256

enum tpa_idle_policy { TPA_IDLE_POLL, TPA_IDLE_BACKOFF };

struct tpa_cfg {
	/* net */
	uint32_t ip;		/* network order; 0 = unset */
	uint32_t mask;		/* network order */
	uint32_t gw;		/* network order; 0 = none */
	uint8_t mac[6];
	int mac_set;
	uint32_t mtu;
	/* dpdk */
	char vdev[TPA_CFG_STR_MAX];
	char pci[TPA_CFG_STR_MAX];
	char lcores[64];
	char file_prefix[64];
	char eal_extra[TPA_CFG_STR_MAX];
	uint32_t mem_mb;
	int in_memory;
	uint32_t nr_mbuf;	/* per worker */
	uint32_t mbuf_cache;
	uint32_t mbuf_data_room;
	uint32_t rx_desc, tx_desc;
	uint32_t burst;
	int offload;
	/* worker */
	int idle;		/* enum tpa_idle_policy */
	uint32_t idle_polls;
	uint32_t idle_sleep_us;
	/* neighbour */
	uint32_t arp_timeout_ms, arp_retry_ms, arp_retries, arp_queue_max;
	/* tcp */
	uint32_t write_chunk_size;
	uint32_t snd_buf, rcv_buf;
	uint32_t time_wait_ms;
	uint32_t rto_min_ms, rto_max_ms, rto_init_ms;
	uint32_t retries, syn_retries;
	uint32_t delayed_ack_us;
	int keepalive;
	uint32_t keepalive_idle_s, keepalive_intvl_s, keepalive_probes;
	int sack, timestamps, wscale;
	uint32_t ooo_max_bytes;
	uint32_t listen_backlog;
	uint32_t max_socks;
	char cc[16];
	/* observability */
	int latency;		/* per-socket stage histograms on */
	int trace;		/* per-socket trace ring on */
	uint32_t trace_records;
	uint32_t archive_max;	/* trace archives kept (newest) */
	char run_dir[TPA_CFG_STR_MAX];
	char id[64];
	int log_level;
	/* fault injection specs (fault.h syntax) */
	char fault_ingress[128];
	char fault_egress[128];
	/* debug: a fixed extra per-packet cost in ns, to prove the perf gates */
	uint32_t debug_slow_ns;
	/* tpad: crash cleanup daemon (stack/tpad) */
	int tpad_enable;
	char tpad_iface[64];
	uint32_t tpad_linger_ms;
};

extern struct tpa_cfg tpa_cfg;

/** Reset @p c to built-in defaults. */
void tpa_cfg_defaults(struct tpa_cfg *c);

/**
 * Apply one "key=value" to @p c. @p where names the origin for messages
 * ("tpa.cfg:12", "$TPA_CFG"). Returns 0, or -1 with a message in @p err.
 * @p runtime: refuse keys that cannot change while running.
 */
int tpa_cfg_apply(struct tpa_cfg *c, const char *key, const char *value, int runtime,
		  char *err, size_t errlen);

/** Parse a config file (INI sections or dotted keys). 0 or -1 with @p err set. */
int tpa_cfg_load_file(struct tpa_cfg *c, const char *path, char *err, size_t errlen);

/** Parse a "k=v; k=v" override string. */
int tpa_cfg_load_string(struct tpa_cfg *c, const char *s, const char *origin, char *err, size_t errlen);

/** Defaults, then file ($TPA_CFG_FILE or ./tpa.cfg), then $TPA_CFG; then cross-checks. */
int tpa_cfg_load(struct tpa_cfg *c, char *err, size_t errlen);

/** Cross-key checks (e.g. gateway on-link). */
int tpa_cfg_validate(const struct tpa_cfg *c, char *err, size_t errlen);

/** Format the value of @p key into @p buf; -1 if unknown. */
int tpa_cfg_format(const struct tpa_cfg *c, const char *key, char *buf, size_t len);

/** Iterate keys: name of key @p i, NULL past the end; *runtime set to settable-at-runtime. */
const char *tpa_cfg_key_name(int i, int *runtime);

#endif
