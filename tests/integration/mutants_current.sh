#!/usr/bin/env bash
# Every security mutant (tests/mutants/*.txt) still mutates today's code: its
# line is there exactly once and a C mutant compiles. `make mutate` finds the
# same after a 40-minute run; this finds it in seconds, in make test, so a
# refactor that moves a claimed line cannot leave its mutant stale.
set -u
cd "$(dirname "$0")/../.."
tests/mutate.sh --lines
