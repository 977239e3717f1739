// The guest side of `cp`: POSIX sh scripts run through ssh as `sh -c SCRIPT testcloud-cp
// ARG…`, so every path and number reaches them as an argument, never inside the script
// text. They use only what busybox has too (the tiny image has no scp or sftp-server).
// Each write goes to a temporary name beside its target, which the EXIT trap removes
// unless the received bytes were counted and renamed into place; a connection that drops
// ends `cat` early, so a cut-off upload fails the count instead of landing. Counts, not
// checksums: ssh's transport already rejects altered bytes, and a sha256 pass costs the
// guest 10-20% of the copy's time under TCG (scripts/bench-cp.ts).

/** Statuses the scripts exit with for failures testcloud names (others: the tool's own). */
export const GUEST_STATUS = { noParent: 80, missing: 81, exists: 82, isDirectory: 83, incomplete: 84 } as const;
const S = GUEST_STATUS;

const TEMP = `d=$(dirname -- "$t"); [ -d "$d" ] || exit ${S.noParent}`;
const TRAPS = `trap 'exit 130' HUP INT TERM PIPE`;
// Entries (names, newline-safe) and the bytes of regular files under the current directory.
const COUNT = `n=$(find . -print0 | tr -cd '\\000' | wc -c); b=$(find . -type f -exec stat -c %s -- {} + | awk '{ s += $1 } END { printf "%.0f", s }')`;

/** Prints the kind of $1 as the planner needs it: directory, file, missing or no-parent. */
export const PROBE_DESTINATION = `if [ -d "$1" ]; then echo directory
elif [ -e "$1" ] || [ -L "$1" ]; then echo file
elif [ -d "$(dirname -- "$1")" ]; then echo missing
else echo no-parent; fi`;

/** Prints one line per argument: directory, file SIZE MODE, other (a device, a fifo) or missing. */
export const PROBE_SOURCES = `for p do
if [ -d "$p" ]; then echo directory
elif [ -f "$p" ]; then echo "file $(stat -L -c '%s %a' -- "$p")"
elif [ -e "$p" ]; then echo other; else echo missing; fi
done`;

/** stdin → file $1, kept only when exactly $2 bytes arrived; then chmod $3. */
export const RECEIVE_FILE = `t=$1 size=$2 mode=$3
[ -d "$t" ] && exit ${S.isDirectory}
${TEMP}
tmp=$(mktemp "$d/.testcloud-cp.XXXXXX") || exit 1
trap 'rm -f -- "$tmp"' EXIT
${TRAPS}
cat >"$tmp" || exit 1
got=$(stat -c %s -- "$tmp")
if [ "$got" != "$size" ]; then echo "the guest received $got of $size bytes" >&2; exit ${S.incomplete}; fi
chmod "$mode" "$tmp" && mv -f -T -- "$tmp" "$t" || exit 1
trap - EXIT`;

/** A tar stream on stdin → new directory $1 (mode $4), kept only when it has $2 entries and $3 bytes. */
export const RECEIVE_TREE = `t=$1 want_n=$2 want_b=$3 mode=$4
{ [ -e "$t" ] || [ -L "$t" ]; } && exit ${S.exists}
${TEMP}
tmp=$(mktemp -d "$d/.testcloud-cp.XXXXXX") || exit 1
trap 'rm -rf -- "$tmp"' EXIT
${TRAPS}
tar -x -o -f - -C "$tmp" || exit 1
# GNU tar pads its stream past the end-of-archive blocks: read it all.
cat >/dev/null
got=$(cd -- "$tmp" && ${COUNT} && echo "$n $b")
if [ "$got" != "$want_n $want_b" ]; then echo "the guest received $got of $want_n entries, $want_b bytes" >&2; exit ${S.incomplete}; fi
{ [ -e "$t" ] || [ -L "$t" ]; } && exit ${S.exists}
chmod "$mode" "$tmp" && mv -T -- "$tmp" "$t" || exit 1
trap - EXIT`;

/** The bytes of file $1 (its size and mode came with PROBE_SOURCES). */
export const SEND_FILE = `[ -f "$1" ] || exit ${S.missing}
exec cat -- "$1"`;

/** Prints "ENTRIES BYTES MODE" of directory $1, then a tar stream of it. */
export const SEND_TREE = `[ -d "$1" ] || exit ${S.missing}
mode=$(stat -L -c %a -- "$1") && cd -- "$1" || exit 1
${COUNT}
printf '%s %s %s\\n' "$n" "$b" "$mode"
exec tar -c -f - .`;

/** The remote command words that run `script` with `args` (sshArgv quotes each one). */
export function guestScript(script: string, ...args: (string | number)[]): string[] {
  return ["sh", "-c", script, "testcloud-cp", ...args.map(String)];
}
