# Kernel modules to put in the initramfs, in load order (dependencies first),
# from the kernel's modules.dep and modules.builtin:
#   awk -v want="NAME NAME? ..." -f modules.awk modules.dep modules.builtin
# prints the module paths (relative to /lib/modules/KREL) to load with insmod.
# A trailing "?" marks a module that may be missing; built-in ones are skipped.
function norm(p,   n) { n = p; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n); gsub(/-/, "_", n); return n }
function visit(n,   i, k, d) {
	if (n in done) return
	done[n] = 1
	k = split(deps[n], d, " ")
	for (i = 1; i <= k; i++) visit(norm(d[i]))
	print path[n]
}
FILENAME ~ /modules\.dep$/ { p = $1; sub(/:$/, "", p); n = norm(p); path[n] = p; deps[n] = ""; for (i = 2; i <= NF; i++) deps[n] = deps[n] " " $i; next }
FILENAME ~ /modules\.builtin$/ { builtin[norm($1)] = 1; next }
END {
	k = split(want, w, " ")
	for (i = 1; i <= k; i++) {
		opt = (w[i] ~ /\?$/); n = w[i]; sub(/\?$/, "", n); gsub(/-/, "_", n)
		if (n in path) visit(n)
		else if (n in builtin) printf "tiny-build: module %s is built in\n", n > "/dev/stderr"
		else if (opt) printf "tiny-build: optional module %s not available\n", n > "/dev/stderr"
		else { printf "tiny-build: ERROR: module %s not found\n", n > "/dev/stderr"; bad = 1 }
	}
	exit bad
}
