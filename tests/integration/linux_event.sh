#!/usr/bin/env bash
# --linux event files, timers and rusage: epoll (pipes, unix sockets, eventfd, nested sets, fork, ET/LT/ONESHOT), eventfd, timerfd, signalfd, alarm/setitimer/timer_create, getrusage/times; hostile epoll arguments and a timer storm; coreutils timeout and Python's selectors and asyncio under --fs /.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_event: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux
RUN=("$LOCKVM" run --linux --timeout 60)

for libc in glibc musl; do
	[ -x "$LX/lx_epoll.$libc" ] || { skip "linux_event: lx_epoll.$libc not built (musl-gcc missing)"; continue; }
	expect "$libc: epoll over pipes, a socketpair, eventfd, nested sets, fork; cycles and huge maxevents refused" \
		0 "epoll ok" "${RUN[@]}" "$LX/lx_epoll.$libc"
	expect "$libc: timerfd, signalfd, alarm (EINTR, SA_RESTART), setitimer (sleeping and spinning), timer_create" \
		0 "timers ok" "${RUN[@]}" "$LX/lx_timer.$libc"
	expect "$libc: getrusage (SELF, THREAD, CHILDREN), wait4's rusage and times() after busy loops; ru_maxrss grows" \
		0 "rusage ok" "${RUN[@]}" "$LX/lx_rusage.$libc"
done

# ---- hostile: a 1 us interval timer and timerfd forever; --timeout still ends the VM ----
expect "a timer storm does not starve --timeout: 124" 124 "timeout: VM stopped after --timeout" \
	"$LOCKVM" run --linux --timeout 2 "$LX/lx_timer.glibc" storm
grep -qF "storm started" <<<"$out" && pass "the storm ran before the timeout" || fail "storm never started: $out"

# ---- coreutils timeout: timer_create, sigsuspend, SIGTERM to its child ----
if [ -x /usr/bin/timeout ] && [ -x /bin/sh ]; then
	start=$(date +%s%N)
	expect "timeout 1 sleep 5 exits 124 inside the VM" 0 "status 124" \
		"${RUN[@]}" --fs / /bin/sh -c 'timeout 1 sleep 5; echo "status $?"'
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -lt 4500 ] && pass "timeout 1 sleep 5 took ${ms} ms, not 5 s" || fail "timeout 1 sleep 5 took ${ms} ms"
else
	skip "linux_event: coreutils timeout or /bin/sh missing on this host"
fi

# ---- Python from the host root: selectors picks epoll, asyncio runs on it ----
if [ -x /usr/bin/python3 ]; then
	expect "python3: selectors.DefaultSelector is epoll and sees a socketpair" 0 "EpollSelector" \
		"${RUN[@]}" --fs / /usr/bin/python3 -c '
import selectors, socket
a, b = socket.socketpair()
sel = selectors.DefaultSelector()
sel.register(a, selectors.EVENT_READ)
assert sel.select(0) == []
b.send(b"x")
assert len(sel.select(5)) == 1
print(type(sel).__name__)'
	expect "python3: an asyncio echo over a unix socketpair" 0 "PING" \
		"${RUN[@]}" --fs / /usr/bin/python3 -c '
import asyncio, socket
async def main():
    a, b = socket.socketpair()
    r1, w1 = await asyncio.open_unix_connection(sock=a)
    r2, w2 = await asyncio.open_unix_connection(sock=b)
    w1.write(b"ping\n"); await w1.drain()
    w2.write((await r2.readline()).upper()); await w2.drain()
    print((await r1.readline()).decode().strip())
asyncio.run(main())'
else
	skip "linux_event: /usr/bin/python3 is not on this host"
fi
