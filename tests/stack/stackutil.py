"""Helpers for the stack end-to-end tests: start stack programs in a lab, run
the kernel-side tool (peer_tool.py) in the peer namespace, parse counters.

Built programs come from $TPA_BUILD/stack/examples (tpalab.BUILD)."""
import collections
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

import tpalab

HERE = Path(__file__).resolve().parent
PEER_TOOL = HERE / "peer_tool.py"
PY = "/usr/bin/python3"
EXAMPLES = tpalab.build_tool("stack/examples")
# poll when busy, sleep (RX interrupt) when idle: the machine is shared
QUIET = "worker.idle=backoff;worker.idle_polls=2000"


def example(name):
    path = EXAMPLES / name
    if not path.exists():
        pytest.skip("%s not built (set TPA_BUILD)" % path)
    return str(path)


def run_example(lab, name, args, cfg="", workers=None, timeout=30):
    """Start a stack example in the lab; returns the Popen (output in its log)."""
    full = QUIET + (";" + cfg if cfg else "")
    return lab.run_stack([example(name), *map(str, args)], workers=workers, timeout=timeout,
                         env={"TPA_CFG": full})


StackExit = collections.namedtuple("StackExit", "rc log workers drops")


def parse_stats(log):
    """Per-worker counters and summed drop reasons from ex_print_stats lines."""
    workers, drops = {}, collections.Counter()
    for m in re.finditer(r"^worker (\d+): (rx_pkts=.*)$", log, re.M):
        workers[int(m.group(1))] = {k: int(v) for k, v in
                                    (kv.split("=") for kv in m.group(2).split())}
    for m in re.finditer(r"^worker (\d+): drop (\w+)=(\d+)$", log, re.M):
        drops[m.group(2)] += int(m.group(3))
    return workers, drops


def stop(lab, p, sig=signal.SIGINT):
    """Stop a stack program; its exit status, log and counters."""
    rc = lab.stop_stack(p, sig=sig)
    log = tpalab.read_log(p)
    workers, drops = parse_stats(log)
    return StackExit(rc, log, workers, drops)


def peer_tool(lab, args, timeout=60):
    """Run peer_tool.py in the peer namespace; its JSON result."""
    try:
        r = lab.peer([PY, str(PEER_TOOL), *map(str, args)], timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail("peer_tool %s did not finish in %ss" % (" ".join(map(str, args)), timeout))
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    assert r.returncode in (0, 1) and lines, "peer_tool %s failed (%d):\n%s\n%s" % (
        args, r.returncode, r.stdout, r.stderr)
    return json.loads(lines[-1])


class PeerServer:
    """peer_tool.py server running in the background in the peer namespace."""

    def __init__(self, lab, args, timeout=60):
        self.lab, self.timeout = lab, timeout
        self.p = lab.peer_popen([PY, str(PEER_TOOL), "server", "--timeout", timeout, *map(str, args)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.p.stderr.readline()
        if "listening" not in line:
            self.p.kill()
            pytest.fail("peer server did not start: %s%s" % (line, self.p.stderr.read()))

    def result(self, timeout=None):
        try:
            out, err = self.p.communicate(timeout=timeout or self.timeout + 10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, err = self.p.communicate()
            pytest.fail("peer server hung:\n%s\n%s" % (out, err))
        lines = [l for l in out.splitlines() if l.startswith("{")]
        assert lines, "peer server printed nothing (%s):\n%s" % (self.p.returncode, err)
        return json.loads(lines[-1])


def parse_tclient(text):
    """tclient's key=value result lines."""
    res = {}
    for line in text.splitlines():
        m = re.match(r"^(sent|recv)=(\d+) sha256=([0-9a-f]{64})$", line)
        if m:
            res[m.group(1)] = int(m.group(2))
            res[m.group(1) + "_sha"] = m.group(3)
        m = re.match(r"^closed state=(\S+)$", line)
        if m:
            res["closed"] = m.group(1)
        m = re.match(r"^error errno=(\d+) name=(\S+)", line)
        if m:
            res["error"] = m.group(2)
        m = re.match(r"^connected local_port=(\d+)$", line)
        if m:
            res["local_port"] = int(m.group(1))
    return res


def run_tclient(lab, args, cfg="", timeout=60):
    """Run tclient to completion in the lab; (exit status, parsed result, log)."""
    ready = lab.state_dir / "ready"
    try:
        p = lab.run_stack([example("tclient"), "--timeout", int(timeout), "--wait-file", ready,
                           *map(str, args)],
                          bg=True, timeout=30, env={"TPA_CFG": QUIET + (";" + cfg if cfg else "")})
    except tpalab.LabError as e:
        # a short run (e.g. refused at once) may end before run_stack polled
        # the ready file: fine when tpa-lab did declare the lab ready
        if "ready:" not in str(e):
            raise
        p = lab._procs[-1]
    try:
        p.wait(timeout + 20)
    except subprocess.TimeoutExpired:
        lab.stop_stack(p)
        pytest.fail("tclient did not finish:\n%s" % tpalab.read_log(p))
    log = tpalab.read_log(p)
    return p.returncode, parse_tclient(log), log


class Capture:
    """tcpdump in the peer namespace (to a file, so it never blocks on a pipe);
    stop() gives (src, dst, flags) of every TCP segment seen."""

    def __init__(self, lab, port):
        self.lab = lab
        # in the lab's state directory: `tpa-lab down` removes it whatever happens
        self.file = str(lab.state_dir / ("capture-%d.pcap" % port))
        # "any": the TAP may not be in the namespace yet
        self.p = lab.peer_popen(["tcpdump", "-i", "any", "--immediate-mode", "-s", "128", "-B", "16384", "-nn", "-U", "-w", self.file,
                                 "tcp port %d" % port], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            line = self.p.stderr.readline()
            if "listening on" in line or not line:
                break
        time.sleep(0.1)

    def stop(self):
        time.sleep(0.3)  # the last segments
        self.p.send_signal(signal.SIGINT)
        try:
            _, self.stats = self.p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            _, self.stats = self.p.communicate()
        r = subprocess.run(["tcpdump", "-r", self.file, "-nn", "-S"], capture_output=True,
                           text=True, timeout=60)
        os.unlink(self.file)
        segs = []
        for line in r.stdout.splitlines():
            m = re.search(r"IP (\S+) > (\S+): Flags \[([^\]]*)\]", line)
            if m:
                segs.append((m.group(1), m.group(2), m.group(3)))
        return segs
