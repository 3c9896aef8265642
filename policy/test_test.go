package policy_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oomlint/oomlint/policy"
)

// TestExamplePolicies runs the unit tests of examples/policies, as
// `oomlint policy test examples/policies` will.
func TestExamplePolicies(t *testing.T) {
	root := moduleRoot(t)
	var out, errOut bytes.Buffer
	code := policy.RunTests(t.Context(), policy.TestOptions{Paths: []string{filepath.Join(root, "examples", "policies")}, WorkDir: root}, &out, &errOut)
	if code != policy.TestsPassed {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "PASS:") {
		t.Errorf("no PASS summary in\n%s", out.String())
	}
}

func TestRunTestsReport(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "p.rego", "package p\n\ndeny contains \"x\" if input.kind == \"Pod\"\n")
	write(t, dir, "p_test.rego", "package p_test\n\nimport data.p\n\ntest_pod if {\n\tp.deny[\"x\"] with input as {\"kind\": \"Pod\"}\n}\n\ntest_wrong if {\n\tp.deny[\"x\"] with input as {\"kind\": \"Service\"}\n}\n")
	var out, errOut bytes.Buffer
	code := policy.RunTests(t.Context(), policy.TestOptions{Paths: []string{dir}, WorkDir: dir}, &out, &errOut)
	if code != policy.TestsFailed {
		t.Errorf("exit %d, want %d\n%s%s", code, policy.TestsFailed, out.String(), errOut.String())
	}
	for _, want := range []string{"FAIL", "test_wrong", "PASS: 1/2", "FAIL: 1/2"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}

	write(t, dir, "bad.rego", "package bad\n\ndeny contains x if {\n")
	out.Reset()
	errOut.Reset()
	if code := policy.RunTests(t.Context(), policy.TestOptions{Paths: []string{dir}, WorkDir: dir}, &out, &errOut); code != policy.TestsBroken {
		t.Errorf("broken policy: exit %d, want %d", code, policy.TestsBroken)
	}
	if !strings.HasPrefix(errOut.String(), "bad.rego:") {
		t.Errorf("stderr = %q, want a bad.rego:line:col error", errOut.String())
	}
}
