#!/usr/bin/env bash
# Sets up the host, type-checks and builds testcloud and the test images, then runs every test
# (unit, integration and the end-to-end suite that boots real VMs). Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-host.sh
[[ -x node_modules/.bin/bun ]] || npm ci --no-audit --no-fund
export PATH="$PWD/node_modules/.bin:$PATH"

# A type error fails the run before any test does (bun runs TypeScript without checking it).
tsc --noEmit
bun run build
TESTCLOUD_TINY_IMAGE=$(bash scripts/images/tiny/build.sh)
TESTCLOUD_DEBIAN_IMAGE=$(bash scripts/images/debian/build.sh)
export TESTCLOUD_TINY_IMAGE TESTCLOUD_DEBIAN_IMAGE

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
bun test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# The closing line, and bun's status (set -e passes a failing one on).
bash scripts/test-summary.sh "$log" "$status"
