#!/usr/bin/env bash
# --linux --record FILE: what a job touched (paths with their ops, SHA-256 of what it read from the tree and a volume, what it only looked at, the dynamic loader and #! programs it ran, every process with argv, exit and CPU time), written however the job ends; hostile names keep the JSON valid; past its bounds the record says "truncated"; a bad FILE is refused (125) before the VM starts.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_record: /dev/kvm is not usable here"; exit 0; fi
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ! file -L "$BUSYBOX" | grep -q "statically linked"; then
	skip "linux_record: busybox-static is not installed"; exit 0
fi
LX=$B/tests/linux
TR=$T_TMP/tree VOL=$T_TMP/vol
mkdir -p "$TR/bin" "$TR/etc" "$VOL"
cp "$BUSYBOX" "$TR/bin/busybox"
for a in sh cat mv rm sleep ln mkfifo; do ln -s busybox "$TR/bin/$a"; done
cp "$LX/lx_record.glibc" "$TR/bin/"
head -c 300000 /dev/urandom >"$TR/etc/input"
echo gone >"$TR/etc/gone"
head -c 5000 /dev/urandom >"$VOL/in"
echo old >"$VOL/old"
chmod -R a+rwX "$T_TMP"

# check FILE PYTHON...: each Python expression (d is the record) must hold;
# prints the first that does not, or "ok". The record must be strict JSON.
check() {
	local file=$1; shift
	python3 - "$file" "$@" <<'PY' 2>&1
import json, sys
try:
    d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"), parse_constant=lambda c: 1 / 0)
except Exception as e:
    print("not JSON:", e); sys.exit(0)
paths = {p["path"]: p for p in d.get("paths", [])}
def P(path): return paths.get(path, {"ops": [], "source": None})
def ops(path): return set(P(path)["ops"])
def procs(argv): return [p for p in d.get("processes", []) if p["argv"] == argv]
for expr in sys.argv[2:]:
    try:
        ok = eval(expr)
    except Exception as e:
        ok = False; expr += " (%r)" % e
    if not ok:
        print("false:", expr); sys.exit(0)
print("ok")
PY
}
sha() { sha256sum "$1" | cut -d' ' -f1; }

# A job that reads, writes, creates, deletes and renames in the upper layer
# and in a volume, and runs a child that exits 7.
REC=$T_TMP/out/job.json
mkdir -p "$T_TMP/out"
run_capture "$LOCKVM" run --linux --fs "$TR" --volume "$VOL:/vol" --record "$REC" /bin/sh -- -c \
	'cat /etc/input /vol/in >/dev/null; echo hi >/new; mv /new /renamed; rm /etc/gone
	 echo v >/vol/made; mv /vol/made /vol/moved; rm /vol/old; ln -s /renamed /sym; ln /renamed /hard
	 mkfifo /fifo; sh -c "exit 7"; echo "child $?"'
[ "$rc" -eq 0 ] && grep -qx "child 7" <<<"$out" && pass "a job with --record runs as without it" ||
	fail "job: exit $rc: $(tr '\n' '|' <<<"$out")"
res=$(check "$REC" 'd["complete"] is True and d["truncated"] is False and d["exit_status"] == 0' \
	"ops('/etc/input') == {'read'} and P('/etc/input')['source'] == 'lower'" \
	"P('/etc/input')['sha256'] == '$(sha "$TR/etc/input")' and P('/etc/input')['size'] == 300000" \
	"'read' in ops('/vol/in') and P('/vol/in')['source'] == 'volume' and P('/vol/in')['sha256'] == '$(sha "$VOL/in")'")
[ "$res" = ok ] && pass "read: the lower tree's and the volume's files with their size and SHA-256 as sha256sum says" ||
	fail "read: $res"
res=$(check "$REC" "{'written', 'created', 'renamed_from'} <= ops('/new') and P('/new')['source'] == 'upper'" \
	"'renamed_to' in ops('/renamed') and 'deleted' in ops('/etc/gone')" \
	"{'written', 'created', 'renamed_from'} <= ops('/vol/made') and P('/vol/made')['source'] == 'volume'" \
	"'renamed_to' in ops('/vol/moved') and 'deleted' in ops('/vol/old')" \
	"ops('/sym') == {'created', 'absent'} and ops('/hard') == {'created', 'absent'} and ops('/fifo') == {'created'}" \
	"[(d['paths'][r['from']]['path'], d['paths'][r['to']]['path']) for r in d['renames']] == [('/new', '/renamed'), ('/vol/made', '/vol/moved')]")
[ "$res" = ok ] && pass "written, created (files, a symlink, a hard link, a FIFO; ln looked for the name first: absent), deleted, renamed: in the upper layer and in the volume, renames paired" ||
	fail "changes: $res"
res=$(check "$REC" "len(procs(['sh', '-c', 'exit 7'])) == 1 and procs(['sh', '-c', 'exit 7'])[0]['exit_status'] == 7" \
	"procs(['sh', '-c', 'exit 7'])[0]['exe'] == '/bin/busybox' and procs(['sh', '-c', 'exit 7'])[0]['ppid'] == 1" \
	"d['processes'][0]['pid'] == 1 and d['processes'][0]['argv'][:2] == ['/bin/sh', '-c'] and d['processes'][0]['exit_status'] == 0" \
	"d['processes'][0]['user_ns'] + d['processes'][0]['system_ns'] > 0" \
	"'executed' in ops('/bin/busybox') and P('/bin/busybox')['sha256'] == '$(sha "$TR/bin/busybox")'")
[ "$res" = ok ] && pass "processes: pid 1 and the child with argv, exit status, CPU time; the program run, hashed" ||
	fail "processes: $res"
[ "$(stat -c %u "$REC")" = "$(id -u)" ] && pass "FILE belongs to the user who ran lockvm" ||
	fail "FILE owner: $(stat -c %U "$REC")"

# Looked at, not read (a dynamic /bin/sh from --fs /): stat, test -e,
# readlink and an O_PATH open give "stat" entries without a hash; the loader
# PT_INTERP names (ld.so) and the program a #! line names are "executed" and
# hashed like the program. Paths are the VM's resolved ones: with --fs / the
# host's readlink -f (the files of this test in a volume at /t).
TRR=/t
echo a >"$TR/etc/m1"; echo b >"$TR/etc/m2"; echo c >"$TR/etc/m3"; ln -s m1 "$TR/etc/link"
echo d >"$TR/etc/m4"; ln -s m4 "$TR/etc/link2"
printf '#!/bin/cat\n' >"$TR/script"; chmod a+rx "$TR/script" "$TR/etc/"*
REC5=$T_TMP/out/meta.json
run_capture "$LOCKVM" run --linux --fs / --volume "$TR:/t" --record "$REC5" /bin/sh -- -c \
	"cd $TRR/etc && stat m1 >/dev/null && test -e m2 && readlink link && $TRR/bin/lx_record.glibc opath m3 && $TRR/script
	 cat link2 && ! test -e absent1 && ! cat $TRR/nodir/x 2>/dev/null && PATH=$TRR/nobin:/usr/bin nosuchcmd 2>/dev/null; exit 0"
LD=$(readlink -f /lib64/ld-linux-x86-64.so.2)
res=$(check "$REC5" "d['complete'] is True" \
	"ops('$TRR/etc/m1') == {'stat'} and 'sha256' not in P('$TRR/etc/m1') and ops('$TRR/etc/m2') == {'stat'}" \
	"ops('$TRR/etc/link') == {'stat'} and ops('$TRR/etc/m3') == {'stat'}")
[ "$rc" -eq 0 ] && grep -qx "m1" <<<"$out" && grep -qx "opath ok" <<<"$out" && [ "$res" = ok ] &&
	pass "stat, test -e, readlink, O_PATH: recorded as \"stat\", no hash" || fail "looked at: exit $rc: $res $(tr '\n' '|' <<<"$out")"
# Inputs by absence and by link: a symlink a path crosses is looked at
# ("stat", as readlink), the file it names read; a lookup that finds
# nothing is "absent" at its first missing component (a probe for a file,
# a missing directory, a PATH entry a command search tried).
res=$(check "$REC5" "ops('$TRR/etc/link2') == {'stat'} and ops('$TRR/etc/m4') == {'read'}" \
	"ops('$TRR/etc/absent1') == {'absent'} and ops('$TRR/nodir') == {'absent'} and '$TRR/nodir/x' not in paths" \
	"ops('$TRR/nobin') == {'absent'} and ops('$TRR/etc/m1') == {'stat'}")
grep -qx "d" <<<"$out" && [ "$res" = ok ] &&
	pass "a symlink crossed: \"stat\"; lookups that found nothing (a file, a directory, a PATH entry): \"absent\"" ||
	fail "absent and crossed: $res $(tr '\n' '|' <<<"$out")"
res=$(check "$REC5" "'executed' in ops('$LD') and P('$LD')['sha256'] == '$(sha "$LD")'" \
	"'executed' in ops('$(readlink -f /bin/sh)')" \
	"'executed' in ops('$TRR/script') and 'executed' in ops('$(readlink -f /bin/cat)')" \
	"P('$(readlink -f /bin/cat)')['sha256'] == '$(sha /bin/cat)'")
grep -qx '#!/bin/cat' <<<"$out" && [ "$res" = ok ] &&
	pass "the dynamic loader (PT_INTERP, $LD) and a #! line's program: executed, hashed" ||
	fail "loaded: $res $(tr '\n' '|' <<<"$out")"

# Names made through a symlinked directory (an O_CREAT open, mkdir, ln -s):
# the link crossed is "stat", the name "created", never "absent"; a missing
# directory on the way is "absent".
mkdir -p "$TR/real"; ln -s real "$TR/dlink"; chmod -R a+rwX "$TR/real"
REC6=$T_TMP/out/makes.json
run_capture "$LOCKVM" run --linux --fs / --volume "$TR:/t" --record "$REC6" /bin/sh -- -c \
	"echo x >$TRR/dlink/new && mkdir $TRR/dlink/sub && ln -s new $TRR/dlink/sym && ! (echo y >$TRR/nodir2/f) 2>/dev/null; exit 0"
res=$(check "$REC6" "ops('$TRR/dlink') == {'stat'}" \
	"'created' in ops('$TRR/real/new') and 'absent' not in ops('$TRR/real/new')" \
	"'created' in ops('$TRR/real/sub') and 'absent' not in ops('$TRR/real/sub')" \
	"'created' in ops('$TRR/real/sym') and 'absent' not in ops('$TRR/real/sym')" \
	"ops('$TRR/nodir2') == {'absent'} and '$TRR/nodir2/f' not in paths")
[ "$rc" -eq 0 ] && [ "$res" = ok ] &&
	pass "names made through a symlinked directory: the link \"stat\", the names \"created\"; a missing directory on the way \"absent\"" ||
	fail "made through a link: exit $rc: $res $(tr '\n' '|' <<<"$out")"

# --timeout: the record is still written, with the job's processes as they were.
REC2=$T_TMP/out/timeout.json
run_capture "$LOCKVM" run --linux --fs "$TR" --timeout 2 --record "$REC2" /bin/sh -- -c 'cat /etc/input >/dev/null; sleep 100'
res=$(check "$REC2" 'd["complete"] is True and d["exit_status"] == 124' \
	"d['processes'][0]['pid'] == 1 and d['processes'][0].get('running_at_end') is True")
[ "$rc" -eq 124 ] && [ "$res" = ok ] && pass "--timeout: the record is written, pid 1 running at the end" ||
	fail "timeout: exit $rc, $res"

# A VMM killed (SIGKILL) before the VM's end writes no record: FILE says
# so ("complete": false and why), as valid JSON.
REC6=$T_TMP/out/killed.json KV=$T_TMP/killvol
mkdir -p "$KV" && chmod a+rwx "$KV"
"$LOCKVM" run -d --name rk --linux --fs "$TR" --volume "$KV:/k" --record "$REC6" /bin/sh -- -c 'echo >/k/ready; sleep 100' >/dev/null 2>&1
for _ in $(seq 300); do [ -e "$KV/ready" ] && break; sleep 0.1; done
"$LOCKVM" kill rk >/dev/null 2>&1
for _ in $(seq 300); do [ -s "$REC6" ] && break; sleep 0.1; done
for _ in $(seq 20); do # FILE is written in one write once the VMM is gone
	res=$(check "$REC6" 'd["complete"] is False and d["paths"] == [] and d["processes"] == []' \
		"d['reason'] == 'the VMM ended before writing the record (killed by a signal)'")
	[ "$res" = ok ] && break; sleep 0.1
done
[ -e "$KV/ready" ] && [ "$res" = ok ] && pass "lockvm kill (SIGKILL to the VMM): FILE says the record is missing and why" ||
	fail "killed VMM: ready=$([ -e "$KV/ready" ] && echo y || echo n) $res"

# A hostile guest's names (quotes, a newline, control bytes, bytes that
# are not UTF-8) and argv: the record stays strict JSON and gives the
# exact bytes in hex where UTF-8 cannot.
REC3=$T_TMP/out/names.json
HV=$T_TMP/hvol
mkdir -p "$HV" && chmod a+rwx "$HV"
run_capture "$LOCKVM" run --linux --fs "$TR" --volume "$HV:/h" --record "$REC3" /bin/lx_record.glibc -- names /h $'arg\xff\n"x'
python3 -m json.tool "$REC3" >/dev/null 2>&1 && jsonok=1 || jsonok=0
res=$(check "$REC3" \
	"sorted(bytes.fromhex(p['path_hex']) if 'path_hex' in p else p['path'].encode() for p in d['paths'] if p['path'].startswith('/h/')) == sorted(b'/h/' + n for n in __import__('os').listdir(b'$HV'))" \
	"'/h/q\"uote' in paths and '/h/new\\nline' in paths and '/h/back\\\\slash' in paths and '/h/ctl\\x01\\x1f\\x7f' in paths" \
	"bytes.fromhex(d['processes'][0]['argv_hex'][3]) == b'arg\\xff\\n\"x'")
[ "$rc" -eq 0 ] && [ "$jsonok" = 1 ] && [ "$res" = ok ] &&
	pass "hostile names and argv: valid JSON (json.tool), every name exact (path_hex where not UTF-8)" ||
	fail "hostile names: exit $rc json.tool=$jsonok $res"

# Past the bound of path text (8 MiB: 2,500 paths of about 4,000 bytes):
# "truncated", what was left out counted, the job and the VMM go on.
REC4=$T_TMP/out/bound.json
run_capture "$LOCKVM" run --linux --fs "$TR" --record "$REC4" /bin/lx_record.glibc -- long /tmp 2500
res=$(check "$REC4" 'd["complete"] is True and d["truncated"] is True and d["dropped_paths"] > 0' \
	"2000 < len(d['paths']) < 2500")
[ "$rc" -eq 0 ] && grep -qx "2500 paths made" <<<"$out" && [ "$res" = ok ] &&
	pass "past the record's bound: truncated, the job ends normally" || fail "bound: exit $rc $res $(tail -n 2 <<<"$out")"

# A FILE that cannot be the record: one line, 125, the VM never started.
ln -s "$T_TMP/out/job.json" "$T_TMP/out/link.json"
for bad in "$T_TMP/missing/r.json:No such file or directory" "$T_TMP/out/link.json:a symbolic link" \
	"/dev/null:not a regular file" "$T_TMP/out:Is a directory"; do
	run_capture "$LOCKVM" run --linux --fs "$TR" --record "${bad%%:*}" /bin/sh -- -c 'echo ran'
	[ "$rc" -eq 125 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -qF -- "--record ${bad%%:*}: ${bad#*:}" <<<"$out" &&
		pass "--record ${bad#*:}: refused in one line, 125" || fail "--record ${bad%%:*}: exit $rc: $(tr '\n' '|' <<<"$out")"
done
[ -s "$T_TMP/out/job.json" ] && pass "--record through a symlink: its target is not emptied" ||
	fail "--record through a symlink emptied its target"
expect "--record without --linux is refused" 125 "--record needs --linux" "$LOCKVM" run --record "$T_TMP/x.json" "$B/guest/hello"
