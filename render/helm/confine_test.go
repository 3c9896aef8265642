package helm

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
)

// helmSecret is in every file outside the repository; nothing rendered or
// reported may carry it.
const helmSecret = "outside-secret-91ab"

var secretManifest = fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  k: %s\n", helmSecret, helmSecret)

// confinedChart is a repository with a chart, and a directory beside it
// holding the secret.
func confinedChart(t *testing.T, extra map[string]string) (repo, outside string) {
	t.Helper()
	root := t.TempDir()
	repo, outside = filepath.Join(root, "repo"), filepath.Join(root, "outside")
	writeChart(t, outside, map[string]string{
		"x.yaml":                  secretManifest,
		"file.txt":                helmSecret,
		"values.yaml":             "name: " + helmSecret + "\n",
		"dep/Chart.yaml":          "apiVersion: v2\nname: dep\nversion: 1.0.0\n",
		"dep/templates/leak.yaml": secretManifest,
	})
	files := map[string]string{
		"chart/Chart.yaml":         "apiVersion: v2\nname: web\nversion: 1.0.0\n",
		"chart/values.yaml":        "name: web\n",
		"chart/templates/cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n",
		"shared/ok.yaml":           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n",
		"chart/files/inside.txt":   "inside\n",
		"chart/templates/get.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: files\ndata:\n  x: {{ .Files.Get \"files/inside.txt\" | quote }}\n",
	}
	maps.Copy(files, extra)
	writeChart(t, repo, files)
	return repo, outside
}

func link(t *testing.T, target, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, name); err != nil {
		t.Skipf("symlinks: %v", err)
	}
}

func mkfifo(t *testing.T, name string) {
	t.Helper()
	if err := syscall.Mkfifo(name, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

// renderConfined renders the chart at repo/chart (or its variant), failing
// on a render that blocks or shows the secret.
func renderConfined(t *testing.T, repo, variant string, mutate func(*render.Options)) *lint.Rendered {
	t.Helper()
	opt := helmOptions(t)
	opt.WorkDir, opt.RepoRoot = repo, repo
	if mutate != nil {
		mutate(&opt)
	}
	done := make(chan *lint.Rendered, 1)
	go func() { done <- renderChart(t, opt, filepath.Join(repo, "chart"), variant) }()
	select {
	case r := <-done:
		if s := fmt.Sprintf("%+v", r); strings.Contains(s, helmSecret) {
			t.Errorf("the render shows a file from outside the repository: %s", s)
		}
		for _, d := range r.Docs {
			if strings.Contains(string(d.Data), helmSecret) {
				t.Errorf("rendered a file from outside the repository: %s", d.Data)
			}
		}
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("the render blocked")
	}
	return nil
}

func TestHelmConfined(t *testing.T) {
	tests := []struct {
		name    string
		extra   map[string]string
		build   func(t *testing.T, repo, outside string)
		variant string
		opt     func(*render.Options)
		// want is the file:message the single problem must hold; "" wants
		// a clean render.
		want string
	}{
		{name: "link out through a symlinked directory", build: func(t *testing.T, repo, outside string) {
			t.Helper()
			link(t, "../../shared", filepath.Join(repo, "chart", "templates", "sub"))
			link(t, filepath.Join(outside, "x.yaml"), filepath.Join(repo, "shared", "leak.yaml"))
		}, want: "chart/templates/sub/leak.yaml:this symlink leads outside the repository"},
		{name: "symlinked directory inside the repository", build: func(t *testing.T, repo, _ string) {
			t.Helper()
			link(t, "../../shared", filepath.Join(repo, "chart", "templates", "sub"))
		}},
		{name: ".Files.Get through a link out", extra: map[string]string{
			"chart/templates/leak.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n  x: {{ .Files.Get \"files/leak.txt\" | quote }}\n",
		}, build: func(t *testing.T, repo, outside string) {
			t.Helper()
			link(t, filepath.Join(outside, "file.txt"), filepath.Join(repo, "chart", "files", "leak.txt"))
		}, want: "chart/files/leak.txt:this symlink leads outside the repository"},
		{name: "symlink loop", build: func(t *testing.T, repo, _ string) {
			t.Helper()
			link(t, "..", filepath.Join(repo, "chart", "templates", "loop"))
		}, want: "chart/Chart.yaml:a symlink loop"},
		{name: "file:// dependency outside", build: func(t *testing.T, repo, outside string) {
			t.Helper()
			writeChart(t, repo, map[string]string{"chart/Chart.yaml": fmt.Sprintf(
				"apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n  - name: dep\n    version: 1.0.0\n    repository: file://%s\n", filepath.Join(outside, "dep"))})
		}, want: "chart/Chart.yaml:no chart named dep at that path inside the repository"},
		{name: "file:// dependency through a link out", build: func(t *testing.T, repo, outside string) {
			t.Helper()
			link(t, filepath.Join(outside, "dep"), filepath.Join(repo, "deps", "dep"))
			writeChart(t, repo, map[string]string{"chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n  - name: dep\n    version: 1.0.0\n    repository: file://../deps/dep\n"})
		}, want: "chart/Chart.yaml:no chart named dep at that path inside the repository"},
		{name: "search directory link out", build: func(t *testing.T, repo, outside string) {
			t.Helper()
			link(t, filepath.Join(outside, "dep"), filepath.Join(repo, "search", "dep"))
			writeChart(t, repo, map[string]string{"chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n  - name: dep\n    version: 1.0.0\n    repository: https://charts.example.com\n"})
		}, opt: func(o *render.Options) { o.ChartSearch = []string{filepath.Join(o.RepoRoot, "search")} },
			want: "chart/Chart.yaml:dependency dep 1.0.0 from https://charts.example.com is enabled but not in charts/"},
		{name: "FIFO template", build: func(t *testing.T, repo, _ string) {
			t.Helper()
			mkfifo(t, filepath.Join(repo, "chart", "templates", "x.yaml"))
		}, want: "chart/templates/x.yaml:a named pipe (FIFO), not a regular file; not read"},
		{name: "FIFO .helmignore", build: func(t *testing.T, repo, _ string) {
			t.Helper()
			mkfifo(t, filepath.Join(repo, "chart", ".helmignore"))
		}, want: "chart/.helmignore:cannot load .helmignore: a named pipe (FIFO)"},
		{name: "FIFO ignored by .helmignore", extra: map[string]string{"chart/.helmignore": "x.yaml\n"}, build: func(t *testing.T, repo, _ string) {
			t.Helper()
			mkfifo(t, filepath.Join(repo, "chart", "templates", "x.yaml"))
		}},
		{name: "FIFO values variant", build: func(t *testing.T, repo, _ string) {
			t.Helper()
			mkfifo(t, filepath.Join(repo, "chart", "values-prod.yaml"))
		}, variant: "values-prod.yaml", want: "chart/values-prod.yaml:a named pipe (FIFO), not a regular file; not read"},
		{name: "values file linked out", build: func(t *testing.T, repo, outside string) {
			t.Helper()
			link(t, filepath.Join(outside, "values.yaml"), filepath.Join(repo, "ci", "values.yaml"))
		}, opt: func(o *render.Options) { o.Values = []string{filepath.Join(o.RepoRoot, "ci", "values.yaml")} },
			want: "ci/values.yaml:symlink resolves outside the repository root; not read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo, outside := confinedChart(t, tt.extra)
			if tt.build != nil {
				tt.build(t, repo, outside)
			}
			r := renderConfined(t, repo, tt.variant, tt.opt)
			var got []string
			for _, p := range r.Problems {
				got = append(got, p.File+":"+p.Message)
			}
			if tt.want == "" {
				if len(got) > 0 || len(r.Docs) == 0 {
					t.Errorf("want a clean render, got %d docs and %q", len(r.Docs), got)
				}
				return
			}
			file, msg, _ := strings.Cut(tt.want, ":")
			if len(r.Problems) != 1 || r.Problems[0].File != file || !strings.Contains(r.Problems[0].Message, msg) {
				t.Errorf("problems %q, want one at %s saying %q", got, file, msg)
			}
		})
	}
}
