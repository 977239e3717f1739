#!/usr/bin/env bash
# Usage: test-summary.sh LOG STATUS — prints the closing line CI reads from bun's summary
# (" N pass" / " N fail" / " N error(s)", each absent when bun has nothing to say) and exits
# with bun's STATUS; a test file that failed to load is an error, not a failure, and fails too.
# No pipefail here: a summary without an errors line is the normal case, not a failure.
set -eu
log=$1 status=$2
count() { grep -Eo "^ *[0-9]+ $1\$" "$log" | tail -1 | tr -dc 0-9 || true; }
pass=$(count pass) fail=$(count fail) errors=$(count 'errors?')
echo "${pass:-0} passed, ${fail:-0} failed, ${errors:-0} errors"
if [[ -n $errors && $errors != 0 && $status == 0 ]]; then status=1; fi
exit "$status"
