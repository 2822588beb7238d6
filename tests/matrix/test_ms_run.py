# ms-run: isolation, results layout, timeouts, cleanup hook, Ctrl-C, resume, shard,
# rerun-failed, repeat, dry-run, -e, JUnit validity, and an end-to-end run of selftest.ms.
import json
import os
import re
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ms_helpers import REPO, load_json, pid_alive, wait_for

RUN_ID = re.compile(r"^\d{8}T\d{6}Z-([0-9a-f]{7,40}|nogit)(-\d+)?$")


def case_dirs(run_dir):
    return sorted(p.parent for p in run_dir.rglob("case.sh"))


def junit(run_dir):
    return ET.parse(run_dir / "junit.xml").getroot()


def test_selftest_end_to_end(ms):
    st = REPO / "scenarios" / "selftest.ms"
    ids = ms.ids(st)
    assert len(ids) >= 3
    r = ms.run(st)
    assert r.returncode == 0, r.stdout + r.stderr
    run = ms.last_run()
    assert RUN_ID.match(run.name), run.name
    for cid in ids:
        d = run / cid
        for f in ["case.sh", "stdout", "stderr", "status", "timing.json", "result.json", "cleanup.txt"]:
            assert (d / f).is_file(), d / f
        assert (d / "status").read_text().strip() == "0"
        t = load_json(d / "timing.json")
        assert t["status"] == "passed" and t["exit_code"] == 0 and t["elapsed_s"] > 0
        assert (d / "cleanup.txt").read_text().strip() == f"cleaned {cid}"
        assert not (d / "scratch.tmp").exists()
    s = load_json(run / "summary.json")
    assert (s["total"], s["passed"], s["failed"], s["timed_out"], s["skipped"]) == (len(ids), len(ids), 0, 0, 0)
    assert [c["id"] for c in s["cases"]] == ids
    assert "passed" in (run / "summary.txt").read_text()
    m = load_json(run / "manifest.json")
    assert m["run_id"] == run.name and m["finished"] is True
    assert m["command"][-1] == str(st)
    for k in ["commit", "dirty"]:
        assert k in m["git"]
    for k in ["hostname", "kernel", "cores"]:
        assert m["host"][k]
    assert "dpdk" in m["versions"] and m["versions"]["kernel"]
    assert m["started_at"] <= m["ended_at"]
    root = junit(run)
    assert root.tag == "testsuites" and root.get("tests") == str(len(ids))
    assert root.get("failures") == "0" and root.get("errors") == "0"
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(ids)
    assert all(c.get("classname") == "selftest" for c in cases)


def test_case_env_and_isolation(ms):
    f = ms.write("env.ms", """
        params:
          n: [1, 2]
        end
        echo "$MS_CASE_ID|$MS_CASE_DIR|$MS_RUN_DIR|$MS_REPEAT|$PWD"
        echo "mine-$n" > own.txt
        """)
    r = ms.run(f)
    assert r.returncode == 0, r.stderr
    run = ms.last_run()
    for n in ["1", "2"]:
        d = run / "env" / f"n={n}"
        cid, cdir, rdir, rep, pwd = (d / "stdout").read_text().strip().split("|")
        assert (cid, cdir, rdir, rep, pwd) == (f"env/n={n}", str(d), str(run), "1", str(d))
        assert (d / "own.txt").read_text() == f"mine-{n}\n"


def test_failure_status_cleanup_and_exit_code(ms):
    f = ms.write("fl.ms", """
        params:
          mode: [ok, fail, signal]
        end
        ms_cleanup() { echo "cleanup after $mode" > cleanup.txt; }
        echo "out <&> \x01 $mode"
        [ "$mode" = fail ] && { echo "boom" >&2; exit 3; }
        [ "$mode" = signal ] && kill -KILL $$
        true
        """)
    r = ms.run(f)
    assert r.returncode == 1
    run = ms.last_run()
    assert (run / "fl/mode=ok/status").read_text().strip() == "0"
    assert (run / "fl/mode=fail/status").read_text().strip() == "3"
    assert (run / "fl/mode=signal/status").read_text().strip() == str(128 + 9)
    assert (run / "fl/mode=fail/cleanup.txt").read_text() == "cleanup after fail\n"
    assert (run / "fl/mode=fail/stderr").read_text() == "boom\n"
    s = load_json(run / "summary.json")
    assert (s["passed"], s["failed"]) == (1, 2)
    root = junit(run)
    fails = root.findall(".//testcase/failure")
    assert len(fails) == 2 and fails[0].get("message") == "exit status 3"
    outs = [e.text for e in root.findall(".//testcase/system-out")]
    assert any("out <&>" in o for o in outs)


def test_timeout_kills_process_group(ms, pid_reaper):
    f = ms.write("hang.ms", """
        params:
          kind: [stubborn, plain]
        end
        timeout: 1
        ms_cleanup() { echo "cleanup ran" > cleanup.txt; }
        # a grandchild that ignores SIGTERM, and a grandchild of a grandchild
        (trap '' TERM; exec sleep 300) & echo $! > gc1.pid
        (sleep 300 & echo $! > gc2.pid; wait) &
        ms_wait() { for i in $(seq 100); do [ -s gc2.pid ] && return; sleep 0.02; done; }
        ms_wait
        [ "$kind" = stubborn ] && trap '' TERM
        sleep 300
        """)
    t0 = time.monotonic()
    r = ms.run("--grace", "0.5", f, timeout=30)
    took = time.monotonic() - t0
    run = ms.last_run()
    dirs = [run / "hang/kind=stubborn", run / "hang/kind=plain"]
    for d in dirs:
        pid_reaper.extend([d / "gc1.pid", d / "gc2.pid"])
    assert r.returncode == 1, r.stdout + r.stderr
    assert took < 8, took
    for d in dirs:
        assert (d / "status").read_text().strip() == "timeout"
        for p in ["gc1.pid", "gc2.pid"]:
            pid = int((d / p).read_text())
            assert wait_for(lambda: not pid_alive(pid), 2), f"{d.name}: {p} {pid} survived"
        t = load_json(d / "timing.json")
        assert t["status"] == "timeout" and t["exit_code"] is None
        assert 1.0 <= t["elapsed_s"] < 5
    # the plain body gets TERM and runs its cleanup; the stubborn one ignores TERM and is KILLed
    assert (dirs[1] / "cleanup.txt").read_text() == "cleanup ran\n"
    s = load_json(run / "summary.json")
    assert s["timed_out"] == 2
    errs = junit(run).findall(".//testcase/error")
    assert len(errs) == 2 and all(e.get("type") == "timeout" for e in errs)


def test_leftover_processes_are_killed(ms, pid_reaper):
    f = ms.write("bg.ms", """
        sleep 300 & echo $! > bg.pid
        echo started
        """)
    r = ms.run("--grace", "0.5", f)
    run = ms.last_run()
    pidf = run / "bg/default/bg.pid"
    pid_reaper.append(pidf)
    assert r.returncode == 0
    pid = int(pidf.read_text())
    assert not pid_alive(pid)
    assert load_json(run / "bg/default/timing.json")["leftover_processes_killed"] is True


def test_scenario_and_case_timeouts(ms):
    f = ms.write("to.ms", """
        timeout: 0.5
        params:
          d: [slow, fast]
        end
        include:
          - d: fast
            ms_timeout: 10
        end
        sleep 1
        """)
    r = ms.run("--grace", "0.2", f)
    run = ms.last_run()
    assert (run / "to/d=slow/status").read_text().strip() == "timeout"
    assert (run / "to/d=fast__ms_timeout=10/status").read_text().strip() == "0"
    assert r.returncode == 1
    # --timeout overrides both
    r = ms.run("--timeout", "0.2", "--grace", "0.2", "-g", "fast", f)
    assert (ms.last_run() / "to/d=fast__ms_timeout=10/status").read_text().strip() == "timeout"


BLOCKING = """
    params:
      n: [1, 2, 3]
    end
    default_params:
      block: {block}
    end
    ms_cleanup() {{ echo "cleanup $n" > cleanup.txt; }}
    echo "ran $n" >> {log}
    if [ "$n" = 2 ] && [ -e "$block" ]; then
        echo $$ > body.pid
        sleep 30
    fi
    """


def start_blocking(ms):
    block = ms.tmp / "block"
    block.write_text("")
    log = ms.tmp / "log"
    f = ms.write("blk.ms", BLOCKING.format(block=block, log=log))
    p = subprocess.Popen([ms.run_bin, "--results", str(ms.results), "--grace", "2", str(f)],
                         cwd=ms.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p, f, block, log


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_then_resume(ms, pid_reaper, sig):
    p, f, block, log = start_blocking(ms)
    try:
        assert wait_for(lambda: ms.run_dirs() and (ms.last_run() / "blk/n=2/body.pid").exists(), 10)
        run = ms.last_run()
        pid_reaper.append(run / "blk/n=2/body.pid")
        p.send_signal(sig)
        out, err = p.communicate(timeout=15)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, out + err
    body = int((run / "blk/n=2/body.pid").read_text())
    assert not pid_alive(body)
    assert (run / "blk/n=2/status").read_text().strip() == "interrupted"
    assert (run / "blk/n=2/cleanup.txt").read_text() == "cleanup 2\n"
    s = load_json(run / "summary.json")
    assert (s["passed"], s["interrupted"], s["skipped"]) == (1, 1, 1)
    assert not (run / "blk/n=3").exists()
    ET.parse(run / "junit.xml")
    assert load_json(run / "manifest.json")["invocations"][-1]["interrupted"] is True

    # resume: the passed case is kept, the interrupted and the unrun ones run
    block.unlink()
    r = ms.run("--resume", run, results=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert log.read_text().split("\n")[:-1] == ["ran 1", "ran 2", "ran 2", "ran 3"]
    s = load_json(run / "summary.json")
    assert (s["total"], s["passed"]) == (3, 3)
    assert len(ms.run_dirs()) == 1
    m = load_json(run / "manifest.json")
    assert [i["mode"] for i in m["invocations"]] == ["run", "resume"]


def test_resume_skips_recorded_and_rerun_failed(ms):
    flag = ms.tmp / "make-fail"
    flag.write_text("")
    log = ms.tmp / "log"
    f = ms.write("rr.ms", f"""
        params:
          n: [1, 2, 3]
        end
        echo "ran $n" >> {log}
        [ "$n" = 2 ] && [ -e {flag} ] && exit 4
        sleep 0.01
        """)
    r = ms.run(f)
    assert r.returncode == 1
    run = ms.last_run()
    assert log.read_text().count("ran") == 3
    # resume: everything is recorded (passed or failed): nothing runs
    r = ms.run("--resume", run, results=False)
    assert r.returncode == 1
    assert log.read_text().count("ran") == 3
    # rerun-failed: only n=2 runs again; its first attempt is archived
    flag.unlink()
    r = ms.run("--rerun-failed", run, results=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert log.read_text().split("\n")[:-1] == ["ran 1", "ran 2", "ran 3", "ran 2"]
    assert (run / "rr/n=2/status").read_text().strip() == "0"
    assert (run / ".attempts/1/rr/n=2/status").read_text().strip() == "4"
    s = load_json(run / "summary.json")
    assert (s["passed"], s["failed"]) == (3, 0)
    assert len(junit(run).findall(".//testcase")) == 3
    # nothing failed any more: rerun-failed runs nothing
    r = ms.run("--rerun-failed", run, results=False)
    assert r.returncode == 0 and log.read_text().count("ran") == 4


def test_shard_partition(ms):
    f = ms.write("sh.ms", """
        params:
          a: [1, 2, 3, 4, 5, 6, 7]
        end
        true
        """)
    ids = ms.ids(f)
    seen = []
    for k in (1, 2, 3):
        r = ms.run("--dry-run", "--shard", f"{k}/3", f)
        assert r.returncode == 0
        got = [l.split()[2] for l in r.stdout.splitlines() if l.startswith("would run")]
        assert got == [i for n, i in enumerate(ids) if n % 3 == k - 1]
        seen += got
    assert sorted(seen) == sorted(ids)
    assert not ms.results.exists()
    # the shard applies after -g
    r = ms.run("--dry-run", "--shard", "2/2", "-g", "a=[2-5]", f)
    assert [l.split()[2] for l in r.stdout.splitlines() if l.startswith("would")] == ["sh/a=3", "sh/a=5"]
    # a real sharded run records only its own cases
    r = ms.run("--shard", "1/3", f)
    assert r.returncode == 0
    s = load_json(ms.last_run() / "summary.json")
    assert [c["id"] for c in s["cases"]] == ["sh/a=1", "sh/a=4", "sh/a=7"]
    assert load_json(ms.last_run() / "manifest.json")["plan"]["shard"] == "1/3"


def test_repeat(ms):
    f = ms.write("rp.ms", """
        params:
          a: [x, y]
        end
        echo "rep $MS_REPEAT"
        """)
    r = ms.run("--repeat", "3", f)
    assert r.returncode == 0, r.stderr
    run = ms.last_run()
    for a in "xy":
        for i in (1, 2, 3):
            assert (run / f"rp/a={a}/rep-{i}/stdout").read_text() == f"rep {i}\n"
    s = load_json(run / "summary.json")
    assert s["total"] == 6
    assert [c["repeat"] for c in s["cases"]] == [1, 2, 3, 1, 2, 3]
    names = [c.get("name") for c in junit(run).findall(".//testcase")]
    assert names[0] == "a=x [rep-1]" and len(set(names)) == 6


def test_stop_at_first_failure(ms):
    f = ms.write("e.ms", """
        params:
          n: [1, 2, 3]
        end
        [ "$n" != 2 ]
        """)
    r = ms.run("-e", f)
    assert r.returncode == 1
    run = ms.last_run()
    s = load_json(run / "summary.json")
    assert [c["status"] for c in s["cases"]] == ["passed", "failed", "skipped"]
    assert len(junit(run).findall(".//testcase/skipped")) == 1
    r = ms.run(f)
    assert [c["status"] for c in load_json(ms.last_run() / "summary.json")["cases"]] == \
        ["passed", "failed", "passed"]


def test_dry_run_and_vars(ms):
    f = ms.write("d.ms", """
        default_params:
          who: world
        end
        echo "hello $who"
        """)
    r = ms.run("--dry-run", f)
    assert r.returncode == 0 and "would run d/default" in r.stdout
    assert not ms.results.exists()
    r = ms.run("--var", "who=you all", f)
    run = ms.last_run()
    assert (run / "d/default/stdout").read_text() == "hello you all\n"
    assert load_json(run / "manifest.json")["plan"]["vars"] == {"who": "you all"}


def test_junit_survives_hostile_output(ms):
    f = ms.write("x.ms", r"""
        printf 'a<b>&"c"\x00\x01\x1b[31m\xff\xfe end\n'
        printf '\xc3\xa9t\xc3\xa9 ]]> <![CDATA[\n' >&2
        head -c 100000 /dev/zero | tr '\0' 'z'
        exit 1
        """)
    r = ms.run(f)
    assert r.returncode == 1
    root = junit(ms.last_run())
    out = root.find(".//system-out").text
    err = root.find(".//system-err").text
    assert "bytes cut" in out and out.endswith("z" * 100)
    assert "été ]]> <![CDATA[" in err


def test_bad_cli(ms):
    f = ms.write("ok.ms", "true\n")
    for args in [["--shard", "0/2"], ["--shard", "3/2"], ["--shard", "x"], ["--repeat", "0"],
                 ["--timeout", "abc"], ["--var", "bad name=1"], ["--nope"],
                 ["--resume", str(ms.tmp / "nowhere")]]:
        r = ms.run(*args, f)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr
    assert ms.run_dirs() == []


def test_cleanup_fallback_after_sigkill(ms):
    # the body ignores SIGTERM, so it is SIGKILLed and its ms_cleanup never runs;
    # ms-run then runs the steps registered with ms_on_cleanup (lib/common.msh)
    mark = ms.tmp / "torn-down"
    f = ms.write("fb.ms", f"""
        #include {REPO}/scenarios/lib/common.msh
        timeout: 0.5
        ms_on_cleanup touch {mark}.first
        ms_on_cleanup touch {mark}
        trap '' TERM
        sleep 300
        """)
    r = ms.run("--grace", "0.3", f, timeout=30)
    assert r.returncode == 1
    d = ms.last_run() / "fb/default"
    assert (d / "status").read_text().strip() == "timeout"
    assert mark.exists() and Path(f"{mark}.first").exists()
    assert not (d / ".ms_cleanup_pending").exists()
    assert load_json(d / "timing.json")["fallback_cleanup"] is True
    # a normal run cleans up itself: no fallback
    f2 = ms.write("nofb.ms", f"""
        #include {REPO}/scenarios/lib/common.msh
        ms_on_cleanup touch {mark}.normal
        true
        """)
    assert ms.run(f2).returncode == 0
    d = ms.last_run() / "nofb/default"
    assert Path(f"{mark}.normal").exists()
    assert load_json(d / "timing.json")["fallback_cleanup"] is False


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/usr/sbin/ip") and not os.path.exists("/sbin/ip"),
                    reason="the netns lab needs root and iproute2")
def test_lab_torn_down_on_timeout(ms):
    # lib/lab.msh registers `tpa-lab down`: it must run whether the body is
    # stopped with SIGTERM (ms_cleanup) or SIGKILLed (ms-run's fallback)
    f = ms.write("labto.ms", f"""
        #include {REPO}/scenarios/lib/common.msh
        #include {REPO}/scenarios/lib/lab.msh
        params:
          mode: [term, stubborn]
        end
        timeout: 3
        lab_up
        echo "$LAB_NETNS" > ns.txt
        [ "$mode" = stubborn ] && trap '' TERM
        sleep 300
        """)
    try:
        r = ms.run("--grace", "1", f, timeout=60)
        assert r.returncode == 1, r.stdout + r.stderr
        run = ms.last_run()
        for mode in ["term", "stubborn"]:
            d = run / f"labto/mode={mode}"
            assert (d / "status").read_text().strip() == "timeout"
            ns = (d / "ns.txt").read_text().strip()
            assert ns.startswith("tpa-ms")
            nss = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
            assert ns not in nss.split(), f"{mode}: {ns} left behind"
        assert load_json(run / "labto/mode=stubborn/timing.json")["fallback_cleanup"] is True
    finally:
        for d in ms.results.rglob("ns.txt"):
            name = d.read_text().strip().removeprefix("tpa-")
            subprocess.run([str(REPO / "netns/tpa-lab"), "down", name], capture_output=True)
