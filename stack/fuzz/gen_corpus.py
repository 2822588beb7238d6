#!/usr/bin/python3
"""Write the seed corpus of the receive-path fuzzer: one raw Ethernet frame
per file, addressed like the harness (stack 10.0.0.2 / 02:00:00:00:00:02,
peer 10.0.0.1 / 02:00:00:00:00:01).

    gen_corpus.py OUTDIR [--mutations N] [--seed S]

Valid frames first (ARP, ICMP, TCP on the listener and on the two live
connections of fuzz_rx.c), then mutations of each: truncations at every
header boundary, bad checksums, length and offset fields at their extremes,
bit flips. On the live connections the ACK field is relative to the stack's
ISS (fuzz_rx.c rebases it): ack=0 acknowledges our SYN only; destination
port 0 from peer port 5201 means the active connection's local port.
"""
import argparse
import hashlib
import random
import sys
from pathlib import Path

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPv6, Raw, conf)

conf.verb = 0

STACK_MAC, PEER_MAC = "02:00:00:00:00:02", "02:00:00:00:00:01"
STACK_IP, PEER_IP = "10.0.0.2", "10.0.0.1"
LISTEN, PASSIVE, ACTIVE_PEER = 80, 40000, 5201
PEER_ISS, ACTIVE_PEER_ISS = 1000, 5000   # the harness peer's ISS on the two live connections


def eth():
    return Ether(src=PEER_MAC, dst=STACK_MAC)


def tcp_to(dport, sport, flags, seq, ack=0, opts=(), data=b"", win=65535):
    p = eth() / IP(src=PEER_IP, dst=STACK_IP) / TCP(sport=sport, dport=dport, flags=flags, seq=seq,
                                                     ack=ack, window=win, options=list(opts))
    return p / Raw(data) if data else p


def valid_frames():
    full = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)]
    f = {}
    f["arp_request"] = eth().copy() / ARP(op=1, hwsrc=PEER_MAC, psrc=PEER_IP, pdst=STACK_IP)
    f["arp_request"][Ether].dst = "ff:ff:ff:ff:ff:ff"
    f["arp_reply"] = eth() / ARP(op=2, hwsrc=PEER_MAC, psrc=PEER_IP, hwdst=STACK_MAC, pdst=STACK_IP)
    f["arp_gratuitous"] = Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=PEER_MAC, psrc=PEER_IP, pdst=PEER_IP)
    f["icmp_echo"] = eth() / IP(src=PEER_IP, dst=STACK_IP) / ICMP(type=8, id=7, seq=1) / Raw(b"x" * 56)
    f["icmp_echo_big"] = eth() / IP(src=PEER_IP, dst=STACK_IP) / ICMP(type=8) / Raw(b"y" * 1400)
    f["icmp_unreach"] = eth() / IP(src=PEER_IP, dst=STACK_IP) / ICMP(type=3, code=4, nexthopmtu=1200) / \
        IP(src=STACK_IP, dst=PEER_IP) / TCP(sport=LISTEN, dport=PASSIVE, flags="A")
    f["ip_options"] = eth() / IP(src=PEER_IP, dst=STACK_IP, options=b"\x94\x04\x00\x00") / ICMP(type=8)
    f["ip_fragment"] = eth() / IP(src=PEER_IP, dst=STACK_IP, flags="MF", frag=0) / ICMP(type=8) / Raw(b"z" * 32)
    f["udp"] = eth() / IP(src=PEER_IP, dst=STACK_IP) / UDP(sport=53, dport=53) / Raw(b"q" * 12)
    f["vlan"] = Ether(src=PEER_MAC, dst=STACK_MAC) / Dot1Q(vlan=5) / IP(src=PEER_IP, dst=STACK_IP) / ICMP()
    f["ipv6"] = Ether(src=PEER_MAC, dst=STACK_MAC) / IPv6() / ICMP()
    f["foreign_mac"] = Ether(src=PEER_MAC, dst="02:99:99:99:99:99") / IP(src=PEER_IP, dst=STACK_IP) / ICMP()
    f["foreign_ip"] = eth() / IP(src=PEER_IP, dst="10.0.0.77") / TCP(dport=LISTEN, flags="S")
    # the listener
    f["syn_full_opts"] = tcp_to(LISTEN, 41000, "S", 5000, opts=full)
    f["syn_no_opts"] = tcp_to(LISTEN, 41001, "S", 5000)
    f["syn_closed_port"] = tcp_to(9, 41002, "S", 5000)
    f["syn_data"] = tcp_to(LISTEN, 41003, "S", 5000, opts=full, data=b"early")
    f["ack_no_conn"] = tcp_to(LISTEN, 41004, "A", 5000, ack=777)
    f["syn_fin"] = tcp_to(LISTEN, 41005, "SF", 5000)
    f["syn_bad_opts"] = tcp_to(LISTEN, 41006, "S", 5000, opts=[("MSS", 0), ("WScale", 200)])
    # the accepted connection (peer port 40000 .. the fuzzer may move it up)
    seq = PEER_ISS + 1
    f["data"] = tcp_to(LISTEN, PASSIVE, "PA", seq, ack=0, data=b"hello")
    f["data_ts"] = tcp_to(LISTEN, PASSIVE, "PA", seq, ack=0, data=b"hello", opts=[("Timestamp", (9, 1))])
    f["data_ooo"] = tcp_to(LISTEN, PASSIVE, "PA", seq + 100, ack=0, data=b"later")
    f["data_old"] = tcp_to(LISTEN, PASSIVE, "PA", seq - 10, ack=0, data=b"0123456789abc")
    f["data_far"] = tcp_to(LISTEN, PASSIVE, "A", seq + 0x40000000, ack=0, data=b"far")
    f["ack_future"] = tcp_to(LISTEN, PASSIVE, "A", seq, ack=100000)
    f["sack"] = tcp_to(LISTEN, PASSIVE, "A", seq, ack=0, opts=[("SAck", (10, 20, 30, 40))])
    f["zero_window"] = tcp_to(LISTEN, PASSIVE, "A", seq, ack=0, win=0)
    f["fin"] = tcp_to(LISTEN, PASSIVE, "FA", seq, ack=0)
    f["rst_exact"] = tcp_to(LISTEN, PASSIVE, "R", seq)
    f["rst_in_window"] = tcp_to(LISTEN, PASSIVE, "R", seq + 10)
    f["syn_on_established"] = tcp_to(LISTEN, PASSIVE, "S", seq + 5)
    f["urg"] = tcp_to(LISTEN, PASSIVE, "UA", seq, ack=0, data=b"u")
    # the active connection (we connected to the peer's port 5201)
    aseq = ACTIVE_PEER_ISS + 1
    f["active_data"] = tcp_to(0, ACTIVE_PEER, "PA", aseq, ack=0, data=b"srv")   # port 0: see fuzz_rx.c
    f["active_fin"] = tcp_to(0, ACTIVE_PEER, "FA", aseq, ack=0)
    return {k: bytes(v) for k, v in f.items()}


def mutations(name, frame, rnd, n):
    out = {}
    # truncations at header boundaries and one byte short of each
    for cut in (1, 13, 14, 15, 20, 33, 34, 35, 41, 53, 54, 55, len(frame) - 1):
        if 0 < cut < len(frame):
            out["%s_cut%d" % (name, cut)] = frame[:cut]
    b = bytearray(frame)
    if len(b) >= 34 and b[12:14] == b"\x08\x00":
        ihl = (b[14] & 0xf) * 4
        for label, off, vals in (("ihl", 14, (0x40, 0x41, 0x4f, 0x46)),
                                 ("totlen", 16, (0, 1, 0xff, 0x7f)),
                                 ("ipcsum", 24, (0, 0xff)),
                                 ("proto", 23, (0, 1, 6, 17, 255)),
                                 ("ttl", 22, (0, 1))):
            for v in vals:
                c = bytearray(b)
                c[off] = v
                out["%s_%s%d" % (name, label, v)] = bytes(c)
        l4 = 14 + ihl
        if b[23] == 6 and len(b) >= l4 + 20:
            for label, off, vals in (("doff", 12, (0x00, 0x40, 0xf0, 0x60)),
                                     ("flags", 13, (0x00, 0x3f, 0xff, 0x06, 0x03)),
                                     ("tcpcsum", 16, (0, 0xff))):
                for v in vals:
                    c = bytearray(b)
                    c[l4 + off] = v
                    out["%s_%s%d" % (name, label, v)] = bytes(c)
            if (b[l4 + 12] >> 4) > 5 and len(b) > l4 + 21:   # options: lengths of 0, 1, past the end
                for v in (0, 1, 2, 40, 255):
                    c = bytearray(b)
                    c[l4 + 21] = v
                    out["%s_optlen%d" % (name, v)] = bytes(c)
    for i in range(n):
        c = bytearray(frame)
        for _ in range(rnd.randint(1, 4)):
            pos = rnd.randrange(len(c))
            c[pos] ^= 1 << rnd.randrange(8)
        out["%s_flip%d" % (name, i)] = bytes(c)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--mutations", type=int, default=4, help="random bit-flip variants per frame")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.mutations < 0:
        print("gen_corpus: --mutations must be >= 0", file=sys.stderr)
        return 2
    out = Path(a.outdir)
    out.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(a.seed)
    frames = valid_frames()
    allf = dict(frames)
    for name, fr in frames.items():
        allf.update(mutations(name, fr, rnd, a.mutations))
    for name, fr in allf.items():
        (out / ("%s-%s" % (name, hashlib.sha1(fr).hexdigest()[:8]))).write_bytes(fr)
    print("gen_corpus: %d frames (%d valid) in %s" % (len(allf), len(frames), out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
