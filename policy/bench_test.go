package policy_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/policy"
	"github.com/oomlint/oomlint/rules"
)

// BenchmarkPolicies lints 10,000 objects with the built-in rules alone,
// with one trivial policy more, and with 20 policy rule sets more (half of
// them reading oomlint's facts), so the cost of policies shows as the
// ratios:
// go test ./policy -run '^$' -bench Policies.
func BenchmarkPolicies(b *testing.B) {
	const objects, perFile = 10_000, 10
	dir := b.TempDir()
	for i := range objects / perFile {
		var sb strings.Builder
		for j := range perFile {
			fmt.Fprintf(&sb, "---\n%s", strings.Replace(deployment, "name: api\n", fmt.Sprintf("name: api-%d-%d\n", i, j), 1))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("m%04d.yaml", i)), []byte(sb.String()), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("builtin", func(b *testing.B) { benchLint(b, dir, objects, rules.All) })
	for _, ruleSets := range []int{1, 20} {
		b.Run(fmt.Sprintf("policies-%d", ruleSets), func(b *testing.B) {
			prs := benchPolicies(b, dir, ruleSets)
			benchLint(b, dir, objects, append(slices.Clone(rules.All), prs...))
		})
	}
}

// benchPolicies writes and loads n rule sets: even ones test input.kind,
// odd ones iterate the containers' facts.
func benchPolicies(b *testing.B, dir string, n int) []*lint.Rule {
	b.Helper()
	pdir := filepath.Join(b.TempDir(), "policies")
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		src := fmt.Sprintf("package bench.p%d\n\ndeny contains msg if {\n\tinput.kind == \"StatefulSet\"\n\tmsg := input.metadata.name\n}\n", i)
		if i%2 == 1 {
			src = fmt.Sprintf("package bench.p%d\n\nimport data.oomlint.facts\n\nwarn contains {\"msg\": c.name, \"path\": c.limit.path} if {\n\tsome c in facts.workload.containers\n\tc.limit.bytes > %d\n}\n", i, 1<<40)
		}
		if err := os.WriteFile(filepath.Join(pdir, fmt.Sprintf("p%02d.rego", i)), []byte(src), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	prs, problems, err := policy.Load(b.Context(), policy.Options{Policies: []string{pdir}, WorkDir: dir})
	if err != nil || len(problems) > 0 || len(prs) != n {
		b.Fatalf("load: %v %v %d rules", err, problems, len(prs))
	}
	return prs
}

func benchLint(b *testing.B, dir string, objects int, rs []*lint.Rule) {
	b.Helper()
	cfg := lint.Config{Paths: []string{dir}, WorkDir: dir}
	for b.Loop() {
		res, err := lint.Run(b.Context(), cfg, rs)
		if err != nil || res.Summary.Objects != objects {
			b.Fatalf("%v %+v", err, res.Summary)
		}
	}
}
