# Scalars for yaml.awk (loaded with it: awk -f yaml-scalar.awk -f yaml.awk):
# plain, 'single' and "double"-quoted (JSON-style escapes, \u and \x as
# UTF-8) scalars, and flow sequences of them ([a, "b", 'c']), which it emits
# with yaml.awk's emit. Runs on busybox awk (also gawk/mawk).

function hexval(h,   i, c, n) {
	n = 0
	h = tolower(h)
	for (i = 1; i <= length(h); i++) {
		c = index("0123456789abcdef", substr(h, i, 1))
		if (c == 0) return n
		n = n * 16 + c - 1
	}
	return n
}

function utf8(cp) {
	if (cp < 128) return sprintf("%c", cp)
	if (cp < 2048) return sprintf("%c%c", 192 + int(cp / 64), 128 + cp % 64)
	return sprintf("%c%c%c", 224 + int(cp / 4096), 128 + int(cp / 64) % 64, 128 + cp % 64)
}

# Decode the inside of a double-quoted (JSON-style) string.
function dq(s,   out, i, n, c) {
	out = ""
	n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (c == "\\" && i < n) {
			i++
			c = substr(s, i, 1)
			if (c == "n") out = out "\n"
			else if (c == "t") out = out "\t"
			else if (c == "r") out = out "\r"
			else if (c == "b") out = out "\b"
			else if (c == "f") out = out "\f"
			else if (c == "0") out = out ""
			else if (c == "e") out = out "\033"
			else if (c == "u") { out = out utf8(hexval(substr(s, i + 1, 4))); i += 4 }
			else if (c == "x") { out = out utf8(hexval(substr(s, i + 1, 2))); i += 2 }
			else out = out c
		} else out = out c
	}
	return out
}

function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }

# Parse a scalar as written after "key: " or "- ".
function scalar(v,   e) {
	v = trim(v)
	if (v ~ /^"/) {
		# find the closing unescaped quote
		e = qend(v, 2)
		return dq(substr(v, 2, e - 3))
	}
	if (v ~ /^'/) {
		e = sqend(v, 2)
		v = substr(v, 2, e - 3)
		gsub(/''/, "'", v)
		return v
	}
	sub(/[ \t]+#.*$/, "", v)
	if (v == "~" || v == "null") return ""
	return v
}

# index just past the closing " of a double-quoted string starting at pos-1
function qend(s, pos,   n, c) {
	n = length(s)
	for (; pos <= n; pos++) {
		c = substr(s, pos, 1)
		if (c == "\\") { pos++; continue }
		if (c == "\"") return pos + 1
	}
	return n + 1
}

function sqend(s, pos,   n, c) {
	n = length(s)
	for (; pos <= n; pos++) {
		c = substr(s, pos, 1)
		if (c == "'") {
			if (substr(s, pos + 1, 1) == "'") { pos++; continue }
			return pos + 1
		}
	}
	return n + 1
}

# Flow sequence of scalars: [a, "b", 'c']
function flowseq(p, v,   i, n, c, idx, e, tok) {
	v = trim(v)
	v = substr(v, 2)
	n = length(v)
	idx = 0
	i = 1
	while (i <= n) {
		c = substr(v, i, 1)
		if (c == " " || c == "\t" || c == ",") { i++; continue }
		if (c == "]") break
		if (c == "\"") {
			e = qend(v, i + 1)
			emit(p "." idx++, dq(substr(v, i + 1, e - i - 2)))
			i = e
		} else if (c == "'") {
			e = sqend(v, i + 1)
			tok = substr(v, i + 1, e - i - 2)
			gsub(/''/, "'", tok)
			emit(p "." idx++, tok)
			i = e
		} else {
			tok = ""
			while (i <= n) {
				c = substr(v, i, 1)
				if (c == "," || c == "]") break
				tok = tok c
				i++
			}
			emit(p "." idx++, trim(tok))
		}
	}
}
