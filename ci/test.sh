#!/usr/bin/env bash
# The whole test suite: set up the machine (packages, hugepages, build), run
# every C unit test (cmocka, through meson), then every end-to-end test
# (pytest, in network namespaces). Cleans up labs and stack processes even
# when a test fails. Idempotent; run as root on Debian 12.
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"
# shellcheck source=ci/setup.sh
source ci/setup.sh
export TPA_BUILD

# Labs this run creates carry this owner tag; only they are removed at the
# end, so a run never tears down labs of another run on the same machine.
export TPA_LAB_OWNER=ci-$$
cleanup() {
	"$TOP/netns/tpa-lab" down --all --owner "$TPA_LAB_OWNER" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

tpa_setup_all || exit 1
# CI starts on a machine nothing else uses: clear what a crashed run left
if [ "${CI:-}" = true ]; then
	"$TOP/netns/tpa-lab" down --all >/dev/null 2>&1 || true
	rm -rf /var/run/dpdk/tpa-* /dev/hugepages/tpa-* 2>/dev/null || true
fi

rc=0
echo "== unit tests (cmocka, meson test)"
meson test -C "$TPA_BUILD" --print-errorlogs --no-suite pytest --no-suite e2e --num-processes 2 || rc=1

echo "== end-to-end tests (pytest)"
/usr/bin/pytest -p no:cacheprovider -q -ra "$TOP/tests" "$@" || rc=1
exit $rc
