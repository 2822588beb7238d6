# SPDX-License-Identifier: BSD-3-Clause
"""Validate tperf --kernel against tools we did not write, over a veth pair
between two network namespaces created (and always removed) here.

Conventions: tperf rr reports the full round trip; sockperf ping-pong reports
half of it ("one-way" = RTT / 2), so tperf's p50 is halved before comparing.
Both throughput figures are payload bits per second at the receiver side
(iperf3 sum_received; tperf write counts bytes written by the client, which
all reach the server over a lossless veth).
"""
import json
import re
import statistics
import subprocess
import time

import pytest

from tperf_common import Server, have, validate_result, wait_port

NS_A, NS_B = "tperfA", "tperfB"
IP_A, IP_B = "10.77.0.1", "10.77.0.2"
ROUNDS = 3
BOUND = 2.0    # agreement required: within a factor of 2 (2-core, shared, noisy host)

pytestmark = pytest.mark.skipif(not (have("sockperf") and have("iperf3") and have("ip")),
                                reason="needs sockperf, iperf3 and iproute2")


def sh(*argv, check=True):
    return subprocess.run(argv, capture_output=True, text=True, check=check)


def in_ns(ns, *argv, **kw):
    return sh("ip", "netns", "exec", ns, *argv, **kw)


def teardown_netns():
    for ns in (NS_A, NS_B):
        sh("ip", "netns", "pids", ns, check=False)
        pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
        for p in pids:
            sh("kill", "-9", p, check=False)
        sh("ip", "netns", "del", ns, check=False)


@pytest.fixture(scope="module")
def veth():
    if sh("id", "-u").stdout.strip() != "0":
        pytest.skip("needs root for network namespaces")
    teardown_netns()
    try:
        sh("ip", "netns", "add", NS_A)
        sh("ip", "netns", "add", NS_B)
        sh("ip", "link", "add", "tperfvA", "netns", NS_A, "type", "veth", "peer", "name",
           "tperfvB", "netns", NS_B)
        for ns, dev, ip in ((NS_A, "tperfvA", IP_A), (NS_B, "tperfvB", IP_B)):
            in_ns(ns, "ip", "addr", "add", ip + "/24", "dev", dev)
            in_ns(ns, "ip", "link", "set", dev, "up")
            in_ns(ns, "ip", "link", "set", "lo", "up")
        in_ns(NS_A, "ping", "-c", "1", "-W", "2", IP_B)
        yield
    finally:
        teardown_netns()
        assert NS_A not in sh("ip", "netns", "list").stdout


def sockperf_p50_us():
    r = in_ns(NS_A, "sockperf", "ping-pong", "--tcp", "-i", IP_B, "-p", "11111", "-t", "3",
              "-m", "64")
    m = re.search(r"percentile 50\.000 =\s+([0-9.]+)", r.stdout + r.stderr)
    assert m, r.stdout + r.stderr
    return float(m.group(1))


def tperf_rr_p50_ns(tperf, tmp_path, port):
    out = tmp_path / "rr.json"
    in_ns(NS_A, tperf, "--kernel", "-c", IP_B, "-p", str(port), "-t", "rr", "-m", "64", "-d",
          "3", "--warmup", "0.4", "--json", str(out))
    return validate_result(out)["latency"]["summary"]["p50"]


def test_rr_vs_sockperf(tperf, veth, tmp_path):
    sp = Server(["sockperf", "server", "--tcp", "-i", IP_B, "-p", "11111"], netns=NS_B)
    tp = Server([tperf, "-s", "--kernel", "-p", "5211"], netns=NS_B)
    try:
        wait_port(11111, netns=NS_B)
        wait_port(5211, netns=NS_B)
        sock, tper = [], []
        for _ in range(ROUNDS):     # interleaved, so both see the same noise
            sock.append(sockperf_p50_us())
            tper.append(tperf_rr_p50_ns(tperf, tmp_path, 5211) / 2 / 1000)
    finally:
        sp.stop()
        tp.stop()
    s, t = statistics.median(sock), statistics.median(tper)
    print(f"\nrr 64 B one-way p50: sockperf {sock} -> {s:.2f} us; "
          f"tperf RTT/2 {[round(x, 2) for x in tper]} -> {t:.2f} us; ratio {t / s:.2f}")
    assert 1 / BOUND <= t / s <= BOUND


def test_write_vs_iperf3(tperf, veth, tmp_path):
    ip, tp = [], []
    srv = Server([tperf, "-s", "--kernel", "-p", "5212"], netns=NS_B)
    try:
        wait_port(5212, netns=NS_B)
        for _ in range(ROUNDS):
            isrv = Server(["iperf3", "-s", "-1", "-B", IP_B, "-p", "5213"], netns=NS_B)
            try:
                wait_port(5213, netns=NS_B)
                r = in_ns(NS_A, "iperf3", "-c", IP_B, "-p", "5213", "-t", "3", "-J")
                ip.append(json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"] / 1e9)
            finally:
                isrv.stop()
            out = tmp_path / "w.json"
            in_ns(NS_A, tperf, "--kernel", "-c", IP_B, "-p", "5212", "-t", "write", "-d", "3",
                  "--json", str(out))
            tp.append(validate_result(out)["throughput"]["gbit_per_s"])
    finally:
        srv.stop()
    i, t = statistics.median(ip), statistics.median(tp)
    print(f"\nwrite 128 KiB: iperf3 {[round(x, 2) for x in ip]} -> {i:.2f} Gbit/s; "
          f"tperf {[round(x, 2) for x in tp]} -> {t:.2f} Gbit/s; ratio {t / i:.2f}")
    assert 1 / BOUND <= t / i <= BOUND
