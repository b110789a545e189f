#!/usr/bin/env bash
# --linux: --workdir, --hostname, --user, --group-add and --rlimit: what the program sees of itself, what its own calls may change, and hostile values.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_ident: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux
BUSYBOX=$(command -v busybox || true)

FS=$T_TMP/fs
mkdir -p "$FS/bin" "$FS/data/sub"
cp "$LX"/lx_ident.glibc "$FS/bin/lx_ident"
[ -n "$BUSYBOX" ] && cp "$BUSYBOX" "$FS/bin/busybox"
ln -s data "$FS/in"         # a link inside the tree
ln -s /root "$FS/out"       # a link naming a host directory: resolved in the tree, where there is none
ln -s ../../../.. "$FS/up"  # ".." stops at the tree's root
host_name=$(hostname)

# has KEY=VALUE: the line is in $out exactly.
has() { grep -qxF -- "$1" <<<"$out"; }

expect "ident: defaults" 0 "nodename=lockvm" "$LOCKVM" run --linux --fs "$FS" lx_ident
has "uid=0 euid=0 gid=0 egid=0" && has "groups=0" && has "cwd=/" && has "nofile=64:64" &&
	has "core=0:0" && has "fd_table=64" && has "sethostname=ok" && has "nodename_after=changed-in-vm" &&
	pass "ident: uid 0, cwd /, 64 fds, the VM's root may rename its VM" || fail "ident: defaults: $(tr '\n' '|' <<<"$out")"
[ "$(hostname)" = "$host_name" ] && pass "ident: sethostname in the VM leaves the host's name" ||
	fail "ident: the host is now called $(hostname)"

expect "ident: --workdir --hostname --user --group-add --rlimit" 0 "nodename=h1" \
	"$LOCKVM" run --linux --fs "$FS" --workdir /in/sub --hostname h1 --user 1000:1001 --group-add 5 \
	--group-add 4294967294 --rlimit nofile=20:30 --rlimit nproc=1024 lx_ident
has "hostname=h1" && has "uid=1000 euid=1000 gid=1001 egid=1001" && has "resuid=1000,1000,1000" &&
	has "at_uid=1000 at_gid=1001" && has "groups=2 5 -2" && has "cwd=/data/sub" &&
	pass "ident: ids, groups, auxv and cwd (through a link in the tree) as given" ||
	fail "ident: given: $(tr '\n' '|' <<<"$out")"
has "nofile=20:30" && has "nproc=1024:1024" && has "fd_table=20" && has "open_errno=EMFILE" &&
	pass "ident: --rlimit nofile=20:30 is what getrlimit says, and the fd table holds 20" ||
	fail "ident: limits: $(tr '\n' '|' <<<"$out")"
has "raise_hard=EPERM" && has "soft_above_hard=EINVAL" && has "lower=ok" && has "nofile_lowered=8:30" &&
	has "fd_table_lowered=8" && pass "ident: setrlimit lowers, never raises above hard, never soft above hard" ||
	fail "ident: setrlimit: $(tr '\n' '|' <<<"$out")"
has "sethostname=EPERM" && has "nodename_after=h1" &&
	pass "ident: a program that is not the VM's root cannot rename the VM" ||
	fail "ident: sethostname as uid 1000: $(tr '\n' '|' <<<"$out")"

expect "ident: nofile above the fd table's 64 slots says 64" 0 "nofile=64:64" \
	"$LOCKVM" run --linux --fs "$FS" --rlimit nofile=1024:1024 lx_ident
expect "ident: --workdir .. stops at the tree's root" 0 "cwd=/" "$LOCKVM" run --linux --fs "$FS" --workdir /up lx_ident

if [ -n "$BUSYBOX" ]; then
	expect "ident: busybox hostname" 0 "bb-host" "$LOCKVM" run --linux --fs "$FS" --hostname bb-host busybox -- hostname
	expect "ident: busybox id" 0 "uid=1000 gid=1000 groups=7" \
		"$LOCKVM" run --linux --fs "$FS" --user 1000:1000 --group-add 7 busybox -- id
	# Builtins only: busybox sh cannot fork in a VM yet.
	expect "ident: busybox sh runs" 0 "/data/sub" \
		"$LOCKVM" run --linux --fs "$FS" --workdir /data/sub --rlimit nofile=12 busybox -- sh -c 'pwd; ulimit -n'
	[ "$(tr '\n' ' ' <<<"$out")" = "/data/sub 12 " ] && pass "ident: busybox sh: pwd and ulimit -n as given" ||
		fail "ident: busybox sh: $(tr '\n' '|' <<<"$out")"
else
	skip "ident: busybox-static is not installed"
fi

# The VMM's own host identity does not follow --user.
"$LOCKVM" run --linux --fs "$FS" --user 4242:4242 busybox -- sleep 5 >/dev/null 2>&1 &
rp=$!
vmm=""
for _ in $(seq 1 100); do
	vmm=$(pgrep -P "$rp" -x lockvm-vmm | head -n 1)
	[ -n "$vmm" ] && break
	sleep 0.05
done
uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$vmm/status" 2>/dev/null)
kill -TERM "$rp" 2>/dev/null
wait "$rp" 2>/dev/null
if [ -n "$uids" ] && ! grep -qw 4242 <<<"$uids"; then pass "ident: --user 4242 is not the VMM's host uid ($uids)"
else fail "ident: the VMM's host uids: '$uids'"; fi

# Hostile values: exit 125, one line each.
hostile() { # NAME PATTERN OPTIONS...
	local name=$1 pattern=$2; shift 2
	run_capture "$LOCKVM" run --linux --fs "$FS" "$@" lx_ident
	if [ "$rc" -eq 125 ] && grep -qF -- "$pattern" <<<"$out" && [ "$(wc -l <<<"$out")" -eq 1 ]; then
		pass "ident: refused with one line: $name"
	else fail "ident: $name: rc=$rc out=$(tr '\n' '|' <<<"$out")"; fi
}
hostile "a hostname of 65 bytes" "65 bytes, want 1 to 64" --hostname "$(printf 'h%.0s' $(seq 1 65))"
hostile "--user garbage" "--user 'root': want UID[:GID]" --user root
hostile "--user -1" "want UID[:GID]" --user -1:0
hostile "--user uid:garbage" "want UID[:GID]" --user 0:wheel
hostile "a workdir that is a link to a host directory" "--workdir /out: No such file or directory in the VM's tree" --workdir /out
hostile "a workdir that is a file" "--workdir /bin/lx_ident: Not a directory" --workdir /bin/lx_ident
hostile "a relative workdir" "--workdir 'data': want an absolute path" --workdir data
hostile "rlimit soft above hard" "--rlimit 'nofile=10:5': the soft limit is above the hard one" --rlimit nofile=10:5
hostile "an unknown rlimit" "unknown limit 'bogus'" --rlimit bogus=1
hostile "--group-add garbage" "--group-add 'x'" --group-add x
run_capture "$LOCKVM" run --user 1 "$G/hello.elf"
[ "$rc" -eq 125 ] && grep -qF "need --linux" <<<"$out" && pass "ident: the options need --linux" ||
	fail "ident: --user without --linux: rc=$rc $out"
