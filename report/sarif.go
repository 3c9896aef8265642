package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/internal/lazyre"
	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/rules"
)

// GitHub code scanning limits (INTEGRATIONS.md §1.8).
const (
	sarifMaxResults  = 25000 // more rejects the upload
	sarifKeptResults = 5000  // GitHub keeps only this many, by severity
	sarifMaxRelated  = 10    // related locations oomlint links per result
	sarifMaxTags     = 20
	sarifInfoURI     = "https://github.com/oomlint/oomlint"
	sarifSchemaURI   = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifSRCROOT     = "%SRCROOT%"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool               `json:"tool"`
	AutomationDetails *sarifAutomationDetails `json:"automationDetails,omitempty"`
	ColumnKind        string                  `json:"columnKind"`
	Results           []sarifResult           `json:"results"` // never omitted: upload-sarif needs it
}

type sarifAutomationDetails struct {
	ID string `json:"id"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name            string      `json:"name"`
	InformationURI  string      `json:"informationUri"`
	SemanticVersion string      `json:"semanticVersion,omitempty"`
	Version         string      `json:"version,omitempty"`
	Rules           []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string             `json:"id"`
	Name                 string             `json:"name"`
	ShortDescription     sarifText          `json:"shortDescription"`
	FullDescription      sarifText          `json:"fullDescription"`
	Help                 sarifHelp          `json:"help"`
	DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
	Properties           sarifRuleProps     `json:"properties"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags      []string     `json:"tags"`
	Precision string       `json:"precision"`
	Problem   sarifProblem `json:"problem"`
}

type sarifProblem struct {
	Severity string `json:"severity"`
}

type sarifResult struct {
	RuleID           string                 `json:"ruleId"`
	RuleIndex        int                    `json:"ruleIndex"`
	Level            string                 `json:"level"`
	Message          sarifText              `json:"message"`
	Locations        []sarifLocation        `json:"locations"`
	RelatedLocations []sarifRelatedLocation `json:"relatedLocations,omitempty"`
	Properties       sarifResultProps       `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
}

type sarifRelatedLocation struct {
	ID               int                   `json:"id"`
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
	Message          sarifText             `json:"message"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           sarifRegion           `json:"region"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifResultProps struct {
	Object    *jsonObject     `json:"object,omitempty"`
	Container string          `json:"container,omitempty"`
	FieldPath string          `json:"fieldPath,omitempty"`
	Fix       string          `json:"fix,omitempty"`
	Affected  []sarifAffected `json:"affected,omitempty"` // every object when several share the location
}

type sarifAffected struct {
	Object    *jsonObject `json:"object,omitempty"`
	Container string      `json:"container,omitempty"`
	FieldPath string      `json:"fieldPath,omitempty"`
}

// SARIF writes a SARIF 2.1.0 log for GitHub code scanning (INTEGRATIONS.md
// §1): one run, every rule that ran in tool.driver.rules, one result per
// rule and primary location, paths relative to the repository root.
func SARIF(w io.Writer, r *lint.Result, opt Options) error {
	ruleList, index := sarifRules(r)
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: "oomlint", InformationURI: sarifInfoURI, Rules: ruleList,
		}},
		ColumnKind: "unicodeCodePoints",
		Results:    []sarifResult{},
	}
	if v := strings.TrimPrefix(opt.Version, "v"); semverPattern().MatchString(v) {
		run.Tool.Driver.SemanticVersion = v
	} else if opt.Version != "" {
		run.Tool.Driver.Version = opt.Version
	}
	if opt.SARIFCategory != "" {
		run.AutomationDetails = &sarifAutomationDetails{ID: strings.TrimSuffix(opt.SARIFCategory, "/") + "/"}
	}
	for _, g := range groupFindings(r.Findings, opt) {
		run.Results = append(run.Results, sarifResultFor(g, opt, index))
	}
	slices.SortStableFunc(run.Results, func(a, b sarifResult) int {
		pa, pb := a.Locations[0].PhysicalLocation, b.Locations[0].PhysicalLocation
		return cmp.Or(strings.Compare(pa.ArtifactLocation.URI, pb.ArtifactLocation.URI),
			cmp.Compare(pa.Region.StartLine, pb.Region.StartLine),
			cmp.Compare(pa.Region.StartColumn, pb.Region.StartColumn),
			strings.Compare(a.RuleID, b.RuleID))
	})
	switch n := len(run.Results); {
	case n > sarifMaxResults:
		return fmt.Errorf("sarif: %d results is more than the %d GitHub accepts; turn off noisy rules with --disable or raise --fail-on", n, sarifMaxResults)
	case n > sarifKeptResults && opt.Warnings != nil:
		fmt.Fprintf(opt.Warnings, "oomlint: warning: %d SARIF results; GitHub keeps only the %d most severe (turn off info rules with --disable)\n", n, sarifKeptResults)
	}
	return writeJSON(w, sarifLog{Schema: sarifSchemaURI, Version: "2.1.0", Runs: []sarifRun{run}})
}

var semverPattern = lazyre.New(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// sarifRules lists the rules that ran, sorted by ID, plus any rule a
// finding names that is not among them, and maps each ID to its index.
func sarifRules(r *lint.Result) ([]sarifRule, map[string]int) {
	byID := map[string]*lint.Rule{}
	for _, rule := range r.Rules {
		byID[rule.ID] = rule
	}
	for _, f := range r.Findings {
		if byID[f.Rule] == nil {
			byID[f.Rule] = &lint.Rule{ID: f.Rule, Name: cmp.Or(f.Name, strings.ToLower(f.Rule)), Severity: f.Severity,
				Summary: cmp.Or(f.Name, f.Rule), Doc: cmp.Or(f.Name, f.Rule), Fix: f.Fix}
		}
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]sarifRule, 0, len(ids))
	index := map[string]int{}
	for i, id := range ids {
		rule := byID[id]
		index[id] = i
		var help strings.Builder
		_ = rules.Explain(&help, rule) // a strings.Builder never fails
		out = append(out, sarifRule{
			ID: rule.ID, Name: rule.Name,
			ShortDescription:     sarifText{Text: limit(sentence(capitalize(rule.Summary)), 1024)},
			FullDescription:      sarifText{Text: limit(sentence(capitalize(rule.Summary))+" "+rule.Doc, 1024)},
			Help:                 sarifHelp{Text: help.String(), Markdown: helpMarkdown(rule)},
			DefaultConfiguration: sarifConfiguration{Level: sarifLevel(rule.Severity)},
			Properties: sarifRuleProps{
				Tags: ruleTags(rule), Precision: rule.Precision.String(),
				Problem: sarifProblem{Severity: problemSeverity(rule.Severity)},
			},
		})
	}
	return out, index
}

func helpMarkdown(r *lint.Rule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s %s** (%s)\n\n%s\n\n%s\n\n**Fix:** %s\n", r.ID, r.Name, r.Severity, sentence(capitalize(r.Summary)), r.Doc, r.Fix)
	if r.Example != "" {
		fmt.Fprintf(&b, "\nFires on:\n\n```yaml\n%s\n```\n", strings.TrimRight(r.Example, "\n"))
	}
	if r.Good != "" {
		fmt.Fprintf(&b, "\nFixed:\n\n```yaml\n%s\n```\n", strings.TrimRight(r.Good, "\n"))
	}
	return b.String()
}

// ruleTags are the code-scanning tags of a rule: never "security", which
// would file memory mistakes as vulnerabilities.
func ruleTags(r *lint.Rule) []string {
	tags := []string{"reliability", "kubernetes", "memory"}
	if r.Family != "" {
		tags = append(tags, r.Family)
	}
	return tags[:min(len(tags), sarifMaxTags)]
}

func sarifLevel(s lint.Severity) string {
	switch s {
	case lint.Error:
		return "error"
	case lint.Info:
		return "note"
	default:
		return "warning"
	}
}

func problemSeverity(s lint.Severity) string {
	switch s {
	case lint.Error:
		return "error"
	case lint.Info:
		return "recommendation"
	default:
		return "warning"
	}
}

// group is the findings of one rule at one primary location: one
// `resources:` block in a values file that feeds three Deployments.
type group struct {
	file     string // relative to the repository root
	line     int
	column   int
	findings []lint.Finding
}

// groupFindings groups findings by rule and primary location, in the
// result's order.
func groupFindings(fs []lint.Finding, opt Options) []*group {
	type key struct {
		rule, file   string
		line, column int
	}
	var out []*group
	seen := map[key]*group{}
	for _, f := range fs {
		file := repoPath(opt, f.File)
		k := key{f.Rule, file, max(f.Line, 1), max(f.Column, 1)}
		g := seen[k]
		if g == nil {
			g = &group{file: file, line: k.line, column: k.column}
			seen[k] = g
			out = append(out, g)
		}
		g.findings = append(g.findings, f)
	}
	return out
}

func sarifResultFor(g *group, opt Options, index map[string]int) sarifResult {
	first := g.findings[0]
	sev := first.Severity
	for _, f := range g.findings {
		sev = max(sev, f.Severity)
	}
	res := sarifResult{
		RuleID: first.Rule, RuleIndex: index[first.Rule], Level: sarifLevel(sev),
		Locations: []sarifLocation{{PhysicalLocation: physical(g.file, g.line, g.column)}},
		Properties: sarifResultProps{
			Object: refJSON(first.Object), Container: first.Container, FieldPath: first.Path, Fix: first.Fix,
		},
	}
	var msg strings.Builder
	msg.WriteString(noLinks(sentence(first.Message)))
	if len(g.findings) > 1 {
		labels := make([]string, 0, len(g.findings))
		for _, f := range g.findings {
			labels = append(labels, cmp.Or(objectLabel(f), f.File))
			res.Properties.Affected = append(res.Properties.Affected, sarifAffected{
				Object: refJSON(f.Object), Container: f.Container, FieldPath: f.Path,
			})
		}
		labels = slices.Compact(labels)
		fmt.Fprintf(&msg, " Affects %d objects: %s.", len(g.findings), noLinks(strings.Join(labels, "; ")))
	} else if label := objectLabel(first); label != "" {
		fmt.Fprintf(&msg, " In %s.", noLinks(label))
	}
	if first.Fix != "" {
		fmt.Fprintf(&msg, " Fix: %s", noLinks(sentence(first.Fix)))
	}
	// The chain behind the finding: linked when the file is in the
	// repository (GitHub shows only related locations the message links),
	// named in the text otherwise.
	type relKey struct {
		file      string
		line, col int
		msg       string
	}
	seen := map[relKey]bool{}
	var links, unlinked []string
	for _, f := range g.findings {
		for _, rel := range f.Related {
			file := repoPath(opt, rel.File)
			k := relKey{file, rel.Line, rel.Column, rel.Message}
			if seen[k] {
				continue
			}
			seen[k] = true
			text := cmp.Or(rel.Message, "related location")
			if !inRepo(file) || len(res.RelatedLocations) >= sarifMaxRelated {
				unlinked = append(unlinked, fmt.Sprintf("%s (%s:%d)", text, file, max(rel.Line, 1)))
				continue
			}
			id := len(res.RelatedLocations) + 1
			res.RelatedLocations = append(res.RelatedLocations, sarifRelatedLocation{
				ID: id, PhysicalLocation: physical(file, rel.Line, rel.Column), Message: sarifText{Text: escapeBraces(noLinks(text))},
			})
			links = append(links, fmt.Sprintf("[%s](%d)", linkText(text), id))
		}
	}
	if len(links) > 0 {
		fmt.Fprintf(&msg, " See %s.", strings.Join(links, ", "))
	}
	if len(unlinked) > 0 {
		fmt.Fprintf(&msg, " Also: %s.", noLinks(strings.Join(unlinked, "; ")))
	}
	res.Message.Text = escapeBraces(msg.String())
	return res
}

func physical(file string, line, col int) sarifPhysicalLocation {
	return sarifPhysicalLocation{
		ArtifactLocation: sarifArtifactLocation{URI: encodeURI(file), URIBaseID: sarifSRCROOT},
		Region:           sarifRegion{StartLine: max(line, 1), StartColumn: max(col, 1)},
	}
}

func refJSON(r *lint.ObjectRef) *jsonObject {
	if r == nil {
		return nil
	}
	return &jsonObject{APIVersion: r.APIVersion, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}
}

// escapeBraces doubles { and }, which SARIF messages reserve for
// placeholders. Link syntax [text](n) is left alone.
func escapeBraces(s string) string {
	return strings.NewReplacer("{", "{{", "}", "}}").Replace(s)
}

// noLinks keeps user text from forming an embedded link ([text](n)),
// which GitHub would render as a link to a related location.
func noLinks(s string) string {
	return strings.ReplaceAll(s, "](", `\](`)
}

// linkText escapes brackets inside the text of an embedded link, the one
// place SARIF needs them escaped.
func linkText(s string) string {
	return strings.NewReplacer("[", `\[`, "]", `\]`).Replace(s)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// limit cuts s to n bytes on a rune boundary, with an ellipsis.
func limit(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
