package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestObjectScope runs an ObjectScope rule over every object, workloads and
// namespace objects alike; a diagnostic with Rule and At is reported as
// that engine rule at that place; Config.Extra findings are stamped,
// suppressed by comment and counted like the run's own.
func TestObjectScope(t *testing.T) {
	dir := t.TempDir()
	manifest := `apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
  namespace: shop
spec:
  limits:
    - type: Container
      default:
        memory: 512Mi
---
apiVersion: v1
kind: Pod
metadata:
  name: api
  namespace: shop
spec:
  containers:
    - name: api
      image: x
`
	if err := os.WriteFile(filepath.Join(dir, "m.yaml"), []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "p.rego"), []byte("# oomlint:ignore OOM902 known broken\nbad\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	engine := &Rule{ID: PolicyErrorID, Name: "policy-error", Severity: Error, Scope: EngineScope, Summary: "s", Doc: "d", Fix: "fix the policy", Since: "0.1.0"}
	every := &Rule{ID: "ACME-1", Name: "acme-every", Severity: Warning, Scope: ObjectScope, Summary: "s", Doc: "d", Fix: "f",
		Check: func(p *Pass) []Diagnostic {
			ns := "<nil>"
			if p.Namespace != nil {
				ns = fmt.Sprintf("%s/%d", p.Namespace.Name, len(p.Namespace.LimitRangeObjects))
			}
			d := Diagnostic{Path: Root.Keys("metadata", "name"), Message: fmt.Sprintf("%s workload=%v ns=%s", p.Object.Kind, p.Workload != nil, ns)}
			if p.Object.Kind == "Pod" {
				return []Diagnostic{d, {Rule: PolicyErrorID, At: &Location{File: "p.rego", Line: 7, Column: 3}, Message: "eval failed"}}
			}
			return []Diagnostic{d}
		}}
	if err := ValidateUser([]*Rule{engine}, []*Rule{every}); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Paths: []string{dir}, WorkDir: dir, Extra: []Finding{
		{Rule: PolicyErrorID, File: "p.rego", Line: 2, Column: 1, Message: "suppressed"},
		{Rule: PolicyErrorID, File: "p.rego", Line: 9, Column: 1, Message: "compile failed"},
	}}
	res, err := Run(t.Context(), cfg, []*Rule{engine, every})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s:%d:%d %s %s %s %s", f.File, f.Line, f.Column, f.Rule, f.Name, f.Severity, f.Message))
	}
	want := []string{
		"m.yaml:4:9 ACME-1 acme-every warning LimitRange workload=false ns=shop/1",
		"m.yaml:15:9 ACME-1 acme-every warning Pod workload=true ns=shop/1",
		"p.rego:7:3 OOM902 policy-error error eval failed",
		"p.rego:9:1 OOM902 policy-error error compile failed",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if res.Summary.Error != 2 || res.Summary.Warning != 2 {
		t.Errorf("summary %+v", res.Summary)
	}
}

func TestValidateUser(t *testing.T) {
	mk := func(id, name string) *Rule {
		return &Rule{ID: id, Name: name, Severity: Error, Scope: ObjectScope, Summary: "s", Doc: "d", Fix: "f", Check: func(*Pass) []Diagnostic { return nil }}
	}
	builtin := mk("OOM101", "memory-limit-missing")
	builtin.Since = "0.1.0"
	for _, tc := range []struct {
		user *Rule
		want string
	}{
		{mk("ACME-1", "acme-one"), ""},
		{mk("main.deny", "main-deny"), ""},
		{mk("oom999", "x"), "reserved"},
		{mk("1abc", "x"), "must match"},
		{mk("ACME-2", "memory-limit-missing"), "duplicate name"},
	} {
		err := ValidateUser([]*Rule{builtin}, []*Rule{tc.user})
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: err %v, want %q", tc.user.ID, err, tc.want)
		}
	}
	if err := Validate([]*Rule{mk("ACME-1", "acme-one")}); err == nil {
		t.Error("Validate accepts a user ID")
	}
}

func TestPolicyConfigKeys(t *testing.T) {
	dir := t.TempDir()
	write := func(text string) string {
		p := filepath.Join(dir, ".oomlint.yaml")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fc, err := LoadConfigFile(write("policies: [policies, ../shared]\npolicyData: [data]\npolicyPackages: [main]\nregoVersion: v0\npolicyTimeout: 3s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fc.Abs(fc.Policies[0]); got != filepath.Join(dir, "policies") || fc.RegoVersion != "v0" || fc.PolicyTimeout != "3s" {
		t.Errorf("policies %q regoVersion %q timeout %q", got, fc.RegoVersion, fc.PolicyTimeout)
	}
	for text, want := range map[string]string{
		"regoVersion: v2\n":    ".oomlint.yaml:1: regoVersion: unknown value \"v2\", want one of v0, v1",
		"policyTimeout: 2x\n":  ".oomlint.yaml:1: policyTimeout \"2x\" is not a positive duration (e.g. 2s)",
		"policyTimeout: -1s\n": ".oomlint.yaml:1: policyTimeout \"-1s\" is not a positive duration (e.g. 2s)",
	} {
		_, err := LoadConfigFile(write(text))
		if err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%q: err %v, want …%s", text, err, want)
		}
	}
}
