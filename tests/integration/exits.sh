#!/usr/bin/env bash
# lockvm wait, and the exit record of a detached VM: inspect, list -a, rm, gc.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "exits: /dev/kvm is not usable here"; exit 0; fi
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ! file -L "$BUSYBOX" | grep -q static; then
	skip "exits: no static busybox (make deps installs busybox-static)"; exit 0
fi
FS=$T_TMP/fs
mkdir -p "$FS/bin"
cp "$BUSYBOX" "$FS/bin/busybox"
BB=/bin/busybox # PROGRAM is found inside the --fs tree
n=ex-$$

expect "exits: run -d" 0 "$n" "$LOCKVM" run -d --name "$n" --linux --fs "$FS" "$BB" -- sh -c 'exit 7'
expect "exits: wait prints the status and exits with it" 7 "7" "$LOCKVM" wait "$n"
expect "exits: list -a shows the ended VM as exited (7)" 0 "exited (7)" "$LOCKVM" list -a
expect "exits: inspect shows the exit status" 0 "exit status: 7" "$LOCKVM" inspect "$n"
grep -qF "reason:      exit status 7" <<<"$out" && pass "exits: inspect shows the reason" || fail "exits: reason: $out"
expect "exits: inspect --json" 0 '"exit_status":7' "$LOCKVM" inspect "$n" --json
expect "exits: wait after the end still answers" 7 "7" "$LOCKVM" wait "$n"
expect "exits: rm removes the record" 0 "" "$LOCKVM" rm "$n"
expect "exits: inspect after rm: no such VM" 125 "no running VM named" "$LOCKVM" inspect "$n"
expect "exits: rm of no record is refused" 125 "no exit record" "$LOCKVM" rm "$n"
expect "exits: wait for an unknown name is refused" 125 "no VM named" "$LOCKVM" wait "$n-none"
expect "exits: wait refuses a bad name" 125 "" "$LOCKVM" wait "../x"

# wait blocks while the VM runs; a new VM of the name drops the old record.
"$LOCKVM" run -d --name "$n" --linux --fs "$FS" "$BB" -- sh -c 'exit 3' >/dev/null
"$LOCKVM" wait "$n" >/dev/null
"$LOCKVM" run -d --name "$n" --linux --fs "$FS" "$BB" -- sleep 1 >/dev/null
run_capture "$LOCKVM" list -a
grep -q "^$n .*exited" <<<"$out" && fail "exits: the old record of $n shows while a new VM of the name runs: $out" ||
	pass "exits: a new VM of the name replaces the old record"
expect "exits: rm of a running VM is refused" 125 "is running" "$LOCKVM" rm "$n"
s=$(date +%s%N)
expect "exits: wait blocks until the VM ends, then exits 0" 0 "0" "$LOCKVM" wait "$n"
e=$(date +%s%N)
[ $(((e - s) / 1000000)) -ge 500 ] && pass "exits: wait waited for the VM (sleep 1)" ||
	fail "exits: wait returned after $(((e - s) / 1000000)) ms, before the VM could end"
expect "exits: gc --keep-exited 0 removes the records" 0 "removed 1 exit record" "$LOCKVM" gc --keep-exited 0
run_capture "$LOCKVM" list -a
grep -q "^$n " <<<"$out" && fail "exits: $n still listed after gc: $out" || pass "exits: nothing listed after gc"
expect "exits: gc refuses a bad age" 125 "--keep-exited" "$LOCKVM" gc --keep-exited soon

# A foreground VM keeps no record: its caller got the status.
"$LOCKVM" run --name "$n-fg" --linux --fs "$FS" "$BB" -- sh -c 'exit 5' >/dev/null 2>&1
expect "exits: a foreground VM leaves no record" 125 "no VM named $n-fg" "$LOCKVM" wait "$n-fg"
