# SPDX-License-Identifier: BSD-3-Clause
"""Bad configuration is refused at start: a message naming where, the key and
the value; a non-zero exit; and nothing left behind (no TAP interface, no DPDK
runtime directory, no hugepage file)."""
import glob
import os
import subprocess

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("TPA_BUILD", os.path.join(TOP, "build"))
TECHO = os.path.join(BUILD, "stack", "examples", "techo")

BASE = "dpdk.vdev=net_tap0,iface=tpacfgt0;net.ip=10.203.0.2/24;dpdk.file_prefix=tpacfgt"

# the last field: the item is checked alone (its origin is named), or only
# against other keys once everything is read (a cross-key check names both keys)
CASES = [
    ("net.ip=10.1.2.300/24", "net.ip", "10.1.2.300/24"),
    ("net.ip=224.0.0.1/24", "net.ip", "224.0.0.1/24"),
    ("net.mtu=99999", "net.mtu", "99999"),
    ("net.mask=255.0.255.0", "net.mask", "255.0.255.0"),
    ("net.gw=192.168.77.1", "net.gw", "192.168.77.1", 'cross'),
    ("net.mac=01:00:00:00:00:01", "net.mac", "01:00:00:00:00:01"),
    ("dpdk.burst=0", "dpdk.burst", "0"),
    ("dpdk.mbuf_cache=8", "dpdk.mbuf_cache", "8", 'cross'),
    ("worker.idle=sometimes", "worker.idle", "sometimes"),
    ("tcp.cc=bbr", "tcp.cc", "bbr"),
    ("tcp.sack=maybe", "tcp.sack", "maybe"),
    ("fault.ingress=drop=2", "fault.ingress", "drop=2"),
    ("net.bogus=1", "net.bogus", None),
    ("novalue", "novalue", None),
]


def leftovers():
    taps = subprocess.run(["ip", "-o", "link", "show", "tpacfgt0"], capture_output=True).returncode == 0
    return taps, glob.glob("/var/run/dpdk/tpacfgt*"), glob.glob("/dev/hugepages/tpacfgt*")


def run(env_cfg, extra_env=None, cwd=None):
    env = dict(os.environ, TPA_CFG=env_cfg)
    env.pop("TPA_CFG_FILE", None)
    if extra_env:
        env.update(extra_env)
    return subprocess.run([TECHO, "7"], capture_output=True, text=True, env=env, timeout=60, cwd=cwd or "/tmp")


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_env_value(case):
    item, key, value = case[:3]
    p = run(BASE + ";" + item)
    assert p.returncode != 0
    assert "config error" in p.stderr
    if len(case) == 3:
        assert "$TPA_CFG item 4" in p.stderr, p.stderr
    else:
        assert "not on the local subnet of net.ip" in p.stderr or "at least dpdk.burst" in p.stderr
    assert key in p.stderr, p.stderr
    if value:
        assert "'%s'" % value in p.stderr, p.stderr
    assert leftovers() == (False, [], [])


def test_bad_file_value_names_file_and_line(tmp_path):
    cfg = tmp_path / "tpa.cfg"
    cfg.write_text("# test\n[net]\nip = 10.203.0.2/24\nmtu = 12\n")
    p = run("dpdk.vdev=net_tap0,iface=tpacfgt0;dpdk.file_prefix=tpacfgt", {"TPA_CFG_FILE": str(cfg)})
    assert p.returncode != 0
    assert "%s:4: key 'net.mtu': bad value '12'" % cfg in p.stderr, p.stderr
    assert leftovers() == (False, [], [])


def test_missing_file_is_an_error(tmp_path):
    p = run(BASE, {"TPA_CFG_FILE": str(tmp_path / "nope.cfg")})
    assert p.returncode != 0
    assert "nope.cfg: cannot open config file" in p.stderr


def test_env_overrides_file(tmp_path):
    """Precedence: defaults < file < $TPA_CFG — a bad file value fixed by the env still fails
    (the file is read first and rejected), while a good file value is overridden."""
    cfg = tmp_path / "tpa.cfg"
    cfg.write_text("net.mtu = 1400\n")
    p = run(BASE + ";net.mtu=99999", {"TPA_CFG_FILE": str(cfg)})
    assert p.returncode != 0 and "'99999'" in p.stderr


def test_missing_ip_is_explained():
    p = run("dpdk.vdev=net_tap0,iface=tpacfgt0;dpdk.file_prefix=tpacfgt")
    assert p.returncode != 0
    assert "net.ip" in p.stderr and "not set" in p.stderr
    assert leftovers() == (False, [], [])


def test_bad_device_fails_cleanly():
    p = run("dpdk.vdev=net_nosuchdriver0;net.ip=10.203.0.2/24;dpdk.file_prefix=tpacfgt")
    assert p.returncode != 0
    assert leftovers() == (False, [], [])


def test_usage_errors_exit_2():
    for args in ([], ["0"], ["70000"], ["-n", "0", "7"], ["-x", "7"]):
        p = subprocess.run([TECHO] + args, capture_output=True, text=True, timeout=30)
        assert p.returncode == 2, (args, p.stderr)
        assert "usage" in p.stderr
