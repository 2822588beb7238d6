#!/usr/bin/env bash
# Idempotent machine set-up shared by the README's two commands and .ci/run:
# install missing Debian packages, mount hugetlbfs, reserve 2 MiB hugepages,
# configure and build. Source it or run it; it exits non-zero with a message
# that says what to do when it cannot proceed.
set -euo pipefail

TPA_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TPA_BUILD=${TPA_BUILD:-$TPA_TOP/build}
TPA_HUGEPAGES=${TPA_HUGEPAGES:-1024}   # 2 MiB pages: 2 GiB in all

tpa_die() { echo "setup: $*" >&2; exit 1; }

PKGS=(libdpdk-dev dpdk libyaml-dev libcmocka-dev python3-pytest python3-scapy
      libpcap-dev gnuplot-nox tcpreplay iproute2 meson ninja-build pkg-config
      libjansson-dev sockperf iperf3 wrk curl netcat-openbsd iputils-ping
      valgrind clang libclang-rt-14-dev tcpdump procps psmisc git gcc dpdk-dev babeltrace2)

tpa_setup_packages() {
	local missing=() p
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || tpa_die "missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}"
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null || tpa_die "apt-get update failed; check the Debian mirror"
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
		tpa_die "apt-get install ${missing[*]} failed"
}

tpa_setup_hugepages() {
	[ "$(id -u)" -eq 0 ] || tpa_die "hugepages need root: run as root, or mount hugetlbfs on /dev/hugepages and write $TPA_HUGEPAGES to /proc/sys/vm/nr_hugepages yourself"
	grep -q hugetlbfs /proc/filesystems || tpa_die "this kernel has no hugetlbfs; DPDK needs it (CONFIG_HUGETLBFS)"
	if ! mountpoint -q /dev/hugepages; then
		mkdir -p /dev/hugepages
		mount -t hugetlbfs nodev /dev/hugepages || tpa_die "cannot mount hugetlbfs on /dev/hugepages"
	fi
	local cur
	cur=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)
	if [ "$cur" -lt "$TPA_HUGEPAGES" ]; then
		echo "$TPA_HUGEPAGES" > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
		cur=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)
		[ "$cur" -ge 256 ] || tpa_die "could reserve only $cur 2 MiB hugepages (want $TPA_HUGEPAGES); free memory and retry"
	fi
	[ -c /dev/net/tun ] || tpa_die "/dev/net/tun is missing: modprobe tun"
}

tpa_setup_build() {
	if [ ! -f "$TPA_BUILD/build.ninja" ]; then
		meson setup "$TPA_BUILD" "$TPA_TOP" >/dev/null || tpa_die "meson setup failed (see above)"
	fi
	ninja -C "$TPA_BUILD" >/dev/null || { ninja -C "$TPA_BUILD"; tpa_die "build failed"; }
}

tpa_setup_all() {
	tpa_setup_packages
	tpa_setup_hugepages
	tpa_setup_build
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	tpa_setup_all
	echo "setup: ok (build in $TPA_BUILD, $(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages) hugepages)"
fi
