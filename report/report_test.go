package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// lintRepo lints a path under testdata with findings' paths relative to
// testdata, so the goldens never hold an absolute path.
func lintRepo(t *testing.T, path string, jobs int) *lint.Result {
	t.Helper()
	wd, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	cfg := lint.Config{Paths: []string{filepath.Join("testdata", path)}, WorkDir: wd, Jobs: jobs}
	res, err := lint.Run(t.Context(), cfg, rules.All)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func render(t *testing.T, write Writer, res *lint.Result, opt Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf, res, opt); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkGolden compares got with testdata/name byte for byte, or rewrites it
// with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs (-want +got; go test ./report -update rewrites it):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}

func TestGolden(t *testing.T) {
	repo := lintRepo(t, "repo", 0)
	clean := lintRepo(t, "repo/clean.yaml", 0)
	tests := []struct {
		golden string
		write  Writer
		res    *lint.Result
		opt    Options
	}{
		{"text.golden", Text, repo, Options{}},
		{"text-color.golden", Text, repo, Options{Color: true}},
		{"text-quiet.golden", Text, repo, Options{Quiet: true}},
		{"json.golden", JSON, repo, Options{}},
		{"json-clean.golden", JSON, clean, Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			checkGolden(t, tt.golden, render(t, tt.write, tt.res, tt.opt))
		})
	}
}

// TestRepoCoverage keeps the canonical repo canonical: if a rule change
// drops one of these cases, the goldens silently stop testing it.
func TestRepoCoverage(t *testing.T) {
	res := lintRepo(t, "repo", 0)
	sevs := map[lint.Severity]bool{}
	namespaces := map[string]bool{}
	var parseError, withFix bool
	for _, f := range res.Findings {
		sevs[f.Severity] = true
		if f.Object != nil {
			namespaces[f.Object.Namespace] = true
		}
		parseError = parseError || f.Rule == lint.ParseErrorID
		withFix = withFix || (f.Container != "" && f.Fix != "")
		if f.File == "repo/clean.yaml" {
			t.Errorf("clean.yaml has a finding: %s:%d %s", f.File, f.Line, f.Rule)
		}
		if f.File == "repo/apps/worker.yaml" && f.Line == 21 {
			t.Errorf("suppressed finding reported: %s:%d %s", f.File, f.Line, f.Rule)
		}
	}
	if len(sevs) != 3 || len(namespaces) < 2 || !parseError || !withFix {
		t.Errorf("repo lost coverage: severities %v, namespaces %v, parse error %v, container fix %v",
			sevs, namespaces, parseError, withFix)
	}
}

func TestJSONDeterministic(t *testing.T) {
	want := render(t, JSON, lintRepo(t, "repo", 1), Options{})
	for range 5 {
		if got := render(t, JSON, lintRepo(t, "repo", 8), Options{}); !bytes.Equal(want, got) {
			t.Fatalf("jobs 1 and jobs 8 differ:\n%s", cmp.Diff(string(want), string(got)))
		}
	}
}

func TestJSONSchema(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "json.golden"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	checkKeys(t, "document", doc, "version", "findings", "summary")
	if v, _ := doc["version"].(float64); v != 1 {
		t.Errorf("version = %v, want 1", doc["version"])
	}
	checkKeys(t, "summary", doc["summary"], "files", "objects", "units", "error", "warning", "info")
	findings, _ := doc["findings"].([]any)
	if len(findings) == 0 {
		t.Fatal("json.golden has no findings")
	}
	for i, f := range findings {
		checkKeys(t, "finding", f, "rule", "name", "severity", "message", "fix", "file", "line", "column",
			"object", "container", "path", "related")
		fm, _ := f.(map[string]any)
		if fm["object"] != nil {
			checkKeys(t, "object", fm["object"], "apiVersion", "kind", "namespace", "name")
		}
		if _, ok := fm["related"].([]any); !ok {
			t.Errorf("findings[%d].related = %v, want an array", i, fm["related"])
		}
	}
}

func checkKeys(t *testing.T, what string, v any, want ...string) {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Errorf("%s is %T, want an object", what, v)
		return
	}
	got := make([]string, 0, len(m))
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s keys (-want +got):\n%s", what, diff)
	}
}

// TestRelated covers what the canonical repo cannot yet produce: related
// locations (LimitRange defaults, rendered sources) in both formats.
func TestRelated(t *testing.T) {
	res := &lint.Result{Findings: []lint.Finding{{
		Rule: "OOM101", Name: "memory-limit-missing", Severity: lint.Warning, Message: "m", Fix: "f",
		File: "a.yaml", Line: 3, Column: 5,
		Related: []lint.Related{{File: "ns/limits.yaml", Line: 7, Message: "default from this LimitRange"}},
	}}}
	text := string(render(t, Text, res, Options{}))
	if !strings.Contains(text, "    ns/limits.yaml:7: default from this LimitRange\n") {
		t.Errorf("text has no related line:\n%s", text)
	}
	var doc struct {
		Findings []struct {
			Object  *struct{}        `json:"object"`
			Related []map[string]any `json:"related"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(render(t, JSON, res, Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{{"file": "ns/limits.yaml", "line": 7.0, "message": "default from this LimitRange"}}
	if diff := cmp.Diff(want, doc.Findings[0].Related); diff != "" {
		t.Errorf("related (-want +got):\n%s", diff)
	}
	if doc.Findings[0].Object != nil {
		t.Errorf("object = %v, want null", doc.Findings[0].Object)
	}
}

func TestTextNoColor(t *testing.T) {
	res := lintRepo(t, "repo", 0)
	if out := render(t, Text, res, Options{}); bytes.ContainsRune(out, '\x1b') {
		t.Errorf("text without Color has escape codes:\n%s", out)
	}
	if out := render(t, Text, res, Options{Color: true}); !bytes.ContainsRune(out, '\x1b') {
		t.Errorf("text with Color has no escape codes:\n%s", out)
	}
}

func TestLookup(t *testing.T) {
	for _, name := range Names() {
		if _, err := Lookup(name); err != nil {
			t.Errorf("Lookup(%q): %v", name, err)
		}
	}
	_, err := Lookup("xml")
	if err == nil || !strings.Contains(err.Error(), strings.Join(Names(), ", ")) {
		t.Errorf("Lookup(xml) = %v, want an error listing %v", err, Names())
	}
}
