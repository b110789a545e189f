#!/usr/bin/env bash
# --linux upper layer: hard links in memory (link, linkat), rename of lower directories, as lx_link checks; the lower tree unchanged.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_upper: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux

# A small lower tree: files, a directory with children to rename, a tree two deep.
UP=$T_TMP/tree
make_tree() { # $1 = where
	mkdir -p "$1/bin" "$1/etc" "$1/data/sub" "$1/deep/inner" "$1/deep/other" "$1/ldir/sub" "$1/linkdir"
	printf 'hello\n' >"$1/etc/f"
	echo g >"$1/etc/g"
	echo aaa >"$1/data/a"
	echo y >"$1/data/sub/y"
	echo z >"$1/deep/inner/z"
	echo o >"$1/deep/other/o"
	echo x >"$1/ldir/x"
	echo y >"$1/ldir/sub/y"
}
make_tree "$UP"
cp "$LX"/lx_link.* "$UP/bin/"
mkdir -p "$T_TMP/vol-glibc" "$T_TMP/vol-musl"
chmod -R a+rX "$T_TMP"
chmod a+rwx "$T_TMP/vol-glibc" "$T_TMP/vol-musl"
tree_sum() { (cd "$UP" && find . -printf '%p %s %m %T@\n' | sort && find . -type f -exec sha256sum {} + | sort) | sha256sum; }
before=$(tree_sum)

# The checks pass natively on a copy of the tree (they say what Linux does).
make_tree "$T_TMP/native"
mkdir -p "$T_TMP/native-tmp"
native=$("$LX/lx_link.glibc" "$T_TMP/native" "$T_TMP/native-tmp" - 2>&1)
grep -qxF "all checks passed" <<<"$native" && pass "lx_link passes natively" ||
	fail "lx_link natively: $(grep -A1 FAILED <<<"$native" | tr '\n' '|')"

for libc in glibc musl; do
	[ -x "$LX/lx_link.$libc" ] || { skip "linux_upper: lx_link.$libc not built (musl-gcc missing)"; continue; }
	run_capture "$LOCKVM" run --linux --fs "$UP" --volume "$T_TMP/vol-$libc:/vol" "lx_link.$libc" -- / /tmp /vol
	while IFS= read -r line; do
		case $line in
		"ok "*) pass "$libc: ${line#ok }" ;;
		"FAILED "*) fail "$libc: ${line#FAILED }" ;;
		esac
	done <<<"$out"
	[ "$rc" -eq 0 ] && grep -qxF "all checks passed" <<<"$out" &&
		pass "$libc: lx_link: every check ran in the VM" ||
		fail "$libc: lx_link: exit $rc: $(grep -A1 FAILED <<<"$out" | tail -n 6 | tr '\n' '|')"
done
[ "$before" = "$(tree_sum)" ] && pass "the lower tree is unchanged after links and renames" ||
	fail "the lower tree changed"

# --fs-upper DIR: the job's upper layer written to DIR when it ends, as an
# OCI layer (changed entries, .wh.NAME whiteouts, .wh..wh..opq opaque
# directories), DIR and everything in it its owner's.
L=$T_TMP/layer-tree
make_tree "$L"
cp "$LX/lx_link.glibc" "$L/bin/"
find "$L" -type d -exec chmod 755 {} + && find "$L" -type f -exec chmod 644 {} + && chmod 755 "$L/bin/lx_link.glibc"
layer_before=$(cd "$L" && find . -printf '%p %y %m %s\n' | sort | sha256sum)
D=$T_TMP/out/layer
mkdir -p "$D" && chown 4242:4343 "$T_TMP/out" "$D" && chmod 755 "$T_TMP/out" "$D"
expect "--fs-upper DIR: the job runs, a name a layer cannot hold is left out with a note" 0 \
	"1 entries a layer cannot hold were left out" \
	"$LOCKVM" run --linux --fs "$L" --fs-upper "$D" lx_link.glibc -- job
got=$(cd "$D" 2>/dev/null && find . -mindepth 1 -printf '%p %y %m\n' | sort)
want='./.wh.ldir f 600
./a d 750
./a/hard f 640
./a/l l 777
./a/x f 755
./data d 755
./data/sub d 755
./data/sub/.wh..wh..opq f 600
./data/sub/n f 644
./etc d 755
./etc/.wh.g f 600
./etc/f f 644
./etc/new f 640
./ldir2 d 755
./ldir2/sub d 755
./ldir2/sub/y f 644
./ldir2/x f 644'
[ "$got" = "$want" ] && pass "--fs-upper DIR: exactly the changed entries, whiteouts and opaque marker, with their modes (set-id dropped)" ||
	fail "--fs-upper DIR holds: $(tr '\n' '|' <<<"$got")"
[ "$(cat "$D/etc/f" 2>/dev/null)" = "$(printf 'hello\nmore')" ] && [ "$(cat "$D/a/hard" 2>/dev/null)" = new ] &&
	[ "$(readlink "$D/a/l")" = ../etc/f ] && [ "$(cat "$D/ldir2/sub/y" 2>/dev/null)" = y ] &&
	[ ! -s "$D/etc/.wh.g" ] && [ ! -e "$D/etc/.wh.fake" ] &&
	pass "--fs-upper DIR: contents: a copied-up file, a hard link's, a symlink's target, a moved directory's lower file" ||
	fail "--fs-upper DIR contents: $(cat "$D/etc/f" "$D/a/hard" 2>&1 | tr '\n' '|')"
[ "$(stat -c '%i %h' "$D/a/hard")" = "$(stat -c '%i' "$D/etc/new") 2" ] &&
	pass "--fs-upper DIR: a hard link made by the job is a hard link in the layer" ||
	fail "--fs-upper DIR: a/hard $(stat -c '%i %h' "$D/a/hard"), etc/new $(stat -c '%i %h' "$D/etc/new")"
owners=$(find "$D" -printf '%U:%G\n' | sort -u)
[ "$owners" = "4242:4343" ] && pass "--fs-upper DIR: everything in it is its owner's (4242:4343) after the VM" ||
	fail "--fs-upper DIR: owners after the VM: $owners"
# What a layer keeps besides content: the mtimes the job set (a file's, a
# directory's after its entries), and the VM's owner and full mode (set-id
# too) in user.containers.override_stat, as rootless containers/storage does.
[ "$(stat -c %Y "$D/a/x" 2>/dev/null)" = 1000000000 ] && [ "$(stat -c %Y "$D/a" 2>/dev/null)" = 1100000000 ] &&
	pass "--fs-upper DIR: a file's and a directory's mtime are the job's" ||
	fail "--fs-upper DIR: mtimes a/x $(stat -c %Y "$D/a/x" 2>&1), a $(stat -c %Y "$D/a" 2>&1)"
override() { python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.containers.override_stat").decode())' "$1" 2>&1; }
[ "$(override "$D/a/x")" = 1234:5678:04755:file ] && [ "$(override "$D/a")" = 0:0:0750:dir ] &&
	pass "--fs-upper DIR: the VM's owner (chown 1234:5678) and mode (04755) kept in user.containers.override_stat" ||
	fail "--fs-upper DIR: override_stat a/x '$(override "$D/a/x")', a '$(override "$D/a")'"
[ "$layer_before" = "$(cd "$L" && find . -printf '%p %y %m %s\n' | sort | sha256sum)" ] &&
	pass "--fs-upper DIR: the lower tree is unchanged" || fail "--fs-upper DIR: the lower tree changed"
# Refused before anything runs, in one line.
expect "--fs-upper DIR not empty is refused" 125 "not empty; give an empty or new directory" \
	"$LOCKVM" run --linux --fs "$L" --fs-upper "$D" lx_link.glibc -- job
echo file >"$T_TMP/out/file"
expect "--fs-upper DIR a file is refused" 125 "not a directory; give an empty or new directory" \
	"$LOCKVM" run --linux --fs "$L" --fs-upper "$T_TMP/out/file" lx_link.glibc -- job
mkdir -p "$T_TMP/out/real" && ln -s real "$T_TMP/out/link"
expect "--fs-upper DIR a symlink is refused (not followed)" 125 "not a directory" \
	"$LOCKVM" run --linux --fs "$L" --fs-upper "$T_TMP/out/link" lx_link.glibc -- job
[ -z "$(ls -A "$T_TMP/out/real")" ] && pass "--fs-upper: the symlink's target got nothing" || fail "--fs-upper: wrote through a symlink"
expect "--fs-upper none with --keep-upper is refused" 125 "has no upper layer to write" \
	"$LOCKVM" run --linux --fs "$L" --fs-upper none --keep-upper lx_link.glibc -- job
expect "--keep-upper without --linux is refused" 125 "--keep-upper needs --linux" "$LOCKVM" run --keep-upper "$LX/lx_link.glibc"
# --keep-upper: the memory layer written under the state root, its path printed.
expect "--keep-upper: the path of the kept layer is printed" 0 "upper layer will be kept in" \
	"$LOCKVM" run --linux --fs "$L" --keep-upper lx_link.glibc -- job
kept=$(sed -n 's/^lockvm: the job.s upper layer will be kept in //p' <<<"$out")
case $kept in
"$LOCKVM_ROOT"/var/lib/lockvm/uppers/*) [ -e "$kept/etc/.wh.g" ] && [ -e "$kept/.wh.ldir" ] &&
	pass "--keep-upper: the layer is in $kept" || fail "--keep-upper: $kept holds $(ls -A "$kept" 2>&1)" ;;
*) fail "--keep-upper: kept in '$kept', not under the state root" ;;
esac
# --keep-upper of a detached VM: the path is in its log, the layer there once it ended.
"$LOCKVM" run -d --name ku --linux --fs "$L" --keep-upper lx_link.glibc -- job >/dev/null 2>&1
for _ in $(seq 100); do "$LOCKVM" list 2>/dev/null | awk 'NR > 1 { print $1 }' | grep -qx ku || break; sleep 0.1; done
kept=$(sed -n "s/.*the job's upper layer will be kept in //p" "$LOCKVM_ROOT/var/log/lockvm/ku.log" 2>/dev/null | head -n 1)
[ -n "$kept" ] && [ -e "$kept/etc/.wh.g" ] && [ -e "$kept/ldir2/x" ] &&
	pass "--keep-upper --detach: the log names the kept layer, written when the job ended" ||
	fail "--keep-upper --detach: log says '${kept:-nothing}': $(tail -n 3 "$LOCKVM_ROOT/var/log/lockvm/ku.log" 2>&1 | tr '\n' '|')"
# --fs-upper DIR carries the VM's image label for the run, recorded and put
# back as a ,Z volume's (the label itself is written only where SELinux is on).
D2=$T_TMP/out/layer2
mkdir -p "$D2" "$T_TMP/sig" && chown 4242:4343 "$D2" && chmod 777 "$T_TMP/sig"
record_of() {
	python3 - "$1" "$LOCKVM_ROOT"/run/lockvm/images/*.json <<'PY' 2>/dev/null
import json, sys
for f in sys.argv[2:]:
    try:
        r = json.load(open(f))
    except (OSError, ValueError):
        continue
    if r.get("path") == sys.argv[1]:
        for u in r["users"]:
            print(u["mode"], u["label"])
PY
}
"$LOCKVM" run -d --name up2 --linux --fs "$L" --fs-upper "$D2" -v "$T_TMP/sig:/sig" lx_link.glibc -- wait /sig/go >/dev/null 2>&1
live_up2() { "$LOCKVM" list 2>/dev/null | awk 'NR > 1 { print $1 }' | grep -qx up2; }
for _ in $(seq 50); do live_up2 && break; sleep 0.1; done
if live_up2; then
	label=$("$LOCKVM" inspect up2 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["image_label"])')
	[ "$(record_of "$D2")" = "rw $label" ] && pass "--fs-upper DIR: recorded with the VM's image label $label while it runs" ||
		fail "--fs-upper DIR: record '$(record_of "$D2")', want 'rw $label'"
	touch "$T_TMP/sig/go"
	for _ in $(seq 100); do live_up2 || break; sleep 0.1; done
	[ -z "$(record_of "$D2")" ] && [ -e "$D2/waited" ] && [ "$(stat -c %u:%g "$D2" "$D2/waited" | sort -u)" = 4242:4343 ] &&
		pass "--fs-upper DIR: after the VM the record is gone, the layer written, all its owner's" ||
		fail "--fs-upper DIR after up2: record '$(record_of "$D2")', $(ls -A "$D2" | tr '\n' ' '), $(stat -c %u:%g "$D2")"
else
	fail "--fs-upper DIR: up2 did not start"
fi

# The layer is written however the VM ends, not only at pid 1's exit:
# `lockvm stop` (SIGTERM, pid 1's default action), --timeout, and a
# host-killed VMM says it was not. inspect shows the path and what became of it.
mkdir -p "$T_TMP/hold" && chmod 777 "$T_TMP/hold"
hold_vm() { # $1 = name, $2 = layer dir: a detached job that changed /held, ready in $T_TMP/hold/$1
	mkdir -p "$T_TMP/hold/$1"
	chmod 777 "$T_TMP/hold/$1"
	"$LOCKVM" run -d --name "$1" --linux --fs "$L" --fs-upper "$2" -v "$T_TMP/hold/$1:/sig" lx_link.glibc -- hold /sig >/dev/null 2>&1
	for _ in $(seq 300); do [ -e "$T_TMP/hold/$1/ready" ] && break; sleep 0.1; done
	[ -e "$T_TMP/hold/$1/ready" ]
}
gone_vm() { for _ in $(seq 300); do "$LOCKVM" list 2>/dev/null | awk 'NR > 1 { print $1 }' | grep -qx "$1" || return 0; sleep 0.1; done; return 1; }
inspect_field() { "$LOCKVM" inspect "$1" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$2"; }
D3=$T_TMP/out/layer3
if hold_vm hs "$D3"; then
	[ "$(inspect_field hs upper)" = "$D3" ] && "$LOCKVM" inspect hs | grep -qx "upper *$D3" &&
		pass "inspect of a running VM shows its --fs-upper DIR (text and --json)" ||
		fail "inspect hs: upper '$(inspect_field hs upper)', text: $("$LOCKVM" inspect hs | grep upper | tr '\n' '|')"
	"$LOCKVM" stop hs >/dev/null 2>&1
	gone_vm hs && [ "$(cat "$D3/held" 2>/dev/null)" = h ] && [ "$(inspect_field hs upper_state)" = written ] &&
		pass "lockvm stop: the job's upper layer is written (pid 1 ended by SIGTERM), the exit record says so" ||
		fail "lockvm stop: $D3 holds '$(ls -A "$D3" 2>&1 | tr '\n' ' ')', state '$(inspect_field hs upper_state)'"
else
	fail "lockvm stop: hs did not get ready"
fi
D4=$T_TMP/out/layer4
if hold_vm hk "$D4"; then
	"$LOCKVM" kill hk >/dev/null 2>&1
	gone_vm hk
	state=$(inspect_field hk upper_state)
	case $state in
	"not written: the VMM was killed by signal 9"*) pass "lockvm kill (SIGKILL to the VMM): the exit record says the layer was not written" ;;
	*) fail "lockvm kill: upper_state '$state'" ;;
	esac
	[ "$(inspect_field hk upper)" = "$D4" ] && "$LOCKVM" inspect hk | grep -q "^upper state: not written" &&
		grep -q "not written: the VMM was killed by signal 9" "$LOCKVM_ROOT/var/log/lockvm/hk.log" &&
		pass "lockvm kill: inspect (text and --json) and the log name the layer and say it was not written" ||
		fail "lockvm kill: inspect/log: $("$LOCKVM" inspect hk 2>&1 | tr '\n' '|')"
else
	fail "lockvm kill: hk did not get ready"
fi
D5=$T_TMP/out/layer5
mkdir -p "$T_TMP/hold/ht" && chmod 777 "$T_TMP/hold/ht"
expect "--timeout: the VM is stopped (124)" 124 "timeout" \
	"$LOCKVM" run --timeout 4 --linux --fs "$L" --fs-upper "$D5" -v "$T_TMP/hold/ht:/sig" lx_link.glibc -- hold /sig
if [ -e "$T_TMP/hold/ht/ready" ]; then
	[ "$(cat "$D5/held" 2>/dev/null)" = h ] && pass "--timeout: the job's upper layer is written" ||
		fail "--timeout: $D5 holds '$(ls -A "$D5" 2>&1 | tr '\n' ' ')'"
else
	fail "--timeout: the job did not get to its change within 4 s"
fi
