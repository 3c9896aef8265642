package renderers

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/rules"
)

// libCharts is the size of BenchmarkSharedLibrary's chart collection.
const libCharts = 100

// BenchmarkSharedLibrary measures a chart collection in the style of
// bitnami's: every chart depends on a sibling library chart "common" with
// many helpers, found by name through charts.search (search), against the
// same charts with the library vendored into each chart's charts/
// (vendored). search / vendored is what resolving the library costs.
//
//	go test ./render/renderers -run '^$' -bench BenchmarkSharedLibrary -benchtime 3x -count 2
func BenchmarkSharedLibrary(b *testing.B) {
	search := b.TempDir()
	vendored := b.TempDir()
	lib := libraryChart()
	benchWrite(b, filepath.Join(search, "charts", "common"), lib)
	for i := range libCharts {
		name := fmt.Sprintf("app-%03d", i)
		files := libraryUser(name, "oci://registry.example.com/charts")
		benchWrite(b, filepath.Join(search, "charts", name), files)
		vfiles := libraryUser(name, "oci://registry.example.com/charts")
		for f, text := range lib {
			vfiles["charts/common/"+f] = text
		}
		benchWrite(b, filepath.Join(vendored, "charts", name), vfiles)
	}
	run := func(b *testing.B, dir string, searchDirs []string) {
		b.Helper()
		for b.Loop() {
			opt := render.Options{WorkDir: dir, RepoRoot: dir, ChartSearch: searchDirs}
			cfg := lint.Config{Paths: []string{dir}, WorkDir: dir, Renderers: All(opt)}
			res, err := lint.Run(b.Context(), cfg, rules.All)
			if err != nil {
				b.Fatal(err)
			}
			for _, f := range res.Findings {
				if f.Rule == lint.RenderErrorID {
					b.Fatalf("render error: %s:%d: %s", f.File, f.Line, f.Message)
				}
			}
		}
		b.ReportMetric(float64(libCharts)*float64(b.N)/b.Elapsed().Seconds(), "charts/s")
	}
	b.Run("search", func(b *testing.B) { run(b, search, []string{filepath.Join(search, "charts")}) })
	b.Run("vendored", func(b *testing.B) { run(b, vendored, nil) })
}

// libraryChart is a library chart with helpers the way common libraries
// write them: names, labels, resources and images, each in its own file.
func libraryChart() map[string]string {
	files := map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: common\ntype: library\nversion: 2.20.0\n",
		"values.yaml": "exampleValue: common-chart\n",
	}
	for i := range 20 {
		var b strings.Builder
		for j := range 6 {
			fmt.Fprintf(&b, `{{- define "common.helper%d.%d" -}}
{{- $ctx := .context | default . -}}
{{- if $ctx.Values.nameOverride -}}
{{- $ctx.Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%%s-%%s" $ctx.Release.Name "h%d" | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

`, i, j, j)
		}
		files[fmt.Sprintf("templates/_helpers%02d.tpl", i)] = b.String()
	}
	files["templates/_resources.tpl"] = `{{- define "common.resources" -}}
{{- if .resources }}
{{- toYaml .resources }}
{{- else }}
requests:
  memory: 128Mi
limits:
  memory: 256Mi
{{- end }}
{{- end -}}
`
	return files
}

// libraryUser is an application chart that depends on common by name.
func libraryUser(name, repo string) map[string]string {
	return map[string]string{
		"Chart.yaml":  fmt.Sprintf("apiVersion: v2\nname: %s\nversion: 1.0.0\ndependencies:\n  - name: common\n    version: 2.x.x\n    repository: %s\n", name, repo),
		"values.yaml": "resources:\n  requests:\n    memory: 256Mi\n  limits:\n    memory: 512Mi\n",
		"templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "common.helper0.0" . }}
spec:
  template:
    spec:
      containers:
        - name: app
          image: example/app:1
          resources:
            {{- include "common.resources" (dict "resources" .Values.resources) | nindent 12 }}
`,
	}
}
