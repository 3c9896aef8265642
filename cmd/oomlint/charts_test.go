package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/repo"
)

func TestNormalizeArgsSubcommands(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"charts", "pull", "--chart-cache", "c", "k8s"}, []string{"charts", "pull", "--chart-cache", "c", "--", "k8s"}},
		{[]string{"charts", "pull", "k8s", "apps", "--plain-http", "--chart-cache=c"}, []string{"charts", "pull", "--plain-http", "--chart-cache=c", "--", "k8s", "apps"}},
		{[]string{"charts", "pull"}, []string{"charts", "pull"}},
		{[]string{"charts", "list", "--chart-cache", "c"}, []string{"charts", "list", "--chart-cache", "c"}},
		{[]string{"policy", "test", "--data", "d", "policies"}, []string{"policy", "test", "--data", "d", "--", "policies"}},
		{[]string{"charts", "pull", "--", "pull"}, []string{"charts", "pull", "--", "pull"}},
	}
	for _, tt := range tests {
		app := newApp(nil, nil, func(string) string { return "" })
		app.Setup()
		got, err := normalizeArgs(app, append([]string{"oomlint"}, tt.args...))
		if err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		if diff := cmp.Diff(append([]string{"oomlint"}, tt.want...), got); diff != "" {
			t.Errorf("normalizeArgs(%q) (-want +got):\n%s", tt.args, diff)
		}
	}
}

// chartRepository serves podinfo 6.4.0, 6.5.0 and 7.0.0 and redis 18.1.0
// under basic auth, and returns its URL.
func chartRepository(t *testing.T, user, password string) string {
	t.Helper()
	files := map[string][]byte{}
	index := repo.NewIndexFile()
	for _, c := range []struct{ name, version string }{{"podinfo", "6.4.0"}, {"podinfo", "6.5.0"}, {"podinfo", "7.0.0"}, {"redis", "18.1.0"}} {
		md := &chart.Metadata{APIVersion: chart.APIVersionV2, Name: c.name, Version: c.version}
		path, err := chartutil.Save(&chart.Chart{Metadata: md}, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(path)] = data
		if err := index.MustAdd(md, filepath.Base(path), "", ""); err != nil {
			t.Fatal(err)
		}
	}
	index.SortEntries()
	indexFile := filepath.Join(t.TempDir(), "index.yaml")
	if err := index.WriteFile(indexFile, 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(indexFile)
	if err != nil {
		t.Fatal(err)
	}
	files["index.yaml"] = data
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != user || p != password {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
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

func TestChartsPull(t *testing.T) {
	url := chartRepository(t, "ci", "s3cret")
	work := t.TempDir()
	repositories := repo.NewFile()
	repositories.Add(&repo.Entry{Name: "test", URL: url, Username: "ci", Password: "s3cret"})
	creds := filepath.Join(work, "repositories.yaml")
	if err := repositories.WriteFile(creds, 0o600); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(work, "cache")
	k8s := filepath.Join(work, "k8s")
	write := func(name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(k8s, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(k8s, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("argo/podinfo.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: podinfo
spec:
  source:
    repoURL: `+url+`
    chart: podinfo
    targetRevision: 6.x
`)
	write("flux/redis.yaml", `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: test
spec:
  url: `+url+`/
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: redis
spec:
  chart:
    spec:
      chart: redis
      sourceRef:
        kind: HelmRepository
        name: test
`)
	t.Chdir(work)
	digest := regexp.MustCompile(`\(sha256:[0-9a-f]{12}…\)`)

	r := oomlint(t, nil, "charts", "pull", "--chart-cache", cache, "--repository-config", creds, "k8s")
	checkStreams(t, r)
	want := "pulled podinfo 6.5.0 from " + url + " (sha256:…)\npulled redis 18.1.0 from " + url + " (sha256:…)\n"
	if got := digest.ReplaceAllString(r.stdout, "(sha256:…)"); r.code != exitOK || got != want {
		t.Fatalf("charts pull: exit %d, stdout:\n%s\nwant:\n%s\nstderr: %s", r.code, r.stdout, want, r.stderr)
	}

	// Warm: flags after the path, and nothing fetched (the server would
	// refuse the missing credentials).
	r = oomlint(t, nil, "charts", "pull", "k8s", "--chart-cache", cache)
	checkStreams(t, r)
	if want := "cached podinfo 6.5.0\ncached redis 18.1.0\n"; r.code != exitOK || r.stdout != want {
		t.Errorf("charts pull again: exit %d, stdout %q, want %q; stderr: %s", r.code, r.stdout, want, r.stderr)
	}

	r = oomlint(t, nil, "charts", "list", "--chart-cache", cache)
	checkStreams(t, r)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !regexp.MustCompile(`^podinfo +6\.5\.0 +`+regexp.QuoteMeta(url)+` +sha256:[0-9a-f]{64}$`).MatchString(lines[1]) {
		t.Errorf("charts list:\n%s", r.stdout)
	}

	// A chart the repository does not have fails at its reference: exit 2.
	write("argo/missing.yaml", `apiVersion: argoproj.io/v1alpha1
kind: Application
spec:
  source: {repoURL: `+url+`, chart: nginx, targetRevision: 1.0.0}
`)
	r = oomlint(t, nil, "charts", "pull", "--chart-cache", cache, "--repository-config", creds, "k8s")
	wantErr := "k8s/argo/missing.yaml:4: pull nginx 1.0.0 from " + url + ": no chart nginx in " + url + "/index.yaml\n" +
		"oomlint: charts pull: 1 of 3 charts could not be pulled\n"
	if r.code != exitUsage || r.stderr != wantErr || r.stdout != "cached podinfo 6.5.0\ncached redis 18.1.0\n" {
		t.Errorf("charts pull with a missing chart: exit %d\nstdout:\n%s\nstderr:\n%s\nwant stderr:\n%s", r.code, r.stdout, r.stderr, wantErr)
	}
}

func TestChartsUsage(t *testing.T) {
	work := t.TempDir()
	t.Chdir(work)
	tests := []struct {
		args      []string
		wantCode  int
		wantOut   string
		wantInErr string
	}{
		{[]string{"charts", "pull", "--chart-cache", "c", "--repository-config", "none.yaml"}, exitUsage, "", "--repository-config: stat none.yaml"},
		{[]string{"charts", "pull", "--chart-cache", "c", "missing"}, exitUsage, "", "charts pull: lstat missing"},
		{[]string{"charts", "pull", "--chart-cache", "c", "--bogus"}, exitUsage, "", "unknown flag: --bogus"},
		{[]string{"charts", "pull", "--chart-cache", "c"}, exitOK, "no chart from a chart repository or OCI registry is referenced under .\n", ""},
		{[]string{"charts", "list", "--chart-cache", "c"}, exitOK, "no charts in c\n", ""},
		{[]string{"charts", "list", "--chart-cache", "c", "extra"}, exitUsage, "", `charts list takes no arguments, got "extra"`},
	}
	for _, tt := range tests {
		r := oomlint(t, nil, tt.args...)
		checkStreams(t, r)
		if r.code != tt.wantCode || r.stdout != tt.wantOut || !strings.Contains(r.stderr, tt.wantInErr) {
			t.Errorf("oomlint %s: exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr with %q",
				strings.Join(tt.args, " "), r.code, r.stdout, r.stderr, tt.wantCode, tt.wantOut, tt.wantInErr)
		}
	}
}
