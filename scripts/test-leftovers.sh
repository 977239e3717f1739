#!/usr/bin/env bash
# Usage: test-leftovers.sh DIR — DIR is the temp dir scripts/test.sh gave the test run (its
# TMPDIR). Every test removes what it makes there (tests/_helpers.ts: scratchDir, useTempDirs),
# so anything left fails the run, listed by name (a name's prefix points to the test that made
# it). A missing DIR fails too. Removing DIR is the caller's job.
set -euo pipefail
dir=$1
left=$(find "$dir" -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort)
[[ -z $left ]] && exit 0
n=$(wc -l <<<"$left")
echo "Tests left $n $( ((n == 1)) && echo entry || echo entries) in their temp dir \"$dir\": every test must remove what it makes:" >&2
sed 's/^/  /' <<<"$left" >&2
exit 1
