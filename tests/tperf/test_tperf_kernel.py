# SPDX-License-Identifier: BSD-3-Clause
"""tperf --kernel end to end on loopback."""
import json
import os
import re
import subprocess
import sys
import time

import pytest

from tperf_common import HERE, Server, free_port, validate_result, wait_port


def client(tperf, port, *args, timeout=60, check_rc=None):
    argv = [tperf, "--kernel", "-c", "127.0.0.1", "-p", str(port), *args]
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    r.elapsed = time.monotonic() - t0
    if check_rc is not None:
        assert r.returncode == check_rc, f"{argv} -> {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


@pytest.mark.parametrize("test", ["read", "write", "rw", "rr", "crr"])
def test_every_test_type(tperf, kserver, tmp_path, test):
    port, _ = kserver()
    out = tmp_path / "r.json"
    r = client(tperf, port, "-t", test, "-d", "2", "--json", str(out), check_rc=0)
    res = validate_result(out)
    assert res["status"] == "ok"
    assert res["options"]["test"] == test and res["options"]["backend"] == "kernel"
    assert res["throughput"]["messages"] > 0
    assert res["throughput"]["bytes"] > 0
    assert len(res["samples"]) == 2
    assert sum(s["messages"] for s in res["samples"]) <= res["throughput"]["messages"]
    if test in ("rr", "crr"):
        s = res["latency"]["summary"]
        assert s["count"] == res["throughput"]["messages"]
        assert 0 < s["min"] <= s["p50"] <= s["max"]
        assert "round trip" in res["latency"]["what"]
        assert re.search(r"p99\.9 [0-9.]+ (ns|us|ms)", r.stdout)
    if test == "crr":
        assert res["throughput"]["connections"] == res["throughput"]["messages"]
    if test in ("read", "write"):
        tx, rx = res["throughput"]["bytes_tx"], res["throughput"]["bytes_rx"]
        assert (tx > 0) == (test == "write") and (rx > 0) == (test == "read")
    assert res["cpu"]["total_s"] > 0 and res["cpu"]["ns_per_op"] > 0
    assert re.search(r"^status: ok", r.stdout, re.M)


@pytest.mark.parametrize("size", ["1", "1000", "64K", "1M"])
@pytest.mark.parametrize("test", ["rw", "rr", "crr"])
def test_integrity_passes(tperf, kserver, tmp_path, test, size):
    port, _ = kserver()
    out = tmp_path / "r.json"
    client(tperf, port, "-t", test, "-m", size, "-d", "1", "-i", "--json", str(out), check_rc=0)
    res = validate_result(out)
    assert res["options"]["integrity"] is True
    assert res["errors"]["integrity"] == 0
    assert res["throughput"]["messages"] > 0


@pytest.fixture
def proxy():
    procs = []

    def start(upstream, direction, offset):
        port = free_port()
        p = subprocess.Popen([sys.executable if "python3" in sys.executable else "/usr/bin/python3",
                              os.path.join(HERE, "corrupt_proxy.py"), str(port), str(upstream),
                              direction, str(offset)])
        procs.append(p)
        wait_port(port)
        return port

    yield start
    for p in procs:
        p.kill()
        p.wait()


@pytest.mark.parametrize("test,direction", [("read", "s2c"), ("rr", "s2c"), ("rw", "s2c")])
def test_corruption_detected_by_client(tperf, kserver, proxy, tmp_path, test, direction):
    port, _ = kserver()
    pport = proxy(port, direction, 5000)  # no hello from the server on data connections
    out = tmp_path / "r.json"
    r = client(tperf, pport, "-t", test, "-m", "1000", "-d", "3", "-i", "--json", str(out))
    assert r.returncode != 0, r.stdout
    assert "integrity error at stream offset 5000" in r.stderr
    res = validate_result(out)
    assert res["status"] == "error" and "integrity" in res["error"]
    assert res["errors"]["integrity"] == 1
    assert r.elapsed < 3, "the run must stop at the first bad byte"


def test_corruption_seen_by_server_fails_client(tperf, kserver, proxy, tmp_path):
    port, srv = kserver()
    pport = proxy(port, "c2s", 32 + 70000)
    r = client(tperf, pport, "-t", "write", "-m", "1000", "-d", "3", "-i")
    assert r.returncode != 0
    assert re.search("server (closed|reset) the connection", r.stderr), r.stderr
    assert "integrity error from a client at stream offset 70000" in srv.stop()


def test_corruption_unnoticed_without_integrity(tperf, kserver, proxy):
    """Control: the proxy really is transparent apart from the flipped byte."""
    port, _ = kserver()
    pport = proxy(port, "s2c", 5000)
    client(tperf, pport, "-t", "rr", "-m", "1000", "-d", "1", check_rc=0)


def test_connection_refused(tperf, tmp_path):
    out = tmp_path / "r.json"
    r = client(tperf, free_port(), "-d", "1", "--json", str(out))
    assert r.returncode == 1
    assert "Connection refused" in r.stderr
    assert r.elapsed < 2
    res = validate_result(out)
    assert res["status"] == "error" and res["errors"]["connect"] == 1


def test_connect_timeout(tperf):
    """A server whose accept queue is full drops SYNs: tperf gives up in time."""
    import socket
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(0)
    port = ls.getsockname()[1]
    fillers = []
    try:
        for _ in range(3):  # fill the accept queue so further SYNs are dropped
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        time.sleep(0.2)
        r = client(tperf, port, "-d", "1", "--connect-timeout", "1.5")
        assert r.returncode == 1
        assert "within 1.5 s" in r.stderr, r.stderr
        assert 1.4 < r.elapsed < 3.5
    finally:
        for s in fillers:
            s.close()
        ls.close()


def test_server_killed_mid_run(tperf, kserver, tmp_path):
    port, srv = kserver()
    out = tmp_path / "r.json"
    p = subprocess.Popen([tperf, "--kernel", "-c", "127.0.0.1", "-p", str(port), "-t", "rr",
                          "-d", "6", "--json", str(out)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)
    srv.proc.kill()
    so, se = p.communicate(timeout=20)
    assert p.returncode == 1, so + se
    assert re.search("server (closed|reset) the connection", se), se
    res = validate_result(out)
    assert res["status"] == "error"
    assert 1.5 < res["duration_s"] < 4
    assert res["latency"]["summary"]["count"] > 0, "partial results kept"
    assert len(res["samples"]) >= 1


@pytest.mark.parametrize("args", [
    [], ["-s", "-c", "127.0.0.1"], ["-c", "127.0.0.1", "-t", "bogus"],
    ["-c", "127.0.0.1", "-m", "0"], ["-c", "127.0.0.1", "-m", "65M"],
    ["-c", "127.0.0.1", "-d", "-1"], ["-c", "127.0.0.1", "-n", "x"],
    ["-c", "127.0.0.1", "-W", "2"], ["-c", "127.0.0.1", "-t", "write", "-R", "10"],
    ["-c", "127.0.0.1", "--digits", "6"], ["-s", "-t", "rr"], ["-s", "-m", "10"],
    ["-c", "127.0.0.1", "--once"], ["-c", "127.0.0.1", "--nope"], ["-c"],
    ["-c", "127.0.0.1", "extra"], ["-c", "127.0.0.1", "-t", "l2pp", "-m", "59"],
    ["-c", "127.0.0.1", "-t", "l2pp", "-m", "9015"], ["-c", "127.0.0.1", "-t", "l2pp", "-C", "2"],
    ["-c", "127.0.0.1", "-p", "70000"],
])
def test_bad_args_exit_2(tperf, tmp_path, args):
    out = tmp_path / "r.json"
    r = subprocess.run([tperf, "--kernel", *args, "--json", str(out)], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 2, (args, r.stdout, r.stderr)
    assert "tperf:" in r.stderr
    assert not out.exists(), "nothing left behind"


def test_hgrm_and_json_agree(tperf, kserver, tmp_path):
    port, _ = kserver()
    out, hg = tmp_path / "r.json", tmp_path / "r.hgrm"
    client(tperf, port, "-t", "rr", "-d", "1", "--json", str(out), "--hgrm", str(hg), check_rc=0)
    res = validate_result(out)
    text = hg.read_text()
    assert "Value     Percentile TotalCount 1/(1-Percentile)" in text
    rows = [l.split() for l in text.splitlines() if l and l[0] == " " and re.match(r"\s+[0-9]", l)]
    assert float(rows[-1][1]) == 1.0
    assert int(rows[-1][2]) == res["latency"]["summary"]["count"]
    m = re.search(r"#\[Max     =\s+([0-9.]+), Total count    =\s+(\d+)\]", text)
    assert int(m.group(2)) == res["latency"]["summary"]["count"]
    # microseconds: the .hgrm max matches the JSON max (ns) within the bucket width
    assert abs(float(m.group(1)) * 1000 - res["latency"]["summary"]["max"]) <= \
        res["latency"]["summary"]["max"] / 1000 + 1
    p50_row = next(r for r in rows if float(r[1]) >= 0.5)
    assert abs(float(p50_row[0]) * 1000 - res["latency"]["summary"]["p50"]) <= \
        res["latency"]["summary"]["p50"] / 500 + 1


def test_warmup_excluded(tperf, kserver, tmp_path):
    port, _ = kserver()
    out = tmp_path / "r.json"
    t0 = time.monotonic()
    client(tperf, port, "-t", "rr", "-d", "1", "--warmup", "1", "--json", str(out), check_rc=0)
    assert time.monotonic() - t0 >= 2
    res = validate_result(out)
    assert res["duration_s"] == 1 and len(res["samples"]) == 1
    assert res["samples"][0]["messages"] == res["throughput"]["messages"]


def test_open_loop_rate(tperf, kserver, tmp_path):
    port, _ = kserver()
    out = tmp_path / "r.json"
    r = client(tperf, port, "-t", "rr", "-R", "500", "-C", "2", "-d", "2", "--json", str(out),
               check_rc=0)
    res = validate_result(out)
    assert res["options"]["loop"] == "open" and res["latency"]["loop"] == "open"
    assert "open loop" in r.stdout
    # 2 connections x 500/s x 2 s, give or take the edges of the window
    assert 1900 <= res["throughput"]["messages"] <= 2100


def test_multi_thread_server_and_once(tperf, tmp_path):
    port = free_port()
    sj = tmp_path / "s.json"
    srv = Server([tperf, "-s", "--kernel", "-1", "-n", "2", "-p", str(port), "--json", str(sj)])
    try:
        wait_port(port)
        out = tmp_path / "r.json"
        client(tperf, port, "-t", "rr", "-n", "2", "-C", "3", "-d", "1", "-v", "--json",
               str(out), check_rc=0)
        res = validate_result(out)
        assert len(res["cpu"]["per_thread"]) == 2
        srv.proc.wait(timeout=5)
        assert srv.proc.returncode == 0
        s = validate_result(sj)
        assert s["options"]["role"] == "server" and s["options"]["test"] == "rr"
        assert s["throughput"]["messages"] >= res["throughput"]["messages"]
    finally:
        srv.stop()
