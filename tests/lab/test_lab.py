"""tpa-lab: names, addresses, idempotence, cleanup, `run` wiring with a stand-in TAP program."""
import ipaddress
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

import tpalab
from tpalab import Lab, lab_cmd

pytestmark = pytest.mark.lab


def netns_list():
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


def root_links():
    return subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout


def assert_gone(name):
    ns = netns_list().split()
    assert not [n for n in ns if n == "tpa-" + name or n.startswith("tpa-%s-" % name)], ns
    assert ("tpa-%s:" % name) not in root_links()
    assert not (tpalab.LAB_RUN / name).exists()
    assert not Path("/var/run/dpdk/tpa-" + name).exists()


def test_env_is_deterministic_and_private():
    a = tpalab.parse_env(lab_cmd("env", "alpha").stdout)
    assert a == tpalab.parse_env(lab_cmd("env", "alpha").stdout)
    b = tpalab.parse_env(lab_cmd("env", "beta7").stdout)
    lab_net = ipaddress.ip_network("10.200.0.0/16")
    for e in (a, b):
        assert ipaddress.ip_address(e["STACK_IP"]) in lab_net
        assert ipaddress.ip_address(e["PEER_IP"]) in lab_net
        sub = ipaddress.ip_network(e["SUBNET"])
        assert ipaddress.ip_address(e["STACK_IP"]) in sub and ipaddress.ip_address(e["PEER_IP"]) in sub
        for k in ("STACK_MAC", "PEER_MAC", "A_MAC", "B_MAC"):
            first = int(e[k].split(":")[0], 16)
            assert first & 2 and not first & 1, (k, e[k])   # locally administered unicast
        assert e["NETNS"] == e["IFACE"] == e["PREFIX"] == "tpa-" + e["NAME"]
        assert "net.mac=%s" % e["STACK_MAC"] in e["TPA_CFG"]
        assert "dpdk.file_prefix=%s" % e["PREFIX"] in e["TPA_CFG"]
        assert "iface=%s" % e["IFACE"] in e["TPA_CFG"]
    assert a["STACK_MAC"] != b["STACK_MAC"]


def test_up_down_idempotent_and_clean():
    name = tpalab.unique_name()
    try:
        lab_cmd("up", name)
        lab_cmd("up", name)
        assert "tpa-" + name in netns_list().split()
        r = subprocess.run(["ip", "-n", "tpa-" + name, "-o", "link", "show", "lo"],
                           capture_output=True, text=True, check=True)
        assert "UP" in r.stdout
        assert name in lab_cmd("list").stdout
    finally:
        lab_cmd("down", name)
    assert_gone(name)
    lab_cmd("down", name)       # again: nothing to do, still fine
    assert_gone(name)


def test_bad_arguments_exit_2():
    cases = [
        [], ["bogus"], ["up"], ["up", "Bad-Name"], ["up", "waytoolongname"],
        ["run", "x1"], ["run", "x1", "true"], ["run", "x1", "--workers", "0", "--", "true"],
        ["run", "x1", "--timeout", "soon", "--", "true"], ["peer", "x1", "--side", "z", "--", "true"],
        ["peer", "x1"], ["fabric", "x1", "pipe"], ["down"], ["down", "--all", "--what"],
        ["env", "x1", "x2"], ["relay-up", "x1", "--a", "eth0"], ["relay-up", "x1", "--loss", "2"],
        ["veth-up", "x1", "--relay", "--delay", "5"], ["veth-up", "x1", "--wat"],
        ["relay-stats", "x1", "--nope"],
    ]
    for args in cases:
        r = lab_cmd(*args, check=False)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert r.stderr.strip(), args
    assert_gone("x1")
    # the message names the value
    r = lab_cmd("up", "Bad-Name", check=False)
    assert "Bad-Name" in r.stderr


def test_veth_baseline_ping(veth):
    lab = veth()
    e = lab.env
    r = lab.peer(["ping", "-c", "3", "-i", "0.2", "-W", "2", e["B_IP"]], side="a")
    assert r.returncode == 0, r.stdout + r.stderr
    assert " 0% packet loss" in r.stdout
    r = lab.peer(["ping", "-c", "1", "-W", "2", e["A_IP"]], side="b")
    assert r.returncode == 0
    lab.veth_up()                     # idempotent
    r = lab.peer(["ping", "-c", "1", "-W", "2", e["B_IP"]], side="a")
    assert r.returncode == 0
    lab.veth_down()
    ns = netns_list().split()
    assert e["A_NS"] not in ns and e["B_NS"] not in ns
    lab.veth_down()                   # idempotent


def test_run_bg_moves_tap_and_configures_peer(lab, fake_stack, tmp_path):
    e = lab.env
    dump = tmp_path / "env"
    p = lab.run_stack(fake_stack, workers=2,
                      env={"FAKE_ENV_DUMP": str(dump), "TPA_CFG": "tcp.sack=0"})
    # the TAP left the root namespace and sits in the peer one with the peer address
    assert ("%s:" % e["IFACE"]) not in root_links()
    r = subprocess.run(["ip", "-n", e["NETNS"], "-o", "addr", "show", "dev", e["IFACE"]],
                       capture_output=True, text=True, check=True)
    assert e["PEER_IP"] + "/24" in r.stdout
    r = lab.peer(["ping", "-c", "3", "-i", "0.2", "-W", "2", e["STACK_IP"]])
    assert r.returncode == 0, r.stdout + r.stderr
    neigh = lab.peer(["ip", "neigh", "show", e["STACK_IP"]]).stdout
    assert e["STACK_MAC"] in neigh
    got = dict(line.split("=", 1) for line in dump.read_text().splitlines())
    # the lab's keys first, the caller's TPA_CFG last (so it wins)
    assert got["TPA_CFG"] == e["TPA_CFG"] + ";tcp.sack=0"
    assert got["TPA_WORKERS"] == "2" and got["TPA_LAB"] == lab.name
    assert lab.stop_stack(p, signal.SIGINT) == 0
    log = tpalab.read_log(p)
    assert "echo_replies=3" in log, log
    assert not (lab.state_dir / "stack.pid").exists()


def test_run_foreground_status_and_signals(lab, fake_stack):
    # the program's own exit status comes back
    p = lab.run_stack(fake_stack, bg=False, env={"FAKE_LIFETIME": "0.5", "FAKE_EXIT_STATUS": "5"})
    assert p.returncode == 5, tpalab.read_log(p)
    # a signal to tpa-lab reaches the program
    p = lab.run_stack(fake_stack, env={"FAKE_EXIT_STATUS": "6"})
    assert lab.stop_stack(p, signal.SIGTERM) == 6
    # program ends before any TAP: its status, no TAP, no pid file
    p = lab.run_stack(["sh", "-c", "exit 3"], bg=False)
    assert p.returncode == 3
    p = lab.run_stack(["true"], bg=False)
    assert p.returncode == 0
    assert not (lab.state_dir / "stack.pid").exists()


def test_run_timeout_stops_program(lab):
    t0 = time.monotonic()
    p = lab.run_stack(["sleep", "30"], bg=False, timeout=1)
    assert p.returncode == 1
    assert time.monotonic() - t0 < 15
    assert "did not come up" in tpalab.read_log(p)
    assert not (lab.state_dir / "stack.pid").exists()


def test_second_run_refused(lab, fake_stack):
    p = lab.run_stack(fake_stack)
    r = lab_cmd("run", lab.name, "--", *fake_stack, check=False)
    assert r.returncode == 1 and "already runs" in r.stderr
    assert lab.stop_stack(p) == 0


def test_bg_cli_and_down_after_crash(fake_stack):
    name = tpalab.unique_name()
    try:
        lab_cmd("run", name, "--bg", "--", *fake_stack)
        pid = int((tpalab.LAB_RUN / name / "stack.pid").read_text().split()[0])
        os.kill(pid, 0)
        # leftovers of a crashed DPDK program
        Path("/var/run/dpdk/tpa-" + name).mkdir(parents=True, exist_ok=True)
        Path("/var/run/dpdk/tpa-%s/config" % name).write_text("x")
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        # a peer-side server that would otherwise outlive the lab
        lab_cmd("peer", name, "--", "sh", "-c", "sleep 300 >/dev/null 2>&1 &")
        lab_cmd("down", name)
        assert_gone(name)
        # a running bg stack is stopped by down too
        lab_cmd("run", name, "--bg", "--", *fake_stack)
        pid = int((tpalab.LAB_RUN / name / "stack.pid").read_text().split()[0])
        lab_cmd("down", name)
        assert not Path("/proc/%d" % pid).exists() or \
            Path("/proc/%d/stat" % pid).read_text().split()[2] == "Z"
        assert_gone(name)
    finally:
        lab_cmd("down", name, check=False)


def test_down_all_owner(fake_stack):
    mine, other = tpalab.unique_name(), tpalab.unique_name()
    env = tpalab.tool_env()
    try:
        lab_cmd("up", mine, env={**env, "TPA_LAB_OWNER": "owner-x%d" % os.getpid()})
        lab_cmd("up", other, env={**env, "TPA_LAB_OWNER": "owner-y%d" % os.getpid()})
        lab_cmd("down", "--all", "--owner", "owner-x%d" % os.getpid())
        assert_gone(mine)
        assert "tpa-" + other in netns_list().split()
    finally:
        lab_cmd("down", mine, check=False)
        lab_cmd("down", other, check=False)
    assert_gone(other)


def test_fabric_strings(lab):
    v = lab.fabric("vhost")
    sock = str(lab.state_dir / "vhost.sock")
    assert v["SERVER_VDEV"] == "net_vhost0,iface=%s,queues=1" % sock
    assert v["CLIENT_VDEV"] == "net_virtio_user0,path=%s,queues=1" % sock
    m = lab.fabric("memif")
    sock = str(lab.state_dir / "memif.sock")
    assert m["SERVER_VDEV"] == "net_memif0,role=server,socket=%s" % sock
    assert m["CLIENT_VDEV"] == "net_memif0,role=client,socket=%s" % sock
    assert m["SERVER_PREFIX"] != m["CLIENT_PREFIX"]
    assert lab.state_dir.is_dir()


TAPCHECK = tpalab.build_tool("netns/tpa-tapcheck")


@pytest.mark.skipif(not TAPCHECK.exists(), reason="tpa-tapcheck not built (set TPA_BUILD)")
@pytest.mark.parametrize("relay", [False, True], ids=["direct", "relay"])
def test_real_net_tap_pmd(lab, relay):
    """The real DPDK net_tap PMD: its TAP is moved while the port runs and keeps working."""
    if relay:
        if not tpalab.relay_binary().exists():
            pytest.skip("tpa-relay not built")
        lab.relay_up(["--delay", "1ms"])
    e = lab.env
    p = lab.run_stack([TAPCHECK])
    r = lab.peer(["ping", "-c", "3", "-i", "0.2", "-W", "2", e["STACK_IP"]])
    assert r.returncode == 0, r.stdout + tpalab.read_log(p)
    if relay:
        rtt_min = float(r.stdout.rsplit("=", 1)[1].split("/")[0])
        assert rtt_min >= 2.0        # 1 ms each way through the relay
    assert lab.stop_stack(p, signal.SIGINT) == 0
    log = tpalab.read_log(p)
    assert "replies=" in log and "replies=0" not in log, log
