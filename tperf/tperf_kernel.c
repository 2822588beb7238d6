/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel backend: Linux TCP sockets, non-blocking, one epoll instance
 * per thread, level-triggered. Server threads each listen on the port with
 * SO_REUSEPORT, so the kernel spreads connections over them.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/if_packet.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "tperf.h"

struct kern_thread {
	int epfd;
	int lfd;
	int l2fd;			/* AF_PACKET of EtherType 0x88B5: server echo or l2pp client */
	int l2ifindex;			/* client: the interface towards the server */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	bool resolved;
	bool no_pwait2;
};

static int kern_init(struct tperf_ctx *ctx)
{
	if (ctx->cfg.zcopy) {
		fprintf(stderr, "tperf: -W 1 (zero-copy write) is a stack feature; the kernel backend copies\n");
		ctx->cfg.zcopy_effective = 0;
	}
	return 0;
}

static void kern_fini(struct tperf_ctx *ctx)
{
}

static int kern_thread_init(struct tperf_thread *th)
{
	struct kern_thread *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return -1;
	k->lfd = -1;
	k->l2fd = -1;
	k->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (k->epfd < 0) {
		free(k);
		return -1;
	}
	th->be = k;
	return 0;
}

static void kern_thread_fini(struct tperf_thread *th)
{
	struct kern_thread *k = th->be;

	if (k->lfd >= 0)
		close(k->lfd);
	if (k->l2fd >= 0)
		close(k->l2fd);
	close(k->epfd);
	free(k);
	th->be = NULL;
}

static int kern_resolve(struct tperf_thread *th, const char *host, uint16_t port)
{
	struct kern_thread *k = th->be;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
	char serv[8];
	int rc;

	if (k->resolved)
		return 0;
	snprintf(serv, sizeof(serv), "%u", port);
	rc = getaddrinfo(host, serv, &hints, &res);
	if (rc) {
		tperf_thread_fail(th, "cannot resolve %s: %s", host, gai_strerror(rc));
		errno = EINVAL;
		return -1;
	}
	memcpy(&k->peer, res->ai_addr, res->ai_addrlen);
	k->peer_len = res->ai_addrlen;
	k->resolved = true;
	freeaddrinfo(res);
	return 0;
}

static void sock_tune(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int kern_connect(struct tperf_thread *th, const char *host, uint16_t port, void *data)
{
	struct kern_thread *k = th->be;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = data};
	int fd;

	if (kern_resolve(th, host, port) < 0)
		return -1;
	fd = socket(k->peer.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sock_tune(fd);
	if (connect(fd, (struct sockaddr *)&k->peer, k->peer_len) < 0 && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	if (epoll_ctl(k->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int kern_connect_check(struct tperf_thread *th, int fd, uint32_t events)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		return 1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	if (err)
		return -err;
	return (events & EPOLLOUT) ? 0 : -ECONNRESET;
}

/* A marker that the event is the l2pp echo socket's. */
static char l2_marker;

static int l2_socket(int ifindex)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(TPERF_L2_ETHERTYPE),
				  .sll_ifindex = ifindex};
	/* SOCK_DGRAM: the kernel writes and strips the Ethernet header */
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(TPERF_L2_ETHERTYPE));

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Server: answer every queued l2pp ping to its sender, on its interface. */
static void l2_echo(struct tperf_thread *th)
{
	struct kern_thread *k = th->be;
	uint8_t buf[TPERF_L2_MAX];

	for (;;) {
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(k->l2fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);

		if (n <= 0)
			return;
		if (from.sll_pkttype == PACKET_OUTGOING || tperf_l2_pong(buf, (size_t)n) < 0)
			continue;
		if (sendto(k->l2fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen) == n) {
			__atomic_fetch_add(&th->messages, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&th->bytes_rx, (uint64_t)n + 14, __ATOMIC_RELAXED);
			__atomic_fetch_add(&th->bytes_tx, (uint64_t)n + 14, __ATOMIC_RELAXED);
		}
	}
}

static int kern_listen(struct tperf_thread *th, const char *bind_addr, uint16_t port)
{
	struct kern_thread *k = th->be;
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(port),
				  .sin6_addr = IN6ADDR_ANY_INIT};
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct sockaddr *sa = (struct sockaddr *)&a6;
	socklen_t salen = sizeof(a6);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tperf_listener_data()};
	int one = 1, fd;

	if (bind_addr) {
		if (inet_pton(AF_INET, bind_addr, &a4.sin_addr) == 1) {
			sa = (struct sockaddr *)&a4;
			salen = sizeof(a4);
		} else if (inet_pton(AF_INET6, bind_addr, &a6.sin6_addr) != 1) {
			tperf_thread_fail(th, "--bind %s: not an IPv4 or IPv6 address", bind_addr);
			errno = EINVAL;
			return -1;
		}
	}
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && sa->sa_family == AF_INET6 && !bind_addr) {
		/* No IPv6: plain IPv4 any. */
		sa = (struct sockaddr *)&a4;
		salen = sizeof(a4);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, sa, salen) < 0 || listen(fd, 1024) < 0 ||
	    epoll_ctl(k->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	k->lfd = fd;
	/* l2pp pings from any interface (needs CAP_NET_RAW; without it l2pp is off) */
	if (th->id == 0) {
		struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &l2_marker};

		k->l2fd = l2_socket(0);
		if (k->l2fd >= 0 && epoll_ctl(k->epfd, EPOLL_CTL_ADD, k->l2fd, &lev) < 0) {
			close(k->l2fd);
			k->l2fd = -1;
		}
		if (k->l2fd < 0 && th->ctx->cfg.verbose)
			fprintf(stderr, "tperf: l2pp echo off: AF_PACKET: %s\n", strerror(errno));
	}
	return 0;
}

static int kern_accept(struct tperf_thread *th, int *sids, int nr)
{
	struct kern_thread *k = th->be;
	int n = 0;

	while (n < nr) {
		int fd = accept4(k->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			break;
		sock_tune(fd);
		sids[n++] = fd;
	}
	return n;
}

static int kern_watch(struct tperf_thread *th, int fd, uint32_t events, void *data)
{
	struct kern_thread *k = th->be;
	struct epoll_event ev = {.events = events, .data.ptr = data};

	if (epoll_ctl(k->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	return epoll_ctl(k->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static uint8_t *kern_tx_buf(struct tperf_thread *th, size_t *len)
{
	if (*len > th->txbuf_len)
		*len = th->txbuf_len;
	return th->txbuf;
}

static ssize_t kern_tx_commit(struct tperf_thread *th, int fd, uint8_t *buf, size_t len)
{
	return send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static ssize_t kern_recv(struct tperf_thread *th, int fd, tperf_rx_fn fn, void *arg)
{
	ssize_t n = recv(fd, th->rxbuf, th->rxbuf_len, MSG_DONTWAIT);

	if (n > 0)
		fn(arg, th->rxbuf, (size_t)n);
	return n;
}

static int kern_poll(struct tperf_thread *th, struct tperf_event *out, int max, int64_t timeout_ns)
{
	struct kern_thread *k = th->be;
	struct epoll_event ev[64];
	struct timespec ts = {.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000};
	int n = 0, j = 0;

	if (max > 64)
		max = 64;
	if (!k->no_pwait2) {
		n = epoll_pwait2(k->epfd, ev, max, timeout_ns < 0 ? NULL : &ts, NULL);
		if (n < 0 && errno == ENOSYS)
			k->no_pwait2 = true;	/* before Linux 5.11, or valgrind */
	}
	if (k->no_pwait2)
		n = epoll_wait(k->epfd, ev, max,
			       timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000));
	if (n < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		if (ev[i].data.ptr == &l2_marker) {
			l2_echo(th);	/* answered here: not a tperf connection event */
			continue;
		}
		out[j].events = ev[i].events;
		out[j].data = ev[i].data.ptr;
		j++;
	}
	return j;
}

/* Client: the interface whose address the kernel would use towards host. */
static int kern_l2_open(struct tperf_thread *th, const char *host)
{
	struct kern_thread *k = th->be;
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(9)}, me;
	socklen_t mlen = sizeof(me);
	struct ifaddrs *ifa, *i;
	int fd;

	if (inet_pton(AF_INET, host, &dst.sin_addr) != 1) {
		tperf_thread_fail(th, "-t l2pp: '%s' is not an IPv4 address", host);
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&me, &mlen) < 0) {
		tperf_thread_fail(th, "-t l2pp: no route to %s: %s", host, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (getifaddrs(&ifa) < 0)
		return -1;
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == me.sin_addr.s_addr) {
			k->l2ifindex = (int)if_nametoindex(i->ifa_name);
			break;
		}
	freeifaddrs(ifa);
	if (k->l2ifindex <= 0) {
		tperf_thread_fail(th, "-t l2pp: no interface holds %s", inet_ntoa(me.sin_addr));
		return -1;
	}
	k->l2fd = l2_socket(k->l2ifindex);
	if (k->l2fd < 0) {
		tperf_thread_fail(th, "-t l2pp: AF_PACKET socket: %s (needs CAP_NET_RAW)", strerror(errno));
		return -1;
	}
	return 0;
}

static int kern_l2_send(struct tperf_thread *th, const uint8_t *frame, size_t len)
{
	struct kern_thread *k = th->be;
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_protocol = htons(TPERF_L2_ETHERTYPE),
				 .sll_ifindex = k->l2ifindex, .sll_halen = 6};

	memcpy(to.sll_addr, frame, 6);
	return sendto(k->l2fd, frame + 14, len - 14, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)(len - 14)
		? 0 : -1;
}

static ssize_t kern_l2_recv(struct tperf_thread *th, uint8_t *buf, size_t max, int64_t timeout_ns)
{
	struct kern_thread *k = th->be;
	struct pollfd p = {.fd = k->l2fd, .events = POLLIN};
	struct timespec ts = {.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000};

	for (;;) {
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(k->l2fd, buf + 14, max - 14, MSG_DONTWAIT, (struct sockaddr *)&from, &flen);

		if (n >= 0) {
			if (from.sll_pkttype == PACKET_OUTGOING)
				continue;
			memset(buf, 0, 6);
			memcpy(buf + 6, from.sll_addr, 6);
			buf[12] = TPERF_L2_ETHERTYPE >> 8;
			buf[13] = TPERF_L2_ETHERTYPE & 0xff;
			return n + 14;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (timeout_ns <= 0)
			return 0;
		if (ppoll(&p, 1, &ts, NULL) <= 0)
			return 0;
		timeout_ns = 0;	/* one wait per call */
	}
}

static void kern_l2_close(struct tperf_thread *th)
{
	struct kern_thread *k = th->be;

	if (k->l2fd >= 0)
		close(k->l2fd);
	k->l2fd = -1;
}

static void kern_close(struct tperf_thread *th, int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0)
		th->retrans_pkts += ti.tcpi_total_retrans;
	close(fd);
}

static void kern_report(struct tperf_ctx *ctx, json_t *root)
{
	json_object_set_new(root, "stages", json_object());
}

const struct tperf_backend tperf_kernel_backend = {
	.name = "kernel",
	.init = kern_init,
	.fini = kern_fini,
	.thread_init = kern_thread_init,
	.thread_fini = kern_thread_fini,
	.connect = kern_connect,
	.connect_check = kern_connect_check,
	.listen = kern_listen,
	.accept = kern_accept,
	.accept_polled = false,
	.watch = kern_watch,
	.tx_buf = kern_tx_buf,
	.tx_commit = kern_tx_commit,
	.recv = kern_recv,
	.poll = kern_poll,
	.close = kern_close,
	.report = kern_report,
	.l2_open = kern_l2_open,
	.l2_send = kern_l2_send,
	.l2_recv = kern_l2_recv,
	.l2_close = kern_l2_close,
};
