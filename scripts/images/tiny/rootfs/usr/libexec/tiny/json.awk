# Flatten a JSON document into the lines yaml.awk produces
#   PATH<TAB>ESCAPED-VALUE
# so that get.awk (cc_get / cc_has / cc_children) can query it. PATH is the
# dotted key path, array items numbered from 0, e.g.
#   passwd.users.0.sshAuthorizedKeys.1
#   storage.files.2.contents.source
# Strings are decoded (all JSON escapes, \uXXXX and surrogate pairs to UTF-8;
# \u0000 is dropped); numbers, true and false are printed as written; null,
# {} and [] produce no line. ESCAPED-VALUE escapes "\", newline, tab and CR
# like yaml.awk. Object keys are used verbatim (a key holding "." would be
# ambiguous; Ignition has none).
# Invalid JSON: a message on stderr, exit 1. Runs on busybox awk (also gawk/mawk).

function esc(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/\n/, "\\n", s)
	gsub(/\t/, "\\t", s)
	gsub(/\r/, "\\r", s)
	return s
}

function emit(p, v) { print p "\t" esc(v) }

function join(p, k) { return (p == "") ? k : p "." k }

function fail(what) {
	if (pos > n) what = "unexpected end of input"
	printf "json.awk: %s at offset %d\n", what, pos - 1 > "/dev/stderr"
	bad = 1
	exit 1
}

function hexval(h,   i, c, v) {
	v = 0
	h = tolower(h)
	for (i = 1; i <= length(h); i++) {
		c = index("0123456789abcdef", substr(h, i, 1))
		if (c == 0) fail("bad \\u escape")
		v = v * 16 + c - 1
	}
	return v
}

function utf8(cp) {
	if (cp == 0) return ""
	if (cp < 128) return sprintf("%c", cp)
	if (cp < 2048) return sprintf("%c%c", 192 + int(cp / 64), 128 + cp % 64)
	if (cp < 65536) return sprintf("%c%c%c", 224 + int(cp / 4096), 128 + int(cp / 64) % 64, 128 + cp % 64)
	return sprintf("%c%c%c%c", 240 + int(cp / 262144), 128 + int(cp / 4096) % 64, 128 + int(cp / 64) % 64, 128 + cp % 64)
}

# skip whitespace
function ws() {
	while (pos <= n && index(" \t\r\n", substr(doc, pos, 1)) > 0) pos++
}

# the string starting at pos (on its opening quote); pos ends past the closing one
function str(   out, rest, m, c, cp, lo) {
	pos++
	out = ""
	while (1) {
		rest = substr(doc, pos)
		m = match(rest, /["\\]/)
		if (m == 0) fail("unterminated string")
		out = out substr(rest, 1, m - 1)
		pos += m
		if (substr(rest, m, 1) == "\"") return out
		c = substr(doc, pos, 1)
		pos++
		if (c == "n") out = out "\n"
		else if (c == "t") out = out "\t"
		else if (c == "r") out = out "\r"
		else if (c == "b") out = out "\b"
		else if (c == "f") out = out "\f"
		else if (c == "\"" || c == "\\" || c == "/") out = out c
		else if (c == "u") {
			cp = hexval(substr(doc, pos, 4))
			pos += 4
			if (cp >= 55296 && cp < 56320 && substr(doc, pos, 2) == "\\u") {
				lo = hexval(substr(doc, pos + 2, 4))
				if (lo >= 56320 && lo < 57344) {
					cp = 65536 + (cp - 55296) * 1024 + (lo - 56320)
					pos += 6
				}
			}
			out = out utf8(cp)
		} else fail("bad escape \\" c)
	}
}

# the value starting at pos, emitted under path p
function value(p,   c, k, idx, lit) {
	ws()
	c = substr(doc, pos, 1)
	if (c == "{") {
		pos++
		ws()
		if (substr(doc, pos, 1) == "}") { pos++; return }
		while (1) {
			ws()
			if (substr(doc, pos, 1) != "\"") fail("expected a key")
			k = str()
			ws()
			if (substr(doc, pos, 1) != ":") fail("expected ':'")
			pos++
			value(join(p, k))
			ws()
			c = substr(doc, pos, 1)
			pos++
			if (c == "}") return
			if (c != ",") fail("expected ',' or '}'")
		}
	}
	if (c == "[") {
		pos++
		ws()
		if (substr(doc, pos, 1) == "]") { pos++; return }
		idx = 0
		while (1) {
			value(join(p, idx++))
			ws()
			c = substr(doc, pos, 1)
			pos++
			if (c == "]") return
			if (c != ",") fail("expected ',' or ']'")
		}
	}
	if (c == "\"") { emit(p, str()); return }
	if (match(substr(doc, pos, 64), /^(true|false|null|-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)/)) {
		lit = substr(doc, pos, RLENGTH)
		pos += RLENGTH
		if (lit != "null") emit(p, lit)
		return
	}
	fail("unexpected character '" c "'")
}

{ doc = doc $0 "\n" }

END {
	n = length(doc)
	pos = 1
	ws()
	if (pos > n) fail("empty document")
	value("")
	ws()
	if (pos <= n) fail("trailing data")
}
