package helm

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
)

// boundChart writes a chart with one template (and values) and renders it.
func boundChart(t *testing.T, opt render.Options, tmpl, values string) *lint.Rendered {
	t.Helper()
	dir := t.TempDir()
	writeChart(t, dir, map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"values.yaml":       values,
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: |\n" + tmpl + "\n",
	})
	opt.WorkDir, opt.RepoRoot = dir, dir
	return renderChart(t, opt, dir, "")
}

// oneProblem is the single finding of a render: file:line message.
func oneProblem(t *testing.T, r *lint.Rendered) lint.Finding {
	t.Helper()
	if len(r.Problems) != 1 || len(r.Docs) != 0 {
		t.Fatalf("%d docs, problems %+v; want one problem", len(r.Docs), r.Problems)
	}
	p := r.Problems[0]
	if p.Rule != lint.RenderErrorID {
		t.Errorf("rule %s, want %s", p.Rule, lint.RenderErrorID)
	}
	if strings.Contains(p.Message, "\n") || len(p.Message) > 400 {
		t.Errorf("message is not one short line (%d bytes): %q", len(p.Message), p.Message)
	}
	return p
}

func TestRenderBounds(t *testing.T) {
	tests := []struct {
		name, tmpl, values string
		budget             int64
		want               string // file:line and a part of the message
	}{
		{"until", `{{ range until 1000000000 }}x{{ end }}`, "", 0,
			"templates/cm.yaml:7 the chart did not render: template: templates/cm.yaml:7:13: executing \"templates/cm.yaml\" at <until 1000000000>: error calling until: until 1000000000 makes more than 100000 items"},
		{"untilStep overflow", `{{ range untilStep 9223372036854775806 9223372036854775807 10 }}{{ . }}{{ end }}`, "", 0, ""},
		{"seq", `{{ seq 1 2 1000000000 }}`, "", 0,
			"templates/cm.yaml:7 the chart did not render: template: templates/cm.yaml:7:7: executing \"templates/cm.yaml\" at <seq 1 2 1000000000>: error calling seq: seq 1 2 1000000000 makes more than 100000 items"},
		{"repeat", `{{ repeat 1000000000 "xx" }}`, "", 1 << 20,
			"templates/cm.yaml:7 the chart did not render: template: templates/cm.yaml:7:7: executing \"templates/cm.yaml\" at <repeat 1000000000 \"xx\">: error calling repeat: repeat 1000000000 of 2 bytes is larger than the output budget"},
		{"output budget", `{{ range until 100000 }}{{ range until 100 }}xxxxxxxxxx{{ end }}{{ end }}`, "", 1 << 20,
			"templates/cm.yaml:1 chart c: rendering exceeded the 1 MiB output budget while rendering c/templates/cm.yaml; the render was stopped"},
		{"include output budget", `{{ define "big" }}{{ range until 100000 }}xxxxxxxxxxxxxxxxxxxx{{ end }}{{ end }}{{ $x := include "big" . }}`, "", 1 << 20,
			"templates/cm.yaml:1 chart c: rendering exceeded the 1 MiB output budget"},
		// Helm's guard: the same error as helm's, cut to one line.
		{"include recursion", `{{ define "a" }}{{ include "a" . }}{{ end }}{{ include "a" . }}`, "", 0,
			`templates/cm.yaml:7 the chart did not render: template: templates/cm.yaml:7:51: executing "templates/cm.yaml" at <include "a" .>: error calling include (1002 nested calls): … rendering template has a nested reference name: a: unable to execute template (`},
		// A stack overflow without the guard (it kills the process), even
		// with a large text to render at every level.
		{"tpl recursion", `{{ tpl .Values.x . }}`, "x: '{{ tpl .Values.x . }}{{/* " + strings.Repeat("padding ", 10000) + "*/}}'\n", 0,
			`templates/cm.yaml:7 the chart did not render: template: templates/cm.yaml:7:7: executing "templates/cm.yaml" at <tpl .Values.x .>: error calling tpl (1025 nested calls): … include and tpl calls nested more than 1024 deep: a template that includes or renders itself (`},
		{"include and tpl", `{{ define "a" }}{{ tpl "{{ include \"b\" . }}" . }}{{ end }}{{ define "b" }}{{ include "a" . }}{{ end }}{{ include "a" . }}`, "", 0,
			`templates/cm.yaml:7 the chart did not render: template: templates/cm.yaml:7:111: executing "templates/cm.yaml" at <include "a" .>: error calling include (1025 nested calls): … include and tpl calls nested more than 1024 deep`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := helmOptions(t)
			opt.RenderBudget = tt.budget
			opt.RenderTimeout = 5 * time.Minute // these test other limits, also under -race
			r := boundChart(t, opt, "    "+tt.tmpl, tt.values)
			if tt.want == "" {
				if len(r.Problems) != 0 {
					t.Errorf("problems %+v", r.Problems)
				}
				return
			}
			p := oneProblem(t, r)
			if got := fmt.Sprintf("%s:%d %s", p.File, p.Line, p.Message); !strings.Contains(got, tt.want) {
				t.Errorf("got\n\t%s\nwant it to contain\n\t%s", got, tt.want)
			}
		})
	}
}

// TestRenderTimeout: a render that does not end is one finding at the
// deadline, the goroutine left behind stops soon after, and the next
// unit renders.
func TestRenderTimeout(t *testing.T) {
	before := runtime.NumGoroutine()
	opt := helmOptions(t)
	opt.RenderTimeout = 300 * time.Millisecond
	start := time.Now()
	r := boundChart(t, opt, `    {{ range until 100000 }}{{ range until 100000 }}{{ $x := until 1 }}{{ end }}{{ end }}`, "")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("render took %s, want about the 300ms limit", took)
	}
	p := oneProblem(t, r)
	if want := "templates/cm.yaml:1 chart c: rendering exceeded 300ms (renderTimeout) while rendering c/templates/cm.yaml; the render was stopped"; fmt.Sprintf("%s:%d %s", p.File, p.Line, p.Message) != want {
		t.Errorf("got %s:%d %s\nwant %s", p.File, p.Line, p.Message, want)
	}
	if !strings.Contains(p.Fix, "renderTimeout") {
		t.Errorf("fix %q does not name renderTimeout", p.Fix)
	}
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before: the stopped render runs on", runtime.NumGoroutine(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}

	ok := boundChart(t, opt, `    {{ range until 3 }}{{ . }}{{ end }}`, "")
	if len(ok.Problems) != 0 || len(ok.Docs) != 1 || !strings.Contains(string(ok.Docs[0].Data), "012") {
		t.Errorf("the next chart: problems %+v, docs %d", ok.Problems, len(ok.Docs))
	}
}

// TestRenderCancelled: a cancelled lint stops a render without a finding.
func TestRenderCancelled(t *testing.T) {
	dir := t.TempDir()
	writeChart(t, dir, map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"templates/cm.yaml": "{{ range until 100000 }}{{ range until 100000 }}{{ $x := until 1 }}{{ end }}{{ end }}\n",
	})
	opt := helmOptions(t)
	opt.WorkDir, opt.RepoRoot = dir, dir
	h := New(opt)
	units, _ := h.Plan([]string{dir})
	ctx, cancel := contextWithCancel(t)
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	r := h.Render(ctx, units[0])
	if took := time.Since(start); took > 5*time.Second || len(r.Problems) != 0 {
		t.Errorf("took %s, problems %+v; want a quick stop and none", took, r.Problems)
	}
}

func TestLimitsDefault(t *testing.T) {
	var o render.Options
	o.Normalize()
	if o.RenderTimeout != render.DefaultRenderTimeout || o.RenderBudget != render.DefaultRenderBudget {
		t.Errorf("Normalize: %s, %d", o.RenderTimeout, o.RenderBudget)
	}
	if got := (&LimitError{Budget: 64 << 20}).Error(); got != "rendering exceeded the 64 MiB output budget" {
		t.Error(got)
	}
}

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	return context.WithCancel(t.Context())
}

// TestSchemaRefsStayOffline: helm's schema validation follows a $ref to
// any file or URL; a chart's schema must not make the lint read outside
// the repository or call a server. Such a $ref allows anything.
func TestSchemaRefsStayOffline(t *testing.T) {
	helmOffline(t)
	secret := filepath.Join(t.TempDir(), "secret.json")
	writeChart(t, filepath.Dir(secret), map[string]string{"secret.json": `{"type": "integer", "description": "SECRET-MARKER-7f3a"}`})
	dir := t.TempDir()
	writeChart(t, dir, map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"values.yaml": "a: text\nb: text\nc: text\nreplicas: 2\n",
		"values.schema.json": `{"type": "object", "properties": {
			"a": {"$ref": "file://` + secret + `"},
			"b": {"$ref": "https://schemas.example.com/int.json"},
			"c": {"$ref": "other.json#/definitions/x"},
			"replicas": {"$ref": "#/definitions/count"}},
			"definitions": {"count": {"type": "integer", "maximum": 1}}}`,
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
	})
	opt := helmOptions(t)
	opt.WorkDir, opt.RepoRoot = dir, dir
	r := renderChart(t, opt, dir, "")
	// Only the reference inside the schema is checked: replicas 2 > 1.
	p := oneProblem(t, r)
	if got := fmt.Sprintf("%s:%d", p.File, p.Line); got != "values.yaml:4" || !strings.Contains(p.Message, "maximum") {
		t.Errorf("got %s %s", got, p.Message)
	}
	if strings.Contains(p.Message, "7f3a") || strings.Contains(p.Message, "'/a'") {
		t.Errorf("the message tells about the file outside: %s", p.Message)
	}
}

// TestNoCycles: a map that contains itself makes printing it recurse
// until the stack overflows, which kills the process; set and merge
// refuse to make one.
func TestNoCycles(t *testing.T) {
	tests := []struct{ name, tmpl, want string }{
		{"set", `{{ $d := dict }}{{ $_ := set $d "a" $d }}{{ $d }}`, "error calling set: this would make a map that contains itself"},
		{"set in a list", `{{ $d := dict "x" 1 }}{{ $_ := set $d "a" (list 1 (dict "b" $d)) }}{{ $d }}`, "error calling set: this would make a map that contains itself"},
		{"values", `{{ $_ := set .Values "self" .Values }}{{ .Values }}`, "error calling set: this would make a map that contains itself"},
		{"merge", `{{ $d := dict "x" 1 }}{{ $_ := merge $d (dict "a" $d) }}{{ $d }}`, "error calling merge: this would make a map that contains itself"},
		{"mustMergeOverwrite", `{{ $d := dict "x" 1 }}{{ $_ := mustMergeOverwrite $d (dict "a" (dict "b" $d)) }}{{ $d }}`, "error calling mustMergeOverwrite: this would make a map that contains itself"},
		{"shared, not cyclic", `{{ $d := dict "x" 1 }}{{ $e := dict }}{{ $_ := set $e "a" $d }}{{ $_ := set $e "b" $d }}{{ $_ := merge $e $e }}{{ $e | toJson }}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := boundChart(t, helmOptions(t), "    "+tt.tmpl, "")
			if tt.want == "" {
				if len(r.Problems) != 0 || len(r.Docs) != 1 || !strings.Contains(string(r.Docs[0].Data), `{"a":{"x":1},"b":{"x":1}}`) {
					t.Errorf("problems %+v, docs %d", r.Problems, len(r.Docs))
				}
				return
			}
			if p := oneProblem(t, r); !strings.Contains(p.Message, tt.want) {
				t.Errorf("got %s", p.Message)
			}
		})
	}
}
