package rules_test

import (
	"testing"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/rules"
)

func TestValidateAll(t *testing.T) {
	if err := lint.Validate(rules.All); err != nil {
		t.Errorf("lint.Validate(rules.All):\n%v", err)
	}
}

func TestValidateRejects(t *testing.T) {
	check := func(*lint.Pass) []lint.Diagnostic { return nil }
	good := func() *lint.Rule {
		return &lint.Rule{
			ID: "OOM199", Name: "test-rule", Severity: lint.Warning, Scope: lint.ContainerScope,
			Summary: "a rule for tests", Doc: "doc", Fix: "fix", Check: check, Since: "0.1.0",
		}
	}
	tests := []struct {
		name   string
		mutate func(r *lint.Rule)
	}{
		{"lower-case ID", func(r *lint.Rule) { r.ID = "oom199" }},
		{"short ID", func(r *lint.Rule) { r.ID = "OOM19" }},
		{"letter O for zero", func(r *lint.Rule) { r.ID = "OOM1O9" }},
		{"user prefix", func(r *lint.Rule) { r.ID = "ACME001" }},
		{"camelCase name", func(r *lint.Rule) { r.Name = "testRule" }},
		{"snake_case name", func(r *lint.Rule) { r.Name = "test_rule" }},
		{"trailing dash", func(r *lint.Rule) { r.Name = "test-" }},
		{"empty name", func(r *lint.Rule) { r.Name = "" }},
		{"no severity", func(r *lint.Rule) { r.Severity = 0 }},
		{"unknown severity", func(r *lint.Rule) { r.Severity = lint.Error + 1 }},
		{"trailing period", func(r *lint.Rule) { r.Summary = "a rule for tests." }},
		{"no summary", func(r *lint.Rule) { r.Summary = "" }},
		{"no doc", func(r *lint.Rule) { r.Doc = "" }},
		{"no fix", func(r *lint.Rule) { r.Fix = "" }},
		{"nil Check", func(r *lint.Rule) { r.Check = nil }},
		{"nil Check on a workload rule", func(r *lint.Rule) { r.Scope, r.Check = lint.WorkloadScope, nil }},
		{"Check on an engine rule", func(r *lint.Rule) { r.Scope = lint.EngineScope }},
		{"no scope", func(r *lint.Rule) { r.Scope = 0 }},
		{"no since", func(r *lint.Rule) { r.Since = "" }},
		{"since with the tag's v", func(r *lint.Rule) { r.Since = "v0.1.0" }},
		{"since without a patch number", func(r *lint.Rule) { r.Since = "0.1" }},
		{"since with a leading zero", func(r *lint.Rule) { r.Since = "0.01.0" }},
	}
	if err := lint.Validate([]*lint.Rule{good()}); err != nil {
		t.Fatalf("the base rule is invalid: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good()
			tt.mutate(r)
			if err := lint.Validate([]*lint.Rule{r}); err == nil {
				t.Errorf("Validate accepted %+v", *r)
			}
		})
	}

	t.Run("duplicate ID", func(t *testing.T) {
		a, b := good(), good()
		b.Name = "other-rule"
		if err := lint.Validate([]*lint.Rule{a, b}); err == nil {
			t.Error("Validate accepted two rules with one ID")
		}
	})
	t.Run("duplicate name", func(t *testing.T) {
		a, b := good(), good()
		b.ID = "OOM198"
		if err := lint.Validate([]*lint.Rule{a, b}); err == nil {
			t.Error("Validate accepted two rules with one name")
		}
	})
	t.Run("duplicate of a built-in", func(t *testing.T) {
		r := good()
		r.ID = rules.All[0].ID
		if err := lint.Validate(append([]*lint.Rule{r}, rules.All...)); err == nil {
			t.Errorf("Validate accepted a second %s", r.ID)
		}
	})
}

// TestFamilies checks every built-in rule says which family it belongs to
// (its code scanning tag) and that families are lower-case words.
func TestFamilies(t *testing.T) {
	for _, r := range rules.All {
		if r.Family == "" || r.Family == "custom" {
			t.Errorf("%s %s: no family", r.ID, r.Name)
		}
		for _, c := range r.Family {
			if (c < 'a' || c > 'z') && c != '-' {
				t.Errorf("%s: family %q is not a lower-case word", r.ID, r.Family)
				break
			}
		}
	}
}
