package lint_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/rules"
)

// secretMarker is in every file outside the linted repository; no finding
// may carry it.
const secretMarker = "outside-secret-5d2e"

// confineDeployment fires findings that name its container.
func confineDeployment(name string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
      containers:
        - name: %[1]s
          image: nginx:1.27
          resources:
            limits: {memory: 1Mi}
`, name)
}

// confineRepo makes repo and outside side by side, with the secret outside.
func confineRepo(t *testing.T) (repo, outside string) {
	t.Helper()
	dir := t.TempDir()
	repo, outside = filepath.Join(dir, "repo"), filepath.Join(dir, "outside")
	writeTree(t, outside, map[string]string{
		"secret.yaml":      confineDeployment(secretMarker),
		"apps/secret.yaml": confineDeployment(secretMarker),
	})
	writeTree(t, repo, map[string]string{"ok.yaml": confineDeployment("ok")})
	return repo, outside
}

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlinks: %v", err)
	}
}

func mustFIFO(t *testing.T, p string) {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

// lintWithin runs the linter on paths from repo, failing the test when it
// has not finished in time (a FIFO read blocks forever) or leaks the marker.
func lintWithin(t *testing.T, repo string, paths ...string) *lint.Result {
	t.Helper()
	cfg := lint.Config{Paths: paths, WorkDir: repo, Root: repo, Jobs: 2}
	type result struct {
		res *lint.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := lint.Run(context.Background(), cfg, rules.All)
		done <- result{res, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		checkNoMarker(t, r.res.Findings)
		return r.res
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not finish: something blocked on a read")
	}
	return nil
}

func checkNoMarker(t *testing.T, findings []lint.Finding) {
	t.Helper()
	for _, f := range findings {
		if strings.Contains(fmt.Sprintf("%+v", f), secretMarker) {
			t.Errorf("a finding shows a file from outside the repository: %+v", f)
		}
	}
}

// findingAt is the finding of rule at file, nil when there is none.
func findingAt(findings []lint.Finding, rule, file string) *lint.Finding {
	for i, f := range findings {
		if f.Rule == rule && f.File == file {
			return &findings[i]
		}
	}
	return nil
}

func TestDiscoverSymlinks(t *testing.T) {
	tests := []struct {
		name   string
		build  func(t *testing.T, repo, outside string)
		paths  []string
		skip   string // the file reported as not read
		linted string // a file linted through its link
	}{
		{name: "file link out", build: func(t *testing.T, repo, outside string) {
			t.Helper()
			mustSymlink(t, filepath.Join(outside, "secret.yaml"), filepath.Join(repo, "leak.yaml"))
		}, skip: "leak.yaml"},
		{name: "relative chain out", build: func(t *testing.T, repo, outside string) {
			t.Helper()
			mustSymlink(t, "../outside/secret.yaml", filepath.Join(repo, "hop.yaml"))
			mustSymlink(t, "../hop.yaml", filepath.Join(repo, "sub", "leak.yaml"))
		}, skip: "sub/leak.yaml"},
		{name: "directory link out", build: func(t *testing.T, repo, outside string) {
			t.Helper()
			mustSymlink(t, filepath.Join(outside, "apps"), filepath.Join(repo, "apps"))
			mustSymlink(t, filepath.Join(outside, "apps"), filepath.Join(repo, "more.yaml"))
		}, skip: "more.yaml"},
		{name: "link inside the root", build: func(t *testing.T, repo, _ string) {
			t.Helper()
			writeTree(t, repo, map[string]string{"real/inside.yml": confineDeployment("inside")})
			mustSymlink(t, "real/inside.yml", filepath.Join(repo, "alias.yaml"))
		}, linted: "alias.yaml"},
		{name: "argument through a link out", build: func(t *testing.T, repo, outside string) {
			t.Helper()
			mustSymlink(t, filepath.Join(outside, "apps"), filepath.Join(repo, "apps"))
		}, paths: []string{"apps"}, skip: "apps"},
		{name: "file argument linked out", build: func(t *testing.T, repo, outside string) {
			t.Helper()
			mustSymlink(t, filepath.Join(outside, "secret.yaml"), filepath.Join(repo, "leak.yaml"))
		}, paths: []string{"leak.yaml"}, skip: "leak.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo, outside := confineRepo(t)
			tt.build(t, repo, outside)
			t.Chdir(repo)
			paths := tt.paths
			if paths == nil {
				paths = []string{"."}
			}
			res := lintWithin(t, repo, paths...)
			if tt.skip != "" {
				f := findingAt(res.Findings, lint.ParseErrorID, tt.skip)
				if f == nil || f.Severity != lint.Warning || !strings.Contains(f.Message, "symlink resolves outside the repository root; not read") {
					t.Errorf("want an OOM901 warning that %s was not read, got %+v in %v", tt.skip, f, res.Findings)
				}
			}
			if tt.linted != "" && !hasFile(res.Findings, tt.linted) {
				t.Errorf("%s was not linted through its link: %v", tt.linted, res.Findings)
			}
		})
	}
}

func hasFile(findings []lint.Finding, file string) bool {
	for _, f := range findings {
		if f.File == file && f.Rule != lint.ParseErrorID {
			return true
		}
	}
	return false
}

func TestDiscoverSpecialFiles(t *testing.T) {
	repo, _ := confineRepo(t)
	mustFIFO(t, filepath.Join(repo, "x.yaml"))
	if err := os.MkdirAll(filepath.Join(repo, "k"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustFIFO(t, filepath.Join(repo, "k", "kustomization.yaml"))
	mustSymlink(t, "x.yaml", filepath.Join(repo, "pipe.yaml"))
	t.Chdir(repo)
	res := lintWithin(t, repo, ".")
	for _, file := range []string{"x.yaml", "k/kustomization.yaml", "pipe.yaml"} {
		f := findingAt(res.Findings, lint.ParseErrorID, file)
		if f == nil || !strings.Contains(f.Message, "named pipe (FIFO), not a regular file; not read") {
			t.Errorf("want an OOM901 finding that %s was not read, got %+v", file, f)
		}
	}
	if !hasFile(res.Findings, "ok.yaml") {
		t.Errorf("ok.yaml was not linted: %v", res.Findings)
	}
	// Named on the command line, inside the repository: still not read.
	res = lintWithin(t, repo, "x.yaml")
	if findingAt(res.Findings, lint.ParseErrorID, "x.yaml") == nil {
		t.Errorf("x.yaml as an argument: want an OOM901 finding, got %v", res.Findings)
	}
}

func TestRepoConfigConfined(t *testing.T) {
	repo, outside := confineRepo(t)
	writeTree(t, outside, map[string]string{
		"secret.json":        `{"token": "` + secretMarker + `"}`,
		"policies/leak.rego": "package leak\n",
		"values.yaml":        "x: " + secretMarker + "\n",
		"charts/README":      secretMarker,
	})
	writeTree(t, repo, map[string]string{
		"policies/own.rego":     "package own\n",
		"data/own.json":         "{}\n",
		"charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
		"values/ci.yaml":        "x: 1\n",
	})
	mustSymlink(t, filepath.Join(outside, "secret.json"), filepath.Join(repo, "data", "link.json"))
	mustSymlink(t, outside, filepath.Join(repo, "out"))
	writeTree(t, repo, map[string]string{".oomlint.yaml": fmt.Sprintf(`policies:
  - policies
  - %[1]s/policies
policyData:
  - data/own.json
  - data/link.json
  - %[1]s/secret.json
  - ../outside/secret.json
charts:
  search: [charts, out/charts]
  cache: %[1]s
  values:
    charts/app:
      - values/ci.yaml
      - out/values.yaml
`, outside)})
	t.Chdir(repo)
	fc, err := lint.LoadRepoConfigFile(".oomlint.yaml", repo)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(fc.Policies, fc.PolicyData, fc.Charts.Search, fc.Charts.Cache, fc.Charts.Values)
	if want := "[policies] [data/own.json] [charts]map[charts/app:[values/ci.yaml]]"; got != want {
		t.Errorf("kept %s, want %s", got, want)
	}
	var lines []string
	for _, f := range fc.Problems(repo) {
		if f.Rule != lint.SuppressionInvalidID || f.File != ".oomlint.yaml" || f.Severity != lint.Warning ||
			!strings.Contains(f.Message, "leads outside the repository") {
			t.Errorf("unexpected problem %+v", f)
		}
		lines = append(lines, fmt.Sprintf("%d:%d", f.Line, f.Column))
	}
	if got, want := strings.Join(lines, " "), "3:5 6:5 7:5 8:5 10:20 11:10 15:9"; got != want {
		t.Errorf("problems at %s, want %s", got, want)
	}
	checkNoMarker(t, fc.Problems(repo))

	// The user's own config, named on the command line, is not confined.
	fc, err = lint.LoadConfigFile(".oomlint.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.PolicyData) != 4 || len(fc.Problems(repo)) != 0 {
		t.Errorf("a trusted config lost entries: %v, %v", fc.PolicyData, fc.Problems(repo))
	}
}

func TestRepoConfigNotRead(t *testing.T) {
	for name, build := range map[string]func(t *testing.T, repo, outside string){
		"fifo": func(t *testing.T, repo, _ string) {
			t.Helper()
			mustFIFO(t, filepath.Join(repo, ".oomlint.yaml"))
		},
		"link out": func(t *testing.T, repo, outside string) {
			t.Helper()
			writeTree(t, outside, map[string]string{"cfg.yaml": "namespace: " + secretMarker + "\nbogus: " + secretMarker + "\n"})
			mustSymlink(t, filepath.Join(outside, "cfg.yaml"), filepath.Join(repo, ".oomlint.yaml"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			repo, outside := confineRepo(t)
			build(t, repo, outside)
			t.Chdir(repo)
			done := make(chan struct{})
			var fc *lint.FileConfig
			var err error
			go func() {
				fc, err = lint.LoadRepoConfigFile(lint.FindConfigFile("."), repo)
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("reading the config blocked")
			}
			if err != nil {
				t.Fatal(err)
			}
			var cfg lint.Config
			fc.Apply(&cfg)
			if len(cfg.Extra) != 1 || cfg.Extra[0].Rule != lint.ParseErrorID || !strings.Contains(cfg.Extra[0].Message, "not read") ||
				cfg.Namespace != "" {
				t.Errorf("want one OOM901 finding and default settings, got %+v, namespace %q", cfg.Extra, cfg.Namespace)
			}
			checkNoMarker(t, cfg.Extra)
		})
	}
}
