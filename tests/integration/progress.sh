#!/usr/bin/env bash
# Progress of save, restore, migrate and incoming (issue 20): JSON lines
# off a terminal (bytes only grow, the last says done with bytes = total),
# one "\r" line on a terminal, and the states list shows meanwhile
# (saving, migrating, incoming), held by stopping the VMM: no timing race.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "progress: no usable /dev/kvm"; exit 0; fi
S=$T_TMP
L=("$LOCKVM")

# lines FILE OP MIN [SIZE]: FILE's progress lines for OP are JSON objects
# with the documented fields, at least MIN, bytes never shrink, only the
# last says done and its bytes equal its total (and SIZE when given).
lines() {
	python3 - "$@" <<'PY'
import json, sys
path, op, least = sys.argv[1], sys.argv[2], int(sys.argv[3])
size = int(sys.argv[4]) if len(sys.argv) > 4 else None
want = {"progress", "vm", "bytes", "total", "percent", "rate", "remaining_s",
        "elapsed_s", "iteration", "dirty_bytes", "dirty_rate", "done"}
got = []
for line in open(path):
    if not line.startswith("{"):
        continue
    o = json.loads(line)
    if o.get("progress") == op:
        got.append(o)
def bad(why):
    print(why); sys.exit(1)
if len(got) < least:
    bad(f"{len(got)} {op} lines")
for o in got:
    if set(o) != want:
        bad(f"fields {sorted(set(o) ^ want)} differ")
prev = -1
for o in got:
    if o["bytes"] < prev:
        bad(f"bytes went back: {prev} -> {o['bytes']}")
    prev = o["bytes"]
if any(o["done"] for o in got[:-1]) or not got[-1]["done"]:
    bad("done is not the last line only")
last = got[-1]
if last["bytes"] != last["total"] or last["percent"] != 100.0:
    bad(f"last line: {last['bytes']} of {last['total']} ({last['percent']}%)")
if size is not None and last["bytes"] != size:
    bad(f"last line says {last['bytes']} bytes, the stream has {size}")
print(f"{len(got)} lines, {last['bytes']} bytes")
PY
}
state_of() { "${L[@]}" inspect "$1" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' 2>/dev/null; }
list_state() { "${L[@]}" list 2>/dev/null | awk -v n="$1" '$1 == n { print $2 }'; }
list_json_state() { "${L[@]}" list --json 2>/dev/null | python3 -c 'import json,sys; print(*[v["state"] for v in json.load(sys.stdin) if v["name"] == sys.argv[1]])' "$1" 2>/dev/null; }
vmm_of() { "${L[@]}" inspect "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["vmm_pid"])'; }
# await_state NAME STATE: the state shows (held by a stopped VMM, so it
# stays until the test lets it go; the bound only catches a bug).
await_state() {
	for _ in $(seq 100); do [ "$(list_state "$1")" = "$2" ] && return 0; sleep 0.1; done
	return 1
}
# states NAME STATE WHAT: list, list --json and inspect agree on STATE.
states() {
	local l j i
	l=$(list_state "$1") j=$(list_json_state "$1") i=$(state_of "$1")
	if [ "$l" = "$2" ] && [ "$j" = "$2" ] && [ "$i" = "$2" ]; then
		pass "$3: list, list --json and inspect say $2"
	else
		fail "$3: list '$l', list --json '$j', inspect '$i' (want $2)"
	fi
}

# ---- save and restore: JSON lines off a terminal ---------------------------
# 256 MiB touched: a save that takes a few hundred ms, so several lines.
"${L[@]}" run -d --name pg1 --mem 512M "$G/counter.elf" 1000 0 256 >/dev/null
sleep 0.5
"${L[@]}" save pg1 "$S/pg1.snap" 2>"$S/save.err" >"$S/save.out"
size=$(stat -c %s "$S/pg1.snap" 2>/dev/null || echo 0)
if r=$(lines "$S/save.err" save 2 "$size"); then pass "save: progress JSON lines on stderr ($r)"; else fail "save progress: $r; $(head -c 400 "$S/save.err")"; fi
if grep -q "^saved pg1 to" "$S/save.out"; then pass "save: the result line stays on stdout"; else fail "save: stdout '$(cat "$S/save.out")'"; fi
"${L[@]}" restore "$S/pg1.snap" --mem 512M --name pg2 -d 2>"$S/restore.err" >/dev/null
if r=$(lines "$S/restore.err" restore 2 "$size"); then pass "restore: progress JSON lines, the last one the whole file ($r)"; else fail "restore progress: $r; $(head -c 400 "$S/restore.err")"; fi
[ "$(list_state pg2)" = running ] && pass "restore: running once restored" || fail "restore: state '$(list_state pg2)'"

# A small transfer ends in a blink: no progress line, only the result.
"${L[@]}" run -d --name pg0 "$G/counter.elf" 1000 0 1 >/dev/null
sleep 0.3
"${L[@]}" save pg0 "$S/pg0.snap" 2>"$S/small.err" >/dev/null
if [ -s "$S/pg0.snap" ] && [ ! -s "$S/small.err" ]; then pass "save of a small VM: no progress line"; else fail "save of a small VM: stderr '$(head -c 300 "$S/small.err")'"; fi

# ---- a terminal: one line rewritten with \r, then a newline ---------------
script -qec "${L[*]} save pg2 $S/pg2.snap --keep-running" /dev/null >"$S/tty.out" 2>&1
if python3 - "$S/tty.out" <<'PY'; then
import re, sys
t = open(sys.argv[1], "rb").read().decode(errors="replace")
first = t.split("\n")[0]
ok = (first.startswith("\rsave pg2: ") and first.count("\r") >= 2 and "(100%)" in first
      and "{" not in t and re.search(r"saved pg2 to .*still running", t))
sys.exit(0 if ok else 1)
PY
	pass "save on a terminal: one line updated with \\r, 100% and a newline at the end, no JSON"
else
	fail "save on a terminal: $(od -c "$S/tty.out" | head -n 4 | tr '\n' '|')"
fi
script -qec "${L[*]} save pg2 $S/pg3.snap --keep-running --json" /dev/null >"$S/ttyj.out" 2>&1
if tr -d '\r' <"$S/ttyj.out" >"$S/ttyj.lines" && lines "$S/ttyj.lines" save 2 >/dev/null; then
	pass "save --json on a terminal: JSON progress lines"
else
	fail "save --json on a terminal: $(head -c 300 "$S/ttyj.out")"
fi

# ---- list states while they last -------------------------------------------
# A stopped VMM cannot answer: the supervisor has taken the request and
# says so until the VMM goes on.
vmm=$(vmm_of pg2)
kill -STOP "$vmm"
"${L[@]}" save pg2 "$S/held.snap" --keep-running >/dev/null 2>&1 &
saver=$!
if await_state pg2 saving; then states pg2 saving "save in progress"; else fail "save in progress: state '$(list_state pg2)'"; fi
kill -CONT "$vmm"
wait $saver && pass "save held by a stopped VMM completes once it goes on" || fail "held save failed"
if [ "$(list_state pg2)" = running ]; then pass "after the save: running again"; else fail "after the save: '$(list_state pg2)'"; fi

# migrate to an incoming target; both sides' states and progress
"${L[@]}" incoming --listen "unix:$S/m.sock" --accept-timeout 20 --name pg3 --mem 512M -d >/dev/null 2>"$S/inc.err" &
inc=$!
for _ in $(seq 50); do [ -S "$S/m.sock" ] && break; sleep 0.1; done
kill -STOP "$vmm"
"${L[@]}" migrate pg2 --to "unix:$S/m.sock" >"$S/mig.out" 2>"$S/mig.err" &
mig=$!
if await_state pg2 migrating; then states pg2 migrating "migration in progress (source)"; else fail "migration in progress: state '$(list_state pg2)'"; fi
if await_state pg3 incoming; then states pg3 incoming "migration in progress (target)"; else fail "incoming in progress: state '$(list_state pg3)'"; fi
kill -CONT "$vmm"
wait $mig
rc=$?
wait $inc
if [ "$rc" -eq 0 ] && r=$(lines "$S/mig.err" migrate 2); then pass "migrate: progress JSON lines ($r)"; else fail "migrate: exit $rc, progress: ${r:-}; $(head -c 400 "$S/mig.err")"; fi
if r=$(lines "$S/inc.err" incoming 1); then pass "incoming: progress JSON lines ($r)"; else fail "incoming progress: $r; $(head -c 400 "$S/inc.err")"; fi
if python3 -c 'import json,sys; l=[json.loads(x) for x in open(sys.argv[1]) if x.startswith("{")]; sys.exit(0 if all(o["iteration"] >= 1 for o in l) else 1)' "$S/mig.err"; then
	pass "migrate: every line names its pre-copy round"
else
	fail "migrate: a line without its round: $(head -c 300 "$S/mig.err")"
fi
[ "$(list_state pg3)" = running ] && pass "incoming: running once switched over" || fail "incoming: state '$(list_state pg3)'"
# The source's journal says where the VM went (lockvm-events(1)).
ev=$("${L[@]}" events --no-stream --json --filter name=pg2 --filter type=migrated 2>&1)
jq -n -e --arg to "unix:$S/m.sock" 'input | .to == $to and .bytes > 0 and .total_ms >= .downtime_ms' <<<"$ev" >/dev/null 2>&1 &&
	pass "migrate: a migrated event with its target and figures" || fail "migrated event: '$ev'"
types=$("${L[@]}" events --no-stream --json --filter name=pg2 | jq -r 'select(.type == "paused" or .type == "resumed" or .type == "migrated") | "\(.type):\(.by // "")"' | tr '\n' ' ')
[[ "$types" == *"resumed:save paused:migrate migrated: " ]] && pass "migrate: a paused event (by migrate) at the stop-and-copy, then migrated" ||
	fail "migrate: paused/migrated events: '$types'"
"${L[@]}" kill pg3 >/dev/null 2>&1
