package kustomize_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/kustomize"
	"github.com/oomlint/oomlint/report"
	"github.com/oomlint/oomlint/rules"
)

// TestNotBuiltSummary checks that overlays not built because of their base
// are counted once each, and the count reaches the text and JSON reports.
func TestNotBuiltSummary(t *testing.T) {
	repo := t.TempDir()
	for name, text := range map[string]string{
		"base/kustomization.yaml":          "resources:\n  - missing.yaml\n",
		"overlays/dev/kustomization.yaml":  "resources:\n  - ../../base\n",
		"overlays/prod/kustomization.yaml": "resources:\n  - ../../base\n",
	} {
		p := filepath.Join(repo, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := lint.Config{Paths: []string{repo}, WorkDir: repo,
		Renderers: []lint.Renderer{kustomize.New(render.Options{WorkDir: repo, RepoRoot: repo})}}
	res, err := lint.Run(t.Context(), cfg, rules.All)
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.NotBuilt != 2 || res.Summary.Error != 3 {
		t.Errorf("summary %+v, want 2 not built and 3 errors (the base once, each overlay once)", res.Summary)
	}
	var text, js bytes.Buffer
	if err := report.Text(&text, res, report.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := report.JSON(&js, res, report.Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), " (2 kustomizations not built)\n") {
		t.Errorf("text summary lacks the count:\n%s", text.String())
	}
	if !strings.Contains(js.String(), `"notBuilt": 2`) {
		t.Errorf("JSON summary lacks the count:\n%s", js.String())
	}
}
