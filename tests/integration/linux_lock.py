# Run by linux_lock.sh in a VM: two processes contend for flock, POSIX and OFD locks on FILE.
import fcntl, os, struct, sys, time
path = sys.argv[1]
open(path, "a").close()

def child(fn):
    pid = os.fork()
    if pid == 0:
        try:
            fn()
        finally:
            os._exit(0)
    return pid

# flock: a second open file is refused while the first holds LOCK_EX
a = open(path, "r+")
fcntl.flock(a, fcntl.LOCK_EX)
flag = path + ".unlocked"
if os.path.exists(flag):
    os.unlink(flag)
ready_r, ready_w = os.pipe()
def try_flock():
    b = open(path, "r+")
    try:
        fcntl.flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB)
        print("flock: second LOCK_EX granted", flush=True)
    except BlockingIOError:
        print("flock: second LOCK_EX busy", flush=True)
    os.write(ready_w, b"r")
    fcntl.flock(b, fcntl.LOCK_EX)  # waits for the parent
    # the parent marks the flag file just before it unlocks: no timing involved
    print("flock: got it after the parent unlocked: %s" % os.path.exists(flag), flush=True)
pid = child(try_flock)
os.read(ready_r, 1)  # the child tried and now waits (or is about to)
time.sleep(0.2)
open(flag, "w").close()
print("flock: parent unlocks", flush=True)
fcntl.flock(a, fcntl.LOCK_UN)
os.waitpid(pid, 0)

# POSIX record locks: per process, byte ranges, F_GETLK names the holder
fcntl.lockf(a, fcntl.LOCK_EX, 10, 0)  # bytes 0-9
def try_posix():
    b = open(path, "r+")
    try:
        fcntl.lockf(b, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)
        print("posix: overlapping lock granted", flush=True)
    except OSError:
        print("posix: overlapping lock busy", flush=True)
    fcntl.lockf(b, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 10)
    print("posix: bytes 10-19 free", flush=True)
    got = fcntl.fcntl(b, fcntl.F_GETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 5, 0))
    t, w, s, l, p = struct.unpack("hhqqi", got)
    print("posix: F_GETLK holder is parent: %s, range %d+%d" % (p == os.getppid(), s, l), flush=True)
pid = child(try_posix)
os.waitpid(pid, 0)
# closing any fd of the file drops the process's POSIX locks
c = open(path, "r+")
c.close()
def after_close():
    b = open(path, "r+")
    fcntl.lockf(b, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)
    print("posix: free after the owner closed another fd", flush=True)
pid = child(after_close)
os.waitpid(pid, 0)

# OFD locks: per open file, shared across fork
lk = struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0)
fcntl.fcntl(a, fcntl.F_OFD_SETLK, lk)
def try_ofd():
    b = open(path, "r+")
    try:
        fcntl.fcntl(b, fcntl.F_OFD_SETLK, lk)
        print("ofd: second file granted", flush=True)
    except OSError:
        print("ofd: second file busy", flush=True)
    fcntl.fcntl(a, fcntl.F_OFD_SETLK, lk)
    print("ofd: the inherited file holds it", flush=True)
pid = child(try_ofd)
os.waitpid(pid, 0)
print("locks done", flush=True)
