#!/usr/bin/env bash
# VM definitions and the pool: define, undefine, start, pool list|create|delete, all under a private root.
. "$(dirname "$0")/../lib.sh"
R=$T_TMP/root
mkdir -p "$R"
L=("$LOCKVM" --root "$R")
DEFS=$R/etc/lockvm/vms
POOL=$R/var/lib/lockvm/images

# --- define / undefine ----------------------------------------------------
cat >"$T_TMP/hello.conf" <<EOF
; the hello guest with two arguments
[vm]
guest = $G/hello.elf
mem = 16M
vcpus = 2
timeout = 20
arg = one
arg = two words
EOF
expect "define installs a definition" 0 "VM web1 defined from" "${L[@]}" define web1 "$T_TMP/hello.conf"
if cmp -s "$T_TMP/hello.conf" "$DEFS/web1.conf" && [ "$(stat -c %a "$DEFS/web1.conf")" = 600 ]; then
	pass "define: installed byte for byte, mode 0600"
else fail "define: $DEFS/web1.conf missing, different or not 0600"; fi
expect "define again replaces and says so" 0 "replaced the previous definition" \
	"${L[@]}" define web1 "$T_TMP/hello.conf"
ls "$DEFS" | grep -q '\.tmp\.' && fail "define left a temporary file: $(ls "$DEFS")" ||
	pass "define leaves no temporary file"

printf '[vm]\nguest = %s\nmem = 9M\n' "$G/hello.elf" >"$T_TMP/bad.conf"
expect "define refuses a bad file with FILE:LINE" 125 "$T_TMP/bad.conf:3: mem 9M is not a multiple of 2M" \
	"${L[@]}" define web2 "$T_TMP/bad.conf"
[ -e "$DEFS/web2.conf" ] && fail "a refused definition was installed" || pass "a refused definition is not installed"
expect "a bad redefinition is refused" 125 "bad.conf:3:" "${L[@]}" define web1 "$T_TMP/bad.conf"
cmp -s "$T_TMP/hello.conf" "$DEFS/web1.conf" && pass "a bad redefinition keeps the old one" ||
	fail "a bad redefinition changed $DEFS/web1.conf"
printf '[vm]\nguest = %s\n[network]\nbridge = br0\n' "$G/hello.elf" >"$T_TMP/bad2.conf"
expect "define refuses an unknown section" 125 "bad2.conf:3: unknown section [network] (want [vm] or [disk])" \
	"${L[@]}" define web2 "$T_TMP/bad2.conf"
expect "define: missing file" 125 "nosuch.conf: cannot read it: No such file or directory" \
	"${L[@]}" define web2 "$T_TMP/nosuch.conf"
expect "define: a directory is not a definition" 125 "not a regular file" "${L[@]}" define web2 "$T_TMP"
expect "define: usage" 125 "usage: lockvm define NAME FILE" "${L[@]}" define web2
ln -s "$T_TMP/hello.conf" "$T_TMP/link.conf"
expect "define follows the operator's symlink" 0 "VM web3 defined" "${L[@]}" define web3 "$T_TMP/link.conf"
[ -f "$DEFS/web3.conf" ] && [ ! -L "$DEFS/web3.conf" ] && pass "the installed definition is a file, not a link" ||
	fail "web3.conf is not a regular file"

long=$(printf 'x%.0s' {1..65})
for bad in "../etc" ".hidden" "-rf" "a/b" "a b" "$long" ""; do
	# "--": a name such as -rf is an operand, not options (refused as a name)
	expect "define refuses the name '$bad'" 125 "define: VM name '$bad'" \
		"${L[@]}" define -- "$bad" "$T_TMP/hello.conf"
done
expect "undefine refuses a bad name" 125 "undefine: VM name '../web1'" "${L[@]}" undefine ../web1
expect "start refuses a bad name" 125 "start: VM name 'a/b'" "${L[@]}" start a/b
ls "$R/etc/lockvm" | grep -qv '^vms$' && fail "a bad name wrote outside vms/: $(ls "$R/etc/lockvm")" ||
	pass "bad names wrote nothing"

expect "undefine removes it" 0 "VM web3 undefined" "${L[@]}" undefine web3
[ -e "$DEFS/web3.conf" ] && fail "web3.conf still there" || pass "undefine: the file is gone"
expect "undefine: no such definition" 125 "undefine: no VM named 'web3' is defined" "${L[@]}" undefine web3
expect "start: no such definition" 125 "start: no VM named 'nosuch' is defined (see 'lockvm define')" \
	"${L[@]}" start nosuch

# A definition broken by hand after define is refused at start, naming the file and line.
printf '[vm]\nguest = %s\nvcpus = lots\n' "$G/hello.elf" >"$DEFS/broken.conf"
expect "start: a definition edited into a bad one" 125 "$DEFS/broken.conf:3: vcpus 'lots'" \
	"${L[@]}" start broken
rm -f "$DEFS/broken.conf"

# LOCKVM_ROOT works like --root, and neither touches another root.
R2=$T_TMP/root2
mkdir -p "$R2"
LOCKVM_ROOT=$R2 expect "define under LOCKVM_ROOT" 0 "VM other defined" "$LOCKVM" define other "$T_TMP/hello.conf"
[ -f "$R2/etc/lockvm/vms/other.conf" ] && [ ! -e "$DEFS/other.conf" ] && pass "roots are separate" ||
	fail "LOCKVM_ROOT: other.conf not where expected"

expect "the shipped example definition is valid" 0 "VM example defined" \
	"${L[@]}" define example "$TOP/policy/vms/example.conf"

# --- pool -------------------------------------------------------------------
expect "pool list on an empty pool" 0 "NAME  SIZE  ALLOCATED  PATH" "${L[@]}" pool list
run_capture "${L[@]}" pool list --json
[ "$rc" -eq 0 ] && [ "$(python3 -c 'import json,sys; print(json.load(sys.stdin))' <<<"$out")" = "[]" ] &&
	pass "pool list --json on an empty pool is []" || fail "empty pool json: rc=$rc $out"
expect "pool create" 0 "image disk1 created: 4.00 MiB" "${L[@]}" pool create disk1 4M
expect "pool create a second" 0 "image big created: 1.00 GiB" "${L[@]}" pool create big 1G
expect "pool create refuses an existing name" 125 "image disk1 already exists" "${L[@]}" pool create disk1 8M
[ "$(stat -c %s "$POOL/disk1.img")" = 4194304 ] && pass "an existing image is left as it was" ||
	fail "disk1.img was changed by a refused create"
expect "pool create: size not a multiple of 512" 125 "size 1000 is not a positive multiple of 512 bytes" \
	"${L[@]}" pool create odd 1000
expect "pool create: size 0" 125 "not a positive multiple of 512" "${L[@]}" pool create zero 0
expect "pool create: not a size" 125 "size 'huge': not a size" "${L[@]}" pool create x huge
expect "pool create: bad name" 125 "image name '../x' starts with '.' or '-'" "${L[@]}" pool create ../x 1M
expect "pool create: usage" 125 "usage: lockvm pool" "${L[@]}" pool create x
expect "pool: unknown subcommand" 125 "pool: unknown command 'resize'" "${L[@]}" pool resize x 1M
if [ "$(stat -c '%a %s' "$POOL/big.img")" = "600 1073741824" ] &&
	[ "$(stat -c %b "$POOL/big.img")" -lt 2048 ]; then
	pass "pool images are sparse and 0600"
else fail "big.img: $(stat -c '%a %s %b' "$POOL/big.img")"; fi

run_capture "${L[@]}" pool list
if [ "$rc" -eq 0 ] && [ "$(sed -n 2p <<<"$out" | awk '{print $1}')" = big ] &&
	grep -qE "^disk1 +4\.00 MiB +0 B  $POOL/disk1.img$" <<<"$out" &&
	[ "$(awk '{print index($0, "PATH")}' <<<"$(head -1 <<<"$out")")" = \
		"$(awk 'NR==2{print index($0, "/")}' <<<"$out")" ]; then
	pass "pool list: sorted, aligned table"
else fail "pool list: rc=$rc out=$out"; fi
cat >"$T_TMP/check.py" <<'EOF'
import json, sys
images = json.load(sys.stdin)
assert [i["name"] for i in images] == ["big", "disk1"], images
assert all(set(i) == {"name", "path", "size", "allocated"} for i in images), images
assert images[1] == {"name": "disk1", "path": sys.argv[1] + "/disk1.img", "size": 4194304,
                     "allocated": images[1]["allocated"]}, images
assert images[0]["size"] == 1 << 30 and images[0]["allocated"] < 1 << 20, images
EOF
run_capture "${L[@]}" pool list --json
if [ "$rc" -eq 0 ] && python3 "$T_TMP/check.py" "$POOL" <<<"$out" 2>"$T_TMP/json.err"; then
	pass "pool list --json parses back with the documented fields"
else fail "pool list --json: rc=$rc $(tail -n 1 "$T_TMP/json.err") $out"; fi
expect "pool list: unknown option" 125 "pool list: unknown option '--xml'" "${L[@]}" pool list --xml

expect "pool delete" 0 "image big deleted" "${L[@]}" pool delete big
[ -e "$POOL/big.img" ] && fail "big.img still there" || pass "pool delete removed the file"
expect "pool delete: no such image" 125 "no image named 'big' in the pool" "${L[@]}" pool delete big
expect "pool delete: bad name" 125 "image name 'a/b'" "${L[@]}" pool delete a/b

# --- a pool image as a VM disk ------------------------------------------------
if ! have_kvm; then
	skip "pool image as a disk: /dev/kvm is not usable here"
else
	head -c $((1024 * 1024 + 512)) /dev/urandom >"$T_TMP/src.img"
	expect "pool create for a copy" 0 "created" "${L[@]}" pool create copy 2M
	expect "lockvm run copies onto a pool image" 0 "copied 2049 sectors" \
		"$LOCKVM" run --disk "$T_TMP/src.img,ro" --disk "$POOL/copy.img" "$G/blkcopy.elf"
	cmp -s "$T_TMP/src.img" <(head -c $((1024 * 1024 + 512)) "$POOL/copy.img") &&
		pass "the pool image holds the copy" || fail "the pool image differs from the source"
	[ "$(stat -c '%u %a' "$POOL/copy.img")" = "0 600" ] &&
		pass "the pool image is root's and 0600 again after the run" ||
		fail "copy.img after the run: $(stat -c '%u %a' "$POOL/copy.img")"
fi

# --- start: the definition goes through `lockvm run --detach` ------------------
wait_for() { # wait_for SECONDS CMD... : until CMD succeeds
	local deadline=$((SECONDS + $1)); shift
	until "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.2
	done
}
if ! have_kvm; then
	skip "start: /dev/kvm is not usable here"
elif [ -n "$UNCONFINED_REASON" ]; then
	skip "start: $UNCONFINED_REASON (start goes through run itself, without the wrapper)"
else
	# a pool image as the disk of a started VM: blkcopy fills it
	expect "pool create for a started VM" 0 "created" "${L[@]}" pool create started 2M
	cat >"$T_TMP/copy.conf" <<EOF
[vm]
guest = $G/blkcopy.elf
mem = 16M
timeout = 30
[disk]
path = $T_TMP/src.img
mode = ro
[disk]
path = $POOL/started.img
mode = rw
EOF
	expect "define a VM with a pool disk" 0 "VM copier defined" "${L[@]}" define copier "$T_TMP/copy.conf"
	expect "start returns once the VM runs" 0 "" "${L[@]}" start copier
	same() { cmp -s "$T_TMP/src.img" <(head -c $((1024 * 1024 + 512)) "$POOL/started.img"); }
	wait_for 30 same && pass "the started VM copied onto its pool disk" ||
		fail "the started VM did not fill $POOL/started.img within 30 s"
	logs_have() { "${L[@]}" logs web1 2>/dev/null | grep -qF "two words"; }
	expect "start web1" 0 "" "${L[@]}" start web1
	wait_for 20 logs_have && pass "start passed the guest its arguments (lockvm logs)" ||
		fail "web1's log lacks its argument 'two words': $("${L[@]}" logs web1 2>&1 | tail -n 3)"
	# start detaches: it returns while the VM (a 60 s service) still runs,
	# and a second start of the running VM is refused by run's registry
	expect "pool create for a running VM" 0 "created" "${L[@]}" pool create svcdisk 1M
	printf '[vm]\nguest = %s\nmem = 16M\ntimeout = 60\narg = 60\n[disk]\npath = %s\n' \
		"$G/service.elf" "$POOL/svcdisk.img" >"$T_TMP/svc.conf"
	expect "define a long-running VM" 0 "defined" "${L[@]}" define svc "$T_TMP/svc.conf"
	started=$SECONDS
	expect "start it" 0 "" "${L[@]}" start svc
	svc_running() {
		"${L[@]}" list --json 2>/dev/null | python3 -c \
			'import json,sys; sys.exit(not any(v["name"] == "svc" for v in json.load(sys.stdin)))'
	}
	if [ $((SECONDS - started)) -lt 30 ] && svc_running; then
		pass "start detaches: it returned in $((SECONDS - started)) s and the VM still runs"
	else
		fail "start did not detach: returned after $((SECONDS - started)) s; list: $("${L[@]}" list 2>&1 | tr '\n' '|')"
	fi
	expect "start it again while it runs" 125 "already running" "${L[@]}" start svc
	expect "pool delete refuses the disk of a running VM" 125 \
		"image svcdisk is a disk of the running VM 'svc'; stop it first" "${L[@]}" pool delete svcdisk
	[ -f "$POOL/svcdisk.img" ] && pass "the refused image is still there" || fail "svcdisk.img is gone"
	expect "undefine while it runs" 0 "VM svc undefined" "${L[@]}" undefine svc
	expect "kill it" 0 "" "${L[@]}" kill svc
	svc_gone() { "${L[@]}" pool delete svcdisk >/dev/null 2>&1; }
	wait_for 10 svc_gone && pass "pool delete works once the VM is gone" ||
		fail "pool delete still refused after kill: $("${L[@]}" pool delete svcdisk 2>&1)"
	printf '[vm]\nguest = %s\nlabel = none\ntimeout = 5\n[disk]\npath = %s\nmode = shared\n' \
		"$G/hello.elf" "$POOL/disk1.img" >"$T_TMP/shared.conf"
	expect "define label none with a shared disk" 0 "defined" "${L[@]}" define sh "$T_TMP/shared.conf"
	expect "start label none with a shared disk" 0 "" "${L[@]}" start sh
fi

# Started VMs end on their own (timeouts above); wait for them so nothing
# outlives the private root, and kill what is still there after 30 s.
live_count() {
	"${L[@]}" list --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
none_live() { [ "$(live_count)" = 0 ]; }
if ! wait_for 30 none_live; then
	for name in $("${L[@]}" list --json | python3 -c 'import json,sys; print(*[v["name"] for v in json.load(sys.stdin)])'); do
		"${L[@]}" kill "$name" >/dev/null 2>&1
	done
	fail "started VMs still ran 30 s after the tests"
fi
