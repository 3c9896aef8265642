package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/rules"
)

// hostile are strings a pull request controls (object names, paths, values
// quoted in messages) that try to act on a CI runner, a terminal, XML or
// Markdown.
var hostile = []string{
	"x\n::error file=README.md,line=1::INJECTED",
	"y\r::warning::CR ends a runner line",
	"  ::notice title=indent::an indent does not protect",
	"::error::at the start",
	"\u2028::error::after a line separator",
	"100% a:b,c %0A %25",
	"<b>&amp;</b> ]]> <![CDATA[ x ]]>",
	"nul\x00byte \x07bell \x7fdel \u0085nel",
	"\x1b[31mred\x1b[0m \x1b]8;;http://x\x07link",
	"##[error]legacy command anywhere",
	"a##[add-mask]b ##VSO[task.complete result=Failed]",
	"[click](1) | cell | `code` *em* _em_ ~del~ <img src=x onerror=alert(1)>",
	"bidi \u202eevil\u202c and \xff\xfe bad bytes",
}

// hostileResult puts each hostile string in every string of a finding.
func hostileResult() *lint.Result {
	res := &lint.Result{Rules: pick(rules.All, "OOM101")}
	for i, h := range hostile {
		f := lint.Finding{
			Rule: "OOM101", Name: "memory-limit-missing", Severity: lint.Severity(1 + i%3),
			Message: "container " + h + " has no memory limit", Fix: "set a limit on " + h,
			File: h + ".yaml", Line: i + 1, Column: 1,
			Object:    &lint.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: h, Name: h},
			Container: h, Path: "spec.template.spec.containers[0]",
			Related: []lint.Related{{File: h + "/values.yaml", Line: 2, Message: "value " + h}},
			Units:   []string{h},
		}
		res.Findings = append(res.Findings, f)
		res.Files = append(res.Files, f.File)
	}
	// An object-less finding about a file whose name starts a command.
	res.Findings = append(res.Findings, lint.Finding{Rule: "OOM901", Name: hostile[3], Severity: lint.Error,
		Message: hostile[0], File: hostile[3], Line: 1, Column: 1})
	res.Summary = lint.Summary{Files: len(res.Files), Objects: len(hostile), Error: 5, Warning: 5, Info: 4}
	return res
}

// runnerLines splits output as the Actions runner reads it: at CR, LF or
// CRLF.
func runnerLines(s string) []string {
	return strings.FieldsFunc(strings.ReplaceAll(s, "\r\n", "\n"), func(r rune) bool { return r == '\n' || r == '\r' })
}

// command is a workflow command as the runner's ActionCommand.TryParseV2
// reads one.
type command struct {
	name  string
	props map[string]string
	data  string
}

func parseCommand(line string) (command, bool) {
	line = strings.TrimLeftFunc(line, isRunnerSpace)
	if !strings.HasPrefix(line, "::") {
		return command{}, false
	}
	end := strings.Index(line[2:], "::")
	if end < 0 {
		return command{}, false
	}
	info := line[2 : 2+end]
	c := command{props: map[string]string{}, data: unescapeData(line[2+end+2:])}
	c.name, info, _ = strings.Cut(info, " ")
	for p := range strings.SplitSeq(strings.TrimSpace(info), ",") {
		if k, v, ok := strings.Cut(p, "="); ok && k != "" && v != "" {
			c.props[k] = unescapeProperty(v)
		}
	}
	return c, true
}

// The runner's unescaping, replacement by replacement in its order.
func unescapeData(s string) string {
	return unreplace(s, "%0D", "\r", "%0A", "\n", "%25", "%")
}

func unescapeProperty(s string) string {
	return unreplace(s, "%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%")
}

func unreplace(s string, pairs ...string) string {
	for i := 0; i < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
	}
	return s
}

// checkLog fails when output would act on a runner or a terminal: a
// command line other than the ones oomlint writes (own reports whether a
// parsed command is one), a legacy command prefix, a raw control character.
func checkLog(t *testing.T, format, out string, own func(command) bool) {
	t.Helper()
	if strings.Contains(out, "\r") {
		t.Errorf("%s: output holds a CR", format)
	}
	for _, line := range runnerLines(out) {
		if c, ok := parseCommand(line); ok && (own == nil || !own(c)) {
			t.Errorf("%s: a user string starts a workflow command: %q", format, line)
		}
		if commandPrefix(line) >= 0 {
			t.Errorf("%s: a runner command prefix in %q", format, line)
		}
		for _, r := range line {
			if unprintable(r) || r == utf8.RuneError {
				t.Errorf("%s: control character %U in %q", format, r, line)
				break
			}
		}
	}
}

func TestInjectionText(t *testing.T) {
	res := hostileResult()
	for _, opt := range []Options{{}, {Color: true}} {
		out := string(render(t, Text, res, opt))
		if opt.Color {
			// A runner may drop colour escapes before it looks for "::".
			out = sgr.ReplaceAllString(out, "")
		}
		checkLog(t, "text", out, nil)
		if !strings.Contains(out, `x\n::error file=README.md,line=1::INJECTED`) || !strings.Contains(out, `\x1b[31mred`) {
			t.Errorf("text: user strings are not shown escaped:\n%s", out)
		}
		if !opt.Color && !strings.Contains(out, "\n\\x3a:error::at the start:1:1: error OOM901") {
			t.Errorf("text: a path that starts a command is not escaped:\n%s", out)
		}
	}
}

func TestInjectionGitHub(t *testing.T) {
	res := hostileResult()
	var summary bytes.Buffer
	out := string(render(t, GitHub, res, Options{RepoDir: "k8s", StepSummary: &summary}))
	var annotations []command
	own := func(c command) bool {
		switch c.name {
		case "group", "endgroup":
			return len(c.props) == 0
		case "error", "warning", "notice":
			annotations = append(annotations, c)
			return true
		}
		return false
	}
	checkLog(t, "github", out, own)
	if len(annotations) != len(res.Findings) {
		t.Fatalf("%d annotations, want %d:\n%s", len(annotations), len(res.Findings), out)
	}
	// Errors come first; findings of one severity keep their order.
	want := bySeverity(res.Findings)
	for i, c := range annotations {
		f := want[i]
		// The exact path, unless only escapes can show it (then the
		// message names the file).
		file := lint.RepoPath("k8s", f.File)
		want := file
		if Printable(file) != file || commandPrefix(file) >= 0 {
			want = ""
		}
		if got := c.props["file"]; got != want {
			t.Errorf("annotation %d: file %q, want %q", i, got, want)
		}
		if got, title := c.props["title"], unhash(Printable(f.Rule+" "+f.Name)); got != title {
			t.Errorf("annotation %d: title %q, want %q", i, got, title)
		}
		if !strings.HasPrefix(c.data, unhash(Printable(file))+":") || !strings.Contains(c.data, unhash(Printable(f.Message))) {
			t.Errorf("annotation %d: message %q does not name %q and %q", i, c.data, Printable(file), Printable(f.Message))
		}
		for line := range strings.SplitSeq(c.data, "\n") {
			if Printable(line) != line {
				t.Errorf("annotation %d: message line %q is not printable", i, line)
			}
		}
	}
	checkSummary(t, summary.String(), len(res.Findings))
}

// checkSummary checks that user strings stay inside their table cells as
// plain text.
func checkSummary(t *testing.T, s string, rows int) {
	t.Helper()
	n := 0
	for line := range strings.SplitSeq(strings.TrimSpace(s), "\n") {
		if strings.HasPrefix(line, "| error ") || strings.HasPrefix(line, "| warning ") || strings.HasPrefix(line, "| info ") {
			n++
			if cells := cellBorders(line); cells != 7 {
				t.Errorf("summary row has %d cell borders, want 7: %q", cells, line)
			}
		} else if line != "" && !strings.HasPrefix(line, "## ") && !strings.HasPrefix(line, "|") && !strings.Contains(line, "errors") {
			t.Errorf("summary line a user string started: %q", line)
		}
		// Markdown and HTML are inert in the location's code span.
		if cells := splitCells(line); len(cells) == 8 {
			line = strings.Join(slices.Delete(cells, 3, 4), "|")
		}
		for _, bad := range []string{"<img", "<b>", "[click](", "\x1b", "\x00"} {
			if strings.Contains(line, bad) {
				t.Errorf("summary holds %q: %q", bad, line)
			}
		}
	}
	if n != rows {
		t.Errorf("summary has %d rows, want %d:\n%s", n, rows, s)
	}
}

func TestInjectionXML(t *testing.T) {
	res := hostileResult()
	for name, write := range map[string]Writer{"junit": JUnit, "checkstyle": Checkstyle} {
		out := render(t, write, res, Options{RepoDir: "k8s", FailOn: lint.Warning})
		checkLog(t, name, string(out), nil)
		var doc struct {
			Inner []byte `xml:",innerxml"`
		}
		if err := xml.Unmarshal(out, &doc); err != nil {
			t.Errorf("%s does not parse: %v\n%s", name, err, out)
		}
		// Every message reads back, made printable, from the document.
		dec := xml.NewDecoder(bytes.NewReader(out))
		var text strings.Builder
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			switch tok := tok.(type) {
			case xml.CharData:
				text.Write(tok)
			case xml.StartElement:
				for _, a := range tok.Attr {
					text.WriteString(a.Value + "\n")
				}
			}
		}
		for _, f := range res.Findings {
			if msg := Printable(f.Message); !strings.Contains(text.String(), GuardLines(msg)) {
				t.Errorf("%s: message %q not in the document", name, msg)
			}
		}
	}
}

func TestInjectionJSON(t *testing.T) {
	res := hostileResult()
	for name, write := range map[string]Writer{"json": JSON, "sarif": SARIF} {
		out := render(t, write, res, Options{RepoDir: "k8s"})
		// JSON escapes control characters and U+2028/9; C1 controls and
		// DEL stay, which no runner or JSON reader acts on.
		checkLog(t, name, strings.NewReplacer("\u0085", "", "\x7f", "").Replace(string(out)), nil)
		var doc any
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("%s does not parse: %v", name, err)
		}
	}
	// JSON keeps every value exact.
	var doc struct {
		Findings []struct{ Message, File string }
	}
	if err := json.Unmarshal(render(t, JSON, res, Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	for i, f := range doc.Findings {
		if want := res.Findings[i]; f.Message != string([]rune(want.Message)) || f.File != string([]rune(want.File)) {
			t.Errorf("json finding %d: %q %q, want %q %q", i, f.Message, f.File, want.Message, want.File)
		}
	}
	// A link in a user string is not a link in a SARIF message.
	var log struct {
		Runs []struct {
			Results []struct {
				Message struct{ Text string }
			}
		}
	}
	if err := json.Unmarshal(render(t, SARIF, res, Options{}), &log); err != nil {
		t.Fatal(err)
	}
	for _, r := range log.Runs[0].Results {
		if strings.Contains(r.Message.Text, "[click](1)") {
			t.Errorf("sarif: a user string makes an embedded link: %q", r.Message.Text)
		}
	}
}

func TestInjectionObjects(t *testing.T) {
	scalar := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
	values := map[string]string{
		"script": "echo ok\n  ::error::from a block\n", "::key": "v", "plain": "ok", "multi": "line one\nline two\n",
	}
	for i, h := range hostile {
		values[fmt.Sprintf("k%02d", i)] = strings.ToValidUTF8(h, "?")
	}
	data := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range slices.Sorted(maps.Keys(values)) {
		data.Content = append(data.Content, scalar(k), scalar(values[k]))
	}
	node := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		scalar("apiVersion"), scalar("v1"), scalar("kind"), scalar("ConfigMap"),
		scalar("metadata"), {Kind: yaml.MappingNode, Content: []*yaml.Node{scalar("name"), scalar("cm")}},
		scalar("data"), data,
	}}
	o := &lint.Object{Kind: "ConfigMap", Name: "cm", Node: node, Origin: fileOrigin("cm.yaml")}
	var out bytes.Buffer
	if err := Objects(&out, []*lint.Object{o}); err != nil {
		t.Fatal(err)
	}
	checkLog(t, "render", out.String(), nil)
	var got struct{ Data map[string]string }
	if err := yaml.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("render output does not parse: %v\n%s", err, out.String())
	}
	for k, v := range values {
		if got.Data[k] != v {
			t.Errorf("render changed %s: %q, want %q", k, got.Data[k], v)
		}
	}
	if !strings.Contains(out.String(), "  plain: ok\n") || !strings.Contains(out.String(), "  multi: |\n") {
		t.Errorf("a harmless value is quoted:\n%s", out.String())
	}
	if node.Content[7].Content[1].Style != 0 {
		t.Errorf("Objects changed the object it printed")
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain — ünïcode\ttab", "plain — ünïcode\ttab"},
		{"a\nb\r\n", `a\nb\r\n`},
		{"\x00\x1b[31m\x7f", `\x00\x1b[31m\x7f`},
		{"\u0085\u2028\u202e", `\u0085\u2028\u202e`},
		{"bad \xff byte, real \uFFFD", `bad \xff byte, real ` + "\uFFFD"},
	}
	for _, tt := range tests {
		if got := Printable(tt.in); got != tt.want {
			t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Printable(tt.want); got != tt.want {
			t.Errorf("Printable is not idempotent on %q: %q", tt.want, got)
		}
	}
}

func TestGuardLines(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ok: a::b\n", "ok: a::b\n"},
		{"::error::x\n  \t::warning::y\n", "\\x3a:error::x\n  \t\\x3a:warning::y\n"},
		{"\u00a0\u3000::x", "\u00a0\u3000\\x3a:x"},
		{"a ##[error]b ##vso[x] ##VSO[y] ###[z] ## [ok]", `a #\x23[error]b #\x23vso[x] #\x23VSO[y] ##\x23[z] ## [ok]`},
		{"a\r::error::x", `a\r::error::x`},
	}
	for _, tt := range tests {
		if got := GuardLines(tt.in); got != tt.want {
			t.Errorf("GuardLines(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := string(guardJSON([]byte(`{"a":"##[error] ##vso["}`))); got != `{"a":"#\u0023[error] #\u0023vso["}` {
		t.Errorf("guardJSON = %s", got)
	}
}

// TestRunnerEscapingRoundTrips checks escapeData and escapeProperty
// against the runner's unescaping on random strings of the characters
// that matter.
func TestRunnerEscapingRoundTrips(t *testing.T) {
	alphabet := []string{"%", "0", "A", "D", "2", "5", "C", "3", "\r", "\n", ":", ",", "a", " "}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		s := b.String()
		if got := unescapeData(escapeData(s)); got != s {
			t.Fatalf("data %q round-trips to %q", s, got)
		}
		p := escapeProperty(s)
		if got := unescapeProperty(p); got != s {
			t.Fatalf("property %q round-trips to %q", s, got)
		}
		if strings.ContainsAny(p, ":,\r\n") || strings.ContainsAny(escapeData(s), "\r\n") {
			t.Fatalf("escaped %q still holds a separator", s)
		}
	}
}

func TestCell(t *testing.T) {
	in := "a|b `c` *d* _e_ [f](g) <h> & \\"
	want := `a\|b \` + "`c\\`" + ` \*d\* \_e\_ \[f\](g) &lt;h&gt; &amp; \\`
	if got := cell(in); got != want {
		t.Errorf("cell(%q) = %q, want %q", in, got, want)
	}
	if got := codeCell("a`b|c"); got != `a'b\|c` {
		t.Errorf("codeCell = %q", got)
	}
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

type fileOrigin string

func (f fileOrigin) Locate(lint.Path) lint.Location {
	return lint.Location{File: string(f), Line: 1, Column: 1}
}

// splitCells splits a table row at its cell borders.
func splitCells(row string) []string {
	var cells []string
	start := 0
	for i := 0; i < len(row); i++ {
		switch row[i] {
		case '\\':
			i++
		case '|':
			cells = append(cells, row[start:i])
			start = i + 1
		}
	}
	return append(cells, row[start:])
}

// cellBorders counts the pipes of a table row that Markdown reads as cell
// borders: those not escaped with a backslash.
func cellBorders(row string) int {
	n := 0
	for i := 0; i < len(row); i++ {
		switch row[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}
