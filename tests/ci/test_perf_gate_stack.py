# SPDX-License-Identifier: BSD-3-Clause
"""The wall-clock perf gate on real stack runs: the same build twice passes
(A/A), and the stack's documented slow knob (debug.slow_ns: a fixed busy wait
per received packet) is caught as a latency regression (A/B). Repetitions
alternate A and B so machine drift cancels, as ci/bench-compare does."""
import glob
import os
import subprocess

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("TPA_BUILD", os.path.join(TOP, "build"))
MS_RUN = os.path.join(BUILD, "matrix", "ms-run")
SCEN = os.path.join(TOP, "scenarios", "gate-proof.ms")
REPS = 5


def one_round(results, slow_ns):
    p = subprocess.run([MS_RUN, "--results", results, "--var", "slow_ns=%d" % slow_ns, SCEN],
                       capture_output=True, text=True, timeout=120, env=dict(os.environ, TPA_BUILD=BUILD))
    assert p.returncode == 0, p.stdout + p.stderr


def pooled_run(results, name):
    """Fold the single-repetition runs of one side into one run dir with rep-<i>/ cases."""
    runs = sorted(glob.glob(os.path.join(results, "*", "")))
    out = os.path.join(results, name)
    case_dst = os.path.join(out, "gate-proof", "test=rr")
    os.makedirs(case_dst)
    for i, r in enumerate(runs, 1):
        src = os.path.join(r, "gate-proof", "test=rr")
        os.rename(src, os.path.join(case_dst, "rep-%d" % i))
        if i == 1:
            for f in ("manifest.json",):
                os.rename(os.path.join(r, f), os.path.join(out, f))
    return out


# One metric with a 10% minimum effect: on real runs the other metrics are
# noise-prone, and the A/A half must not flake (the 20-trial A/A proof of the
# full gate set is tests/results/test_gates.py, on synthetic distributions).
GATES = """defaults:
  significance: 0.05
  min_effect: 0.10
  inconclusive: fail
gates:
  - metric: p50
    direction: lower
"""


def gate(base, new, plots):
    cfg = os.path.join(os.path.dirname(plots), "gates.yaml")
    with open(cfg, "w") as f:
        f.write(GATES)
    return subprocess.run([os.path.join(TOP, "ci", "perf-gate"), "--config", cfg, "--plots", plots, base, new],
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, TPA_BUILD=BUILD))


@pytest.mark.lab
def test_perf_gate_passes_same_build_and_catches_slow_knob(tmp_path):
    a, a2, b = (str(tmp_path / n) for n in ("a", "a2", "b"))
    for _ in range(REPS):           # interleave: A, A', B, A, A', B, ...
        one_round(a, 0)
        one_round(a2, 0)
        one_round(b, 50000)         # 50 us per received packet
    A, A2, B = pooled_run(a, "A"), pooled_run(a2, "A2"), pooled_run(b, "B")

    same = gate(A, A2, str(tmp_path / "plots-aa"))
    assert same.returncode == 0, "A/A failed the gate:\n" + same.stdout + same.stderr

    slow = gate(A, B, str(tmp_path / "plots-ab"))
    assert slow.returncode == 1, "slow knob not caught:\n" + slow.stdout + slow.stderr
    assert "p50" in slow.stdout
