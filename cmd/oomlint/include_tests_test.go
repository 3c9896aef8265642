package main

import (
	"bytes"
	"encoding/json"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/oomlint/oomlint/internal/offlinetest"
)

// lintFindings runs lint with JSON output and returns its findings.
func lintFindings(t *testing.T, args ...string) []struct {
	Rule, File string
	Line       int
} {
	t.Helper()
	var out, errs bytes.Buffer
	run(t.Context(), append([]string{"oomlint", "--format", "json", "--fail-on", "none"}, args...), &out, &errs, func(string) string { return "" })
	var rep struct {
		Findings []struct {
			Rule, File string
			Line       int
		}
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, errs.String())
	}
	return rep.Findings
}

// TestIncludeTests checks that helm test hooks are left out unless
// --include-tests asks for them, and that --help documents the flag.
func TestIncludeTests(t *testing.T) {
	t.Chdir("../..")
	offlinetest.Guard(t)
	count := func(args ...string) int {
		t.Helper()
		n := 0
		for _, f := range lintFindings(t, args...) {
			if path.Base(f.File) == "test-connection.yaml" {
				n++
			}
		}
		return n
	}
	if n := count("testdata/chart-test-hooks"); n != 0 {
		t.Errorf("%d findings in the test hook, want none", n)
	}
	if n := count("--include-tests", "testdata/chart-test-hooks"); n != 2 {
		t.Errorf("with --include-tests: %d findings in the test hook, want 2 (OOM101, OOM102)", n)
	}
	var out, errs bytes.Buffer
	run(t.Context(), []string{"oomlint", "--help"}, &out, &errs, func(string) string { return "" })
	if !strings.Contains(out.String(), "--include-tests") {
		t.Errorf("--help does not list --include-tests:\n%s", out.String())
	}
}

// TestChartSearchProblems checks that charts.search entries that are not
// folders of charts are OOM903 findings at their lines of .oomlint.yaml.
func TestChartSearchProblems(t *testing.T) {
	t.Chdir("../..")
	offlinetest.Guard(t)
	var got []int
	for _, f := range lintFindings(t, "testdata/chart-search-bad-entries") {
		if f.Rule == "OOM903" && f.File == "testdata/chart-search-bad-entries/.oomlint.yaml" {
			got = append(got, f.Line)
		}
	}
	if want := []int{4, 5, 6}; !slices.Equal(got, want) {
		t.Errorf("OOM903 findings at lines %v, want %v", got, want)
	}
}

// TestRandomNamesRepeat lints a chart that names objects with random and
// time functions twice: the reports, object names included, are the same
// byte for byte, so baselines and code-scanning alerts stay matched.
func TestRandomNamesRepeat(t *testing.T) {
	t.Chdir("../..")
	offlinetest.Guard(t)
	report := func() string {
		var out, errs bytes.Buffer
		run(t.Context(), []string{"oomlint", "--format", "sarif", "--fail-on", "none", "testdata/chart-random-names"}, &out, &errs, func(string) string { return "" })
		if errs.Len() > 0 {
			t.Fatalf("stderr: %s", errs.String())
		}
		return out.String()
	}
	first := report()
	if second := report(); first != second {
		t.Errorf("two runs differ:\n%s\n---\n%s", first, second)
	}
	if !strings.Contains(first, "release-name-api-") {
		t.Errorf("the report does not name the Deployment release-name-api-…:\n%s", first)
	}
}
