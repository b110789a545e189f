#!/usr/bin/env bash
# --linux /proc: the VMM's generated tree read by the host's own tools under --fs / (ps, pgrep, top, nproc, python), and the C checks of lx_procfs (self, fd/N reopen, magic links with "..", a pid gone while its directory is open, huge offsets).
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_procfs: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux
RUN=("$LOCKVM" run --linux --timeout 60)

# ---- the C checks, glibc and musl ----
FS=$T_TMP/fs
mkdir -p "$FS/bin" "$FS/etc"
for libc in glibc musl; do
	[ -x "$LX/lx_procfs.$libc" ] || { skip "linux_procfs: lx_procfs.$libc not built (musl-gcc missing)"; continue; }
	cp "$LX/lx_procfs.$libc" "$FS/bin/lx_procfs"
	expect "$libc: /proc self, status, fd/N reopen, magic links, a gone pid, huge offsets" 0 \
		"procfs ok" "${RUN[@]}" --fs "$FS" --env LX_PROCFS=yes /bin/lx_procfs arg two
done

# ---- the host's tools under --fs / ----
expect "ps -ef lists the VM's processes" 0 "" "${RUN[@]}" --fs / sh -c 'sleep 5 & ps -ef; kill $!'
grep -Eq '^root +2 +1 .* sleep 5$' <<<"$out" && grep -Eq '^root +1 +0 .* sh -c' <<<"$out" &&
	pass "ps -ef: the background sleep with pid 2, ppid 1" || fail "ps -ef: $(tr '\n' '|' <<<"$out")"
expect "ps aux" 0 "ps aux" "${RUN[@]}" --fs / ps aux
expect "pgrep finds a background sleep" 0 "" "${RUN[@]}" --fs / sh -c 'sleep 5 & pgrep -x sleep; kill $!'
[ "$out" = 2 ] && pass "pgrep -x sleep prints 2" || fail "pgrep: $out"
expect "top -bn1 exits 0 and counts the tasks" 0 "Tasks:   1 total" "${RUN[@]}" --fs / top -bn1
expect "cat /proc/self/status under --user" 0 "" "${RUN[@]}" --fs / --user 1234:99 cat /proc/self/status
grep -q "^Pid:	1$" <<<"$out" && grep -q "^Uid:	1234	1234	1234	1234$" <<<"$out" &&
	grep -q "^Gid:	99	" <<<"$out" && grep -q "^Name:	cat$" <<<"$out" &&
	pass "status: Pid 1, Uid of --user, Name" || fail "status: $(tr '\n' '|' <<<"$out" | head -c 300)"
expect "/proc/self/maps names the program" 0 "/usr/bin/cat" "${RUN[@]}" --fs / cat /proc/self/maps
grep -q "\[stack\]" <<<"$out" && pass "maps: [stack]" || fail "maps: $(head -c 300 <<<"$out")"
# Neighbours alike are one line, as Linux merges them: the image's text is one
# r-xp line, and no unnamed line starts where the one before it ends with the
# same rights.
awk '{ split($1, r, "-"); if (r[1] == end && $2 == perm && $6 == name && NF < 6) dup++; end = r[2]; perm = $2; name = $6 }
     END { exit dup ? 1 : 0 }' <<<"$out" && [ "$(grep -c 'r-xp.*/usr/bin/cat' <<<"$out")" -eq 1 ] &&
	pass "maps: neighbouring mappings alike are one line" || fail "maps: not merged: $(head -c 600 <<<"$out" | tr '\n' '|')"
# The program's, the interpreter's and libc's lines are the host's: rights,
# file offset, inode and path, segment by segment (RELRO its own line).
files='$6 ~ /\/usr\/bin\/cat$|\/libc\.so\.6$|\/ld-linux-x86-64\.so\.2$/ { print $2, $3, $5, $6 }'
vm_lines=$(awk "$files" <<<"$out")
host_lines=$(cat /proc/self/maps | awk "$files")
[ -n "$vm_lines" ] && [ "$vm_lines" = "$host_lines" ] && [ "$(grep -c libc.so.6 <<<"$vm_lines")" -ge 4 ] &&
	pass "maps: cat, ld.so and libc as on the host (rights, offset, inode, path)" ||
	fail "maps: VM $(tr '\n' '|' <<<"$vm_lines") host $(tr '\n' '|' <<<"$host_lines")"
expect "ls -l /proc/self/fd shows pipes and paths" 0 "-> pipe:[" "${RUN[@]}" --fs / ls -l /proc/self/fd
grep -q -- "-> /proc/1/fd" <<<"$out" && pass "ls -l fd: the listed directory's path" || fail "ls -l fd: $out"
expect "readlink /proc/self/exe" 0 "/usr/bin/readlink" "${RUN[@]}" --fs / readlink /proc/self/exe
expect "nproc is the VM's vCPU count" 0 "" "${RUN[@]}" --vcpus 3 --fs / nproc
[ "$out" = 3 ] && pass "nproc: 3" || fail "nproc: $out"
expect "/proc/cpuinfo has a processor per vCPU" 0 "" "${RUN[@]}" --vcpus 3 --fs / grep -c ^processor /proc/cpuinfo
[ "$out" = 3 ] && pass "cpuinfo: 3 processors" || fail "cpuinfo: $out"
expect "free reads /proc/meminfo" 0 "Mem:" "${RUN[@]}" --fs / --mem 256M free -m
expect "bash's \$(< /proc/self/status)" 0 "Name:	bash" "${RUN[@]}" --fs / bash -c 'x=$(< /proc/self/status); echo "$x"'
expect "/proc/sys/kernel/hostname is --hostname" 0 "jobhost" "${RUN[@]}" --fs / --hostname jobhost cat /proc/sys/kernel/hostname
expect "/proc/mounts lists the VM's mounts" 0 "proc /proc proc" "${RUN[@]}" --fs / cat /proc/mounts
if command -v python3 >/dev/null; then
	# mmap of a file: private (a copy) and shared, at an offset; a hole
	# unmapped in the middle leaves two lines at the right offsets; a
	# forked child's maps name them too; a mapped file unlinked shows
	# "(deleted)" and its pages stay; a memfd is /memfd:NAME (deleted) in
	# maps and fd/N, as Linux names it.
	expect "maps: a file's mmap lines, after munmap, in a forked child, unlinked, a memfd" 0 "maps ok" \
		"${RUN[@]}" --fs / python3 -c '
import ctypes, mmap, os
lib = "/usr/lib/x86_64-linux-gnu/libc.so.6"
f = open(lib, "rb")
pv = mmap.mmap(f.fileno(), 5 * 4096, access=mmap.ACCESS_COPY, offset=4096)
sh = mmap.mmap(f.fileno(), 4096, access=mmap.ACCESS_READ, offset=8192)
base = ctypes.addressof(ctypes.c_char.from_buffer(pv))
assert ctypes.CDLL(None).munmap(ctypes.c_void_p(base + 2 * 4096), 4096) == 0
ino = os.stat(lib).st_ino
def lines():
    out = []
    for l in open("/proc/self/maps"):
        a = l.split()
        if len(a) == 6 and a[5] == lib and a[4] == str(ino) and a[1] in ("rw-p", "r--s"):
            lo, hi = (int(x, 16) for x in a[0].split("-"))
            out.append((a[1], a[2], hi - lo))
    return sorted(out)
want = [("r--s", "00002000", 4096), ("rw-p", "00001000", 8192), ("rw-p", "00004000", 8192)]
got = lines()
assert all(w in got for w in want), got
r, w = os.pipe()
if os.fork() == 0:
    os.write(w, repr(lines()).encode()); os._exit(0)
os.wait()
child = os.read(r, 65536).decode()
assert child == repr(got), (child, got)
with open("/tmp/gone", "wb") as g:
    g.write(b"x" * 4096)
g = open("/tmp/gone", "rb")
gm = mmap.mmap(g.fileno(), 4096, access=mmap.ACCESS_READ)
g.close()
os.unlink("/tmp/gone")
gone = [l for l in open("/proc/self/maps") if "/tmp/gone" in l]
assert len(gone) == 1 and gone[0].rstrip().endswith("/tmp/gone (deleted)"), gone
assert gm[:2] == b"xx"
mfd = os.memfd_create("jit")
os.ftruncate(mfd, 4096)
mm = mmap.mmap(mfd, 4096)
assert os.readlink("/proc/self/fd/%d" % mfd) == "/memfd:jit (deleted)"
assert [l for l in open("/proc/self/maps") if l.rstrip().endswith(" /memfd:jit (deleted)")]
print("maps ok")'
	expect "python: os.cpu_count() is --vcpus, and listdir('/proc')" 0 "2 2 True" "${RUN[@]}" --vcpus 2 --fs / python3 -c \
		'import os; print(os.cpu_count(), len(os.sched_getaffinity(0)), "1" in os.listdir("/proc"))'
	# Threads: /proc/self is the process from any thread, task/ lists its
	# live threads, status counts them; an exited thread leaves task/.
	expect "python: threads in /proc (self, thread-self, task/, Threads:, Tgid)" 0 "threads ok" \
		"${RUN[@]}" --fs / python3 -c '
import os, threading, time
ev, seen = threading.Event(), {}
def body():
    seen["self"], seen["tself"] = os.readlink("/proc/self"), os.readlink("/proc/thread-self")
    seen["tid"] = threading.get_native_id()
    ev.wait()
ts = [threading.Thread(target=body) for _ in range(3)]
[t.start() for t in ts]
while len(seen) < 3: time.sleep(0.01)
tasks = sorted(int(x) for x in os.listdir("/proc/self/task"))
status = dict(l.split(":\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\t" in l)
tstat = dict(l.split(":\t", 1) for l in open("/proc/self/task/%d/status" % seen["tid"]).read().splitlines() if ":\t" in l)
nthreads = open("/proc/self/stat").read().rsplit(")", 1)[1].split()[17]
ok = (len(tasks) == 4 and os.getpid() in tasks and seen["self"] == str(os.getpid())
      and seen["tself"] == "%d/task/%d" % (os.getpid(), seen["tid"])
      and status["Threads"] == "4" and nthreads == "4"
      and tstat["Tgid"] == str(os.getpid()) and tstat["Pid"] == str(seen["tid"]))
ev.set(); [t.join() for t in ts]
for _ in range(200):
    if os.listdir("/proc/self/task") == [str(os.getpid())]: break
    time.sleep(0.01)
left = os.listdir("/proc/self/task")
print("threads ok" if ok and left == [str(os.getpid())] else "bad %r %r %r %r %r" % (tasks, seen, status.get("Threads"), nthreads, left))'
else
	skip "linux_procfs: python3 is not installed"
fi
# hostile: the host's /proc is never what the VM sees
v=$(timeout -k 5 60 "${RUN[@]}" --fs / cat /proc/1/cmdline | tr '\0' ' ')
[ "$v" = "cat /proc/1/cmdline " ] && pass "/proc/1/cmdline: the VM's pid 1, not the host's" ||
	fail "/proc/1/cmdline: $v"
expect "writing /proc is refused" 2 "Read-only file system" "${RUN[@]}" --fs / sh -c 'echo x >/proc/sys/kernel/hostname'
expect "a read of every /proc file ends" 0 "" "${RUN[@]}" --fs / sh -c \
	'for f in /proc/*/* /proc/*/fd/* /proc/sys/*/* /proc/*; do cat "$f" >/dev/null 2>&1; done; echo done'
