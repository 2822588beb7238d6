/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * tpa-relay: a userspace L2 relay between two interfaces that applies
 * network impairments (loss, duplication, reordering, delay with jitter,
 * rate limit, corruption) per direction. It stands in for netem, which the
 * lab kernel lacks. Every random decision comes from a seeded PRNG per
 * direction, so a run is reproducible for a given input sequence.
 */
#ifndef TPA_RELAY_H
#define TPA_RELAY_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

/** Largest frame the relay accepts (bigger frames are counted and dropped). */
#define RELAY_FRAME_MAX 65536

/** Directions: frames received on A go out on B (AB), and the reverse (BA). */
enum relay_dir { RELAY_AB = 0, RELAY_BA = 1, RELAY_NDIR = 2 };

/** Impairments of one direction. Probabilities are in [0, 1]. */
struct relay_impair {
	double loss;		/**< drop probability */
	double dup;		/**< probability of sending one extra copy */
	double reorder;		/**< probability of holding a frame back */
	double corrupt;		/**< probability of flipping one byte past the IP header */
	uint64_t delay_ns;	/**< fixed one-way delay */
	uint64_t jitter_ns;	/**< uniform +/- spread around delay */
	uint64_t reorder_gap_ns; /**< extra hold time of a reordered frame */
	uint64_t rate_bps;	/**< bits per second; 0 = unlimited */
	uint64_t burst_bytes;	/**< token bucket depth; 0 = automatic */
	uint32_t limit;		/**< queued frames before tail drop */
};

/** Counters of one direction. */
struct relay_stats {
	uint64_t rx, rx_bytes;		/**< frames read from the input side */
	uint64_t tx, tx_bytes;		/**< frames written to the output side */
	uint64_t lost;			/**< dropped by --loss */
	uint64_t duplicated;		/**< extra copies made by --dup */
	uint64_t reorder_held;		/**< frames held back by --reorder */
	uint64_t reordered;		/**< frames sent after a later-arrived frame */
	uint64_t corrupted;		/**< frames with one byte flipped */
	uint64_t delayed;		/**< frames queued with a non-zero delay */
	uint64_t rate_waits;		/**< times the token bucket made the head wait */
	uint64_t queue_drops;		/**< tail drops (queue at --limit) */
	uint64_t tx_errors;		/**< send() failures */
	uint64_t rx_errors;		/**< oversized or unreadable frames */
	uint64_t csum_fixed;		/**< partial checksums completed in software */
	uint64_t passed;		/**< non-IP frames spared by --ip-only */
	uint64_t pending;		/**< frames still queued at exit */
};

/** Whole-program configuration, filled by relay_opts_parse(). */
struct relay_cfg {
	const char *ifname[RELAY_NDIR];	/**< [0] = A, [1] = B */
	const char *netns[RELAY_NDIR];	/**< namespace of A / B, NULL = current */
	struct relay_impair imp[RELAY_NDIR];
	uint64_t seed;
	const char *stats_path;		/**< JSON written on exit and on SIGUSR1 */
	int ip_only;			/**< impair only IPv4/IPv6 frames */
	int quiet;
	int check_only;			/**< --check: validate options, do nothing */
};

/* ---- option parsing (opts.c) ---- */

/**
 * Parse a duration: a number with unit ns, us, ms or s ("1ms", "200us",
 * "0.5s"); a bare "0" is accepted. Returns 0, or -1 on a bad value.
 */
int relay_parse_duration(const char *s, uint64_t *ns);

/**
 * Parse a rate: number with unit bit, kbit, mbit, gbit (bits per second) or
 * bps, kbps, mbps, gbps (bytes per second). Returns 0 or -1.
 */
int relay_parse_rate(const char *s, uint64_t *bps);

/** Parse a probability "0.02" or "2%"; must lie in [0, 1]. Returns 0 or -1. */
int relay_parse_prob(const char *s, double *p);

/** Parse a size in bytes with optional k/m suffix (1024-based). Returns 0 or -1. */
int relay_parse_size(const char *s, uint64_t *bytes);

/**
 * Parse argv into @p cfg. On a bad option, prints a message naming the
 * option and the value to stderr and returns 2; returns 1 after --help or
 * a valid --check, 0 on success.
 */
int relay_opts_parse(int argc, char **argv, struct relay_cfg *cfg);

/** Print the usage text to @p f. */
void relay_usage(FILE *f);

/* ---- PRNG (prng.c) ---- */

/** xoshiro256** state. */
struct relay_prng {
	uint64_t s[4];
};

/** Seed @p r from @p seed through splitmix64 (any seed, including 0, is fine). */
void relay_prng_seed(struct relay_prng *r, uint64_t seed);

/** Next 64 random bits. */
uint64_t relay_prng_next(struct relay_prng *r);

/** Uniform double in [0, 1). */
double relay_prng_unit(struct relay_prng *r);

/** True with probability @p p (draws exactly one number, whatever p is). */
int relay_prng_chance(struct relay_prng *r, double p);

/* ---- packet helpers (frame.c) ---- */

/**
 * Locate the L4 region of an Ethernet frame carrying IPv4/IPv6.
 * Returns 0 with @p l3, @p l4 and @p end (end of the IP datagram, padding
 * excluded) set, or -1 when the frame is not IP.
 */
int relay_frame_l4(const uint8_t *f, size_t len, size_t *l3, size_t *l4,
		   size_t *end, uint8_t *proto);

/** Whether the frame is IPv4 or IPv6. */
int relay_frame_is_ip(const uint8_t *f, size_t len);

/**
 * Flip one random byte of the L4 part of an IP frame. Returns the offset
 * flipped, or -1 when there is nothing past the IP header.
 */
long relay_frame_corrupt(uint8_t *f, size_t len, struct relay_prng *r);

/**
 * Complete a TCP/UDP checksum left partial by the sender's offload
 * (the kernel marks it TP_STATUS_CSUMNOTREADY). Returns 0 when fixed.
 */
int relay_frame_fix_csum(uint8_t *f, size_t len);

/* ---- ports (port.c) ---- */

/** One side of the relay: an AF_PACKET socket bound to an interface. */
struct relay_port {
	int fd;
	int ifindex;
	const char *ifname;
	const char *netns;
};

/**
 * Open @p p on its interface (inside its namespace when set): promiscuous,
 * ignoring its own transmissions, non-blocking. Returns 0 or -1 (message printed).
 */
int relay_port_open(struct relay_port *p);

/**
 * Read one frame. Returns its length, 0 when nothing is left, -2 for an
 * outgoing frame to skip, -1 on error (errno set). *csum_partial is set
 * when the checksum still has to be completed.
 */
long relay_port_recv(struct relay_port *p, uint8_t *buf, size_t cap, int *csum_partial);

/** Send one frame. Returns 0 or -1 (errno set). */
int relay_port_send(struct relay_port *p, const uint8_t *buf, size_t len);

/** Whether the bound interface still exists. */
int relay_port_alive(struct relay_port *p);

void relay_port_close(struct relay_port *p);

/* ---- impairment pipeline (impair.c) ---- */

/** A frame waiting for its release time. */
struct relay_frame {
	uint64_t t_release;	/**< CLOCK_MONOTONIC ns */
	uint64_t seq;		/**< arrival order, ties and reorder accounting */
	uint32_t len;
	uint8_t data[];
};

/** One direction: its impairments, PRNG, queue, token bucket and counters. */
struct relay_path {
	struct relay_impair imp;
	struct relay_prng prng;
	struct relay_stats st;
	int ip_only;
	/* min-heap on (t_release, seq) */
	struct relay_frame **heap;
	uint32_t nr, cap;
	uint64_t next_seq;
	uint64_t max_sent_seq;
	int sent_any;
	/* token bucket, in bytes */
	double tokens;
	double burst;
	uint64_t t_refill;
};

/** Initialise @p p; returns 0 or -1 on allocation failure. */
int relay_path_init(struct relay_path *p, const struct relay_impair *imp,
		    uint64_t seed, int ip_only);

/** Feed one received frame at time @p now (ns). */
void relay_path_input(struct relay_path *p, const uint8_t *f, size_t len, uint64_t now);

/**
 * Send what is due at @p now through @p out. Returns the time (ns) of the
 * next event, or UINT64_MAX when the queue is empty.
 */
uint64_t relay_path_output(struct relay_path *p, struct relay_port *out, uint64_t now);

/** Free queued frames (counted as pending) and the queue. */
void relay_path_fini(struct relay_path *p);

/* ---- stats (stats.c) ---- */

/** Human-readable counters for both directions. */
void relay_stats_print(FILE *f, const struct relay_cfg *cfg, const struct relay_path *path);

/** Write the JSON counters to @p path atomically (temp file + rename). 0 or -1. */
int relay_stats_write_json(const char *path, const struct relay_cfg *cfg,
			   const struct relay_path *paths);

/** Monotonic clock in ns. */
uint64_t relay_now_ns(void);

#endif /* TPA_RELAY_H */
