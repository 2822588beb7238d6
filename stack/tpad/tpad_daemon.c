/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpad, daemon side. Runs in a child forked from the stack, so it touches
 * nothing of the stack's state: it closes every inherited descriptor but the
 * ones it needs, sleeps until the instance is gone, then:
 *   1. maps the connection table and removes the runtime files;
 *   2. sends, for each live connection, RSTs at the recorded sequence
 *      numbers and one out-of-window ACK ("probe"): a peer whose connection
 *      survived answers the probe (RFC 9293 3.10.7.4, RFC 5961 challenge
 *      ACKs) with its exact rcv_nxt in the ACK field;
 *   3. for up to tpad.linger_ms, answers every segment for a dead
 *      connection with a RST at the sequence the segment acknowledges
 *      (exact, so it is accepted whatever the table said), until each
 *      connection is confirmed gone.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <netpacket/packet.h>
#include <linux/if_ether.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tpad_int.h"

#define TCP_F_FIN 0x01
#define TCP_F_SYN 0x02
#define TCP_F_RST 0x04
#define TCP_F_ACK 0x10
#define PROBE_BACK 0x40000000u	/* a quarter of the sequence space behind: never in window */

struct fabric {
	int fds[TPAD_MAX_TUN + 1];
	int nr;
	int is_tap;
	int ifindex;		/* AF_PACKET */
	size_t hdr_len;		/* TAP: bytes before the Ethernet header (tun_pi, vnet) */
	int tx;			/* the descriptor that last sent fine */
	int tx_err;
	unsigned tx_fail;
};

struct pending {
	struct tpad_conn c;
	int done;
};

void tpad_log(const struct tpad_ctx *ctx, int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (level > ctx->log_level)
		return;
	n = snprintf(line, sizeof(line), "tpad[%d]: ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(2, line, (size_t)n) < 0)
		return;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int keep_fd(const struct tpad_ctx *ctx, int fd)
{
	if (fd == 2 || fd == ctx->pidfd || fd == ctx->ctl)
		return 1;
	for (int i = 0; i < ctx->nr_tun; i++)
		if (ctx->tun[i] == fd)
			return 1;
	return 0;
}

/* Drop what the stack had open (sockets, EAL files, the app's pipes) so
 * nobody waits on us for an EOF; stdin/stdout become /dev/null. */
static void close_inherited(const struct tpad_ctx *ctx)
{
	int fds[1024], n = 0, devnull;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (d) {
		int self = dirfd(d);
		while ((de = readdir(d)) && n < 1024) {
			int fd = atoi(de->d_name);
			if (de->d_name[0] != '.' && fd != self && !keep_fd(ctx, fd))
				fds[n++] = fd;
		}
		closedir(d);
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		if (devnull > 2 && !keep_fd(ctx, devnull))
			close(devnull);
	}
}

static void reset_signals(void)
{
	struct sigaction sa;
	sigset_t all;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &sa, NULL);
	/* terminal and session signals are not for us; TERM still stops us */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

static void wait_instance(const struct tpad_ctx *ctx)
{
	struct pollfd p[2] = { { .fd = ctx->ctl, .events = POLLIN }, { .fd = ctx->pidfd, .events = POLLIN } };

	for (;;) {
		int n = poll(p, ctx->pidfd >= 0 ? 2 : 1, -1);

		if (n < 0 && errno == EINTR)
			continue;
		/* a byte (tpa_fini), EOF (every holder gone) or the pidfd (exit): all mean gone */
		return;
	}
}

static int fabric_open(const struct tpad_ctx *ctx, struct fabric *f)
{
	memset(f, 0, sizeof(*f));
	if (ctx->nr_tun) {
		f->is_tap = 1;
		for (int i = 0; i < ctx->nr_tun; i++) {
			struct ifreq ifr;

			/* the PMD's keep-alive queue is detached: it holds the
			 * interface but its writes go nowhere. Use attached queues. */
			memset(&ifr, 0, sizeof(ifr));
			if (ioctl(ctx->tun[i], TUNGETIFF, &ifr) || (ifr.ifr_flags & IFF_DETACH_QUEUE))
				continue;
			/* frames carry what the PMD chose: struct tun_pi unless
			 * IFF_NO_PI (DPDK's tap keeps it), a virtio-net header with IFF_VNET_HDR */
			if (!f->nr && tpad_tun_hdr_len(ctx->tun[i], &f->hdr_len)) {
				tpad_log(ctx, 0, "warning: cannot learn the TAP's frame header (%s): assuming tun_pi",
					 strerror(errno));
				f->hdr_len = 4;
			}
			fcntl(ctx->tun[i], F_SETFL, fcntl(ctx->tun[i], F_GETFL) | O_NONBLOCK);
			f->fds[f->nr++] = ctx->tun[i];
		}
		if (!f->nr) {
			tpad_log(ctx, 0, "error: no attached TAP queue left to send resets on");
			return -1;
		}
		return 0;
	}
	if (ctx->iface[0]) {
		struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
		struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
		int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));

		f->ifindex = (int)if_nametoindex(ctx->iface);
		if (fd < 0 || !f->ifindex) {
			tpad_log(ctx, 0, "error: af_packet on '%s' (tpad.iface): %s", ctx->iface,
				 fd < 0 ? strerror(errno) : "no such interface");
			if (fd >= 0)
				close(fd);
			return -1;
		}
		sll.sll_ifindex = f->ifindex;
		mr.mr_ifindex = f->ifindex;
		if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
			tpad_log(ctx, 0, "error: bind af_packet to '%s': %s", ctx->iface, strerror(errno));
			close(fd);
			return -1;
		}
		/* the peer answers the stack's MAC, which is not this interface's */
		setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));
		f->fds[f->nr++] = fd;
		return 0;
	}
	return -1;
}

static void fabric_send(struct fabric *f, const uint8_t *frame, size_t len)
{
	if (f->is_tap) {
		/* any attached queue will do: the kernel sees the frame arrive on
		 * the TAP; on an error try the next one and remember what worked */
		uint8_t buf[128] = { 0 };	/* zero tun_pi / vnet header: no flags, no offload */

		memcpy(buf + f->hdr_len, frame, len);
		for (int i = 0; i < f->nr; i++) {
			int k = (f->tx + i) % f->nr;
			if (write(f->fds[k], buf, f->hdr_len + len) >= 0) {
				f->tx = k;
				return;
			}
			f->tx_err = errno;
		}
		f->tx_fail++;
		return;
	}
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = f->ifindex, .sll_halen = 6 };
	memcpy(sll.sll_addr, frame, 6);
	if (sendto(f->fds[0], frame, len, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		f->tx_err = errno;
		f->tx_fail++;
	}
}

static int mac_zero(const uint8_t *m)
{
	return !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]);
}

struct reset_run {
	const struct tpad_ctx *ctx;
	const struct tpad_hdr *h;
	struct fabric f;
	struct pending *conns;
	int nr, left;
	unsigned sent, answered, peer_rst, strangers;
};

static void send_seg(struct reset_run *r, const uint8_t *dmac, uint32_t lip, uint32_t rip, uint16_t lport,
		     uint16_t rport, uint8_t flags, uint32_t seq, uint32_t ack)
{
	uint8_t frame[TPAD_FRAME_LEN];
	size_t n = tpad_build_seg(frame, r->h->mac, dmac, lip, rip, lport, rport, flags, seq, ack);

	fabric_send(&r->f, frame, n);
	r->sent++;
}

static void first_strike(struct reset_run *r)
{
	for (int i = 0; i < r->nr; i++) {
		const struct tpad_conn *c = &r->conns[i].c;
		uint32_t seqs[5];
		int n;

		if (mac_zero(c->peer_mac))
			continue;	/* next hop unknown: only an answer from the peer tells it */
		n = tpad_rst_seqs(c, seqs);
		for (int k = 0; k < n; k++)
			send_seg(r, c->peer_mac, c->lip, c->rip, c->lport, c->rport, TCP_F_RST, seqs[k], 0);
		send_seg(r, c->peer_mac, c->lip, c->rip, c->lport, c->rport, TCP_F_ACK, c->snd_nxt - PROBE_BACK,
			 c->rcv_nxt);
	}
}

static struct pending *find_conn(struct reset_run *r, const struct tpad_seg *s)
{
	for (int i = 0; i < r->nr; i++) {
		const struct tpad_conn *c = &r->conns[i].c;
		if (c->lip == s->dip && c->rip == s->sip && c->lport == s->dport && c->rport == s->sport)
			return &r->conns[i];
	}
	return NULL;
}

/* A frame from the wire after the instance died. */
static void on_frame(struct reset_run *r, const uint8_t *frame, size_t len)
{
	struct tpad_seg s;
	struct pending *p;

	if (tpad_parse_seg(frame, len, &s) || s.dip != r->h->ip)
		return;
	if (!r->f.is_tap && memcmp(frame, r->h->mac, 6))
		return;		/* af_packet sees the whole wire: only what was sent to the stack */
	p = find_conn(r, &s);
	if (!p && !r->f.is_tap)
		return;		/* a shared wire: strangers may belong to a new instance */
	if (s.flags & TCP_F_RST) {
		if (p && !p->done) {
			p->done = 1;
			r->left--;
			r->peer_rst++;
		}
		return;
	}
	/* what a host without the connection answers (RFC 9293 3.10.7.1): exact by construction */
	if (s.flags & TCP_F_ACK)
		send_seg(r, s.smac, s.dip, s.sip, s.dport, s.sport, TCP_F_RST, s.ack, 0);
	else
		send_seg(r, s.smac, s.dip, s.sip, s.dport, s.sport, TCP_F_RST | TCP_F_ACK, 0, s.seq + s.len);
	if (!p) {
		r->strangers++;
	} else if (!p->done) {
		p->done = 1;
		r->left--;
		r->answered++;
	}
}

static void linger(struct reset_run *r)
{
	uint64_t deadline = now_ms() + r->ctx->linger_ms;
	struct pollfd pfd[TPAD_MAX_TUN + 1];
	uint8_t buf[16384];

	for (int i = 0; i < r->f.nr; i++)
		pfd[i] = (struct pollfd){ .fd = r->f.fds[i], .events = POLLIN };
	while (r->left > 0) {
		uint64_t t = now_ms();
		if (t >= deadline)
			break;
		if (poll(pfd, (nfds_t)r->f.nr, (int)(deadline - t)) <= 0)
			continue;
		for (int i = 0; i < r->f.nr; i++) {
			ssize_t n;
			if (!(pfd[i].revents & POLLIN))
				continue;
			while ((n = read(pfd[i].fd, buf, sizeof(buf))) > 0)
				if ((size_t)n > r->f.hdr_len)
					on_frame(r, buf + r->f.hdr_len, (size_t)n - r->f.hdr_len);
		}
	}
}

static void reset_connections(const struct tpad_ctx *ctx, const struct tpad_hdr *h)
{
	struct reset_run r = { .ctx = ctx, .h = h };
	const struct tpad_conn *e = tpad_entries((struct tpad_hdr *)h);
	unsigned torn = 0;

	r.conns = calloc(h->nr_entries ? h->nr_entries : 1, sizeof(*r.conns));
	if (!r.conns)
		return;
	for (uint32_t i = 0; i < h->nr_entries; i++) {
		uint32_t s0 = __atomic_load_n(&e[i].seq, __ATOMIC_ACQUIRE);
		struct tpad_conn c = e[i];

		if (!tpad_state_live(c.state))
			continue;
		/* killed mid-update: use it anyway, the answers fix the sequence */
		torn += (s0 & 1) || __atomic_load_n(&e[i].seq, __ATOMIC_ACQUIRE) != s0;
		r.conns[r.nr++].c = c;
	}
	r.left = r.nr;
	if (fabric_open(ctx, &r.f)) {
		if (r.nr)
			tpad_log(ctx, 0, "warning: instance %d left %d connection(s) and there is no way to reset "
				 "them (no TAP, no tpad.iface)", (int)ctx->instance, r.nr);
		free(r.conns);
		return;
	}
	first_strike(&r);
	linger(&r);
	tpad_log(ctx, r.left ? 0 : 1,
		 "instance %d gone: %d connection(s)%s, %u segment(s) sent, %u reset by answer, %u confirmed by "
		 "the peer's RST, %d unconfirmed, %u stranger(s) answered%s",
		 (int)ctx->instance, r.nr, torn ? " (some entries torn)" : "", r.sent, r.answered, r.peer_rst,
		 r.left, r.strangers, r.left ? " (reset sent, no answer seen)" : "");
	if (r.f.tx_fail)
		tpad_log(ctx, 0, "warning: %u frame(s) could not be sent: %s", r.f.tx_fail, strerror(r.f.tx_err));
	free(r.conns);
}

/* Is the table file still ours? A new instance with the same id may own it now. */
static int files_ours(const struct tpad_ctx *ctx)
{
	size_t size;
	struct tpad_hdr *h = tpad_table_open(ctx->table, &size);
	int ours;

	if (!h)
		return 1;	/* gone or unreadable: nobody newer claimed the directory */
	ours = h->pid == (int32_t)ctx->instance;
	if (!ours)
		tpad_log(ctx, 1, "%s belongs to instance %d now: leaving the files alone", ctx->table, (int)h->pid);
	munmap(h, size);
	return ours;
}

void tpad_daemon_main(struct tpad_ctx *ctx)
{
	setsid();
	prctl(PR_SET_NAME, "tpad", 0, 0, 0);
	reset_signals();
	close_inherited(ctx);
	wait_instance(ctx);

	if (files_ours(ctx))
		tpad_cleanup_files(ctx);
	if (ctx->tab)
		reset_connections(ctx, ctx->tab);
	_exit(0);
}
