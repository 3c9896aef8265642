package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRunRoot checks which repository a run reads and renders, confined
// to it: the working directory's, unless every PATH lies outside it.
func TestRunRoot(t *testing.T) {
	root := t.TempDir()
	here, other, plain := filepath.Join(root, "here"), filepath.Join(root, "other"), filepath.Join(root, "plain")
	confineTree(t, here, map[string]string{".git/HEAD": "ref: refs/heads/main\n", "k8s/a.yaml": "a: 1\n"})
	confineTree(t, other, map[string]string{".git/HEAD": "ref: refs/heads/main\n", "apps/b.yaml": "b: 1\n"})
	confineTree(t, plain, map[string]string{"c.yaml": "c: 1\n"})
	tests := []struct {
		name  string
		paths []string
		want  string
	}{
		{"no paths", nil, here},
		{"a path in this repository", []string{"k8s"}, here},
		{"standard input", []string{"-"}, here},
		{"another repository", []string{filepath.Join(other, "apps")}, other},
		{"a file of another repository", []string{filepath.Join(other, "apps", "b.yaml")}, other},
		{"a directory in no repository", []string{plain}, plain},
		{"this repository and another", []string{filepath.Join(other, "apps"), "k8s"}, here},
	}
	t.Chdir(here)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runRoot(here, tt.paths); realPath(got) != realPath(tt.want) {
				t.Errorf("runRoot(%q) = %s, want %s", tt.paths, got, tt.want)
			}
		})
	}
}

// TestLintAnotherRepository runs oomlint from one repository on a
// kustomization in another: it is built (its namespace applies), not read
// as plain files.
func TestLintAnotherRepository(t *testing.T) {
	root := t.TempDir()
	here, other := filepath.Join(root, "here"), filepath.Join(root, "other")
	confineTree(t, here, map[string]string{".git/HEAD": "ref: refs/heads/main\n"})
	confineTree(t, other, map[string]string{
		".git/HEAD":              "ref: refs/heads/main\n",
		"app/kustomization.yaml": "namespace: shop\nresources:\n  - deploy.yaml\n",
		"app/deploy.yaml":        strings.Replace(confineDeploy, "%s", "128m", 1),
	})
	t.Chdir(here)
	r := oomlint(t, nil, filepath.Join(other, "app"))
	if r.code != 1 || !strings.Contains(r.stdout, "OOM107") || !strings.Contains(r.stdout, "Deployment shop/api") {
		t.Errorf("exit %d, stdout:\n%s\nwant OOM107 on Deployment shop/api (the kustomization built)", r.code, r.stdout)
	}
}
