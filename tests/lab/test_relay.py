"""tpa-relay between veth namespaces (and between a TAP program and its peer):
observed impairments against statistical bounds and against the relay's own counters."""
import json
import math
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

import tpalab
from tpalab import lab_cmd

pytestmark = [pytest.mark.lab, pytest.mark.relay]

UDP = ["/usr/bin/python3", str(Path(__file__).resolve().parent / "udp_tool.py")]
PORT = 40000


def udp_through(lab, count, tmp_path, size=64, pps=2000, idle=1.0):
    """Send COUNT numbered datagrams from side a to side b; the receiver's JSON report."""
    ready = tmp_path / ("ready-%d" % time.monotonic_ns())
    rx = lab.peer_popen([*UDP, "recv", PORT, "--expect", count, "--idle", idle,
                         "--timeout", 60, "--ready", ready], side="b",
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while not ready.exists():
        assert rx.poll() is None, rx.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    s = lab.peer([*UDP, "send", lab.env["B_IP"], PORT, count, "--size", size, "--pps", pps],
                 side="a", check=True)
    out, err = rx.communicate(timeout=90)
    assert rx.returncode == 0, err
    return json.loads(out), json.loads(s.stdout)


def within(k, n, p, sigmas=5.0):
    """k successes out of n is consistent with probability p (normal approximation)."""
    sd = math.sqrt(n * p * (1 - p))
    return abs(k - n * p) <= sigmas * sd + 1


def test_within_is_a_real_bound():
    assert within(100, 1000, 0.1) and not within(200, 1000, 0.1) and not within(30, 1000, 0.1)


def test_loss_bound_and_counters(veth, tmp_path):
    n, p = 1000, 0.1
    lab = veth(relay=["--loss", p, "--seed", 11])
    got, _ = udp_through(lab, n, tmp_path)
    c = lab.relay_stats(veth=True)["ab"]["counters"]
    assert c["rx"] == n                       # every datagram went through the relay
    assert c["tx"] == got["received"]          # what it forwarded is what arrived
    assert c["lost"] == n - got["received"]
    assert within(c["lost"], n, p), c
    assert got["duplicates"] == 0 and got["reordered"] == 0


def test_same_seed_same_losses(veth, tmp_path):
    runs = []
    for i in range(2):
        lab = veth(relay=["--loss", 0.2, "--seed", 99])
        got, _ = udp_through(lab, 300, tmp_path)
        runs.append(got["seqs"])
        lab.close()
    assert runs[0] == runs[1]
    assert 150 < len(runs[0]) < 300
    lab = veth(relay=["--loss", 0.2, "--seed", 100])
    got, _ = udp_through(lab, 300, tmp_path)
    assert got["seqs"] != runs[0]


def test_duplicate(veth, tmp_path):
    n, p = 1000, 0.05
    lab = veth(relay=["--dup", p, "--seed", 3])
    got, _ = udp_through(lab, n, tmp_path)
    c = lab.relay_stats(veth=True)["ab"]["counters"]
    assert got["unique"] == n
    assert got["duplicates"] == c["duplicated"]
    assert c["tx"] == n + c["duplicated"] == got["received"]
    assert within(c["duplicated"], n, p), c


def test_reorder(veth, tmp_path):
    n, p = 600, 0.05
    # frames 1 ms apart, a held frame waits 5 ms: later ones overtake it
    lab = veth(relay=["--reorder", p, "--reorder-gap", "5ms", "--seed", 5])
    got, _ = udp_through(lab, n, tmp_path, pps=1000)
    c = lab.relay_stats(veth=True)["ab"]["counters"]
    assert got["unique"] == n and got["duplicates"] == 0
    assert within(c["reorder_held"], n, p), c
    assert got["reordered"] == c["reordered"]
    assert c["reorder_held"] // 2 <= c["reordered"] <= c["reorder_held"]


def test_corrupt_is_caught_by_udp_checksum(veth, tmp_path):
    n, p = 800, 0.1
    lab = veth(relay=["--corrupt", p, "--seed", 8, "--dir", "ab"])
    got, _ = udp_through(lab, n, tmp_path, size=200)
    st = lab.relay_stats(veth=True)
    c = st["ab"]["counters"]
    assert within(c["corrupted"], n, p), c
    assert c["tx"] == n
    # a flipped byte past the IP header always breaks the UDP checksum: dropped by B
    assert got["received"] == n - c["corrupted"]
    assert st["ba"]["impair"]["corrupt"] == 0


def test_delay_and_jitter_lower_bound(veth):
    lab = veth(relay=["--delay", "5ms", "--jitter", "1ms"])
    r = lab.peer(["ping", "-c", "5", "-i", "0.1", "-W", "2", lab.env["B_IP"]], side="a")
    assert r.returncode == 0, r.stdout
    rtt_min = float(re.search(r"= ([\d.]+)/", r.stdout).group(1))
    assert rtt_min >= 8.0, r.stdout             # 2 x (5 ms - 1 ms jitter)
    c = lab.relay_stats(veth=True)
    assert c["ab"]["counters"]["delayed"] == 5 and c["ba"]["counters"]["delayed"] == 5


def test_rate_limit_lower_bound(veth, tmp_path):
    n, size, rate = 300, 1000, 2e6
    lab = veth(relay=["--rate", "2mbit", "--dir", "ab"])
    got, sent = udp_through(lab, n, tmp_path, size=size, pps=0)
    assert got["received"] == n
    wire = n * (size + 8 + 20 + 14) * 8 / rate   # seconds at the configured rate
    # cannot arrive faster than the bucket allows (minus one bucket depth)
    assert got["seconds"] >= 0.9 * wire - 0.05, (got["seconds"], wire)
    assert sent["seconds"] < 0.5 * wire          # the sender itself was not the limit
    c = lab.relay_stats(veth=True)["ab"]["counters"]
    assert c["rate_waits"] > 0 and c["queue_drops"] == 0


def test_counters_printed_on_exit(veth):
    lab = veth(relay=["--loss", "0.5", "--seed", 1])
    lab.peer(["ping", "-c", "4", "-i", "0.05", "-W", "1", lab.env["B_IP"]], side="a")
    lab.veth_down()           # SIGTERM to the relay
    log = (lab.state_dir / "relay-veth.log").read_text()
    assert re.search(r"^rx\s+\d+\s+\d+$", log, re.M), log
    assert re.search(r"^lost\s+\d+\s+\d+$", log, re.M), log
    final = json.loads((lab.state_dir / "relay-veth.json").read_text())
    assert final["ab"]["counters"]["rx"] == 4


def test_relay_bad_args_exit_2():
    relay = str(tpalab.relay_binary())
    for args, needle in [
        (["--a", "x", "--b", "y", "--loss", "0.5x"], "--loss: '0.5x'"),
        (["--a", "x", "--b", "y", "--delay", "5"], "--delay: '5'"),
        (["--a", "x", "--b", "y", "--rate", "fast"], "--rate: 'fast'"),
        (["--a", "x", "--b", "y", "--dir", "up"], "--dir: 'up'"),
        (["--a", "x", "--b", "y", "--seed", "-1"], "--seed: '-1'"),
        (["--a", "x", "--b", "y", "--limit", "0"], "--limit: '0'"),
        (["--a", "x"], "--b"),
        (["--a", "x", "--b", "y", "--frobnicate"], "--frobnicate"),
    ]:
        r = subprocess.run([relay, *args], capture_output=True, text=True)
        assert r.returncode == 2, (args, r.stderr)
        assert needle in r.stderr, (args, r.stderr)
    r = subprocess.run([relay, "--a", "tpa-nonexist0", "--b", "tpa-nonexist1"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "tpa-nonexist0" in r.stderr


def test_veth_relay_bad_opts_leave_nothing():
    name = tpalab.unique_name()
    r = lab_cmd("veth-up", name, "--relay", "--jitter", "1", check=False)
    assert r.returncode == 2 and "--jitter" in r.stderr
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert "tpa-%s-" % name not in ns
    lab_cmd("down", name)


def test_stack_through_relay(lab, fake_stack):
    """relay-up then run: the stand-in stack's TAP goes to the relay namespace,
    pings from the peer cross the relay, and both ends agree with its counters."""
    lab.relay_up(["--loss", "0.1", "--seed", 21])
    e = lab.env
    p = lab.run_stack(fake_stack)
    ns = subprocess.run(["ip", "-n", e["RELAY_NS"], "-o", "link", "show", e["IFACE"]],
                        capture_output=True, text=True)
    assert ns.returncode == 0                     # TAP in the relay namespace
    n = 200
    r = lab.peer(["ping", "-c", n, "-i", "0.01", "-W", "1", "-q", e["STACK_IP"]])
    got = int(re.search(r"(\d+) received", r.stdout).group(1))
    st = lab.relay_stats()
    ab, ba = st["ab"]["counters"], st["ba"]["counters"]   # a = stack TAP, b = peer side
    assert ba["rx"] == n                         # echo requests from the peer
    assert ab["rx"] == ba["tx"]                  # the stack answered every one it got
    assert ab["tx"] == got
    assert within(ba["lost"] + ab["lost"], n + ab["rx"], 0.1)
    assert lab.stop_stack(p) == 0
    assert "echo_replies=%d" % ba["tx"] in tpalab.read_log(p)
    # the foreground run stopped the relay, which left its final counters
    assert not (lab.state_dir / "relay.pid").exists()
    final = json.loads((lab.state_dir / "relay.json").read_text())
    assert final["ab"]["counters"]["tx"] == got
    lab.relay_down()
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert e["RELAY_NS"] not in ns.split()


def test_bg_stack_relay_stops_with_its_tap(fake_stack):
    """After `run --bg` nobody waits for the stack: the relay must notice the TAP vanish."""
    name = tpalab.unique_name()
    d = tpalab.LAB_RUN / name
    try:
        lab_cmd("relay-up", name, "--delay", "1ms")
        lab_cmd("run", name, "--bg", "--", *fake_stack)
        relay_pid = int((d / "relay.pid").read_text().split()[0])
        stack_pid = int((d / "stack.pid").read_text().split()[0])
        os.kill(stack_pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if Path("/proc/%d/stat" % relay_pid).read_text().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            except FileNotFoundError:
                break
            time.sleep(0.05)
        else:
            pytest.fail("relay still running after its TAP went away")
        assert "is gone" in (d / "relay.log").read_text()
        assert json.loads((d / "relay.json").read_text())["a"] == "tpa-" + name
        assert "-" in lab_cmd("list").stdout
    finally:
        lab_cmd("down", name, check=False)
