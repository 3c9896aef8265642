package kustomize

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
)

// TestKustomizeCascade checks that an overlay that fails because of a
// kustomization it includes reports the error where it is, worded the same
// from every overlay, plus one finding at its own entry that points there.
func TestKustomizeCascade(t *testing.T) {
	offline(t)
	t.Setenv("PATH", t.TempDir())
	repo := filepath.Join(t.TempDir(), "repo")
	writeTree(t, repo, map[string]string{
		"base/kustomization.yaml":             "resources:\n  - d.yaml\n  - missing.yaml\n",
		"base/d.yaml":                         deployment,
		"overlays/dev/kustomization.yaml":     "namespace: dev\nresources:\n  - ../../base\n",
		"clusters/eu/prod/kustomization.yaml": "resources:\n  - ns.yaml\n  - ../../../mid\n",
		"clusters/eu/prod/ns.yaml":            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n",
		"mid/kustomization.yaml":              "resources:\n  - ../base\n",
		"remote/kustomization.yaml":           "resources:\n  - ../base-remote\n",
		"base-remote/kustomization.yaml":      "resources:\n  - github.com/org/repo/base?ref=v1\n",
		"own/kustomization.yaml":              "resources:\n  - nothere.yaml\n  - ../base\n",
	})
	k := New(render.Options{WorkDir: repo, RepoRoot: repo})
	tests := []struct {
		leaf string
		want []string // file:line: message fragment
	}{{
		leaf: "overlays/dev",
		want: []string{
			"base/kustomization.yaml:3: kustomize build failed: accumulating resources: accumulation err='accumulating resources from 'missing.yaml'",
			`overlays/dev/kustomization.yaml:3: not built: resources entry "../../base" fails to build (the error is at base/kustomization.yaml:3)`,
		},
	}, {
		leaf: "clusters/eu/prod",
		want: []string{
			"base/kustomization.yaml:3: kustomize build failed: accumulating resources: accumulation err='accumulating resources from 'missing.yaml'",
			`clusters/eu/prod/kustomization.yaml:3: not built: resources entry "../../../mid" includes base/kustomization.yaml, which fails to build (the error is at base/kustomization.yaml:3)`,
		},
	}, {
		leaf: "remote",
		want: []string{
			"base-remote/kustomization.yaml:2: is remote",
			`remote/kustomization.yaml:2: not built: resources entry "../base-remote" fails to build (the error is at base-remote/kustomization.yaml:2)`,
		},
	}}
	var roots []lint.Finding
	for _, tt := range tests {
		t.Run(tt.leaf, func(t *testing.T) {
			r := build(t, k, filepath.Join(repo, tt.leaf))
			if len(r.Docs) > 0 || !r.NotBuilt {
				t.Errorf("%d docs, NotBuilt %v; want none, true", len(r.Docs), r.NotBuilt)
			}
			if len(r.Problems) != len(tt.want) {
				t.Fatalf("problems = %v, want %d", r.Problems, len(tt.want))
			}
			for i, f := range r.Problems {
				got := fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.Message)
				file, frag, _ := strings.Cut(tt.want[i], ": ")
				if f.Rule != lint.RenderErrorID || !strings.HasPrefix(got, file+": ") || !strings.Contains(f.Message, frag) {
					t.Errorf("problem %d = %s %s, want %s at %s", i, f.Rule, got, frag, file)
				}
			}
			root, leaf := r.Problems[0], r.Problems[1]
			want := []lint.Related{{File: root.File, Line: root.Line, Column: root.Column, Message: "the render error (OOM900) that stops this build"}}
			if diff := cmp.Diff(want, leaf.Related); diff != "" {
				t.Errorf("related (-want +got):\n%s", diff)
			}
			if !strings.Contains(leaf.Fix, fmt.Sprintf("%s:%d", root.File, root.Line)) {
				t.Errorf("fix %q does not name %s:%d", leaf.Fix, root.File, root.Line)
			}
			roots = append(roots, root)
		})
	}
	// One error, one wording, whatever the overlay's depth: reported once.
	if len(roots) >= 2 {
		if diff := cmp.Diff(roots[0], roots[1]); diff != "" {
			t.Errorf("the base's error differs between overlays (-dev +prod):\n%s", diff)
		}
	}

	t.Run("own error", func(t *testing.T) {
		r := build(t, k, filepath.Join(repo, "own"))
		if r.NotBuilt || len(r.Problems) != 1 || r.Problems[0].File != "own/kustomization.yaml" {
			t.Errorf("NotBuilt %v, problems %v; want one problem at own/kustomization.yaml", r.NotBuilt, r.Problems)
		}
	})
}
