package main

import (
	"strings"
	"testing"
)

// The repository's own examples: organisation policies over the example apps.
func TestPolicyFlags(t *testing.T) {
	chdir(t, "../../..")
	r := oomlint(t, nil, "--policy", "examples/policies", "--format", "json", "examples")
	if r.code != exitFindings {
		t.Fatalf("exit %d, want %d; stderr: %s", r.code, exitFindings, r.stderr)
	}
	if !strings.Contains(r.stdout, `"rule": "ACME-JVM-001"`) || !strings.Contains(r.stdout, `"file": "examples/charts/search/values.yaml"`) {
		t.Errorf("policy finding on the values line missing:\n%s", r.stdout)
	}
	if r := oomlint(t, nil, "explain", "--policy", "examples/policies", "ACME-JVM-001"); r.code != exitOK {
		t.Errorf("explain of a policy rule: exit %d, stderr %s", r.code, r.stderr)
	}
}

func TestPolicyTest(t *testing.T) {
	chdir(t, "../../..")
	r := oomlint(t, nil, "policy", "test", "examples/policies")
	if r.code != exitOK || !strings.Contains(r.stdout, "PASS") {
		t.Fatalf("policy test: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if r := oomlint(t, nil, "--policy", "no/such/dir", "examples"); r.code != exitUsage {
		t.Errorf("missing policy dir: exit %d, want %d", r.code, exitUsage)
	}
}
