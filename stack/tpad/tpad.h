/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tpad: the crash-cleanup daemon of one stack instance.
 *
 * A userspace stack that dies leaves its peers' connections half-open. At
 * tpa_init() the stack forks tpad, which sleeps until the instance is gone
 * (tpa_fini, exit, or kill -9: a pidfd of the instance plus a control pipe),
 * then forges RST segments for the connections listed in a shared table and
 * removes the instance's runtime files.
 *
 * The table is a file, obs.run_dir/<id>/tpad-conns, mapped by both sides:
 * a 64-byte header then one fixed entry per socket id. The stack writes an
 * entry whenever a connection changes state (tcp_set_state) and clears it
 * when the socket is freed; tpad reads it only after the writer is dead.
 *
 * How the RSTs leave: on a TAP fabric tpad keeps the TAP queue file
 * descriptors it inherited at fork, so the interface outlives the stack and
 * tpad writes frames into it (and reads the peer's answers from it); on
 * other fabrics it uses an AF_PACKET socket on the interface named by
 * tpad.iface. See docs/robustness.md.
 */
#ifndef TPA_TPAD_H
#define TPA_TPAD_H

#include <stdint.h>
#include <stddef.h>

#define TPAD_MAGIC 0x314e4f4344415054ull	/* "TPADCON1" little endian */
#define TPAD_VERSION 1
#define TPAD_FILE "tpad-conns"

/** File header: 64 bytes, little endian host. */
struct tpad_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_size;	/**< offset of entry 0 */
	uint32_t entry_size;
	uint32_t nr_entries;
	uint64_t file_size;
	int32_t pid;		/**< the instance that owns the file */
	uint32_t ip;		/**< our IPv4 address, network order */
	uint8_t mac[6];		/**< our station MAC */
	uint8_t pad[2];
	char name[16];		/**< "tpad-conns" */
};

/** One connection; state TPA_TCP_CLOSED means a free slot. */
struct tpad_conn {
	uint32_t seq;		/**< odd while the stack rewrites the entry */
	uint8_t state;		/**< enum tpa_tcp_state */
	uint8_t family;		/**< 4 */
	uint8_t peer_mac[6];	/**< next hop towards the peer */
	uint32_t lip, rip;	/**< network order */
	uint16_t lport, rport;	/**< network order */
	uint32_t snd_una;	/**< host order, like the rest of the sequence space */
	uint32_t snd_nxt;	/**< highest sequence sent + 1: the peer's rcv_nxt once all arrived */
	uint32_t rcv_nxt;
	uint32_t snd_wnd;	/**< peer's receive window, bytes (scaled) */
	uint32_t reserved[2];
};

_Static_assert(sizeof(struct tpad_hdr) == 64, "tpad header is 64 bytes");
_Static_assert(sizeof(struct tpad_conn) == 48, "tpad entry is 48 bytes");

/** Whether a connection in @p state needs a RST when the stack dies. */
static inline int tpad_state_live(int state)
{
	/* SYN_SENT (2) .. LAST_ACK (9): the peer may hold state. TIME_WAIT and
	 * CLOSED have nothing left at the peer; LISTEN has no peer. */
	return state >= 2 && state <= 9;
}

struct tcp_sock;

/* ---- stack side (called from the stack; all no-ops when tpad is off) ---- */

/** The instance id used under obs.run_dir: obs.id, else the DPDK file prefix. */
void tpad_instance_id(char *buf, size_t len);

/**
 * Create the table and fork the daemon. Call after the port started (the
 * TAP queue descriptors must exist). Failure only disables tpad: returns -1
 * with a warning, the stack keeps running.
 */
int tpad_start(void);

/** The instance is finished (tpa_fini): let the daemon clean up now. */
void tpad_stop(void);

/** Publish @p sk's state and sequence numbers (on every state change and free). */
void tpad_conn_update(const struct tcp_sock *sk);

/* ---- shared helpers (also unit-tested) ---- */

/** Size of a table file with @p nr entries. */
size_t tpad_table_size(uint32_t nr);

/** Map and check @p path: the header must be ours. NULL with errno set otherwise. */
struct tpad_hdr *tpad_table_open(const char *path, size_t *size);

static inline struct tpad_conn *tpad_entries(struct tpad_hdr *h)
{
	return (struct tpad_conn *)((char *)h + h->hdr_size);
}

/** A frame to send, built by tpad_build_rst(). */
#define TPAD_FRAME_LEN 54

/**
 * Build an Ethernet/IPv4/TCP segment from the stack (@p smac, lip:lport) to
 * the peer (@p dmac, rip:rport) with @p flags, @p seq and @p ack (host
 * order); checksums filled. Returns the frame length (TPAD_FRAME_LEN).
 */
size_t tpad_build_seg(uint8_t *frame, const uint8_t smac[6], const uint8_t dmac[6], uint32_t lip,
		      uint32_t rip, uint16_t lport, uint16_t rport, uint8_t flags, uint32_t seq, uint32_t ack);

/** A received TCP segment, decoded by tpad_parse_seg(). */
struct tpad_seg {
	uint8_t smac[6];
	uint32_t sip, dip;	/* network order */
	uint16_t sport, dport;	/* network order */
	uint8_t flags;
	uint32_t seq, ack;	/* host order */
	uint32_t len;		/* payload (+1 for SYN and FIN each) */
};

/** Decode an Ethernet/IPv4/TCP frame; 0, or -1 for anything else or malformed. */
int tpad_parse_seg(const uint8_t *frame, size_t len, struct tpad_seg *s);

/**
 * The RSTs to try for table entry @p c, exact first: snd_nxt, snd_una, then
 * snd_nxt + k * snd_wnd / 4 (k = 1..3) to cope with a slightly stale entry.
 * Fills @p seqs (room for 5) and returns how many (duplicates removed).
 */
int tpad_rst_seqs(const struct tpad_conn *c, uint32_t *seqs);

/** Remove @p path and everything below it (never follows symlinks). 0 or -1. */
int tpad_rmtree(const char *path);

#endif
