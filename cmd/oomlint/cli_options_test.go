package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oomlint/oomlint/rules"
)

// badManifest has OOM107 (512m) on line 15.
const badManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: example/api:1.0
          resources:
            requests:
              memory: 256Mi
            limits:
              memory: 512m
`

// jsonReport is the part of the JSON report these tests read.
type jsonReport struct {
	Findings []struct {
		Rule string
		File string
		Line int
	}
	Summary struct{ Files int }
}

func readReport(t *testing.T, r result) jsonReport {
	t.Helper()
	var doc jsonReport
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("not a JSON report (%v); exit %d, stderr %s:\n%s", err, r.code, r.stderr, r.stdout)
	}
	return doc
}

func TestOnlyFilesKeepsPaths(t *testing.T) {
	contractFixture(t)
	writeTestFile(t, filepath.Join("sub", "bad.yaml"), badManifest)

	// The directory after the file is a path to lint, not an only-file and
	// not ".": one file linted, and its finding kept.
	r := oomlint(t, nil, "--format", "json", "--fail-on", "none", "--only-files", "sub/bad.yaml", "sub")
	doc := readReport(t, r)
	if r.code != exitOK || doc.Summary.Files != 1 || len(doc.Findings) != 1 || doc.Findings[0].File != "sub/bad.yaml" {
		t.Errorf("--only-files FILE DIR: exit %d, %+v", r.code, doc)
	}
	// Findings elsewhere are dropped.
	r = oomlint(t, nil, "--format", "json", "--fail-on", "none", "--only-files", "app.yaml", "sub")
	if doc := readReport(t, r); len(doc.Findings) != 0 {
		t.Errorf("--only-files app.yaml sub: findings %+v, want none", doc.Findings)
	}
	for _, args := range [][]string{
		{"--only-files", "missing.yaml", "sub"},
		{"--only-files=missing.yaml", "sub"},
		{"sub", "--only-files", "app.yaml", "missing.yaml"},
	} {
		r := oomlint(t, nil, args...)
		checkStreams(t, r)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--only-files missing.yaml: no such file") {
			t.Errorf("%q: exit %d, stderr %s; want 2 for a missing only-file", args, r.code, r.stderr)
		}
	}
}

func TestStdin(t *testing.T) {
	contractFixture(t)
	old := stdin
	t.Cleanup(func() { stdin = old })

	stdin = strings.NewReader(badManifest)
	r := oomlint(t, nil, "--format", "json", "-")
	doc := readReport(t, r)
	if r.code != exitFindings || len(doc.Findings) != 1 || doc.Findings[0].File != "<stdin>" || doc.Findings[0].Line != 15 {
		t.Errorf("- : exit %d, %+v; want OOM107 at <stdin>:15", r.code, doc)
	}
	stdin = strings.NewReader(badManifest)
	r = oomlint(t, nil, "-", "--no-color")
	if !strings.HasPrefix(r.stdout, "<stdin>:15:") {
		t.Errorf("text report does not name <stdin>:15:\n%s", r.stdout)
	}
	// With another path: both are linted.
	stdin = strings.NewReader(badManifest)
	doc = readReport(t, oomlint(t, nil, "--format", "json", "app.yaml", "-"))
	if doc.Summary.Files != 2 {
		t.Errorf("app.yaml -: %d files, want 2", doc.Summary.Files)
	}
	stdin = strings.NewReader(badManifest)
	if r := oomlint(t, nil, "render", "-"); !strings.Contains(r.stdout, "<stdin>") {
		t.Errorf("render - does not name <stdin>:\n%s", r.stdout)
	}
	if r := oomlint(t, nil, "-", "-"); r.code != exitUsage {
		t.Errorf("- twice: exit %d, want 2", r.code)
	}
}

func TestBaselineFileNotLinted(t *testing.T) {
	contractFixture(t) // writes baseline.json beside app.yaml
	// The second run finds report.json from the first.
	for range 2 {
		r := oomlint(t, nil, "--format", "json", "--baseline", "baseline.json", "--output", "json=report.json", "--output", "json=-", ".")
		doc := readReport(t, r)
		// app.yaml, values.yaml, config.yaml, data/limits.yaml, helm/*: not baseline.json or report.json.
		if doc.Summary.Files != 6 {
			t.Errorf("%d files linted, want 6", doc.Summary.Files)
		}
		for _, f := range doc.Findings {
			if f.File == "baseline.json" || f.File == "report.json" {
				t.Errorf("finding in %s: %+v", f.File, f)
			}
		}
	}
	// Named as a path, it is linted.
	if doc := readReport(t, oomlint(t, nil, "--format", "json", "--baseline", "baseline.json", "baseline.json")); doc.Summary.Files != 1 {
		t.Errorf("baseline.json as a path: %d files, want 1", doc.Summary.Files)
	}
}

func TestJobs(t *testing.T) {
	contractFixture(t)
	for _, j := range []string{"-1", "-8"} {
		r := oomlint(t, nil, "-j", j, "app.yaml")
		checkStreams(t, r)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--jobs") {
			t.Errorf("-j %s: exit %d, stderr %s; want 2", j, r.code, r.stderr)
		}
	}
	if r := oomlint(t, nil, "-j", "0", "app.yaml"); r.code != exitOK {
		t.Errorf("-j 0 (number of CPUs): exit %d, stderr %s", r.code, r.stderr)
	}
}

func TestRulesJSON(t *testing.T) {
	r := oomlint(t, nil, "rules", "--format", "json")
	var doc struct {
		Version int
		Rules   []struct {
			ID, Name, Severity, Summary string
			Enabled                     bool
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != exitOK {
		t.Fatalf("exit %d, %v:\n%s", r.code, err, r.stdout)
	}
	if doc.Version != 1 || len(doc.Rules) != len(rules.All) || doc.Rules[0].ID != rules.All[0].ID || doc.Rules[0].Severity == "" {
		t.Errorf("rules --format json: %+v", doc)
	}
}

func TestVersionFlag(t *testing.T) {
	want := oomlint(t, nil, "version").stdout
	for _, args := range [][]string{{"--version"}, {"lint", "--version"}} {
		if r := oomlint(t, nil, args...); r.code != exitOK || r.stdout != want {
			t.Errorf("%q: exit %d, %q; want %q", args, r.code, r.stdout, want)
		}
	}
}

func TestColorFlag(t *testing.T) {
	contractFixture(t)
	writeTestFile(t, "bad.yaml", badManifest)
	const esc = "\x1b["
	tests := []struct {
		args  []string
		env   map[string]string
		color bool
		exit  int
	}{
		{[]string{"bad.yaml"}, nil, false, exitFindings},
		{[]string{"--color", "always", "bad.yaml"}, map[string]string{"NO_COLOR": "1"}, true, exitFindings},
		{[]string{"bad.yaml"}, map[string]string{"FORCE_COLOR": "1"}, true, exitFindings},
		{[]string{"--color", "never", "bad.yaml"}, map[string]string{"FORCE_COLOR": "1"}, false, exitFindings},
		{[]string{"--no-color", "bad.yaml"}, map[string]string{"FORCE_COLOR": "1"}, false, exitFindings},
		{[]string{"--no-color", "--color", "always", "bad.yaml"}, nil, false, exitUsage},
		{[]string{"--color", "sometimes", "bad.yaml"}, nil, false, exitUsage},
	}
	for _, tt := range tests {
		r := oomlint(t, tt.env, tt.args...)
		checkStreams(t, r)
		if r.code != tt.exit || strings.Contains(r.stdout, esc) != tt.color {
			t.Errorf("%q %v: exit %d, colour %v; want %d, %v", tt.args, tt.env, r.code, strings.Contains(r.stdout, esc), tt.exit, tt.color)
		}
	}
}
