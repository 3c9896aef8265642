package helm

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/oomlint/oomlint/internal/lazyre"
)

// Line markers. Before rendering, every template line that is plain YAML
// gets a trailing comment naming the template and the line; after
// rendering, the markers tell which template line each rendered line came
// from, and are stripped. The trailing ~ keeps a marker self-delimiting when
// a `{{-` on the next line glues more output onto it.
const markerPrefix = " #oomlint:"

func marker(id, line int) string {
	return markerPrefix + strconv.Itoa(id) + ":" + strconv.Itoa(line) + "~"
}

// findMarker finds the first marker in s (` #oomlint:ID:LINE~`, as marker
// writes it): its start and end, or -1.
func findMarker(s string) (start, end int, m mark) {
	for off := 0; ; {
		i := strings.Index(s[off:], markerPrefix)
		if i < 0 {
			return -1, -1, mark{}
		}
		start = off + i
		if end, m, ok := parseMarker(s, start+len(markerPrefix)); ok {
			return start, end, m
		}
		off = start + len(markerPrefix)
	}
}

// parseMarker reads `ID:LINE~` at s[i:].
func parseMarker(s string, i int) (end int, m mark, ok bool) {
	idEnd := skipDigits(s, i)
	if idEnd == i || idEnd >= len(s) || s[idEnd] != ':' {
		return 0, mark{}, false
	}
	lineEnd := skipDigits(s, idEnd+1)
	if lineEnd == idEnd+1 || lineEnd >= len(s) || s[lineEnd] != '~' {
		return 0, mark{}, false
	}
	m.id, _ = strconv.Atoi(s[i:idEnd])
	m.line, _ = strconv.Atoi(s[idEnd+1 : lineEnd])
	return lineEnd + 1, m, true
}

func skipDigits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// stripMarkers removes every marker from s.
func stripMarkers(s string) string {
	start, end, _ := findMarker(s)
	if start < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for start >= 0 {
		b.WriteString(s[:start])
		s = s[end:]
		start, end, _ = findMarker(s)
	}
	b.WriteString(s)
	return b.String()
}

// tmplAction is one {{ … }} of a template.
type tmplAction struct {
	text       string   // between the delimiters, trim markers and spaces removed
	start, end int      // 0-based lines of {{ and }}
	col        int      // 0-based column of {{ on its line
	kind       string   // if, else, end, range, with, define, block, comment, assign, output
	dot        dotScope // what . is bound to where the action runs
	vars       map[string]dotScope
}

// dotScope is what `.` (or a variable) means: the root context, a values
// path, or something oomlint cannot follow (a range element, a define's argument).
type dotScope struct {
	kind int // dotRoot, dotValues, dotUnknown
	path []string
}

const (
	dotRoot = iota
	dotValues
	dotUnknown
)

// tmplLine is what oomlint knows about one line of a template.
type tmplLine struct {
	text    string
	indent  int
	key     string // the mapping key the line starts with ("- " prefixes skipped)
	colon   int    // column just after that key's colon, -1 without a key
	item    bool   // the line starts a sequence item
	plain   bool   // has text outside actions
	multi   bool   // part of an action spanning lines
	define  bool   // inside a define or block
	mark    bool   // gets a line marker
	actions []int  // indexes into tmpl.actions of actions starting on the line
}

// tmplFile is one template of the chart tree, scanned.
type tmplFile struct {
	id           int
	includesFile bool   // it includes a template file's output (Template.BasePath)
	name         string // chart-relative: templates/x.yaml
	disk         string // absolute path, "" inside a .tgz
	src          *chartSrc
	raw          []string // lines as written, \r included
	// rootDefine reads a helper's lines with its . as the root context:
	// the helper renders a whole object for a template that includes it
	// with . (see viaHelper).
	rootDefine bool
	lines      []tmplLine
	actions    []tmplAction
}

var (
	assignRE   = lazyre.New(`^\$\w*(?:\s*,\s*\$\w*)?\s*:?=`)
	keyLineRE  = lazyre.New(`^(\s*)((?:-\s+)*)("[^"]*"|'[^']*'|[^\s#'"{}\[\],&*!|>%@` + "`" + `-][^#]*?|-[^\s#][^#]*?)\s*:(?:\s|$)`)
	itemLineRE = lazyre.New(`^(\s*)-(?:\s|$)`)
	blockRE    = lazyre.New(`(?:^|[\s:-])[|>][-+0-9]*\s*$`)
)

// scanTemplate reads a template's lines and actions and decides which
// lines can carry a marker. When unsure it does not mark: a wrong marker
// changes what renders, a missing one only loses a line.
func scanTemplate(id int, name, data string) *tmplFile {
	t := &tmplFile{id: id, name: name}
	raw := strings.Split(data, "\n")
	t.raw = raw
	t.lines = make([]tmplLine, len(raw))
	outside := make([]strings.Builder, len(raw))
	t.actions = findActions(data, func(line int, s string) { _, _ = outside[line].WriteString(s) })
	for i, a := range t.actions {
		t.lines[a.start].actions = append(t.lines[a.start].actions, i)
		for l := a.start; a.end > a.start && l <= a.end; l++ {
			t.lines[l].multi = true
		}
	}
	bindScopes(t)
	for i := range raw {
		l := &t.lines[i]
		l.text = strings.TrimSuffix(raw[i], "\r")
		l.indent = len(l.text) - len(strings.TrimLeft(l.text, " "))
		out := strings.TrimSuffix(outside[i].String(), "\r")
		l.plain = strings.TrimSpace(out) != ""
		l.colon = -1
		if m := keyLineRE().FindStringSubmatchIndex(l.text); len(m) > 7 && firstAction(t, i) > m[7] {
			l.key = strings.Trim(l.text[m[6]:m[7]], `"'`)
			l.colon = m[7] + 1
			l.item = m[5] > m[4]
		} else if itemLineRE().MatchString(l.text) && firstAction(t, i) > strings.Index(l.text, "-") {
			l.item = true
		}
	}
	markLines(t, outside)
	return t
}

// firstAction is the column of the first action on line i, or a large number.
func firstAction(t *tmplFile, i int) int {
	if len(t.lines[i].actions) == 0 {
		return 1 << 30
	}
	return t.actions[t.lines[i].actions[0]].col
}

// Why a scanner of its own and not text/template/parse, the parser helm
// runs: the parser, with the scope binding done on its trees, gives the
// same actions, lines and values paths on every template of helm's test
// charts, `helm create` and this repository, but it is slower, and a
// render with origins is meant to take at most 1.2 times `helm template`.
// The `helm create` chart on 2 vCPU, ms per op, min / median of 5 runs
// of BenchmarkScanTemplates (1000 ops) and of 18 runs of
// BenchmarkHelmRender and BenchmarkHelmTemplate (20 ops):
//
//	                          scan templates   render with origins   / helm template
//	this scanner              0.50 / 0.55      3.07 / 3.66           1.37
//	text/template/parse       0.85 / 0.96      3.62 / 4.14           1.53
//	helm template             -                2.23 / 2.67
//
// The parser allocates 3938 times a scan against 1007 here. Neither meets
// 1.2 yet: the scan is most of the difference, and keyLineRE, run on
// every line, is the largest part of a scan.

// findActions finds every {{ … }}, skipping strings and comments inside
// them, and hands the text outside actions to plain, line by line.
func findActions(data string, plain func(line int, s string)) []tmplAction {
	var out []tmplAction
	line, col := 0, 0
	emit := func(s string) {
		for {
			nl := strings.IndexByte(s, '\n')
			if nl < 0 {
				plain(line, s)
				col += len(s)
				return
			}
			plain(line, s[:nl])
			s = s[nl+1:]
			line, col = line+1, 0
		}
	}
	for data != "" {
		i := strings.Index(data, "{{")
		if i < 0 {
			emit(data)
			break
		}
		emit(data[:i])
		data = data[i:]
		n := actionLen(data)
		body := data[2 : n-2]
		a := tmplAction{start: line, col: col, text: trimAction(body)}
		a.end = line + strings.Count(data[:n], "\n")
		if nl := strings.LastIndexByte(data[:n], '\n'); nl >= 0 {
			line, col = a.end, n-nl-1
		} else {
			col += n
		}
		a.kind = actionKind(a.text)
		out = append(out, a)
		data = data[n:]
	}
	return out
}

// actionLen is the length of the action data starts with, up to and
// including its }}, or all of data when it is not closed.
func actionLen(data string) int {
	i := 2
	if strings.HasPrefix(strings.TrimLeft(data[2:], "- "), "/*") {
		if j := strings.Index(data, "*/"); j >= 0 {
			if k := strings.Index(data[j:], "}}"); k >= 0 {
				return j + k + 2
			}
		}
		return len(data)
	}
	for i < len(data) {
		switch c := data[i]; c {
		case '"', '\'', '`':
			i = skipQuoted(data, i)
			continue
		case '}':
			if strings.HasPrefix(data[i:], "}}") {
				return i + 2
			}
		}
		i++
	}
	return len(data)
}

func skipQuoted(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && q != '`':
			j++
		case s[j] == q:
			return j + 1
		}
	}
	return len(s)
}

func trimAction(body string) string {
	body = strings.TrimPrefix(body, "-")
	body = strings.TrimSuffix(body, "-")
	return strings.TrimSpace(body)
}

// actionKind classifies an action by its first word.
func actionKind(text string) string {
	if strings.HasPrefix(text, "/*") {
		return "comment"
	}
	word, _, _ := strings.Cut(text, " ")
	switch word {
	case "if", "else", "end", "range", "with", "define", "block", "break", "continue":
		return word
	}
	if assignRE().MatchString(text) {
		return "assign"
	}
	return "output"
}

// markLines decides the lines that get a marker.
func markLines(t *tmplFile, outside []strings.Builder) {
	if !isYAMLTemplate(t.name) {
		return
	}
	blockIndent := -1 // indentation of the key owning the current block scalar
	inQuote, flow := false, 0
	for i := range t.lines {
		l := &t.lines[i]
		out := stripComment(outside[i].String())
		if blockIndent >= 0 {
			if !l.plain || l.multi || l.indent > blockIndent {
				continue
			}
			blockIndent = -1
		}
		wasQuoted, wasFlow := inQuote, flow > 0
		inQuote = inQuote != oddQuotes(out)
		flow = max(flow+strings.Count(out, "[")+strings.Count(out, "{")-strings.Count(out, "]")-strings.Count(out, "}"), 0)
		if l.plain && !l.multi && strings.ContainsAny(out, "|>") && blockRE().MatchString(strings.TrimRight(out, " \r")) {
			blockIndent = l.indent
		}
		l.mark = !wasQuoted && !wasFlow && !inQuote && flow == 0 && markable(t, i) && !continued(t, i)
	}
}

func isYAMLTemplate(name string) bool {
	base := name[strings.LastIndexByte(name, '/')+1:]
	return !strings.HasPrefix(base, "_") && (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml"))
}

// markable reports whether line i is a key or item line whose end can take
// a comment without changing what renders.
func markable(t *tmplFile, i int) bool {
	l := &t.lines[i]
	if !l.plain || l.multi || l.define || (l.key == "" && !l.item) {
		return false
	}
	trimmed := strings.TrimSpace(l.text)
	if strings.HasPrefix(trimmed, "---") || strings.HasPrefix(trimmed, "...") || strings.HasPrefix(trimmed, "%") {
		return false
	}
	for _, ai := range l.actions {
		if !inlineAction(t.actions[ai], l.text) {
			return false
		}
	}
	return true
}

// inlineAction reports whether an action on a marked line renders in
// place: no trimming, no control flow, nothing that emits lines.
func inlineAction(a tmplAction, line string) bool {
	if a.kind != "output" {
		return false
	}
	raw := line[a.col:]
	if strings.HasPrefix(raw, "{{-") {
		return false
	}
	if j := strings.Index(raw, "}}"); j > 0 && raw[j-1] == '-' {
		return false
	}
	for _, w := range []string{"indent", "toYaml", "include", "template", "tpl", ".Files", "toToml", "nl", "\\n"} {
		if strings.Contains(a.text, w) {
			return false
		}
	}
	return true
}

// continued reports whether line i's scalar may continue on the next line
// (a multi-line plain scalar), which a comment would cut short.
func continued(t *tmplFile, i int) bool {
	l := &t.lines[i]
	rest := l.text
	if l.colon >= 0 {
		rest = l.text[min(l.colon, len(l.text)):]
	} else if l.item {
		rest = strings.TrimLeft(strings.TrimSpace(l.text), "- ")
	}
	if strings.TrimSpace(rest) == "" {
		return false // a key whose value starts on the next line
	}
	for j := i + 1; j < len(t.lines); j++ {
		n := &t.lines[j]
		if strings.TrimSpace(n.text) == "" {
			continue
		}
		if !n.plain && strings.HasPrefix(strings.TrimSpace(n.text), "{{-") {
			return false // it trims the line break: its output joins this line after the marker
		}
		return n.indent > l.indent && n.key == "" && !n.item
	}
	return false
}

// stripComment drops a trailing YAML comment: a # after a blank and
// outside quotes. The marker then lands inside the comment, which is fine.
func stripComment(s string) string {
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q == '"' && c == '\\':
			i++
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '"' || c == '\''):
			if i == 0 || strings.ContainsRune(" \t:-[{,", rune(s[i-1])) {
				q = c
			}
		case q == 0 && c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return s[:i]
		}
	}
	return s
}

// oddQuotes reports whether s opens or closes a quoted scalar spanning lines.
func oddQuotes(s string) bool {
	d := strings.Count(s, `"`) - strings.Count(s, `\"`)
	sq := strings.Count(s, "'") - 2*strings.Count(s, "''")
	return d%2 == 1 || sq%2 == 1
}

// markedSource is the template text with markers added.
func (t *tmplFile) markedSource() string {
	var b strings.Builder
	for i, l := range t.lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		if !l.mark {
			b.WriteString(t.raw[i])
			continue
		}
		text, cr := strings.CutSuffix(t.raw[i], "\r")
		b.WriteString(text)
		b.WriteString(marker(t.id, i+1))
		if cr {
			b.WriteByte('\r')
		}
	}
	return b.String()
}

// bindScopes follows if/with/range/define nesting to know what `.` and
// simple variables mean at each action.
func bindScopes(t *tmplFile) {
	type frame struct {
		kind      string
		outer     dotScope
		outerVars map[string]dotScope
	}
	var stack []frame
	dot := dotScope{kind: dotRoot}
	vars := map[string]dotScope{}
	for i := range t.actions {
		a := &t.actions[i]
		a.dot, a.vars = dot, vars
		switch a.kind {
		case "if", "range", "with", "define", "block":
			stack = append(stack, frame{kind: a.kind, outer: dot, outerVars: vars})
			switch a.kind {
			case "with":
				dot = scopeOf(strings.TrimPrefix(a.text, "with"), dot, vars)
			case "range":
				dot, vars = rangeScope(strings.TrimPrefix(a.text, "range"), dot, vars)
			case "define", "block":
				dot = dotScope{kind: dotUnknown}
			}
		case "else":
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				dot = top.outer
				if rest, ok := strings.CutPrefix(a.text, "else with"); ok {
					dot = scopeOf(rest, top.outer, vars)
				}
			}
		case "end":
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				dot, vars = top.outer, top.outerVars
			}
		case "assign":
			name, expr, _ := strings.Cut(a.text, "=")
			name = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(name), ":"))
			if refs := valueRefs(strings.TrimSpace(expr), dot, vars); len(refs) == 1 && isSimpleExpr(expr) {
				vars = cloneVars(vars)
				vars[name] = dotScope{kind: dotValues, path: refs[0]}
			}
		}
	}
	markDefines(t)
}

// markDefines flags the lines inside define and block bodies: their text
// reaches the output through include, where a marker could change a
// checksum or a string.
func markDefines(t *tmplFile) {
	depth := 0
	next := 0
	for l := range t.lines {
		for next < len(t.actions) && t.actions[next].start == l {
			switch t.actions[next].kind {
			case "define", "block":
				depth++
			case "if", "range", "with":
				if depth > 0 {
					depth++
				}
			case "end":
				if depth > 0 {
					depth--
				}
			}
			next++
		}
		if depth > 0 {
			t.lines[l].define = true
		}
	}
}

func cloneVars(m map[string]dotScope) map[string]dotScope {
	out := make(map[string]dotScope, len(m)+1)
	maps.Copy(out, m)
	return out
}

// isSimpleExpr reports whether an assignment is a plain reference, maybe
// piped through default: its value is the values entry it names.
func isSimpleExpr(expr string) bool {
	expr = strings.TrimSpace(expr)
	return !strings.ContainsAny(expr, "()") && !strings.Contains(expr, " ") || strings.HasPrefix(expr, "default ")
}

// rangeElem stands for the element of a values list or map that a range
// is at; origins pick the element by the rendered value or name.
const rangeElem = "*"

// rangeScope is the dot and variables a `range [$i, $v :=] EXPR` binds.
func rangeScope(expr string, dot dotScope, vars map[string]dotScope) (dotScope, map[string]dotScope) {
	decl, src, isDecl := strings.Cut(expr, ":=")
	if !isDecl {
		src = expr
	}
	elem := scopeOf(src, dot, vars)
	if elem.kind != dotValues {
		return dotScope{kind: dotUnknown}, vars
	}
	elem.path = concat(elem.path, []string{rangeElem})
	if isDecl {
		names := strings.Split(decl, ",")
		vars = cloneVars(vars)
		vars[strings.TrimSpace(names[len(names)-1])] = elem
	}
	return elem, vars
}

// scopeOf is the dot a `with EXPR` binds.
func scopeOf(expr string, dot dotScope, vars map[string]dotScope) dotScope {
	expr = strings.TrimSpace(expr)
	refs := valueRefs(expr, dot, vars)
	if len(refs) == 1 && isSimpleExpr(expr) {
		return dotScope{kind: dotValues, path: refs[0]}
	}
	return dotScope{kind: dotUnknown}
}

var (
	valuesRefRE = lazyre.New(`(^|[\s(|,])(\$?)\.Values((?:\.\w+)*)`)
	varRefRE    = lazyre.New(`(^|[\s(|,])\$(\w+)((?:\.\w+)*)`)
	dotRefRE    = lazyre.New(`(^|[\s(|,])\.((?:\w+)(?:\.\w+)*)?(?:$|[\s)|,])`)
	indexRE     = lazyre.New(`\bindex\s+(\$?\.\w*(?:\.\w+)*|\$\w+(?:\.\w+)*)((?:\s+"[^"\\]*")+)`)
	quotedRE    = lazyre.New(`"([^"\\]*)"`)
	stringLitRE = lazyre.New(`"(?:[^"\\]|\\.)*"|` + "`[^`]*`")
)

// valueRefs lists the values paths an action expression names, in order:
// .Values.a.b, $.Values.a.b, a variable bound to values, or fields of a dot
// bound by with.
func valueRefs(expr string, dot dotScope, vars map[string]dotScope) [][]string {
	type hit struct {
		at   int
		path []string
	}
	var hits []hit
	// index .Values "a-b" "c": keys that are not identifiers
	for _, m := range indexRE().FindAllStringSubmatchIndex(expr, -1) {
		if base := valueRefs(expr[m[2]:m[3]], dot, vars); len(base) == 1 {
			var keys []string
			for _, k := range quotedRE().FindAllStringSubmatch(expr[m[4]:m[5]], -1) {
				keys = append(keys, k[1])
			}
			hits = append(hits, hit{m[0], concat(base[0], keys)})
		}
		expr = expr[:m[0]] + strings.Repeat(" ", m[1]-m[0]) + expr[m[1]:]
	}
	expr = stringLitRE().ReplaceAllString(expr, `""`)
	for _, m := range valuesRefRE().FindAllStringSubmatchIndex(expr, -1) {
		if expr[m[4]:m[5]] == "" && dot.kind != dotRoot {
			continue // .Values under a rebound dot is not the values
		}
		hits = append(hits, hit{m[0], splitPath(expr[m[6]:m[7]])})
	}
	for _, m := range varRefRE().FindAllStringSubmatchIndex(expr, -1) {
		if v, ok := vars["$"+expr[m[4]:m[5]]]; ok && v.kind == dotValues {
			hits = append(hits, hit{m[0], concat(v.path, splitPath(expr[m[6]:m[7]]))})
		}
	}
	if dot.kind == dotValues {
		for _, m := range dotRefRE().FindAllStringSubmatchIndex(expr, -1) {
			var sub []string
			if m[4] >= 0 {
				sub = splitPath(expr[m[4]:m[5]])
			}
			if len(sub) > 0 && sub[0] == "Values" {
				continue
			}
			hits = append(hits, hit{m[0], concat(dot.path, sub)})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.at - b.at })
	var out [][]string
	for _, h := range hits {
		out = append(out, h.path)
	}
	return out
}

func splitPath(s string) []string {
	s = strings.TrimPrefix(s, ".")
	if s == "" {
		return nil
	}
	return strings.Split(s, ".")
}

func concat(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// String is for test failures.
func (d dotScope) String() string { return fmt.Sprintf("%d:%v", d.kind, d.path) }
