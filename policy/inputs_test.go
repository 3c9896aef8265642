package policy_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/policy"
)

// secretMarker is the content of a file outside the linted repository: no
// output may ever contain it.
const secretMarker = "SECRET-MARKER-7f3a"

// outside writes a file outside the repository directory and returns its
// path.
func outside(t *testing.T, name, text string) string {
	t.Helper()
	return write(t, t.TempDir(), name, text)
}

func noSecret(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, secretMarker) || strings.Contains(s, "7f3a") {
			t.Errorf("output reveals the file outside the repository: %s", s)
		}
	}
}

func TestSchemaRefsCannotReadFiles(t *testing.T) {
	secret := outside(t, "secret.json", `{"type": "string", "description": "`+secretMarker+`"}`)
	notJSON := outside(t, "secret.txt", secretMarker+"\n")
	dir := t.TempDir()
	write(t, dir, "manifests/deploy.yaml", deployment)
	write(t, dir, "policies/verify.rego", "package verify\n\ndeny contains msg if {\n\tr := json.verify_schema({\"$ref\": \"file://"+secret+"\"})\n\tmsg := sprintf(\"%v\", [r])\n}\n")
	write(t, dir, "policies/match.rego", "package match\n\ndeny contains msg if {\n\t[ok, errs] := json.match_schema(1, {\"$ref\": \"file://"+secret+"\"})\n\tmsg := sprintf(\"%v %v\", [ok, errs])\n}\n")
	// Schema annotations are not used for type checking, so their $ref is
	// never followed either: this file would not compile if it were.
	write(t, dir, "policies/annotated.rego", "package annotated\n\n# METADATA\n# schemas:\n#   - input: {\"$ref\": \"file://"+notJSON+"\"}\ndeny contains \"annotated runs\" if input.kind == \"Deployment\"\n")
	prs, fs := run(t, dir, policy.Options{})
	want := []string{
		"manifests/deploy.yaml:2:1 annotated.deny error annotated runs []",
		"policies/match.rego:4:16 OOM902 error json.match_schema is not available in oomlint policies: a JSON schema's $ref can name any file or URL, which would let a policy probe the machine running the lint (json.verify_schema and json.match_schema are removed) []",
		"policies/verify.rego:4:7 OOM902 error json.verify_schema is not available in oomlint policies: a JSON schema's $ref can name any file or URL, which would let a policy probe the machine running the lint (json.verify_schema and json.match_schema are removed) []",
	}
	if diff := gocmp.Diff(want, brief(fs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(prs) != 1 {
		t.Errorf("%d rules, want only annotated.deny", len(prs))
	}
	for _, f := range fs {
		noSecret(t, f.Message, f.Fix)
	}
}

func TestPolicyInputsStayInside(t *testing.T) {
	leak := "package leak\n\ndeny contains \"" + secretMarker + "\" if true\n"
	secretFile := outside(t, "leak.rego", leak)
	secretDir := filepath.Dir(outside(t, "more/leak.rego", leak))
	secretData := outside(t, "secret.json", `{"secret": "`+secretMarker+`"}`)

	dir := t.TempDir()
	write(t, dir, "manifests/deploy.yaml", deployment)
	write(t, dir, "policies/ok.rego", "package ok\n\ndeny contains \"still runs\" if input.kind == \"Deployment\"\n")
	write(t, dir, "policies/shared/limits.rego", "package shared\n\ndeny contains \"linked inside\" if input.kind == \"Deployment\"\n")
	symlink(t, secretFile, filepath.Join(dir, "policies", "leak.rego"))
	symlink(t, secretDir, filepath.Join(dir, "policies", "linked"))
	// Symlinked directories inside are not walked again: their files are
	// read from where they are.
	symlink(t, filepath.Join(dir, "policies"), filepath.Join(dir, "policies", "shared", "loop"))
	symlink(t, filepath.Join(dir, "policies", "shared"), filepath.Join(dir, "policies", "alias"))
	prs, fs := run(t, dir, policy.Options{})
	want := []string{
		"manifests/deploy.yaml:2:1 ok.deny error still runs []",
		"manifests/deploy.yaml:2:1 shared.deny error linked inside []",
		"policies/leak.rego:1:1 OOM902 error symlink resolves outside policies/: not read as policy input []",
		"policies/linked:1:1 OOM902 error symlink resolves outside policies/: not read as policy input []",
	}
	if diff := gocmp.Diff(want, brief(fs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(prs) != 2 {
		t.Errorf("%d rules, want ok.deny and shared.deny", len(prs))
	}
	for _, f := range fs {
		noSecret(t, f.Message)
	}

	t.Run("data", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "manifests/deploy.yaml", deployment)
		write(t, dir, "policies/p.rego", "package p\n\ndeny contains data.secret if input.kind == \"Deployment\"\n")
		write(t, dir, "data/limits.yaml", "limits: {max: 1Gi}\n")
		write(t, dir, "data/sub/more.json", "{\"more\": 1}")
		symlink(t, secretData, filepath.Join(dir, "data", "secret.json"))
		// The data loader follows symlinked directories, so these are
		// walked: one loops, one holds another way out.
		symlink(t, filepath.Join(dir, "data"), filepath.Join(dir, "data", "sub", "loop"))
		symlink(t, filepath.Join(dir, "data", "sub"), filepath.Join(dir, "data", "alias"))
		symlink(t, filepath.Dir(secretData), filepath.Join(dir, "data", "sub", "out"))
		write(t, dir, "data/cycle/c.json", "{}")
		symlink(t, filepath.Join(dir, "data", "sub"), filepath.Join(dir, "data", "cycle", "to-sub"))
		symlink(t, filepath.Join(dir, "data", "cycle"), filepath.Join(dir, "data", "sub", "to-cycle"))
		_, fs := run(t, dir, policy.Options{Data: []string{filepath.Join(dir, "data")}})
		want := []string{
			"data/cycle/to-sub:1:1 OOM902 error symlink loops back to a directory that contains it: not read as policy data, so no policy runs []",
			"data/secret.json:1:1 OOM902 error symlink resolves outside data/: not read as policy data, so no policy runs []",
			"data/sub/loop:1:1 OOM902 error symlink loops back to a directory that contains it: not read as policy data, so no policy runs []",
			"data/sub/out:1:1 OOM902 error symlink resolves outside data/: not read as policy data, so no policy runs []",
			"data/sub/to-cycle:1:1 OOM902 error symlink loops back to a directory that contains it: not read as policy data, so no policy runs []",
		}
		if diff := gocmp.Diff(want, brief(fs)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})

	t.Run("policy test", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "p.rego", "package p\n\ndeny contains \"x\" if input.kind == \"Pod\"\n")
		write(t, dir, "p_test.rego", "package p_test\n\nimport data.p\n\ntest_pod if p.deny[\"x\"] with input as {\"kind\": \"Pod\"}\n")
		symlink(t, secretFile, filepath.Join(dir, "leak_test.rego"))
		var out, errOut bytes.Buffer
		code := policy.RunTests(t.Context(), policy.TestOptions{Paths: []string{dir}, WorkDir: dir}, &out, &errOut)
		if code != policy.TestsBroken || !strings.Contains(errOut.String(), "leak_test.rego:1:1: symlink resolves outside") {
			t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
		}
		noSecret(t, out.String(), errOut.String())
	})
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		if runtime.GOOS == "windows" {
			t.Skipf("symlinks: %v", err)
		}
		t.Fatal(err)
	}
}

// Every finding about refused inputs is a policy error, so it fails CI.
var _ = lint.PolicyErrorID
