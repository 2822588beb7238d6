/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpad: what a TAP queue expects in front of each frame. TUNGETIFF cannot
 * tell: it reports IFF_NOFILTER with the same bit as IFF_NO_PI. So ask
 * rtnetlink (IFLA_TUN_PI, IFLA_TUN_VNET_HDR) in the namespace the device
 * lives in now (a lab moves the TAP away from the stack's namespace).
 * Runs in the daemon only: it changes the daemon's network namespace.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tpad_int.h"

#ifndef TUNGETDEVNETNS
#define TUNGETDEVNETNS _IO('T', 227)
#endif

static const struct rtattr *find_attr(const struct rtattr *a, int len, int type)
{
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
		if ((a->rta_type & ~NLA_F_NESTED) == type)
			return a;
	return NULL;
}

/* PI and vnet flags of @p name from RTM_GETLINK; 0 or -1. */
static int query_link(const char *name, int *pi, int *vnet)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[64];
	} req;
	char buf[16384];
	struct rtattr *ra;
	const struct rtattr *li, *kind, *data, *a;
	struct nlmsghdr *nh;
	struct ifinfomsg *ifi;
	ssize_t n;
	int fd, len, rc = -1;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.ifi.ifi_family = AF_UNSPEC;
	ra = (struct rtattr *)req.attrs;
	ra->rta_type = IFLA_IFNAME;
	ra->rta_len = (unsigned short)RTA_LENGTH(strlen(name) + 1);
	memcpy(RTA_DATA(ra), name, strlen(name) + 1);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi)) + RTA_ALIGN(ra->rta_len);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0 || (n = recv(fd, buf, sizeof(buf), 0)) <= 0)
		goto out;
	nh = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(nh, (unsigned)n) || nh->nlmsg_type != RTM_NEWLINK)
		goto out;
	ifi = NLMSG_DATA(nh);
	len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));
	li = find_attr(IFLA_RTA(ifi), len, IFLA_LINKINFO);
	if (!li)
		goto out;
	kind = find_attr(RTA_DATA(li), (int)RTA_PAYLOAD(li), IFLA_INFO_KIND);
	data = find_attr(RTA_DATA(li), (int)RTA_PAYLOAD(li), IFLA_INFO_DATA);
	if (!kind || strcmp(RTA_DATA(kind), "tun") || !data)
		goto out;
	a = find_attr(RTA_DATA(data), (int)RTA_PAYLOAD(data), IFLA_TUN_PI);
	*pi = a ? *(const uint8_t *)RTA_DATA(a) : 1;
	a = find_attr(RTA_DATA(data), (int)RTA_PAYLOAD(data), IFLA_TUN_VNET_HDR);
	*vnet = a ? *(const uint8_t *)RTA_DATA(a) : 0;
	rc = 0;
out:
	close(fd);
	return rc;
}

int tpad_tun_hdr_len(int tun_fd, size_t *hdr_len)
{
	struct ifreq ifr;
	int ns, pi = 1, vnet = 0, sz = 0;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(tun_fd, TUNGETIFF, &ifr))
		return -1;
	ns = ioctl(tun_fd, TUNGETDEVNETNS);
	if (ns >= 0) {
		int rc = setns(ns, CLONE_NEWNET);
		close(ns);
		if (rc)
			return -1;
	}
	if (query_link(ifr.ifr_name, &pi, &vnet))
		return -1;
	if (vnet && (ioctl(tun_fd, TUNGETVNETHDRSZ, &sz) || sz < 0 || sz > 64))
		return -1;
	*hdr_len = (pi ? sizeof(struct tun_pi) : 0) + (size_t)(vnet ? sz : 0);
	return 0;
}
