#!/usr/bin/env bash
# The main job, end to end: boot the tiny test image, run `hostname` in it over
# ssh, remove it. Sets up the host first (packages, libvirt). Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-host.sh
[[ -x node_modules/.bin/bun ]] || npm ci --no-audit --no-fund
export PATH="$PWD/node_modules/.bin:$PATH"
bun run build
image=$(bash scripts/images/tiny/build.sh)
name=demo-$$

set -x
dist/testcloud create "$image" --name "$name" --network "${TESTCLOUD_TEST_NETWORK:-testcloud-test}" --ram 256
dist/testcloud ssh "$name" -- hostname
dist/testcloud list
dist/testcloud remove --force "$name"
