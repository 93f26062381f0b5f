#!/usr/bin/env bash
# kernel_splat_check.sh COMMAND...   run COMMAND on the debug kernel; fail on any kernel report it causes
#
# Runs in the VM booted on our debug kernel (FENCECAM_VM_DEBUG_KERNEL=1
# tools/vm: Linux 7.2 with our series, lockdep, KASAN, DEBUG_ATOMIC_SLEEP and
# debug objects). Fails when COMMAND fails, and when the kernel logged, while
# COMMAND ran, a lockdep report, a KASAN report, a BUG, a WARN, "sleeping
# function called from invalid context", a debug-objects or list-corruption
# report or a suspicious RCU usage: it prints the report.
# Lockdep reports only the first problem it finds and then turns itself off,
# so a run that starts with lockdep off fails too: it could prove nothing.
set -uo pipefail

fail() {
	echo "kernel_splat_check: $*" >&2
	exit 1
}

[ $# -gt 0 ] || fail "usage: kernel_splat_check.sh COMMAND..."
[ -r /proc/lockdep_stats ] ||
	fail "this kernel has no lockdep: run me on the debug kernel (FENCECAM_VM_DEBUG_KERNEL=1 tools/vm)"
# Not `dmesg | grep -q`: grep leaves at the first match, dmesg then dies of
# SIGPIPE, and pipefail calls that a failure.
grep -q 'KernelAddressSanitizer initialized' <<<"$(dmesg)" ||
	fail "this kernel has no KASAN: run me on the debug kernel (FENCECAM_VM_DEBUG_KERNEL=1 tools/vm)"

# What a report's first line looks like, for each checker.
reports='WARNING:|BUG:|Oops|general protection fault|kernel BUG at'
reports+='|possible circular locking dependency|possible recursive locking|inconsistent lock state'
reports+='|lock held when returning to user space|held lock freed|bad unlock balance'
reports+='|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|trying to register non-static key'
reports+='|sleeping function called from invalid context|KASAN|UBSAN|ODEBUG|list_(add|del) corruption'

# show_reports LOG: each report in LOG, with the lines that follow it (its
# stack, the locks held), at most 200 lines in all.
show_reports() {
	awk -v pattern="$reports" '
		$0 ~ pattern { left = 40 }
		left > 0 { print; left--; if (++printed >= 200) exit }
	' <<<"$1"
}

debug_locks() { awk '$1 == "debug_locks:" {print $2}' /proc/lockdep_stats; }
if [ "$(debug_locks)" != 1 ]; then
	show_reports "$(dmesg)" >&2
	fail "lockdep turned itself off before this run (an earlier report, above, or an overflow): it would check nothing"
fi

# Everything the kernel logs after this line is COMMAND's.
marker="kernel_splat_check: start $$ ${EPOCHREALTIME}"
echo "$marker" >/dev/kmsg
status=0
"$@" || status=$?
# Reports from work COMMAND left behind (a fence callback, a worker) come
# within moments.
sleep 1
log=$(dmesg | awk -v marker="$marker" 'found; index($0, marker) { found = 1 }')
found=$(grep -E "$reports" <<<"$log" || true)
if [ -n "$found" ]; then
	echo "kernel_splat_check: the kernel reported while \`$*\` ran:" >&2
	show_reports "$log" >&2
	fail "$(wc -l <<<"$found") report line(s) in dmesg; the first: $(head -n1 <<<"$found")"
fi
[ "$(debug_locks)" = 1 ] || fail "lockdep turned itself off during the run (an overflow?): $(grep -i lockdep <<<"$log" | head -n3)"
[ "$status" = 0 ] || fail "\`$*\` failed (exit status $status); the kernel reported nothing"
echo "kernel_splat_check: no lockdep, KASAN, BUG or WARN report while \`$*\` ran; lockdep still on"
