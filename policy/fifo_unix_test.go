//go:build unix

package policy_test

import (
	"path/filepath"
	"syscall"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/oomlint/oomlint/policy"
)

// TestFIFOInputsRefused: reading a named pipe blocks until someone
// writes, so a repository's pipe named like a policy or data file is
// refused, not opened.
func TestFIFOInputsRefused(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "manifests/deploy.yaml", deployment)
	write(t, dir, "policies/ok.rego", "package ok\n\ndeny contains \"still runs\" if input.kind == \"Deployment\"\n")
	write(t, dir, "data/d.json", "{}")
	for _, p := range []string{"policies/pipe.rego", "data/pipe.json"} {
		if err := syscall.Mkfifo(filepath.Join(dir, p), 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
	}
	_, fs := run(t, dir, policy.Options{})
	want := []string{
		"manifests/deploy.yaml:2:1 ok.deny error still runs []",
		"policies/pipe.rego:1:1 OOM902 error not a regular file: not read as policy input []",
	}
	if diff := gocmp.Diff(want, brief(fs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_, fs = run(t, dir, policy.Options{Data: []string{filepath.Join(dir, "data")}})
	want = []string{
		"data/pipe.json:1:1 OOM902 error not a regular file: not read as policy data, so no policy runs []",
		"policies/pipe.rego:1:1 OOM902 error not a regular file: not read as policy input []",
	}
	if diff := gocmp.Diff(want, brief(fs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
