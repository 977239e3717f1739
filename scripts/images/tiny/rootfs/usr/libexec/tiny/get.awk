# Query a file produced by yaml.awk.
#   awk -v mode=get -v key=users.0.name      -> raw value (no newline added), exit 1 if absent
#   awk -v mode=has -v key=ssh_keys          -> exit 0 if KEY or KEY.* exists
#   awk -v mode=children -v key=users        -> distinct next path components, one per line
#   awk -v mode=script -v key=runcmd         -> a /bin/sh script running each item in order
#       (string items verbatim like cloud-init does, list items as shell-quoted argv)

function unesc(s,   out, i, n, c) {
	# fast path (data: URLs, keys...); the loop below is quadratic in length(s)
	if (index(s, "\\") == 0) return s
	out = ""
	n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (c == "\\" && i < n) {
			i++
			c = substr(s, i, 1)
			if (c == "n") c = "\n"
			else if (c == "t") c = "\t"
			else if (c == "r") c = "\r"
		}
		out = out c
	}
	return out
}

function shq(s) {
	gsub(/'/, "'\\''", s)
	return "'" s "'"
}

BEGIN { found = 0; nk = 0; plen = length(key) + 1 }

{
	t = index($0, "\t")
	if (t == 0) next
	p = substr($0, 1, t - 1)
	v = substr($0, t + 1)
}

mode == "get" && p == key { printf "%s", unesc(v); found = 1; exit }

mode == "has" && (p == key || substr(p, 1, plen) == key ".") { found = 1; exit }

mode == "children" && substr(p, 1, plen) == key "." {
	rest = substr(p, plen + 1)
	c = rest
	sub(/\..*$/, "", c)
	if (!(c in seen)) { seen[c] = 1; print c }
	found = 1
}

mode == "script" && substr(p, 1, plen) == key "." {
	rest = substr(p, plen + 1)
	c = rest
	sub(/\..*$/, "", c)
	if (!(c in seen)) { seen[c] = 1; order[nk++] = c }
	if (rest == c) cmd[c] = unesc(v)
	else {
		sep = (c in argc) ? " " : ""
		argc[c] = 1
		cmd[c] = cmd[c] sep shq(unesc(v))
	}
	found = 1
}

END {
	if (mode == "script" && found) {
		print "#!/bin/sh"
		for (i = 0; i < nk; i++) print cmd[order[i]]
	}
	exit found ? 0 : 1
}
