#!/usr/bin/python3
"""Numbered UDP datagrams for relay tests.

  udp_tool.py send DST PORT COUNT [--size N] [--pps R]
  udp_tool.py recv PORT [--expect N] [--idle S] [--timeout S] [--ready FILE]
recv prints JSON: received, unique, duplicates, reordered (arrivals below the
highest sequence seen so far), seqs (sorted unique), bytes, seconds (first to last).
"""
import argparse
import json
import socket
import struct
import sys
import time


def send(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    pad = b"x" * max(0, a.size - 8)
    gap = 1.0 / a.pps if a.pps else 0
    t0 = time.monotonic()
    for i in range(a.count):
        s.sendto(struct.pack("!Q", i) + pad, (a.dst, a.port))
        if gap:
            delay = t0 + (i + 1) * gap - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    print(json.dumps({"sent": a.count, "seconds": time.monotonic() - t0}))


def recv(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("0.0.0.0", a.port))
    if a.ready:
        open(a.ready, "w").close()
    seen, order = {}, []
    nbytes = 0
    t_first = t_last = None
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline:
        s.settimeout(a.idle if order else max(0.01, deadline - time.monotonic()))
        try:
            data = s.recv(65536)
        except socket.timeout:
            if order:
                break
            continue
        now = time.monotonic()
        t_first = t_first or now
        t_last = now
        nbytes += len(data)
        seq = struct.unpack("!Q", data[:8])[0]
        seen[seq] = seen.get(seq, 0) + 1
        order.append(seq)
        if a.expect and len(seen) >= a.expect and len(order) >= a.expect:
            # keep listening briefly for duplicates still in flight
            deadline = min(deadline, now + a.idle)
    top, reordered = -1, 0
    for q in order:
        if q < top:
            reordered += 1
        top = max(top, q)
    print(json.dumps({
        "received": len(order), "unique": len(seen),
        "duplicates": len(order) - len(seen), "reordered": reordered,
        "bytes": nbytes, "seconds": (t_last - t_first) if order else 0.0,
        "seqs": sorted(seen),
    }))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("send")
    p.add_argument("dst")
    p.add_argument("port", type=int)
    p.add_argument("count", type=int)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--pps", type=float, default=0)
    p = sub.add_parser("recv")
    p.add_argument("port", type=int)
    p.add_argument("--expect", type=int, default=0)
    p.add_argument("--idle", type=float, default=1.0)
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--ready")
    a = ap.parse_args()
    send(a) if a.cmd == "send" else recv(a)


if __name__ == "__main__":
    sys.exit(main())
