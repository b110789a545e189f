#!/usr/bin/env bash
# make demo: runs a few VMs and shows what each one is.
set -u
cd "$(dirname "$0")/.."
B=${LOCKVM_BUILD:-build}
export LOCKVM_ROOT=${LOCKVM_ROOT:-$(mktemp -d /tmp/lockvm-demo.XXXXXX)}
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
say lockvm check; "$B/lockvm" check
say lockvm run build/guests/hello.elf -- from a KVM virtual machine
"$B/lockvm" run "$B/guests/hello.elf" -- from a KVM virtual machine
say lockvm run --vcpus 4 build/guests/smp.elf
"$B/lockvm" run --vcpus 4 "$B/guests/smp.elf"
say lockvm run build/guests/fault.elf -- pf
"$B/lockvm" run "$B/guests/fault.elf" -- pf; echo "exit status $?"
say lockvm run --timeout 0.5 build/guests/spin.elf
"$B/lockvm" run --timeout 0.5 "$B/guests/spin.elf"; echo "exit status $?"
