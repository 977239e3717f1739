#!/usr/bin/env bash
# Installs what `bun run build` made: the binary, its man page and the bash, zsh and fish
# completions, under PREFIX (default /usr/local):
#   bash scripts/install.sh [PREFIX]
# then `man testcloud` works, and a new shell completes verbs, flags and instance names.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}
if [[ ! -x dist/testcloud || ! -f dist/testcloud.1 ]]; then
  echo "install.sh: dist/testcloud or dist/testcloud.1 is missing: run bun run build first" >&2
  exit 1
fi
install -D -m 0755 dist/testcloud "$prefix/bin/testcloud"
install -D -m 0644 dist/testcloud.1 "$prefix/share/man/man1/testcloud.1"
(cd dist/share && find . -type f) | while read -r file; do
  install -D -m 0644 "dist/share/$file" "$prefix/share/$file"
done
echo "installed testcloud, its man page and completions under $prefix" >&2
