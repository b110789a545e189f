#!/usr/bin/env bash
# --linux file locks between two processes of a VM: flock, fcntl POSIX record locks and OFD locks contend, block, report their holder and are released as on Linux (python3's fcntl under --fs /).
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_lock: /dev/kvm is not usable here"; exit 0; fi
if [ ! -x /usr/bin/python3 ]; then skip "linux_lock: needs the host's python3 to run under --fs /"; exit 0; fi
# The script reaches the VM through a read-only volume (the VM's /tmp is its own).
mkdir -p "$T_TMP/py"
cp "$(dirname "$0")/linux_lock.py" "$T_TMP/py/"
chmod -R a+rX "$T_TMP"
for where in /tmp/lockfile /work/lockfile; do
	mkdir -p "$T_TMP/work"
	expect "locks: python3 runs the lock checks on $where" 0 "locks done" \
		"$LOCKVM" run --linux --fs / -v "$T_TMP/py:/py:ro" -v "$T_TMP/work:/work" \
		/usr/bin/python3 -- /py/linux_lock.py "$where"
	want='flock: second LOCK_EX busy
flock: got it after the parent unlocked: True
posix: overlapping lock busy
posix: bytes 10-19 free
posix: F_GETLK holder is parent: True, range 0+10
posix: free after the owner closed another fd
ofd: second file busy
ofd: the inherited file holds it'
	while IFS= read -r line; do
		grep -qxF -- "$line" <<<"$out" && pass "locks ($where): $line" ||
			fail "locks ($where): want '$line', got $(tr '\n' '|' <<<"$out")"
	done <<<"$want"
done
