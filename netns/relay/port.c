/* SPDX-License-Identifier: BSD-3-Clause */
/* AF_PACKET ports, optionally opened inside another network namespace. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "relay.h"

/*
 * A socket belongs to the namespace it was created in, so enter the
 * target namespace just long enough to create and bind it.
 */
static int
port_enter_netns(const char *netns, int *saved)
{
	char path[PATH_MAX];
	int fd;

	*saved = -1;
	if (netns == NULL)
		return 0;
	*saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0) {
		fprintf(stderr, "tpa-relay: open /proc/self/ns/net: %s\n", strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "tpa-relay: cannot enter namespace '%s' (%s): %s\n",
			netns, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		close(*saved);
		*saved = -1;
		return -1;
	}
	close(fd);
	return 0;
}

static void
port_leave_netns(int saved)
{
	if (saved < 0)
		return;
	if (setns(saved, CLONE_NEWNET) < 0)
		fprintf(stderr, "tpa-relay: return to own namespace: %s\n", strerror(errno));
	close(saved);
}

int
relay_port_open(struct relay_port *p)
{
	struct sockaddr_ll sll = { 0 };
	struct packet_mreq mr = { 0 };
	struct ifreq ifr = { 0 };
	int one = 1, buf = 4 << 20, saved, fd;
	const char *where = p->netns ? p->netns : "current namespace";

	if (port_enter_netns(p->netns, &saved) < 0)
		return -1;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	port_leave_netns(saved);
	if (fd < 0) {
		fprintf(stderr, "tpa-relay: socket(AF_PACKET): %s\n", strerror(errno));
		return -1;
	}
	/* ioctls act in the socket's namespace, wherever we are now */
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", p->ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		fprintf(stderr, "tpa-relay: interface '%s' in %s: %s\n",
			p->ifname, where, strerror(errno));
		goto fail;
	}
	p->ifindex = ifr.ifr_ifindex;

	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = p->ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "tpa-relay: bind to '%s': %s\n", p->ifname, strerror(errno));
		goto fail;
	}
	/* frames are for the other side, whatever their destination MAC */
	mr.mr_ifindex = p->ifindex;
	mr.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		fprintf(stderr, "tpa-relay: promiscuous on '%s': %s\n", p->ifname, strerror(errno));
		goto fail;
	}
	/* do not read back what we send; relay_port_recv() also checks pkttype */
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	/* learn about checksums a sender left to (absent) hardware */
	(void)setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	p->fd = fd;
	return 0;
fail:
	close(fd);
	return -1;
}

long
relay_port_recv(struct relay_port *p, uint8_t *buf, size_t cap, int *csum_partial)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl;
	struct sockaddr_ll from;
	struct iovec iov = { buf, cap };
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = &ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *c;
	ssize_t n;

	*csum_partial = 0;
	n = recvmsg(p->fd, &mh, MSG_TRUNC);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -1;
	}
	if (from.sll_pkttype == PACKET_OUTGOING)
		return -2;
	if ((size_t)n > cap || (mh.msg_flags & MSG_TRUNC)) {
		errno = EMSGSIZE;
		return -1;
	}
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
			struct tpacket_auxdata aux;

			memcpy(&aux, CMSG_DATA(c), sizeof(aux));
			if (aux.tp_status & TP_STATUS_CSUMNOTREADY)
				*csum_partial = 1;
		}
	}
	return n;
}

int
relay_port_send(struct relay_port *p, const uint8_t *buf, size_t len)
{
	ssize_t n = send(p->fd, buf, len, 0);

	if (n < 0)
		return -1;
	return 0;
}

int
relay_port_alive(struct relay_port *p)
{
	struct ifreq ifr = { 0 };

	ifr.ifr_ifindex = p->ifindex;
	return ioctl(p->fd, SIOCGIFNAME, &ifr) == 0;
}

void
relay_port_close(struct relay_port *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}
