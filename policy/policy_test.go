package policy_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/policy"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/renderers"
	"github.com/oomlint/oomlint/rules"
)

var update = flag.Bool("update", false, "rewrite golden files")

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: prod
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: api
          image: example/api:1
          resources:
            requests:
              memory: 64Mi
            limits:
              memory: 96Mi
`

// run loads the policies under dir/policies and lints dir/manifests with
// only the policy rules (plus OOM902), returning the rules and findings.
func run(t *testing.T, dir string, opts policy.Options) ([]*lint.Rule, []lint.Finding) {
	t.Helper()
	if opts.Policies == nil {
		opts.Policies = []string{filepath.Join(dir, "policies")}
	}
	opts.WorkDir = dir
	opts.Builtins = rules.All
	prs, problems, err := policy.Load(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := lint.ValidateUser(rules.All, prs); err != nil {
		t.Fatal(err)
	}
	cfg := lint.Config{Paths: []string{filepath.Join(dir, "manifests")}, WorkDir: dir, Jobs: 4, Extra: problems}
	cfg.Renderers = renderers.All(render.Options{WorkDir: dir, RepoRoot: dir})
	meta := slices.DeleteFunc(slices.Clone(rules.All), func(r *lint.Rule) bool { return r.Scope != lint.EngineScope })
	res, err := lint.Run(t.Context(), cfg, append(meta, prs...))
	if err != nil {
		t.Fatal(err)
	}
	return prs, res.Findings
}

// brief is a finding in one line: file:line:col rule severity message [path].
func brief(fs []lint.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("%s:%d:%d %s %s %s [%s]", f.File, f.Line, f.Column, f.Rule, f.Severity, f.Message, f.Path)
	}
	return out
}

func TestResultShapes(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "manifests/deploy.yaml", deployment)
	write(t, dir, "policies/shapes.rego", `package shapes

deny contains "a string result" if input.kind == "Deployment"

deny contains {"msg": "path as a string", "path": "spec.template.spec.containers[0].resources.limits.memory"} if input.kind == "Deployment"

deny contains {"msg": "path as an array", "path": ["spec", "template", "spec", "containers", 0, "image"], "fix": "pin the image"} if input.kind == "Deployment"

warn contains {"msg": "raised to error", "path": "spec.replicas", "severity": "error"} if input.kind == "Deployment"

warn_quoted contains {"msg": "quoted key", "path": "metadata[\"name\"]"} if input.kind == "Deployment"

violation contains {"msg": "bad path", "path": "spec..x"} if input.kind == "Deployment"
`)
	write(t, dir, "policies/bool.rego", `package flag

deny if input.spec.replicas == 1
`)
	_, fs := run(t, dir, policy.Options{})
	want := []string{
		"manifests/deploy.yaml:2:1 flag.deny error Deployment is denied by data.flag.deny []",
		"manifests/deploy.yaml:2:1 shapes.deny error a string result []",
		"manifests/deploy.yaml:2:1 shapes.violation error bad path (the result's path: \"spec..x\" is not a field path) []",
		"manifests/deploy.yaml:4:9 shapes.warn_quoted warning quoted key [metadata.name]",
		"manifests/deploy.yaml:7:13 shapes.warn error raised to error [spec.replicas]",
		"manifests/deploy.yaml:12:18 shapes.deny error path as an array [spec.template.spec.containers[0].image]",
		"manifests/deploy.yaml:17:23 shapes.deny error path as a string [spec.template.spec.containers[0].resources.limits.memory]",
	}
	if diff := gocmp.Diff(want, brief(fs)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	for _, f := range fs {
		if f.Message == "path as an array" && (f.Fix != "pin the image" || f.Container != "api") {
			t.Errorf("fix %q container %q, want the result's fix and container api", f.Fix, f.Container)
		}
	}
}

func TestMetadata(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "manifests/deploy.yaml", deployment)
	write(t, dir, "policies/meta.rego", `package acme.limits

# METADATA
# title: Memory limit at least 128Mi.
# description: Small limits get OOM-killed at start.
# custom:
#   id: ACME-001
#   name: acme-min-limit
#   severity: warning
#   fix: raise limits.memory to 128Mi
deny_small contains "small" if input.kind == "Deployment"

warn_plain contains "plain" if input.kind == "Deployment"

# METADATA
# custom:
#   id: OOM555
#   name: Not_Kebab
#   severity: fatal
deny_bad contains "bad" if input.kind == "Deployment"
`)
	prs, fs := run(t, dir, policy.Options{})
	type ruleView struct{ ID, Name, Severity, Summary, Fix string }
	var got []ruleView
	for _, r := range prs {
		got = append(got, ruleView{r.ID, r.Name, r.Severity.String(), r.Summary, r.Fix})
		if r.Scope != lint.ObjectScope || r.Check == nil {
			t.Errorf("%s: scope %d, want ObjectScope with a Check", r.ID, r.Scope)
		}
	}
	want := []ruleView{
		{"ACME-001", "acme-min-limit", "warning", "memory limit at least 128Mi", "raise limits.memory to 128Mi"},
		{"acme.limits.warn_plain", "acme-limits-warn-plain", "warning", "rego policy data.acme.limits.warn_plain", "follow the policy at policies/meta.rego:13"},
		{"acme.limits.deny_bad", "acme-limits-deny-bad", "error", "rego policy data.acme.limits.deny_bad", "follow the policy at policies/meta.rego:20"},
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(prs[0].Doc, "Small limits get OOM-killed at start.") || !strings.Contains(prs[0].Doc, "policies/meta.rego:11") {
		t.Errorf("doc = %q", prs[0].Doc)
	}
	var problems []string
	for _, f := range fs {
		if f.Rule == lint.PolicyErrorID {
			problems = append(problems, fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Message))
		}
	}
	wantProblems := []string{
		`policies/meta.rego:15 custom.id of data.acme.limits.deny_bad: ID "OOM555" starts with OOM, which is reserved for oomlint's built-in rules; using acme.limits.deny_bad`,
		`policies/meta.rego:15 custom.name "Not_Kebab" of data.acme.limits.deny_bad is not kebab-case; using acme-limits-deny-bad`,
		`policies/meta.rego:15 custom.severity of data.acme.limits.deny_bad: unknown severity "fatal" (want error, warning or info)`,
	}
	if diff := gocmp.Diff(wantProblems, problems); diff != "" {
		t.Errorf("OOM902 (-want +got):\n%s", diff)
	}
}

func TestDuplicateIDs(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "manifests/deploy.yaml", deployment)
	write(t, dir, "policies/a.rego", "package a\n\n# METADATA\n# custom:\n#   id: SAME\ndeny contains \"a\" if true\n")
	write(t, dir, "policies/b.rego", "package b\n\n# METADATA\n# custom:\n#   name: memory-limit-missing\ndeny contains \"b\" if true\n\n# METADATA\n# custom:\n#   id: same\ndeny_x contains \"c\" if true\n")
	prs, fs := run(t, dir, policy.Options{})
	if len(prs) != 1 || prs[0].ID != "SAME" {
		t.Errorf("rules = %v, want only SAME", prs)
	}
	var msgs []string
	for _, f := range fs {
		if f.Rule == lint.PolicyErrorID {
			msgs = append(msgs, fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Message))
		}
	}
	want := []string{
		"policies/b.rego:6 rule name memory-limit-missing of data.b.deny is already used by OOM101; the rule is not run",
		"policies/b.rego:11 rule ID same of data.b.deny_x is already used by SAME; the rule is not run",
	}
	if diff := gocmp.Diff(want, msgs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestConftestPolicy takes a policy as conftest users write it, in both
// syntaxes: Rego v0 (deny[msg] {…}) under regoVersion v0, and v1.
func TestConftestPolicy(t *testing.T) {
	v0 := `package main

deny[msg] {
  input.kind == "Deployment"
  not input.spec.template.spec.securityContext.runAsNonRoot
  msg := sprintf("Containers must not run as root in Deployment %s", [input.metadata.name])
}

warn[msg] {
  input.kind == "Deployment"
  input.spec.replicas < 2
  msg := "Deployments should run at least two replicas"
}
`
	v1 := `package main

deny contains msg if {
  input.kind == "Deployment"
  not input.spec.template.spec.securityContext.runAsNonRoot
  msg := sprintf("Containers must not run as root in Deployment %s", [input.metadata.name])
}

warn contains msg if {
  input.kind == "Deployment"
  input.spec.replicas < 2
  msg := "Deployments should run at least two replicas"
}
`
	want := []string{
		"manifests/deploy.yaml:2:1 main.deny error Containers must not run as root in Deployment api []",
		"manifests/deploy.yaml:2:1 main.warn warning Deployments should run at least two replicas []",
	}
	for _, tc := range []struct{ name, src, version string }{{"v0", v0, "v0"}, {"v1", v1, ""}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "manifests/deploy.yaml", deployment)
			write(t, dir, "policies/policy.rego", tc.src)
			_, fs := run(t, dir, policy.Options{RegoVersion: tc.version})
			if diff := gocmp.Diff(want, brief(fs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	t.Run("v0-without-switch", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, "manifests/deploy.yaml", deployment)
		write(t, dir, "policies/policy.rego", v0)
		prs, fs := run(t, dir, policy.Options{})
		if len(prs) != 0 || len(fs) != 1 {
			t.Fatalf("rules %d, findings %q; want one OOM902", len(prs), brief(fs))
		}
		f := fs[0]
		if f.Rule != lint.PolicyErrorID || f.File != "policies/policy.rego" || f.Line != 3 || !strings.Contains(f.Message, "regoVersion: v0") {
			t.Errorf("got %s", brief(fs))
		}
	})
	if _, _, err := policy.Load(t.Context(), policy.Options{RegoVersion: "v2"}); err == nil {
		t.Error("rego version v2: no error")
	}
}

func TestRefusedBuiltins(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "manifests/deploy.yaml", deployment)
	write(t, dir, "policies/http.rego", "package h\n\ndeny contains msg if {\n\tr := http.send({\"method\": \"GET\", \"url\": \"https://x\"})\n\tmsg := r.body\n}\n")
	write(t, dir, "policies/net.rego", "package n\n\ndeny contains msg if {\n\tips := net.lookup_ip_addr(\"example.com\")\n\tmsg := sprintf(\"%v\", [ips])\n}\n")
	write(t, dir, "policies/runtime.rego", "package r\n\ndeny contains msg if {\n\tmsg := opa.runtime().env.HOME\n}\n")
	write(t, dir, "policies/ok.rego", "package ok\n\ndeny contains \"still runs\" if input.kind == \"Deployment\"\n")
	prs, fs := run(t, dir, policy.Options{})
	want := []string{
		"manifests/deploy.yaml:2:1 ok.deny error still runs []",
		"policies/http.rego:4:7 OOM902 error http.send is not available in oomlint policies: oomlint evaluates offline, with no network access (http.send and net.* lookups are removed) []",
		"policies/net.rego:4:9 OOM902 error net.lookup_ip_addr is not available in oomlint policies: oomlint evaluates offline, with no network access (http.send and net.* lookups are removed) []",
		"policies/runtime.rego:4:9 OOM902 error opa.runtime is not available in oomlint policies: it would expose the environment of the machine running the lint []",
	}
	if diff := gocmp.Diff(want, brief(fs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(prs) != 1 {
		t.Errorf("%d rules, want only ok.deny", len(prs))
	}
}

func TestCompileAndEvalErrors(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "manifests/deploy.yaml", deployment)
	write(t, dir, "policies/unsafe.rego", "package unsafe\n\ndeny contains msg if {\n\tinput.kind == \"Deployment\"\n\tmsg == x\n}\n")
	write(t, dir, "policies/conflict.rego", "package conflict\n\nname := input.metadata.name\n\nname := \"other\" if input.kind == \"Deployment\"\n\ndeny contains name\n")
	write(t, dir, "policies/slow.rego", "package slow\n\ndeny contains \"never\" if {\n\tsome i in numbers.range(1, 100000000)\n\ti < 0\n}\n")
	_, fs := run(t, dir, policy.Options{Timeout: 50 * time.Millisecond})
	got := brief(fs)
	want := []string{
		"policies/conflict.rego:5:1 OOM902 error policy conflict.deny (data.conflict.deny) failed on Deployment prod/api: eval_conflict_error: rule data.conflict.name produced conflicting values:",
		"policies/slow.rego:3:1 OOM902 error policy slow.deny (data.slow.deny) did not finish on Deployment prod/api within 50ms; it is stopped so a runaway policy cannot hang the run []",
		"policies/unsafe.rego:5:2 OOM902 error rego_unsafe_var_error: var msg is unsafe []",
		"policies/unsafe.rego:5:2 OOM902 error rego_unsafe_var_error: var x is unsafe []",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d findings, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("finding %d:\n got %s\nwant %s…", i, got[i], want[i])
		}
	}
	for _, f := range fs {
		if strings.Contains(f.Message, "failed on") && (len(f.Related) == 0 || f.Related[0].File != "manifests/deploy.yaml") {
			t.Errorf("eval error related = %v, want the object's line", f.Related)
		}
	}
}

func TestDataAndPackages(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "manifests/deploy.yaml", deployment)
	write(t, dir, "data/limits.yaml", "limits:\n  minMemoryBytes: 134217728\n")
	write(t, dir, "policies/min.rego", `package org.min

import data.oomlint.facts

deny contains {"msg": sprintf("%s below the organisation minimum", [c.limit.raw]), "path": c.limit.path} if {
	some c in facts.workload.containers
	c.limit.bytes < data.limits.minMemoryBytes
}
`)
	write(t, dir, "policies/other.rego", "package org.other\n\ndeny contains \"other\" if true\n")
	prs, fs := run(t, dir, policy.Options{Data: []string{filepath.Join(dir, "data")}, Packages: []string{"org.min"}})
	want := []string{"manifests/deploy.yaml:17:23 org.min.deny error 96Mi below the organisation minimum [spec.template.spec.containers[0].resources.limits.memory]"}
	if diff := gocmp.Diff(want, brief(fs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(prs) != 1 {
		t.Errorf("%d rules, want 1 (packages filter)", len(prs))
	}

	write(t, dir, "data2/oomlint.json", `{"oomlint": {"facts": 1}}`)
	_, problems, err := policy.Load(t.Context(), policy.Options{Policies: []string{filepath.Join(dir, "policies")}, Data: []string{filepath.Join(dir, "data2")}, WorkDir: dir})
	if err != nil || len(problems) != 1 || !strings.Contains(problems[0].Message, "reserved") {
		t.Errorf("data.oomlint: err %v, problems %v", err, problems)
	}
	if _, _, err := policy.Load(t.Context(), policy.Options{Policies: []string{filepath.Join(dir, "missing")}, WorkDir: dir}); err == nil {
		t.Error("missing policy dir: no error")
	}
	if _, _, err := policy.Load(t.Context(), policy.Options{Policies: []string{filepath.Join(dir, "policies")}, Data: []string{filepath.Join(dir, "nodata")}, WorkDir: dir}); err == nil {
		t.Error("missing data dir: no error")
	}
}

// TestInputGolden is the input contract: what a policy sees as input and
// data.oomlint.facts for the Deployment of testdata/policy-input, echoed
// by its policy. docs/rego.md shows the same document.
func TestInputGolden(t *testing.T) {
	root := moduleRoot(t)
	res := lintWithPolicies(t, root, filepath.Join(root, "testdata", "policy-input"))
	var msg string
	for _, f := range res.Findings {
		if f.Rule == "ECHO" {
			msg = f.Message
		}
	}
	if msg == "" {
		t.Fatal("the echo policy did not fire")
	}
	var doc any
	if err := json.Unmarshal([]byte(msg), &doc); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "input.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("input (-want +got), rerun with -update:\n%s", diff)
	}
}

// TestParallel shares the prepared queries across workers: run with -race.
func TestParallel(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&b, "---\n%s", strings.Replace(deployment, "name: api\n  namespace", fmt.Sprintf("name: api-%d\n  namespace", i), 1))
	}
	write(t, dir, "manifests/many.yaml", b.String())
	write(t, dir, "policies/p.rego", `package p

import data.oomlint.facts

deny contains {"msg": sprintf("%s: %s", [input.metadata.name, c.limit.raw]), "path": c.limit.path} if {
	some c in facts.workload.containers
	c.limit.bytes < 128 * 1024 * 1024
}

warn contains input.metadata.name if input.spec.replicas < 2
`)
	_, fs := run(t, dir, policy.Options{})
	if len(fs) != 400 {
		t.Errorf("%d findings, want 400", len(fs))
	}
}

func TestParsePath(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      bool
	}{
		{"spec.template.spec.containers[0].resources.limits.memory", "spec.template.spec.containers[0].resources.limits.memory", false},
		{`metadata.annotations["oomlint.io/ignore"]`, `metadata.annotations["oomlint.io/ignore"]`, false},
		{`metadata.annotations['a.b']`, `metadata.annotations["a.b"]`, false},
		{".spec.replicas", "spec.replicas", false},
		{"", "", false},
		{"spec..x", "", true},
		{"spec.containers[x]", "", true},
		{"spec.containers[0", "", true},
	} {
		p, err := policy.ParsePath(tc.in)
		if (err != nil) != tc.err || (err == nil && p.String() != tc.want) {
			t.Errorf("ParsePath(%q) = %q, %v; want %q, error %v", tc.in, p.String(), err, tc.want, tc.err)
		}
	}
}
