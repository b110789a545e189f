#!/usr/bin/env bash
# --linux real jobs from the host's own root (--fs /) with a volume for the workspace (issue 17): git init/add/commit, a tar+gzip round trip, sha256sum of 256 MiB, python3 -m compileall, make; the host reads what they made, owned by the workspace's owner.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_jobs: /dev/kvm is not usable here"; exit 0; fi
for tool in /usr/bin/git /usr/bin/tar /usr/bin/gzip /usr/bin/sha256sum /usr/bin/python3 /usr/bin/make; do
	[ -x "$tool" ] || { skip "linux_jobs: needs the host's $tool to run under --fs /"; exit 0; }
done
W=$T_TMP/ws
mkdir -p "$W/src/d" "$W/py/pkg"
seq 1 20000 >"$W/src/d/numbers"
printf 'hello\n' >"$W/src/greeting"
printf 'def f(x):\n    return x + 1\n' >"$W/py/pkg/m.py"
: >"$W/py/pkg/__init__.py"
head -c 268435456 /dev/zero >"$W/big"
mkdir -p "$W/mk"
printf 'all: out\nout: in\n\tcp in out\n' >"$W/mk/Makefile"
echo made >"$W/mk/in"
chmod -R a+rX "$T_TMP"
# A CI runner's workspace: not root's, and everything the jobs leave must be its owner's.
chown -R 4242:4343 "$W"
job() { # $1 = what, $2 = pattern, rest = the command in the VM
	local what=$1 pattern=$2
	shift 2
	expect "$what" 0 "$pattern" "$LOCKVM" run --linux --fs / --volume "$W:/ws" --workdir /ws --timeout 50 "$@"
}
# git writes objects mode 0444 through the open that creates them.
job "git init, add and commit in a volume" "committed 1" /bin/sh -- -c \
	'git init -q repo && cd repo && echo one >f && git add f &&
	 git -c user.name=ci -c user.email=ci@example.org commit -q -m first &&
	 echo "committed $(git rev-list --count HEAD)"'
[ "$(git -C "$W/repo" -c safe.directory='*' log --format=%s 2>&1)" = first ] &&
	[ "$(git -C "$W/repo" -c safe.directory='*' show HEAD:f 2>&1)" = one ] &&
	pass "git: the host's git reads the VM's commit" ||
	fail "git: host log '$(git -C "$W/repo" -c safe.directory='*' log --format=%s 2>&1 | tr '\n' '|')'"
# GNU tar opens its archive with creat(2).
job "tar czf, tar xzf and gzip/gunzip round trip in a volume" "round trip ok" /bin/sh -- -c \
	'tar czf src.tgz src && mkdir back && tar xzf src.tgz -C back && diff -r src back/src &&
	 gzip -k src/greeting && gunzip -c src/greeting.gz | cmp - src/greeting && echo round trip ok'
[ "$(tar xzOf "$W/src.tgz" src/d/numbers 2>/dev/null | sha256sum)" = "$(sha256sum <"$W/src/d/numbers")" ] &&
	pass "tar: the host's tar reads the VM's archive" || fail "tar: the archive does not hold src/d/numbers"
want=$(sha256sum <"$W/big" | cut -d' ' -f1)
job "sha256sum of 256 MiB in a volume" "$want  big" /usr/bin/sha256sum -- big
job "python3 -m compileall in a volume" "" /usr/bin/python3 -- -m compileall -q py
[ -s "$W/py/pkg/__pycache__/m.cpython-$(/usr/bin/python3 -c 'import sys; print("%d%d" % sys.version_info[:2])').pyc" ] &&
	pass "compileall: the .pyc files are on the host" || fail "compileall: $(find "$W/py" | tr '\n' ' ')"
job "make builds a target in a volume" "cp in out" /usr/bin/make -- -C mk
[ "$(cat "$W/mk/out" 2>/dev/null)" = made ] && pass "make: the target is on the host" || fail "make: no mk/out"
owners=$(find "$W" -printf '%U:%G\n' | sort -u)
[ "$owners" = 4242:4343 ] && pass "jobs: everything in the workspace is its owner's (4242:4343) after the VMs" ||
	fail "jobs: owners in the workspace: $(tr '\n' ' ' <<<"$owners")"
rm -f "$W/big"
