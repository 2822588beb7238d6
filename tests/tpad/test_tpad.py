"""tpad: when a stack dies (kill -9 or a normal exit), its peers' connections
are reset and its runtime files removed. Real stack (techo) in a lab, kernel
sockets in the peer namespace."""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

import tpalab

pytestmark = [pytest.mark.lab, pytest.mark.stack]

TECHO = tpalab.build_tool("stack/examples/techo")
PEER = Path(__file__).resolve().parent / "peer_conns.py"
PORT = 7
NR_CONN = 20


@pytest.fixture(autouse=True)
def _need_techo():
    if not TECHO.exists():
        pytest.skip("%s not built (set TPA_BUILD)" % TECHO)


def tpad_pids(lab):
    """pids of the running tpads of LAB's stack: comm "tpad", and (forked from
    the stack) the environment tpa-lab gave it."""
    out = []
    tag = b"TPA_LAB=" + lab.name.encode() + b"\0"
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if (p / "comm").read_text().strip() == "tpad" and tag in (p / "environ").read_bytes():
                    out.append(int(p.name))
            except OSError:
                pass
    return out


def wait_for(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def start(lab, tmp_path, extra=""):
    run_dir = tmp_path / "run"
    cfg = "obs.run_dir=%s;obs.id=tpadtest;dpdk.mem_mb=128;dpdk.nr_mbuf=4096%s" % (run_dir, extra)
    before = set(tpad_pids(lab))
    p = lab.run_stack([TECHO, PORT], env={"TPA_CFG": cfg})
    pid = int((lab.state_dir / "ready").read_text().split()[0])
    inst = run_dir / "tpadtest"
    return p, pid, inst, set(tpad_pids(lab)) - before


def open_conns(lab, n=NR_CONN, timeout=2.0):
    peer = lab.peer_popen(["/usr/bin/python3", PEER, lab.env["STACK_IP"], PORT, n, timeout],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    line = peer.stdout.readline().strip()
    assert line == "ready", line + (peer.stdout.read() if peer.poll() is not None else "")
    return peer


def results(peer):
    peer.stdin.write("go\n")
    peer.stdin.flush()
    out, _ = peer.communicate(timeout=30)
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def test_kill9_resets_every_connection_and_cleans_up(lab, tmp_path):
    p, pid, inst, new_tpad = start(lab, tmp_path)
    assert len(new_tpad) == 1, "one tpad per instance, got %s" % new_tpad
    assert (inst / "tpad-conns").exists()
    dpdk_dir = Path("/var/run/dpdk") / lab.env["PREFIX"]
    assert dpdk_dir.exists()
    peer = open_conns(lab)
    os.kill(pid, signal.SIGKILL)
    res = results(peer)
    assert len(res) == NR_CONN
    bad = [r for r in res if r["result"] != "ECONNRESET" or r["t"] > 2.0]
    assert not bad, bad
    # runtime files: the instance directory and EAL's runtime directory
    assert wait_for(lambda: not inst.exists() and not dpdk_dir.exists(), 3), (
        list(inst.iterdir()) if inst.exists() else "", dpdk_dir.exists())
    # and tpad itself is gone (it lingers at most tpad.linger_ms)
    assert wait_for(lambda: not (new_tpad & set(tpad_pids(lab))), 5)
    log = tpalab.read_log(p)
    assert "20 connection(s)" in log, log


def test_normal_exit_resets_connections_left_open(lab, tmp_path):
    p, pid, inst, new_tpad = start(lab, tmp_path)
    peer = open_conns(lab, n=3)
    lab.stop_stack(p, sig=signal.SIGTERM)
    res = results(peer)
    assert [r["result"] for r in res] == ["ECONNRESET"] * 3, res
    assert wait_for(lambda: not inst.exists(), 3)
    assert wait_for(lambda: not (new_tpad & set(tpad_pids(lab))), 5)


def test_without_tpad_connections_stay_half_open(lab, tmp_path):
    """The control: tpad.enable=0 and the same kill leaves the peers hanging
    (so the test above can fail), and the files stay behind."""
    p, pid, inst, new_tpad = start(lab, tmp_path, ";tpad.enable=0")
    assert not new_tpad
    peer = open_conns(lab, n=3, timeout=1.0)
    os.kill(pid, signal.SIGKILL)
    res = results(peer)
    assert [r["result"] for r in res] == ["timeout"] * 3, res
    assert inst.exists()    # nobody cleaned up


def test_instance_without_connections(lab, tmp_path):
    p, pid, inst, new_tpad = start(lab, tmp_path)
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: not inst.exists(), 3)
    assert wait_for(lambda: not (new_tpad & set(tpad_pids(lab))), 3)
