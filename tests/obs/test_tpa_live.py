"""End to end: techo on the stack in a lab, the kernel peer talking to it,
and every `tpa` command checked against what really happened."""
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest

from obs_common import TPA, Tpa, wait_for

pytestmark = [pytest.mark.lab, pytest.mark.stack]


def sk_rows(stack, *args):
    """Parsed `tpa sk` table rows (dicts keyed by the header)."""
    out = stack.tpa.out("sk", *args).splitlines()
    cols = out[0].split()
    return [dict(zip(cols, l.split())) for l in out[1:] if l and not l.startswith(" ")]


def test_list_shows_the_instance(stack):
    out = stack.tpa.out("list")
    row = [l for l in out.splitlines() if l.startswith(stack.inst)]
    assert len(row) == 1, out
    pid = int(row[0].split()[1])
    assert Path("/proc/%d/comm" % pid).read_text().strip() == "techo"
    info = stack.tpa.json("list")
    assert info["id"] == stack.inst and info["workers"] == 1 and info["uptime_s"] > 0


def test_sk_shows_kernel_peer_established(stack):
    c, port = stack.client(1000)
    rows = sk_rows(stack)
    mine = [r for r in rows if r["REMOTE"] == "%s:%d" % (stack.lab.env["PEER_IP"], port)]
    assert len(mine) == 1, rows
    r = mine[0]
    assert r["STATE"] == "ESTABLISHED"
    assert r["LOCAL"] == "%s:7" % stack.ip
    assert int(r["BYTES_IN"]) == 1000 and int(r["BYTES_OUT"]) == 1000
    assert any(x["STATE"] == "LISTEN" and x["LOCAL"].endswith(":7") for x in rows)
    # -v: counters and write/read stage latency percentiles of that socket
    v = stack.tpa.out("sk", "-v", "-s", r["SID"])
    assert "write_lat.complete" in v and "read_lat.drain" in v, v
    m = re.search(r"write_lat.submit\s+n=(\d+)\s+p50=([\d.]+)us p99=([\d.]+)us", v)
    assert m and int(m.group(1)) >= 1 and float(m.group(2)) <= float(m.group(3)), v
    assert re.search(r"pkts_in=\d+ pkts_out=\d+", v)
    stack.close_client(c)


def test_socks_memfile_is_self_describing(stack):
    """The mapped socks file, read with nothing but its embedded parser."""
    c, port = stack.client(300)
    time.sleep(0.3)     # the control thread refreshes every 100 ms
    blob = (Path(stack.run_dir) / stack.inst / "socks").read_bytes()
    assert blob[:8] == b"TPAMEMF1"
    size, data_off, parser_off, parser_len = struct.unpack_from("<QQQI", blob, 16)
    assert size == len(blob) and data_off % 64 == 0
    parser = blob[parser_off:parser_off + parser_len].decode().splitlines()
    assert parser[0] == "tpa-socks 1"
    layout = dict(kv.split("=") for kv in parser[1].split()[1:])
    fields = {}
    for tok in parser[2].split()[1:]:
        name, rest = tok.split(":", 1)
        typ, off = rest.split("@")
        fields[name] = (typ.split(":")[0], int(off))
    states = parser[3].split()[2:]

    def get(rec, name):
        typ, off = fields[name]
        if typ == "be16":
            return struct.unpack_from(">H", rec, off)[0]
        if typ == "ip4":
            return socket.inet_ntoa(rec[off:off + 4])
        return int.from_bytes(rec[off:off + {"u8": 1, "u16": 2, "u32": 4, "u64": 8}[typ]], "little")

    n, rsz = int(layout["nr"]), int(layout["size"])
    found = []
    for i in range(n):
        rec = blob[data_off + i * rsz:data_off + (i + 1) * rsz]
        if get(rec, "gen") and get(rec, "in_use") and get(rec, "rport") == port:
            found.append(rec)
    assert len(found) == 1
    rec = found[0]
    assert states[get(rec, "state")] == "ESTABLISHED"
    assert get(rec, "rip") == stack.lab.env["PEER_IP"] and get(rec, "lport") == 7
    assert get(rec, "bytes_in") == 300 and get(rec, "bytes_out") == 300
    stack.close_client(c)


def test_worker_counters(stack):
    before = stack.tpa.json("worker")["workers"][0]
    c, _ = stack.client(2000)
    after = stack.tpa.json("worker")["workers"][0]
    assert after["rx_pkts"] > before["rx_pkts"] and after["tx_pkts"] > before["tx_pkts"]
    assert after["cycles_total"] >= after["cycles_busy"] > 0
    out = stack.tpa.out("worker")
    m = re.search(r"busy_share=([\d.]+)%", out)
    assert m and 0 <= float(m.group(1)) <= 100
    m = re.search(r"polls: busy=(\d+) empty=(\d+) empty_share=([\d.]+)%", out)
    assert m and int(m.group(1)) > 0
    assert "longest gap between polls (starvation):" in out
    assert re.search(r"rx: \d+ pkts \d+ bytes", out)
    assert "drops:" in out
    stack.close_client(c)


def test_drops_by_reason(stack):
    """A frame for a closed port is dropped as tcp_no_sock (and answered by RST)."""
    def no_sock():
        return stack.tpa.json("worker")["workers"][0]["drops"].get("tcp_no_sock", 0)
    n0 = no_sock()
    r = stack.peer("import socket\ntry:\n socket.create_connection(('%s', 9), timeout=3)\n"
                   "except ConnectionRefusedError:\n print('refused')" % stack.ip)
    assert "refused" in r.stdout, r.stderr
    assert no_sock() == n0 + 1
    assert re.search(r"tcp_no_sock=%d" % (n0 + 1), stack.tpa.out("worker"))


def test_mem_pools(stack):
    nr_mbuf = int(stack.tpa.out("cfg", "get", "dpdk.nr_mbuf"))
    pools = {p["name"]: p for p in stack.tpa.json("mem")["pools"]}
    assert "tpa_w0" in pools and "tpa_zc0" in pools, pools.keys()
    p = pools["tpa_w0"]
    assert p["size"] == nr_mbuf
    # free (pool + caches) and in use add up; RX descriptors hold mbufs
    assert p["avail"] + p["in_use"] == p["size"] and p["in_use"] > 0
    assert p["cached"] <= p["avail"]
    out = stack.tpa.out("mem")
    assert re.search(r"^tpa_w0\s+%d\s+%d\s+%d\s+\d+" % (p["size"], p["avail"], p["in_use"]), out, re.M) or \
        re.search(r"^tpa_w0\s+%d\s+" % p["size"], out, re.M), out


def test_neigh_has_the_peer(stack):
    out = stack.tpa.out("neigh")
    row = [l for l in out.splitlines() if l.startswith(stack.lab.env["PEER_IP"] + " ")]
    assert len(row) == 1, out
    assert row[0].split()[1].lower() == stack.lab.env["PEER_MAC"].lower()
    assert row[0].split()[2] in ("REACHABLE", "STALE")


def test_cfg_get_set_and_read_only(stack):
    out = stack.tpa.out("cfg", "list")
    assert re.search(r"^tcp.rto_min_ms\s+rw\s+\d+", out, re.M)
    assert re.search(r"^net.mtu\s+ro\s+1500", out, re.M)
    old = stack.tpa.out("cfg", "get", "tcp.delayed_ack_us").strip()
    assert stack.tpa.out("cfg", "set", "tcp.delayed_ack_us", "2345").strip() == "tcp.delayed_ack_us = 2345"
    assert stack.tpa.out("cfg", "get", "tcp.delayed_ack_us").strip() == "2345"
    stack.tpa.run("cfg", "set", "tcp.delayed_ack_us", old)
    r = stack.tpa.run("cfg", "set", "net.mtu", "1400", check=False)
    assert r.returncode != 0 and "read-only" in r.stderr and "net.mtu" in r.stderr
    assert stack.tpa.out("cfg", "get", "net.mtu").strip() == "1500"
    r = stack.tpa.run("cfg", "set", "tcp.rto_min_ms", "fast", check=False)
    assert r.returncode != 0 and "'fast'" in r.stderr
    r = stack.tpa.run("cfg", "get", "no.such_key", check=False)
    assert r.returncode != 0 and "no.such_key" in r.stderr
    assert stack.tpa.run("cfg", "frob", check=False).returncode == 2


def test_fault_injection_and_counters(stack):
    base = stack.tpa.json("fault")["ingress"]["injected"]["drop"]
    out = stack.tpa.out("fault", "ingress", "drop=1,port=7")
    assert 'ingress  spec="drop=1,port=7"' in out
    try:
        r = stack.peer("import socket\ntry:\n socket.create_connection(('%s', 7), timeout=1.5)\n print('connected')\n"
                       "except OSError as e:\n print('failed', e)" % stack.ip)
        assert "failed" in r.stdout, r.stdout
        got = stack.tpa.json("fault")["ingress"]["injected"]["drop"]
        assert got > base
        assert re.search(r"ingress .* drop=%d " % got, stack.tpa.out("fault"))
    finally:
        stack.tpa.out("fault", "ingress", "")
    r = stack.tpa.run("fault", "egress", "drop=2", check=False)
    assert r.returncode == 1 and "drop" in r.stderr
    assert stack.tpa.run("fault", "sideways", "drop=0.1", check=False).returncode == 2
    c, _ = stack.client(100)      # works again once the spec is cleared
    stack.close_client(c)


def test_life_and_states_of_a_closed_connection(stack):
    c, port = stack.client(1500)
    time.sleep(0.2)
    stack.close_client(c)
    peer = stack.lab.env["PEER_IP"]

    def life_row():
        for l in stack.tpa.out("life").splitlines()[1:]:
            f = l.split()
            if f[4] == peer and int(f[5]) == port:
                return f
    f = wait_for(life_row, timeout=10)
    assert f, stack.tpa.out("life")
    assert f[2] == stack.ip and f[3] == "7"
    assert abs(float(f[6]) - 1500 / 1024) < 0.01 and abs(float(f[7]) - 1500 / 1024) < 0.01
    assert float(f[8]) >= 200      # held open at least 200 ms
    # tcpstates-like: every transition of that connection, with time in the old state
    rows = [l.split() for l in stack.tpa.out("states").splitlines()[1:]]
    mine = [(r[6], r[8], float(r[9])) for r in rows if r[4] == peer and int(r[5]) == port]
    assert [m[0] for m in mine][:2] == ["CLOSED", "SYN_RCVD"], mine
    assert mine[-1][1] == "CLOSED"
    est = [m for m in mine if m[0] == "ESTABLISHED"]
    assert len(est) == 1 and est[0][2] >= 200, mine
    # `sk -a` lists it among the gone connections
    rows = sk_rows(stack, "-a")
    assert any(r["STATE"] == "CLOSED(gone)" and r["REMOTE"] == "%s:%d" % (peer, port) for r in rows)
    time.sleep(0.3)


def test_ss_rates(stack):
    code = r"""
import socket, time
s = socket.create_connection(('%s', 7))
print(s.getsockname()[1], flush=True)
end = time.time() + 3
while time.time() < end:
    s.sendall(b'r' * 1000)
    got = 0
    while got < 1000:
        got += len(s.recv(65536))
    time.sleep(0.01)
s.close()
""" % stack.ip
    p = subprocess.Popen(["ip", "netns", "exec", stack.lab.env["NETNS"], "/usr/bin/python3", "-c", code],
                         stdout=subprocess.PIPE, text=True)
    try:
        port = int(p.stdout.readline())
        time.sleep(0.3)
        out = stack.tpa.out("ss", "-t", "1")
        row = [l.split() for l in out.splitlines() if ":%d " % port in l + " "]
        assert row, out
        rx_pps = float(row[0][6])
        # about 1000 B per ~10 ms each way: tens of packets per second
        assert 10 < rx_pps < 1000, out
    finally:
        p.wait(10)
    time.sleep(0.3)


def test_st_live_trace(stack):
    c, port = stack.client(700)
    sid = [r["SID"] for r in sk_rows(stack) if r["REMOTE"].endswith(":%d" % port)][0]
    out = stack.tpa.out("st", "-s", sid)
    assert out.splitlines()[0].startswith("sock %s (worker 0) %s:7 -> %s:%d ESTABLISHED" %
                                          (sid, stack.ip, stack.lab.env["PEER_IP"], port)), out
    assert "state => SYN_RCVD" in out and "state => ESTABLISHED" in out
    assert re.search(r"tcp_rcv: seq=1 flags=PA win=\d+ ack=1 len=700", out), out
    assert re.search(r"xmit pkt: seq=1 len=700 flags=PA ack=701", out), out
    out_abs = stack.tpa.out("st", "-s", sid, "--abs")
    assert re.search(r"^\d\d:\d\d:\d\d\.\d{6} state => ESTABLISHED", out_abs, re.M), out_abs
    stack.close_client(c)
    time.sleep(0.3)


def test_dump_writes_per_worker_pcaps(stack, tmp_path):
    from scapy.all import rdpcap, TCP  # noqa: E402
    base = tmp_path / "cap"
    d = subprocess.Popen([str(TPA), "-r", stack.run_dir, "-i", stack.inst, "dump", "-w", str(base), "-c", "6",
                          "-t", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    c, port = stack.client(400)
    out, err = d.communicate(timeout=30)
    assert d.returncode == 0, err
    m = re.search(r"w0: (\d+) packets captured", out)
    assert m and int(m.group(1)) == 6, out
    assert "total: 6 packets" in out
    pk = rdpcap(str(tmp_path / "cap-w0.pcap"))
    assert len(pk) == 6
    tcp = [p for p in pk if TCP in p]
    assert tcp and all(7 in (p[TCP].sport, p[TCP].dport) for p in tcp)
    # the handshake is there in order: the peer's SYN in, our SYN-ACK out
    assert tcp[0][TCP].flags == "S" and tcp[0][TCP].sport == port
    assert tcp[1][TCP].flags == "SA" and tcp[1][TCP].dport == port
    stack.close_client(c)
    # direction filter: only frames sent by the stack
    d = subprocess.Popen([str(TPA), "-r", stack.run_dir, "-i", stack.inst, "dump", "-w", str(tmp_path / "out.pcap"),
                          "--dir", "out", "-t", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    c, port = stack.client(100)
    out, err = d.communicate(timeout=30)
    assert d.returncode == 0, err
    n = int(re.search(r"w0: (\d+) packets", out).group(1))
    pk = rdpcap(str(tmp_path / "out-w0.pcap"))
    assert n == len(pk) > 0
    assert all(p[TCP].sport == 7 for p in pk if TCP in p)
    stack.close_client(c)
    time.sleep(0.3)


def test_dpdk_telemetry_commands(stack):
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % stack.lab.env["PREFIX"]
    assert wait_for(lambda: os.path.exists(path)), path
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    hello = json.loads(s.recv(16384))
    assert hello["pid"] == stack.tpa.json("list")["pid"]

    def q(cmd):
        s.send(cmd.encode())
        return json.loads(s.recv(1 << 16))[cmd]
    cmds = q("/")
    assert {"/tpa/workers", "/tpa/socks", "/tpa/drops"} <= set(cmds)
    w = q("/tpa/workers")["w0"]
    assert w["rx_pkts"] == stack.tpa.json("worker")["workers"][0]["rx_pkts"] or w["rx_pkts"] > 0
    drops = q("/tpa/drops")
    assert "tcp_no_sock" in drops and drops["tcp_no_sock"] >= 0
    c, port = stack.client(50)
    socks = q("/tpa/socks")
    assert any(v["state"] == "ESTABLISHED" and v["tuple"].endswith(":%d" % port) for v in socks.values()), socks
    stack.close_client(c)
    s.close()
    # the stock client of the dpdk-dev package reads the same commands
    tool = shutil.which("dpdk-telemetry.py")
    if tool:
        r = subprocess.run([tool, "-f", stack.lab.env["PREFIX"]], input="/tpa/drops\n", capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout[r.stdout.index('{"/tpa/drops"'):].splitlines()[0])["/tpa/drops"]
        assert got["tcp_no_sock"] == sum(w["drops"].get("tcp_no_sock", 0)
                                         for w in stack.tpa.json("worker")["workers"])
    time.sleep(0.3)


def test_archives_of_a_lossy_connection(stack):
    """Egress loss makes the stack retransmit; each recovery archives the ring,
    and `tpa st --archives` decodes them."""
    old_rto = stack.tpa.out("cfg", "get", "tcp.rto_min_ms").strip()
    stack.tpa.run("cfg", "set", "tcp.rto_min_ms", "20")
    stack.tpa.run("fault", "egress", "drop=0.3,port=7")
    code = r"""
import socket
s = socket.create_connection(('%s', 7), timeout=20)
print(s.getsockname()[1], flush=True)
for i in range(15):
    s.sendall(b'L' * 1000)
    got = 0
    while got < 1000:
        got += len(s.recv(65536))
print('done', flush=True)
input()
s.close()
""" % stack.ip
    p = subprocess.Popen(["ip", "netns", "exec", stack.lab.env["NETNS"], "/usr/bin/python3", "-c", code],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = int(p.stdout.readline())
        assert p.stdout.readline().startswith("done")
    finally:
        stack.tpa.run("fault", "egress", "")
        stack.tpa.run("cfg", "set", "tcp.rto_min_ms", old_rto)
    lost = stack.tpa.json("fault")["egress"]["injected"]["drop"]
    assert lost > 0
    sid = [r["SID"] for r in sk_rows(stack) if r["REMOTE"].endswith(":%d" % port)][0]
    adir = Path(stack.run_dir) / stack.inst / "archive"
    names = wait_for(lambda: [f.name for f in adir.glob("%s-*.trace" % sid)] if adir.exists() else [], timeout=5)
    assert names, "no archive after %d dropped segments" % lost
    for n in names:
        assert re.fullmatch(r"%s-\d+-(rto|fastretx|ooo|zerownd|rst)(\+\w+)*-\d+\.\dms\.trace" % sid, n), n
    out = stack.tpa.out("st", "--archives", "-s", sid)
    assert out.count("== ") == len(names) and "archive sid=%s " % sid in out
    assert "retrans=1" in out, out
    p.stdin.close()
    p.wait(10)
    time.sleep(0.3)


def test_ctrl_socket_rejects_bad_requests(stack):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(Path(stack.run_dir) / stack.inst / "ctrl"))
    f = s.makefile("rw")
    for req, want in (("not json", "bad JSON request"), ('{"cmd":"frobnicate"}', "unknown command 'frobnicate'"),
                      ('{"nocmd":1}', 'without a "cmd"'), ('{"cmd":"cfg_set","key":"net.ip"}', "needs")):
        f.write(req + "\n")
        f.flush()
        rep = json.loads(f.readline())
        assert rep["ok"] is False and want in rep["error"], rep
    f.write('{"cmd":"info"}\n')       # the connection still serves good requests
    f.flush()
    assert json.loads(f.readline())["id"] == stack.inst
    s.close()


def test_stale_dir_is_cleaned_by_tpa(stack):
    stale = Path(stack.run_dir) / "dead-instance"
    stale.mkdir()
    gone = subprocess.Popen(["true"])
    gone.wait()                                # a pid that is surely dead now
    (stale / "pid").write_text("%d\n" % gone.pid)
    (stale / "trace").write_bytes(b"x")
    r = stack.tpa.run("list")
    assert not stale.exists()
    assert "removed stale instance dir" in r.stderr
    assert stack.inst in r.stdout


def test_zz_runtime_files_removed_at_exit(stack):
    """Last (zz): stop the stack; its directory goes away."""
    d = Path(stack.run_dir) / stack.inst
    assert (d / "ctrl").exists() and (d / "trace").exists()
    assert stack.lab.stop_stack(stack.proc) == 0
    assert not d.exists(), list(d.iterdir()) if d.exists() else None
    r = Tpa(stack.run_dir).run("sk", check=False)
    assert r.returncode == 1 and "no tpa instance" in r.stderr
