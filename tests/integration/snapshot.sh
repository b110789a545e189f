#!/usr/bin/env bash
# Save, restore and live migration (issue 7): continuity of counter.elf's
# ticks, fresh labels, a target dying mid-stream, TCP between two network
# namespaces. Refused and forged streams: snapshot_streams.sh.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "snapshot: no usable /dev/kvm"; exit 0; fi
if [ -n "$UNCONFINED_REASON" ]; then skip "snapshot: $UNCONFINED_REASON"; exit 0; fi
S=$T_TMP
LOGS=$LOCKVM_ROOT/var/log/lockvm

. "$(dirname "$0")/../lib_snapshot.sh"

# ---- save and restore: ticks continue, two vCPUs blocked in sleep -------
"$LOCKVM" run -d --name src --vcpus 2 "$G/counter.elf" 20 >/dev/null
sleep 0.8
src_label=$(label_of src)
expect "save: VM saved and stopped" 0 "stopped" "$LOCKVM" save src "$S/a.snap"
sleep 0.3
if live src; then fail "save: the source still runs after save"; else pass "save: the source ended and left the registry"; fi
"$LOCKVM" restore "$S/a.snap" --vcpus 2 --name dst -d >/dev/null
sleep 0.5
dst_label=$(label_of dst)
dst_kind=$(field dst label_kind)
sleep 0.3
"$LOCKVM" kill dst >/dev/null
sleep 0.2
r=$(unbroken "$LOGS/src.log" "$LOGS/dst.log")
if [[ $r == ok* ]]; then pass "restore: ticks continue with no gap and no repeat ($r)"; else fail "restore: ticks broken: $r"; fi
if [ -n "$dst_label" ] && [ "$dst_label" != "$src_label" ] && [ "$dst_kind" = dynamic ]; then
	pass "restore: the restored VM has a new label ($src_label -> $dst_label)"
else
	fail "restore: label '$dst_label' is not new (source had '$src_label')"
fi

# ---- labels: a static label or group is kept (save record), copies get a fresh one
STATIC=system_u:system_r:lockvm_vm_t:s0:c7,c9
"$LOCKVM" run -d --name stat --label "$STATIC" "$G/counter.elf" 20 >/dev/null
sleep 0.3
"$LOCKVM" save stat "$S/stat.snap" >/dev/null
run_capture "$LOCKVM" restore "$S/stat.snap" --name stat2 -d
if [ "$rc" -eq 0 ] && [ "$(field stat2 label_kind)" = static ] && [ "$(label_of stat2)" = "$STATIC" ] &&
	"$LOCKVM" list -Z | grep -q "^stat2 .*$STATIC"; then
	pass "restore: a static label is kept ($STATIC, list -Z shows it)"
else
	fail "restore: static label not kept: exit $rc, kind $(field stat2 label_kind), label $(label_of stat2); $out"
fi
if grep -q "fresh dynamic" <<<"$out"; then fail "restore with a save record still speaks of a fresh label"; else pass "restore with a save record: no fallback note"; fi
"$LOCKVM" kill stat2 >/dev/null
"$LOCKVM" run -d --name g1 --group web "$G/counter.elf" 20 >/dev/null
sleep 0.3
"$LOCKVM" save g1 "$S/g.snap" --keep-running >/dev/null
"$LOCKVM" restore "$S/g.snap" --name g2 -d >/dev/null
if [ "$(field g2 label_kind)" = group ] && [ "$(field g2 group)" = web ] && [ "$(label_of g2)" = "$(label_of g1)" ]; then
	pass "restore: the group is kept, and the restored VM shares its live member's pair ($(label_of g2))"
else
	fail "restore: group not kept: kind $(field g2 label_kind) group $(field g2 group), label $(label_of g2) vs $(label_of g1)"
fi
"$LOCKVM" kill g1 >/dev/null
"$LOCKVM" kill g2 >/dev/null
cp "$S/stat.snap" "$S/copy.snap"
run_capture "$LOCKVM" restore "$S/copy.snap" --name cp1 -d
if [ "$rc" -eq 0 ] && grep -qF "no save record here (copied or moved?); the VM gets a fresh dynamic label" <<<"$out" &&
	[ "$(grep -c . <<<"$out")" -eq 2 ] && [ "$(field cp1 label_kind)" = dynamic ] && [ "$(label_of cp1)" != "$STATIC" ]; then
	pass "restore of a copy: a fresh dynamic label ($(label_of cp1)), said in one line"
else
	fail "restore of a copy: exit $rc, kind $(field cp1 label_kind), output: $(tr '\n' '|' <<<"$out")"
fi
"$LOCKVM" kill cp1 >/dev/null
"$LOCKVM" restore "$S/stat.snap" --name st3 --label dynamic -d >/dev/null
if [ "$(field st3 label_kind)" = dynamic ]; then pass "restore: --label given wins over the save record"; else fail "restore: --label dynamic gave kind $(field st3 label_kind)"; fi
"$LOCKVM" kill st3 >/dev/null
touch "$S/stat.snap"
run_capture "$LOCKVM" restore "$S/stat.snap" --name st4 -d
if grep -qF "its save record is stale" <<<"$out" && [ "$(field st4 label_kind)" = dynamic ]; then
	pass "restore: a file changed after save has a stale record: fresh dynamic label"
else
	fail "restore after touch: kind $(field st4 label_kind), output: $(tr '\n' '|' <<<"$out")"
fi
"$LOCKVM" kill st4 >/dev/null
sleep 0.2

# ---- a restored VM's disk is relabelled for it --------------------------------
# Restore takes the disks again for the new VM (uid, mode 0600, the image
# record with its new label) and gives them back when it ends. The file's
# SELinux label itself is written only where SELinux is enabled (not on
# these hosts: `getfattr -n security.selinux` finds none); make e2e checks
# it there. Here the owner, mode and image record stand in for it.
truncate -s 1048576 "$S/rl.img"
chmod 0644 "$S/rl.img"
rl_before=$(stat -c '%u:%g %a' "$S/rl.img")
"$LOCKVM" run -d --name rl1 --disk "$S/rl.img" "$G/counter.elf" 10 >/dev/null
sleep 0.3
"$LOCKVM" save rl1 "$S/rl.snap" >/dev/null 2>&1 || fail "relabel on restore: save rl1 failed"
# save returns once the stream is written; the supervisor gives the disk back as it ends
for _ in $(seq 50); do [ "$(stat -c '%u:%g %a' "$S/rl.img")" = "$rl_before" ] && break; sleep 0.1; done
[ "$(stat -c '%u:%g %a' "$S/rl.img")" = "$rl_before" ] && pass "relabel on restore: the saved VM gave its disk back" ||
	fail "relabel on restore: after save the disk is $(stat -c '%u:%g %a' "$S/rl.img"), was $rl_before"
"$LOCKVM" restore "$S/rl.snap" -d --name rl2 --disk "$S/rl.img" >/dev/null 2>&1
sleep 0.3
if live rl2; then
	rl_uid=$(field rl2 uid) rl_label=$(field rl2 image_label)
	[ "$(stat -c '%u:%g %a' "$S/rl.img")" = "$rl_uid:$rl_uid 600" ] &&
		pass "relabel on restore: the disk is the restored VM's (uid $rl_uid, 0600) while it runs" ||
		fail "relabel on restore: disk $(stat -c '%u:%g %a' "$S/rl.img") while rl2 (uid $rl_uid) runs"
	recs=$(grep -ls -- "$rl_label" "$LOCKVM_ROOT"/run/lockvm/images/* 2>/dev/null | wc -l)
	[ "$recs" -ge 1 ] && pass "relabel on restore: the image record holds rl2's label $rl_label" ||
		fail "relabel on restore: no image record with $rl_label: $(cat "$LOCKVM_ROOT"/run/lockvm/images/* 2>/dev/null | head -c 300)"
	"$LOCKVM" kill rl2 >/dev/null 2>&1
	for _ in $(seq 50); do [ "$(stat -c '%u:%g %a' "$S/rl.img")" = "$rl_before" ] && break; sleep 0.1; done
	[ "$(stat -c '%u:%g %a' "$S/rl.img")" = "$rl_before" ] && pass "relabel on restore: the disk is given back after the restored VM" ||
		fail "relabel on restore: after rl2 the disk is $(stat -c '%u:%g %a' "$S/rl.img"), was $rl_before"
else
	fail "relabel on restore: rl2 did not start"
fi
rm -f "$S/rl.snap"

# ---- live migration over a unix socket ---------------------------------------
"$LOCKVM" run -d --name m1 --vcpus 2 "$G/counter.elf" 10 >/dev/null
sleep 0.6
m1_label=$(label_of m1)
"$LOCKVM" incoming --listen "unix:$S/m.sock" --name m2 --vcpus 2 -d >"$S/inc.out" 2>&1 &
inc=$!
for _ in $(seq 50); do [ -S "$S/m.sock" ] && break; sleep 0.1; done
expect "migrate unix: done, downtime printed" 0 "downtime" "$LOCKVM" migrate m1 --to "unix:$S/m.sock"
[ -S "$S/m.sock" ] && python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$S/m.sock" 2>/dev/null
wait $inc
sleep 0.4
m2_label=$(label_of m2 2>/dev/null)
"$LOCKVM" kill m2 >/dev/null 2>&1
sleep 0.2
if live m1; then fail "migrate unix: the source still runs"; else pass "migrate unix: the source ended and released its label"; fi
r=$(unbroken "$LOGS/m1.log" "$LOGS/m2.log")
if [[ $r == ok* ]]; then pass "migrate unix: source and target ticks form one sequence ($r)"; else fail "migrate unix: ticks broken: $r"; fi
if [ -n "$m2_label" ] && [ "$m2_label" != "$m1_label" ]; then pass "migrate unix: the target's label is new"; else fail "migrate unix: target label '$m2_label' (source '$m1_label')"; fi

# ---- migration while the VMM writes guest memory (issue 14.4) ----------------
# migrate_io.elf loops 4 MiB disk reads and 64 KiB random reads and checks,
# at its next turn, that the VMM's writes are still in its memory: a page
# marked dirty before the VMM wrote it could be sent stale by a pre-copy
# round, and the target would find it (MISMATCH). Three hops, each checked.
python3 -c 'import struct, sys
with open(sys.argv[1], "wb") as f:
    for k in range(16384): f.write(struct.pack("<Q", k) * 64)' "$S/io.img"
for i in 1 2 3 4; do cp "$S/io.img" "$S/io$i.img"; done
"$LOCKVM" run -d --name io1 --disk "$S/io1.img,ro" "$TG/migrate_io.elf" >/dev/null
sleep 0.5
for hop in 1 2 3; do
	next=$((hop + 1))
	"$LOCKVM" incoming --listen "unix:$S/io$next.sock" --accept-timeout 20 --name "io$next" --disk "$S/io$next.img,ro" -d >"$S/io_inc$next.out" 2>&1 &
	inc=$!
	for _ in $(seq 50); do [ -S "$S/io$next.sock" ] && break; sleep 0.1; done
	expect "migrate io$hop -> io$next while the guest reads its disk and random bytes" 0 "downtime" \
		"$LOCKVM" migrate "io$hop" --to "unix:$S/io$next.sock"
	wait $inc || fail "incoming io$next: exit $?, output: $(tr '\n' '|' <"$S/io_inc$next.out")"
	sleep 0.6
done
for i in 1 2 3 4; do "$LOCKVM" kill "io$i" >/dev/null 2>&1; done # whichever still runs
sleep 0.3
turns=$(cat "$LOGS"/io[234].log 2>/dev/null | grep -c '^turn')
bad=$(cat "$LOGS"/io[1234].log 2>/dev/null | grep -a 'MISMATCH\|disk read:' | head -1)
if [ -z "$bad" ] && [ "$turns" -ge 3 ]; then
	pass "migrate: the targets' memory holds every disk and random read the VMM did ($turns hundred turns checked after the hops)"
else
	fail "migrate with VMM writes: ${bad:-only $turns hundred turns on the targets}"
fi

# ---- a target that dies mid-stream leaves the source running ----------------
"$LOCKVM" run -d --name keep2 --mem 64M "$G/counter.elf" 10 0 32 >/dev/null
sleep 0.5
python3 - "$S/dead.sock" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1] + ".t"); s.listen(1); os.rename(sys.argv[1] + ".t", sys.argv[1])
c, _ = s.accept()
got = 0
while got < 1 << 20:
    d = c.recv(65536)
    if not d: break
    got += len(d)
c.close()
PY
dead=$!
for _ in $(seq 50); do [ -S "$S/dead.sock" ] && break; sleep 0.1; done
expect "migrate: a target dying mid-stream fails the migration" 125 "keeps running here" "$LOCKVM" migrate keep2 --to "unix:$S/dead.sock"
wait $dead
before=$(ticks "$LOGS/keep2.log" | tail -1)
sleep 0.3
after=$(ticks "$LOGS/keep2.log" | tail -1)
if live keep2 && [ "${after:-0}" -gt "${before:-0}" ]; then
	pass "migrate: after the failed migration the source keeps ticking ($before -> $after)"
else
	fail "migrate: source after the failed migration: live=$(live keep2 && echo yes || echo no) ticks $before -> $after"
fi
r=$(unbroken "$LOGS/keep2.log")
if [[ $r == ok* ]]; then pass "migrate: no tick lost or repeated across the failed attempt"; else fail "migrate: failed attempt broke ticks: $r"; fi
expect "migrate: unreachable target refused" 125 "connect" "$LOCKVM" migrate keep2 --to "unix:$S/none.sock"
expect "migrate: bad address refused" 125 "want unix:PATH or tcp:HOST:PORT" "$LOCKVM" migrate keep2 --to "udp:x"
"$LOCKVM" kill keep2 >/dev/null
expect "migrate: a VM that is not running" 125 "no running VM named 'm1'" "$LOCKVM" migrate m1 --to "unix:$S/none.sock"

# ---- --linux VMs: save and migrate refused early, the VM runs on -----------
bb=$(command -v busybox)
if [ -n "$bb" ] && file -L "$bb" | grep -q "statically linked"; then
	"$LOCKVM" run -d --name lx --linux "$bb" -- sleep 30 >/dev/null
	one_line "save of a --linux VM refused" "save lx: a --linux VM cannot be saved or migrated yet" \
		"$LOCKVM" save lx "$S/lx.snap"
	if [ -e "$S/lx.snap" ]; then fail "save of a --linux VM left a file"; else pass "save of a --linux VM makes no file"; fi
	python3 - "$S/lx.sock" >"$S/lx.out" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1] + ".t"); s.listen(1); os.rename(sys.argv[1] + ".t", sys.argv[1]); s.settimeout(3)
try:
    s.accept()
    print("connected")
except OSError:
    pass
PY
	lxl=$!
	for _ in $(seq 50); do [ -S "$S/lx.sock" ] && break; sleep 0.1; done
	one_line "migrate of a --linux VM refused" "migrate lx: a --linux VM cannot be saved or migrated yet" \
		"$LOCKVM" migrate lx --to "unix:$S/lx.sock"
	wait $lxl
	if grep -q connected "$S/lx.out"; then fail "migrate of a --linux VM: the target was contacted"; else pass "migrate of a --linux VM: refused before contacting the target"; fi
	if live lx; then pass "--linux VM: still running after the refusals"; else fail "--linux VM: ended by a refused save"; fi
	"$LOCKVM" kill lx >/dev/null
else
	skip "--linux save refused: no statically linked busybox to run (apt-get install busybox-static)"
fi

# ---- a VM with a NIC comes back with the same MAC (a bridge in a netns) -------
NN=lvsnapN$$
inN=(nsenter --net="/run/netns/$NN") # an array: expect's timeout runs it
if command -v ping >/dev/null && ip netns add "$NN" 2>/dev/null && ip -n "$NN" link set lo up &&
	ip -n "$NN" link add lvsnbr type bridge && ip -n "$NN" addr add 10.92.0.1/24 dev lvsnbr &&
	ip -n "$NN" link set lvsnbr up; then
	"${inN[@]}" "$LOCKVM" run -d --name n1 --net bridge=lvsnbr "$G/netecho.elf" 10.92.0.2/24 >/dev/null
	sleep 0.5
	n1_mac=$("$LOCKVM" inspect n1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["net"]["mac"])')
	expect "NIC: the host pings the VM before the save" 0 " 0% packet loss" "${inN[@]}" ping -c 2 -W 2 -i 0.2 10.92.0.2
	expect "NIC: the VM is saved" 0 "stopped" "${inN[@]}" "$LOCKVM" save n1 "$S/n1.snap"
	expect "NIC: restore without --net takes --net and --mac from the save record" 0 "n2" \
		"${inN[@]}" "$LOCKVM" restore "$S/n1.snap" --name n2 -d
	expect "NIC: the restored VM has the saved MAC $n1_mac" 0 "bridge=lvsnbr tap=lv-n2 mac=$n1_mac" "${inN[@]}" "$LOCKVM" inspect n2
	expect "NIC: the host pings the restored VM (its cached MAC is its NIC's)" 0 " 0% packet loss" \
		"${inN[@]}" ping -c 2 -W 2 -i 0.2 10.92.0.2
	"${inN[@]}" "$LOCKVM" stop n2 >/dev/null
	expect "NIC: the guest answered before and after the restore, one run" 0 "netecho: answered 4 echo requests" \
		cat "$LOGS/n2.log"
	one_line "NIC: a stream with a NIC into a VM without one refused" \
		"the stream's VM had a NIC with MAC $n1_mac, this one has none (give --net and --mac $n1_mac)" \
		"${inN[@]}" "$LOCKVM" restore "$S/n1.snap" --net none
	nothing_left "NIC: refused for want of a NIC"
	one_line "NIC: another MAC refused" "the stream's NIC has MAC $n1_mac, this one 02:00:00:00:00:07 (give --mac $n1_mac" \
		"${inN[@]}" "$LOCKVM" restore "$S/n1.snap" --net bridge=lvsnbr --mac 02:00:00:00:00:07
	nothing_left "NIC: refused for another MAC"
	cp "$S/n1.snap" "$S/n1copy.snap"
	one_line "NIC: a copy (no save record) without --net refused" "give --net and --mac $n1_mac" \
		"${inN[@]}" "$LOCKVM" restore "$S/n1copy.snap"
	"$SE" "$S/n1.snap" "$S/n1mac.snap" nic-mac=02:00:00:00:00:09 || fail "snapedit nic-mac failed"
	one_line "NIC: a forged NIC section (another MAC) refused" "the stream's NIC has MAC 02:00:00:00:00:09, this one $n1_mac" \
		"${inN[@]}" "$LOCKVM" restore "$S/n1mac.snap" --net bridge=lvsnbr --mac "$n1_mac"
	if "${inN[@]}" ip -o link show | grep -q 'lv-'; then fail "NIC: a tap is left after the refusals"; else pass "NIC: no tap left after the refusals"; fi
	# Live migration checks the NIC too: a target with another MAC refuses, the source runs on.
	"${inN[@]}" "$LOCKVM" run -d --name n4 --net bridge=lvsnbr --mac 02:00:00:00:92:04 "$G/netecho.elf" 10.92.0.4/24 >/dev/null
	sleep 0.3
	"${inN[@]}" "$LOCKVM" incoming --listen "unix:$S/n.sock" --accept-timeout 20 --name n5 --net bridge=lvsnbr >"$S/n5.out" 2>&1 &
	inc=$!
	for _ in $(seq 50); do [ -S "$S/n.sock" ] && break; sleep 0.1; done
	expect "NIC: migrate into a target with another MAC fails" 125 "keeps running here" \
		"${inN[@]}" "$LOCKVM" migrate n4 --to "unix:$S/n.sock"
	wait $inc
	if grep -qF "the stream's NIC has MAC 02:00:00:00:92:04" "$S/n5.out"; then pass "NIC: the target names the MAC it wants"; else fail "NIC: target said: $(tr '\n' '|' <"$S/n5.out")"; fi
	"${inN[@]}" "$LOCKVM" incoming --listen "unix:$S/n.sock" --accept-timeout 20 --name n5 --net bridge=lvsnbr --mac 02:00:00:00:92:04 -d >/dev/null 2>&1 &
	inc=$!
	for _ in $(seq 50); do [ -S "$S/n.sock" ] && break; sleep 0.1; done
	expect "NIC: migrate into a target with the same MAC" 0 "downtime" "${inN[@]}" "$LOCKVM" migrate n4 --to "unix:$S/n.sock"
	wait $inc
	expect "NIC: the host pings the migrated VM" 0 " 0% packet loss" "${inN[@]}" ping -c 2 -W 2 -i 0.2 10.92.0.4
	"${inN[@]}" "$LOCKVM" kill n5 >/dev/null 2>&1
	"${inN[@]}" "$LOCKVM" kill n4 >/dev/null 2>&1
else
	skip "NIC save/restore: cannot make a network namespace with a bridge here (or no ping)"
fi
ip netns del "$NN" 2>/dev/null

# ---- incoming --accept-timeout: no source, one clear line, nothing left ------
for detach in "" -d; do
	run_capture "$LOCKVM" incoming --listen "unix:$S/acc.sock" --accept-timeout 1 --name acc $detach
	if [ "$rc" -eq 125 ] && grep -qF "no source connected within 1 s" <<<"$out" &&
		[ "$(wc -l <<<"$out")" -eq 1 ]; then
		pass "incoming ${detach:+-d }--accept-timeout 1: ends with one line and exit 125"
	else
		fail "incoming ${detach:+-d }--accept-timeout 1: exit $rc, output: $(tr '\n' '|' <<<"$out")"
	fi
	if [ -e "$S/acc.sock" ]; then fail "incoming --accept-timeout: the socket file is left"; else pass "incoming --accept-timeout: the socket file is removed"; fi
	nothing_left "incoming ${detach:+-d }--accept-timeout"
done
# A refusal after the socket is made (a --disk that is not there is opened
# after --listen) leaves no socket file: one would refuse the next --listen.
for detach in "" -d; do
	expect "incoming ${detach:+-d }refused after --listen: one line" 125 "disk $S/nosuch.img" \
		"$LOCKVM" incoming --listen "unix:$S/acc.sock" --name acc --disk "$S/nosuch.img" $detach
	if [ -e "$S/acc.sock" ]; then fail "incoming ${detach:+-d }refused after --listen: the socket file is left"; else pass "incoming ${detach:+-d }refused after --listen: the socket file is removed"; fi
done
expect "incoming: --accept-timeout takes whole seconds" 125 "--accept-timeout '1.5'" \
	"$LOCKVM" incoming --listen "unix:$S/acc.sock" --accept-timeout 1.5
expect "incoming: the name is free again after the timeout" 0 "" "$LOCKVM" run --name acc --timeout 0.2 "$G/hello.elf"

# ---- TCP between two network namespaces joined by veth ----------------------
A=lvsnapA$$ Bn=lvsnapB$$
# nsenter rather than `ip netns exec`, which remounts /sys and so hides the
# cgroup v1 hierarchies the VM's cgroup lives in.
inA() { nsenter --net="/run/netns/$A" "$@"; }
inB() { nsenter --net="/run/netns/$Bn" "$@"; }
if ip netns add "$A" 2>/dev/null && ip netns add "$Bn" 2>/dev/null &&
	ip link add "va$$" type veth peer name "vb$$" 2>/dev/null &&
	ip link set "va$$" netns "$A" && ip link set "vb$$" netns "$Bn" &&
	ip -n "$A" addr add 10.231.0.1/24 dev "va$$" && ip -n "$Bn" addr add 10.231.0.2/24 dev "vb$$" &&
	ip -n "$A" link set "va$$" up && ip -n "$Bn" link set "vb$$" up &&
	ip -n "$A" link set lo up && ip -n "$Bn" link set lo up; then
	inA "$LOCKVM" run -d --name t1 "$G/counter.elf" 10 >/dev/null
	sleep 0.5
	inB "$LOCKVM" incoming --listen tcp:10.231.0.2:47031 --name t2 -d >"$S/tinc.out" 2>&1 &
	inc=$!
	for _ in $(seq 50); do inB ss -Hltn 'sport = :47031' | grep -q . && break; sleep 0.1; done
	expect "migrate tcp between namespaces: done" 0 "downtime_ms" nsenter --net="/run/netns/$A" "$LOCKVM" migrate t1 --to tcp:10.231.0.2:47031 --json
	# A target still waiting (the migration failed) is ended by a
	# connection that closes at once: it refuses the empty stream.
	inB bash -c 'exec 3<>/dev/tcp/10.231.0.2/47031' 2>/dev/null
	wait $inc
	sleep 0.4
	"$LOCKVM" kill t2 >/dev/null 2>&1
	sleep 0.2
	r=$(unbroken "$LOGS/t1.log" "$LOGS/t2.log")
	if [[ $r == ok* ]]; then pass "migrate tcp: ticks form one sequence ($r)"; else fail "migrate tcp: ticks broken: $r"; fi
	if live t1; then fail "migrate tcp: the source still runs"; else pass "migrate tcp: the source ended"; fi
else
	skip "migrate tcp: cannot make two network namespaces joined by veth here"
fi
ip netns del "$A" 2>/dev/null
ip netns del "$Bn" 2>/dev/null
exit 0
