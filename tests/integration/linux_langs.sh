#!/usr/bin/env bash
# --linux runs static Rust and Go programs (issue 16): std::thread and std::process::Command, goroutines on several OS threads and os/exec, built here with Debian's rustc and go (make deps), run from a --volume with --workdir and through PATH; and a C program built with gcc -fsanitize=address (its terabytes of MAP_NORESERVE shadow at 47-bit addresses), which runs clean and reports an overflow; valgrind's memcheck (it loads its client at 1 MiB) finds a heap over-read.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_langs: /dev/kvm is not usable here"; exit 0; fi
for tool in /usr/bin/rustc /usr/bin/go; do
	[ -x "$tool" ] || { skip "linux_langs: $tool is not installed (make deps installs rustc and golang-go)"; exit 0; }
done
SRC=$(dirname "$0")/../langs
BIN=$T_TMP/bin
mkdir -p "$BIN"
# Static: glibc's crt-static for Rust, CGO off for Go (a static program needs no tree of libraries).
if ! /usr/bin/rustc -O -C target-feature=+crt-static "$SRC/threads_command.rs" -o "$BIN/threads_command" >"$T_TMP/rustc.log" 2>&1; then
	fail "linux_langs: rustc: $(tail -n 3 "$T_TMP/rustc.log" | tr '\n' '|')"
fi
if ! (cd "$SRC" && CGO_ENABLED=0 GOCACHE=$T_TMP/gocache GOPATH=$T_TMP/gopath HOME=$T_TMP \
	/usr/bin/go build -o "$BIN/goroutines" goroutines.go) >"$T_TMP/go.log" 2>&1; then
	fail "linux_langs: go build: $(tail -n 3 "$T_TMP/go.log" | tr '\n' '|')"
fi
if ! gcc -g -O0 "$SRC/overread.c" -o "$BIN/overread" >"$T_TMP/gcc.log" 2>&1; then
	fail "linux_langs: gcc overread.c: $(tail -n 3 "$T_TMP/gcc.log" | tr '\n' '|')"
fi
if ! gcc -fsanitize=address -g -O1 "$SRC/asan.c" -o "$BIN/asan" >"$T_TMP/gcc.log" 2>&1; then
	fail "linux_langs: gcc -fsanitize=address: $(tail -n 3 "$T_TMP/gcc.log" | tr '\n' '|')"
fi
chmod -R a+rX "$T_TMP"
RUN=("$LOCKVM" run --linux --fs / --volume "$BIN:/t:ro" --timeout 60)
expect "rust: std::thread workers and std::process::Command (./PROGRAM from --workdir in a volume)" 0 \
	"threads 2999997000000 child Some(7) said rust child" "${RUN[@]}" --workdir /t ./threads_command
expect "go: goroutines on several threads and os/exec (PROGRAM found through PATH in a volume)" 0 \
	"goroutines 59999912 threads>1 true child 5 said go child" "${RUN[@]}" --env PATH=/t:/usr/bin goroutines
expect "go on one vCPU: the same" 0 "goroutines 59999912 threads>1 true child 5 said go child" \
	"${RUN[@]}" --vcpus 1 /t/goroutines
# LeakSanitizer needs ptrace (not served): leaks unchecked.
ASAN=(--env ASAN_OPTIONS=detect_leaks=0)
expect "c: gcc -fsanitize=address, dynamic: ASan's shadow maps and the program runs clean" 0 \
	"asan ok 24832" "${RUN[@]}" "${ASAN[@]}" /t/asan
expect "c: ASan reports a heap overflow in the VM (exit 1, as natively)" 1 \
	"ERROR: AddressSanitizer: heap-buffer-overflow" "${RUN[@]}" "${ASAN[@]}" /t/asan -- overflow
if [ -x /usr/bin/valgrind ]; then
	expect "c: valgrind's memcheck runs in the VM and finds a heap over-read" 3 \
		"Invalid read of size 4" "${RUN[@]}" /usr/bin/valgrind -- --error-exitcode=3 /t/overread
	grep -q "0 bytes after a block of size 40" <<<"$out" && grep -qx "overread done" <<<"$out" &&
		pass "c: memcheck names the block, and the program ran to its end" ||
		fail "c: memcheck: $(tail -n 5 <<<"$out" | tr '\n' '|')"
else
	fail "linux_langs: valgrind is not installed (make deps installs it)"
fi
expect "a PROGRAM missing from its volume: one line, 125" 125 "/t/nothere: No such file or directory" \
	"${RUN[@]}" /t/nothere
