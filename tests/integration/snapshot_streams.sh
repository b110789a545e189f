#!/usr/bin/env bash
# Save and migration streams (issues 7 and 14) as untrusted input: keys,
# corrupted, truncated and forged streams (snapedit), segment and register
# rules, the setup filter while a header is parsed, replayed migrations,
# page tables exposing runner pages. Each refusal is one line and exit 125
# and leaves nothing behind. The snapshot mutants name this file.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "snapshot_streams: no usable /dev/kvm"; exit 0; fi
if [ -n "$UNCONFINED_REASON" ]; then skip "snapshot_streams: $UNCONFINED_REASON"; exit 0; fi
S=$T_TMP
LOGS=$LOCKVM_ROOT/var/log/lockvm

. "$(dirname "$0")/../lib_snapshot.sh"

# ---- --keep-running and --key ----------------------------------------------
head -c 32 /dev/urandom >"$S/k1"
head -c 32 /dev/urandom >"$S/k2"
"$LOCKVM" run -d --name keep "$G/counter.elf" 20 >/dev/null
sleep 0.3
expect "save --keep-running: still running" 0 "still running" "$LOCKVM" save keep "$S/k.snap" --keep-running --key "$S/k1"
sleep 0.2
if live keep; then pass "save --keep-running: the VM runs on"; else fail "save --keep-running: the VM ended"; fi
expect "save --keep-running: a second save works" 0 "still running" "$LOCKVM" save keep "$S/p.snap" --keep-running
expect "save: an existing file is refused" 125 "File exists" "$LOCKVM" save keep "$S/p.snap"
"$LOCKVM" kill keep >/dev/null
one_line "restore: keyed stream without --key refused" "give its --key" "$LOCKVM" restore "$S/k.snap"
one_line "restore: wrong key refused" "authentication failed" "$LOCKVM" restore "$S/k.snap" --key "$S/k2"
one_line "restore: --key on an unkeyed stream refused" "carries no MAC" "$LOCKVM" restore "$S/p.snap" --key "$S/k1"
expect "restore: right key accepted" 124 "tick" "$LOCKVM" restore "$S/k.snap" --key "$S/k1" --timeout 0.3
cp "$S/p.snap" "$S/c.snap"
size=$(stat -c %s "$S/p.snap")
printf '\xff' | dd of="$S/c.snap" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
one_line "restore: corrupted stream refused" "checksum mismatch" "$LOCKVM" restore "$S/c.snap"
head -c $((size - 40)) "$S/p.snap" >"$S/t.snap"
one_line "restore: truncated stream refused" "truncated stream" "$LOCKVM" restore "$S/t.snap"
cp "$S/p.snap" "$S/v.snap"
printf '\x01' | dd of="$S/v.snap" bs=1 seek=8 conv=notrunc 2>/dev/null
one_line "restore: an older format version refused" "stream format version 1, this lockvm reads version 3" "$LOCKVM" restore "$S/v.snap"
one_line "restore: not a stream" "bad magic" "$LOCKVM" restore "$G/hello.elf"
one_line "restore: RAM size must match" "give --mem 64M" "$LOCKVM" restore "$S/p.snap" --mem 128M
one_line "restore: vCPU count must match" "give --vcpus 1" "$LOCKVM" restore "$S/p.snap" --vcpus 2
printf 'LOCKVMSN\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00' >"$S/h.snap"
one_line "restore: header without its tag refused" "truncated stream" "$LOCKVM" restore "$S/h.snap"

# ---- named hostile streams: fields rewritten and re-tagged by snapedit --------
# Each must be refused with one line and exit 125, leaving no VM, label or uid.
hostile() { # NAME PATTERN FILE [RESTORE OPTIONS...]
	local name=$1 pattern=$2 file=$3; shift 3
	one_line "hostile: $name" "$pattern" "$LOCKVM" restore "$file" "$@"
	nothing_left "hostile: $name"
}
forge() { # OUT EDIT...: p.snap with EDITs, re-tagged
	local out=$1; shift
	"$SE" "$S/p.snap" "$out" "$@" || fail "snapedit $* failed"
}
forge "$S/same.snap"
expect "hostile: control: the re-tagged, unedited stream restores" 124 "tick" \
	"$LOCKVM" restore "$S/same.snap" --timeout 0.3
forge "$S/h1.snap" cs-cpl0
hostile "CS at CPL 0" "segment registers are not CPL 3 user segments (CS 0x8)" "$S/h1.snap"
forge "$S/h2.snap" iopl=1
hostile "IOPL 1 (the rules allow 0 or 3)" "RFLAGS 0x1" "$S/h2.snap"
forge "$S/h3.snap" rflags-vm
hostile "RFLAGS.VM set" "is not one a CPL 3 guest can have" "$S/h3.snap"
forge "$S/h4.snap" cr3=0x51000
hostile "CR3 other than lockvm's" "CR3 0x51000" "$S/h4.snap"
forge "$S/h5.snap" efer=0x500
hostile "EFER other than lockvm's (no NXE)" "EFER 0x500) differ from lockvm's" "$S/h5.snap"
forge "$S/h6.snap" inject-irq
hostile "an injected interrupt" "an injected interrupt (vector 32)" "$S/h6.snap"
forge "$S/h7.snap" msr-lstar=ffffffff81000000
hostile "a non-zero LSTAR MSR" "MSR 0xc0000082 is 0xffffffff81000000" "$S/h7.snap"
forge "$S/h8.snap" mem-gpa=4000000
hostile "a memory section outside RAM" "is not page-aligned inside RAM" "$S/h8.snap"
forge "$S/h9.snap" vcpus=65
hostile "65 vCPUs" "65 vCPUs and 0 disks are out of range" "$S/h9.snap"
head -c $(($(stat -c %s "$S/same.snap") - 100)) "$S/same.snap" >"$S/h10.snap"
hostile "a truncated stream" "truncated stream" "$S/h10.snap"
cp "$S/same.snap" "$S/h11.snap"
printf '\x5a' | dd of="$S/h11.snap" bs=1 seek=$(($(stat -c %s "$S/same.snap") / 3)) conv=notrunc 2>/dev/null
hostile "a flipped byte" "checksum mismatch" "$S/h11.snap"
"$SE" "$S/p.snap" "$S/h12.snap" --key "$S/k1" || fail "snapedit --key failed"
hostile "a wrong key" "authentication failed" "$S/h12.snap" --key "$S/k2"
expect "hostile: control: the right key opens the re-keyed stream" 124 "tick" \
	"$LOCKVM" restore "$S/h12.snap" --key "$S/k1" --timeout 0.3

# ---- segment and register rules (issue 14): forged vCPU state, each refused --
# SS not present, DPL 0 or unusable would resume the guest at CPL 0 on AMD
# (KVM takes the CPL from SS.DPL); the others are the same class of hole.
forge "$S/seg1.snap" ss-np
hostile "SS not present" "SS is not the present, usable DPL 3 user data segment (selector 0x23, DPL 3, present 0" "$S/seg1.snap"
forge "$S/seg2.snap" ss-dpl0
hostile "SS with DPL 0 (CPL 0 on AMD)" "SS is not the present, usable DPL 3 user data segment (selector 0x23, DPL 0" "$S/seg2.snap"
forge "$S/seg3.snap" ss-unusable
hostile "SS unusable" "SS is not the present, usable DPL 3 user data segment (selector 0x23, DPL 3, present 1, unusable 1)" "$S/seg3.snap"
forge "$S/seg4.snap" cs-unusable
hostile "CS unusable" "segment registers are not CPL 3 user segments (CS 0x2b)" "$S/seg4.snap"
forge "$S/seg5.snap" ds-dpl0
hostile "DS not present with DPL 0" "DS is neither null nor a present, usable DPL 3 data segment (selector 0x23, DPL 0, present 0)" "$S/seg5.snap"
forge "$S/seg6.snap" tr-type=9
hostile "TR an available, not busy, TSS" "descriptor tables or task register differ from lockvm's" "$S/seg6.snap"
forge "$S/seg7.snap" sregs-irq
hostile "a pending interrupt in the sregs bitmap" "a pending interrupt in the segment state's bitmap" "$S/seg7.snap"

# ---- streams (issue 14): seccomp before parsing, keys, replay ---------------
# An incoming VMM waiting inside the stream's header (the source sent only the
# magic) is parsing untrusted bytes: its setup seccomp filter must be on.
"$LOCKVM" incoming --listen "unix:$S/sc.sock" --accept-timeout 20 --name sc >"$S/sc.out" 2>&1 &
sup=$!
for _ in $(seq 50); do [ -S "$S/sc.sock" ] && break; sleep 0.1; done
python3 - "$S/sc.sock" "$S/sc.hello" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1]); s.settimeout(5)
hello = b""
try:
    while len(hello) < 40:
        d = s.recv(40 - len(hello))
        if not d: break
        hello += d
except OSError:
    pass
s.sendall(b"LOCKVMSN")  # the magic only: the VMM blocks inside the header
open(sys.argv[2], "w").write(hello[:8].decode(errors="replace"))
time.sleep(4)
s.close()
PY
holder=$!
for _ in $(seq 80); do [ -e "$S/sc.hello" ] && break; sleep 0.1; done
sleep 0.3
vmm=$(pgrep -P "$sup" -x lockvm-vmm)
seccomp=$(awk '$1 == "Seccomp:" { print $2 }' /proc/"$vmm"/status 2>/dev/null)
filters=$(awk '$1 == "Seccomp_filters:" { print $2 }' /proc/"$vmm"/status 2>/dev/null)
state=$(awk '$1 == "State:" { print $2 }' /proc/"$vmm"/status 2>/dev/null)
if [ -n "$vmm" ] && [ "$seccomp" = 2 ] && [ "${filters:-0}" -ge 1 ]; then
	pass "incoming: the VMM reading the stream's header is under its setup filter (Seccomp 2, $filters filter, state $state)"
else
	fail "incoming: VMM '$vmm' reading the stream has Seccomp '${seccomp:-?}', filters '${filters:-?}'"
fi
if [ "$(cat "$S/sc.hello" 2>/dev/null)" = LVNONCE3 ]; then pass "incoming: the target greets with its nonce (LVNONCE3)"; else fail "incoming: greeting '$(cat "$S/sc.hello" 2>/dev/null)'"; fi
wait $holder
wait $sup
rc=$?
if [ "$rc" -eq 125 ] && grep -qF "truncated stream (it ends inside the header)" "$S/sc.out"; then
	pass "incoming: a stream cut inside its header ends the target with one line, exit 125"
else
	fail "incoming: cut stream: exit $rc, $(tr '\n' '|' <"$S/sc.out")"
fi
nothing_left "incoming: cut inside the header"

# tcp without --key: a warning; --require-key refuses it.
run_capture "$LOCKVM" incoming --listen tcp:127.0.0.1:47093 --accept-timeout 1 --name nokey
if [ "$rc" -eq 125 ] && grep -qF "lockvm: warning: incoming --listen tcp:127.0.0.1:47093 without --key: anyone who can reach the port can send the VM (give --key FILE; --require-key refuses this)" <<<"$out"; then
	pass "incoming tcp without --key: a warning on stderr"
else
	fail "incoming tcp without --key: exit $rc, output: $(tr '\n' '|' <<<"$out")"
fi
one_line "incoming --require-key without --key refused" \
	"incoming: --require-key: no --key given, and an unauthenticated stream is refused (give --key FILE)" \
	"$LOCKVM" incoming --listen tcp:127.0.0.1:47093 --require-key --name nokey
one_line "restore --require-key without --key refused" "restore: --require-key: no --key given" \
	"$LOCKVM" restore "$S/p.snap" --require-key
expect "restore --require-key with --key: accepted" 124 "tick" \
	"$LOCKVM" restore "$S/k.snap" --key "$S/k1" --require-key --timeout 0.3
nothing_left "--require-key refusals"

# Replay: a keyed migration recorded by a relay, then replayed to a second
# target with the same key, is refused: its MAC covers the first target's nonce.
"$LOCKVM" run -d --name r1 "$G/counter.elf" 20 >/dev/null
sleep 0.3
"$LOCKVM" incoming --listen "unix:$S/r2.sock" --accept-timeout 20 --name r2 --key "$S/k1" -d >"$S/r2.out" 2>&1 &
inc=$!
for _ in $(seq 50); do [ -S "$S/r2.sock" ] && break; sleep 0.1; done
python3 - "$S/relay.sock" "$S/r2.sock" "$S/rec.bin" <<'PY' &
import os, socket, sys, threading
lst = socket.socket(socket.AF_UNIX); lst.bind(sys.argv[1] + ".t"); lst.listen(1); os.rename(sys.argv[1] + ".t", sys.argv[1]); lst.settimeout(20)
src, _ = lst.accept()
dst = socket.socket(socket.AF_UNIX); dst.connect(sys.argv[2])
rec = open(sys.argv[3], "wb")
def pump(a, b, f=None):
    while True:
        try:
            d = a.recv(65536)
        except OSError:
            break
        if not d: break
        if f: f.write(d)
        try:
            b.sendall(d)
        except OSError:
            break
    try: b.shutdown(socket.SHUT_WR)
    except OSError: pass
t = threading.Thread(target=pump, args=(dst, src)); t.start()
pump(src, dst, rec); t.join(); rec.close()
PY
relay=$!
for _ in $(seq 50); do [ -S "$S/relay.sock" ] && break; sleep 0.1; done
expect "replay: the recorded keyed migration itself succeeds" 0 "downtime" \
	"$LOCKVM" migrate r1 --to "unix:$S/relay.sock" --key "$S/k1"
wait $relay
wait $inc
"$LOCKVM" kill r2 >/dev/null 2>&1
# (bounded: a target that took the replay would run the guest on)
timeout -k 5 30 "$LOCKVM" incoming --listen "unix:$S/r3.sock" --accept-timeout 20 --name r3 --key "$S/k1" >"$S/r3.out" 2>&1 &
inc=$!
for _ in $(seq 50); do [ -S "$S/r3.sock" ] && break; sleep 0.1; done
python3 - "$S/r3.sock" "$S/rec.bin" >"$S/replay.out" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
got = b""
try:
    s.sendall(open(sys.argv[2], "rb").read())
    while True:
        d = s.recv(65536)
        if not d: break
        got += d
except OSError:
    pass
print("READY" if b"LVREADY1" in got else "no READY")
PY
wait $inc
rc=$?
if [ "$rc" -eq 125 ] && grep -qF "a replayed migration stream (its MAC does not cover this target's nonce)" "$S/r3.out" &&
	[ "$(grep -c . "$S/r3.out")" -eq 1 ] && grep -qx "no READY" "$S/replay.out"; then
	pass "replay: a recorded keyed migration replayed to a new target is refused in one line, exit 125"
else
	fail "replay: exit $rc, target said: $(tr '\n' '|' <"$S/r3.out" | head -c 300); client: $(cat "$S/replay.out")"
fi
if live r3; then fail "replay: the replayed VM runs"; else pass "replay: no VM runs from the replay"; fi
"$LOCKVM" kill r3 >/dev/null 2>&1
nothing_left "replay refused"
one_line "restore: a recorded migration stream is not a save file" "cannot be restored: it is a recording of a migration" \
	"$LOCKVM" restore "$S/rec.bin" --key "$S/k1"
# ---- page tables that expose a runner page ------------------------------------
# The restored tables are the guest's memory, so a stream can carry any: the
# entries mapping the IDT, or the page-table area itself, made user-accessible
# and writable would let guest code at CPL 3 rewrite what CPL 0 trusts.
for t in "IDT:0x4000" "page tables:0x50000"; do
	forge "$S/pte.snap" "pte-user-rw=${t#*:}"
	hostile "page tables let the guest write the ${t%%:*} page" \
		"page tables let the guest write runner page $(printf '0x%x' "${t#*:}")" "$S/pte.snap"
	rm -f "$S/pte.snap"
done
