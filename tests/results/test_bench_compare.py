# SPDX-License-Identifier: BSD-3-Clause
"""ci/bench-compare: worktrees, alternating rounds, store per commit, compare/gate, cleanup.

A throw-away git repository stands in for the project: its revisions differ in
a `slowness` file that the fake ms-run (tests/results/fake-ms-run) turns into
a latency shift, so "the new revision is slower" is known in advance.
"""
import os
import subprocess

from res_paths import HERE, TOP

BENCH = os.path.join(TOP, "ci", "bench-compare")


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@example.com",
                           "-c", "user.name=t", "-c", "commit.gpgsign=false"] + list(args),
                          check=True, capture_output=True, text=True).stdout


def make_repo(tmp_path, slowness):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "tiny.ms").write_text("params:\n  x: [1]\nend\ntrue\n")
    for i, s in enumerate(slowness):
        (repo / "slowness").write_text("%s\n" % s)
        (repo / "rev").write_text("%d\n" % i)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "rev %d" % i)
    return repo


def bench(tmp_path, repo, results, *args):
    env = dict(os.environ, TPA_REPO=str(repo), TPA_RESULTS=results.exe,
               BENCH_MS_RUN=os.path.join(HERE, "fake-ms-run"),
               BENCH_BUILD_CMD="mkdir -p build && touch build/built && chmod +x build/built",
               FAKE_MS_RUN_LOG=str(tmp_path / "order.log"), TMPDIR=str(tmp_path / "tmp"))
    os.makedirs(tmp_path / "tmp", exist_ok=True)
    return subprocess.run([BENCH] + [str(a) for a in args], capture_output=True, text=True,
                          env=env, cwd=str(repo), timeout=300)


def check_clean(tmp_path, repo):
    assert len(git(repo, "worktree", "list").strip().splitlines()) == 1
    assert os.listdir(tmp_path / "tmp") == []


def test_bench_compare_finds_the_slower_revision(tmp_path, results):
    repo = make_repo(tmp_path, ["0", "0.2"])
    store = tmp_path / "store"
    p = bench(tmp_path, repo, results, "HEAD~1", "HEAD", "--scenario", repo / "tiny.ms",
              "--repeat", 4, "--store", store)
    assert p.returncode == 0, p.stdout + p.stderr
    # Rounds alternate A, B, A, B, ...
    assert open(tmp_path / "order.log").read().split() == ["0", "0.2"] * 4
    a, b = git(repo, "rev-parse", "HEAD~1").strip(), git(repo, "rev-parse", "HEAD").strip()
    assert sorted(os.listdir(store)) == sorted([a, b])
    assert len(os.listdir(store / a)) == 4 and len(os.listdir(store / b)) == 4
    assert "tiny/test=rr__message_size=64 (reps 4 vs 4)" in p.stdout
    p50 = [l for l in p.stdout.splitlines() if l.strip().startswith("p50 ")][0]
    assert p50.rstrip().endswith("worse  <<<"), p50
    check_clean(tmp_path, repo)
    # The same comparison as a gate fails.
    p = bench(tmp_path, repo, results, "HEAD~1", "--scenario", repo / "tiny.ms", "--repeat", 4,
              "--store", tmp_path / "store2", "--gate")
    assert p.returncode == 1 and "perf-gate: FAILED" in p.stdout
    check_clean(tmp_path, repo)


def test_bench_compare_aa_gate_passes(tmp_path, results):
    repo = make_repo(tmp_path, ["0", "0"])     # a change that does not touch performance
    p = bench(tmp_path, repo, results, "HEAD~1", "HEAD", "--scenario", repo / "tiny.ms",
              "--repeat", 5, "--store", tmp_path / "store", "--gate")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "perf-gate: passed" in p.stdout
    check_clean(tmp_path, repo)


def test_bench_compare_usage(tmp_path, results):
    repo = make_repo(tmp_path, ["0"])
    assert bench(tmp_path, repo, results).returncode == 2
    assert bench(tmp_path, repo, results, "HEAD", "--scenario", repo / "tiny.ms").returncode == 2
    assert bench(tmp_path, repo, results, "nope", "--scenario", repo / "tiny.ms").returncode == 2
    assert bench(tmp_path, repo, results, "HEAD", "--scenario", repo / "x.ms").returncode == 2
    p = bench(tmp_path, repo, results, "HEAD", "--repeat", "0", "--scenario", repo / "tiny.ms")
    assert p.returncode == 2 and "--repeat" in p.stderr
    check_clean(tmp_path, repo)


def test_bench_compare_build_failure_cleans_up(tmp_path, results):
    repo = make_repo(tmp_path, ["0", "0.1"])
    env_bad = dict(os.environ, TPA_REPO=str(repo), TPA_RESULTS=results.exe,
                   BENCH_MS_RUN=os.path.join(HERE, "fake-ms-run"), BENCH_BUILD_CMD="false",
                   TMPDIR=str(tmp_path / "tmp"))
    os.makedirs(tmp_path / "tmp", exist_ok=True)
    p = subprocess.run([BENCH, "HEAD~1", "--scenario", str(repo / "tiny.ms")], capture_output=True,
                       text=True, env=env_bad, cwd=str(repo), timeout=120)
    assert p.returncode == 1 and "building A" in p.stderr
    check_clean(tmp_path, repo)
