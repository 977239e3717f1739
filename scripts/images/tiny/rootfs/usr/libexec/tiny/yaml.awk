# Flatten the block-style YAML subset that cloud-init seeds use into lines
#   PATH<TAB>ESCAPED-VALUE
# PATH is the dotted key path (sequence items are numbered from 0), e.g.
#   users.0.ssh_authorized_keys.1
# ESCAPED-VALUE has "\" -> "\\", newline -> "\n", tab -> "\t", CR -> "\r"
# (decode with get.awk).
#
# Supported: block mappings and sequences (any indentation), "- key: v" maps
# inside sequences, plain / 'single' / "double" (JSON-style escapes) scalars,
# block literals (| |- |+) and folded (> >- >+) scalars, flow sequences of
# scalars ([], ["a", "b"]), empty {} and a flat JSON object document
# ({"instance-id": "x", ...}). Anchors, tags, multi-document and nested flow
# collections are not supported (ignored or taken literally).
# Scalars (quoting, escapes, flow sequences) are parsed by yaml-scalar.awk,
# loaded first: awk -f yaml-scalar.awk -f yaml.awk FILE.
# Runs on busybox awk (also gawk/mawk).

function esc(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/\n/, "\\n", s)
	gsub(/\t/, "\\t", s)
	gsub(/\r/, "\\r", s)
	return s
}

function emit(p, v) { print p "\t" esc(v) }

function join(p, k) { return (p == "") ? k : p "." k }

function push(kind, ind, p) {
	sp++
	K[sp] = kind
	I[sp] = ind
	P[sp] = p
	C[sp] = 0
}

# Value after "key:" / "- " on the same line.
function value(p, v, n) {
	v = trim(v)
	if (v ~ /^[|>][-+0-9]*$/) {
		blk = 1
		bpath = p
		bparent = n
		bind = -1
		bfold = (substr(v, 1, 1) == ">")
		bchomp = (v ~ /-/) ? "strip" : ((v ~ /\+/) ? "keep" : "clip")
		bval = ""
		bpend = ""
		return
	}
	if (v ~ /^\[/) { flowseq(p, v); return }
	if (v ~ /^\{[ \t]*\}$/) return
	emit(p, scalar(v))
}

function endblock(   v) {
	v = bval
	if (bchomp == "strip") sub(/\n+$/, "", v)
	else if (bchomp == "clip") { sub(/\n+$/, "", v); if (v != "") v = v "\n" }
	else v = v bpend
	emit(bpath, v)
	blk = 0
	bpend = ""
}

# Is the text "key: ..." / "key:" (a mapping entry)?  Sets KEY and REST.
function iskey(t,   e, i, n, c) {
	n = length(t)
	c = substr(t, 1, 1)
	if (c == "\"" || c == "'") {
		e = (c == "\"") ? qend(t, 2) : sqend(t, 2)
		if (substr(t, e, 1) != ":") return 0
		if (e < n && substr(t, e + 1, 1) != " " && substr(t, e + 1, 1) != "\t") return 0
		KEY = (c == "\"") ? dq(substr(t, 2, e - 3)) : substr(t, 2, e - 3)
		REST = substr(t, e + 1)
		return 1
	}
	if (index("[{|>#&*!%@`,", c) > 0) return 0
	if (c == "-" && (n == 1 || substr(t, 2, 1) == " " || substr(t, 2, 1) == "\t")) return 0
	for (i = 1; i <= n; i++) {
		if (substr(t, i, 1) != ":") continue
		if (i == n || substr(t, i + 1, 1) == " " || substr(t, i + 1, 1) == "\t") {
			KEY = trim(substr(t, 1, i - 1))
			REST = substr(t, i + 1)
			return 1
		}
	}
	return 0
}

function line(n, t,   idx, p, rest) {
	# resolve a pending "key:" with nothing after it
	if (pending != "") {
		if ((t ~ /^-([ \t]|$)/) && n >= pendind) push("seq", n, pending)
		else if (n > pendind) push("map", n, pending)
		else emit(pending, "")
		pending = ""
	}
	while (sp > 0 && (I[sp] > n || (I[sp] == n && K[sp] == "seq" && t !~ /^-([ \t]|$)/))) sp--
	if (t ~ /^-([ \t]|$)/) {
		if (sp == 0 || K[sp] != "seq" || I[sp] != n) return
		idx = C[sp]++
		p = P[sp] "." idx
		rest = substr(t, 2)
		sub(/^[ \t]+/, "", rest)
		rest = trim(rest)
		if (rest == "") { pending = p; pendind = n; return }
		if (iskey(rest)) {
			push("map", n + 2, p)
			line(n + 2, rest)
			return
		}
		if (rest ~ /^-([ \t]|$)/) {
			push("seq", n + 2, p)
			line(n + 2, rest)
			return
		}
		value(p, rest, n)
		return
	}
	if (iskey(t)) {
		if (sp == 0) push("map", n, "")
		if (K[sp] != "map" || I[sp] != n) return
		p = join(P[sp], KEY)
		if (trim(REST) == "" || trim(REST) ~ /^#/) { pending = p; pendind = n; return }
		value(p, REST, n)
	}
}

function jsondoc(s,   k, v, e) {
	# flat JSON object: {"k": "v", "n": 1, ...}
	sub(/^[ \t\n\r]*\{/, "", s)
	while (1) {
		sub(/^[ \t\n\r,]*/, "", s)
		if (s !~ /^"/) break
		e = qend(s, 2)
		k = dq(substr(s, 2, e - 3))
		s = substr(s, e)
		sub(/^[ \t\n\r]*:[ \t\n\r]*/, "", s)
		if (s ~ /^"/) {
			e = qend(s, 2)
			v = dq(substr(s, 2, e - 3))
			s = substr(s, e)
		} else {
			match(s, /^[^,}]*/)
			v = trim(substr(s, 1, RLENGTH))
			s = substr(s, RLENGTH + 1)
		}
		emit(k, v)
	}
}

BEGIN { sp = 0; pending = ""; blk = 0; doc = ""; isjson = -1 }

{
	sub(/\r$/, "")
	raw = $0
	if (isjson == -1 && raw !~ /^[[:blank:]]*$/ && raw !~ /^[[:blank:]]*#/) isjson = (raw ~ /^[[:blank:]]*\{/) ? 1 : 0
	if (isjson == 1) { doc = doc raw "\n"; next }

	if (blk) {
		if (raw ~ /^[ \t]*$/) {
			if (bind < 0) bval = bval "\n"
			else { bpend = bpend "\n" }
			next
		}
		match(raw, /^ */)
		n = RLENGTH
		if (n > bparent && (bind < 0 || n >= bind)) {
			if (bind < 0) bind = n
			if (bfold && bval != "" && bpend == "") bval = bval " " substr(raw, bind + 1)
			else bval = bval bpend substr(raw, bind + 1) (bfold ? "" : "\n")
			bpend = ""
			next
		}
		endblock()
	}
	if (raw ~ /^[ \t]*$/ || raw ~ /^[ \t]*#/) next
	if (raw ~ /^(---|\.\.\.)[ \t]*$/) next
	match(raw, /^ */)
	n = RLENGTH
	line(n, substr(raw, n + 1))
}

END {
	if (isjson == 1) { jsondoc(doc); exit }
	if (blk) endblock()
	if (pending != "") emit(pending, "")
}
