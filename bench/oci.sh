#!/usr/bin/env bash
# make bench, OCI part: podman run --rm and ctr run --rm of /bin/true, lockvm-oci vs runc, interleaved, best of 5.
# Prints "BENCH oci-run ratio=..." and "BENCH oci-ctr ratio=..." (ratio = lockvm-oci time / runc time).
set -u
cd "$(dirname "$0")/.."
B=${LOCKVM_BUILD:-build}
OCI=$PWD/$B/lockvm-oci
T=$(mktemp -d /tmp/lockvm-bench-oci.XXXXXX)
cpid=""
cleanup() {
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
	grep -F " $T/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
	rm -rf "$T"
}
trap cleanup EXIT
export LOCKVM_ROOT=$T/lvroot
mkdir -p "$LOCKVM_ROOT"
for tool in podman runc busybox; do
	command -v $tool >/dev/null || { echo "BENCH oci-run skipped: $tool not installed"; exit 0; }
done
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000)); }
best() { tr ' ' '\n' | grep . | sort -n | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

mkdir -p "$T/rfs/bin" "$T/rfs/tmp"
cp "$(command -v busybox)" "$T/rfs/bin/busybox"
ln -s busybox "$T/rfs/bin/true"
tar -C "$T/rfs" -cf "$T/rfs.tar" .
PM=(podman --root "$T/root" --runroot "$T/runroot" --tmpdir "$T/tmp" --storage-driver vfs
	--cgroup-manager cgroupfs --events-backend none)
U=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none)
"${PM[@]}" import -q "$T/rfs.tar" localhost/lockvm-bench:1 >/dev/null
lv="" rc=""
for _ in 1 2 3 4 5; do
	lv+="$(ms "${PM[@]}" --runtime "$OCI" run --rm "${U[@]}" localhost/lockvm-bench:1 /bin/true) "
	rc+="$(ms "${PM[@]}" --runtime runc run --rm "${U[@]}" localhost/lockvm-bench:1 /bin/true) "
done
lv=$(best <<<"$lv") rc=$(best <<<"$rc")
echo "BENCH oci-run ratio=$(ratio "$lv" "$rc") lockvm-oci=${lv}us runc=${rc}us (podman run --rm /bin/true, best of 5; target <= 1.0)"

command -v containerd >/dev/null || { echo "BENCH oci-ctr skipped: containerd not installed"; exit 0; }
"${PM[@]}" save --format oci-archive -o "$T/image.tar" localhost/lockvm-bench:1 >/dev/null 2>&1
. tests/lib_containerd.sh
containerd_private "$T/ctrd"
cpid=$CONTAINERD_PID
CT=(ctr --address "$T/ctrd/sock" -n lockvm-bench)
"${CT[@]}" images import --snapshotter native --base-name localhost/lockvm-bench "$T/image.tar" >/dev/null 2>&1
lv="" rc=""
for i in 1 2 3 4 5; do
	lv+="$(ms "${CT[@]}" run --snapshotter native --runc-binary "$OCI" --rm localhost/lockvm-bench:1 "b-lv-$i-$$" /bin/true) "
	rc+="$(ms "${CT[@]}" run --snapshotter native --runc-binary runc --rm localhost/lockvm-bench:1 "b-rc-$i-$$" /bin/true) "
done
lv=$(best <<<"$lv") rc=$(best <<<"$rc")
echo "BENCH oci-ctr ratio=$(ratio "$lv" "$rc") lockvm-oci=${lv}us runc=${rc}us (ctr run --rm /bin/true, best of 5; target <= 1.0)"
