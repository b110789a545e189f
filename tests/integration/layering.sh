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
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
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
for lib in json_object_new ini_parse selinux_ aa_change capng_; do
	grep -q "^$lib" <<<"$syms" && fail "layering: lockvm-vmm links a library it does not need ($lib*)" ||
		pass "layering: lockvm-vmm has no $lib* (its library is not linked)"
done
