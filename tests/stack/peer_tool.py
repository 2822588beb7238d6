#!/usr/bin/python3
"""peer_tool: the kernel side of the stack end-to-end tests.

Runs inside the lab's peer namespace (`tpa-lab peer NAME -- peer_tool.py ...`)
and prints one JSON object on stdout with what it saw, so the test can judge.

  echo HOST PORT --bytes N [--seed S] [--sport P] [--timeout T]
      connect, send N pseudo-random bytes while reading the echo back, then
      shut down the write side and wait for the peer's FIN.
  many HOST PORT --conns C --bytes N [--timeout T]
      C concurrent connections, each sends N distinct bytes and checks the echo.
  server --bind IP --port P [--send N] [--seed S] [--expect-reset] [--timeout T]
      accept one connection; read until EOF (or error) while sending N bytes,
      then shut down the write side. Prints "listening" on stderr when ready.
  connect HOST PORT [--timeout T]
      one connect(); report the errno name (ECONNREFUSED, ...) or "ok".
  frames --iface IF --dst-mac M --src-mac M --dst-ip IP --src-ip IP --kinds K,K --count N
      send N malformed frames of each kind with scapy (L2), paced.
  tcpbad ... same addressing plus --sport/--dport: malformed TCP segments.
"""
import argparse
import errno
import hashlib
import json
import os
import random
import selectors
import socket
import sys
import threading
import time

CHUNK = 1 << 20


def errname(e):
    if isinstance(e, socket.timeout):
        return "timeout"
    if isinstance(e, OSError) and e.errno:
        return errno.errorcode.get(e.errno, str(e.errno))
    return type(e).__name__


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Sender(threading.Thread):
    """Send N seeded random bytes on sock; sha256 of what was sent."""

    def __init__(self, sock, nbytes, seed, shut=True, rate=0):
        super().__init__(daemon=True)
        self.rate = rate
        self.sock, self.nbytes, self.shut = sock, nbytes, shut
        self.rng = random.Random(seed)
        self.sha = hashlib.sha256()
        self.sent = 0
        self.error = None

    def run(self):
        t0 = time.monotonic()
        try:
            while self.sent < self.nbytes:
                if self.rate:  # pace: no more than rate bytes/s on average
                    ahead = self.sent / self.rate - (time.monotonic() - t0)
                    if ahead > 0:
                        time.sleep(ahead)
                buf = self.rng.randbytes(min(CHUNK if not self.rate else 65536, self.nbytes - self.sent))
                self.sock.sendall(buf)
                self.sha.update(buf)
                self.sent += len(buf)
            if self.shut:
                self.sock.shutdown(socket.SHUT_WR)
        except Exception as e:  # reported, judged by the test
            self.error = errname(e)


class Receiver(threading.Thread):
    """Read until EOF (or `limit` bytes then EOF); sha256 of what came."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock = sock
        self.sha = hashlib.sha256()
        self.rcvd = 0
        self.eof = False
        self.error = None

    def run(self):
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        try:
            while True:
                n = self.sock.recv_into(buf)
                if n == 0:
                    self.eof = True
                    return
                self.sha.update(view[:n])
                self.rcvd += n
        except Exception as e:
            self.error = errname(e)


def cmd_echo(a):
    t0 = time.monotonic()
    s = socket.socket()
    s.settimeout(a.timeout)
    if a.sport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", a.sport))
    try:
        s.connect((a.host, a.port))
    except OSError as e:
        out({"connect_error": errname(e)})
        return 1
    snd, rcv = Sender(s, a.bytes, a.seed, rate=a.rate), Receiver(s)
    snd.start()
    rcv.start()
    snd.join(a.timeout)
    rcv.join(max(1.0, a.timeout - (time.monotonic() - t0)))
    secs = time.monotonic() - t0
    s.close()
    out({"sent": snd.sent, "sent_sha": snd.sha.hexdigest(), "send_error": snd.error,
         "recv": rcv.rcvd, "recv_sha": rcv.sha.hexdigest(), "recv_error": rcv.error,
         "eof": rcv.eof, "secs": round(secs, 3),
         "hung": snd.is_alive() or rcv.is_alive()})
    return 0


def cmd_many(a):
    """C connections through one selector; each echoes its own pattern."""
    sel = selectors.DefaultSelector()
    conns = []
    for i in range(a.conns):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((a.host, a.port))
        data = random.Random(i + 1).randbytes(a.bytes)
        c = {"i": i, "s": s, "data": data, "off": 0, "got": bytearray(), "state": "conn",
             "error": None}
        conns.append(c)
        sel.register(s, selectors.EVENT_WRITE, c)
    deadline = time.monotonic() + a.timeout
    live = len(conns)
    while live and time.monotonic() < deadline:
        for key, ev in sel.select(0.5):
            c = key.data
            s = c["s"]
            try:
                if c["state"] == "conn":
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, os.strerror(err))
                    c["state"] = "io"
                    sel.modify(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
                    continue
                if ev & selectors.EVENT_WRITE and c["off"] < len(c["data"]):
                    c["off"] += s.send(c["data"][c["off"]:c["off"] + 65536])
                    if c["off"] == len(c["data"]):
                        s.shutdown(socket.SHUT_WR)
                        sel.modify(s, selectors.EVENT_READ, c)
                if ev & selectors.EVENT_READ:
                    b = s.recv(65536)
                    if not b:
                        c["state"] = "eof"
                        sel.unregister(s)
                        s.close()
                        live -= 1
                    else:
                        c["got"] += b
            except OSError as e:
                c["error"] = errname(e)
                c["state"] = "error"
                sel.unregister(s)
                s.close()
                live -= 1
    ok = sum(1 for c in conns if c["state"] == "eof" and c["got"] == c["data"])
    bad = [{"i": c["i"], "state": c["state"], "error": c["error"], "got": len(c["got"]),
            "match": c["got"] == c["data"]} for c in conns
           if not (c["state"] == "eof" and c["got"] == c["data"])]
    for c in conns:
        if c["state"] not in ("eof", "error"):
            c["s"].close()
    out({"ok": ok, "conns": a.conns, "bad": bad[:20], "nr_bad": len(bad)})
    return 0


def cmd_server(a):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(8)
    ls.settimeout(a.timeout)
    sys.stderr.write("listening\n")
    sys.stderr.flush()
    try:
        s, peer = ls.accept()
    except OSError as e:
        out({"accept_error": errname(e)})
        return 1
    s.settimeout(a.timeout)
    rcv = Receiver(s)
    snd = Sender(s, a.send, a.seed, shut=not a.expect_reset and not a.shut_after_eof)
    rcv.start()
    snd.start()
    snd.join(a.timeout)
    rcv.join(a.timeout)
    if a.shut_after_eof and rcv.eof:
        s.shutdown(socket.SHUT_WR)
        time.sleep(0.2)  # let the FIN go before close()
    res = {"peer": "%s:%d" % peer, "recv": rcv.rcvd, "recv_sha": rcv.sha.hexdigest(),
           "recv_error": rcv.error, "eof": rcv.eof, "sent": snd.sent,
           "sent_sha": snd.sha.hexdigest(), "send_error": snd.error,
           "hung": snd.is_alive() or rcv.is_alive()}
    if a.expect_reset and rcv.error is None and not rcv.eof:
        res["recv_error"] = "none"
    s.close()
    ls.close()
    out(res)
    return 0


def cmd_connect(a):
    s = socket.socket()
    s.settimeout(a.timeout)
    try:
        s.connect((a.host, a.port))
        res = "ok"
    except OSError as e:
        res = errname(e)
    s.close()
    out({"result": res})
    return 0


# ------------------------------------------------------------ malformed frames

def build_frames(a, kind):
    """One malformed frame (bytes) of `kind`; fields vary so frames differ."""
    from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw  # noqa: F401
    eth = Ether(dst=a.dst_mac, src=a.src_mac)
    eth_ip = bytes(Ether(dst=a.dst_mac, src=a.src_mac, type=0x0800))  # for raw IPv4 bytes
    ip = IP(src=a.src_ip, dst=a.dst_ip)
    icmp = ICMP(type=8, id=0x4242, seq=random.randint(0, 65535)) / Raw(b"x" * 16)

    def raw_ip(**kw):
        return bytes(ip.__class__(src=a.src_ip, dst=a.dst_ip, **kw) / icmp)

    if kind == "ip_short":          # IPv4 ethertype, 4..19 bytes of header
        return eth_ip + bytes(IP(src=a.src_ip, dst=a.dst_ip))[:random.randint(4, 19)]
    if kind == "ip_bad_ihl":        # IHL below 5
        b = bytearray(raw_ip())
        b[0] = 0x40 | random.randint(0, 4)
        return eth_ip + bytes(b)
    if kind == "ip_ihl_past_frame":  # IHL=15 (60 bytes) in a 28-byte packet
        b = bytearray(bytes(ip.__class__(src=a.src_ip, dst=a.dst_ip) / ICMP()))
        b[0] = 0x4f
        return eth_ip + bytes(b)
    if kind == "ip_total_len":      # total length beyond the frame
        b = bytes(IP(src=a.src_ip, dst=a.dst_ip, len=random.randint(200, 1500)) / icmp)
        return eth_ip + b
    if kind == "ip_bad_csum":
        good = IP(raw_ip())
        return eth_ip + raw_ip(chksum=(good.chksum + random.randint(1, 0xfffe)) & 0xffff)
    if kind == "ip_version":        # version 6 or 5, 7, ... in an IPv4 ethertype
        b = bytearray(raw_ip())
        b[0] = (random.choice([0, 1, 5, 6, 7, 15]) << 4) | 5
        return eth_ip + bytes(b)
    if kind == "ip_fragment":       # MF set, or an offset
        if random.random() < 0.5:
            return eth_ip + raw_ip(flags="MF")
        return eth_ip + raw_ip(frag=random.randint(1, 1000))
    if kind == "ip_ttl_zero":
        return eth_ip + raw_ip(ttl=0)
    if kind == "not_for_us_mac":    # another unicast MAC, or multicast
        mac = random.choice(["02:00:00:%02x:%02x:%02x" % tuple(random.randint(0, 255) for _ in range(3)),
                             "01:00:5e:00:00:%02x" % random.randint(1, 255)])
        return bytes(Ether(dst=mac, src=a.src_mac) / IP(src=a.src_ip, dst=a.dst_ip) / icmp)
    if kind == "arp_bad_hw":        # hardware type / lengths wrong
        return bytes(eth / ARP(hwtype=random.choice([6, 0x100]), hwlen=6, plen=4, op=1, hwsrc=a.src_mac,
                                psrc=a.src_ip, pdst=a.dst_ip))
    if kind == "arp_short":         # ARP ethertype, truncated body
        return bytes(eth.copy() / ARP(op=1, hwsrc=a.src_mac, psrc=a.src_ip, pdst=a.dst_ip))[:14 + random.randint(0, 27)]
    if kind == "arp_bad_op":
        return bytes(eth / ARP(op=random.randint(3, 100), hwsrc=a.src_mac, psrc=a.src_ip, pdst=a.dst_ip))
    if kind == "arp_not_for_us":    # well formed, asks for another address
        other = a.dst_ip.rsplit(".", 1)[0] + ".%d" % random.randint(100, 200)
        return bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=a.src_mac) /
                     ARP(op=1, hwsrc=a.src_mac, psrc=a.src_ip, pdst=other))
    if kind == "unknown_ethertype":
        return bytes(Ether(dst=a.dst_mac, src=a.src_mac, type=random.choice([0x88b5, 0x9000, 0x88cc]))
                     / Raw(b"\0" * 46))
    if kind == "ip_not_for_us":
        other = a.dst_ip.rsplit(".", 1)[0] + ".%d" % random.randint(100, 200)
        return bytes(eth / IP(src=a.src_ip, dst=other) / icmp)
    if kind == "ip_unknown_proto":  # UDP (not served) and others
        return bytes(eth / IP(src=a.src_ip, dst=a.dst_ip, proto=random.choice([17, 47, 132])) / Raw(b"u" * 20))
    if kind == "icmp_bad_csum":
        good = ICMP(bytes(ICMP(type=8) / Raw(b"z" * 8)))
        bad = (good.chksum + random.randint(1, 0xfffe)) & 0xffff
        return bytes(eth / IP(src=a.src_ip, dst=a.dst_ip) / ICMP(type=8, chksum=bad) / Raw(b"z" * 8))
    if kind == "icmp_unhandled":    # timestamp request
        return bytes(eth / IP(src=a.src_ip, dst=a.dst_ip) / ICMP(type=13))
    raise SystemExit("unknown kind %s" % kind)


def tcp_checksum(src, dst, seg):
    from scapy.utils import checksum
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + bytes([0, 6]) + len(seg).to_bytes(2, "big")
    return checksum(ph + seg)


def build_tcp(a, kind):
    from scapy.all import IP, TCP, Ether, Raw
    eth = Ether(dst=a.dst_mac, src=a.src_mac)
    ip = IP(src=a.src_ip, dst=a.dst_ip)
    seq = random.randint(0, 2**32 - 1)
    tcp = TCP(sport=a.sport, dport=a.dport, seq=seq, ack=random.randint(0, 2**32 - 1), flags="A")
    pay = Raw(b"p" * random.randint(0, 64))
    if kind == "tcp_doff_small":    # data offset below 5
        t = TCP(bytes(tcp / pay))
        t.dataofs = random.randint(0, 4)
        return bytes(eth / ip / t)
    if kind == "tcp_doff_past":     # data offset beyond the segment
        t = TCP(sport=a.sport, dport=a.dport, seq=seq, flags="A", dataofs=15)
        return bytes(eth / ip / t)
    if kind == "tcp_short":         # fewer than 20 bytes of TCP header
        return bytes(eth / IP(src=a.src_ip, dst=a.dst_ip, proto=6) / Raw(bytes(tcp)[:random.randint(1, 19)]))
    if kind == "tcp_bad_csum":
        good = TCP(bytes(ip / tcp / pay)[20:])
        t = tcp.copy()
        t.chksum = (good.chksum + random.randint(1, 0xfffe)) & 0xffff
        return bytes(eth / ip / t / pay)
    if kind == "tcp_opt_past":      # an option whose length runs past the header
        opt = random.choice([b"\x02\x08\x05\xb4", b"\x08\x0c\x00\x00", b"\x01\x01\x03\x09",
                             b"\x01\x01\x01\x02"])
        hdr = bytearray(bytes(tcp)[:20] + opt)
        hdr[12] = 6 << 4            # data offset: 24 bytes
        hdr[16:18] = b"\0\0"
        csum = tcp_checksum(a.src_ip, a.dst_ip, bytes(hdr))
        hdr[16:18] = csum.to_bytes(2, "big")
        return bytes(eth / IP(src=a.src_ip, dst=a.dst_ip, proto=6) / Raw(bytes(hdr)))
    if kind == "tcp_syn_fin":
        return bytes(eth / ip / TCP(sport=a.sport, dport=a.dport, seq=seq, flags="SF"))
    if kind == "tcp_syn_rst":
        return bytes(eth / ip / TCP(sport=a.sport, dport=a.dport, seq=seq, flags="SR"))
    if kind == "tcp_no_flags":
        return bytes(eth / ip / TCP(sport=a.sport, dport=a.dport, seq=seq, flags=0) / pay)
    raise SystemExit("unknown kind %s" % kind)


def send_frames(a, builder):
    from scapy.all import conf
    random.seed(a.seed)
    kinds = [k for k in a.kinds.split(",") if k]
    frames = []
    for k in kinds:
        for _ in range(a.count):
            frames.append((k, builder(a, k)))
    random.shuffle(frames)
    sock = conf.L2socket(iface=a.iface)
    sent = {k: 0 for k in kinds}
    try:
        for i, (k, f) in enumerate(frames):
            sock.send(f)
            sent[k] += 1
            # pace: the TAP queue holds 1000 frames; let the stack drain it
            if i % a.burst == a.burst - 1:
                time.sleep(a.pause)
    finally:
        sock.close()
    out({"sent": sent, "total": sum(sent.values())})
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("echo")
    e.add_argument("host")
    e.add_argument("port", type=int)
    e.add_argument("--bytes", type=int, required=True)
    e.add_argument("--seed", type=int, default=1)
    e.add_argument("--sport", type=int, default=0)
    e.add_argument("--rate", type=float, default=0, help="bytes/s, 0: as fast as possible")
    e.add_argument("--timeout", type=float, default=60)
    m = sub.add_parser("many")
    m.add_argument("host")
    m.add_argument("port", type=int)
    m.add_argument("--conns", type=int, required=True)
    m.add_argument("--bytes", type=int, required=True)
    m.add_argument("--timeout", type=float, default=60)
    s = sub.add_parser("server")
    s.add_argument("--bind", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--send", type=int, default=0)
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--expect-reset", action="store_true")
    s.add_argument("--shut-after-eof", action="store_true")
    s.add_argument("--timeout", type=float, default=60)
    c = sub.add_parser("connect")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("--timeout", type=float, default=10)
    for name in ("frames", "tcpbad"):
        f = sub.add_parser(name)
        for o in ("--iface", "--dst-mac", "--src-mac", "--dst-ip", "--src-ip", "--kinds"):
            f.add_argument(o, required=True)
        f.add_argument("--count", type=int, default=100)
        f.add_argument("--seed", type=int, default=1)
        f.add_argument("--burst", type=int, default=200)
        f.add_argument("--pause", type=float, default=0.01)
        f.add_argument("--sport", type=int, default=0)
        f.add_argument("--dport", type=int, default=0)
    a = p.parse_args()
    if a.cmd == "echo":
        return cmd_echo(a)
    if a.cmd == "many":
        return cmd_many(a)
    if a.cmd == "server":
        return cmd_server(a)
    if a.cmd == "connect":
        return cmd_connect(a)
    if a.cmd == "frames":
        return send_frames(a, build_frames)
    return send_frames(a, build_tcp)


if __name__ == "__main__":
    sys.exit(main())
