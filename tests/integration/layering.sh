#!/usr/bin/env bash
# The process boundary holds in the binaries: the confined lockvm-vmm links
# only VMM-side code plus common/ (docs/ARCHITECTURE.md, "Who may link whom").
. "$(dirname "$0")/../lib.sh"
cd "$LOCKVM_TOP"
BUILD_DIR=${LOCKVM_BUILD:-build}

out=$(make -s layering BUILD="$BUILD_DIR" 2>&1) && [[ $out == *"need no host-side symbol"* ]] &&
	pass "layering: no VMM-side object needs a host-side symbol" ||
	fail "layering: make layering: $out"

# A VMM-side object that calls into the registry must make the check fail,
# naming the object and the symbol.
tmp=$(mktemp -d); at_exit 'rm -rf "$tmp"'
printf 'extern int registry_live(const char *);\nint layering_bad(void) { return registry_live("x"); }\n' >"$tmp/bad.c"
cc -c "$tmp/bad.c" -o "$tmp/bad.o"
out=$(make -s layering BUILD="$BUILD_DIR" LAYERING_EXTRA_VMM="$tmp/bad.o" 2>&1) &&
	fail "layering: a VMM object calling registry_live passed the check" ||
	{ [[ $out == *"bad.o (VMM side) needs registry_live"* ]] &&
		pass "layering: a VMM object calling registry_live is refused, named" ||
		fail "layering: wrong refusal: $out"; }

# What the review found in the old lockvm-vmm: none of it is there now.
syms=$(nm "$B/lockvm-vmm" 2>/dev/null | awk '{print $NF}')
grep -qx hypercall_dispatch <<<"$syms" && pass "layering: nm reads lockvm-vmm's symbols (hypercall_dispatch is there)" ||
	fail "layering: nm $B/lockvm-vmm shows no hypercall_dispatch"
for s in registry_reap images_take apparmor_profile_load bridge_create cmd_save cmd_migrate \
	cgroup_attach label_pick_pair sandbox_spawn; do
	grep -qx "$s" <<<"$syms" && fail "layering: lockvm-vmm contains host-side $s" ||
		pass "layering: lockvm-vmm has no $s"
done
# json_: json-c is host side only (issue 12): the VMM writes --record in
# common/record_wire.h's binary form and the supervisor writes the JSON.
for lib in ini_parse selinux_ aa_change capng_ json_; do
	grep -q "^$lib" <<<"$syms" && fail "layering: lockvm-vmm links a library it does not need ($lib*)" ||
		pass "layering: lockvm-vmm has no $lib* (its library is not linked)"
done

# Seccomp: the VMM only installs the BPF the supervisor compiled
# (runner/confine/seccomp_install.c); the policy tables, parser, compiler and
# `lockvm policy compile` are host side and not linked into lockvm-vmm.
grep -qx seccomp_policy_install_fd <<<"$syms" &&
	pass "layering: lockvm-vmm has seccomp_policy_install_fd (the install side)" ||
	fail "layering: lockvm-vmm has no seccomp_policy_install_fd"
for s in seccomp_policy_errno_name seccomp_policy_parse_file seccomp_policy_rule_lower \
	seccomp_policy_compile seccomp_policy_compile_file seccomp_policy_export_fd \
	seccomp_policy_print_main; do
	grep -qx "$s" <<<"$syms" && fail "layering: lockvm-vmm contains the policy compiler's $s" ||
		pass "layering: lockvm-vmm has no $s"
done
