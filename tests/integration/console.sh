#!/usr/bin/env bash
# Guest console output on the operator's terminal: escape sequences shown, not obeyed;
# exact bytes in the VM's log, through pipes and files, and from `lockvm logs` when piped.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "console: /dev/kvm is not usable here"; exit 0; fi
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ! file -L "$BUSYBOX" | grep -q "statically linked"; then
	skip "console: busybox-static is not installed (apt-get install busybox-static)"; exit 0
fi
# on_tty OUT CMD...: runs CMD with stdout and stderr on a new pseudo-terminal,
# everything it showed there into OUT; exits with CMD's status.
on_tty() {
	python3 - "$@" <<'PY'
import os, pty, sys
out = sys.argv[1]
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
got = b""
while True:
    try:
        b = os.read(fd, 65536)
    except OSError:
        break
    if not b:
        break
    got += b
_, status = os.waitpid(pid, 0)
open(out, "wb").write(got)
sys.exit(os.waitstatus_to_exitcode(status))
PY
}
# The guest writes a colour, a clear-screen, an OSC title (BEL), an OSC 52
# clipboard write (ST), a C1 CSI as UTF-8 and as a raw byte, and UTF-8 text,
# on stdout and on stderr.
ESC_OUT='o:\033[31mred\033[2J\033]0;pwned\007\033]52;c;eA==\033\\\302\233\233caf\303\251\n'
ESC_ERR='e:\033[1m\033]0;err\007\n'
printf "$ESC_OUT" >"$T_TMP/want.out"
guest=("$BUSYBOX" -- sh -c "printf '$ESC_OUT'; printf '$ESC_ERR' >&2")
LOG=$LOCKVM_ROOT/var/log/lockvm

on_tty "$T_TMP/tty.out" "$LOCKVM" run --name esc1 --linux "${guest[@]}"; rc=$?
if [ "$rc" -eq 0 ] && ! grep -q $'\x1b' "$T_TMP/tty.out" && ! grep -q $'\x9b' "$T_TMP/tty.out" &&
	! grep -q $'\a' "$T_TMP/tty.out"; then
	pass "terminal: no raw ESC, BEL or C1 control from the guest"
else fail "terminal: rc=$rc got $(od -c "$T_TMP/tty.out" | head -n 6 | tr '\n' '|')"; fi
grep -qF 'o:^[[31mred^[[2J^[]0;pwned^G^[]52;c;eA==^[\\xc2\x9b\x9bcafé' "$T_TMP/tty.out" &&
	pass "terminal: stdout's sequences shown visibly, UTF-8 text kept" || fail "terminal stdout: $(cat -v "$T_TMP/tty.out")"
grep -qF 'e:^[[1m^[]0;err^G' "$T_TMP/tty.out" && pass "terminal: stderr's sequences shown visibly" ||
	fail "terminal stderr: $(cat -v "$T_TMP/tty.out")"
grep -q $'o:\x1b\\[31mred\x1b\\[2J\x1b]0;pwned\a' "$LOG/esc1.log" && grep -q $'e:\x1b\\[1m\x1b]0;err\a' "$LOG/esc1.log" &&
	pass "log: the guest's bytes kept raw" || fail "log: $(cat -v "$LOG/esc1.log")"

"$LOCKVM" run --name esc2 --linux "${guest[@]}" >"$T_TMP/pipe.out" 2>/dev/null
cmp -s "$T_TMP/pipe.out" "$T_TMP/want.out" && pass "stdout to a file: exact bytes" ||
	fail "stdout to a file: $(od -c "$T_TMP/pipe.out" | head -n 4 | tr '\n' '|')"
"$LOCKVM" run --name esc3 --linux "${guest[@]}" 2>/dev/null | cat >"$T_TMP/pipe2.out"
cmp -s "$T_TMP/pipe2.out" "$T_TMP/want.out" && pass "stdout to a pipe: exact bytes" || fail "stdout to a pipe differs"

"$LOCKVM" logs esc1 >"$T_TMP/logs.out"
cmp -s "$T_TMP/logs.out" "$LOG/esc1.log" && pass "logs to a file: the log's exact bytes" || fail "logs to a file differ from the log"
on_tty "$T_TMP/logs.tty" "$LOCKVM" logs esc1; rc=$?
if [ "$rc" -eq 0 ] && ! grep -q $'\x1b' "$T_TMP/logs.tty" && grep -qF 'o:^[[31mred^[[2J^[]0;pwned^G' "$T_TMP/logs.tty"; then
	pass "logs on a terminal: sequences shown, not obeyed"
else fail "logs on a terminal: rc=$rc $(cat -v "$T_TMP/logs.tty" | head -n 5)"; fi
