#!/usr/bin/env bash
# One CLI grammar (issue 20): every command, found from `lockvm help` and
# each group's own list (so a new command cannot be left out), takes
# --help and `help COMMAND`, says "did you mean" for a slipped command or
# option, and takes `--opt=value` exactly as `--opt value`.
. "$(dirname "$0")/../lib.sh"
L=("$B/lockvm")

# The command names a help text lists under "commands:".
commands_of() { sed -n '/^commands:$/,/^$/{s/^  \([a-z][a-z-]*\) .*/\1/p}' <<<"$1" | grep -vx help; }
# The long options a command's help lists: "NAME ARG" or "NAME" per line.
options_of() {
	sed -n 's/^  \(-., \|    \)--\([a-z][a-z0-9-]*\)\([ []\)\{0,1\}\([^ ]*\).*/\2 \3\4/p' <<<"$1" |
		grep -v '^help ' | sed 's/ *$//'
}
# word with two letters swapped: a slip of the fingers, not another word.
slip() {
	local w=$1 s
	# Two letters swapped could be a prefix of another option (--ip: --pi, of --pids): a doubled one.
	[ ${#w} -le 2 ] && { echo "$w${w: -1}"; return; }
	s=${w:0:${#w}-2}${w:${#w}-1:1}${w:${#w}-2:1}
	[ "$s" = "$w" ] && s=${w:1:1}${w:0:1}${w:2}
	echo "$s"
}

run_capture "${L[@]}"
[ "$rc" -eq 125 ] && grep -q "^usage: lockvm COMMAND" <<<"$out" && [ -z "$("${L[@]}" 2>/dev/null)" ] &&
	pass "bare lockvm: short usage on stderr, exit 125" || fail "bare lockvm: exit $rc, output: $out"
expect "lockvm help exits 0" 0 "commands:" "${L[@]}" help

walked=0
walk() { # walk WORD... : checks the command the words name, then its subcommands
	local -a cmd=("$@")
	local name="${cmd[*]}" help subs opt arg wrong
	run_capture "${L[@]}" "${cmd[@]}" --help
	help=$out
	if [ "$rc" -ne 0 ] || ! grep -q "^usage: lockvm $name" <<<"$help"; then
		fail "$name --help: exit $rc, output: $(head -n 2 <<<"$help" | tr '\n' '|')"
		return
	fi
	walked=$((walked + 1))
	run_capture "${L[@]}" help "${cmd[@]}"
	[ "$rc" -eq 0 ] && [ "$out" = "$help" ] && pass "help $name = $name --help" ||
		fail "help $name: exit $rc, differs from $name --help"
	wrong=$(slip "${cmd[-1]}")
	expect "$name: slipped command '$wrong' suggests it" 125 "did you mean '${cmd[-1]}'?" \
		"${L[@]}" "${cmd[@]:0:${#cmd[@]}-1}" "$wrong"
	subs=$(commands_of "$help")
	if [ -n "$subs" ]; then
		for sub in $subs; do walk "${cmd[@]}" "$sub"; done
		return
	fi
	expect "$name: unknown option" 125 "$name: unknown option '--no-such-option'" \
		"${L[@]}" "${cmd[@]}" --no-such-option
	while read -r opt arg; do
		[ -n "$opt" ] || continue
		wrong=$(slip "$opt")
		expect "$name --$wrong suggests --$opt" 125 "did you mean '--$opt'?" \
			"${L[@]}" "${cmd[@]}" "--$wrong"
		case $arg in
		"") # a flag takes no value
			expect "$name --$opt=x refused" 125 "option '--$opt' takes no value" \
				"${L[@]}" "${cmd[@]}" "--$opt=x" ;;
		"[="*) ;; # an optional value is only ever --opt=VALUE
		*) # --opt=VALUE and --opt VALUE are one thing: same output, same status
			run_capture "${L[@]}" "${cmd[@]}" "--$opt=@bad@"
			local eq_out=$out eq_rc=$rc
			run_capture "${L[@]}" "${cmd[@]}" "--$opt" @bad@
			if [ "$eq_rc" -ne "$rc" ] || [ "$eq_out" != "$out" ]; then
				fail "$name --$opt=@bad@ (exit $eq_rc: $eq_out) differs from --$opt @bad@ (exit $rc: $out)"
			elif grep -qE "unknown option|takes no value|needs a value" <<<"$out"; then
				fail "$name --$opt=@bad@ not parsed: $out"
			else
				pass "$name --$opt=VALUE as --$opt VALUE"
			fi ;;
		esac
	done <<<"$(options_of "$help")"
}
for c in $(commands_of "$("${L[@]}" help)"); do walk "$c"; done
# The walk must have reached the groups' commands, not stopped at the top.
[ "$walked" -ge 30 ] && pass "walked $walked commands" || fail "walked only $walked commands"

# The forms issue 20 found refused, on a live VM.
have_kvm || { skip "live VM forms: no /dev/kvm"; exit 0; }
vm=grammar-$$
expect "run -d, options after run" 0 "" "${L[@]}" run --detach --name="$vm" "$G/service.elf"
run_capture "${L[@]}" inspect --json "$vm"
[ "$rc" -eq 0 ] && jq -n -e --arg n "$vm" 'input | .name == $n' <<<"$out" >/dev/null &&
	pass "inspect --json NAME" || fail "inspect --json NAME: exit $rc: $(tail -n 2 <<<"$out")"
run_capture "${L[@]}" inspect "$vm" --json
[ "$rc" -eq 0 ] && jq -n -e --arg n "$vm" 'input | .name == $n' <<<"$out" >/dev/null &&
	pass "inspect NAME --json" || fail "inspect NAME --json: exit $rc: $(tail -n 2 <<<"$out")"
expect "stop --timeout=3 NAME" 0 "$vm:" "${L[@]}" stop --timeout=3 "$vm"
expect "logs --follow NAME of an ended VM" 0 "" "${L[@]}" logs --follow "$vm"
