# SPDX-License-Identifier: BSD-3-Clause
"""The deterministic gate on the stack's own microbenchmarks: the normal build
passes against ci/insn-baseline.json, and a build with the documented slow knob
(meson -Dslow_knob=true: a fixed extra cost per received packet) fails it."""
import os
import shutil
import subprocess
import tempfile

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("TPA_BUILD", os.path.join(TOP, "build"))
TARGETS = ["stack/bench/tpa-microbench", "results/results", "results/tpa-insn-loop"]


def gate(build):
    env = dict(os.environ, TPA_BUILD=build)
    return subprocess.run([os.path.join(TOP, "ci", "insn-gate")], capture_output=True, text=True,
                          env=env, timeout=900)


@pytest.mark.skipif(not shutil.which("valgrind"), reason="valgrind missing")
def test_normal_build_passes():
    subprocess.run(["ninja", "-C", BUILD] + TARGETS, check=True, capture_output=True, timeout=600)
    p = gate(BUILD)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "insn-gate: passed" in p.stdout


@pytest.mark.skipif(not shutil.which("valgrind"), reason="valgrind missing")
def test_slowed_build_is_caught():
    with tempfile.TemporaryDirectory(prefix="tpa-slow-") as d:
        b = os.path.join(d, "build")
        subprocess.run(["meson", "setup", b, TOP, "-Dslow_knob=true"], check=True, capture_output=True,
                       timeout=300)
        subprocess.run(["ninja", "-C", b] + TARGETS, check=True, capture_output=True, timeout=900)
        p = gate(b)
    assert p.returncode == 1, p.stdout + p.stderr
    fails = [l for l in p.stdout.splitlines() if l.startswith("FAIL")]
    names = {l.split()[1] for l in fails}
    # every receive-path benchmark pays the extra cost; the pure send path does not
    assert {"rx-data", "rx-ack", "conn-setup"} <= names, p.stdout
    assert "tx-data" not in names
