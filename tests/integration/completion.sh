#!/usr/bin/env bash
# Shell completion (issue 20): the bash and zsh files make install installs
# offer lockvm's commands and a command's own options (from its --help).
. "$(dirname "$0")/../lib.sh"
C=$TOP/completion

# ---- bash --------------------------------------------------------------------
# bash_offers WORDS...: what _lockvm offers for the last word.
bash_offers() {
	PATH="$B:$PATH" bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _lockvm
		echo "${COMPREPLY[*]}"' sh "$C/lockvm.bash" "$@"
}
got=$(bash_offers lockvm ru)
[ "$got" = run ] && pass "bash: 'lockvm ru' offers run" || fail "bash: 'lockvm ru' offers '$got'"
got=$(bash_offers lockvm run --me)
[ "$got" = "--mem --mem-limit" ] && pass "bash: 'lockvm run --me' offers --mem --mem-limit" ||
	fail "bash: 'lockvm run --me' offers '$got'"
got=$(bash_offers lockvm save --k)
[ "$got" = "--keep-running --key" ] && pass "bash: 'lockvm save --k' offers save's own options" ||
	fail "bash: 'lockvm save --k' offers '$got'"

# ---- zsh ---------------------------------------------------------------------
if ! command -v zsh >/dev/null; then
	skip "zsh completion: zsh is not installed (make deps installs it)"
	exit 0
fi
# zsh -f with compinit: the file must register itself for lockvm
# (#compdef); the completion builtins are stood in for by functions that
# print what would be offered (they work only inside a completion widget).
cat >"$T_TMP/t.zsh" <<'ZSH'
fpath=($1 $fpath)
autoload -U compinit
compinit -u -d $2/zcompdump
print -r -- "registered: $_comps[lockvm]"
compadd() { while [[ $1 == -* && $1 != -- ]]; do shift; done; [[ $1 == -- ]] && shift; print -rl -- "$@" }
_describe() { print -rl -- ${${(P)2}%%:*} }
_files() { print -r -- "(files)" }
autoload -U +X _lockvm
shift 2
words=($@); CURRENT=$#; PREFIX=$words[-1]
_lockvm
ZSH
zsh_offers() { PATH="$B:$PATH" zsh -f "$T_TMP/t.zsh" "$C" "$T_TMP" "$@" 2>&1; }
out=$(zsh_offers lockvm ru)
if grep -qx "registered: _lockvm" <<<"$out"; then pass "zsh: compinit registers _lockvm for lockvm"; else fail "zsh: compinit: $(head -n 2 <<<"$out" | tr '\n' '|')"; fi
if grep -qx run <<<"$out" && grep -qx save <<<"$out" && ! grep -q -- "^--" <<<"$out"; then
	pass "zsh: the first word completes lockvm's commands"
else
	fail "zsh: commands offered: $(tr '\n' ' ' <<<"$out" | head -c 300)"
fi
out=$(zsh_offers lockvm run --me)
if grep -qx -- --mem <<<"$out" && grep -qx -- --mem-limit <<<"$out" && ! grep -qx -- --keep-running <<<"$out"; then
	pass "zsh: 'lockvm run --me' offers run's options (--mem, --mem-limit), not save's"
else
	fail "zsh: run options offered: $(tr '\n' ' ' <<<"$out" | head -c 300)"
fi
out=$(zsh_offers lockvm save --k)
if grep -qx -- --keep-running <<<"$out"; then pass "zsh: 'lockvm save --k' offers --keep-running"; else fail "zsh: save options offered: $(tr '\n' ' ' <<<"$out" | head -c 300)"; fi
