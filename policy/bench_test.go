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

// BenchmarkLargePolicy loads one large policy file (rule sets of a few
// lines each, with METADATA, reading input and facts) and lints 100
// objects with it, at two sizes: the CPU time per KB should stay flat, as
// the policy is compiled once and its rule sets prepared together:
// go test ./policy -run '^$' -bench LargePolicy -benchtime 3x.
func BenchmarkLargePolicy(b *testing.B) {
	const objects = 100
	dir := b.TempDir()
	var sb strings.Builder
	for i := range objects {
		fmt.Fprintf(&sb, "---\n%s", strings.Replace(deployment, "name: api\n", fmt.Sprintf("name: api-%d\n", i), 1))
	}
	if err := os.WriteFile(filepath.Join(dir, "manifests.yaml"), []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{256 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			pdir := b.TempDir()
			src, ruleSets := largePolicy(size)
			if err := os.WriteFile(filepath.Join(pdir, "large.rego"), []byte(src), 0o600); err != nil {
				b.Fatal(err)
			}
			cfg := lint.Config{Paths: []string{dir}, WorkDir: dir}
			cpu := cpuTime()
			for b.Loop() {
				prs, problems, err := policy.Load(b.Context(), policy.Options{Policies: []string{pdir}, WorkDir: dir})
				if err != nil || len(problems) > 0 || len(prs) != ruleSets {
					b.Fatalf("load: %v %v %d rules, want %d", err, problems, len(prs), ruleSets)
				}
				res, err := lint.Run(b.Context(), cfg, prs)
				if err != nil || res.Summary.Objects != objects {
					b.Fatalf("%v %+v", err, res.Summary)
				}
			}
			if spent := cpuTime() - cpu; spent > 0 {
				b.ReportMetric(float64(spent.Milliseconds())/float64(b.N), "cpu-ms/op")
				b.ReportMetric(float64(spent.Microseconds())/float64(b.N)/float64(size>>10), "cpu-µs/KB")
			}
		})
	}
}

// largePolicy is one package of rule sets, about size bytes, and the
// number of rule sets.
func largePolicy(size int) (string, int) {
	var sb strings.Builder
	sb.WriteString("package large\n\nimport data.oomlint.facts\n\n")
	n := 0
	for ; sb.Len() < size; n++ {
		fmt.Fprintf(&sb, `# METADATA
# title: Containers stay below %[2]d bytes
# custom:
#   id: LARGE-%[1]d
deny_%[1]d contains {"msg": msg, "path": c.limit.path} if {
	input.kind == "Deployment"
	some c in facts.workload.containers
	c.limit.bytes > %[2]d
	msg := sprintf("container %%s is over %[2]d bytes", [c.name])
}

`, n, 1<<30+n)
	}
	return sb.String(), n
}
