#!/usr/bin/env bash
# lockvm exec: a new process in a running --linux VM (its tree, its host name, the ids asked
# for), its exit status, stdin with -i, signals passed on, and refusals: no such VM, an SDK
# guest, a missing program, hostile requests forged on the control socket.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "exec: /dev/kvm is not usable here"; exit 0; fi
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ! file -L "$BUSYBOX" | grep -q static; then
	skip "exec: no static busybox (make deps installs busybox-static)"; exit 0
fi
FS=$T_TMP/fs
mkdir -p "$FS/bin" "$FS/etc" "$FS/data"
chmod 755 "$T_TMP" "$FS"
cp "$BUSYBOX" "$FS/bin/busybox"
cp "$B/tests/linux/lx_block.glibc" "$FS/bin/spin" # a loop at CPL 3 that makes no call
for a in sh cat echo sleep id test hostname pwd kill; do ln -sf busybox "$FS/bin/$a"; done
echo "tree-$$" >"$FS/etc/hostname"
n=exec-$$
L=("$LOCKVM")

expect "exec: no such VM" 125 "no running VM named 'none-$$'" "${L[@]}" exec "none-$$" /bin/true
expect "exec: a bad name" 125 "" "${L[@]}" exec "../x" /bin/true
expect "exec: CMD is needed" 125 "" "${L[@]}" exec "$n"

# pid 1 sleeps until SIGUSR1 (sent by an exec'd process), then prints /tmp/flag, which
# another exec'd process wrote, and exits 7. Asleep, it leaves the vCPU to the exec'd
# processes.
"${L[@]}" run -d --name "$n" --hostname "vm-$$" --linux --fs "$FS" /bin/sh -c \
	'trap "cat /tmp/flag; exit 7" USR1; while :; do sleep 1000 & wait $!; done' >/dev/null ||
	fail "exec: run -d"
expect "exec: the program comes from the VM's tree" 0 "tree-$$" "${L[@]}" exec "$n" cat /etc/hostname
expect "exec: the VM's host name" 0 "vm-$$" "${L[@]}" exec "$n" hostname
expect "exec: the exit status comes back" 3 "" "${L[@]}" exec "$n" sh -c 'exit 3'
expect "exec: a signal's death is 128+N" 137 "" "${L[@]}" exec "$n" sh -c 'kill -9 $$'
out=$(printf 'line1\nline2\n' | timeout 30 "${L[@]}" exec -i "$n" cat)
[ "$out" = "$(printf 'line1\nline2')" ] && pass "exec -i: stdin passes through" || fail "exec -i: got '$out'"
out=$(echo ignored | timeout 30 "${L[@]}" exec "$n" cat)
[ -z "$out" ] && pass "exec without -i: stdin is /dev/null" || fail "exec without -i read '$out'"
expect "exec --user 1000:5 --group-add 7: the ids in the VM" 0 "uid=1000 gid=5 groups=7" \
	"${L[@]}" exec --user 1000:5 --group-add 7 "$n" id
expect "exec: uid 0 by default (the VM's root)" 0 "uid=0 gid=0" "${L[@]}" exec "$n" id
expect "exec --workdir and --env" 0 "/data:v1" "${L[@]}" exec --workdir /data --env K=v1 "$n" \
	sh -c 'echo $(pwd):$K'
expect "exec: a workdir not in the tree" 125 "/nonexistent" "${L[@]}" exec --workdir /nonexistent "$n" pwd
expect "exec: a program not in the tree" 125 "No such file or directory in the VM's tree" \
	"${L[@]}" exec "$n" /bin/nonexistent
expect "exec --env without =" 125 "want NAME=VALUE" "${L[@]}" exec --env novalue "$n" id

# Signals to `lockvm exec` reach the process.
"${L[@]}" exec "$n" sh -c 'trap "echo got-int; exit 5" INT; echo ready; sleep 100 & wait' \
	>"$T_TMP/sig.out" 2>&1 &
p=$!
for _ in $(seq 1 300); do grep -q ready "$T_TMP/sig.out" && break; sleep 0.1; done # its trap is set
kill -INT "$p"
# A hang is a failure, not a stuck suite: a watchdog ends the client after 60 s.
(sleep 60; kill -9 "$p" 2>/dev/null) &
watchdog=$!
wait "$p"
rc=$?
kill "$watchdog" 2>/dev/null
[ "$rc" = 5 ] && grep -q got-int "$T_TMP/sig.out" && pass "exec: SIGINT passed on to the process" ||
	fail "exec: SIGINT: rc=$rc $(cat "$T_TMP/sig.out")"

# Hostile requests, forged past the client: each refused with one line, the VM runs on.
FORGE=$B/tests/helpers/exec_forge
SOCK=$LOCKVM_ROOT/run/lockvm/vms/$n/control
for c in "huge-argv:arguments (1 to" "no-nul:does not end inside the request" \
	"trailing:bytes after the last string" "dir-fd:is a directory" "two-fds:stdio fds passed" \
	"oversize:malformed control request" "no-cwd:not an absolute path"; do
	run_capture "$FORGE" "$SOCK" "${c%%:*}"
	grep -q "status 125: .*${c#*:}" <<<"$out" && pass "exec: hostile request ${c%%:*} refused" ||
		fail "exec: hostile ${c%%:*}: $out"
done
expect "exec: the VM still runs after the hostile requests" 0 "vm-$$" "${L[@]}" exec "$n" hostname

# An exec'd process writing to /tmp is seen by pid 1: the same tree.
expect "exec: write /tmp/flag" 0 "" "${L[@]}" exec "$n" sh -c 'echo from-exec >/tmp/flag'
expect "exec: kill -USR1 1 reaches the VM's pid 1" 0 "" "${L[@]}" exec "$n" kill -USR1 1
expect "exec: pid 1 read what the exec'd process wrote, and exited" 7 "7" "${L[@]}" wait "$n"
"${L[@]}" logs "$n" 2>&1 | grep -q from-exec && pass "exec: pid 1 printed the exec'd file" ||
	fail "exec: pid 1's output lacks from-exec"
expect "exec: into an ended VM" 125 "no running VM named" "${L[@]}" exec "$n" /bin/true
"${L[@]}" rm "$n" >/dev/null 2>&1

# A VM whose pid 1 spins at CPL 3 without system calls: the kick starts the process.
"${L[@]}" run -d --name "$n-spin" --linux --fs "$FS" /bin/spin spin >/dev/null
expect "exec: into a VM whose program spins" 0 "spun" "${L[@]}" exec "$n-spin" echo spun
"${L[@]}" kill "$n-spin" >/dev/null

# An SDK guest runs one program.
"${L[@]}" run -d --name "$n-sdk" "$G/service.elf" >/dev/null
expect "exec: an SDK guest is refused" 125 "exec needs a --linux VM" "${L[@]}" exec "$n-sdk" /bin/true
"${L[@]}" kill "$n-sdk" >/dev/null
