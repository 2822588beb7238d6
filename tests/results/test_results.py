# SPDX-License-Identifier: BSD-3-Clause
"""End-to-end tests of `results`: loading, summary, compare, plots, report, store, history."""
import glob
import json
import os
import statistics

import pytest

from gen_runs import gen_run

try:
    from scipy.stats import mannwhitneyu
except ImportError:  # pragma: no cover - Debian 12 has python3-scipy
    mannwhitneyu = None


def rep_values(run, case, path):
    """Values at a dotted path of every repetition's result.json of one case."""
    out = []
    for f in sorted(glob.glob(os.path.join(run, case, "rep-*", "result.json"))):
        v = json.load(open(f))
        for k in path.split("."):
            v = v[k]
        out.append(v)
    return out


CASE = "lat/test=rr__message_size=64"


def test_summary_medians_match_the_files(tmp_path, results):
    run = gen_run(str(tmp_path), "r1", seed=11, reps=5, extra_json=True, fail_reps=1)
    p = results("summary", "--json", run, check=0)
    doc = json.loads(p.stdout)
    cases = {c["id"]: c for c in doc["cases"]}
    assert set(cases) == {CASE, "lat/test=rr__message_size=1024"}
    c = cases[CASE]
    assert c["repetitions"] == 5 and c["failed"] == 1
    # server.json (role server) and other.json (other schema) are not samples.
    assert c["median"]["gbit_per_s"] == pytest.approx(
        statistics.median(rep_values(run, CASE, "throughput.gbit_per_s")))
    assert c["median"]["p99"] == pytest.approx(
        statistics.median(rep_values(run, CASE, "latency.summary.p99")))
    assert c["median"]["errors"] == pytest.approx(0)  # 1 failed rep of 5: median 0
    text = results("summary", run, check=0).stdout
    assert "test=rr__message_size=64" in text and "(1 failed)" in text


def test_single_sample_layout(tmp_path, results):
    run = gen_run(str(tmp_path), "one", seed=3, no_reps=True)
    doc = json.loads(results("summary", "--json", run, check=0).stdout)
    assert [c["repetitions"] for c in doc["cases"]] == [1, 1]
    r = results("summary", str(tmp_path / "nothing"))
    assert r.returncode == 1 and "neither a run directory nor a commit" in r.stderr


def cmp_json(results, a, b, *extra):
    doc = json.loads(results("compare", "--json", *extra, a, b, check=0).stdout)
    return {c["id"]: {m["metric"]: m for m in c["metrics"]} for c in doc["cases"]}, doc


def test_compare_same_and_slower(tmp_path, results):
    base = gen_run(str(tmp_path), "base", seed=1)
    same = gen_run(str(tmp_path), "same", seed=2)
    slow = gen_run(str(tmp_path), "slow", seed=3, shift=0.2)
    m, doc = cmp_json(results, base, same)
    assert doc["worse"] == 0
    m, doc = cmp_json(results, base, slow)
    assert m[CASE]["p50"]["verdict"] == "worse"
    assert m[CASE]["messages_per_s"]["verdict"] == "worse"   # higher is better
    assert m[CASE]["messages_per_s"]["good"] == "higher"
    assert m[CASE]["errors"]["verdict"] == "no change"
    # Ratio of medians, from the files themselves.
    want = statistics.median(rep_values(slow, CASE, "latency.summary.p50")) / \
        statistics.median(rep_values(base, CASE, "latency.summary.p50"))
    assert m[CASE]["p50"]["ratio"] == pytest.approx(want)
    spec = doc["cases"][0]["spectrum"]
    assert [s["percentile"] for s in spec] == [50, 90, 99, 99.9, 99.99]
    assert spec[0]["ratio"] > 1.1
    # Swapped: the same move is an improvement.
    m, _ = cmp_json(results, slow, base)
    assert m[CASE]["p50"]["verdict"] == "better"
    # --fail-on-worse turns a regression into exit 1.
    assert results("compare", "--fail-on-worse", base, slow).returncode == 1
    assert results("compare", "--alpha", "2", base, slow).returncode == 2


@pytest.mark.skipif(mannwhitneyu is None, reason="scipy missing")
def test_compare_p_values_match_scipy(tmp_path, results):
    base = gen_run(str(tmp_path), "base", seed=5, reps=7)
    new = gen_run(str(tmp_path), "new", seed=6, reps=6, shift=0.03)
    m, _ = cmp_json(results, base, new)
    for metric, path in [("p50", "latency.summary.p50"), ("p99", "latency.summary.p99"),
                         ("cpu_ns_per_op", "cpu.ns_per_op")]:
        a, b = rep_values(base, CASE, path), rep_values(new, CASE, path)
        want = mannwhitneyu(a, b, method="asymptotic", use_continuity=True).pvalue
        assert m[CASE][metric]["p"] == pytest.approx(want, rel=1e-9), metric


def test_too_few_repetitions_is_unknown(tmp_path, results):
    base = gen_run(str(tmp_path), "base", seed=1, reps=2)
    slow = gen_run(str(tmp_path), "slow", seed=2, reps=2, shift=0.5)
    m, _ = cmp_json(results, base, slow)
    assert m[CASE]["p50"]["verdict"] == "unknown"


def is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_plots(tmp_path, results):
    base = gen_run(str(tmp_path), "base", seed=1)
    slow = gen_run(str(tmp_path), "slow", seed=2, shift=0.2)
    out = tmp_path / "plots"
    p = results("plot", "spectrum", "--out", out, "--case", "*size=64", base, slow, check=0)
    files = p.stdout.split()
    assert len(files) == 2 and is_png(files[0]) and "<svg" in open(files[1]).read()
    assert "99.9%" in open(files[1]).read()          # HdrHistogram-style percentile axis
    p = results("plot", "series", "--out", out, slow, check=0)
    assert len(p.stdout.split()) == 4
    p = results("plot", "throughput", "--metric", "messages_per_s", "--out", out, base, slow, check=0)
    assert is_png(p.stdout.split()[0])
    assert results("plot", "pie", base).returncode == 2
    assert not glob.glob("/tmp/results-plot.*"), "scratch directories left behind"


def test_report_into_run_dir(tmp_path, results):
    base = gen_run(str(tmp_path), "base", seed=1)
    slow = gen_run(str(tmp_path), "slow", seed=2, shift=0.2)
    results("report", "--base", base, slow, check=0)
    md = open(os.path.join(slow, "report.md")).read()
    html = open(os.path.join(slow, "report.html")).read()
    assert "Comparison with base" in md and "worse" in md and "(report.html)" in md
    assert "plots/spectrum-lat_test=rr__message_size=64.svg" in md
    assert html.count("data:image/png;base64,") == 4   # 2 spectra + 2 series
    assert 'src="plots/' not in html                   # self-contained
    # The report's files do not disturb loading the run again.
    doc = json.loads(results("summary", "--json", slow, check=0).stdout)
    assert len(doc["cases"]) == 2


def test_store_compare_by_commit_and_history(tmp_path, results):
    runs, store = str(tmp_path / "runs"), str(tmp_path / "store")
    commits = []
    for i in range(5):
        c = "%x" % (0xa + i) + "%039d" % i
        commits.append(c)
        run = gen_run(runs, "run%d" % i, seed=100 + i, commit=c, shift=0.2 if i >= 3 else 0,
                      started_at="2026-02-0%dT00:00:00Z" % (i + 1))
        p = results("store", "--store", store, run, check=0)
        assert p.stdout.strip() == os.path.join(store, c, "run%d" % i)
    # Storing twice is refused; a second run of a commit is pooled with the first.
    assert results("store", "--store", store, os.path.join(runs, "run0")).returncode == 1
    extra = gen_run(runs, "run0b", seed=200, commit=commits[0])
    results("store", "--store", store, extra, check=0)
    doc = json.loads(results("summary", "--json", "--store", store, commits[0][:8], check=0).stdout)
    assert doc["cases"][0]["repetitions"] == 10
    m, _ = cmp_json(results, commits[2][:6], commits[3][:6], "--store", store)
    assert m[CASE]["p50"]["verdict"] == "worse"
    h = json.loads(results("history", "p50", "--json", "--store", store, "--case", CASE,
                           check=0).stdout)
    pts = h["cases"][0]["points"]
    assert [p["commit"] for p in pts] == commits          # ordered by run start (not in git)
    assert [p["change"] for p in pts] == [0, 0, 0, 1, 0]  # one change point: worse at commit 3
    p = results("history", "p50", "--store", store, "--plot", tmp_path / "h", check=0)
    assert "<<< worse" in p.stdout and is_png(str(tmp_path / "h" / "history-p50.png"))
    assert results("history", "p98", "--store", store).returncode == 2
    r = results("compare", "--store", store, "deadbeef", commits[0])
    assert r.returncode == 1 and "neither a run directory nor a commit" in r.stderr


def test_store_needs_a_commit(tmp_path, results):
    run = gen_run(str(tmp_path), "r", seed=1)
    os.unlink(os.path.join(run, "manifest.json"))
    r = results("store", "--store", tmp_path / "s", run)
    assert r.returncode == 1 and "--commit" in r.stderr
    results("store", "--store", tmp_path / "s", "--commit", "abc1234", run, check=0)
    assert os.path.isdir(tmp_path / "s" / "abc1234" / "r")


def test_ms_run_manifest_shape(tmp_path, results):
    """ms-run writes "git": {"commit", "dirty"} instead of git_commit."""
    run = gen_run(str(tmp_path), "r", seed=1)
    mf = os.path.join(run, "manifest.json")
    json.dump({"schema": "tpa.ms-run/1", "git": {"commit": "f00d" * 10, "dirty": True},
               "host": {"hostname": "h"}, "started_at": "2026-01-01T00:00:00Z"}, open(mf, "w"))
    p = results("store", "--store", tmp_path / "s", run, check=0)
    assert p.stdout.strip().endswith("f00d" * 10 + "-dirty/r")
