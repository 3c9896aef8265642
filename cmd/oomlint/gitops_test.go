package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/repo"

	"github.com/oomlint/oomlint/internal/offlinetest"
)

// serveChart serves one chart with a Deployment template whose JVM options
// and memory limit come from values, as a chart repository on loopback.
func serveChart(t *testing.T, versions ...string) string {
	t.Helper()
	if len(versions) == 0 {
		versions = []string{"1.2.0"}
	}
	index := repo.NewIndexFile()
	files := map[string][]byte{}
	for _, v := range versions {
		name, archive := chartArchive(t, v)
		files[name] = archive
		md := &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "jvm-app", Version: v}
		if err := index.MustAdd(md, name, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	indexFile := filepath.Join(t.TempDir(), "index.yaml")
	if err := index.WriteFile(indexFile, 0o644); err != nil {
		t.Fatal(err)
	}
	indexData, err := os.ReadFile(indexFile)
	if err != nil {
		t.Fatal(err)
	}
	files["index.yaml"] = indexData
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, ok := files[filepath.Base(r.URL.Path)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// chartArchive packs one version of the test chart.
func chartArchive(t *testing.T, version string) (string, []byte) {
	t.Helper()
	md := &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "jvm-app", Version: version}
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
	return filepath.Base(path), archive
}

// TestLintPulledChartOffline pulls a HelmRelease's chart once, then lints
// with no network at all: the chart comes from the cache and the heap
// flag written in the HelmRelease's values is reported at that line.
// Without the cache the same run gives one warning naming charts pull.
func TestLintPulledChartOffline(t *testing.T) {
	url := serveChart(t)
	work := t.TempDir()
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
	cache, _ := pullInto(t, work, "k8s/orders.yaml", release)
	offlinetest.Guard(t)
	got := lintAboveInfo(t, cache)
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
	got = lintAboveInfo(t, filepath.Join(work, "empty-cache"))
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

// TestPullRenderedVersion checks that charts pull also fetches the chart
// version an overlay patches into a HelmRelease, which no file names.
func TestPullRenderedVersion(t *testing.T) {
	url := serveChart(t, "1.2.0", "2.0.0")
	work := t.TempDir()
	files := map[string]string{
		"k8s/base/kustomization.yaml": "resources: [release.yaml]\n",
		"k8s/base/release.yaml": `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: charts, namespace: apps}
spec: {url: ` + url + `}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: orders, namespace: apps}
spec:
  chart:
    spec:
      chart: jvm-app
      version: 1.x
      sourceRef: {kind: HelmRepository, name: charts}
`,
		"k8s/staging/kustomization.yaml": `resources: [../base]
patches:
  - target: {kind: HelmRelease, name: orders}
    patch: |
      - op: replace
        path: /spec/chart/spec/version
        value: 2.x
`,
	}
	for name, text := range files {
		p := filepath.Join(work, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(work)
	cache := filepath.Join(work, "cache")
	var out, errs bytes.Buffer
	if code := run(t.Context(), []string{"oomlint", "charts", "pull", "--chart-cache", cache, "k8s"}, &out, &errs, func(string) string { return "" }); code != 0 {
		t.Fatalf("charts pull exit %d: %s%s", code, out.String(), errs.String())
	}
	for _, want := range []string{"pulled jvm-app 1.2.0", "pulled jvm-app 2.0.0"} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("charts pull output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestLintPulledKustomizeChart is TestLintPulledChartOffline for a
// kustomization's helmCharts entry: charts pull fetches the chart it
// names, and lint renders it offline with the entry's valuesInline, then
// applies the kustomization (its namespace) to the chart's objects.
func TestLintPulledKustomizeChart(t *testing.T) {
	url := serveChart(t)
	work := t.TempDir()
	kustomization := `namespace: orders
helmCharts:
  - name: jvm-app
    repo: ` + url + `
    version: 1.2.0
    releaseName: orders
    valuesInline:
      javaOpts: -Xmx1g
      memory: 1Gi
`
	cache, pulled := pullInto(t, work, "k8s/orders/kustomization.yaml", kustomization)
	if !strings.Contains(pulled, "pulled jvm-app 1.2.0") {
		t.Fatalf("charts pull printed %q", pulled)
	}
	offlinetest.Guard(t)
	got := lintAboveInfo(t, cache)
	if len(got) != 1 || got[0]["rule"] != "OOM201" || got[0]["file"] != "k8s/orders/kustomization.yaml" || got[0]["line"] != float64(8) ||
		fmt.Sprint(got[0]["object"]) != "map[apiVersion:apps/v1 kind:Deployment name:orders namespace:orders]" {
		t.Errorf("with the cache: %v, want one OOM201 at k8s/orders/kustomization.yaml:8 on Deployment orders/orders", got)
	}
	got = lintAboveInfo(t, filepath.Join(work, "empty-cache"))
	if len(got) != 1 || got[0]["rule"] != "OOM900" || got[0]["severity"] != "warning" || got[0]["line"] != float64(3) {
		t.Errorf("without the cache: %v, want one OOM900 warning at the helmCharts entry", got)
	}
}

// pullInto writes content to file under work, moves there and runs
// `oomlint charts pull` on k8s into a cache under work: the cache and what
// pull printed.
func pullInto(t *testing.T, work, file, content string) (cache, printed string) {
	t.Helper()
	p := filepath.Join(work, filepath.FromSlash(file))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work)
	cache = filepath.Join(work, "cache")
	var out, errs bytes.Buffer
	if code := run(t.Context(), []string{"oomlint", "charts", "pull", "--chart-cache", cache, "k8s"}, &out, &errs, func(string) string { return "" }); code != 0 {
		t.Fatalf("charts pull exit %d: %s%s", code, out.String(), errs.String())
	}
	return cache, out.String()
}

// lintAboveInfo lints k8s with the chart cache cacheDir and returns the
// findings above info (limit = request is an info finding by design here).
func lintAboveInfo(t *testing.T, cacheDir string) (kept []map[string]any) {
	t.Helper()
	var out, errs bytes.Buffer
	code := run(t.Context(), []string{"oomlint", "--format", "json", "--chart-cache", cacheDir, "k8s"}, &out, &errs, func(string) string { return "" })
	if code > 1 {
		t.Fatalf("lint exit %d: %s", code, errs.String())
	}
	var rep struct{ Findings []map[string]any }
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f["severity"] != "info" {
			kept = append(kept, f)
		}
	}
	return kept
}
