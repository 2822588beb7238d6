"""`tpa st` decodes from the parser text inside the file, not from its own idea
of the layout: a trace file written with an OLDER record layout (fields
reordered, other offsets, different enum names, a record type the current
stack does not have) still decodes correctly with the current tool.

The fixture is written here, independently of the stack's C code, exactly as
docs/observability.md describes the format.
"""
import struct
import subprocess
import time

import pytest

from obs_common import TPA, need

ISS = 0xFFFFFFF0          # wraps: relative sequence numbers must still be right
IRS = 1000
CREATED_NS = 1_700_000_000_123_456_000

OLD_PARSER = """tpa-trace 1
layout nr_slot=2 slot_size=4096 meta=2112 ring=0 records=256
ring head:u64@0 mask:u32@8 rec:8@16
meta rport:be16@0 lport:be16@2 rip:ip4@4 lip:ip4@8 sid:u32@12 gen:u32@16 state:u8:st@20 worker:u8@21 iss:u32@24 irs:u32@28 created_ns:u64@32
enum st closed listen synsent synrcvd established
bits fl FIN SYN RST PSH ACK
some-future-line that=this tool does not know
rec 3 ts2 us:u56:time
rec 5 state new:u8:st old:u8:st ms:u32 | state => {new} (from {old}, {ms} ms)
rec 9 xmit_seq seq:u32:sseq len:u16 flags:u8:fl | xmit pkt: seq={seq} len={len} flags={flags}
rec 7 rcv ack:u32:sseq win:u16 -:u8 | tcp_rcv: ack={ack} win={win} .-snd_una={ack-snd_una}
rec 12 una snd_una:u32:sseq | snd_una={snd_una}
rec 40 sack_blk left:u32 len:u16 n:u8 | sack block: left={left} len={len} n={n}
"""


def rec(t, *fields):
    """Pack one 8-byte record: type byte, then (value, nbytes) fields in order."""
    b = bytes([t])
    for v, n in fields:
        b += v.to_bytes(n, "little")
    return b.ljust(8, b"\0")


def write_old_file(path):
    records = [
        rec(3, (1000, 7)),                                   # t = 1 ms
        rec(5, (4, 1), (3, 1), (7, 4)),                      # synrcvd -> established after 7 ms
        rec(3, (1500, 7)),
        rec(9, ((ISS + 1) & 0xFFFFFFFF, 4), (5, 2), (0x18, 1)),   # PSH|ACK, 5 bytes at iss+1
        rec(3, (2500, 7)),
        rec(12, ((ISS + 1) & 0xFFFFFFFF, 4)),
        rec(7, ((ISS + 6) & 0xFFFFFFFF, 4), (512, 2), (0, 1)),
        rec(40, (77, 4), (5, 2), (1, 1)),
        rec(99, (0xABCDEF, 4)),                              # not in the parser at all
    ]
    slot = bytearray(4096)
    # ring: head u64 @0, mask u32 @8, records @16
    struct.pack_into("<QI", slot, 0, len(records), 255)
    for i, r in enumerate(records):
        slot[16 + 8 * i:24 + 8 * i] = r
    # meta @2112 (fields in this old order, big-endian ports, ip4 as bytes)
    m = 2112
    struct.pack_into(">HH", slot, m, 4242, 80)
    slot[m + 4:m + 8] = bytes([10, 9, 8, 7])
    slot[m + 8:m + 12] = bytes([10, 1, 2, 3])
    struct.pack_into("<IIBB", slot, m + 12, 5, 1, 4, 1)
    struct.pack_into("<IIQ", slot, m + 24, ISS, IRS, CREATED_NS)
    data = bytes(slot) + bytes(4096)            # slot 1: never used (gen 0)
    parser = OLD_PARSER.encode()
    data_off = (128 + len(parser) + 1 + 63) // 64 * 64
    size = data_off + len(data)
    hdr = b"TPAMEMF1" + struct.pack("<IIQQQII", 1, 128, size, data_off, 128, len(parser), 1234)
    hdr += b"trace".ljust(32, b"\0") + struct.pack("<QQQ", CREATED_NS, 2_000_000_000, 0)
    hdr = hdr.ljust(128, b"\0")
    blob = hdr + parser
    blob = blob.ljust(data_off, b"\0") + data
    assert len(blob) == size
    path.write_bytes(blob)


def st(*args):
    need(TPA)
    return subprocess.run([str(TPA), "st", *map(str, args)], capture_output=True, text=True, timeout=30)


def test_old_layout_decodes_relative(tmp_path):
    f = tmp_path / "old.trace"
    write_old_file(f)
    r = st(f)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("sock 5 (worker 1) 10.1.2.3:80 -> 10.9.8.7:4242 established: 9 records"), lines[0]
    body = [l.strip() for l in lines[1:]]
    assert body == [
        "0.001000 state => established (from synrcvd, 7 ms)",
        "0.001500 xmit pkt: seq=1 len=5 flags=PSHACK",
        "0.002500 snd_una=1",
        "0.002500 tcp_rcv: ack=6 win=512 .-snd_una=+5",
        "0.002500 sack block: left=77 len=5 n=1",
        "0.002500 unknown record type 99: 0x00000000abcdef63",  # the raw record
    ], r.stdout


def test_old_layout_decodes_absolute(tmp_path):
    f = tmp_path / "old.trace"
    write_old_file(f)
    r = st(f, "--abs", "-s", 5)
    assert r.returncode == 0, r.stderr
    t = time.localtime(CREATED_NS // 10**9)
    want_clock = "%02d:%02d:%02d.%06d" % (t.tm_hour, t.tm_min, t.tm_sec, (CREATED_NS % 10**9) // 1000 + 1500)
    assert "%s xmit pkt: seq=%d len=5 flags=PSHACK" % (want_clock, (ISS + 1) & 0xFFFFFFFF) in r.stdout, r.stdout


def test_missing_socket_and_bad_files_fail(tmp_path):
    f = tmp_path / "old.trace"
    write_old_file(f)
    r = st(f, "-s", 6)
    assert r.returncode == 1 and "no trace for socket 6" in r.stderr
    junk = tmp_path / "junk.trace"
    junk.write_bytes(b"x" * 300)
    r = st(junk)
    assert r.returncode == 1 and "not a tpa mem file" in r.stderr
    # a truncated file is refused, not read past its end
    blob = f.read_bytes()
    short = tmp_path / "short.trace"
    short.write_bytes(blob[:len(blob) - 100])
    r = st(short)
    assert r.returncode == 1 and "truncated" in r.stderr
    r = st(f, "--bogus")
    assert r.returncode == 2
