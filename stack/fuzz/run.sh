#!/bin/bash
# Run the receive-path fuzzer: build it (clang), generate the seed corpus, fuzz.
#   stack/fuzz/run.sh [SECONDS] [-- extra libFuzzer options]
# Environment: FUZZ_OUT (build + work dir, default <repo>/build/fuzz),
#              FUZZ_JOBS (parallel libFuzzer jobs, default 1).
# Crashes land in $FUZZ_OUT/artifacts/ as crash-<sha1>; see docs/robustness.md
# for turning one into a regression test. Exit: libFuzzer's (0 = no crash).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
secs=${1:-60}
[[ $secs =~ ^[1-9][0-9]*$ ]] || { echo "fuzz/run.sh: bad SECONDS '$secs'" >&2; exit 2; }
shift || true
[[ ${1:-} == -- ]] && shift
out=${FUZZ_OUT:-$here/../../build/fuzz}
"$here/build.sh" "$out"
/usr/bin/python3 "$here/gen_corpus.py" "$out/seeds" >/dev/null
mkdir -p "$out/corpus" "$out/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
jobs=()
[[ ${FUZZ_JOBS:-1} -gt 1 ]] && jobs=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS")
exec "$out/fuzz_rx" -max_total_time="$secs" -max_len=1600 -timeout=10 -rss_limit_mb=2048 "${jobs[@]}" \
	-artifact_prefix="$out/artifacts/" "$@" "$out/corpus" "$out/seeds" "$here/crashes"
