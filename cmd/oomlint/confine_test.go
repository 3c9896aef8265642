package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// confineSecret is in files outside the linted repository only.
const confineSecret = "outside-secret-0c3d"

const tokenPolicy = `package leak

import rego.v1

deny contains msg if {
	input.kind == "Deployment"
	msg := sprintf("token %v", [data.token])
}
`

func confineTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

const confineDeploy = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: nginx:1.27
          resources:
            requests: {memory: 256Mi}
            limits: {memory: %s}
`

// confineRepos makes a repository (the working directory, with .git) and a
// directory beside it that holds a secret, a policy and a values file.
func confineRepos(t *testing.T) (repo, outside string) {
	t.Helper()
	root := t.TempDir()
	repo, outside = filepath.Join(root, "repo"), filepath.Join(root, "outside")
	confineTree(t, outside, map[string]string{
		"secret.json":        `{"token": "` + confineSecret + `"}`,
		"policies/leak.rego": tokenPolicy,
		"values.yaml":        "name: " + confineSecret + "\n",
	})
	confineTree(t, repo, map[string]string{
		".git/HEAD":   "ref: refs/heads/main\n",
		"deploy.yaml": fmt.Sprintf(confineDeploy, "512Mi"),
	})
	t.Chdir(repo)
	return repo, outside
}

func TestConfigPathsConfined(t *testing.T) {
	repo, outside := confineRepos(t)
	confineTree(t, repo, map[string]string{".oomlint.yaml": fmt.Sprintf(
		"policies: [%[1]s/policies]\npolicyData: [%[1]s/secret.json]\ncharts:\n  cache: %[1]s\n  search: [%[1]s]\n  values:\n    chart: [%[1]s/values.yaml]\n", outside)})
	r := oomlint(t, nil, "--format", "json", ".")
	if strings.Contains(r.stdout+r.stderr, confineSecret) || strings.Contains(r.stdout, "token ") {
		t.Errorf("the repository's config made oomlint read outside it:\n%s%s", r.stdout, r.stderr)
	}
	for _, line := range []string{`"line": 1`, `"line": 2`, `"line": 4`, `"line": 5`, `"line": 7`} {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("no finding at .oomlint.yaml %s:\n%s", line, r.stdout)
		}
	}
	if got := strings.Count(r.stdout, `"rule": "OOM903"`); got != 5 {
		t.Errorf("%d OOM903 findings, want 5 (one per path outside):\n%s", got, r.stdout)
	}

	// The same paths on the command line are the user's choice.
	r = oomlint(t, nil, "--format", "json", "--policy", filepath.Join(outside, "policies"), "--data", filepath.Join(outside, "secret.json"), ".")
	if !strings.Contains(r.stdout, "token "+confineSecret) {
		t.Errorf("--policy and --data outside the repository were not read:\n%s%s", r.stdout, r.stderr)
	}

	// So is a --config outside the repository.
	confineTree(t, outside, map[string]string{"user.yaml": fmt.Sprintf("policies: [%[1]s/policies]\npolicyData: [%[1]s/secret.json]\n", outside)})
	r = oomlint(t, nil, "--format", "json", "--config", filepath.Join(outside, "user.yaml"), ".")
	if !strings.Contains(r.stdout, "token "+confineSecret) {
		t.Errorf("the user's own --config was confined:\n%s%s", r.stdout, r.stderr)
	}
	// But not the repository's own file named with --config.
	r = oomlint(t, nil, "--format", "json", "--config", ".oomlint.yaml", ".")
	if strings.Contains(r.stdout+r.stderr, confineSecret) {
		t.Errorf("--config naming the repository's file was not confined:\n%s%s", r.stdout, r.stderr)
	}
}

func TestConfigLinkOutside(t *testing.T) {
	repo, outside := confineRepos(t)
	confineTree(t, outside, map[string]string{"cfg.yaml": fmt.Sprintf("policies: [%[1]s/policies]\npolicyData: [%[1]s/secret.json]\nnamespace: %[2]s\n", outside, confineSecret)})
	if err := os.Symlink(filepath.Join(outside, "cfg.yaml"), filepath.Join(repo, ".oomlint.yaml")); err != nil {
		t.Skipf("symlinks: %v", err)
	}
	r := oomlint(t, nil, "--format", "json", ".")
	if strings.Contains(r.stdout+r.stderr, confineSecret) {
		t.Errorf("a linked config outside the repository was read:\n%s%s", r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "symlink resolves outside the repository root; not read") {
		t.Errorf("no finding says the config was not read:\n%s%s", r.stdout, r.stderr)
	}
}

func TestHugeQuantities(t *testing.T) {
	repo, _ := confineRepos(t)
	deploy := strings.Replace(fmt.Sprintf(confineDeploy, "1e400"), "          resources:",
		"          env:\n            - name: GOMEMLIMIT\n              valueFrom:\n                resourceFieldRef: {resource: limits.memory, divisor: 1e-99999999}\n          resources:", 1)
	confineTree(t, repo, map[string]string{"deploy.yaml": deploy})
	r := oomlint(t, nil, "--format", "json", ".")
	if strings.Contains(r.stdout, "Inf") {
		t.Errorf("a huge quantity printed as infinity:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, `"rule": "OOM106"`) {
		t.Errorf("limits.memory 1e400 is not reported as invalid (OOM106):\n%s%s", r.stdout, r.stderr)
	}
}

func TestMaxFileSizeRange(t *testing.T) {
	repo, _ := confineRepos(t)
	confineTree(t, repo, map[string]string{".oomlint.yaml": "settings:\n  maxFileSize: 8Ei\n"})
	r := oomlint(t, nil, ".")
	if r.code != exitUsage || !strings.Contains(r.stderr, ".oomlint.yaml:2: settings.maxFileSize 8Ei is out of range") {
		t.Errorf("exit %d, stderr %q; want exit 2 naming .oomlint.yaml:2", r.code, r.stderr)
	}
}
