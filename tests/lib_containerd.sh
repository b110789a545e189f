# A private containerd for oci.sh and bench/oci.sh: config, root, state and
# sockets under one directory, so the machine's own containerd is untouched.

# containerd_private DIR [TOML]: writes DIR/config.toml (TOML appended:
# cri.sh's CRI plugin section), starts containerd on it (log in DIR/log),
# waits up to 5 s for DIR/sock. Sets CONTAINERD_PID.
containerd_private() {
	local d=$1 extra=${2:-}
	mkdir -p "$d"
	cat >"$d/config.toml" <<EOT
version = 2
root = "$d/root"
state = "$d/state"
[grpc]
  address = "$d/sock"
[ttrpc]
  address = "$d/sock.ttrpc"
[debug]
  address = "$d/debug.sock"
[metrics]
  address = ""
$extra
EOT
	containerd --config "$d/config.toml" >"$d/log" 2>&1 &
	CONTAINERD_PID=$!
	for _ in $(seq 1 100); do [ -S "$d/sock" ] && break; sleep 0.05; done
}
