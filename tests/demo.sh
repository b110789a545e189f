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
say lockvm run -d --name web --vcpus 2 build/guests/service.elf
"$B/lockvm" run -d --name web --vcpus 2 "$B/guests/service.elf"
say lockvm run -d --name db build/guests/service.elf
"$B/lockvm" run -d --name db "$B/guests/service.elf"
say "lockvm list -Z     # each VM has its own label (category pair)"
"$B/lockvm" list -Z
say "lockvm inspect web  # what the kernel says of its VMM"
"$B/lockvm" inspect web | grep -E '^(label|image_label|mac_mode|uid|landlock|layers|vmm\.(CapEff|NoNewPrivs|Seccomp)|thread|ns\.net|cgroup\.memory\.limit)'
say lockvm audit vm web
"$B/lockvm" audit vm web | tail -3
say lockvm stop web; "$B/lockvm" stop web
say lockvm stop db; "$B/lockvm" stop db
say lockvm logs web; "$B/lockvm" logs web
