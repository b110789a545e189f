# Shared helpers for integration tests: source it, then call pass/fail/skip
# and the expect_* helpers. Every test runs against a private LOCKVM_ROOT.
set -u
TOP=${LOCKVM_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
B=$TOP/${LOCKVM_BUILD:-build}
LOCKVM=$B/lockvm
G=$B/guests
TG=$B/tests/guests
: "${LOCKVM_ROOT:=$(mktemp -d /tmp/lockvm-root.XXXXXX)}"
export LOCKVM_ROOT
T_TMP=$(mktemp -d /tmp/lockvm-t.XXXXXX)
# at_exit CMD: CMD runs when this test script ends, in its own shell only.
# bash runs an EXIT trap when a fatal signal ends it, and a subshell (`( ...
# ) &`, a watchdog) killed before it has reset the traps it inherited would
# run the script's: it removed T_TMP under a running test (exec.sh under
# load). The guard keeps the cleanup to the shell that set it, asking the
# kernel who runs it: a subshell's $BASHPID can still read as its parent's
# that early.
at_exit() {
	# shellcheck disable=SC2064 # $$ and CMD are meant to expand now
	trap "read -r _self _ </proc/self/stat; [ \"\$_self\" = $$ ] || exit; $1" EXIT
}
at_exit 'rm -rf "$T_TMP"'

# A sanitizer build's VMM is dynamically linked (ASan cannot link static),
# so it cannot start in the empty root of a confined run: there `lockvm run`
# goes through a wrapper adding --confine off, and tests of the confinement
# itself skip with UNCONFINED_REASON. Release builds are static: no wrapper.
UNCONFINED_REASON=""
if ! file -L "$B/lockvm-vmm" 2>/dev/null | grep -q "static"; then
	UNCONFINED_REASON="lockvm-vmm is dynamically linked (sanitizer build): VMs run with --confine off"
	# --confine off goes after run, incoming or restore FILE, past a global --root.
	cat >"$T_TMP/lockvm" <<EOF
#!/usr/bin/env bash
pre=()
while [ \$# -gt 0 ]; do
	case \$1 in
	--root) pre+=("\$1" "\$2"); shift 2 ;;
	--root=*) pre+=("\$1"); shift ;;
	run | incoming) pre+=("\$1" --confine off); shift; break ;;
	restore) pre+=("\$1" "\$2" --confine off); shift 2; break ;; # restore FILE [OPTIONS]
	*) break ;;
	esac
done
exec "$LOCKVM" "\${pre[@]}" "\$@"
EOF
	chmod +x "$T_TMP/lockvm"
	LOCKVM=$T_TMP/lockvm
fi

# confined CHECK: true in a release build; in a sanitizer build (VMs run
# --confine off) prints a SKIP for CHECK with the reason and is false.
confined() {
	[ -z "$UNCONFINED_REASON" ] && return 0
	echo "SKIP: $1: $UNCONFINED_REASON"
	return 1
}

pass() { echo "PASS: $*"; }
# With LOCKVM_TEST_FAILFAST set (tests/mutate.sh: one failure kills a
# mutant) a failure in the script's own shell ends it there; tests/run.sh
# stops the VMs it leaves.
fail() {
	echo "FAIL: $*"
	if [ -n "${LOCKVM_TEST_FAILFAST:-}" ] && [ "$BASH_SUBSHELL" -eq 0 ]; then exit 1; fi
}
skip() { echo "SKIP: $*"; }

# run_capture CMD... : runs CMD with a 60 s guard, sets $out (stdout+stderr)
# and $rc.
run_capture() {
	out=$(timeout -k 5 60 "$@" 2>&1)
	rc=$?
}

# expect NAME RC PATTERN CMD... : CMD must exit RC and its output must
# contain the fixed string PATTERN (empty PATTERN: no output check).
expect() {
	local name=$1 want_rc=$2 pattern=$3; shift 3
	run_capture "$@"
	if [ "$rc" -ne "$want_rc" ]; then
		fail "$name: exit $rc, want $want_rc; output: $(echo "$out" | tail -n 3 | tr '\n' '|')"
	elif [ -n "$pattern" ] && ! grep -qF -- "$pattern" <<<"$out"; then
		fail "$name: output lacks '$pattern'; got: $(echo "$out" | tail -n 3 | tr '\n' '|')"
	else
		pass "$name"
	fi
}

have_kvm() { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }

# swap_for_symlink DIR TARGET: a background host process that swaps
# directory DIR for a symlink to TARGET and back, again and again (an
# escape attempt racing a job's walk); $swapper is its pid, to kill.
swap_for_symlink() {
	(
		while :; do
			mv -T "$1" "$1.real" 2>/dev/null
			ln -s "$2" "$1" 2>/dev/null
			sleep 0.001
			rm -f "$1" 2>/dev/null
			mv -T "$1.real" "$1" 2>/dev/null
		done
	) &
	swapper=$!
}
