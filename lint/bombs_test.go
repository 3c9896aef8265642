package lint_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/policy"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/renderers"
	"github.com/oomlint/oomlint/rules"
)

// walkPolicy reads every node of every input, as a policy may: with
// aliases expanded, a cycle never ends and a bomb never fits in memory.
const walkPolicy = `# METADATA
# title: walks the whole input
# description: reads every value of every object
# custom:
#   id: TEST-WALK-001
#   name: walk-everything
#   severity: warning
package test.walk

deny contains {"msg": "a value says boom"} if {
	walk(input, [_, v])
	v == "boom"
}
`

// aliasBomb is nine anchors of ten aliases each: 10^9 nodes expanded.
func aliasBomb(name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n", name)
	prev := "a"
	for _, c := range "bcdefghi" {
		fmt.Fprintf(&b, "  %c: &%c [%s]\n", c, c, strings.TrimSuffix(strings.Repeat("*"+prev+", ", 10), ", "))
		prev = string(c)
	}
	return b.String()
}

// good is a workload that always gives a finding: the rest of the repo is
// still linted.
const good = `apiVersion: v1
kind: Pod
metadata:
  name: still-linted
spec:
  containers:
    - name: app
      image: example/app:1
      resources:
        limits:
          memory: 512Mi
        requests:
          memory: 512Mi
`

// TestHostileYAML lints each bomb, built at test time, in-process with a
// policy that walks every input and with kustomize: each ends in seconds,
// allocates far less than 512 MiB in all, reports the bomb where it is,
// and the rest of the repository is still linted.
func TestHostileYAML(t *testing.T) {
	cycle := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cycle\ndata: &a {x: *a}\n"
	deep := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  a0: &a0 x\n"
	for i := 1; i <= 20; i++ {
		deep += fmt.Sprintf("  a%d: &a%d %s*a%d%s\n", i, i, strings.Repeat("[", 900), i-1, strings.Repeat("]", 900))
	}
	kustomization := "resources: [bad.yaml]\n"
	for _, tt := range []struct {
		name  string
		files map[string]string
		want  string // file:line rule
	}{
		{"cycle with a policy", map[string]string{"bad.yaml": cycle}, "repo/bad.yaml:1 OOM901"},
		{"bomb with a policy", map[string]string{"bad.yaml": aliasBomb("bomb")}, "repo/bad.yaml:1 OOM901"},
		{"deep aliases with a policy", map[string]string{"bad.yaml": deep}, "repo/bad.yaml:1 OOM901"},
		{"cycle in kustomize", map[string]string{"k/kustomization.yaml": kustomization, "k/bad.yaml": cycle}, "repo/k/bad.yaml:5 OOM900"},
		{"bomb in kustomize", map[string]string{"k/kustomization.yaml": kustomization, "k/bad.yaml": aliasBomb("bomb")}, "repo/k/bad.yaml:9 OOM900"},
		{"cycle in a List", map[string]string{"bad.yaml": "apiVersion: v1\nkind: List\nitems:\n  - &i {apiVersion: v1, kind: ConfigMap, metadata: {name: x}, data: {a: [*i]}}\n"}, "repo/bad.yaml:1 OOM901"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.files["good.yaml"] = good
			findings, took, alloc := lintHostile(t, tt.files)
			if took > 10*time.Second || alloc > 256<<20 {
				t.Errorf("took %v and allocated %d MiB", took, alloc>>20)
			}
			got := brief(findings)
			if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, tt.want) }) {
				t.Errorf("findings %q, want %s", got, tt.want)
			}
			if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "repo/good.yaml:") }) {
				t.Errorf("findings %q: good.yaml was not linted", got)
			}
		})
	}
}

// TestHostileExpansion lints expansion bombs built at test time: kubelet
// $(VAR) references doubling 40 times and shell scripts doing the same. The
// real flag beside the bomb is still read; the cut is a warning.
func TestHostileExpansion(t *testing.T) {
	var env strings.Builder
	env.WriteString("        - {name: V0, value: x}\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&env, "        - {name: V%d, value: \"$(V%d)$(V%d)\"}\n", i, i-1, i-1)
	}
	env.WriteString("        - {name: JAVA_TOOL_OPTIONS, value: \"-Xmx2g $(V40)\"}\n")
	pod := func(extra string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bomb\nspec:\n  containers:\n    - name: app\n      image: eclipse-temurin:17\n" +
			"      resources: {limits: {memory: 1Gi}, requests: {memory: 512Mi}}\n" + extra
	}
	for _, tt := range []struct {
		name, pod string
	}{
		{"kubelet doubling", pod("      command: [java]\n      args: [\"-Xmx2g\", \"$(V40)\"]\n      env:\n" + env.String())},
		{"shell doubling", pod(fmt.Sprintf("      command: [sh, -c, %q]\n", "X=x; "+strings.Repeat("X=$X$X; ", 40)+"exec java -Xmx2g $X"))},
		{"shell replace", pod(fmt.Sprintf("      command: [sh, -c, %q]\n", "X=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; "+strings.Repeat("X=${X//a/$X}; ", 10)+"exec java -Xmx2g $X"))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			findings, took, alloc := lintHostile(t, map[string]string{"bomb.yaml": tt.pod})
			if took > 10*time.Second || alloc > 256<<20 {
				t.Errorf("took %v and allocated %d MiB", took, alloc>>20)
			}
			got := brief(findings)
			for _, want := range []string{"OOM201 error", "OOM901 warning"} {
				if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, want) }) {
					t.Errorf("findings %q, want %s", got, want)
				}
			}
		})
	}
}

// lintHostile writes files under repo/ and lints them with every rule, the
// walking policy and the real renderers; it returns the findings, the time
// taken and the bytes allocated.
func lintHostile(t *testing.T, files map[string]string) ([]lint.Finding, time.Duration, uint64) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, "repo", filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "policies"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "policies", "walk.rego"), []byte(walkPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	prs, problems, err := policy.Load(t.Context(), policy.Options{Policies: []string{filepath.Join(dir, "policies")}, WorkDir: dir, Builtins: rules.All})
	if err != nil || len(problems) > 0 || len(prs) == 0 {
		t.Fatalf("policy: %v %v", problems, err)
	}
	cfg := lint.Config{Paths: []string{filepath.Join(dir, "repo")}, WorkDir: dir, Jobs: 2}
	cfg.Renderers = renderers.All(render.Options{WorkDir: dir, RepoRoot: dir})
	res, err := lint.Run(t.Context(), cfg, append(slices.Clone(rules.All), prs...))
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	for _, f := range res.Findings {
		if f.Rule == lint.PolicyErrorID || strings.Contains(f.Message, "internal error") {
			t.Errorf("%s:%d %s %s", f.File, f.Line, f.Rule, f.Message)
		}
	}
	return res.Findings, took, after.TotalAlloc - before.TotalAlloc
}

func brief(fs []lint.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("%s:%d %s %s %s", f.File, f.Line, f.Rule, f.Severity, f.Message)
	}
	return out
}
