package kustomize

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
)

// kSecret is in every file outside the repository, names included; no
// finding, trace or rendered object may carry it.
const kSecret = "outside-secret-4be0"

func kWrite(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func kLink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, name); err != nil {
		t.Skipf("symlinks: %v", err)
	}
}

const kDeploy = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n"

func TestKustomizeConfined(t *testing.T) {
	tests := []struct {
		name  string
		build func(t *testing.T, repo, outside string)
		want  string // in the one problem, at overlay/kustomization.yaml
	}{
		{name: "base outside, by a relative path", build: func(t *testing.T, repo, _ string) {
			t.Helper()
			kWrite(t, repo, map[string]string{"overlay/kustomization.yaml": "resources:\n  - ../../outside/base\n"})
		}, want: `resources entry "../../outside/base" is outside the repository`},
		{name: "base through a symlinked directory", build: func(t *testing.T, repo, outside string) {
			t.Helper()
			kLink(t, filepath.Join(outside, "base"), filepath.Join(repo, "base"))
			kWrite(t, repo, map[string]string{"overlay/kustomization.yaml": "resources:\n  - ../base\n"})
		}, want: `resources entry "../base" is outside the repository`},
		{name: "kustomization file linked out", build: func(t *testing.T, repo, outside string) {
			t.Helper()
			kWrite(t, repo, map[string]string{"base/cm.yaml": kDeploy})
			kLink(t, filepath.Join(outside, "base", "kustomization.yaml"), filepath.Join(repo, "base", "kustomization.yaml"))
			kWrite(t, repo, map[string]string{"overlay/kustomization.yaml": "resources:\n  - ../base\n"})
		}, want: "outside the repository"},
		{name: "resource linked out", build: func(t *testing.T, repo, outside string) {
			t.Helper()
			kLink(t, filepath.Join(outside, "base", kSecret+".yaml"), filepath.Join(repo, "overlay", "leak.yaml"))
			kWrite(t, repo, map[string]string{"overlay/kustomization.yaml": "resources:\n  - leak.yaml\n"})
		}, want: `resources entry "leak.yaml" is outside the repository`},
		{name: "FIFO resource", build: func(t *testing.T, repo, _ string) {
			t.Helper()
			kWrite(t, repo, map[string]string{"overlay/kustomization.yaml": "resources:\n  - cm.yaml\n  - x.yaml\n", "overlay/cm.yaml": kDeploy})
			if err := syscall.Mkfifo(filepath.Join(repo, "overlay", "x.yaml"), 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
		}, want: "not a regular file: refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offline(t)
			root := t.TempDir()
			repo, outside := filepath.Join(root, "repo"), filepath.Join(root, "outside")
			kWrite(t, outside, map[string]string{
				"base/kustomization.yaml":   "resources:\n  - " + kSecret + ".yaml\n  - ../" + kSecret + "-too.yaml\n",
				"base/" + kSecret + ".yaml": fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n", kSecret),
			})
			tt.build(t, repo, outside)
			k := New(render.Options{WorkDir: repo, RepoRoot: repo})
			dir := filepath.Join(repo, "overlay")
			units, consumed := k.Plan([]string{dir})
			for _, c := range consumed {
				if strings.Contains(c, kSecret) {
					t.Errorf("the plan reads %s", c)
				}
			}
			done := make(chan *lint.Rendered, 1)
			go func() { done <- build(t, k, dir) }()
			var r *lint.Rendered
			select {
			case r = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the build blocked")
			}
			if len(units) != 1 {
				t.Fatalf("planned %d units, want the overlay", len(units))
			}
			if s := fmt.Sprintf("%+v", r); strings.Contains(s, kSecret) {
				t.Errorf("the build shows what is outside the repository: %s", s)
			}
			if len(r.Docs) != 0 || len(r.Problems) == 0 || !strings.Contains(r.Problems[0].Message, tt.want) ||
				r.Problems[0].File != "overlay/kustomization.yaml" {
				t.Errorf("got %d docs and problems %+v, want one at overlay/kustomization.yaml saying %q", len(r.Docs), r.Problems, tt.want)
			}
		})
	}
}
