package helm

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFindActions checks where actions start and end and what kind they
// are, where looking for the next }} alone would go wrong: strings and
// comments holding }}, trim markers, actions spanning lines.
func TestFindActions(t *testing.T) {
	src := `kind: ConfigMap
data:
  a: {{ printf "%s}}" .Values.a }}{{ .Values.b }}
  b: {{ "\"}}" }} {{ '}' }} {{ ` + "`raw }}`" + ` }}
  c: {{- /* a }} comment */ -}}
  d: {{ .Values.d
    | quote }}
  {{- $x := .Values.x }}
  {{- if .Values.on }}{{ else if .Values.off }}{{ else }}{{ end }}
{{- define "h}}" }}{{ end }}`
	tf := scanTemplate(0, "templates/cm.yaml", src)
	var got []string
	for _, a := range tf.actions {
		got = append(got, fmt.Sprintf("%d-%d:%d %s %s", a.start+1, a.end+1, a.col, a.kind, a.text))
	}
	want := []string{
		`3-3:5 output printf "%s}}" .Values.a`,
		`3-3:34 output .Values.b`,
		`4-4:5 output "\"}}"`,
		`4-4:18 output '}'`,
		"4-4:28 output `raw }}`",
		`5-5:5 comment /* a }} comment */`,
		"6-7:5 output .Values.d\n    | quote",
		`8-8:2 assign $x := .Values.x`,
		`9-9:2 if if .Values.on`,
		`9-9:22 else else if .Values.off`,
		`9-9:47 else else`,
		`9-9:57 end end`,
		`10-10:0 define define "h}}"`,
		`10-10:19 end end`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	var multi []int
	for i, l := range tf.lines {
		if l.multi {
			multi = append(multi, i+1)
		}
	}
	if diff := cmp.Diff([]int{6, 7}, multi); diff != "" {
		t.Errorf("lines of a multi-line action (-want +got):\n%s", diff)
	}
}

// TestScopeBinding checks the values path each output action of a
// template reads, through with, range, variables and helpers' arguments.
func TestScopeBinding(t *testing.T) {
	src := `{{- $res := .Values.app.resources }}
kind: Pod
spec:
  {{- with .Values.pod }}
  a: {{ .replicas }}
  b: {{ toYaml . | nindent 4 }}
  c: {{ $.Values.top }}
  d: {{ .Values.ignored }}
  {{- else }}
  e: {{ .Values.fallback }}
  {{- end }}
  f: {{ .Values.after }}
  g: {{ toYaml $res.limits }}
  {{- range $name, $c := .Values.containers }}
  h: {{ $name }}
  i: {{ $c.memory }}
  j: {{ .image }}
  {{- end }}
  {{- range .Values.list }}
  k: {{ .name | quote }}
  {{- end }}
  l: {{ include "helper" .Values.sub | nindent 2 }}
  m: {{ include "helper" (dict "a" .Values.b "c" "x") }}
  n: {{- /* .Values.comment }} */ -}} {{- .Values.trimmed -}}
  o: {{ printf "%s}} .Values.str" .Values.real }}
  p: {{ index .Values "my-app" "mem" }}
  q: {{ .Values.a | default .Values.b }}
{{- define "helper" }}
  r: {{ .Values.inHelper }} {{ .field }}
{{- end }}`
	tf := scanTemplate(0, "templates/pod.yaml", src)
	var got []string
	for _, a := range tf.actions {
		if a.kind == "output" {
			got = append(got, fmt.Sprintf("%s => %v", a.text, valueRefs(a.text, a.dot, a.vars)))
		}
	}
	want := []string{
		`.replicas => [[pod replicas]]`,
		`toYaml . | nindent 4 => [[pod]]`,
		`$.Values.top => [[top]]`,
		`.Values.ignored => []`, // .Values under a rebound dot is not the values
		`.Values.fallback => [[fallback]]`,
		`.Values.after => [[after]]`,
		`toYaml $res.limits => [[app resources limits]]`,
		`$name => []`,
		`$c.memory => [[containers * memory]]`,
		`.image => [[containers * image]]`,
		`.name | quote => [[list * name]]`,
		`include "helper" .Values.sub | nindent 2 => [[sub]]`,
		`include "helper" (dict "a" .Values.b "c" "x") => [[b]]`,
		`.Values.trimmed => [[trimmed]]`,
		`printf "%s}} .Values.str" .Values.real => [[real]]`,
		`index .Values "my-app" "mem" => [[my-app mem]]`,
		`.Values.a | default .Values.b => [[a] [b]]`,
		`.Values.inHelper => []`, // a helper's dot is its caller's argument
		`.field => []`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values read (-want +got):\n%s", diff)
	}
	for i, l := range tf.lines {
		if want := i == 27 || i == 28; l.define != want { // the define line and its body, not its end
			t.Errorf("line %d (%s): define = %v, want %v", i+1, strings.TrimSpace(l.text), l.define, want)
		}
	}
}
