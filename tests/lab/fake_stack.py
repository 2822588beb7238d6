#!/usr/bin/python3
"""Stand-in for a DPDK program using the net_tap PMD, for testing tpa-lab wiring.

Like the PMD, it reads $TPA_CFG, creates the TAP named by dpdk.vdev's iface= in the
namespace it runs in, and sets it UP (what rte_eth_dev_start() does). Then, like a
tiny stack, it answers ARP requests and ICMP echo requests for net.ip with net.mac,
through the TAP file descriptor -- which keeps working after tpa-lab moved the
interface into another namespace. SIGINT/SIGTERM end it with status 0 (or
$FAKE_EXIT_STATUS) after printing its counters.
"""
import fcntl
import os
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1


def parse_cfg(s):
    cfg = {}
    for item in s.split(";"):
        item = item.strip()
        if item:
            k, _, v = item.partition("=")
            cfg[k.strip()] = v.strip()
    return cfg


def vdev_iface(vdev):
    for part in vdev.split(",")[1:]:
        k, _, v = part.partition("=")
        if k == "iface":
            return v
    raise SystemExit("fake-stack: no iface= in dpdk.vdev=%r" % vdev)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Fake:
    def __init__(self, ip, mac):
        self.ip = socket.inet_aton(ip)
        self.mac = bytes.fromhex(mac.replace(":", ""))
        self.counts = {"rx": 0, "arp_replies": 0, "echo_replies": 0}

    def handle(self, f):
        self.counts["rx"] += 1
        if len(f) < 14:
            return None
        etype = struct.unpack("!H", f[12:14])[0]
        if etype == 0x0806 and len(f) >= 42:
            op = struct.unpack("!H", f[20:22])[0]
            sha, spa, tpa = f[22:28], f[28:32], f[38:42]
            if op == 1 and tpa == self.ip:
                self.counts["arp_replies"] += 1
                arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + self.mac + self.ip + sha + spa
                return sha + self.mac + b"\x08\x06" + arp
        elif etype == 0x0800 and len(f) >= 34:
            ihl = (f[14] & 0xF) * 4
            total = struct.unpack("!H", f[16:18])[0]
            ip = f[14:14 + total]
            if ip[9] == 1 and ip[16:20] == self.ip and len(ip) >= ihl + 8 and ip[ihl] == 8:
                icmp = bytearray(ip[ihl:])
                icmp[0] = 0
                icmp[2:4] = b"\0\0"
                icmp[2:4] = struct.pack("!H", csum(bytes(icmp)))
                hdr = bytearray(ip[:ihl])
                hdr[12:16], hdr[16:20] = ip[16:20], ip[12:16]
                hdr[8] = 64
                hdr[10:12] = b"\0\0"
                hdr[10:12] = struct.pack("!H", csum(bytes(hdr)))
                self.counts["echo_replies"] += 1
                return f[6:12] + self.mac + b"\x08\x00" + bytes(hdr) + bytes(icmp)
        return None


def main():
    cfg = parse_cfg(os.environ.get("TPA_CFG", ""))
    for key in ("dpdk.vdev", "net.ip", "net.mac"):
        if key not in cfg:
            print("fake-stack: TPA_CFG lacks %s" % key, file=sys.stderr)
            return 2
    dump = os.environ.get("FAKE_ENV_DUMP")
    if dump:
        with open(dump, "w") as f:
            f.write("TPA_CFG=%s\nTPA_WORKERS=%s\nTPA_LAB=%s\n" % (
                os.environ.get("TPA_CFG", ""), os.environ.get("TPA_WORKERS", ""),
                os.environ.get("TPA_LAB", "")))
    name = vdev_iface(cfg["dpdk.vdev"])
    ip = cfg["net.ip"].split("/")[0]
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    # bring it up, as the PMD does in dev_start, from the namespace it was created in
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    flags = struct.unpack("16sH", fcntl.ioctl(s, SIOCGIFFLAGS, struct.pack("16sH", name.encode(), 0)))[1]
    fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH", name.encode(), flags | IFF_UP))
    s.close()

    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    fake = Fake(ip, cfg["net.mac"])
    print("fake-stack: %s up, ip %s, workers %s" % (name, ip, os.environ.get("TPA_WORKERS", "-")),
          flush=True)
    life = float(os.environ.get("FAKE_LIFETIME", "0") or 0)
    t_end = time.monotonic() + life if life > 0 else None
    while not stop:
        if t_end is not None and time.monotonic() >= t_end:
            break
        try:
            r, _, _ = select.select([fd], [], [], 0.1)
        except InterruptedError:
            continue
        if not r:
            continue
        try:
            f = os.read(fd, 65536)
        except OSError:
            break
        out = fake.handle(f)
        if out:
            os.write(fd, out)
    print("fake-stack: %s" % " ".join("%s=%d" % kv for kv in fake.counts.items()), flush=True)
    return int(os.environ.get("FAKE_EXIT_STATUS", "0"))


if __name__ == "__main__":
    sys.exit(main())
