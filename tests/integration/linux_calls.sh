#!/usr/bin/env bash
# --linux: calls real programs make that were ENOSYS: prctl, nice values, the set*id calls, membarrier, mlock, personality (lx_prctl), and real programs from the host's root using them.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_calls: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux
RUN=("$LOCKVM" run --linux --timeout 60)

FS=$T_TMP/fs
mkdir -p "$FS/bin" "$FS/tmp"
cp "$LX"/lx_prctl.* "$FS/bin/"

# ---- the C test programs ----
for libc in glibc musl; do
	[ -x "$LX/lx_prctl.$libc" ] || { skip "linux_calls: lx_prctl.$libc not built (musl-gcc missing)"; continue; }
	expect "$libc: prctl name/pdeathsig/subreaper/no_new_privs/dumpable, nice, set*id, membarrier, mlock, personality" \
		0 "prctl ok" "${RUN[@]}" --fs "$FS" "/bin/lx_prctl.$libc"
done

# ---- real programs from the host's root ----
expect "nice -n 5 cat /proc/self/stat: priority 25, nice 5" 0 "" "${RUN[@]}" --fs / /bin/sh -c \
	'set -- $(nice -n 5 cat /proc/self/stat | sed "s/.*) //"); [ "${16} ${17}" = "25 5" ] || { echo "fields 18-19: ${16} ${17}"; exit 1; }'
if command -v ps >/dev/null; then
	expect "nice -n 7 ps -o ni,comm shows 7" 0 "  7 ps" "${RUN[@]}" --fs / /bin/sh -c 'nice -n 7 ps -o ni=,comm='
fi
if command -v python3 >/dev/null; then
	expect "python3: prctl(PR_SET_NAME) through ctypes is /proc/self/comm, os.setpriority is kept" 0 \
		"comm=pyworker nice=4" "${RUN[@]}" --fs / /usr/bin/python3 -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(15, b"pyworker", 0, 0, 0)
os.setpriority(os.PRIO_PROCESS, 0, 4)
print("comm=%s nice=%d" % (open("/proc/self/comm").read().strip(), os.getpriority(os.PRIO_PROCESS, 0)))'
fi
