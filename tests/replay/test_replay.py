"""pcap replay into the stack.

Deterministic: techo reads a crafted capture through DPDK's net_pcap vdev
(rx_pcap) and writes what it sends to another (tx_pcap); the output must hold
the ARP reply, the echo reply and the SYN-ACK, and every garbage frame must
be counted under its drop reason.

Live: the same capture, and a pile of malformed frames, replayed with
tcpreplay from a lab's peer namespace (tests/replay/replay.sh): the stack
keeps running, answers ping, and counts the drops by reason."""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tpalab

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TECHO = tpalab.build_tool("stack/examples/techo")
CRAFT_ADDR = dict(stack_ip="10.9.0.2", stack_mac="02:00:00:00:09:02", peer_ip="10.9.0.1",
                  peer_mac="02:00:00:00:09:01")
FROM = "{stack_ip},{stack_mac},{peer_ip},{peer_mac}".format(**CRAFT_ADDR)
PORT = 7

pytestmark = pytest.mark.stack


@pytest.fixture(autouse=True)
def _need_techo():
    if not TECHO.exists():
        pytest.skip("%s not built (set TPA_BUILD)" % TECHO)
    if os.geteuid() != 0:
        pytest.skip("DPDK needs root")


def craft(tmp_path):
    pcap, exp = tmp_path / "in.pcap", tmp_path / "expect.json"
    args = []
    for k, v in CRAFT_ADDR.items():
        args += ["--" + k.replace("_", "-"), v]
    subprocess.run(["/usr/bin/python3", str(HERE / "craft.py"), str(pcap), *args, "--port", str(PORT),
                    "--expect", str(exp)], check=True, capture_output=True, timeout=60)
    return pcap, json.loads(exp.read_text())


def counters(text):
    """techo's exit report -> (stats of worker 0, {reason: n})."""
    stats, drops = {}, {}
    for line in text.splitlines():
        m = re.match(r"worker 0: drop (\w+)=(\d+)$", line)
        if m:
            drops[m.group(1)] = int(m.group(2))
        elif line.startswith("worker 0: rx_pkts="):
            stats = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
    return stats, drops


def test_pcap_vdev_answers_and_counts_drops(tmp_path):
    pcap, exp = craft(tmp_path)
    out = tmp_path / "out.pcap"
    prefix = "tpa-replay-%d" % os.getpid()
    cfg = ";".join([
        "dpdk.vdev=net_pcap0,rx_pcap=%s,tx_pcap=%s" % (pcap, out),
        "net.ip=%s/24" % CRAFT_ADDR["stack_ip"], "net.mac=" + CRAFT_ADDR["stack_mac"],
        "dpdk.file_prefix=" + prefix, "dpdk.mem_mb=64", "dpdk.nr_mbuf=2048",
        "obs.run_dir=%s" % (tmp_path / "run")])
    p = subprocess.Popen([str(TECHO), str(PORT)], env=dict(os.environ, TPA_CFG=cfg),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(1.5)         # the whole capture is read in the first polls; the idle loop never ends
        p.send_signal(signal.SIGTERM)
        text, _ = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, text
    stats, drops = counters(text)
    assert stats["rx_pkts"] == exp["frames"], text
    # every garbage frame counted once, under its reason, and nothing else dropped
    assert drops == exp["drops"], text

    sys.path.insert(0, str(HERE))
    from scapy.all import ARP, ICMP, TCP, rdpcap
    sent = rdpcap(str(out))
    arp = [f for f in sent if ARP in f and f[ARP].op == 2]
    echo = [f for f in sent if ICMP in f and f[ICMP].type == 0]
    synack = [f for f in sent if TCP in f and f[TCP].flags == "SA"]
    assert arp and arp[0][ARP].psrc == CRAFT_ADDR["stack_ip"] and arp[0][ARP].pdst == CRAFT_ADDR["peer_ip"]
    assert arp[0][ARP].hwsrc == CRAFT_ADDR["stack_mac"]
    assert echo and echo[0][ICMP].id == 0x7461 and bytes(echo[0][ICMP].payload) == b"tpa-replay-echo"
    assert synack and synack[0][TCP].dport == 40001 and synack[0][TCP].ack == 1001
    # nothing answered a garbage frame (the gratuitous ARP at start is the only extra)
    assert len(sent) - len(arp) - len(echo) - len(synack) <= 1, [f.summary() for f in sent]
    assert not Path("/var/run/dpdk", prefix).exists()


def malformed_capture(tmp_path, n=400):
    """Truncated, bit-flipped and field-smashed frames: the fuzzer's seed generator."""
    seeds = tmp_path / "seeds"
    subprocess.run(["/usr/bin/python3", str(REPO / "stack/fuzz/gen_corpus.py"), str(seeds)], check=True,
                   capture_output=True, timeout=120)
    from scapy.utils import RawPcapWriter
    out = tmp_path / "malformed.pcap"
    w = RawPcapWriter(str(out), linktype=1, sync=True)
    files = sorted(seeds.iterdir())[:n]
    for f in files:
        w.write(f.read_bytes())
    w.close()
    return out, len(files)


@pytest.mark.lab
def test_live_replay_keeps_the_stack_answering(lab, tmp_path):
    pcap, exp = craft(tmp_path)
    bad, nbad = malformed_capture(tmp_path)
    p = lab.run_stack([TECHO, PORT], env={"TPA_CFG": "obs.run_dir=%s;dpdk.mem_mb=128;dpdk.nr_mbuf=4096"
                                                     % (tmp_path / "run")})
    replay = HERE / "replay.sh"
    sent = 0
    for cap, frm in ((pcap, FROM), (bad, "10.0.0.2,02:00:00:00:00:02,10.0.0.1,02:00:00:00:00:01")):
        r = subprocess.run([str(replay), lab.name, str(cap), "--from", frm, "--pps", "2000"],
                           capture_output=True, text=True, timeout=120, env=tpalab.tool_env())
        assert r.returncode == 0, r.stdout + r.stderr
        assert "replay: OK" in r.stdout
        sent += int(re.search(r"sent=(\d+)", r.stdout).group(1))
    # any capture without --from (everything becomes peer -> stack) and at top speed
    r = subprocess.run([str(replay), lab.name, str(bad), "--topspeed"], capture_output=True, text=True,
                       timeout=120, env=tpalab.tool_env())
    assert r.returncode == 0, r.stdout + r.stderr
    sent += int(re.search(r"sent=(\d+)", r.stdout).group(1))
    assert p.poll() is None, "the stack died:\n" + tpalab.read_log(p)
    assert lab.stop_stack(p) == 0
    stats, drops = counters(tpalab.read_log(p))
    # the crafted garbage is counted by reason (tcpreplay does not send the 10-byte frame)
    for reason, n in exp["drops"].items():
        if reason != "short_frame":
            assert drops.get(reason, 0) >= n, (reason, drops)
    # and the malformed pile too: drops everywhere, every one with a reason
    assert sum(drops.values()) >= nbad // 2, drops
    # every frame tcpreplay sent reached the stack (pings and ARP come on top)
    assert stats["rx_pkts"] >= sent, (stats, sent)
