#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Generate synthetic ms-run run directories of tperf results (tpa.tperf/1).

Latencies are drawn from a log-normal body with a rare exponential tail,
multiplied by (1 + shift) and by a per-repetition drift factor (the noise a
shared machine adds between runs). Two runs with the same shift and different
seeds are an A/A pair; a positive shift makes a "slower" run.

    gen_runs.py --out RUNS --run-id base --seed 1 [--shift 0.2] [--reps 5]
"""
import argparse
import json
import math
import os
import random

DEFAULT_CASES = ["lat/test=rr__message_size=64", "lat/test=rr__message_size=1024"]


def hdr_lowest(v):
    """Lowest value of v's bucket in a 3-significant-digit HdrHistogram."""
    v = max(1, int(v))
    if v < 2048:
        return v
    unit = 1 << (v.bit_length() - 11)
    return v & ~(unit - 1)


def pct(sorted_vals, p):
    if not sorted_vals:
        return 0
    i = max(0, math.ceil(p / 100.0 * len(sorted_vals)) - 1)
    return sorted_vals[i]


def make_result(rng, shift, drift, n_lat, message_size, duration_s=10, commit="0" * 40,
                base_ns=20000.0, sigma=0.25, tail_p=0.01, tail_ns=100000.0):
    """One tperf result dict; drift is the log-sd of a per-repetition factor."""
    factor = (1.0 + shift) * math.exp(rng.gauss(0.0, drift))
    lats = []
    for _ in range(n_lat):
        v = rng.lognormvariate(math.log(base_ns), sigma)
        if rng.random() < tail_p:
            v += rng.expovariate(1.0 / tail_ns)
        lats.append(v * factor)
    per_s = [lats[i::duration_s] for i in range(duration_s)]
    mean = sum(lats) / len(lats)
    s = sorted(lats)
    msgs_per_s = 1e9 / mean
    bytes_per_msg = 2 * message_size
    hist = {}
    for v in lats:
        b = hdr_lowest(v)
        hist[b] = hist.get(b, 0) + 1
    var = sum((x - mean) ** 2 for x in lats) / len(lats)
    samples = []
    for t, chunk in enumerate(per_s, 1):
        cs = sorted(chunk)
        m = msgs_per_s * len(chunk) / (len(lats) / duration_s)
        samples.append({"t": t, "bytes": int(m * bytes_per_msg), "messages": int(m),
                        "connections": 0, "p50": int(pct(cs, 50)), "p99": int(pct(cs, 99))})
    return {
        "schema": "tpa.tperf/1",
        "tool": {"name": "tperf", "version": "0.1.0", "git_commit": commit, "git_dirty": False},
        "host": {"hostname": "synthetic", "cpu_model": "gen_runs.py", "cores": 2,
                 "kernel": "6.1.0", "dpdk_version": "DPDK 22.11", "tsc_hz": 2400000000},
        "options": {"role": "client", "test": "rr", "backend": "kernel", "threads": 1,
                    "connections": 1, "message_size": message_size, "duration_s": duration_s,
                    "warmup_s": 1, "port": 5201, "server": "127.0.0.1", "zero_copy_write": 0,
                    "integrity": False, "rate": 0, "loop": "closed"},
        "started_at": "2026-01-01T00:00:00Z",
        "duration_s": float(duration_s),
        "status": "ok",
        "error": None,
        "throughput": {"bytes": int(msgs_per_s * duration_s * bytes_per_msg),
                       "gbit_per_s": msgs_per_s * bytes_per_msg * 8 / 1e9,
                       "messages": int(msgs_per_s * duration_s), "messages_per_s": msgs_per_s,
                       "connections": 1, "connections_per_s": 0.0},
        "cpu": {"per_thread": [{"thread": 0, "user_s": 1.0, "sys_s": 2.0}], "total_s": 3.0,
                "ns_per_op": 1500.0 * factor},
        "errors": {"integrity": 0, "connect": 0, "reset": 0, "timeouts": 0},
        "stack": {"retrans_pkts": 0, "rto": 0, "fast_retrans": 0, "drops": {}},
        "latency": {
            "unit": "ns", "what": "rr: synthetic",
            "summary": {"count": len(lats), "min": int(s[0]), "mean": mean,
                        "stddev": math.sqrt(var), "p50": int(pct(s, 50)), "p90": int(pct(s, 90)),
                        "p99": int(pct(s, 99)), "p99_9": int(pct(s, 99.9)),
                        "p99_99": int(pct(s, 99.99)), "max": int(s[-1])},
            "histogram": {"lowest": 1, "highest": 3600000000000, "significant_digits": 3,
                          "counts": [[k, hist[k]] for k in sorted(hist)]},
        },
        "samples": samples,
        "stages": {},
    }


def gen_run(out, run_id, seed, shift=0.0, reps=5, cases=None, commit="0" * 40, drift=0.02,
            n_lat=4000, started_at="2026-01-01T00:00:00Z", no_reps=False, fail_reps=0,
            extra_json=False):
    """Write <out>/<run_id>/ and return its path."""
    rng = random.Random(seed)
    run = os.path.join(out, run_id)
    os.makedirs(run, exist_ok=True)
    for case in cases or DEFAULT_CASES:
        size = 64
        for part in case.split("/")[-1].split("__"):
            if part.startswith("message_size="):
                size = int(part.split("=", 1)[1])
        cdir = os.path.join(run, case)
        for r in range(1 if no_reps else reps):
            d = cdir if no_reps else os.path.join(cdir, "rep-%d" % (r + 1))
            os.makedirs(d, exist_ok=True)
            res = make_result(rng, shift, drift, n_lat, size, commit=commit)
            failed = r < fail_reps
            if failed:
                res["status"] = "error"
                res["error"] = "synthetic failure"
            with open(os.path.join(d, "result.json"), "w") as f:
                json.dump(res, f)
            with open(os.path.join(d, "status"), "w") as f:
                f.write("1\n" if failed else "0\n")
            if extra_json:
                # A server-side result and an unrelated JSON must not count as samples.
                srv = dict(res, options=dict(res["options"], role="server"))
                srv["throughput"] = dict(res["throughput"], gbit_per_s=1e6)
                with open(os.path.join(d, "server.json"), "w") as f:
                    json.dump(srv, f)
                with open(os.path.join(d, "other.json"), "w") as f:
                    json.dump({"schema": "something/else", "p50": 1}, f)
    with open(os.path.join(run, "manifest.json"), "w") as f:
        json.dump({"git_commit": commit, "git_dirty": False, "host": {"hostname": "synthetic"},
                   "started_at": started_at, "command": "gen_runs.py"}, f)
    with open(os.path.join(run, "summary.json"), "w") as f:
        json.dump({"cases": len(cases or DEFAULT_CASES)}, f)
    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--run-id", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shift", type=float, default=0.0, help="relative latency shift, 0.2 = 20%% slower")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--case", action="append", help="scenario/case-id (repeatable)")
    ap.add_argument("--commit", default="0" * 40)
    ap.add_argument("--drift", type=float, default=0.02, help="log-sd of the per-repetition factor")
    ap.add_argument("--n-lat", type=int, default=4000, help="latencies per repetition")
    ap.add_argument("--started-at", default="2026-01-01T00:00:00Z")
    ap.add_argument("--no-reps", action="store_true", help="one sample, no rep-<i>/ directories")
    ap.add_argument("--fail-reps", type=int, default=0)
    a = ap.parse_args()
    print(gen_run(a.out, a.run_id, a.seed, a.shift, a.reps, a.case, a.commit, a.drift, a.n_lat,
                  a.started_at, a.no_reps, a.fail_reps))


if __name__ == "__main__":
    main()
