"""Peer side of the tpad tests: open N kernel TCP connections to HOST:PORT
(an echo server), check each echoes, print "ready", then on a line from stdin
("go") wait up to TIMEOUT seconds and print one JSON object per socket:
{"i": .., "result": "ECONNRESET" | "eof" | "data" | "timeout", "t": seconds}.

    peer_conns.py HOST PORT N TIMEOUT
"""
import errno
import json
import select
import socket
import sys
import time


def main():
    host, port, n, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    socks = []
    for i in range(n):
        s = socket.create_connection((host, port), timeout=5)
        msg = b"hello-%d" % i
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            chunk = s.recv(64)
            if not chunk:
                break
            got += chunk
        if got != msg:
            print("echo mismatch on connection %d: %r" % (i, got), flush=True)
            return 1
        s.setblocking(False)
        socks.append(s)
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 1
    t0 = time.monotonic()
    result = {}
    while len(result) < n:
        left = timeout - (time.monotonic() - t0)
        if left <= 0:
            break
        open_socks = [s for s in socks if s.fileno() not in result]
        r, _, _ = select.select(open_socks, [], [], min(left, 0.1))
        for s in r:
            try:
                d = s.recv(64)
                res = "eof" if d == b"" else "data"
            except OSError as e:
                res = errno.errorcode.get(e.errno, str(e.errno))
            result[s.fileno()] = (res, time.monotonic() - t0)
    for i, s in enumerate(socks):
        res, t = result.get(s.fileno(), ("timeout", timeout))
        print(json.dumps({"i": i, "result": res, "t": round(t, 4)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
