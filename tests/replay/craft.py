#!/usr/bin/python3
"""Craft a capture for replay into the stack: the frames a stack must answer
(ARP request, ICMP echo, SYN to PORT) and garbage it must drop and count
(truncated frames, bad checksums, foreign traffic, unknown protocols).

    craft.py OUT.pcap --stack-ip IP --stack-mac MAC --peer-ip IP --peer-mac MAC [--port N]
             [--expect OUT.json]

--expect writes what each frame should do: {"answers": [...], "drops": {reason: count}}
(reason names as the stack prints them: `drop ip_bad_csum=1`). Frames that
hit a reason only in some configurations are not counted there.
"""
import argparse
import json
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, IPv6, PcapWriter, Raw


def build(a):
    to_stack = Ether(src=a.peer_mac, dst=a.stack_mac)
    ip = IP(src=a.peer_ip, dst=a.stack_ip)
    frames, drops = [], {}

    def drop(reason, pkt):
        frames.append(pkt)
        drops[reason] = drops.get(reason, 0) + 1

    # what must be answered
    frames.append(Ether(src=a.peer_mac, dst="ff:ff:ff:ff:ff:ff") /
                  ARP(op=1, hwsrc=a.peer_mac, psrc=a.peer_ip, pdst=a.stack_ip))
    frames.append(to_stack / ip / ICMP(type=8, id=0x7461, seq=1) / Raw(b"tpa-replay-echo"))
    frames.append(to_stack / ip / TCP(sport=40001, dport=a.port, flags="S", seq=1000,
                                      options=[("MSS", 1460)]))
    # garbage, each kind with the reason the stack counts it under
    good_icmp = bytes(to_stack / ip / ICMP(type=8) / Raw(b"x" * 32))
    drop("short_frame", Raw(good_icmp[:10]))                       # shorter than Ethernet
    drop("ip_short", Raw(good_icmp[:14 + 12]))                     # truncated IPv4 header
    drop("ip_bad_total_len", Raw(good_icmp[:14 + 20 + 4]))        # total length beyond the frame
    drop("ip_bad_csum", to_stack / IP(src=a.peer_ip, dst=a.stack_ip, chksum=0x1234) / ICMP(type=8))
    drop("icmp_bad_csum", to_stack / ip / ICMP(type=8, chksum=0x4321) / Raw(b"y" * 8))
    drop("tcp_bad_csum", to_stack / ip / TCP(sport=40002, dport=a.port, flags="S", chksum=0x1111))
    drop("ip_bad_version", to_stack / IP(version=5, src=a.peer_ip, dst=a.stack_ip) / ICMP())
    drop("not_for_us", Ether(src=a.peer_mac, dst="02:de:ad:be:ef:01") / ip / ICMP(type=8))
    drop("ip_not_for_us", to_stack / IP(src=a.peer_ip, dst="192.0.2.77") / ICMP(type=8))
    drop("ip_unknown_proto", to_stack / ip / UDP(sport=5353, dport=5353) / Raw(b"mdns?"))
    drop("unknown_ethertype", to_stack / IPv6() / Raw(b"v6"))
    drop("tcp_malformed", to_stack / ip / TCP(sport=40003, dport=a.port, flags="S", dataofs=15))
    drop("tcp_bad_flags", to_stack / ip / TCP(sport=40004, dport=a.port, flags="SF"))
    return frames, drops


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    for k in ("stack-ip", "stack-mac", "peer-ip", "peer-mac"):
        ap.add_argument("--" + k, required=True)
    ap.add_argument("--port", type=int, default=7)
    ap.add_argument("--expect")
    a = ap.parse_args()
    if not 0 < a.port < 65536:
        print("craft.py: bad --port %d (1..65535)" % a.port, file=sys.stderr)
        return 2
    frames, drops = build(a)
    w = PcapWriter(a.out, linktype=1, sync=True)   # DLT_EN10MB, also for the raw truncated frames
    for f in frames:
        w.write(bytes(f))
    w.close()
    if a.expect:
        with open(a.expect, "w") as f:
            json.dump({"answers": ["arp_reply", "echo_reply", "syn_ack"], "drops": drops,
                       "frames": len(frames)}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
