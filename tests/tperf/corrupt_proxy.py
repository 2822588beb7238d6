#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A TCP proxy that flips one byte of every connection's stream.

usage: corrupt_proxy.py LISTEN_PORT UPSTREAM_PORT DIRECTION OFFSET
DIRECTION is s2c (server to client) or c2s; OFFSET counts bytes from the
start of that direction's stream (c2s includes the client's 32-byte hello;
the server sends no hello on data connections).
Used to prove that tperf -i notices corruption the checksums let through.
"""
import socket
import sys
import threading


def pump(src, dst, flip_at):
    seen = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if flip_at is not None and seen <= flip_at < seen + len(data):
                b = bytearray(data)
                b[flip_at - seen] ^= 0x5A
                data = bytes(b)
            seen += len(data)
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main():
    lport, uport, direction, off = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", lport))
    ls.listen(64)
    while True:
        c, _ = ls.accept()
        u = socket.create_connection(("127.0.0.1", uport))
        for s in (c, u):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=pump, args=(c, u, off if direction == "c2s" else None),
                         daemon=True).start()
        threading.Thread(target=pump, args=(u, c, off if direction == "s2c" else None),
                         daemon=True).start()


if __name__ == "__main__":
    main()
