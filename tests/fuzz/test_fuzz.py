"""The receive-path fuzzer (stack/fuzz): builds with clang, runs a short
campaign from the generated seed corpus (TPA_FUZZ_SECONDS, default 60) and
fails on any crash or sanitizer report; replays the saved crash inputs under
the sanitizers; and proves the crash reporting works with a planted bug."""
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FUZZ = REPO / "stack" / "fuzz"
BUILD = Path(os.environ.get("TPA_FUZZ_BUILD", os.environ.get("TPA_BUILD", str(REPO / "build")))) / "fuzz"
SECONDS = int(os.environ.get("TPA_FUZZ_SECONDS", "60"))
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=1",
           UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")


@pytest.fixture(scope="module")
def fuzzer():
    r = subprocess.run([str(FUZZ / "build.sh"), str(BUILD)], capture_output=True, text=True, timeout=900)
    if r.returncode == 2:
        pytest.skip("no clang fuzzer toolchain: " + r.stderr.strip())
    assert r.returncode == 0, r.stdout + r.stderr
    return BUILD / "fuzz_rx"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    d = tmp_path_factory.mktemp("seeds")
    subprocess.run(["/usr/bin/python3", str(FUZZ / "gen_corpus.py"), str(d)], check=True,
                   capture_output=True, timeout=120)
    files = list(d.iterdir())
    assert len(files) > 500    # valid frames and their mutations
    return d


def test_seed_corpus_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        subprocess.run(["/usr/bin/python3", str(FUZZ / "gen_corpus.py"), str(d), "--seed", "7"], check=True,
                       capture_output=True, timeout=120)
    assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())


def test_saved_crashes_replay_under_sanitizers(fuzzer):
    inputs = [p for p in (FUZZ / "crashes").iterdir() if not p.name.endswith(".md")]
    if not inputs:
        pytest.skip("no saved crash inputs")
    r = subprocess.run([str(fuzzer), *map(str, inputs)], capture_output=True, text=True, env=ENV,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-4000:]


def test_planted_bug_is_caught(fuzzer, tmp_path):
    bad = tmp_path / "selftest"
    bad.write_bytes(b"TPA-FUZZ-SELFTEST" + bytes(40))
    r = subprocess.run([str(fuzzer), str(bad)], capture_output=True, text=True,
                       env=dict(ENV, FUZZ_RX_SELFTEST="1"), timeout=120)
    assert r.returncode != 0
    assert "heap-buffer-overflow" in r.stderr


@pytest.mark.slow
def test_short_campaign_finds_no_crash(fuzzer, seeds, tmp_path):
    corpus, art = tmp_path / "corpus", tmp_path / "artifacts"
    corpus.mkdir()
    art.mkdir()
    r = subprocess.run([str(fuzzer), "-max_total_time=%d" % SECONDS, "-max_len=1600", "-timeout=10",
                        "-rss_limit_mb=2048", "-artifact_prefix=%s/" % art, str(corpus), str(seeds)],
                       capture_output=True, text=True, env=ENV, timeout=SECONDS + 300)
    crashes = sorted(art.iterdir())
    assert r.returncode == 0 and not crashes, (
        "fuzzer found a crash: %s\nsave it under stack/fuzz/crashes/ (docs/robustness.md)\n%s"
        % ([str(c) for c in crashes], r.stderr[-6000:]))
    # it really ran: executions and coverage beyond the seeds
    assert "DONE" in r.stderr and "cov:" in r.stderr
