#!/usr/bin/env bash
# The main job on the embedded default: set up the machine, bring up the TAP
# lab (the kernel in a namespace on one side, the stack on the other), run the
# quickstart matrix (stack vs kernel tperf), and write a report.
# Idempotent; run as root on Debian 12. Usage: bash ci/quickstart.sh [ms-run options]
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"
# shellcheck source=ci/setup.sh
source ci/setup.sh
export TPA_BUILD
export TPA_LAB_OWNER=quickstart-$$
trap '"$TOP/netns/tpa-lab" down --all --owner "$TPA_LAB_OWNER" >/dev/null 2>&1 || true' EXIT INT TERM
tpa_setup_all || exit 1

RESULTS=${RESULTS:-$TOP/results/runs}
mkdir -p "$RESULTS"
before=$(ls -1 "$RESULTS" 2>/dev/null | sort)
"$TPA_BUILD/matrix/ms-run" --results "$RESULTS" "$@" scenarios/quickstart.ms
rc=$?
run=$(comm -13 <(echo "$before") <(ls -1 "$RESULTS" | sort) | tail -1)
[ -n "$run" ] || { echo "quickstart: no run directory was written" >&2; exit 1; }
"$TPA_BUILD/results/results" summary "$RESULTS/$run" || rc=1
"$TPA_BUILD/results/results" report "$RESULTS/$run" >/dev/null || rc=1
echo
echo "report: $RESULTS/$run/report.html (and report.md)"
exit $rc
