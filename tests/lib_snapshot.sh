# Helpers of the save/restore tests (snapshot.sh, snapshot_streams.sh):
# sourced after lib.sh, with S (a scratch dir) and LOGS set.
ticks() { grep -ao '^tick [0-9]*' "$@" | awk '{ print $2 }'; }
# unbroken FILES...: the ticks of the files, in order, are 0, 1, 2, ... with
# no gap and no repeat; prints "first..last (count)" or what broke.
unbroken() {
	cat "$@" | grep -ao '^tick [0-9]*' | awk '{ print $2 }' | awk '
		NR == 1 && $1 != 0 { print "starts at " $1; bad = 1; exit }
		NR > 1 && $1 != prev + 1 { print "after " prev " comes " $1; bad = 1; exit }
		{ prev = $1 } END { if (!bad) print "ok 0.." prev " (" NR " ticks)"; exit bad }'
}
# field NAME KEY: a field of `lockvm inspect NAME --json`.
field() { "$LOCKVM" inspect "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"; }
label_of() { field "$1" label; }
live() { "$LOCKVM" list | awk 'NR > 1 { print $1 }' | grep -qx "$1"; }
# nothing_left WHAT: no VM in the registry (list -a), no entry, no uid lease.
# Ended detached VMs' exit records ("exited (N)") are kept on purpose.
nothing_left() {
	local entries dirs leases
	entries=$("$LOCKVM" list -a | awk 'NR > 1 && $2 != "exited"' | wc -l)
	dirs=$(find "$LOCKVM_ROOT/run/lockvm/vms" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	leases=$(find "$LOCKVM_ROOT/run/lockvm/uids" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	if [ "$entries" -eq 0 ] && [ "$dirs" -eq 0 ] && [ "$leases" -eq 0 ]; then
		pass "$1: no VM left, its label and uid released"
	else
		fail "$1: left behind: $entries listed, $dirs registry entries, $leases uid leases"
	fi
}
one_line() { # NAME PATTERN CMD...: exit 125 with exactly one line naming PATTERN
	local name=$1 pattern=$2; shift 2
	run_capture "$@"
	if [ "$rc" -eq 125 ] && grep -qF -- "$pattern" <<<"$out" && [ "$(wc -l <<<"$out")" -eq 1 ]; then
		pass "$name"
	else
		fail "$name: exit $rc, output: $(tr '\n' '|' <<<"$out" | head -c 400)"
	fi
}
SE=$B/tests/helpers/snapedit # rewrites and re-tags a stream
