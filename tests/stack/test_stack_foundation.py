"""Foundation: the stack answers ARP and ping from the Linux kernel, drops and
counts malformed frames by reason, and two instances run side by side.

Run: TPA_BUILD=BUILD /usr/bin/pytest -q tests/stack/test_foundation.py (root)."""
import re

import pytest

import stackutil as su

pytestmark = [pytest.mark.lab, pytest.mark.stack]

PORT = 7

# malformed frame kind (peer_tool.py frames) -> the stack's drop reason
FRAME_REASON = {
    "ip_short": "ip_short",
    "ip_bad_ihl": "ip_bad_hdr_len",
    "ip_ihl_past_frame": "ip_bad_hdr_len",
    "ip_total_len": "ip_bad_total_len",
    "ip_bad_csum": "ip_bad_csum",
    "ip_version": "ip_bad_version",
    "ip_fragment": "ip_fragment",
    "ip_ttl_zero": "ip_ttl_zero",
    "not_for_us_mac": "not_for_us",
    "arp_bad_hw": "arp_malformed",
    "arp_short": "arp_malformed",
    "arp_bad_op": "arp_malformed",
    "arp_not_for_us": "arp_not_for_us",
    "unknown_ethertype": "unknown_ethertype",
    "ip_not_for_us": "ip_not_for_us",
    "ip_unknown_proto": "ip_unknown_proto",
    "icmp_bad_csum": "icmp_bad_csum",
    "icmp_unhandled": "icmp_unhandled",
}
# the kernel's own frames (e.g. IPv6 multicast sent while the TAP was still in
# the root namespace) may land in these; nothing else may appear
BACKGROUND = {"not_for_us": 8, "unknown_ethertype": 8}


def ping(lab, count, interval="0.05", timeout=30):
    r = lab.peer(["ping", "-c", count, "-i", interval, "-W", "2", lab.env["STACK_IP"]],
                 timeout=timeout)
    m = re.search(r"(\d+) packets transmitted, (\d+) received", r.stdout)
    assert m, "no ping summary:\n%s%s" % (r.stdout, r.stderr)
    return int(m.group(1)), int(m.group(2))


def tap_tx_dropped(lab):
    """Frames the peer's TAP could not hand to the stack (queue full)."""
    r = lab.peer(["cat", "/sys/class/net/%s/statistics/tx_dropped" % lab.env["IFACE"]])
    return int(r.stdout.strip() or 0)


def test_ping_and_neighbour(lab):
    p = su.run_example(lab, "techo", [PORT])
    assert ping(lab, 20) == (20, 20)
    r = lab.peer(["ip", "neigh", "show", lab.env["STACK_IP"], "dev", lab.env["IFACE"]])
    assert lab.env["STACK_MAC"].lower() in r.stdout.lower(), r.stdout
    ex = su.stop(lab, p)
    assert ex.rc == 0, ex.log
    # 20 requests + ARP at least came in, 20 replies + ARP went out
    assert ex.workers[0]["rx_pkts"] >= 21 and ex.workers[0]["tx_pkts"] >= 21, ex.log


def test_malformed_frames_dropped_by_reason(lab):
    count = 10000 // len(FRAME_REASON) + 1     # >= 10,000 frames in all
    p = su.run_example(lab, "techo", [PORT])
    assert ping(lab, 3) == (3, 3)              # neighbours learned both ways
    # room for the whole storm in the TAP's queue: on a loaded machine the
    # stack may not be scheduled for a while, and a frame the kernel drops
    # before the stack sees it would break the exact counts
    lab.peer(["ip", "link", "set", "dev", lab.env["IFACE"], "txqueuelen", "20000"], check=True)
    before = tap_tx_dropped(lab)
    sent = su.peer_tool(lab, [
        "frames", "--iface", lab.env["IFACE"], "--dst-mac", lab.env["STACK_MAC"],
        "--src-mac", lab.env["PEER_MAC"], "--dst-ip", lab.env["STACK_IP"],
        "--src-ip", lab.env["PEER_IP"], "--kinds", ",".join(FRAME_REASON), "--count", count,
        "--seed", 11], timeout=150)
    assert sent["total"] >= 10000, sent
    assert tap_tx_dropped(lab) == before, "the TAP dropped frames: counts would not match"
    # still alive and answering after the storm
    assert ping(lab, 5) == (5, 5)
    ex = su.stop(lab, p)
    assert ex.rc == 0, ex.log

    expected = {}
    for kind, n in sent["sent"].items():
        expected[FRAME_REASON[kind]] = expected.get(FRAME_REASON[kind], 0) + n
    for reason in set(expected) | set(ex.drops):
        want, got = expected.get(reason, 0), ex.drops.get(reason, 0)
        slack = BACKGROUND.get(reason, 0)
        assert want <= got <= want + slack, "drop %s: sent %d, counted %d\nall drops: %s" % (
            reason, want, got, dict(ex.drops))


def test_two_instances_at_once(lab_factory):
    a, b = lab_factory(), lab_factory()
    pa = su.run_example(a, "techo", [PORT])
    pb = su.run_example(b, "techo", [PORT])
    assert ping(a, 5) == (5, 5)
    assert ping(b, 5) == (5, 5)
    ra = su.peer_tool(a, ["echo", a.env["STACK_IP"], PORT, "--bytes", 1 << 20, "--timeout", 30])
    rb = su.peer_tool(b, ["echo", b.env["STACK_IP"], PORT, "--bytes", 1 << 20, "--timeout", 30])
    for r in (ra, rb):
        assert r["recv"] == r["sent"] == 1 << 20 and r["recv_sha"] == r["sent_sha"], r
    ea, eb = su.stop(a, pa), su.stop(b, pb)
    assert ea.rc == 0 and eb.rc == 0, ea.log + eb.log
    # each instance saw its own traffic only
    assert ea.workers[0]["rx_bytes"] >= 1 << 20 and eb.workers[0]["rx_bytes"] >= 1 << 20
