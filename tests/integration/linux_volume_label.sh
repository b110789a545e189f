#!/usr/bin/env bash
# --volume HOST:GUEST,Z and ,z: the directory's image record (old label, users) like a disk's, a volume another live VM holds with ,Z refused, ,z shared, the record gone after the VM. The label itself is written only where SELinux is on (not here; unit/test_volume_label injects setfilecon and make e2e checks it there).
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_volume_label: /dev/kvm is not usable here"; exit 0; fi
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ! file -L "$BUSYBOX" | grep -q "statically linked"; then
	skip "linux_volume_label: needs a static busybox (Debian's busybox package) for the job"
	exit 0
fi
FS=$T_TMP/fs
mkdir -p "$FS/bin"
cp "$BUSYBOX" "$FS/bin/busybox"
for t in sh sleep true ls; do ln -s busybox "$FS/bin/$t"; done
W=$T_TMP/work
mkdir -p "$W"
chmod -R a+rX "$T_TMP" && chmod 777 "$W"
field() { "$LOCKVM" inspect "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"; }
live() { "$LOCKVM" list | awk 'NR > 1 { print $1 }' | grep -qx "$1"; }
# The image record of $W, as "MODE LABEL" per user, one line each; nothing when none.
record_of() {
	python3 - "$W" "$LOCKVM_ROOT"/run/lockvm/images/*.json <<'PY' 2>/dev/null
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
# Waits until VM $1 is gone and its records with it (the supervisor ends it).
gone() { for _ in $(seq 100); do live "$1" || break; sleep 0.1; done; ! live "$1"; }

"$LOCKVM" run -d --name za --linux --fs "$FS" -v "$W:/w,Z" /bin/sleep -- 60 >/dev/null 2>&1
for _ in $(seq 50); do live za && break; sleep 0.1; done
if live za; then
	label=$(field za image_label)
	[ "$(record_of)" = "rw $label" ] &&
		pass ",Z: the volume's record holds za's private image label $label" ||
		fail ",Z: the record of $W holds '$(record_of)', want 'rw $label'"
	expect ",Z: a volume another live VM holds with ,Z is refused" 125 "in use by VM 'za'" \
		"$LOCKVM" run --linux --fs "$FS" -v "$W:/x,Z" /bin/true
	[ "$(wc -l <<<"$out")" = 1 ] || fail ",Z refusal: more than one line: $out"
	expect ",Z: ,z of a volume another live VM holds with ,Z is refused" 125 "in use by VM 'za'" \
		"$LOCKVM" run --linux --fs "$FS" -v "$W:/x,z" /bin/true
	"$LOCKVM" kill za >/dev/null 2>&1
	gone za && [ -z "$(record_of)" ] && pass ",Z: the record is gone (the old label restored) after the VM" ||
		fail ",Z: record after za: $(record_of)"
else
	fail ",Z: za did not start"
fi
# ,z: every ,z VM shares the content label.
"$LOCKVM" run -d --name zb --linux --fs "$FS" -v "$W:/w,z" /bin/sleep -- 60 >/dev/null 2>&1
for _ in $(seq 50); do live zb && break; sleep 0.1; done
if live zb; then
	[ "$(record_of)" = "shared $(field zb content_label)" ] && pass ",z: the record holds zb's shared content label" ||
		fail ",z: record: '$(record_of)'"
	expect ",z: a second VM shares a ,z volume" 0 "" "$LOCKVM" run --linux --fs "$FS" -v "$W:/x,z" /bin/true
	expect ",z: ,Z of a volume shared with ,z is refused" 125 "in use by VM 'zb'" \
		"$LOCKVM" run --linux --fs "$FS" -v "$W:/x,Z" /bin/true
	"$LOCKVM" kill zb >/dev/null 2>&1
	gone zb && [ -z "$(record_of)" ] && pass ",z: the record is gone after the last VM" || fail ",z: record after zb: $(record_of)"
else
	fail ",z: zb did not start"
fi
