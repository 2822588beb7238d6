#!/bin/bash
# replay.sh LAB PCAP [--from STACK_IP,STACK_MAC,PEER_IP,PEER_MAC] [--pps N | --topspeed]
#           [--tcprewrite] [--ping N]
# Replay any Ethernet capture into the stack running in lab LAB (tpa-lab run),
# from the peer namespace, then check the stack still answers ping.
#  - addresses are rewritten to the lab's first (rewrite.py; --from maps only
#    the capture's own stack/peer addresses so foreign traffic stays foreign;
#    --tcprewrite uses tcprewrite instead, for clean captures only);
#  - default rate --pps 1000; --ping N pings (default 3) must all answer;
#  - prints the stack's drop counters before and after (by reason) when the
#    `tpa` tool reaches the instance (TPA_TOOL, TPA_RUN_DIR, TPA_ID as for tpa).
# Output: a few lines, the last "replay: OK sent=N ping=N/N" or "replay: FAIL ...".
# Exit: 0 alive, 1 the stack did not answer (or a step failed), 2 usage.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
LAB_TOOL=${TPA_LAB:-$repo/netns/tpa-lab}
usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[[ $# -ge 2 ]] || usage
lab=$1 pcap=$2
shift 2
from="" speed=(--pps=1000) use_tcprewrite=0 pings=3
while [[ $# -gt 0 ]]; do
	case $1 in
	--from) [[ -n ${2:-} ]] || usage; from=$2; shift 2 ;;
	--pps) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "replay.sh: bad --pps '${2:-}'" >&2; exit 2; }
		speed=(--pps="$2"); shift 2 ;;
	--topspeed) speed=(--topspeed); shift ;;
	--tcprewrite) use_tcprewrite=1; shift ;;
	--ping) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "replay.sh: bad --ping '${2:-}'" >&2; exit 2; }
		pings=$2; shift 2 ;;
	*) echo "replay.sh: unknown option '$1'" >&2; usage ;;
	esac
done
[[ -r $pcap ]] || { echo "replay.sh: cannot read '$pcap'" >&2; exit 2; }
command -v tcpreplay >/dev/null || { echo "replay.sh: tcpreplay not installed" >&2; exit 1; }

env_out=$("$LAB_TOOL" env "$lab") || { echo "replay.sh: no lab '$lab'" >&2; exit 2; }
get() { sed -n "s/^$1=//p" <<<"$env_out" | head -1; }
STACK_IP=$(get STACK_IP) STACK_MAC=$(get STACK_MAC) PEER_IP=$(get PEER_IP) PEER_MAC=$(get PEER_MAC)
IFACE=$(get IFACE) NETNS=$(get NETNS)
[[ -e /run/netns/$NETNS ]] || { echo "replay.sh: lab '$lab' is not up (tpa-lab up $lab)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/tpa-replay.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

if [[ $use_tcprewrite -eq 1 ]]; then
	args=(--infile="$pcap" --outfile="$tmp/rw.pcap")
	if [[ -n $from ]]; then
		IFS=, read -r fsip fsmac fpip fpmac <<<"$from"
		args+=(--enet-subsmac="$fsmac,$STACK_MAC" --enet-subsmac="$fpmac,$PEER_MAC"
		       --srcipmap="$fpip/32:$PEER_IP/32" --dstipmap="$fsip/32:$STACK_IP/32")
	else
		args+=(--enet-dmac="$STACK_MAC" --enet-smac="$PEER_MAC"
		       --srcipmap="0.0.0.0/0:$PEER_IP/32" --dstipmap="0.0.0.0/0:$STACK_IP/32")
	fi
	tcprewrite "${args[@]}" >"$tmp/rewrite.log" 2>&1 ||
		{ echo "replay.sh: tcprewrite failed (malformed capture? drop --tcprewrite):" >&2; tail -3 "$tmp/rewrite.log" >&2; exit 1; }
else
	/usr/bin/python3 "$here/rewrite.py" "$pcap" "$tmp/rw.pcap" --stack-ip "$STACK_IP" --stack-mac "$STACK_MAC" \
		--peer-ip "$PEER_IP" --peer-mac "$PEER_MAC" ${from:+--from "$from"} >/dev/null
fi

drops() { # the stack's drop counters, one "reason=N" per line (empty when unreachable)
	local tool=${TPA_TOOL:-${TPA_BUILD:-$repo/build}/tools/tpa}
	[[ -x $tool ]] || return 0
	"$tool" ${TPA_RUN_DIR:+-r "$TPA_RUN_DIR"} ${TPA_ID:+-i "$TPA_ID"} worker 2>/dev/null |
		sed -n 's/^  drops://p' | tr ' ' '\n' | grep '=' || true
}
before=$(drops)
"$LAB_TOOL" peer "$lab" -- tcpreplay --intf1="$IFACE" "${speed[@]}" "$tmp/rw.pcap" >"$tmp/tcpreplay.log" 2>&1 ||
	{ echo "replay.sh: tcpreplay failed:" >&2; tail -5 "$tmp/tcpreplay.log" >&2; exit 1; }
sent=$(sed -n 's/.*Actual: \([0-9]*\) packets.*/\1/p' "$tmp/tcpreplay.log" | head -1)
after=$(drops)
if [[ -n $after ]]; then
	echo "replay: drops before: $(echo $before)"
	echo "replay: drops after:  $(echo $after)"
fi
ok=$("$LAB_TOOL" peer "$lab" -- ping -c "$pings" -i 0.2 -W 1 "$STACK_IP" 2>/dev/null |
	sed -n 's/.* \([0-9]*\) received.*/\1/p')
ok=${ok:-0}
if [[ $ok -eq $pings ]]; then
	echo "replay: OK sent=${sent:-?} ping=$ok/$pings"
	exit 0
fi
echo "replay: FAIL sent=${sent:-?} ping=$ok/$pings: the stack no longer answers"
exit 1
