"""Loss, reordering and duplication: transfers stay intact with the stack's
own fault injection on both directions (TPA_CFG fault.ingress / fault.egress)
and through the lab's userspace impairment relay (tpa-relay).

Run: TPA_BUILD=BUILD /usr/bin/pytest -q tests/stack/test_stack_faults.py (root)."""
import pytest

import stackutil as su

pytestmark = [pytest.mark.lab, pytest.mark.stack, pytest.mark.slow]

ECHO = 7
SRV = 5002
MiB = 1 << 20
FAULTS = "drop=0.02,reorder=0.05,dup=0.01"
FAULT_CFG = "fault.ingress=%s;fault.egress=%s" % (FAULTS, FAULTS)


def assert_echo(r, nbytes):
    assert not r.get("hung") and r.get("send_error") is None and r.get("recv_error") is None, r
    assert r["sent"] == nbytes and r["recv"] == nbytes, r
    assert r["recv_sha"] == r["sent_sha"], r


def test_fault_injection_echo_64mib(lab):
    """kernel -> techo -> kernel: both directions at once, faults both ways."""
    n = 64 * MiB
    p = su.run_example(lab, "techo", [ECHO], cfg=FAULT_CFG)
    r = su.peer_tool(lab, ["echo", lab.env["STACK_IP"], ECHO, "--bytes", n, "--timeout", 120],
                     timeout=150)
    ex = su.stop(lab, p)
    assert_echo(r, n)
    assert r["eof"], r
    assert ex.rc == 0, ex.log
    # the injection really ran: ingress drops are counted (2% of tens of thousands)
    assert ex.drops.get("fault_injected", 0) > 100, dict(ex.drops)


def test_fault_injection_stack_client_to_kernel_64mib(lab):
    """tclient -> kernel server, faults both ways on the stack."""
    n = 64 * MiB
    srv = su.PeerServer(lab, ["--bind", "0.0.0.0", "--port", SRV, "--shut-after-eof"],
                        timeout=150)
    rc, res, log = su.run_tclient(lab, ["--send", n, lab.env["PEER_IP"], SRV], cfg=FAULT_CFG,
                                  timeout=150)
    k = srv.result()
    assert rc == 0, log[-3000:]
    assert res["sent"] == n and k["recv"] == n and k["recv_sha"] == res["sent_sha"], (k, res)
    assert k["eof"] and k["recv_error"] is None, k
    assert res["closed"] in ("TIME_WAIT", "gone"), log[-3000:]


@pytest.mark.relay
def test_relay_impairment_echo(lab):
    """The same echo through tpa-relay (loss, duplication, reordering outside
    the stack, both directions); the relay's counters prove the impairment."""
    n = 32 * MiB
    lab.relay_up(["--loss", "1%", "--dup", "1%", "--reorder", "3%", "--reorder-gap", "1ms",
                  "--seed", 7])
    p = su.run_example(lab, "techo", [ECHO])
    r = su.peer_tool(lab, ["echo", lab.env["STACK_IP"], ECHO, "--bytes", n, "--timeout", 120],
                     timeout=150)
    stats = lab.relay_stats()
    ex = su.stop(lab, p)
    assert_echo(r, n)
    assert ex.rc == 0, ex.log
    for d in ("ab", "ba"):
        c = stats[d]["counters"]
        assert c["lost"] > 0 and c["duplicated"] > 0 and c["reordered"] > 0, (d, c)
