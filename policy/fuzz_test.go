package policy_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/policy"
	"github.com/oomlint/oomlint/rules"
)

// fuzzPolicy reads every value of the input and every fact, so the fuzzer
// reaches the whole YAML-to-Rego conversion and the facts serialization.
const fuzzPolicy = `# METADATA
# title: reads the whole input and the facts
# description: fuzzing support
# custom:
#   id: FUZZ-ALL-001
#   name: read-everything
#   severity: warning
package fuzz.all

import data.oomlint.facts

deny contains {"msg": sprintf("%d values, %d facts", [count(vs), count(fs)])} if {
	vs := [v | walk(input, [_, v])]
	fs := [v | walk(facts, [_, v])]
	count(vs) < 0
}
`

// FuzzLintWithPolicy runs the whole path in process on one manifest file:
// decode, resolve, the built-in rules, the Rego input and facts, the
// policy. It never panics (no internal-error finding), never reports an
// OOM902 (the policy cannot fail on any input), and ends quickly.
func FuzzLintWithPolicy(f *testing.F) {
	root, err := filepath.Abs("..")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range []string{
		"yaml-quirks.yaml", "yaml-alias-cycle.yaml", "yaml-alias-bomb.yaml", "good-deployment.yaml",
		"jvm-shell-script.yaml", "jvm-configmap.yaml", "list-kind.yaml", "json-manifest.json", "limitrange-defaults/limitranges.yaml", "limitrange-defaults/workloads.yaml",
	} {
		if data, err := os.ReadFile(filepath.Join(root, "testdata", name)); err == nil {
			f.Add(data, strings.HasSuffix(name, ".json"))
		}
	}
	var doubling strings.Builder
	doubling.WriteString("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    args: [\"$(V20)\"]\n    env:\n    - {name: V0, value: x}\n")
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&doubling, "    - {name: V%d, value: \"$(V%d)$(V%d)\"}\n", i, i-1, i-1)
	}
	f.Add([]byte(doubling.String()), false)
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    command: [sh, -c, 'X=x; X=$X$X; X=${X//x/$X}; java -Xmx1g $X']\n"), false)
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata:\n  <<: &d {a: '1'}\n  a: '2'\n  a: '3'\n  b: *d\n"), false)

	dir := f.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "policies"), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "policies", "all.rego"), []byte(fuzzPolicy), 0o600); err != nil {
		f.Fatal(err)
	}
	prs, problems, err := policy.Load(f.Context(), policy.Options{Policies: []string{filepath.Join(dir, "policies")}, WorkDir: dir, Builtins: rules.All})
	if err != nil || len(problems) > 0 {
		f.Fatalf("policy: %v %v", problems, err)
	}
	catalogue := append(slices.Clone(rules.All), prs...)

	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		repo := t.TempDir()
		name := "m.yaml"
		if isJSON {
			name = "m.json"
		}
		if err := os.WriteFile(filepath.Join(repo, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := lint.Config{Paths: []string{repo}, WorkDir: repo, Jobs: 1}
		start := time.Now()
		res, err := lint.Run(t.Context(), cfg, catalogue)
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("lint took %v", d)
		}
		for _, f := range res.Findings {
			if f.Rule == lint.PolicyErrorID || strings.Contains(f.Message, "internal error") {
				t.Fatalf("%s:%d %s %s", f.File, f.Line, f.Rule, f.Message)
			}
		}
	})
}
