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
# The tiny guest for each other architecture (tests/e2e/multiarch.test.ts): cached by recipe,
# a few seconds each once built (a first build: ~30 s each, downloading Debian's packages).
TESTCLOUD_TINY_AARCH64_IMAGE=$(bash scripts/images/tiny/build.sh aarch64)
TESTCLOUD_TINY_PPC64LE_IMAGE=$(bash scripts/images/tiny/build.sh ppc64le)
TESTCLOUD_TINY_S390X_IMAGE=$(bash scripts/images/tiny/build.sh s390x)
export TESTCLOUD_TINY_IMAGE TESTCLOUD_DEBIAN_IMAGE TESTCLOUD_TINY_AARCH64_IMAGE TESTCLOUD_TINY_PPC64LE_IMAGE TESTCLOUD_TINY_S390X_IMAGE

log=$(mktemp)
# The tests get a temp dir of their own, and must leave it empty: what a test leaves fails the
# run (scripts/test-leftovers.sh). Mode 0711, traversable like /tmp: QEMU, as the libvirt-qemu
# user, reaches the e2e data dir and the shared folders the tests make in it.
tmp=$(mktemp -d -t testcloud-tests.XXXXXX)
chmod 0711 "$tmp"
# --one-file-system: a mount a test left in it is not emptied through.
trap 'rm -f "$log"; rm -rf --one-file-system "$tmp"' EXIT
set +e
TMPDIR=$tmp bun test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
bash scripts/test-leftovers.sh "$tmp"
left=$?
set -e
# The closing line, and bun's status (set -e passes a failing one on); then the leftovers' verdict.
bash scripts/test-summary.sh "$log" "$status"
exit "$left"
