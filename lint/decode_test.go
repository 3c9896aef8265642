package lint

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

func TestSplitDocuments(t *testing.T) {
	type doc struct {
		Text   string
		Offset int
	}
	tests := []struct {
		name string
		in   string
		json bool
		want []doc
	}{
		{"one", "a: 1\n", false, []doc{{"a: 1\n", 0}}},
		{"empty", "", false, []doc{{"", 0}}},
		{"leading marker", "---\na: 1\n", false, []doc{{"---\na: 1\n", 0}}},
		{"two", "a: 1\n---\nb: 2\n", false, []doc{{"a: 1\n", 0}, {"---\nb: 2\n", 1}}},
		{"three with offsets", "a: 1\nx: 2\n---\nb: 2\n---\n\nc: 3", false,
			[]doc{{"a: 1\nx: 2\n", 0}, {"---\nb: 2\n", 2}, {"---\n\nc: 3", 4}}},
		{"marker with content", "a: 1\n--- {b: 2}\n--- # c\nc: 3\n", false,
			[]doc{{"a: 1\n", 0}, {"--- {b: 2}\n", 1}, {"--- # c\nc: 3\n", 2}}},
		{"marker with tab", "a: 1\n---\tb\n", false, []doc{{"a: 1\n", 0}, {"---\tb\n", 1}}},
		{"only at column 0", "a: |\n  ---\n  x\n ---\n", false, []doc{{"a: |\n  ---\n  x\n ---\n", 0}}},
		{"not a marker", "a: 1\n----\n---x\n", false, []doc{{"a: 1\n----\n---x\n", 0}}},
		{"crlf", "a: 1\r\n---\r\nb: 2\r\n", false, []doc{{"a: 1\r\n", 0}, {"---\r\nb: 2\r\n", 1}}},
		{"last line marker", "a: 1\n---", false, []doc{{"a: 1\n", 0}, {"---", 1}}},
		{"json is one document", "{\"a\": 1}\n---\n", true, []doc{{"{\"a\": 1}\n---\n", 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []doc
			for _, d := range splitDocuments([]byte(tt.in), tt.json) {
				got = append(got, doc{string(d.text), d.offset})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("splitDocuments(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestYAMLErrors(t *testing.T) {
	tests := []struct {
		in   string
		line int
		msg  string
	}{
		{"a: 1\n b: 2\n", 2, "invalid YAML: mapping values are not allowed in this context"},
		{"a: [1, 2\nb: 3\n", 2, "invalid YAML: did not find expected ',' or ']'"},
		{"a: 1\n\tb: 2\n", 2, "invalid YAML: found a tab character that violates indentation"},
	}
	for _, tt := range tests {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(tt.in), &n)
		if err == nil {
			t.Fatalf("yaml.Unmarshal(%q) succeeded", tt.in)
		}
		if got := errorLine(err); got != tt.line {
			t.Errorf("errorLine(%q) = %d, want %d", err, got, tt.line)
		}
		if got := yamlMessage(err); got != tt.msg {
			t.Errorf("yamlMessage(%q) = %q, want %q", err, got, tt.msg)
		}
	}
	for msg, want := range map[string]int{
		"yaml: control characters are not allowed": 1,
		"yaml: line 0: odd":                        1,
		"yaml: line 12: odd":                       12,
	} {
		if got := errorLine(errors.New(msg)); got != want {
			t.Errorf("errorLine(%q) = %d, want %d", msg, got, want)
		}
	}
	if got, want := yamlMessage(errors.New("yaml: line 4: a\nb")), "invalid YAML: a b"; got != want {
		t.Errorf("yamlMessage joins lines: got %q, want %q", got, want)
	}
}

func TestFirstColumn(t *testing.T) {
	data := []byte("a: 1\n    b: 2\n\n\t c: 3\r\nd")
	for line, want := range map[int]int{1: 1, 2: 5, 3: 1, 4: 3, 5: 1, 6: 1, 0: 1, -1: 1} {
		if got := firstColumn(data, line); got != want {
			t.Errorf("firstColumn(line %d) = %d, want %d", line, got, want)
		}
	}
	if got := firstColumn(nil, 1); got != 1 {
		t.Errorf("firstColumn(nil) = %d, want 1", got)
	}
}

func TestTemplateLine(t *testing.T) {
	for in, want := range map[string]int{
		"":                          0,
		"a: 1\n":                    0,
		"a: {{ .Values.x }}\n":      1,
		"a: 1\nb: 2\n  {{- if x }}": 3,
		"a: '{'\nb: '{'\nc: '{{'":   3,
	} {
		if got := templateLine([]byte(in)); got != want {
			t.Errorf("templateLine(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestScanDirectives(t *testing.T) {
	in := `apiVersion: v1 # oomlint:ignore OOM104 sized by load test
# oomlint:ignore OOM105,memory-too-small batch job

kind: Pod
# oomlint:ignore OOM101 first
  # oomlint:ignore OOM102 second
metadata: {}
x: 1 # oomlint:ignore
y: 2 # oomlint:ignore OOM104
z: 3 #oomlint:ignore OOM101,,OOM102  two  spaces
w: 4 # oomlint:ignored OOM101 not a directive
v: 5 # oomlint:ignore OOM104 crlf` + "\r\n" + `# oomlint:ignore all trailing comment at the end
`
	want := directives{
		1: {{line: 1, target: 1, col: 16, rules: []string{"OOM104"}, reason: "sized by load test"}},
		4: {{line: 2, target: 4, col: 1, rules: []string{"OOM105", "memory-too-small"}, reason: "batch job"}},
		7: {
			{line: 5, target: 7, col: 1, rules: []string{"OOM101"}, reason: "first"},
			{line: 6, target: 7, col: 3, rules: []string{"OOM102"}, reason: "second"},
		},
		8:  {{line: 8, target: 8, col: 6}},
		9:  {{line: 9, target: 9, col: 6, rules: []string{"OOM104"}}},
		10: {{line: 10, target: 10, col: 6, rules: []string{"OOM101", "OOM102"}, reason: "two spaces"}},
		12: {{line: 12, target: 12, col: 6, rules: []string{"OOM104"}, reason: "crlf"}},
		14: {{line: 13, target: 14, col: 1, rules: []string{"all"}, reason: "trailing comment at the end"}},
	}
	got := scanDirectives([]byte(in))
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(directive{})); diff != "" {
		t.Errorf("scanDirectives mismatch (-want +got):\n%s", diff)
	}
	if got := scanDirectives([]byte("a: 1\n")); got != nil {
		t.Errorf("scanDirectives without directives = %v, want nil", got)
	}
}

// decodeSummary is what a test compares of a decoded file.
type decodeSummary struct {
	Objects  []string // "Kind namespace/name:line", the line of the object's kind: key
	Problems []string // "line:col message"
	Skipped  int
	Template int
}

func summarize(d *decoded) decodeSummary {
	s := decodeSummary{Skipped: d.skipped, Template: d.template}
	for _, o := range d.objects {
		loc := o.Origin.Locate(Root)
		s.Objects = append(s.Objects, fmt.Sprintf("%s %s/%s:%d", o.Kind, o.Namespace, o.Name, loc.Line))
	}
	for _, p := range d.problems {
		if p.Rule != ParseErrorID || p.File != "f.yaml" {
			s.Problems = append(s.Problems, fmt.Sprintf("unexpected %s in %s", p.Rule, p.File))
		}
		s.Problems = append(s.Problems, fmt.Sprintf("%d:%d %s", p.Line, p.Column, p.Message))
	}
	return s
}

const (
	cm     = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n"
	broken = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: indent\n"
)

func TestDecodeBytes(t *testing.T) {
	mappingErr := "invalid YAML: mapping values are not allowed in this context"
	tests := []struct {
		name string
		in   string
		json bool
		want decodeSummary
	}{
		{
			name: "multi-document",
			in:   fmt.Sprintf(cm, "a") + "---\n" + fmt.Sprintf(cm, "b") + "---\n# only a comment\n---\n",
			want: decodeSummary{Objects: []string{"ConfigMap default/a:2", "ConfigMap default/b:7"}},
		},
		{
			name: "broken middle document keeps the others",
			in:   fmt.Sprintf(cm, "a") + "---\n" + broken + "---\n" + fmt.Sprintf(cm, "c"),
			want: decodeSummary{
				Objects:  []string{"ConfigMap default/a:2", "ConfigMap default/c:13"},
				Problems: []string{"10:4 " + mappingErr},
			},
		},
		{
			name: "namespace",
			in:   "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: prod\n",
			want: decodeSummary{Objects: []string{"Pod prod/p:2"}},
		},
		{
			name: "list",
			in: `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: a}
- just a string
- {kind: NoAPIVersion}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: d}
`,
			want: decodeSummary{Objects: []string{"ConfigMap default/a:5", "Deployment default/d:10"}, Skipped: 2},
		},
		{
			name: "non-kubernetes documents are skipped",
			in:   "just: data\n---\n- a\n- b\n---\nplain scalar\n---\n{apiVersion: v1}\n---\n~\n",
			want: decodeSummary{Skipped: 4},
		},
		{
			name: "byte order mark",
			in:   "\xef\xbb\xbf" + fmt.Sprintf(cm, "a"),
			want: decodeSummary{Objects: []string{"ConfigMap default/a:2"}},
		},
		{
			name: "crlf",
			in:   strings.ReplaceAll(fmt.Sprintf(cm, "a")+"---\n"+broken+"---\n"+fmt.Sprintf(cm, "c"), "\n", "\r\n"),
			want: decodeSummary{
				Objects:  []string{"ConfigMap default/a:2", "ConfigMap default/c:13"},
				Problems: []string{"10:4 " + mappingErr},
			},
		},
		{
			name: "binary",
			in:   "apiVersion: v1\x00\x01",
			want: decodeSummary{Problems: []string{"1:1 binary file (NUL byte at offset 14); not a YAML or JSON manifest"}},
		},
		{
			name: "json",
			json: true,
			in:   "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"ConfigMap\",\n  \"metadata\": {\"name\": \"j\"}\n}\n",
			want: decodeSummary{Objects: []string{"ConfigMap default/j:3"}},
		},
		{
			name: "broken json",
			json: true,
			in:   "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"ConfigMap\"\n  \"metadata\": {}\n}\n",
			want: decodeSummary{Problems: []string{"4:3 invalid YAML: did not find expected ',' or '}'"}},
		},
		{
			name: "template",
			in:   fmt.Sprintf(cm, "a") + "---\n{{- if .Values.enabled }}\napiVersion: v1\nkind: ConfigMap\n{{- end }}\n",
			want: decodeSummary{Template: 6},
		},
		{
			name: "empty and comment-only documents are not counted",
			in:   "# licence header\n---\n  \n---\n" + fmt.Sprintf(cm, "a"),
			want: decodeSummary{Objects: []string{"ConfigMap default/a:6"}},
		},
		{name: "empty", in: "", want: decodeSummary{}},
		{
			name: "an alias cycle is reported and the document not read",
			in:   fmt.Sprintf(cm, "a") + "data: &a {x: *a}\n---\n" + fmt.Sprintf(cm, "b"),
			want: decodeSummary{
				Objects:  []string{"ConfigMap default/b:8"},
				Problems: []string{"1:1 YAML aliases form a cycle at line 5 (*a inside its own anchor); document not read"},
			},
		},
		{
			name: "an alias bomb is reported and the document not read",
			in:   "# header\n" + fmt.Sprintf(cm, "bomb") + "data:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n" + aliasLevels("bcdefghi", "a"),
			want: decodeSummary{Problems: []string{"2:1 YAML aliases expand the document to 1358024700 nodes (an alias bomb, at line 10); document not read"}},
		},
		{
			name: "aliases of a document that is no object are never read",
			in:   "x: &a [*a]\n",
			want: decodeSummary{Skipped: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarize(decodeBytes([]byte(tt.in), "f.yaml", tt.json, "default"))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decodeBytes mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeBytesAnnotations(t *testing.T) {
	in := `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    oomlint.io/ignore: &ids "OOM104,OOM306"
    copy: *ids
`
	d := decodeBytes([]byte(in), "f.yaml", false, "default")
	if len(d.objects) != 1 {
		t.Fatalf("decodeBytes gave %d objects, want 1", len(d.objects))
	}
	want := map[string]string{IgnoreAnnotation: "OOM104,OOM306", "copy": "OOM104,OOM306"}
	if diff := cmp.Diff(want, d.objects[0].Annotations); diff != "" {
		t.Errorf("annotations mismatch (-want +got):\n%s", diff)
	}
}

// aliasLevels writes one data key per letter of names, each a list of
// ten aliases of the one before, prev first.
func aliasLevels(names, prev string) string {
	var b strings.Builder
	for _, c := range names {
		fmt.Fprintf(&b, "  %c: &%c [%s]\n", c, c, strings.TrimSuffix(strings.Repeat("*"+prev+", ", 10), ", "))
		prev = string(c)
	}
	return b.String()
}

func TestDecodeDuplicateKeys(t *testing.T) {
	in := `apiVersion: v1
kind: Pod
metadata:
  name: first
  name: p
spec:
  containers:
    - name: app
      resources: &res
        limits:
          memory: 1Gi
          memory: 2Gi
        limits:
          memory: 256Mi
          memory: 512Mi
          memory: 768Mi
    - name: merged
      resources:
        <<: [{requests: {memory: 1Mi}, requests: {memory: 2Mi}}, *res]
    - name: alias
      resources: *res
`
	d := decodeBytes([]byte(in), "f.yaml", false, "default")
	if len(d.objects) != 1 {
		t.Fatalf("decodeBytes gave %d objects, want 1", len(d.objects))
	}
	o := d.objects[0]
	var got []string
	for _, k := range d.dups[o] {
		got = append(got, fmt.Sprintf("%s x%d first:%d at:%d", k.path, k.count, k.first, o.Origin.Locate(k.path).Line))
	}
	want := []string{
		"metadata.name x2 first:4 at:5",
		// The first limits: is overridden: its own duplicate is never read.
		"spec.containers[0].resources.limits x2 first:10 at:13",
		"spec.containers[0].resources.limits.memory x3 first:14 at:16",
		"spec.containers[1].resources.requests x2 first:19 at:19",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("duplicate keys (-want +got):\n%s", diff)
	}
	if o.Name != "p" {
		t.Errorf("name = %q, want the last one, p", o.Name)
	}
	w := buildWorkload(o)
	if q := w.Containers[0].DeclaredLimit; q == nil || q.Raw != "768Mi" {
		t.Errorf("limit = %+v, want the last one, 768Mi", q)
	}
	if q := w.Containers[1].DeclaredRequest; q == nil || q.Raw != "2Mi" {
		t.Errorf("merged request = %+v, want 2Mi", q)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(fmt.Sprintf(cm, "a")+"data: &a {x: *a}\n"), false)
	f.Add([]byte(fmt.Sprintf(cm, "b")+"data:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n"+aliasLevels("bcdefghi", "a")), false)
	f.Add([]byte(fmt.Sprintf(cm, "m")+"data:\n  <<: &d {x: 1}\n  x: 2\n  x: 3\n"), false)
	f.Add([]byte(fmt.Sprintf(cm, "a")+"---\n"+broken+"---\n"+fmt.Sprintf(cm, "c")), false)
	f.Add([]byte(locateDoc), false)
	f.Add([]byte("{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"spec\": {\"containers\": [{\"name\": \"a\"}]}}"), true)
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		d := decodeBytes(data, "f.yaml", isJSON, "default")
		resolve(d.objects)
		lines := lineCount(data)
		check := func(what string, line int) {
			if line < 1 || line > lines+1 {
				t.Fatalf("%s at line %d, outside 1..%d", what, line, lines+1)
			}
		}
		for _, p := range d.problems {
			check("problem "+p.Message, p.Line)
		}
		for _, o := range d.objects {
			check("object", o.Origin.Locate(Root).Line)
			w := o.Workload
			if w == nil {
				continue
			}
			check("pod spec", o.Origin.Locate(w.PodPath).Line)
			for _, c := range w.Containers {
				for _, p := range []Path{c.Path, c.Path.Keys("resources", "limits", "memory"), c.Path.Keys("resources", "requests", "memory")} {
					check(p.String(), o.Origin.Locate(p).Line)
				}
			}
		}
	})
}

// lineCount counts lines as YAML (and editors) do: \r\n, \n and a lone \r
// each end a line, and so do NEL, LS and PS.
func lineCount(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	n := 1
	for _, sep := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
		n += strings.Count(s, sep)
	}
	return n
}
