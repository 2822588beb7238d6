#!/bin/bash
# Build the libFuzzer target of the stack's receive path with clang:
#   stack/fuzz/build.sh [OUTDIR]          (default: <repo>/build/fuzz)
# Produces OUTDIR/fuzz_rx (libFuzzer + ASan + UBSan). Needs clang and
# libclang-rt-14-dev (Debian: apt-get install clang libclang-rt-14-dev).
# Sanitizer options for runs are in stack/fuzz/run.sh. Exit 2 when clang or
# its fuzzer runtime is missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
stack=$(cd "$here/.." && pwd)
out=${1:-$stack/../build/fuzz}
CC=${CC_FUZZ:-clang}

command -v "$CC" >/dev/null || { echo "fuzz/build.sh: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; (void)n; return 0; }' >"${TMPDIR:-/tmp}/fz-probe-$$.c"
if ! "$CC" -fsanitize=fuzzer -o "${TMPDIR:-/tmp}/fz-probe-$$" "${TMPDIR:-/tmp}/fz-probe-$$.c" 2>/dev/null; then
	rm -f "${TMPDIR:-/tmp}/fz-probe-$$"*
	echo "fuzz/build.sh: $CC cannot link -fsanitize=fuzzer (apt-get install libclang-rt-14-dev)" >&2
	exit 2
fi
rm -f "${TMPDIR:-/tmp}/fz-probe-$$"*
mkdir -p "$out/obj"

san="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cflags="-std=gnu11 -D_GNU_SOURCE -g -O1 -DALLOW_EXPERIMENTAL_API -DTPA_FUZZ=1 $san
	-I$stack/include -I$stack/src -I$stack/tpad -I$stack/tests -I$here
	$(pkg-config --cflags libdpdk jansson)"
libs="$(pkg-config --libs libdpdk jansson) -lpthread -lm"

srcs=()
for f in "$stack"/src/*.c "$stack"/tpad/tpad_*.c "$stack"/tests/harness.c "$here"/fuzz_rx.c "$here"/fuzz_main.c; do
	srcs+=("$f")
done
# compile (two at a time: the machine is shared); only what changed
printf '%s\n' "${srcs[@]}" | xargs -P 2 -I{} sh -c '
	f={}; o='"$out"'/obj/$(echo "$f" | sed "s#/#_#g").o
	if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ -n "$(find '"$stack"'/src '"$stack"'/tpad '"$stack"'/include '"$stack"'/tests '"$here"' -name "*.h" -newer "$o" 2>/dev/null | head -1)" ]; then
		'"$CC"' '"$(echo $cflags)"' -c "$f" -o "$o" || exit 255
	fi'
"$CC" -fsanitize=fuzzer,address,undefined -o "$out/fuzz_rx" "$out"/obj/*.o $libs
echo "built $out/fuzz_rx"
