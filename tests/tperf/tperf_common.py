# SPDX-License-Identifier: BSD-3-Clause
"""Fixtures for the tperf end-to-end tests (run with /usr/bin/pytest)."""
import json
import os
import shutil
import socket
import subprocess
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def find_tperf():
    """$TPERF, else the first built tperf in the usual build dirs."""
    env = os.environ.get("TPERF")
    if env:
        return env
    for d in ("/tmp/build-tperf", os.path.join(ROOT, "build"), "/tmp/build"):
        p = os.path.join(d, "tperf", "tperf")
        if os.access(p, os.X_OK):
            return p
    pytest.skip("tperf binary not found: build it and set $TPERF")


@pytest.fixture(scope="session")
def tperf():
    return find_tperf()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A tperf server in the background; always killed at teardown."""

    def __init__(self, argv, netns=None):
        pre = ["ip", "netns", "exec", netns] if netns else []
        self.proc = subprocess.Popen(pre + argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        out, _ = self.proc.communicate(timeout=10)
        return out


def wait_port(port, host="127.0.0.1", netns=None, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        if netns:
            r = subprocess.run(["ip", "netns", "exec", netns, "ss", "-Hltn",
                                f"sport = :{port}"], capture_output=True, text=True)
            if r.stdout.strip():
                return
        else:
            r = subprocess.run(["ss", "-Hltn", f"sport = :{port}"],
                               capture_output=True, text=True)
            if r.stdout.strip():
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port} after {timeout} s")


@pytest.fixture
def kserver(tperf):
    """Start a kernel tperf server on a free port; yields (port, Server)."""
    servers = []

    def start(*extra, netns=None, port=None):
        port = port or free_port()
        s = Server([tperf, "-s", "--kernel", "-p", str(port), *extra], netns=netns)
        servers.append(s)
        wait_port(port, netns=netns)
        return port, s

    yield start
    for s in servers:
        s.stop()


# The fields docs/results-schema.md requires, with their JSON types.
REQUIRED = {
    "schema": str, "tool": dict, "host": dict, "options": dict, "started_at": str,
    "duration_s": (int, float), "status": str, "throughput": dict, "cpu": dict,
    "errors": dict, "stack": dict, "latency": dict, "samples": list, "stages": dict,
}
REQUIRED_SUB = {
    "tool": ["name", "version", "git_commit", "git_dirty"],
    "host": ["hostname", "cpu_model", "cores", "kernel", "dpdk_version", "tsc_hz"],
    "options": ["role", "test", "backend", "threads", "connections", "message_size",
                "duration_s", "warmup_s", "port", "server", "zero_copy_write",
                "integrity", "rate", "loop"],
    "throughput": ["bytes", "gbit_per_s", "messages", "messages_per_s", "connections",
                   "connections_per_s"],
    "cpu": ["per_thread", "total_s", "ns_per_op"],
    "errors": ["integrity", "connect", "reset", "timeouts"],
    "stack": ["retrans_pkts", "rto", "fast_retrans", "drops"],
}
SUMMARY = ["count", "min", "mean", "stddev", "p50", "p90", "p99", "p99_9", "p99_99", "max"]


def validate_result(path):
    """Check a --json file against the documented schema; return the object."""
    with open(path) as f:
        r = json.load(f)
    for k, t in REQUIRED.items():
        assert k in r, f"{path}: missing {k}"
        assert isinstance(r[k], t), f"{path}: {k} is {type(r[k]).__name__}"
    assert "error" in r
    assert r["schema"] == "tpa.tperf/1"
    assert r["status"] in ("ok", "error")
    assert (r["error"] is None) == (r["status"] == "ok")
    for k, fields in REQUIRED_SUB.items():
        for f in fields:
            assert f in r[k], f"{path}: missing {k}.{f}"
    lat = r["latency"]
    assert lat["unit"] == "ns" and isinstance(lat["what"], str)
    for f in SUMMARY:
        assert f in lat["summary"], f"latency.summary.{f}"
    h = lat["histogram"]
    for f in ("lowest", "highest", "significant_digits", "counts"):
        assert f in h
    assert sum(c for _, c in h["counts"]) == lat["summary"]["count"]
    s = lat["summary"]
    if s["count"]:
        assert s["min"] <= s["p50"] <= s["p90"] <= s["p99"] <= s["p99_9"] <= s["p99_99"] <= s["max"]
    for smp in r["samples"]:
        for f in ("t", "bytes", "messages", "connections", "p50", "p99"):
            assert f in smp
    for t in r["cpu"]["per_thread"]:
        assert {"thread", "user_s", "sys_s"} <= set(t)
    assert r["options"]["backend"] in ("stack", "kernel")
    assert r["options"]["loop"] in ("open", "closed")
    return r


def have(tool):
    return shutil.which(tool) is not None
