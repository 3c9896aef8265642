package policy_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/policy"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/renderers"
	"github.com/oomlint/oomlint/rules"
)

// Policy fixtures are testdata/policy-*/ directories with a policies/
// folder (and optionally data/) beside the manifests or charts. Lines carry
// `# want: OOMnnn` for built-in findings (rules.TestFixtures lints these
// fixtures too, without policies) and `# want-policy: ID…` for policy
// findings and OOM902, which only this harness sees.
var (
	wantBuiltin = regexp.MustCompile(`#\s*want:\s*((?:OOM\d{3}\s*)+)$`)
	wantPolicy  = regexp.MustCompile(`#\s*want-policy:\s*([^#]*)`)
)

type pos struct {
	file string
	line int
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestPolicyFixtures(t *testing.T) {
	root := moduleRoot(t)
	dirs, err := filepath.Glob(filepath.Join(root, "testdata", "policy-*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no policy fixtures: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			res := lintWithPolicies(t, root, dir)
			for _, p := range compare(readWants(t, root, dir), res.Findings) {
				t.Error(p)
			}
		})
	}
}

// lintWithPolicies runs the linter on a fixture the way the CLI will:
// policies loaded once, their load problems passed as Extra findings, and
// the rule set rules.All plus the policy rules.
func lintWithPolicies(t *testing.T, root, dir string) *lint.Result {
	t.Helper()
	opts := policy.Options{Policies: []string{filepath.Join(dir, "policies")}, WorkDir: root, Builtins: rules.All}
	if st, err := os.Stat(filepath.Join(dir, "data")); err == nil && st.IsDir() {
		opts.Data = []string{filepath.Join(dir, "data")}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "rego-version")); err == nil {
		opts.RegoVersion = strings.TrimSpace(string(b))
	}
	prs, problems, err := policy.Load(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := lint.ValidateUser(rules.All, prs); err != nil {
		t.Fatal(err)
	}
	var paths []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && e.Name() != "policies" && e.Name() != "data" {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	cfg := lint.Config{Paths: paths, WorkDir: root, Jobs: 4, Extra: problems}
	ropt := render.Options{WorkDir: root, RepoRoot: root}
	cfg.Renderers = renderers.All(ropt)
	res, err := lint.Run(t.Context(), cfg, append(slices.Clone(rules.All), prs...))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func readWants(t *testing.T, root, dir string) map[pos][]string {
	t.Helper()
	wants := map[pos][]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		for i, line := range strings.Split(string(data), "\n") {
			for _, re := range []*regexp.Regexp{wantBuiltin, wantPolicy} {
				if m := re.FindStringSubmatch(line); m != nil {
					wants[pos{rel, i + 1}] = append(wants[pos{rel, i + 1}], strings.Fields(m[1])...)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return wants
}

func compare(wants map[pos][]string, findings []lint.Finding) []string {
	left := map[pos][]string{}
	for p, ids := range wants {
		left[p] = slices.Clone(ids)
	}
	var out []string
	for _, f := range findings {
		p := pos{f.File, f.Line}
		if i := slices.Index(left[p], f.Rule); i >= 0 {
			left[p] = slices.Delete(left[p], i, i+1)
			continue
		}
		out = append(out, fmt.Sprintf("%s:%d:%d: unexpected %s %s: %s", f.File, f.Line, f.Column, f.Rule, f.Name, f.Message))
	}
	for p, ids := range left {
		for _, id := range ids {
			out = append(out, fmt.Sprintf("%s:%d: want %s, got none", p.file, p.line, id))
		}
	}
	slices.Sort(out)
	return out
}
