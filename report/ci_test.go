package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/oomlint/oomlint/internal/jsonschema"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/rules"
)

// ciOpt is what cmd passes for a run from report/testdata in this
// repository: paths in CI formats are relative to the repository root.
var ciOpt = Options{RepoDir: "report/testdata", Version: "v1.2.3", FailOn: lint.Warning}

// sharedValues is what the canonical repo cannot produce yet: one values
// line feeding two Deployments, related locations (one outside the
// repository), braces and brackets in messages, an object-less finding.
func sharedValues() *lint.Result {
	obj := func(name string) *lint.ObjectRef {
		return &lint.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: name}
	}
	related := []lint.Related{
		{File: "charts/shop/templates/deployment.yaml", Line: 31, Column: 13, Message: "limit rendered by this template"},
		{File: "platform/limits.yaml", Line: 9, Message: "default [limits.memory] from LimitRange shop/mem"},
		{File: "../../../outside/values-prod.yaml", Line: 4, Message: "value overridden by --values"},
	}
	f := func(name string) lint.Finding {
		return lint.Finding{
			Rule: "OOM201", Name: "jvm-heap-exceeds-limit", Severity: lint.Error,
			Message: "-Xmx1g is 100% of the 1Gi memory limit {heap}", Fix: "lower -Xmx to 768m or raise limits.memory to 1280Mi",
			File: "charts/shop/values.yaml", Line: 12, Column: 5, Object: obj(name), Container: "app",
			Path: "spec.template.spec.containers[0].env[0].value", Related: related,
		}
	}
	return &lint.Result{
		Findings: []lint.Finding{
			f("cart"), f("checkout"),
			{Rule: "OOM901", Name: "parse-error", Severity: lint.Error, Message: "invalid YAML: did not find expected key",
				File: "weird dir/100%.yaml", Line: 3, Column: 0},
			{Rule: "OOM306", Name: "termination-message-policy", Severity: lint.Info, Message: "no FallbackToLogsOnError",
				Fix: "set terminationMessagePolicy: FallbackToLogsOnError", File: "charts/shop/templates/deployment.yaml", Line: 20, Column: 9,
				Object: obj("cart"), Container: "app", Path: "spec.template.spec.containers[0]"},
		},
		Summary: lint.Summary{Files: 3, Objects: 2, Units: 1, Error: 3, Info: 1},
		Rules:   pick(rules.All, "OOM201", "OOM306", "OOM901"),
		Files:   []string{"charts/shop/templates/deployment.yaml", "charts/shop/values.yaml", "platform/limits.yaml", "weird dir/100%.yaml"},
	}
}

// pick returns the rules with the given IDs.
func pick(all []*lint.Rule, ids ...string) []*lint.Rule {
	return slices.DeleteFunc(slices.Clone(all), func(r *lint.Rule) bool { return !slices.Contains(ids, r.ID) })
}

// usedRules keeps in r.Rules only the rules its findings name, so the
// SARIF goldens do not change whenever a rule is added or its doc edited;
// TestSARIFAllRules covers the full list.
func usedRules(r *lint.Result) *lint.Result {
	cp := *r
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.Rule)
	}
	if len(ids) == 0 {
		ids = []string{"OOM101"}
	}
	cp.Rules = pick(r.Rules, ids...)
	return &cp
}

func TestSARIFAllRules(t *testing.T) {
	var log sarifLog
	if err := json.Unmarshal(render(t, SARIF, lintRepo(t, "repo/clean.yaml", 0), ciOpt), &log); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range log.Runs[0].Tool.Driver.Rules {
		got = append(got, r.ID)
	}
	var want []string
	for _, r := range rules.All {
		if !r.Off {
			want = append(want, r.ID)
		}
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tool.driver.rules (-want +got):\n%s", diff)
	}
	if len(log.Runs[0].Results) != 0 {
		t.Errorf("clean run has results")
	}
}

func TestCIGolden(t *testing.T) {
	repo := usedRules(lintRepo(t, "repo", 0))
	clean := usedRules(lintRepo(t, "repo/clean.yaml", 0))
	shared := sharedValues()
	catOpt := ciOpt
	catOpt.SARIFCategory = "k8s"
	devOpt := Options{RepoDir: "report/testdata", Version: "abc123def456"}
	tests := []struct {
		golden string
		write  Writer
		res    *lint.Result
		opt    Options
	}{
		{"sarif.golden", SARIF, repo, ciOpt},
		{"sarif-clean.golden", SARIF, clean, devOpt},
		{"sarif-shared.golden", SARIF, shared, catOpt},
		{"github.golden", GitHub, repo, ciOpt},
		{"github-shared.golden", GitHub, shared, Options{}},
		{"junit.golden", JUnit, repo, ciOpt},
		{"junit-clean.golden", JUnit, clean, ciOpt},
		{"junit-shared.golden", JUnit, shared, Options{FailOn: lint.Error}},
		{"checkstyle.golden", Checkstyle, repo, ciOpt},
		{"checkstyle-clean.golden", Checkstyle, clean, ciOpt},
		{"checkstyle-shared.golden", Checkstyle, shared, Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			checkGolden(t, tt.golden, render(t, tt.write, tt.res, tt.opt))
		})
	}
	t.Run("github-summary.golden", func(t *testing.T) {
		var summary bytes.Buffer
		opt := ciOpt
		opt.StepSummary = &summary
		render(t, GitHub, repo, opt)
		checkGolden(t, "github-summary.golden", summary.Bytes())
	})
}

// TestSARIFSchema validates every golden SARIF against the SARIF 2.1.0
// schema and GitHub's own constraints (INTEGRATIONS.md §1.9).
func TestSARIFSchema(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	const url = "https://json.schemastore.org/sarif-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	goldens, err := filepath.Glob(filepath.Join("testdata", "sarif*.golden"))
	if err != nil || len(goldens) < 3 {
		t.Fatalf("sarif goldens: %v %v", goldens, err)
	}
	// The validator must reject what GitHub rejects.
	good, err := os.ReadFile(filepath.Join("testdata", "sarif.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][2]string{
		{`"level": "note"`, `"level": "info"`},
		{`"startColumn": 27`, `"startColumn": 0`},
		{`"columnKind": "unicodeCodePoints"`, `"columnKind": "bytes"`},
		{`"ruleId": "OOM104",`, `"ruleId": "OOM104", "extra": 1,`},
	} {
		data := bytes.Replace(good, []byte(bad[0]), []byte(bad[1]), 1)
		if bytes.Equal(data, good) {
			t.Fatalf("sarif.golden has no %s", bad[0])
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if schema.Validate(inst) == nil {
			t.Errorf("the schema accepts %s", bad[1])
		}
	}

	// The goldens, plus a live run with every rule's docs.
	docs := map[string]func() []byte{"all rules, live": func() []byte { return render(t, SARIF, lintRepo(t, "repo", 0), ciOpt) }}
	for _, g := range goldens {
		docs[filepath.Base(g)] = func() []byte {
			data, err := os.ReadFile(g)
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
	}
	for name, read := range docs {
		t.Run(name, func(t *testing.T) {
			data := read()
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Errorf("%s does not validate:\n%v", name, err)
			}
			checkGitHubSARIF(t, data)
		})
	}
}

// githubSARIF is the part of a SARIF log GitHub's extra rules are about.
type githubSARIF struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Name  string `json:"name"`
				Rules []struct {
					ID               string `json:"id"`
					Name             string `json:"name"`
					ShortDescription struct {
						Text string `json:"text"`
					} `json:"shortDescription"`
					FullDescription struct {
						Text string `json:"text"`
					} `json:"fullDescription"`
					Help struct {
						Text, Markdown string
					} `json:"help"`
					HelpURI    *string        `json:"helpUri"`
					Properties map[string]any `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results *[]struct {
			RuleID    string `json:"ruleId"`
			RuleIndex *int   `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct {
				Text string `json:"text"`
			} `json:"message"`
			Locations        []sarifLocation        `json:"locations"`
			RelatedLocations []sarifRelatedLocation `json:"relatedLocations"`
			Partial          map[string]string      `json:"partialFingerprints"`
		} `json:"results"`
	} `json:"runs"`
}

var sarifLink = regexp.MustCompile(`(?:^|[^\\])\[(?:[^\]\\]|\\.)*\]\((\d+)\)`)

func checkGitHubSARIF(t *testing.T, data []byte) {
	t.Helper()
	var log githubSARIF
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "oomlint" {
		t.Errorf("driver name %q", run.Tool.Driver.Name)
	}
	if run.Results == nil {
		t.Fatal("results missing or null; upload-sarif rejects that")
	}
	if len(*run.Results) > sarifMaxResults {
		t.Errorf("%d results, over GitHub's limit", len(*run.Results))
	}
	ids := []string{}
	for _, r := range run.Tool.Driver.Rules {
		ids = append(ids, r.ID)
		if r.ShortDescription.Text == "" || r.FullDescription.Text == "" || r.Help.Text == "" || r.Help.Markdown == "" {
			t.Errorf("rule %s lacks a description or help", r.ID)
		}
		if len(r.ShortDescription.Text) > 1024 || len(r.FullDescription.Text) > 1024 || len(r.Name) > 255 {
			t.Errorf("rule %s: a description or the name is over GitHub's limit", r.ID)
		}
		if r.HelpURI != nil && *r.HelpURI == "" {
			t.Errorf("rule %s: empty helpUri", r.ID)
		}
		if _, ok := r.Properties["security-severity"]; ok {
			t.Errorf("rule %s has security-severity", r.ID)
		}
		tags, _ := r.Properties["tags"].([]any)
		if len(tags) == 0 || len(tags) > sarifMaxTags || slices.Contains(tags, any("security")) {
			t.Errorf("rule %s tags %v", r.ID, tags)
		}
	}
	if !slices.IsSorted(ids) {
		t.Errorf("rules not sorted by ID: %v", ids)
	}
	for i, r := range *run.Results {
		where := fmt.Sprintf("results[%d] (%s)", i, r.RuleID)
		if r.RuleIndex != nil && (*r.RuleIndex >= len(ids) || ids[*r.RuleIndex] != r.RuleID) {
			t.Errorf("%s: ruleIndex %d does not point at its rule", where, *r.RuleIndex)
		}
		if !slices.Contains(ids, r.RuleID) {
			t.Errorf("%s: rule not in tool.driver.rules", where)
		}
		if !slices.Contains([]string{"error", "warning", "note"}, r.Level) {
			t.Errorf("%s: level %q", where, r.Level)
		}
		if len(r.Locations) != 1 {
			t.Errorf("%s: %d locations, want exactly 1", where, len(r.Locations))
		}
		if _, ok := r.Partial["primaryLocationLineHash"]; ok {
			t.Errorf("%s: primaryLocationLineHash set", where)
		}
		related := map[int]bool{}
		var locs []sarifPhysicalLocation
		for _, l := range r.Locations {
			locs = append(locs, l.PhysicalLocation)
		}
		for _, l := range r.RelatedLocations {
			if related[l.ID] {
				t.Errorf("%s: related id %d repeated", where, l.ID)
			}
			related[l.ID] = true
			locs = append(locs, l.PhysicalLocation)
		}
		if len(r.RelatedLocations) > sarifMaxRelated {
			t.Errorf("%s: %d related locations", where, len(r.RelatedLocations))
		}
		for _, l := range locs {
			uri := l.ArtifactLocation.URI
			if uri == "" || strings.Contains(uri, "://") || strings.HasPrefix(uri, "/") || strings.HasPrefix(uri, "./") ||
				slices.Contains(strings.Split(uri, "/"), "..") || l.ArtifactLocation.URIBaseID != "%SRCROOT%" {
				t.Errorf("%s: uri %q base %q is not repository-relative", where, uri, l.ArtifactLocation.URIBaseID)
			}
			if l.Region.StartLine < 1 || l.Region.StartColumn < 1 {
				t.Errorf("%s: region %+v, want line and column >= 1", where, l.Region)
			}
		}
		links := map[int]bool{}
		for _, m := range sarifLink.FindAllStringSubmatch(r.Message.Text, -1) {
			id, err := strconv.Atoi(m[1])
			if err != nil {
				t.Fatal(err)
			}
			links[id] = true
			if !related[id] {
				t.Errorf("%s: message links (%d), which no related location has", where, id)
			}
		}
		for id := range related {
			if !links[id] {
				t.Errorf("%s: related location %d is not linked from the message (GitHub would hide it)", where, id)
			}
		}
	}
}

// TestSARIFShared pins the grouping: one result for two Deployments fed by
// one values line, with both named and the chain linked.
func TestSARIFShared(t *testing.T) {
	var log sarifLog
	if err := json.Unmarshal(render(t, SARIF, sharedValues(), Options{}), &log); err != nil {
		t.Fatal(err)
	}
	res := log.Runs[0].Results
	if len(res) != 3 {
		t.Fatalf("%d results, want 3 (the two OOM201 findings share a location)", len(res))
	}
	for _, r := range res {
		if r.RuleID != "OOM201" {
			continue
		}
		for _, want := range []string{"Affects 2 objects", "Deployment shop/cart", "Deployment shop/checkout",
			"[limit rendered by this template](1)", `[default \[limits.memory\] from LimitRange shop/mem](2)`,
			"../../../outside/values-prod.yaml:4", "{{heap}}"} {
			if !strings.Contains(r.Message.Text, want) {
				t.Errorf("message %q lacks %q", r.Message.Text, want)
			}
		}
		if len(r.RelatedLocations) != 2 {
			t.Errorf("%d related locations, want 2 (the file outside the repository goes in the text)", len(r.RelatedLocations))
		}
	}
}

func TestSARIFLimits(t *testing.T) {
	big := &lint.Result{}
	for i := range sarifKeptResults + 1 {
		big.Findings = append(big.Findings, lint.Finding{Rule: "OOM104", Name: "memory-limit-equals-request", Severity: lint.Info,
			Message: "m", File: "a.yaml", Line: i + 1, Column: 1})
	}
	var warn bytes.Buffer
	render(t, SARIF, big, Options{Warnings: &warn})
	if !strings.Contains(warn.String(), "GitHub keeps only") {
		t.Errorf("no warning over %d results: %q", sarifKeptResults, warn.String())
	}
	for i := len(big.Findings); i <= sarifMaxResults; i++ {
		big.Findings = append(big.Findings, lint.Finding{Rule: "OOM104", Severity: lint.Info, Message: "m", File: "b.yaml", Line: i, Column: 1})
	}
	if err := SARIF(&bytes.Buffer{}, big, Options{}); err == nil || !strings.Contains(err.Error(), "--disable") {
		t.Errorf("SARIF over %d results: err = %v, want a hint", sarifMaxResults, err)
	}
}

func TestGitHubEscaping(t *testing.T) {
	tests := []struct{ in, data, prop string }{
		{"a%b", "a%25b", "a%25b"},
		{"line1\nline2\r", "line1%0Aline2%0D", "line1%0Aline2%0D"},
		{"OOM201: a,b", "OOM201: a,b", "OOM201%3A a%2Cb"},
		{"100%:\n", "100%25:%0A", "100%25%3A%0A"},
	}
	for _, tt := range tests {
		if got := escapeData(tt.in); got != tt.data {
			t.Errorf("escapeData(%q) = %q, want %q", tt.in, got, tt.data)
		}
		if got := escapeProperty(tt.in); got != tt.prop {
			t.Errorf("escapeProperty(%q) = %q, want %q", tt.in, got, tt.prop)
		}
	}
}

// TestGitHubCaps checks the order (errors, warnings, notices), the
// per-step caps and the closing notice.
func TestGitHubCaps(t *testing.T) {
	res := &lint.Result{}
	for i := range 12 {
		for _, sev := range []lint.Severity{lint.Info, lint.Warning, lint.Error} {
			res.Findings = append(res.Findings, lint.Finding{Rule: "OOM101", Severity: sev, Message: "m", File: "a.yaml", Line: i + 1, Column: 1})
		}
	}
	out := string(render(t, GitHub, res, Options{}))
	var kinds []string
	for line := range strings.Lines(out) {
		if kind, _, ok := strings.Cut(line, " "); ok && slices.Contains([]string{"::error", "::warning", "::notice"}, kind) {
			kinds = append(kinds, kind)
		}
	}
	want := slices.Concat(slices.Repeat([]string{"::error"}, 10), slices.Repeat([]string{"::warning"}, 10), slices.Repeat([]string{"::notice"}, 10))
	if !slices.Equal(kinds, want) {
		t.Errorf("annotations %v, want 10 of each in order", kinds)
	}
	if !strings.HasSuffix(out, "::notice::6 more findings not annotated (GitHub shows at most 10 errors and 10 warnings per step); see the SARIF report or the job summary\n") {
		t.Errorf("no closing notice:\n%s", out[max(0, len(out)-300):])
	}
}

func TestGitHubSummaryTruncated(t *testing.T) {
	defer func(n int) { githubSummaryLimit = n }(githubSummaryLimit)
	githubSummaryLimit = 1000
	res := &lint.Result{}
	for i := range 50 {
		res.Findings = append(res.Findings, lint.Finding{Rule: "OOM101", Severity: lint.Warning, Message: "a | b", File: "a.yaml", Line: i + 1, Column: 1})
	}
	var summary bytes.Buffer
	render(t, GitHub, res, Options{StepSummary: &summary})
	s := summary.String()
	if len(s) > 1000+200 || !strings.Contains(s, "more findings not shown") || !strings.Contains(s, `a \| b`) {
		t.Errorf("summary not truncated or not escaped (%d bytes):\n%s", len(s), s)
	}
}

// TestXMLWellFormed parses every XML golden and checks JUnit's counts
// against its children and its unique names.
func TestXMLWellFormed(t *testing.T) {
	goldens, _ := filepath.Glob(filepath.Join("testdata", "*.golden"))
	for _, g := range goldens {
		if !strings.HasPrefix(filepath.Base(g), "junit") && !strings.HasPrefix(filepath.Base(g), "checkstyle") {
			continue
		}
		data, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(filepath.Base(g), "junit") {
			var doc checkstyleDoc
			if err := xml.Unmarshal(data, &doc); err != nil {
				t.Errorf("%s: %v", g, err)
			}
			continue
		}
		var doc junitSuites
		if err := xml.Unmarshal(data, &doc); err != nil {
			t.Errorf("%s: %v", g, err)
			continue
		}
		tests, failures := 0, 0
		for _, s := range doc.Suites {
			names := map[string]bool{}
			fails := 0
			for _, c := range s.Cases {
				if names[c.Classname+"\x00"+c.Name] {
					t.Errorf("%s: repeated test case %s %s", g, c.Classname, c.Name)
				}
				names[c.Classname+"\x00"+c.Name] = true
				if c.Failure != nil {
					fails++
				}
			}
			if s.Tests != len(s.Cases) || s.Failures != fails || len(s.Cases) == 0 {
				t.Errorf("%s: suite %s counts tests=%d failures=%d, children %d/%d", g, s.Name, s.Tests, s.Failures, len(s.Cases), fails)
			}
			tests += s.Tests
			failures += s.Failures
		}
		if doc.Tests != tests || doc.Failures != failures {
			t.Errorf("%s: testsuites counts %d/%d, children %d/%d", g, doc.Tests, doc.Failures, tests, failures)
		}
		if bytes.Contains(data, []byte("time=")) || bytes.Contains(data, []byte("timestamp")) || bytes.Contains(data, []byte("hostname")) {
			t.Errorf("%s has times or host names", g)
		}
	}
}

func TestXMLSafe(t *testing.T) {
	if got := xmlSafe("a\x00b\x1bc\td\ne\xff"); got != "abc\td\ne" {
		t.Errorf("xmlSafe = %q", got)
	}
}

func TestDeterministicCI(t *testing.T) {
	for name, write := range map[string]Writer{"sarif": SARIF, "github": GitHub, "junit": JUnit, "checkstyle": Checkstyle} {
		want := render(t, write, lintRepo(t, "repo", 1), ciOpt)
		if got := render(t, write, lintRepo(t, "repo", 8), ciOpt); !bytes.Equal(want, got) {
			t.Errorf("%s: jobs 1 and jobs 8 differ", name)
		}
	}
}
