package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestBaselineSilencesEverything writes a baseline on every fixture and
// example, then lints it again with that baseline: whatever a repository
// holds (parse errors, render errors, bases shared by overlays, chart
// variants), the second run reports nothing.
func TestBaselineSilencesEverything(t *testing.T) {
	root := repoRoot(t)
	entries, err := os.ReadDir(filepath.Join(root, "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{filepath.Join(root, "examples")}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".want") {
			paths = append(paths, filepath.Join(root, "testdata", e.Name()))
		}
	}
	total := 0
	for _, p := range paths {
		rel, err := filepath.Rel(root, p)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			baseline := filepath.Join(t.TempDir(), "baseline.json")
			r := oomlint(t, nil, "--write-baseline", baseline, "--format", "json", p)
			checkStreams(t, r)
			if r.code != exitOK {
				t.Fatalf("--write-baseline: exit %d, stderr %q", r.code, r.stderr)
			}
			written := findingsOf(t, r.stdout)
			total += len(written)
			r = oomlint(t, nil, "--baseline", baseline, "--format", "json", p)
			checkStreams(t, r)
			if left := findingsOf(t, r.stdout); r.code != exitOK || len(left) > 0 {
				t.Errorf("--baseline: exit %d, %d of %d findings left:\n%s", r.code, len(left), len(written), strings.Join(left, "\n"))
			}
		})
	}
	if total == 0 {
		t.Error("no fixture had a finding to baseline")
	}
}

// TestBaselineOverlaysChange: a mistake in a base that several overlays
// build is one finding, and adding an overlay (which sorts first, so the
// finding now names its object) or removing one keeps it baselined.
func TestBaselineOverlaysChange(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	overlay := func(name string) {
		write("overlays/"+name+"/kustomization.yaml", "namespace: "+name+"\nnamePrefix: "+name+"-\nresources:\n  - ../../base\n")
	}
	write("base/kustomization.yaml", "resources:\n  - deployment.yaml\n")
	write("base/deployment.yaml", `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: example/api:1
          resources:
            requests:
              memory: 256Mi
`)
	overlay("dev")
	overlay("prod")
	t.Chdir(dir)

	r := oomlint(t, nil, "--write-baseline", "baseline.json", "--format", "json", ".")
	checkStreams(t, r)
	got := findingsOf(t, r.stdout)
	if r.code != exitOK || len(got) != 1 || !strings.Contains(got[0], "(in 2 overlays: overlays/dev, overlays/prod)") {
		t.Fatalf("--write-baseline: exit %d, want one OOM101 naming both overlays:\n%s", r.code, strings.Join(got, "\n"))
	}
	overlay("a-first")
	r = oomlint(t, nil, "--baseline", "baseline.json", ".")
	if r.code != exitOK || !strings.Contains(r.stdout, "(1 baselined not shown)") {
		t.Errorf("overlay added: exit %d, stdout:\n%s", r.code, r.stdout)
	}
	for _, name := range []string{"a-first", "dev"} {
		if err := os.RemoveAll(filepath.Join(dir, "overlays", name)); err != nil {
			t.Fatal(err)
		}
	}
	r = oomlint(t, nil, "--baseline", "baseline.json", ".")
	if r.code != exitOK || !strings.Contains(r.stdout, "(1 baselined not shown)") {
		t.Errorf("one overlay left: exit %d, stdout:\n%s", r.code, r.stdout)
	}
}

// findingsOf lists the findings of a JSON report as file:line: rule message.
func findingsOf(t *testing.T, stdout string) []string {
	t.Helper()
	var doc struct {
		Findings []struct {
			Rule, File, Message string
			Line                int
		}
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("not a JSON report (%v):\n%s", err, stdout)
	}
	out := make([]string, 0, len(doc.Findings))
	for _, f := range doc.Findings {
		out = append(out, f.File+":"+strconv.Itoa(f.Line)+": "+f.Rule+" "+f.Message)
	}
	return out
}
