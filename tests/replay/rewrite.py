#!/usr/bin/python3
"""Rewrite a capture's addresses to a lab's, for replay into a stack.

    rewrite.py IN.pcap OUT.pcap --stack-ip IP --stack-mac MAC --peer-ip IP --peer-mac MAC
               [--from STACK_IP,STACK_MAC,PEER_IP,PEER_MAC]

Without --from every frame becomes peer -> stack: source MAC/IP the peer's,
destination MAC/IP the stack's (broadcast destinations stay broadcast), in
Ethernet, IPv4 and ARP. With --from only those four addresses are mapped, so
foreign traffic stays foreign.

Unlike tcprewrite (4.4.x aborts on a truncated frame and leaves ARP payloads
alone), this works on any bytes: it touches only the fields a frame really
has, and updates checksums incrementally (RFC 1624), so a correct checksum
stays correct and a corrupt one stays corrupt by the same amount.
"""
import argparse
import ipaddress
import struct
import sys

from scapy.utils import RawPcapReader, RawPcapWriter

BCAST = b"\xff" * 6


def mac(s):
    b = bytes(int(x, 16) for x in s.split(":"))
    if len(b) != 6:
        raise ValueError(s)
    return b


def ip4(s):
    return ipaddress.IPv4Address(s).packed


def csum_fix(frame, off, old, new):
    """Adjust the 16-bit checksum at frame[off] for old -> new bytes (even length)."""
    if off + 2 > len(frame):
        return
    c = (~struct.unpack_from("!H", frame, off)[0]) & 0xffff
    for i in range(0, len(old), 2):
        c += (~struct.unpack_from("!H", old, i)[0]) & 0xffff
        c += struct.unpack_from("!H", new, i)[0]
    while c >> 16:
        c = (c & 0xffff) + (c >> 16)
    struct.pack_into("!H", frame, off, (~c) & 0xffff)


class Rewriter:
    def __init__(self, a):
        self.smac, self.pmac = mac(a.stack_mac), mac(a.peer_mac)
        self.sip, self.pip = ip4(a.stack_ip), ip4(a.peer_ip)
        self.map = None
        if a.from_:
            f = a.from_.split(",")
            if len(f) != 4:
                raise ValueError("--from needs STACK_IP,STACK_MAC,PEER_IP,PEER_MAC")
            self.map = {ip4(f[0]): self.sip, mac(f[1]): self.smac, ip4(f[2]): self.pip, mac(f[3]): self.pmac}

    def addr(self, old, new_all):
        if self.map is not None:
            return self.map.get(old, old)
        return new_all

    def frame(self, data):
        f = bytearray(data)
        if len(f) >= 12:
            dst = bytes(f[0:6])
            f[0:6] = dst if dst == BCAST and self.map is None else self.addr(dst, self.smac)
            f[6:12] = self.addr(bytes(f[6:12]), self.pmac)
        if len(f) < 14:
            return bytes(f)
        etype = struct.unpack_from("!H", f, 12)[0]
        if etype == 0x0806 and len(f) >= 14 + 28:
            a = 14
            f[a + 8:a + 14] = self.addr(bytes(f[a + 8:a + 14]), self.pmac)       # sender MAC
            f[a + 14:a + 18] = self.addr(bytes(f[a + 14:a + 18]), self.pip)     # sender IP
            tha = bytes(f[a + 18:a + 24])
            if tha != b"\0" * 6:
                f[a + 18:a + 24] = self.addr(tha, self.smac)
            f[a + 24:a + 28] = self.addr(bytes(f[a + 24:a + 28]), self.sip)     # target IP
        elif etype == 0x0800 and len(f) >= 14 + 20:
            ip = 14
            old = bytes(f[ip + 12:ip + 20])
            new = self.addr(old[:4], self.pip) + self.addr(old[4:], self.sip)
            f[ip + 12:ip + 20] = new
            csum_fix(f, ip + 10, old, new)
            ihl = (f[ip] & 0xf) * 4
            frag = struct.unpack_from("!H", f, ip + 6)[0] & 0x1fff
            l4 = ip + ihl
            # the pseudo header covers the addresses: first fragments only
            if ihl >= 20 and frag == 0:
                if f[ip + 9] == 6:
                    csum_fix(f, l4 + 16, old, new)
                elif f[ip + 9] == 17 and l4 + 8 <= len(f) and f[l4 + 6:l4 + 8] != b"\0\0":
                    csum_fix(f, l4 + 6, old, new)
        return bytes(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("infile")
    ap.add_argument("outfile")
    for k in ("stack-ip", "stack-mac", "peer-ip", "peer-mac"):
        ap.add_argument("--" + k, required=True)
    ap.add_argument("--from", dest="from_")
    a = ap.parse_args()
    try:
        rw = Rewriter(a)
    except ValueError as e:
        print("rewrite.py: bad address: %s" % e, file=sys.stderr)
        return 2
    try:
        reader = RawPcapReader(a.infile)
    except (OSError, Exception) as e:  # scapy raises Scapy_Exception for non-pcap files
        print("rewrite.py: %s: cannot read as pcap: %s" % (a.infile, e), file=sys.stderr)
        return 2
    if reader.linktype != 1:
        print("rewrite.py: %s: link type %d, only Ethernet (1) can be replayed into the stack"
              % (a.infile, reader.linktype), file=sys.stderr)
        return 2
    w = RawPcapWriter(a.outfile, linktype=1, sync=True)
    n = 0
    for data, meta in reader:
        w.write(rw.frame(data))
        n += 1
    w.close()
    print("rewrite.py: %d frame(s) -> %s" % (n, a.outfile))
    return 0


if __name__ == "__main__":
    sys.exit(main())
