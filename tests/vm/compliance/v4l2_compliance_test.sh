#!/usr/bin/env bash
# v4l2_compliance_test.sh SHIM   v4l2-compliance -s on vivid with release fences opted in
#
# Runs in the VM on our patched videobuf2 and vivid loaded with
# release_fences=1 (FENCECAM_VB2_FENCES=1 tools/vm). v4l2-compliance does not
# know the opt-in, so SHIM (release_fence_optin.cpp, LD_PRELOAD) adds
# V4L2_MEMORY_FLAG_RELEASE_FENCES to every VIDIOC_REQBUFS and
# VIDIOC_CREATE_BUFS and counts the allocations whose opt-in the kernel kept.
# Fails on any compliance failure, on no kept opt-in (the fences were never
# exercised), and on any kernel warning, BUG, lockdep or KASAN report logged
# during the run.
set -euo pipefail
shim=${1:?usage: v4l2_compliance_test.sh SHIM}

fail() {
	echo "v4l2_compliance_test: $*" >&2
	exit 1
}

[ -f "$shim" ] || fail "no shim at $shim"
command -v v4l2-compliance >/dev/null || fail "v4l2-compliance is not installed (v4l-utils)"
param=/sys/module/vivid/parameters/release_fences
[ -r "$param" ] || fail "vivid is not loaded, or has no release_fences parameter: is this the patched vivid (FENCECAM_VB2_FENCES=1)?"
case "$(cat "$param")" in
1*) ;;
*) fail "vivid runs without release fences ($param: $(cat "$param"))" ;;
esac

# vivid's video capture node, found by name: numbers depend on load order.
dev=
for node in /sys/class/video4linux/video*; do
	case "$(cat "$node/name" 2>/dev/null)" in
	vivid-*-vid-cap) dev=/dev/${node##*/} && break ;;
	esac
done
[ -n "$dev" ] || fail "no vivid video capture node"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dmesg_before=$(dmesg | wc -l)
status=0
RELEASE_FENCE_OPTIN_LOG=$work/optin LD_PRELOAD=$shim \
	v4l2-compliance -d "$dev" -s 30 >"$work/out" 2>&1 || status=$?
grep -E '^(Total|.*(fail|FAIL))' "$work/out" || true

total=$(grep -E "^Total for vivid device $dev:" "$work/out" || true)
[ -n "$total" ] || {
	tail -n 40 "$work/out"
	fail "v4l2-compliance did not finish (exit status $status)"
}
case "$total" in
*", Failed: 0,"*) ;;
*)
	grep -B3 -E 'FAIL' "$work/out" | tail -n 60
	fail "v4l2-compliance reports failures: $total"
	;;
esac
[ "$status" = 0 ] || fail "v4l2-compliance exited with status $status"

kept=$(awk '{n += $2} END {print n + 0}' "$work/optin" 2>/dev/null || echo 0)
refused=$(awk '{n += $4} END {print n + 0}' "$work/optin" 2>/dev/null || echo 0)
echo "v4l2_compliance_test: allocations with release fences kept: $kept, refused: $refused"
[ "$kept" -gt 0 ] || fail "no allocation kept V4L2_MEMORY_FLAG_RELEASE_FENCES: the fences were not exercised"

splats=$(dmesg | tail -n +"$((dmesg_before + 1))" |
	grep -E 'WARNING:|BUG:|possible circular locking|possible recursive locking|KASAN|UBSAN|inconsistent lock state|sleeping function called from invalid context' || true)
[ -z "$splats" ] || fail "the kernel logged during the run: $splats"
echo "v4l2_compliance_test: $total"
