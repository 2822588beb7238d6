# SPDX-License-Identifier: BSD-3-Clause
"""The CI gates: perf-gate (statistical) and insn-gate (deterministic).

Proves that an A/A comparison passes in at least 19 of 20 trials and that a
deliberately slowed input is caught, for both gates; and that bad
configuration is reported as file:line with exit 2.
"""
import json
import os
import shutil
import subprocess

import pytest

from res_paths import TOP
from gen_runs import gen_run

GATES = os.path.join(TOP, "ci", "perf-gates.yaml")
PERF_GATE = os.path.join(TOP, "ci", "perf-gate")
INSN_GATE = os.path.join(TOP, "ci", "insn-gate")


def perf_gate(results, *args, config=GATES):
    env = dict(os.environ, TPA_RESULTS=results.exe)
    return subprocess.run([PERF_GATE, "--config", config] + [str(a) for a in args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_perf_gate_aa_passes_19_of_20(tmp_path, results):
    passed = 0
    for t in range(20):
        d = str(tmp_path / ("t%d" % t))
        a = gen_run(d, "a", seed=1000 + 2 * t, n_lat=2000)
        b = gen_run(d, "b", seed=1001 + 2 * t, n_lat=2000)
        p = perf_gate(results, "--no-plots", a, b)
        assert p.returncode in (0, 1), p.stderr
        passed += p.returncode == 0
    assert passed >= 19, "A/A passed only %d of 20 trials" % passed


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_perf_gate_catches_a_slowdown(tmp_path, results, seed):
    a = gen_run(str(tmp_path), "a", seed=seed, n_lat=2000)
    b = gen_run(str(tmp_path), "b", seed=seed + 50, n_lat=2000, shift=0.15)
    jf = tmp_path / "gate.json"
    p = perf_gate(results, "--json", jf, a, b)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "FAIL  p50      lat/test=rr__message_size=64" in p.stdout
    assert "perf-gate: FAILED" in p.stdout
    # Evidence plots for the offending cases, in the new run's directory by default.
    assert os.path.isfile(os.path.join(b, "gate-plots", "spectrum-lat_test=rr__message_size=64.png"))
    assert os.path.isfile(os.path.join(b, "gate-plots", "reps-p50-lat_test=rr__message_size=64.png"))
    doc = json.load(open(jf))
    assert doc["passed"] is False
    assert {c["metric"] for c in doc["checks"] if c["status"] == "FAIL"} >= {"p50", "messages_per_s"}


def test_perf_gate_throughput_only_gate_ignores_latency_moves(tmp_path, results):
    cfg = tmp_path / "g.yaml"
    cfg.write_text("gates:\n  - metric: p50\n    cases: 'nomatch/*'\n"
                   "  - metric: cpu_ns_per_op\n    min_effect: 0.5\n")
    a = gen_run(str(tmp_path), "a", seed=7, n_lat=1000)
    b = gen_run(str(tmp_path), "b", seed=8, n_lat=1000, shift=0.15)
    p = perf_gate(results, "--no-plots", a, b, config=str(cfg))
    # 15% slower is below this gate's 50% minimum effect; the other gate matched nothing.
    assert p.returncode == 0, p.stdout
    assert "matched no case" in p.stdout


def test_perf_gate_inconclusive(tmp_path, results):
    a = gen_run(str(tmp_path), "a", seed=7, reps=3, n_lat=1000)
    b = gen_run(str(tmp_path), "b", seed=8, reps=3, n_lat=1000)
    p = perf_gate(results, "--no-plots", a, b)
    assert p.returncode == 1 and "too few repetitions" in p.stdout
    cfg = tmp_path / "g.yaml"
    cfg.write_text("defaults:\n  inconclusive: pass\ngates:\n  - metric: p50\n")
    assert perf_gate(results, a, b, config=str(cfg)).returncode == 0


@pytest.mark.parametrize("text,line,needle", [
    ("gates:\n  - metric: p99\n    direction: sideways\n", 3, "direction"),
    ("gates:\n  - metric: p98\n", 2, "unknown metric 'p98'"),
    ("gates:\n  - metric: p99\n    min_efect: 0.1\n", 3, "unknown key 'min_efect'"),
    ("defaults:\n  significance: 2\ngates:\n  - metric: p99\n", 2, "significance"),
    ("gates:\n  - metric: p99\n    min_effect: [1\n", 4, "YAML error"),
    ("gates: []\n", 1, "non-empty list"),
    ("gates:\n  - direction: lower\n", 2, "'metric' is missing"),
])
def test_perf_gate_bad_yaml(tmp_path, results, text, line, needle):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    run = gen_run(str(tmp_path), "a", seed=1, reps=1, n_lat=100)
    before = sorted(os.listdir(run))
    p = perf_gate(results, run, run, config=str(cfg))
    assert p.returncode == 2
    assert p.stderr.startswith("%s:%d" % (cfg, line)), p.stderr
    assert needle in p.stderr
    assert sorted(os.listdir(run)) == before      # nothing left behind


def test_perf_gate_usage(results):
    assert perf_gate(results, "only-one").returncode == 2


# ---- insn-gate -------------------------------------------------------------

def insn_gate(build_dir, *args, env=None):
    e = dict(os.environ, TPA_BUILD=build_dir)
    e.update(env or {})
    return subprocess.run([INSN_GATE] + [str(a) for a in args], capture_output=True, text=True,
                          env=e, timeout=300)


def loop_config(tmp_path, iters, threshold=0.01):
    cfg = tmp_path / ("insn-%s.yaml" % iters)
    cfg.write_text("threshold: %g\ngates:\n  - name: loop\n"
                   "    command: [\"${TPA_BUILD}/results/tpa-insn-loop\", \"%s\"]\n"
                   "    collect: insn_loop_run\n"
                   "  - name: loop-whole-program\n"
                   "    command: \"${TPA_BUILD}/results/tpa-insn-loop %s\"\n"
                   % (threshold, iters, iters))
    return cfg


@pytest.fixture(scope="module")
def have_valgrind():
    if shutil.which("valgrind") is None:
        pytest.fail("valgrind is not installed (apt-get install valgrind)")


def test_insn_gate_deterministic_and_catches_more_work(tmp_path, build_dir, have_valgrind):
    base = tmp_path / "baseline.json"
    p = insn_gate(build_dir, "--config", loop_config(tmp_path, 100000), "--baseline", base,
                  "--update-baseline")
    assert p.returncode == 0, p.stderr
    counts = json.load(open(base))["counts"]
    assert counts["loop"] > 100000 * 5            # a few instructions per iteration
    assert counts["loop-whole-program"] > counts["loop"]
    # A/A: the same build and input, 20 times over, never fails (the count is exact).
    cfg_same = loop_config(tmp_path, 100000)
    for _ in range(20):
        p = insn_gate(build_dir, "--config", cfg_same, "--baseline", base)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "+0.000%" in p.stdout
    # 0.5% more work is within the 1% threshold; 2% more is caught.
    assert insn_gate(build_dir, "--config", loop_config(tmp_path, 100500),
                     "--baseline", base).returncode == 0
    p = insn_gate(build_dir, "--config", loop_config(tmp_path, 102000), "--baseline", base)
    assert p.returncode == 1
    assert "FAIL  loop " in p.stdout and "insn-gate: FAILED" in p.stdout


def test_insn_gate_repo_config_and_baseline(build_dir, have_valgrind):
    """The committed ci/insn-gates.yaml runs against ci/insn-baseline.json."""
    p = insn_gate(build_dir)
    assert p.returncode in (0, 1), p.stderr
    assert "insn-loop-100k" in p.stdout


@pytest.mark.parametrize("text,line,needle", [
    ("gates:\n  - name: x\n", 2, "'command'"),
    ("gates:\n  - name: x\n    command: \"$NO_SUCH_VAR_HOPEFULLY/x\"\n", 3, "undefined"),
    ("gates:\n  - name: x\n    command: \"$(rm -rf /)\"\n", 3, "command substitution"),
    ("threshold: lots\ngates:\n  - {name: x, command: true}\n", 1, "threshold"),
    ("gates:\n  - {name: x, command: true}\n  - {name: x, command: true}\n", 3, "used twice"),
    ("gates:\n  - {name: x, command: true, colect: f}\n", 2, "unknown key 'colect'"),
])
def test_insn_gate_bad_yaml(tmp_path, build_dir, text, line, needle):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    p = insn_gate(build_dir, "--config", cfg, "--baseline", tmp_path / "none.json")
    assert p.returncode == 2, p.stdout + p.stderr
    assert p.stderr.startswith("%s:%d" % (cfg, line)), p.stderr
    assert needle in p.stderr
    assert not os.path.exists(tmp_path / "none.json")


def test_insn_gate_failing_command(tmp_path, build_dir, have_valgrind):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("gates:\n  - name: bad\n    command: [\"${TPA_BUILD}/results/tpa-insn-loop\", \"x\"]\n")
    p = insn_gate(build_dir, "--config", cfg, "--update-baseline", "--baseline", tmp_path / "b.json")
    assert p.returncode == 1 and "command failed" in p.stderr


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t",
                    "-c", "commit.gpgsign=false"] + list(args), check=True, capture_output=True)


def test_insn_gate_against_base_revision(tmp_path, build_dir, have_valgrind):
    """--base-rev builds the base in a worktree, measures it, and removes the worktree."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    prog = ("#include <stdlib.h>\nvolatile unsigned long sink;\n"
            "__attribute__((noinline)) void work(unsigned long n)"
            "{ for (unsigned long i = 0; i < n; i++) sink += i * 7; }\n"
            "int main(void) { work(%d); return 0; }\n")
    (repo / "prog.c").write_text(prog % 100000)
    git(repo, "add", "prog.c")
    git(repo, "commit", "-q", "-m", "base")
    (repo / "prog.c").write_text(prog % 110000)
    git(repo, "commit", "-q", "-am", "ten percent more work")
    build_cmd = "mkdir -p build && cc -O1 -o build/prog prog.c"
    subprocess.run(build_cmd, shell=True, cwd=repo, check=True)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("gates:\n  - {name: work, command: \"${TPA_BUILD}/prog\", collect: work}\n")
    env = {"TPA_REPO": str(repo), "BENCH_BUILD_CMD": build_cmd, "TPA_RESULTS":
           os.path.join(build_dir, "results", "results")}
    before = set(os.listdir("/tmp"))
    p = insn_gate(str(repo / "build"), "--config", cfg, "--base-rev", "HEAD~1", env=env)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "FAIL  work" in p.stdout and "+10.0" in p.stdout
    p = insn_gate(str(repo / "build"), "--config", cfg, "--base-rev", "HEAD", env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    wt = subprocess.run(["git", "-C", str(repo), "worktree", "list"], capture_output=True,
                        text=True).stdout.strip().splitlines()
    assert len(wt) == 1, wt
    assert not [d for d in set(os.listdir("/tmp")) - before if d.startswith("insn-gate.")]
