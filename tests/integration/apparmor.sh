#!/usr/bin/env bash
# AppArmor: shipped and generated profiles compile with apparmor_parser -Q -K; bad paths are refused with a clear error.
. "$(dirname "$0")/../lib.sh"

TOOL=$B/tests/helpers/aa_profile_tool
PROFILES=$TOP/profiles
UUID=0123abcd-0000-4000-8000-00000000beef

if ! command -v apparmor_parser >/dev/null; then
	skip "apparmor: apparmor_parser not installed (make deps installs apparmor)"
	exit 0
fi
if [ ! -x "$TOOL" ]; then
	fail "apparmor: $TOOL not built (make all)"
	exit 0
fi
# Compile against the AppArmor 3.0 feature ABI: this kernel has no
# AppArmor, and without a features file the parser would drop rule classes.
features=()
[ -f /etc/apparmor.d/abi/3.0 ] && features=(--features-file /etc/apparmor.d/abi/3.0)
# Compile only (-Q), no cache (-K), profiles/ first for includes.
compile=(apparmor_parser -Q -K "${features[@]}" -I "$PROFILES")

# 1. Every shipped profile compiles (the abstraction through the template).
for f in "$PROFILES"/lockvm "$PROFILES"/lockvm-vm.template; do
	expect "apparmor-compile-$(basename "$f")" 0 "" "${compile[@]}" "$f"
done
# The abstraction on its own, wrapped in a throwaway profile.
printf 'abi <abi/3.0>,\ninclude <tunables/global>\nprofile t {\n  include <abstractions/lockvm-vm>\n}\n' >"$T_TMP/abstraction.aa"
expect "apparmor-compile-abstraction" 0 "" "${compile[@]}" "$T_TMP/abstraction.aa"
# The check can fail: a broken rule must not compile.
printf 'abi <abi/3.0>,\nprofile t {\n  include <abstractions/lockvm-vm>\n  /x rwq,\n}\n' >"$T_TMP/broken.aa"
run_capture "${compile[@]}" "$T_TMP/broken.aa"
if [ "$rc" -eq 1 ] && grep -q "parser error" <<<"$out"; then pass "apparmor-compile-broken-refused"; else fail "apparmor-compile-broken-refused: a broken profile compiled"; fi

# 2. The template copy inside the runner is the shipped template.
run_capture "$TOOL" template
if [ "$rc" -eq 0 ] && [ "$out" = "$(cat "$PROFILES/lockvm-vm.template")" ]; then
	pass "apparmor-template-in-sync"
else
	fail "apparmor-template-in-sync: runner/mac/apparmor_profile.c differs from profiles/lockvm-vm.template"
fi

# 3. A generated profile compiles and holds exactly this VM's files.
mkdir -p "$T_TMP/images"
: >"$T_TMP/images/vm1.img"
: >"$T_TMP/images/base.img"
"$TOOL" generate "$UUID" "rw:$T_TMP/images/vm1.img" "ro:$T_TMP/images/base.img" \
	"rw:/var/lib/lockvm/images/scratch 1.img" >"$T_TMP/gen.aa" 2>&1
if [ $? -ne 0 ]; then
	fail "apparmor-generate: $(cat "$T_TMP/gen.aa")"
else
	pass "apparmor-generate"
	expect "apparmor-compile-generated" 0 "" "${compile[@]}" "$T_TMP/gen.aa"
	rules=$(grep -E '^\s+(deny )?"' "$T_TMP/gen.aa")
	want=$(printf '  "%s" rwk,\n  "%s" rk,\n  deny "%s" w,\n  "%s" rwk,' "$T_TMP/images/vm1.img" \
		"$T_TMP/images/base.img" "$T_TMP/images/base.img" "/var/lib/lockvm/images/scratch 1.img")
	if [ "$rules" = "$want" ] && grep -q "^profile lockvm-$UUID " "$T_TMP/gen.aa"; then
		pass "apparmor-generated-rules: only the VM's files, ro with deny w"
	else
		fail "apparmor-generated-rules: got $(echo "$rules" | tr '\n' '|')"
	fi
	# The compiled profile really carries the name and the deny: the parser's
	# names dump lists it.
	run_capture apparmor_parser -N "${features[@]}" -I "$PROFILES" "$T_TMP/gen.aa"
	if [ "$rc" -eq 0 ] && grep -qx "lockvm-$UUID" <<<"$out"; then
		pass "apparmor-generated-name"
	else
		fail "apparmor-generated-name: apparmor_parser -N gave '$out'"
	fi
fi

# 3b. Rule sets: the abstraction and a generated profile hold exactly the
# rules of policy/apparmor/*.expected; an extra path or permission fails.
EXPECTED=$TOP/policy/apparmor
# Rule lines of an AppArmor file: comments and blank lines dropped,
# whitespace collapsed; sorted.
aa_rules() { sed -e 's/^[[:space:]]*#.*//' -e 's/[[:space:]]\+#.*$//' -e 's/[[:space:]]\+/ /g' \
	-e 's/^ //' -e 's/ $//' "$1" | grep -v '^$' | LC_ALL=C sort; }
# Rule lines of an expected file, each required to carry its comment.
expected_rules() { # FILE
	local bad
	bad=$(grep -v '^[[:space:]]*#' "$1" | grep -v '^[[:space:]]*$' | grep -v ' # [^ ]' | head -n 1)
	if [ -n "$bad" ]; then echo "NO-COMMENT: $bad"; return; fi
	grep -v '^[[:space:]]*#' "$1" | grep -v '^[[:space:]]*$' | sed 's/ # .*$//' | LC_ALL=C sort
}
# compare_rules NAME ACTUAL_RULES EXPECTED_FILE: prints the differences.
compare_rules() {
	local extra missing
	extra=$(LC_ALL=C comm -23 <(echo "$2") <(expected_rules "$3"))
	missing=$(LC_ALL=C comm -13 <(echo "$2") <(expected_rules "$3"))
	[ -n "$extra" ] && sed "s|^|extra rule not in $(basename "$3"): |" <<<"$extra"
	[ -n "$missing" ] && sed "s|^|expected rule missing (from $(basename "$3")): |" <<<"$missing"
	return 0
}
check_rules() { # NAME ACTUAL_RULES EXPECTED_FILE
	local diff
	diff=$(compare_rules "$@")
	if [ -z "$diff" ]; then pass "$1: every rule is in $(basename "$3")"; else
		fail "$1: $(tr '\n' '|' <<<"$diff")"; fi
}
check_rules "apparmor-rules-abstraction" "$(aa_rules "$PROFILES/abstractions/lockvm-vm")" \
	"$EXPECTED/lockvm-vm.expected"
"$TOOL" generate "$UUID" "rw:$T_TMP/images/vm1.img" "ro:$T_TMP/images/base.img" \
	tree-ro:/lockvm-tree tree-rw:/lockvm-volume0 tree-ro:/lockvm-volume1 >"$T_TMP/gen2.aa" 2>&1
expect "apparmor-compile-generated-trees" 0 "" "${compile[@]}" "$T_TMP/gen2.aa"
check_rules "apparmor-rules-profile" "$(aa_rules "$T_TMP/gen2.aa" | sed -e "s|$T_TMP/images/vm1.img|@RW_DISK@|g" \
	-e "s|$T_TMP/images/base.img|@RO_DISK@|g" -e "s|$UUID|@UUID@|g" | LC_ALL=C sort)" \
	"$EXPECTED/lockvm-vm-profile.expected"
# The checks can fail: the review's mutant (the abstraction given the pool
# read-write) and a widened permission are named as extra rules, and the
# mutant still compiles (so only this check catches it).
cp "$PROFILES/abstractions/lockvm-vm" "$T_TMP/mutant-vm"
printf '  /var/lib/lockvm/** rwk,\n' >>"$T_TMP/mutant-vm"
mutant=$(compare_rules x "$(aa_rules "$T_TMP/mutant-vm")" "$EXPECTED/lockvm-vm.expected")
if [ "$mutant" = "extra rule not in lockvm-vm.expected: /var/lib/lockvm/** rwk," ]; then
	pass "apparmor-rules-mutant-pool: the abstraction given /var/lib/lockvm/** rwk fails, naming it"
else
	fail "apparmor-rules-mutant-pool: got '$(tr '\n' '|' <<<"$mutant")'"
fi
mkdir -p "$T_TMP/mutant/abstractions"
cp "$T_TMP/mutant-vm" "$T_TMP/mutant/abstractions/lockvm-vm"
printf 'abi <abi/3.0>,\ninclude <tunables/global>\nprofile t {\n  include <abstractions/lockvm-vm>\n}\n' >"$T_TMP/mutant.aa"
expect "apparmor-rules-mutant-compiles" 0 "" apparmor_parser -Q -K "${features[@]}" -I "$T_TMP/mutant" "$T_TMP/mutant.aa"
sed 's|^  /dev/null rw,|  /dev/null rwk,|' "$PROFILES/abstractions/lockvm-vm" >"$T_TMP/mutant-perm"
mutant=$(compare_rules x "$(aa_rules "$T_TMP/mutant-perm")" "$EXPECTED/lockvm-vm.expected")
if grep -q '^extra rule not in lockvm-vm.expected: /dev/null rwk,$' <<<"$mutant" &&
	grep -q '^expected rule missing (from lockvm-vm.expected): /dev/null rw,$' <<<"$mutant"; then
	pass "apparmor-rules-mutant-perm: a widened permission fails"
else
	fail "apparmor-rules-mutant-perm: got '$(tr '\n' '|' <<<"$mutant")'"
fi
# An expected rule without its "who needs it" comment is refused.
sed 's| # VMM: the KVM device.*$||' "$EXPECTED/lockvm-vm.expected" >"$T_TMP/nocomment.expected"
mutant=$(compare_rules x "$(aa_rules "$PROFILES/abstractions/lockvm-vm")" "$T_TMP/nocomment.expected")
if grep -q 'NO-COMMENT: /dev/kvm rw,' <<<"$mutant"; then pass "apparmor-rules-need-comment"; else
	fail "apparmor-rules-need-comment: got '$(tr '\n' '|' <<<"$mutant")'"; fi

# 4. Path validation refuses each bad path class with a clear error, both
# alone and through generate.
refuse() { # NAME PATH REASON
	run_capture "$TOOL" validate "$2"
	if [ "$rc" -eq 1 ] && grep -qF -- "$3" <<<"$out"; then
		run_capture "$TOOL" generate "$UUID" "rw:$2"
		if [ "$rc" -eq 1 ] && grep -qF -- "$3" <<<"$out"; then pass "apparmor-refuse-$1"; else
			fail "apparmor-refuse-$1: generate gave exit $rc: $out"; fi
	else
		fail "apparmor-refuse-$1: validate '$2' gave exit $rc: $out"
	fi
}
refuse relative "images/vm.img" "not absolute"
refuse double-slash "/srv//vm.img" "not canonical"
refuse dot "/srv/./vm.img" "not canonical"
refuse dotdot "/srv/../etc/shadow" "not canonical"
refuse trailing-slash "/srv/images/" "not canonical"
refuse quote '/srv/a"b.img' "quote"
refuse glob-star "/srv/*.img" "globbing character"
refuse glob-brace "/srv/{a,b}.img" "globbing character"
refuse glob-bracket "/srv/[a].img" "globbing character"
refuse caret "/srv/^a.img" "globbing character"
refuse variable '/srv/@{HOME}/a.img' "variable"
refuse newline $'/srv/a.img" rwk,\n  /etc/shadow r,\n  #' "quote"
refuse control $'/srv/a\nb.img' "control character or newline"
refuse etc "/etc/shadow" "under /etc"
refuse usr "/usr/bin/lockvm-vmm" "under /usr"
refuse lib "/lib64/ld-linux-x86-64.so.2" "under /lib*"
refuse proc "/proc/self/mem" "under /proc"
refuse sys "/sys/kernel/security/apparmor/.replace" "under /sys"
refuse boot "/boot/vmlinuz" "under /boot"
refuse root "/root/.ssh/id_rsa" "under /root"
refuse dpkg "/var/lib/dpkg/status" "under /var/lib/dpkg"
refuse dev-kvm "/dev/kvm" "not a disk device"
refuse dev-mem "/dev/mem" "not a disk device"
refuse too-long "/$(head -c 4200 /dev/zero | tr '\0' a)" "longer than 4095"
ln -s /etc/passwd "$T_TMP/images/link.img"
run_capture "$TOOL" generate "$UUID" "rw:$T_TMP/images/link.img"
if [ "$rc" -eq 1 ] && grep -qF "through a symlink" <<<"$out"; then pass "apparmor-refuse-symlink"; else
	fail "apparmor-refuse-symlink: exit $rc: $out"; fi
run_capture "$TOOL" validate /dev/vdb
if [ "$rc" -eq 0 ]; then pass "apparmor-accept-block-device"; else fail "apparmor-accept-block-device: $out"; fi

# 5. Loading on a host without AppArmor says so instead of pretending.
if aa-enabled -q 2>/dev/null; then
	skip "apparmor-not-enforced: AppArmor is enabled here; loading is covered by make e2e"
else
	expect "apparmor-load-not-enforced" 0 "not enforced" "$TOOL" load "$T_TMP/gen.aa"
	expect "apparmor-remove-not-enforced" 0 "not enforced" "$TOOL" remove "lockvm-$UUID"
fi
expect "apparmor-remove-only-lockvm" 1 "only lockvm-<uuid>" "$TOOL" remove unconfined
