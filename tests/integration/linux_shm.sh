#!/usr/bin/env bash
# --linux MAP_SHARED file mappings: one page cache per file (mappings, read/write, other processes, after fork and exec), SIGBUS past the end and after ftruncate, EACCES for writing through a read-only fd, msync and write-back to a volume's host file, a lower file copied up, a huge sparse mapping bounded by --mem, a window over a file larger than --mem, python3's mmap under --fs /.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_shm: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux

FS=$T_TMP/fs
W=$T_TMP/work
mkdir -p "$FS/bin" "$FS/data" "$W"
cp "$LX"/lx_shm.* "$FS/bin/"
echo "lower file of the tree" >"$FS/data/lower.dat"
chmod -R a+rwX "$T_TMP"
for libc in glibc musl; do
	[ -x "$FS/bin/lx_shm.$libc" ] || { skip "linux_shm: lx_shm.$libc not built (musl-gcc missing)"; continue; }
	expect "shm ($libc, /tmp): mappings, read/write, fork, exec, SIGBUS, ftruncate, EACCES, msync" 0 "shm ok" \
		"$LOCKVM" run --linux --timeout 60 --fs "$FS" "/bin/lx_shm.$libc" /tmp
	expect "shm ($libc, the root's upper layer): the same for a file made in the tree" 0 "shm ok" \
		"$LOCKVM" run --linux --timeout 60 --fs "$FS" "/bin/lx_shm.$libc" /data
	rm -f "$W"/*.dat
	expect "shm ($libc, a volume): the same for a host file" 0 "shm ok" \
		"$LOCKVM" run --linux --timeout 60 --fs "$FS" --volume "$W:/work" "/bin/lx_shm.$libc" /work
	# What the mappings wrote reached the host file: at exec (900), msync (1000).
	got=$(dd if="$W/shm.dat" bs=1 skip=0 count=1 2>/dev/null)$(dd if="$W/shm.dat" bs=1 skip=900 count=1 2>/dev/null)$(dd if="$W/shm.dat" bs=1 skip=1000 count=15 2>/dev/null)
	[ "$got" = "MZwritten-by-mmap" ] &&
		pass "shm ($libc): mapping writes reach the volume's host file (exit, exec, msync)" ||
		fail "shm ($libc): host file has '$got', want 'MZwritten-by-mmap'"
done

expect "shm: the first process killed by SIGBUS ends the VM with 135 and says why" 135 "guest fault: SIGBUS" \
	"$LOCKVM" run --linux --timeout 60 --fs "$FS" /bin/lx_shm.glibc bus /tmp/bus.dat
# msync alone: then the VMM is killed (lockvm kill: nothing else writes back).
head -c 4096 /dev/zero >"$W/sync.dat"
chmod a+rw "$W/sync.dat"
"$LOCKVM" run -d --name shm-msync --linux --fs "$FS" --volume "$W:/work" /bin/lx_shm.glibc msync /work/sync.dat >/dev/null 2>&1
for _ in $(seq 300); do grep -q "msync done" "$LOCKVM_ROOT/var/log/lockvm/shm-msync.log" 2>/dev/null && break; sleep 0.1; done
grep -q "msync done" "$LOCKVM_ROOT/var/log/lockvm/shm-msync.log" 2>/dev/null && pass "shm: msync, then the VMM is killed" ||
	fail "shm: msync: the job never said 'msync done'"
"$LOCKVM" kill shm-msync >/dev/null 2>&1
[ "$(head -c 6 "$W/sync.dat")" = synced ] && [ "$(dd if="$W/sync.dat" bs=1 skip=100 count=8 2>/dev/null | tr -d '\0')" = "" ] &&
	pass "shm: msync wrote the page back; what was written after it was not" ||
	fail "shm: after msync and a kill the host file starts '$(head -c 6 "$W/sync.dat" | tr -d '\0')', has '$(dd if="$W/sync.dat" bs=1 skip=100 count=8 2>/dev/null | tr -d '\0')' at 100"
# An orderly end (--timeout here) writes dirty shared pages back, as Linux's page
# cache keeps what a killed process wrote through its mapping.
head -c 4096 /dev/zero >"$W/sync2.dat"
chmod a+rw "$W/sync2.dat"
expect "shm: msync, then ended by --timeout" 124 "msync done" \
	"$LOCKVM" run --linux --timeout 10 --fs "$FS" --volume "$W:/work" /bin/lx_shm.glibc msync /work/sync2.dat
[ "$(dd if="$W/sync2.dat" bs=1 skip=100 count=8 2>/dev/null)" = unsynced ] &&
	pass "shm: --timeout: what the mapping wrote after msync reaches the file too (the VM's end writes it back)" ||
	fail "shm: --timeout: the host file has '$(dd if="$W/sync2.dat" bs=1 skip=100 count=8 2>/dev/null | tr -d '\0')' at 100"

# A file of the read-only tree: mapped shared; written only once copied up.
before=$(sha256sum <"$FS/data/lower.dat")
expect "shm: a lower file maps shared, and written through O_RDWR once copied up" 0 "lower ok" \
	"$LOCKVM" run --linux --timeout 60 --fs "$FS" /bin/lx_shm.glibc lower /data/lower.dat
[ "$(sha256sum <"$FS/data/lower.dat")" = "$before" ] &&
	pass "shm: the lower file on the host is unchanged" || fail "shm: the lower file changed: $(cat "$FS/data/lower.dat")"

# A 64 GiB sparse host file mapped whole under --mem 32M: read page by page
# until the VM's memory ends: SIGBUS in the program, the VMM lives on.
truncate -s 64G "$W/sparse.dat"
expect "shm: a huge sparse mapping ends in SIGBUS within --mem, never a VMM crash" 0 "sparse ok" \
	"$LOCKVM" run --linux --timeout 120 --mem 32M --fs "$FS" --volume "$W:/work:ro" /bin/lx_shm.glibc sparse /work/sparse.dat
rm -f "$W/sparse.dat"
# A window slid over a 48 MiB file under --mem 32M: clean cached pages no
# mapping maps are given back, so every page is read.
expect "shm: a mapping window over a file larger than --mem reads it all (the cache gives pages back)" 0 "window ok" \
	"$LOCKVM" run --linux --timeout 120 --mem 32M --tmpfs /big:size=64M --fs "$FS" /bin/lx_shm.glibc window /big/w.dat

if [ ! -x /usr/bin/python3 ]; then
	skip "linux_shm: needs the host's python3 to run under --fs /"
	exit 0
fi
printf 'hello world, mmap\n' >"$W/py.dat"
cat >"$W/shm.py" <<'EOF'
import mmap, os
with open("/work/py.dat", "r+b") as f:
    m = mmap.mmap(f.fileno(), 0)
    m[0:5] = b"HELLO"
    f.seek(0)
    print("read after mmap write:", f.read(5))
    os.pwrite(f.fileno(), b"W", 6)
    print("mmap after pwrite:", bytes(m[6:7]))
    pid = os.fork()
    if pid == 0:
        m[12:16] = b"MMAP"
        os._exit(0)
    os.waitpid(pid, 0)
    print("child wrote:", bytes(m[12:16]))
    m.flush()
    m.close()
with open("/etc/passwd", "rb") as f:
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    print("lower mapped:", m[:5] == f.read(5))
    try:
        mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_WRITE)
    except PermissionError:
        print("ACCESS_WRITE of a read-only fd: PermissionError")
print("python mmap done")
EOF
chmod -R a+rwX "$W"
expect "shm: python3's mmap under --fs /" 0 "python mmap done" \
	"$LOCKVM" run --linux --timeout 60 --fs / --volume "$W:/work" /usr/bin/python3 -- /work/shm.py
want="read after mmap write: b'HELLO'
mmap after pwrite: b'W'
child wrote: b'MMAP'
lower mapped: True
ACCESS_WRITE of a read-only fd: PermissionError"
while IFS= read -r line; do
	grep -qxF -- "$line" <<<"$out" && pass "shm (python3): $line" ||
		fail "shm (python3): want '$line', got $(tr '\n' '|' <<<"$out")"
done <<<"$want"
[ "$(cat "$W/py.dat")" = "HELLO World,MMAPp" ] && pass "shm (python3): the volume's host file holds what the mapping wrote" ||
	fail "shm (python3): host file is '$(cat "$W/py.dat")'"

# python3's multiprocessing: its Lock is a POSIX semaphore (sem_open: a file
# in /dev/shm mapped MAP_SHARED, then link()ed into place), its Queue a pipe
# and a semaphore between processes, its Pool worker processes.
cat >"$W/mp.py" <<'EOF2'
import multiprocessing as mp
def answer(q):
    q.put(6 * 7)
if __name__ == "__main__":
    lock = mp.Lock()
    with lock:
        print("lock held")
    q = mp.Queue()
    p = mp.Process(target=answer, args=(q,))
    p.start()
    print("queue:", q.get(timeout=30))
    p.join()
    print("child exit:", p.exitcode)
    with mp.Pool(2) as pool:
        print("pool:", pool.map(abs, [-1, -2, -3]))
EOF2
chmod a+r "$W/mp.py"
expect "shm: python3 multiprocessing (Lock, Queue, Process, Pool) under --fs /" 0 \
	"pool: [1, 2, 3]" "$LOCKVM" run --linux --timeout 60 --fs / --volume "$W:/work" /usr/bin/python3 -- /work/mp.py
for line in "lock held" "queue: 42" "child exit: 0"; do
	grep -qxF -- "$line" <<<"$out" && pass "shm (multiprocessing): $line" ||
		fail "shm (multiprocessing): want '$line', got $(tr '\n' '|' <<<"$out")"
done
