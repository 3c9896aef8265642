package main

import (
	"os"
	"os/exec" //nolint:depguard // the test drives pre-commit and git, as a user's commit would
	"path/filepath"
	"strings"
	"testing"
)

// TestPreCommitHook runs the oomlint-system hook through pre-commit itself
// (`pre-commit try-repo`, offline: a system hook installs nothing) in a
// temporary git repository, with this test binary standing in for oomlint
// on PATH. A commit that breaks memory settings through a values file is
// blocked; one that touches no manifest does not run the hook. Skipped
// where pre-commit or git is not installed (.ci/run installs pre-commit).
func TestPreCommitHook(t *testing.T) {
	for _, tool := range []string{"pre-commit", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	root := repoRoot(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	shim := "#!/bin/sh\n" + asMainEnv + "=1 exec '" + self + "' \"$@\"\n"
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "oomlint"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(tmp, "repo")
	env := []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + tmp, "PRE_COMMIT_HOME=" + filepath.Join(tmp, "cache"),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"NO_COLOR=1",
	}
	sh := func(dir string, args ...string) (string, error) {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), args[0], args[1:]...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	must := func(dir string, args ...string) {
		t.Helper()
		if out, err := sh(dir, args...); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	chart := filepath.Join(repo, "charts", "api")
	writeTestFile(t, filepath.Join(chart, "Chart.yaml"), "apiVersion: v2\nname: api\nversion: 1.0.0\n")
	writeTestFile(t, filepath.Join(chart, "values.yaml"), "memory: 512Mi\n")
	writeTestFile(t, filepath.Join(chart, "templates", "deployment.yaml"), `apiVersion: apps/v1
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
              memory: {{ .Values.memory }}
`)
	writeTestFile(t, filepath.Join(repo, "README.md"), "service repo\n")
	must(repo, "git", "init", "-q")
	must(repo, "git", "add", "-A")
	must(repo, "git", "commit", "-qm", "start")

	// A README change does not trigger the hook.
	writeTestFile(t, filepath.Join(repo, "README.md"), "service repo, documented\n")
	must(repo, "git", "add", "README.md")
	if out, err := sh(repo, "pre-commit", "try-repo", root, "oomlint-system"); err != nil || !strings.Contains(out, "no files to check") {
		t.Errorf("README-only change: err %v, want the hook skipped:\n%s", err, out)
	}
	must(repo, "git", "commit", "-qm", "docs")

	// A values change to 512m (0.512 bytes) is blocked, at the values line.
	writeTestFile(t, filepath.Join(chart, "values.yaml"), "memory: 512m\n")
	must(repo, "git", "add", "-A")
	out, err := sh(repo, "pre-commit", "try-repo", root, "oomlint-system")
	if err == nil || !strings.Contains(out, "charts/api/values.yaml:1:9: error OOM107") {
		t.Errorf("values change to 512m: err %v, want the commit blocked with OOM107 on values.yaml:1:\n%s", err, out)
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
