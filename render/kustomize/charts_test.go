package kustomize

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/oomlint/oomlint/internal/yamlnode"
	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
)

// TestChartValuesOrder checks a helmCharts entry's values against
// kustomize's order: the chart's values.yaml, valuesFile and valuesInline
// as valuesMerge says, then additionalValuesFiles; and where each rendered
// limit is located.
func TestChartValuesOrder(t *testing.T) {
	offline(t)
	t.Setenv("PATH", t.TempDir()) // no helm binary: the chart renders in process
	chart := map[string]string{
		"app/charts/two/Chart.yaml":  "apiVersion: v2\nname: two\nversion: 1.0.0\n",
		"app/charts/two/values.yaml": "a: 1Gi\nb: 1Gi\nc: 1Gi\n",
		"app/charts/two/templates/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
spec:
  template:
    spec:
      containers:
        - name: a
          image: example/a
          resources:
            limits:
              memory: {{ .Values.a }}
        - name: b
          image: example/b
          resources:
            limits:
              memory: {{ .Values.b }}
        - name: c
          image: example/c
          resources:
            limits:
              memory: {{ .Values.c }}
`,
		"app/file.yaml":  "a: 2Gi\nb: 2Gi\n",
		"app/extra.yaml": "c: 5Gi\n",
	}
	tests := []struct {
		merge   string
		a, b, c string // the limits rendered
		aAt     string // where a's limit is located
	}{
		{"", "3Gi", "2Gi", "5Gi", "app/kustomization.yaml:7"},
		{"override", "3Gi", "2Gi", "5Gi", "app/kustomization.yaml:7"},
		{"merge", "2Gi", "2Gi", "5Gi", "app/file.yaml:1"},
		{"replace", "3Gi", "1Gi", "5Gi", "app/kustomization.yaml:7"},
	}
	for _, tt := range tests {
		t.Run("valuesMerge "+tt.merge, func(t *testing.T) {
			repo := filepath.Join(t.TempDir(), "repo")
			writeTree(t, repo, chart)
			writeTree(t, repo, map[string]string{"app/kustomization.yaml": fmt.Sprintf(
				"helmCharts:\n  - name: two\n    releaseName: web\n    namespace: shop\n    valuesFile: file.yaml\n    valuesInline:\n      a: 3Gi\n"+
					"    valuesMerge: %q\n    additionalValuesFiles: [extra.yaml]\n", tt.merge)})
			r := build(t, New(render.Options{WorkDir: repo, RepoRoot: repo}), filepath.Join(repo, "app"))
			d, obj := findObject(t, r, "Deployment", "web")
			if ns := yamlnode.Str(obj, "metadata", "namespace"); ns != "shop" {
				t.Errorf("namespace %q, want shop", ns)
			}
			containers := yamlnode.Seq(obj, "spec", "template", "spec", "containers")
			for i, want := range []string{tt.a, tt.b, tt.c} {
				if got := yamlnode.Str(containers[i], "resources", "limits", "memory"); got != want {
					t.Errorf("container %d: limit %s, want %s", i, got, want)
				}
			}
			for i, want := range map[int]string{0: tt.aAt, 2: "app/extra.yaml:1"} {
				limit := lint.Root.Keys("spec", "template", "spec", "containers").Index(i).Keys("resources", "limits", "memory")
				if loc := d.Origin(obj).Locate(limit); fmt.Sprintf("%s:%d", loc.File, loc.Line) != want {
					t.Errorf("container %d's limit located at %s:%d, want %s", i, loc.File, loc.Line, want)
				}
			}
		})
	}
}
