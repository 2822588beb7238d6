# SPDX-License-Identifier: BSD-3-Clause
"""The stack's hot-path DPDK trace points: started with --trace, an instance
writes a CTF trace on exit that babeltrace2 decodes, holding the bursts,
per-segment TCP input/output and state changes of a real echo exchange."""
import shutil
import subprocess

import pytest

from tpalab import build_tool

TECHO = build_tool("stack/examples/techo")


@pytest.mark.lab
@pytest.mark.skipif(not shutil.which("babeltrace2"), reason="babeltrace2 not installed")
def test_ctf_trace_of_an_echo(lab, tmp_path):
    ctf = tmp_path / "ctf"
    p = lab.run_stack([TECHO, "7"], env={"TPA_CFG": "dpdk.eal_extra=--trace=tpa\\..* --trace-dir=%s" % ctf})
    e = lab.env
    r = lab.peer(["sh", "-c", "echo traced | nc -q1 %s 7" % e["STACK_IP"]], timeout=20)
    assert r.stdout.strip() == "traced"
    assert lab.stop_stack(p) == 0
    out = subprocess.run(["babeltrace2", str(ctf)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    names = [l.split()[2].rstrip(":") for l in out.stdout.splitlines() if l.startswith("[")]
    for want in ("tpa.rx_burst", "tpa.tx_burst", "tpa.tcp.in", "tpa.tcp.out", "tpa.tcp.state"):
        assert want in names, (want, sorted(set(names)))
    # the echoed payload went out as one 7-byte segment ("traced\n")
    assert any("tpa.tcp.out" in l and "len = 0x7" in l for l in out.stdout.splitlines()), out.stdout[-2000:]
    # SYN_RCVD (3) -> ESTABLISHED (4) is in the trace
    assert any("tpa.tcp.state" in l and "old_state = 0x3, new_state = 0x4" in l for l in out.stdout.splitlines())


@pytest.mark.lab
def test_no_trace_without_the_option(lab, tmp_path):
    p = lab.run_stack([TECHO, "7"])
    assert lab.stop_stack(p) == 0
    assert not list(tmp_path.iterdir())
