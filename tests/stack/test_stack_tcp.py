"""TCP against the Linux kernel: bulk echo, stack client <-> kernel server,
many connections, graceful and abortive close, refused connects, HTTP with
curl and wrk, malformed segments during a transfer, several workers.

Run: TPA_BUILD=BUILD /usr/bin/pytest -q tests/stack/test_stack_tcp.py (root)."""
import re
import subprocess
import time

import pytest

import stackutil as su

pytestmark = [pytest.mark.lab, pytest.mark.stack]

ECHO = 7
SRV = 5001
HTTP = 8080
MiB = 1 << 20


def assert_echo(r, nbytes):
    assert not r.get("hung") and r.get("send_error") is None and r.get("recv_error") is None, r
    assert r["sent"] == nbytes and r["recv"] == nbytes, r
    assert r["recv_sha"] == r["sent_sha"], r


@pytest.mark.slow
def test_echo_256mib_round_trip(lab):
    n = 256 * MiB
    p = su.run_example(lab, "techo", [ECHO])
    r = su.peer_tool(lab, ["echo", lab.env["STACK_IP"], ECHO, "--bytes", n, "--timeout", 100],
                     timeout=130)
    assert_echo(r, n)
    assert r["eof"], "techo did not close after our FIN: %s" % r
    ex = su.stop(lab, p)
    assert ex.rc == 0, ex.log
    assert ex.workers[0]["rx_bytes"] >= n and ex.workers[0]["tx_bytes"] >= n


def test_stack_client_kernel_server_both_directions(lab):
    up, down = 16 * MiB, 12 * MiB
    srv = su.PeerServer(lab, ["--bind", "0.0.0.0", "--port", SRV, "--send", down], timeout=40)
    rc, res, log = su.run_tclient(lab, ["--send", up, "--recv", "eof", lab.env["PEER_IP"], SRV],
                                  timeout=40)
    k = srv.result()
    assert rc == 0, log
    # stack -> kernel
    assert k["recv"] == res["sent"] == up and k["recv_sha"] == res["sent_sha"], (k, res)
    # kernel -> stack
    assert res["recv"] == k["sent"] == down and res["recv_sha"] == k["sent_sha"], (k, res)
    assert k["eof"] and k["recv_error"] is None and k["send_error"] is None, k


def test_200_concurrent_connections(lab):
    p = su.run_example(lab, "techo", [ECHO])
    r = su.peer_tool(lab, ["many", lab.env["STACK_IP"], ECHO, "--conns", 200, "--bytes", 20000,
                           "--timeout", 60], timeout=90)
    assert r["ok"] == 200, r
    ex = su.stop(lab, p)
    assert ex.rc == 0, ex.log


def test_graceful_close_stack_first(lab):
    """The stack sends its data and closes: FIN, the kernel reads EOF, then
    closes too; no RST either way, the stack reaches TIME_WAIT."""
    cap = su.Capture(lab, SRV)
    srv = su.PeerServer(lab, ["--bind", "0.0.0.0", "--port", SRV, "--shut-after-eof"], timeout=30)
    rc, res, log = su.run_tclient(lab, ["--send", MiB, lab.env["PEER_IP"], SRV], timeout=30)
    k = srv.result()
    segs = cap.stop()
    assert rc == 0, log
    assert k["eof"] and k["recv"] == MiB and k["recv_sha"] == res["sent_sha"], k
    assert res["closed"] == "TIME_WAIT", log
    stack = "%s.%d" % (lab.env["STACK_IP"], res["local_port"])
    fins = [(src == stack) for src, dst, fl in segs if "F" in fl]
    assert fins[:1] == [True] and False in fins, "FIN order (True = from the stack): %s" % fins
    assert not [s for s in segs if "R" in s[2]], "RST seen: %s" % [s for s in segs if "R" in s[2]]


def test_graceful_close_kernel_first(lab):
    """The kernel shuts down its side after sending; techo echoes the rest,
    sees EOF and closes: the kernel reads EOF, no RST."""
    cap = su.Capture(lab, ECHO)
    p = su.run_example(lab, "techo", [ECHO])
    r = su.peer_tool(lab, ["echo", lab.env["STACK_IP"], ECHO, "--bytes", 300000, "--timeout", 30])
    time.sleep(0.3)
    segs = cap.stop()
    assert_echo(r, 300000)
    assert r["eof"], r
    peer = lab.env["PEER_IP"]
    fins = [src.startswith(peer + ".") for src, dst, fl in segs if "F" in fl]
    assert fins[:1] == [True] and False in fins, "FIN order (True = from the kernel): %s" % fins
    assert not [s for s in segs if "R" in s[2]], "RST seen: %s" % [s for s in segs if "R" in s[2]]
    assert su.stop(lab, p).rc == 0


def test_rst_when_closing_with_unread_data(lab):
    """tclient closes while the kernel's data sits unread: RST, and the
    kernel's blocked recv() fails with ECONNRESET."""
    srv = su.PeerServer(lab, ["--bind", "0.0.0.0", "--port", SRV, "--send", 5000,
                              "--expect-reset"], timeout=20)
    rc, res, log = su.run_tclient(lab, ["--close-unread", lab.env["PEER_IP"], SRV], timeout=20)
    k = srv.result()
    assert rc == 0, log
    assert k["recv_error"] == "ECONNRESET", k


def test_connection_refused_both_ways(lab):
    p = su.run_example(lab, "techo", [ECHO])
    r = su.peer_tool(lab, ["connect", lab.env["STACK_IP"], 9999])
    assert r["result"] == "ECONNREFUSED", r
    ex = su.stop(lab, p)
    assert ex.drops.get("tcp_no_sock", 0) >= 1, ex.log
    # and the stack as client to a kernel port nobody listens on
    rc, res, log = su.run_tclient(lab, ["--send", 10, lab.env["PEER_IP"], 9999], timeout=15)
    assert rc == 1 and res.get("error") == "ECONNREFUSED", log


def test_http_curl_keepalive_and_wrk(lab):
    body = 1234
    p = su.run_example(lab, "thttp", ["-b", body, HTTP])
    url = "http://%s:%d/" % (lab.env["STACK_IP"], HTTP)
    urls = [url + x for x in "abcd"]
    r = lab.peer(["curl", "-sS", "--max-time", "10", "-w", "\\n@@ %{http_code} %{size_download} %{num_connects}\\n",
                  *[a for u in urls for a in ("-o", "/dev/null", u)]], timeout=30)
    rows = [l.split()[1:] for l in r.stdout.splitlines() if l.startswith("@@ ")]
    assert r.returncode == 0 and len(rows) == 4, r.stdout + r.stderr
    assert all(c == "200" and int(sz) == body for c, sz, _ in rows), rows
    # one TCP connection for the four requests (keep-alive)
    assert [int(n) for _, _, n in rows] == [1, 0, 0, 0], rows

    r = lab.peer(["wrk", "-t1", "-c8", "-d10s", "--timeout", "3s", url], timeout=40)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    m = re.search(r"(\d+) requests in", out)
    assert m and int(m.group(1)) > 1000, out
    assert "Socket errors" not in out, out
    assert "Non-2xx" not in out, out
    ex = su.stop(lab, p)
    assert ex.rc == 0, ex.log


# malformed segment kind (peer_tool.py tcpbad) -> drop reason
TCP_REASON = {
    "tcp_doff_small": "tcp_malformed",
    "tcp_doff_past": "tcp_malformed",
    "tcp_short": "tcp_malformed",
    "tcp_opt_past": "tcp_malformed",
    "tcp_bad_csum": "tcp_bad_csum",
    "tcp_syn_fin": "tcp_bad_flags",
    "tcp_syn_rst": "tcp_bad_flags",
    "tcp_no_flags": "tcp_bad_flags",
}


def test_malformed_tcp_during_transfer(lab):
    """Malformed segments aimed at an established connection (its own 4-tuple)
    are dropped and counted while the transfer goes on intact."""
    n, sport = 64 * MiB, 40123
    p = su.run_example(lab, "techo", [ECHO])
    echo = lab.peer_popen([su.PY, str(su.PEER_TOOL), "echo", lab.env["STACK_IP"], ECHO, "--bytes", n,
                           "--sport", sport, "--rate", 8 * MiB, "--timeout", 60],
                          stdout=subprocess.PIPE)
    time.sleep(0.5)
    sent = su.peer_tool(lab, [
        "tcpbad", "--iface", lab.env["IFACE"], "--dst-mac", lab.env["STACK_MAC"],
        "--src-mac", lab.env["PEER_MAC"], "--dst-ip", lab.env["STACK_IP"],
        "--src-ip", lab.env["PEER_IP"], "--sport", sport, "--dport", ECHO,
        "--kinds", ",".join(TCP_REASON), "--count", 100, "--burst", 50, "--pause", 0.005],
        timeout=60)
    running = echo.poll() is None
    try:
        out, _ = echo.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        echo.kill()
        pytest.fail("echo transfer hung")
    r = su.json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
    assert_echo(r, n)
    assert running, "the transfer ended before the malformed segments were all sent: make it longer"
    ex = su.stop(lab, p)
    expected = {}
    for kind, k in sent["sent"].items():
        expected[TCP_REASON[kind]] = expected.get(TCP_REASON[kind], 0) + k
    for reason, want in expected.items():
        assert ex.drops.get(reason, 0) == want, "drop %s: sent %d, counted %d\n%s" % (
            reason, want, ex.drops.get(reason, 0), dict(ex.drops))


def test_two_workers(lab):
    """techo -n 2: the TAP gets one queue per worker; connections work whatever
    queue the kernel picks (a flow on the other worker's queue is handed over)."""
    p = su.run_example(lab, "techo", ["-n", 2, ECHO], workers=2)
    r = su.peer_tool(lab, ["many", lab.env["STACK_IP"], ECHO, "--conns", 40, "--bytes", 100000,
                           "--timeout", 60], timeout=90)
    assert r["ok"] == 40, r
    r = su.peer_tool(lab, ["echo", lab.env["STACK_IP"], ECHO, "--bytes", 16 * MiB, "--timeout", 60],
                     timeout=90)
    assert_echo(r, 16 * MiB)
    ex = su.stop(lab, p)
    assert ex.rc == 0, ex.log
    assert sorted(ex.workers) == [0, 1], ex.log
    print("two workers (rx_pkts, tx_pkts):", {w: (c["rx_pkts"], c["tx_pkts"]) for w, c in ex.workers.items()},
          "drops:", dict(ex.drops))
    # the kernel's tun spreads flows over its queues by hash and a connection
    # belongs to the worker whose queue got its SYN: with 40 flows both
    # workers receive and both send (all on one queue has odds 2^-39)
    for w in (0, 1):
        assert ex.workers[w]["rx_pkts"] > 0 and ex.workers[w]["tx_pkts"] > 0, ex.log
    assert ex.drops.get("handoff_full", 0) == 0, ex.log
