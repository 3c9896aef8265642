package policy_test

import (
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/oomlint/oomlint/policy"
)

// TestBatchShapes: rule sets of packages of every depth, with quoted
// segments, complete and partial, defined or not, are evaluated together
// and each finding keeps its rule set.
func TestBatchShapes(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "manifests/deploy.yaml", deployment)
	write(t, dir, "policies/top.rego", "package top\n\ndeny contains \"top\" if input.kind == \"Deployment\"\n\nwarn contains \"never\" if input.kind == \"Pod\"\n")
	write(t, dir, "policies/deep.rego", "package a.b.c\n\nviolation contains {\"msg\": \"deep\"} if input.kind == \"Deployment\"\n\ndeny_complete if input.kind == \"Deployment\"\n\nwarn_undefined if input.kind == \"Pod\"\n")
	write(t, dir, "policies/quoted.rego", "package a[\"b-c\"]\n\ndeny contains \"quoted\" if input.kind == \"Deployment\"\n")
	prs, fs := run(t, dir, policy.Options{})
	want := []string{
		"manifests/deploy.yaml:2:1 a.b.c.deny_complete error Deployment is denied by data.a.b.c.deny_complete []",
		"manifests/deploy.yaml:2:1 a.b.c.violation error deep []",
		"manifests/deploy.yaml:2:1 a__b-c__.deny error quoted []",
		"manifests/deploy.yaml:2:1 top.deny error top []",
	}
	if diff := gocmp.Diff(want, brief(fs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(prs) != 6 {
		t.Errorf("%d rules, want 6", len(prs))
	}
}
