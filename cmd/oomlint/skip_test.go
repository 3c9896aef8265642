package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSkipsByDefault: test fixtures and broken YAML nobody deploys make no
// findings, and naming a fixture directory lints it.
func TestSkipsByDefault(t *testing.T) {
	dir := t.TempDir()
	broken := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels: [a\n"
	for name, data := range map[string]string{
		"app.yaml":                      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
		"testdata/broken.yaml":          broken,
		"app/testdata/broken.yaml":      broken,
		"docs/example.yaml":             broken,
		"deploy/app.template.yaml":      broken,
		".gitlab-ci.yml":                "stages: [build\n",
		"config/settings.yaml":          "a: 1\n b: 2\n",
		"config/settings.template.json": "{\"a\": ${A}}\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	r := oomlint(t, nil, ".")
	checkStreams(t, r)
	if r.code != exitOK || !strings.Contains(r.stdout, "(5 documents skipped: not Kubernetes objects)") {
		t.Errorf("oomlint .: exit %d, stdout:\n%s", r.code, r.stdout)
	}
	for _, arg := range []string{"testdata", "app/testdata", "app/testdata/broken.yaml"} {
		r = oomlint(t, nil, arg)
		if r.code != exitFindings || !strings.Contains(r.stdout, "OOM901") {
			t.Errorf("oomlint %s: exit %d, stdout:\n%s", arg, r.code, r.stdout)
		}
	}
}
