"""tperf integrity on every fabric (tperf/fabric-run), and l2pp.

Each case is one `tperf/fabric-run FABRIC -- -t MODE -m SIZE -W Z -i -d 1`:
the payload is the pattern stream checked byte by byte by both sides, so a
lost, duplicated, reordered or corrupted byte fails the case with the offset.

Default run (~3-4 minutes on the 2-core VM): every mode (read, write, rw, rr,
crr) at 1 B, 1000 B, 64 KiB and 1 MiB on memif and TAP, zero-copy write on for
two of the sizes and off for the other two in each mode; a smaller set on vhost
and veth; l2pp on all four; and two controls that must fail (a corrupting
fault caught by l2pp integrity, a server that is not there).
TPERF_FABRIC_FULL=1 runs the full matrix (every fabric x mode x size x -W),
which scenarios/tperf-rw.ms also covers.

Needs root and hugepages; tperf from $TPERF or $TPA_BUILD/tperf/tperf.
"""
import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FABRIC_RUN = ROOT / "tperf" / "fabric-run"
TPERF = Path(os.environ.get("TPERF") or
             Path(os.environ.get("TPA_BUILD", str(ROOT / "build"))) / "tperf" / "tperf")

MODES = ["read", "write", "rw", "rr", "crr"]
SIZES = {"1B": "1", "1000B": "1000", "64K": "64K", "1M": "1M"}
FABRICS = ["memif", "vhost", "tap", "veth"]

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(not TPERF.exists(), reason="%s not built (set TPERF or TPA_BUILD)" % TPERF),
]


def _cases():
    if os.environ.get("TPERF_FABRIC_FULL") == "1":
        return [(f, t, s, z) for f in FABRICS for t in MODES for s in SIZES for z in (0, 1)]
    cases = []
    for f in ("memif", "tap"):
        for t in MODES:
            # each mode sees every size, and -W 0 and -W 1 twice each
            for i, s in enumerate(SIZES):
                cases.append((f, t, s, (i + MODES.index(t)) % 2))
    for t in MODES:
        cases.append(("vhost", t, "64K", 1))
    cases += [("vhost", "rr", "1B", 0), ("vhost", "write", "1M", 0)]
    for t in MODES:
        cases.append(("veth", t, "1000B", 0))
    cases.append(("veth", "rw", "1M", 0))
    return cases


def fabric_run(tmp_path, fabric, args, extra=(), timeout=90):
    out = tmp_path / "client.json"
    cmd = [str(FABRIC_RUN), "--tperf", str(TPERF), "-q", "--timeout", "60", *extra, fabric, "--",
           *args, "--json", str(out)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout)
    res = json.loads(out.read_text()) if out.exists() else None
    return p, res


def assert_clean(tmp_path):
    """Nothing of the run is left: no lab state dir, no DPDK runtime dir of its prefixes."""
    left = [p for p in Path("/run/tpa-lab").glob("f*") if (p / "owner").exists()
            and (p / "owner").read_text().strip() == os.environ.get("TPA_LAB_OWNER", "")]
    assert not left, "fabric-run left %s" % left


@pytest.mark.parametrize("fabric,mode,size,zc", _cases(),
                         ids=lambda v: str(v) if not isinstance(v, int) else "W%d" % v)
def test_integrity(tmp_path, fabric, mode, size, zc):
    args = ["-t", mode, "-m", SIZES[size], "-W", str(zc), "-i", "-d", "1"]
    p, res = fabric_run(tmp_path, fabric, args)
    assert p.returncode == 0, p.stdout[-3000:]
    assert res is not None and res["status"] == "ok", p.stdout[-3000:]
    assert res["errors"]["integrity"] == 0
    assert res["options"]["integrity"] is True
    t = res["throughput"]
    # something was really checked: payload moved (both ways where the mode says so)
    assert t["bytes_tx"] + t["bytes_rx"] > 0, res["throughput"]
    if mode in ("read", "rw", "rr", "crr"):
        assert t["bytes_rx"] > 0
    if mode in ("write", "rw", "rr", "crr"):
        assert t["bytes_tx"] > 0
    if mode in ("rr", "crr"):
        assert res["latency"]["summary"]["count"] > 0
    assert_clean(tmp_path)


@pytest.mark.parametrize("fabric", FABRICS)
def test_l2pp(tmp_path, fabric):
    p, res = fabric_run(tmp_path, fabric, ["-t", "l2pp", "-m", "1000", "-i", "-d", "1", "--warmup", "0.3"])
    assert p.returncode == 0, p.stdout[-3000:]
    assert res["status"] == "ok" and res["options"]["test"] == "l2pp"
    lat = res["latency"]["summary"]
    assert lat["count"] > 100 and 0 < lat["p50"] <= lat["p99"] <= lat["max"]
    # one frame each way per ping: bytes = 2 x frame x pings
    assert res["throughput"]["bytes_tx"] == 1000 * lat["count"]
    assert_clean(tmp_path)


def test_l2pp_catches_corruption(tmp_path):
    """Control: the client stack flips bytes of its own frames (fault.egress); with
    no IP/TCP checksum on the way, only the l2pp integrity check can see it."""
    # 5% of frames: thousands of corrupted l2pp frames per second, while the TCP
    # control connection (which the same fault hits) still connects in time
    p, res = fabric_run(tmp_path, "memif", ["-t", "l2pp", "-m", "1000", "-i", "-d", "1",
                                            "--connect-timeout", "10"],
                        extra=["--client-cfg", "fault.egress=corrupt=0.05"])
    assert p.returncode == 1, p.stdout[-3000:]
    assert res["status"] == "error" and "integrity" in res["error"], res.get("error")
    assert res["errors"]["integrity"] >= 1
    # and the same run without -i passes: the check is what catches it
    p, res = fabric_run(tmp_path, "memif", ["-t", "l2pp", "-m", "1000", "-d", "1",
                                            "--connect-timeout", "10"],
                        extra=["--client-cfg", "fault.egress=corrupt=0.05"])
    assert p.returncode == 0, p.stdout[-3000:]
    assert_clean(tmp_path)


def test_bad_arguments_leave_nothing(tmp_path):
    for extra, args in ([["pipe"], []], [[], ["-c", "1.2.3.4"]], [["--cpus", "x"], []]):
        fab = extra if extra and extra[0] == "pipe" else [*extra, "memif"]
        cmd = [str(FABRIC_RUN), "--tperf", str(TPERF), *fab, "--", "-t", "rr", *args]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
        assert p.returncode == 2, (cmd, p.stdout)
    p = subprocess.run([str(TPERF), "-c", "10.0.0.1", "-t", "l2pp", "-m", "59"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert p.returncode == 2 and "60..9014" in p.stdout
    assert_clean(tmp_path)
