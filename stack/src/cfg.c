/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "fault.h"

struct tpa_cfg tpa_cfg;

enum key_type { K_U32, K_BOOL, K_STR, K_IP, K_CIDR, K_MAC, K_IDLE, K_LOGLVL, K_CC, K_FAULT };

struct key_desc {
	const char *name;
	enum key_type type;
	size_t off;		/* offset in struct tpa_cfg */
	size_t size;		/* for strings */
	uint32_t min, max;	/* for K_U32 */
	int runtime;		/* may change while running */
};

#define OFF(f) offsetof(struct tpa_cfg, f)
#define U32(n, f, lo, hi, rt) { n, K_U32, OFF(f), 0, lo, hi, rt }
#define BOOL(n, f, rt) { n, K_BOOL, OFF(f), 0, 0, 1, rt }
#define STR(n, f) { n, K_STR, OFF(f), sizeof(((struct tpa_cfg *)0)->f), 0, 0, 0 }

static const struct key_desc keys[] = {
	{ "net.ip", K_CIDR, OFF(ip), 0, 0, 0, 0 },
	{ "net.mask", K_IP, OFF(mask), 0, 0, 0, 0 },
	{ "net.gw", K_IP, OFF(gw), 0, 0, 0, 0 },
	{ "net.mac", K_MAC, OFF(mac), 0, 0, 0, 0 },
	U32("net.mtu", mtu, 576, 9000, 0),
	STR("dpdk.vdev", vdev),
	STR("dpdk.pci", pci),
	STR("dpdk.lcores", lcores),
	STR("dpdk.file_prefix", file_prefix),
	STR("dpdk.eal_extra", eal_extra),
	U32("dpdk.mem_mb", mem_mb, 32, 65536, 0),
	BOOL("dpdk.in_memory", in_memory, 0),
	U32("dpdk.nr_mbuf", nr_mbuf, 1024, 1 << 22, 0),
	U32("dpdk.mbuf_cache", mbuf_cache, 0, 512, 0),
	U32("dpdk.mbuf_data_room", mbuf_data_room, 512, 65535, 0),
	U32("dpdk.rx_desc", rx_desc, 64, 16384, 0),
	U32("dpdk.tx_desc", tx_desc, 64, 16384, 0),
	U32("dpdk.burst", burst, 1, 256, 0),
	BOOL("dpdk.offload", offload, 0),
	{ "worker.idle", K_IDLE, OFF(idle), 0, 0, 0, 1 },
	U32("worker.idle_polls", idle_polls, 1, 100000000, 1),
	U32("worker.idle_sleep_us", idle_sleep_us, 1, 1000000, 1),
	U32("arp.timeout_ms", arp_timeout_ms, 100, 86400000, 1),
	U32("arp.retry_ms", arp_retry_ms, 10, 60000, 1),
	U32("arp.retries", arp_retries, 1, 100, 1),
	U32("arp.queue_max", arp_queue_max, 1, 4096, 0),
	U32("tcp.write_chunk_size", write_chunk_size, 64, 1 << 20, 1),
	U32("tcp.snd_buf", snd_buf, 4096, 1 << 30, 0),
	U32("tcp.rcv_buf", rcv_buf, 4096, 1 << 30, 0),
	U32("tcp.time_wait_ms", time_wait_ms, 0, 240000, 1),
	U32("tcp.rto_min_ms", rto_min_ms, 1, 60000, 1),
	U32("tcp.rto_max_ms", rto_max_ms, 100, 600000, 1),
	U32("tcp.rto_init_ms", rto_init_ms, 1, 60000, 1),
	U32("tcp.retries", retries, 1, 100, 1),
	U32("tcp.syn_retries", syn_retries, 1, 100, 1),
	U32("tcp.delayed_ack_us", delayed_ack_us, 0, 500000, 1),
	BOOL("tcp.keepalive", keepalive, 1),
	U32("tcp.keepalive_idle_s", keepalive_idle_s, 1, 86400, 1),
	U32("tcp.keepalive_intvl_s", keepalive_intvl_s, 1, 3600, 1),
	U32("tcp.keepalive_probes", keepalive_probes, 1, 100, 1),
	BOOL("tcp.sack", sack, 1),
	BOOL("tcp.timestamps", timestamps, 1),
	BOOL("tcp.wscale", wscale, 0),
	U32("tcp.ooo_max_bytes", ooo_max_bytes, 0, 1u << 30, 1),
	U32("tcp.listen_backlog", listen_backlog, 1, 65535, 1),
	U32("tcp.max_socks", max_socks, 16, 1 << 20, 0),
	{ "tcp.cc", K_CC, OFF(cc), sizeof(((struct tpa_cfg *)0)->cc), 0, 0, 0 },
	BOOL("obs.latency", latency, 1),
	BOOL("obs.trace", trace, 1),
	U32("obs.trace_records", trace_records, 64, 1 << 20, 0),
	U32("obs.archive_max", archive_max, 1, 4096, 1),
	STR("obs.run_dir", run_dir),
	STR("obs.id", id),
	{ "log.level", K_LOGLVL, OFF(log_level), 0, 0, 0, 1 },
	{ "fault.ingress", K_FAULT, OFF(fault_ingress), sizeof(((struct tpa_cfg *)0)->fault_ingress), 0, 0, 1 },
	{ "fault.egress", K_FAULT, OFF(fault_egress), sizeof(((struct tpa_cfg *)0)->fault_egress), 0, 0, 1 },
	U32("debug.slow_ns", debug_slow_ns, 0, 1000000, 1),
	BOOL("tpad.enable", tpad_enable, 0),
	STR("tpad.iface", tpad_iface),
	U32("tpad.linger_ms", tpad_linger_ms, 0, 60000, 0),
};
#define NR_KEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const idle_names[] = { "poll", "backoff" };
static const char *const log_names[] = { "error", "warning", "info", "debug" };

void tpa_cfg_defaults(struct tpa_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->mtu = 1500;
	snprintf(c->vdev, sizeof(c->vdev), "net_tap0,iface=tpa0");
	c->mem_mb = 256;
	c->in_memory = 1;
	c->nr_mbuf = 16384;
	c->mbuf_cache = 256;
	c->mbuf_data_room = 2048 + 128;
	c->rx_desc = 1024;
	c->tx_desc = 1024;
	c->burst = 32;
	c->offload = 1;
	c->idle = TPA_IDLE_POLL;
	c->idle_polls = 20000;
	c->idle_sleep_us = 1000;
	c->arp_timeout_ms = 300000;
	c->arp_retry_ms = 200;
	c->arp_retries = 5;
	c->arp_queue_max = 64;
	c->write_chunk_size = 16384;
	c->snd_buf = 1 << 20;
	c->rcv_buf = 1 << 20;
	c->time_wait_ms = 2000;
	c->rto_min_ms = 200;
	c->rto_max_ms = 120000;
	c->rto_init_ms = 1000;
	c->retries = 15;
	c->syn_retries = 6;
	c->delayed_ack_us = 1000;
	c->keepalive = 1;
	c->keepalive_idle_s = 60;
	c->keepalive_intvl_s = 10;
	c->keepalive_probes = 6;
	c->sack = 1;
	c->timestamps = 1;
	c->wscale = 1;
	c->ooo_max_bytes = 4 << 20;
	c->listen_backlog = 128;
	c->max_socks = 16384;
	snprintf(c->cc, sizeof(c->cc), "newreno");
	c->latency = 1;
	c->trace = 1;
	c->trace_records = 2048;
	c->archive_max = 64;
	snprintf(c->run_dir, sizeof(c->run_dir), "/run/tpa");
	c->log_level = 1;
	c->tpad_enable = 1;
	c->tpad_linger_ms = 1000;
}

static const struct key_desc *find_key(const char *name)
{
	for (size_t i = 0; i < NR_KEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int parse_u32(const char *v, uint32_t *out)
{
	char *end;
	unsigned long long x;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	x = strtoull(v, &end, 0);
	if (errno || x > UINT32_MAX)
		return -1;
	/* binary suffixes are convenient for buffer sizes */
	if (*end == 'k' || *end == 'K')
		x <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		x <<= 20, end++;
	else if (*end == 'g' || *end == 'G')
		x <<= 30, end++;
	if (*end || x > UINT32_MAX)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static int parse_mac(const char *v, uint8_t *mac)
{
	unsigned int b[6];
	char tail;

	if (sscanf(v, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		if (b[i] > 255)
			return -1;
	if (b[0] & 1)		/* multicast/broadcast cannot be a station address */
		return -1;
	for (int i = 0; i < 6; i++)	/* only once valid: a refused value changes nothing */
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int pick(const char *v, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	return -1;
}

int tpa_cfg_apply(struct tpa_cfg *c, const char *key, const char *value, int runtime,
		  char *err, size_t errlen)
{
	const struct key_desc *k = find_key(key);
	void *p;
	uint32_t u;
	struct in_addr a;
	int i;

	if (!k) {
		snprintf(err, errlen, "unknown key '%s'", key);
		return -1;
	}
	if (runtime && !k->runtime) {
		snprintf(err, errlen, "key '%s' is read-only at runtime (set it in the config before start)", key);
		return -1;
	}
	p = (char *)c + k->off;
	switch (k->type) {
	case K_U32:
		if (parse_u32(value, &u) || u < k->min || u > k->max) {
			snprintf(err, errlen, "key '%s': bad value '%s': expected an integer in [%u, %u]",
				 key, value, k->min, k->max);
			return -1;
		}
		*(uint32_t *)p = u;
		return 0;
	case K_BOOL:
		i = pick(value, (const char *const[]){ "0", "1", "false", "true", "off", "on", "no", "yes" }, 8);
		if (i < 0) {
			snprintf(err, errlen, "key '%s': bad value '%s': expected 0/1, true/false, on/off or yes/no",
				 key, value);
			return -1;
		}
		*(int *)p = i & 1;
		return 0;
	case K_STR:
		if (strlen(value) >= k->size) {
			snprintf(err, errlen, "key '%s': value '%.40s...' is longer than %zu characters",
				 key, value, k->size - 1);
			return -1;
		}
		snprintf(p, k->size, "%s", value);
		return 0;
	case K_FAULT: {
		struct tpa_fault_spec fs;
		char e[200];
		if (strlen(value) >= k->size || tpa_fault_parse(value, &fs, e, sizeof(e))) {
			snprintf(err, errlen, "key '%s': bad value '%s': %s", key, value,
				 strlen(value) >= k->size ? "too long" : e);
			return -1;
		}
		snprintf(p, k->size, "%s", value);
		return 0;
	}
	case K_CC:
		if (strcmp(value, "newreno") != 0) {
			snprintf(err, errlen, "key '%s': bad value '%s': expected one of: newreno", key, value);
			return -1;
		}
		snprintf(p, k->size, "%s", value);
		return 0;
	case K_IP:
		if (inet_pton(AF_INET, value, &a) != 1) {
			snprintf(err, errlen, "key '%s': bad value '%s': expected a dotted IPv4 address", key, value);
			return -1;
		}
		if (strcmp(key, "net.mask") == 0) {
			uint32_t m = ntohl(a.s_addr);
			if (m & (~m >> 1)) {	/* ones must be contiguous from the top */
				snprintf(err, errlen, "key '%s': bad value '%s': not a contiguous netmask", key, value);
				return -1;
			}
		}
		*(uint32_t *)p = a.s_addr;
		return 0;
	case K_CIDR: {
		char ip[64];
		const char *slash = strchr(value, '/');
		size_t n = slash ? (size_t)(slash - value) : strlen(value);

		if (n >= sizeof(ip))
			goto bad_cidr;
		memcpy(ip, value, n);
		ip[n] = 0;
		if (inet_pton(AF_INET, ip, &a) != 1 || a.s_addr == 0 || (ntohl(a.s_addr) >> 28) >= 14)
			goto bad_cidr;	/* 0.0.0.0, multicast and class E are not host addresses */
		if (slash) {
			if (parse_u32(slash + 1, &u) || u < 1 || u > 32)
				goto bad_cidr;
			c->mask = htonl(u == 32 ? 0xffffffffu : ~(0xffffffffu >> u));
		}
		*(uint32_t *)p = a.s_addr;
		return 0;
bad_cidr:
		snprintf(err, errlen, "key '%s': bad value '%s': expected a unicast IPv4 address, optionally /PREFIX (1..32)",
			 key, value);
		return -1;
	}
	case K_MAC:
		if (parse_mac(value, c->mac)) {
			snprintf(err, errlen, "key '%s': bad value '%s': expected a unicast MAC like 02:00:00:00:00:01",
				 key, value);
			return -1;
		}
		c->mac_set = 1;
		return 0;
	case K_IDLE:
		i = pick(value, idle_names, 2);
		if (i < 0) {
			snprintf(err, errlen, "key '%s': bad value '%s': expected poll or backoff", key, value);
			return -1;
		}
		*(int *)p = i;
		return 0;
	case K_LOGLVL:
		i = pick(value, log_names, 4);
		if (i < 0) {
			snprintf(err, errlen, "key '%s': bad value '%s': expected error, warning, info or debug",
				 key, value);
			return -1;
		}
		*(int *)p = i;
		return 0;
	}
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* One "key = value" line, possibly inside a [section]. */
static int apply_line(struct tpa_cfg *c, const char *section, char *line, const char *where,
		      char *err, size_t errlen)
{
	char *eq = strchr(line, '='), key[128], e[256];
	char *k, *v;

	if (!eq) {
		snprintf(err, errlen, "%s: expected 'key = value', got '%s'", where, line);
		return -1;
	}
	*eq = 0;
	k = trim(line);
	v = trim(eq + 1);
	if (!*k) {
		snprintf(err, errlen, "%s: missing key before '='", where);
		return -1;
	}
	if (section[0] && !strchr(k, '.'))
		snprintf(key, sizeof(key), "%s.%s", section, k);
	else
		snprintf(key, sizeof(key), "%s", k);
	if (tpa_cfg_apply(c, key, v, 0, e, sizeof(e))) {
		snprintf(err, errlen, "%s: %s", where, e);
		return -1;
	}
	return 0;
}

int tpa_cfg_load_file(struct tpa_cfg *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char buf[1024], section[64] = "", where[300];
	int lineno = 0, rc = 0;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open config file: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), f)) {
		char *hash, *l;

		lineno++;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (!strchr(buf, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s: line longer than %zu characters", where, sizeof(buf) - 2);
			rc = -1;
			break;
		}
		hash = strchr(buf, '#');
		if (hash)
			*hash = 0;
		l = trim(buf);
		if (!*l)
			continue;
		if (*l == '[') {
			char *end = strchr(l, ']');
			if (!end || end[1] || end == l + 1 || (size_t)(end - l) > sizeof(section)) {
				snprintf(err, errlen, "%s: bad section header '%s'", where, l);
				rc = -1;
				break;
			}
			*end = 0;
			snprintf(section, sizeof(section), "%s", l + 1);
			continue;
		}
		if (apply_line(c, section, l, where, err, errlen)) {
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

int tpa_cfg_load_string(struct tpa_cfg *c, const char *s, const char *origin, char *err, size_t errlen)
{
	char *dup = strdup(s), *save = NULL, *item;
	int rc = 0, n = 0;

	if (!dup)
		return -1;
	for (item = strtok_r(dup, ";\n", &save); item; item = strtok_r(NULL, ";\n", &save)) {
		char where[128], *t = trim(item);

		n++;
		if (!*t)
			continue;
		snprintf(where, sizeof(where), "%s item %d", origin, n);
		if (apply_line(c, "", t, where, err, errlen)) {
			rc = -1;
			break;
		}
	}
	free(dup);
	return rc;
}

int tpa_cfg_validate(const struct tpa_cfg *c, char *err, size_t errlen)
{
	if (!c->ip) {
		snprintf(err, errlen, "key 'net.ip' is not set: give the stack an address, e.g. net.ip=10.0.0.2/24");
		return -1;
	}
	if (!c->mask) {
		snprintf(err, errlen, "key 'net.mask' is not set: use net.ip=A.B.C.D/PREFIX or net.mask");
		return -1;
	}
	if (c->gw && ((c->gw ^ c->ip) & c->mask)) {
		char g[32];
		inet_ntop(AF_INET, &c->gw, g, sizeof(g));
		snprintf(err, errlen, "key 'net.gw': bad value '%s': not on the local subnet of net.ip", g);
		return -1;
	}
	if (c->vdev[0] && c->pci[0]) {
		snprintf(err, errlen, "keys 'dpdk.vdev' and 'dpdk.pci' are both set: choose one device");
		return -1;
	}
	if (!c->vdev[0] && !c->pci[0]) {
		snprintf(err, errlen, "no device: set dpdk.vdev (e.g. net_tap0,iface=tpa0) or dpdk.pci");
		return -1;
	}
	if (c->mbuf_cache && c->mbuf_cache < c->burst) {
		snprintf(err, errlen, "key 'dpdk.mbuf_cache': bad value '%u': must be 0 or at least dpdk.burst (%u)",
			 c->mbuf_cache, c->burst);
		return -1;
	}
	if (c->rto_min_ms > c->rto_max_ms) {
		snprintf(err, errlen, "key 'tcp.rto_min_ms': bad value '%u': above tcp.rto_max_ms (%u)",
			 c->rto_min_ms, c->rto_max_ms);
		return -1;
	}
	return 0;
}

int tpa_cfg_load(struct tpa_cfg *c, char *err, size_t errlen)
{
	const char *file = getenv("TPA_CFG_FILE"), *env = getenv("TPA_CFG");

	tpa_cfg_defaults(c);
	if (file && *file) {
		if (tpa_cfg_load_file(c, file, err, errlen))
			return -1;
	} else if (access("tpa.cfg", R_OK) == 0) {
		if (tpa_cfg_load_file(c, "tpa.cfg", err, errlen))
			return -1;
	}
	if (env && tpa_cfg_load_string(c, env, "$TPA_CFG", err, errlen))
		return -1;
	return tpa_cfg_validate(c, err, errlen);
}

int tpa_cfg_format(const struct tpa_cfg *c, const char *key, char *buf, size_t len)
{
	const struct key_desc *k = find_key(key);
	const void *p;
	char a[INET_ADDRSTRLEN];

	if (!k)
		return -1;
	p = (const char *)c + k->off;
	switch (k->type) {
	case K_U32:
		return snprintf(buf, len, "%u", *(const uint32_t *)p);
	case K_BOOL:
		return snprintf(buf, len, "%d", *(const int *)p);
	case K_STR:
	case K_CC:
	case K_FAULT:
		return snprintf(buf, len, "%s", (const char *)p);
	case K_IP:
		inet_ntop(AF_INET, p, a, sizeof(a));
		return snprintf(buf, len, "%s", a);
	case K_CIDR:
		inet_ntop(AF_INET, p, a, sizeof(a));
		return snprintf(buf, len, "%s/%d", a, __builtin_popcount(c->mask));
	case K_MAC:
		return snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", c->mac[0], c->mac[1],
				c->mac[2], c->mac[3], c->mac[4], c->mac[5]);
	case K_IDLE:
		return snprintf(buf, len, "%s", idle_names[*(const int *)p]);
	case K_LOGLVL:
		return snprintf(buf, len, "%s", log_names[*(const int *)p]);
	}
	return -1;
}

const char *tpa_cfg_key_name(int i, int *runtime)
{
	if (i < 0 || (size_t)i >= NR_KEYS)
		return NULL;
	if (runtime)
		*runtime = keys[i].runtime;
	return keys[i].name;
}
