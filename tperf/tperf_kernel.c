/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel backend: Linux TCP sockets, non-blocking, one epoll instance
 * per thread, level-triggered. Server threads each listen on the port with
 * SO_REUSEPORT, so the kernel spreads connections over them.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "tperf.h"

struct kern_thread {
	int epfd;
	int lfd;
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
	int n = 0;

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
	for (int i = 0; i < n; i++) {
		out[i].events = ev[i].events;
		out[i].data = ev[i].data.ptr;
	}
	return n < 0 ? 0 : n;
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
};
