#!/usr/bin/env bash
# Prints one SHA-256 of the source tree as git sees it (tracked files and
# untracked ones not ignored: names and contents), so that a full suite's pass
# is tied to exactly the tree it ran on (tests/run.sh writes it to
# build/suite-passed; tests/mutate.sh reads it).
set -uo pipefail
cd "$(dirname "$0")/.."
# A tracked file deleted from the work tree is left out (sha256sum says so
# on stderr and goes on).
git ls-files -co --exclude-standard -z | LC_ALL=C sort -zu |
	xargs -0 sha256sum -- 2>/dev/null | sha256sum | cut -d' ' -f1
