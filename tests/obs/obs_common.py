"""Fixtures of the observability tests: a lab running techo (port 7) with its
own obs.run_dir, the `tpa` tool, and kernel-side clients in the peer namespace.

Tools come from $TPA_BUILD (default /work/main/build): tools/tpa,
stack/examples/techo, stack/tests/test_trace_archive.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import tpalab  # noqa: E402

TPA = tpalab.build_tool("tools/tpa")
TECHO = tpalab.build_tool("stack/examples/techo")


def need(path):
    if not Path(path).exists():
        pytest.skip("%s not built (set TPA_BUILD)" % path)


class Tpa:
    """Runs the tpa tool against one run dir (and instance id)."""

    def __init__(self, run_dir, inst=None):
        self.run_dir = str(run_dir)
        self.inst = inst

    def run(self, *args, check=True, timeout=30):
        cmd = [str(TPA), "-r", self.run_dir]
        if self.inst:
            cmd += ["-i", self.inst]
        cmd += [str(a) for a in args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("%s -> %d\nstdout:%s\nstderr:%s" % (cmd, r.returncode, r.stdout, r.stderr))
        return r

    def out(self, *args, **kw):
        return self.run(*args, **kw).stdout

    def json(self, *args):
        """The raw JSON reply of a command (tpa -j)."""
        cmd = [str(TPA), "-r", self.run_dir]
        if self.inst:
            cmd += ["-i", self.inst]
        r = subprocess.run(cmd + ["-j"] + [str(a) for a in args], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)


# A kernel client in the peer namespace: connects, echoes a payload, then keeps
# the connection open until its stdin closes; prints its local port first.
CLIENT = r"""
import socket, sys
s = socket.create_connection((sys.argv[1], 7), timeout=10)
print(s.getsockname()[1], flush=True)
n = int(sys.argv[2])
s.sendall(b"z" * n)
got = 0
while got < n:
    d = s.recv(65536)
    if not d:
        break
    got += len(d)
print("echoed", got, flush=True)
sys.stdin.read()
s.close()
"""


class Stack:
    def __init__(self, lab, run_dir, inst, proc):
        self.lab = lab
        self.run_dir = run_dir
        self.inst = inst
        self.proc = proc
        self.tpa = Tpa(run_dir, inst)
        self.clients = []

    @property
    def ip(self):
        return self.lab.env["STACK_IP"]

    def client(self, nbytes=1000):
        """Open a held connection from the kernel peer; returns (Popen, local port)."""
        p = subprocess.Popen(["ip", "netns", "exec", self.lab.env["NETNS"], "/usr/bin/python3", "-c", CLIENT,
                              self.ip, str(nbytes)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.clients.append(p)
        port = int(p.stdout.readline())
        line = p.stdout.readline()
        assert line.startswith("echoed %d" % nbytes), line
        return p, port

    def close_client(self, p):
        p.stdin.close()
        p.wait(10)

    def peer(self, code, timeout=60):
        return subprocess.run(["ip", "netns", "exec", self.lab.env["NETNS"], "/usr/bin/python3", "-c", code],
                              capture_output=True, text=True, timeout=timeout)


def wait_for(fn, timeout=10, step=0.1):
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > end:
            return v
        time.sleep(step)


@pytest.fixture(scope="module")
def stack():
    """techo on the stack in a fresh lab, with obs.run_dir in a temp dir."""
    if os.geteuid() != 0:
        pytest.skip("tpa-lab needs root")
    need(TPA)
    need(TECHO)
    run_dir = Path(tempfile.mkdtemp(prefix="tpa-obs-"))
    inst = "techo-obs-%d" % os.getpid()
    lab = tpalab.Lab()
    try:
        lab.up()
        p = lab.run_stack([str(TECHO), "7"], env={"TPA_CFG": "obs.run_dir=%s" % run_dir, "TPA_ID": inst})
        assert wait_for(lambda: (run_dir / inst / "ctrl").exists()), tpalab.read_log(p)
        s = Stack(lab, run_dir, inst, p)
        yield s
        for c in s.clients:
            if c.poll() is None:
                c.kill()
                c.wait(5)
    finally:
        lab.close()
        shutil.rmtree(run_dir, ignore_errors=True)
