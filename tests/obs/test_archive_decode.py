"""A forced RTO (the cmocka harness drops the peer's ACK, moves the clock past
the RTO, then ACKs) leaves an archive named <sid>-<seq>-rto-<recovery>ms.trace;
`tpa st` decodes it from its embedded parser and shows the retransmission."""
import os
import re
import subprocess

import pytest

import tpalab
from obs_common import TPA, need

HARNESS_TEST = tpalab.build_tool("stack/tests/test_trace_archive")


def test_rto_archive_decodes_with_retransmission(tmp_path):
    need(TPA)
    need(HARNESS_TEST)
    env = dict(os.environ, TPA_TEST_ARCHIVE_OUT=str(tmp_path))
    r = subprocess.run([str(HARNESS_TEST)], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    files = list(tmp_path.glob("*.trace"))
    assert len(files) == 1, files
    m = re.fullmatch(r"(\d+)-(\d+)-rto-(\d+\.\d)ms\.trace", files[0].name)
    assert m, files[0].name
    sid, recovery_ms = int(m.group(1)), float(m.group(3))

    r = subprocess.run([str(TPA), "st", str(files[0])], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    head = out.splitlines()[0]
    assert head.startswith("archive sid=%d " % sid) and "reasons=rto" in head, head
    us = int(re.search(r"recovery_us=(\d+)", head).group(1))
    assert abs(us / 1000 - recovery_ms) < 0.1
    assert "state => ESTABLISHED" in out
    # the first send and its retransmission, same sequence range, ~100 ms (the RTO) apart
    sends = re.findall(r"^\s*(\d+\.\d+) xmit pkt: seq=1 len=100 flags=PA .* retrans=(\d)$", out, re.M)
    assert [s[1] for s in sends] == ["0", "1"], out
    gap = float(sends[1][0]) - float(sends[0][0])
    assert 0.095 < gap < 0.2, out
    # then the ACK that ends the episode: 100 bytes beyond snd_una
    assert re.search(r"tcp_rcv: seq=1 flags=A win=\d+ ack=101 len=0 \.-snd_una=\+100", out), out
