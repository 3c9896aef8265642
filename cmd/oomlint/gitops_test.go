package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/repo"

	"github.com/oomlint/oomlint/internal/offlinetest"
)

// serveChart serves one chart with a Deployment template whose JVM options
// and memory limit come from values, as a chart repository on loopback.
func serveChart(t *testing.T) string {
	t.Helper()
	md := &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "jvm-app", Version: "1.2.0"}
	ch := &chart.Chart{Metadata: md,
		Values: map[string]any{"javaOpts": "-Xmx256m", "memory": "512Mi"},
		Templates: []*chart.File{{Name: "templates/deployment.yaml", Data: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  template:
    spec:
      containers:
        - name: app
          image: eclipse-temurin:21-jre
          env:
            - name: JAVA_TOOL_OPTIONS
              value: {{ .Values.javaOpts | quote }}
          resources:
            requests:
              memory: {{ .Values.memory }}
            limits:
              memory: {{ .Values.memory }}
`)}}}
	path, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	archive, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	index := repo.NewIndexFile()
	if err := index.MustAdd(md, filepath.Base(path), "", ""); err != nil {
		t.Fatal(err)
	}
	indexFile := filepath.Join(t.TempDir(), "index.yaml")
	if err := index.WriteFile(indexFile, 0o644); err != nil {
		t.Fatal(err)
	}
	indexData, err := os.ReadFile(indexFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch filepath.Base(r.URL.Path) {
		case "index.yaml":
			_, _ = w.Write(indexData)
		case filepath.Base(path):
			_, _ = w.Write(archive)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestLintPulledChartOffline pulls a HelmRelease's chart once, then lints
// with no network at all: the chart comes from the cache and the heap
// flag written in the HelmRelease's values is reported at that line.
// Without the cache the same run gives one warning naming charts pull.
func TestLintPulledChartOffline(t *testing.T) {
	url := serveChart(t)
	work := t.TempDir()
	k8s := filepath.Join(work, "k8s")
	if err := os.MkdirAll(k8s, 0o755); err != nil {
		t.Fatal(err)
	}
	release := `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: charts
  namespace: apps
spec:
  url: ` + url + `
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: orders
  namespace: apps
spec:
  chart:
    spec:
      chart: jvm-app
      version: 1.x
      sourceRef:
        kind: HelmRepository
        name: charts
  values:
    javaOpts: -Xmx1g
    memory: 1Gi
`
	if err := os.WriteFile(filepath.Join(k8s, "orders.yaml"), []byte(release), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work)
	cache := filepath.Join(work, "cache")
	var out, errs bytes.Buffer
	if code := run(t.Context(), []string{"oomlint", "charts", "pull", "--chart-cache", cache, "k8s"}, &out, &errs, func(string) string { return "" }); code != 0 {
		t.Fatalf("charts pull exit %d: %s%s", code, out.String(), errs.String())
	}

	offlinetest.Guard(t)
	lintJSON := func(cacheDir string) []map[string]any {
		t.Helper()
		var out, errs bytes.Buffer
		code := run(t.Context(), []string{"oomlint", "--format", "json", "--chart-cache", cacheDir, "k8s"}, &out, &errs, func(string) string { return "" })
		if code != 1 {
			t.Fatalf("lint exit %d: %s", code, errs.String())
		}
		var rep struct{ Findings []map[string]any }
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		var kept []map[string]any // limit = request is an info finding by design here
		for _, f := range rep.Findings {
			if f["severity"] != "info" {
				kept = append(kept, f)
			}
		}
		return kept
	}
	got := lintJSON(cache)
	for _, f := range got {
		for _, r := range f["related"].([]any) {
			if file := r.(map[string]any)["file"].(string); filepath.IsAbs(file) || !filepath.IsLocal(file) || file[:5] == "cache" {
				t.Errorf("related entry outside the repository: %v", r)
			}
		}
	}
	if len(got) != 1 || got[0]["rule"] != "OOM201" || got[0]["file"] != "k8s/orders.yaml" || got[0]["line"] != float64(23) {
		t.Errorf("with the cache: %v, want one OOM201 at k8s/orders.yaml:23", got)
	}
	got = lintJSON(filepath.Join(work, "empty-cache"))
	if len(got) != 1 || got[0]["rule"] != "OOM900" || got[0]["severity"] != "warning" || got[0]["line"] != float64(17) {
		t.Errorf("without the cache: %v, want one OOM900 warning at the chart: line", got)
	}
}

// TestIncludeGenerated checks that findings in a generated file (flux
// bootstrap's gotk-components.yaml) are left out unless asked for.
func TestIncludeGenerated(t *testing.T) {
	t.Chdir("../..")
	offlinetest.Guard(t)
	count := func(args ...string) int {
		t.Helper()
		var out, errs bytes.Buffer
		run(t.Context(), append([]string{"oomlint", "--format", "json"}, args...), &out, &errs, func(string) string { return "" })
		var rep struct{ Findings []struct{ File string } }
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("%v: %s", err, errs.String())
		}
		n := 0
		for _, f := range rep.Findings {
			if filepath.Base(f.File) == "gotk-components.yaml" {
				n++
			}
		}
		return n
	}
	if n := count("testdata/flux-repo"); n != 0 {
		t.Errorf("%d findings in gotk-components.yaml, want none", n)
	}
	if n := count("--include-generated", "testdata/flux-repo"); n != 1 {
		t.Errorf("with --include-generated: %d findings in gotk-components.yaml, want 1", n)
	}
}
