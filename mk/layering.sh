#!/usr/bin/env bash
# The process boundary, checked on objects: no VMM-side object may need a
# symbol that only host-side code defines (docs/ARCHITECTURE.md, "Who may
# link whom"). The linker already refuses such a call in lockvm-vmm; this
# also catches one in an object the VMM does not pull in today.
# Usage: mk/layering.sh VMM_OBJ... -- HOST_OBJ...
set -euo pipefail
vmm=() host=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do vmm+=("$1"); shift; done
[ $# -gt 0 ] && shift
host=("$@")
[ ${#vmm[@]} -gt 0 ] && [ ${#host[@]} -gt 0 ] || { echo "usage: $0 VMM_OBJ... -- HOST_OBJ..." >&2; exit 2; }
defined_host=$(nm --defined-only -g "${host[@]}" | awk 'NF==3 {print $3}' | sort -u)
status=0
for o in "${vmm[@]}"; do
	while read -r sym; do
		echo "layering: $o (VMM side) needs $sym, which only host-side code defines"
		status=1
	done < <(nm -u "$o" | awk '{print $NF}' | sort -u | comm -12 - <(echo "$defined_host"))
done
[ $status -eq 0 ] && echo "layering: ${#vmm[@]} VMM-side objects need no host-side symbol"
exit $status
