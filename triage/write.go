package triage

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/report"
)

// Formats are the report formats triage writes: lint's writers, with the
// containers found nowhere in the repository added as each format allows.
var Formats = []string{"text", "json", "sarif", "github"}

// Write writes a triage report in one of Formats.
func Write(w io.Writer, format string, rep *Report, opt report.Options) error {
	switch format {
	case "text":
		return writeText(w, rep, opt)
	case "json":
		return writeJSON(w, rep, opt)
	case "sarif":
		return writeSARIF(w, rep, opt)
	case "github":
		return writeGitHub(w, rep, opt)
	}
	return fmt.Errorf("unknown format %q (valid: %s)", format, strings.Join(Formats, ", "))
}

// Severity is the severity unmatched containers count with for --fail-on:
// their rule's, 0 when it is disabled.
func (rep *Report) Severity() lint.Severity {
	var worst lint.Severity
	for _, f := range rep.Result.Findings {
		worst = max(worst, f.Severity)
	}
	if r := rep.unmatchedRule(); r != nil && len(rep.Unmatched) > 0 {
		worst = max(worst, r.Severity)
	}
	return worst
}

func (rep *Report) unmatchedRule() *lint.Rule {
	for _, r := range rep.Result.Rules {
		if r.ID == lint.NotInRepoID {
			return r
		}
	}
	return nil
}

// unmatched are the unmatched containers the report lists: none when their
// rule is disabled.
func (rep *Report) unmatched() []Unmatched {
	if rep.unmatchedRule() == nil {
		return nil
	}
	return rep.Unmatched
}

// writeText is lint's text report, then the containers not found in the
// repository, then a summary line.
func writeText(w io.Writer, rep *Report, opt report.Options) error {
	bw := bufio.NewWriter(w)
	if len(rep.Result.Findings) > 0 {
		o := opt
		o.Quiet = true
		if err := report.Text(bw, rep.Result, o); err != nil {
			return err
		}
	}
	if un := rep.unmatched(); len(un) > 0 {
		if len(rep.Result.Findings) > 0 {
			fmt.Fprintln(bw)
		}
		fmt.Fprintf(bw, "Not found in the repository (%s):\n", lint.NotInRepoID)
		for _, u := range un {
			fmt.Fprintf(bw, "%s: %s\n", describe(u.Group), u.Reason)
			fmt.Fprintf(bw, "    killed%s; runs with %s\n", evidence(u.Group), limitText(u.Group))
		}
	}
	if !opt.Quiet {
		if len(rep.Result.Findings) > 0 || len(rep.unmatched()) > 0 {
			fmt.Fprintln(bw)
		}
		fmt.Fprintln(bw, rep.summaryLine())
	}
	return bw.Flush()
}

// summaryLine counts the killed containers, what was traced, and the findings.
func (rep *Report) summaryLine() string {
	n := len(rep.Traced) + len(rep.Unmatched)
	if n == 0 {
		return fmt.Sprintf("no OOM-killed container in %s", plural(rep.Pods, "pod"))
	}
	killed := map[string]bool{}
	for _, g := range rep.groups() {
		for _, p := range g.Pods() {
			killed[g.Namespace+"/"+p] = true
		}
	}
	pods := len(killed)
	s := rep.Result.Summary
	return fmt.Sprintf("%s in %d of %s: %d traced to the repository, %d not found; %s, %s, %d info",
		plural(n, "killed container"), pods, plural(rep.Pods, "pod"), len(rep.Traced), len(rep.Unmatched),
		plural(s.Error, "error"), plural(s.Warning, "warning"), s.Info)
}

// groups are the killed containers of the report, traced or not.
func (rep *Report) groups() []*Group {
	var out []*Group
	for _, t := range rep.Traced {
		out = append(out, t.Group)
	}
	for _, u := range rep.Unmatched {
		out = append(out, u.Group)
	}
	return out
}

// incidentJSON is one killed container in the JSON report.
type incidentJSON struct {
	Namespace     string   `json:"namespace"`
	Workload      refJSON  `json:"workload"`        // as the pods' owners say
	Owner         string   `json:"owner,omitempty"` // the owner the pods name: "ReplicaSet checkout-7d9f8c6b5d"
	Container     string   `json:"container"`
	Init          bool     `json:"init,omitempty"`
	Pods          []string `json:"pods"`
	Termination   string   `json:"termination"` // OOMKilled, or the reason of an exit code 137
	Restarts      int      `json:"restarts"`
	LastKilled    string   `json:"lastKilled"`
	ClusterLimits []string `json:"clusterLimits"` // "" for a pod without a memory limit

	// Traced containers.
	File            string          `json:"file,omitempty"`
	Line            int             `json:"line,omitempty"`
	Object          *objectJSON     `json:"object,omitempty"`
	RepositoryLimit *string         `json:"repositoryLimit,omitempty"` // "" when the repository sets none
	Suggestion      *suggestionJSON `json:"suggestion,omitempty"`

	// Unmatched containers.
	Reason string `json:"reason,omitempty"`
}

type refJSON struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

type objectJSON struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
}

type suggestionJSON struct {
	Limit string `json:"limit"` // "" when there was nothing to base one on
	Basis string `json:"basis"`
	Guess bool   `json:"guess"`
}

func groupJSON(g *Group) incidentJSON {
	term := "OOMKilled"
	if !g.OOM() {
		term = g.Incidents[0].Reason
	}
	return incidentJSON{
		Namespace: g.Namespace, Workload: refJSON{g.Refs[0].Kind, g.Refs[0].Name}, Owner: g.Via,
		Container: g.Container, Init: g.Init, Pods: g.Pods(), Termination: term,
		Restarts: g.Restarts(), LastKilled: g.Last(), ClusterLimits: g.Limits(),
	}
}

// writeJSON is lint's JSON document with two more fields: incidents (each
// traced container, with the numbers behind its finding) and unmatched.
func writeJSON(w io.Writer, rep *Report, opt report.Options) error {
	var buf bytes.Buffer
	if err := report.JSON(&buf, rep.Result, opt); err != nil {
		return err
	}
	var doc struct {
		Version   json.RawMessage `json:"version"`
		Findings  json.RawMessage `json:"findings"`
		Summary   json.RawMessage `json:"summary"`
		Incidents []incidentJSON  `json:"incidents"`
		Unmatched []incidentJSON  `json:"unmatched"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		return err
	}
	doc.Incidents, doc.Unmatched = []incidentJSON{}, []incidentJSON{}
	for _, t := range rep.Traced {
		j := groupJSON(t.Group)
		j.File, j.Line = t.Location.File, t.Location.Line
		o := t.Object
		j.Object = &objectJSON{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
		lim := ""
		if t.Container.Limit.Set() {
			lim = t.Container.Limit.Q.Raw
		}
		j.RepositoryLimit = &lim
		j.Suggestion = &suggestionJSON{Limit: t.Suggestion.Value(), Basis: t.Suggestion.Basis, Guess: t.Suggestion.Guess}
		doc.Incidents = append(doc.Incidents, j)
	}
	for _, u := range rep.unmatched() {
		j := groupJSON(u.Group)
		j.Reason = u.Reason
		doc.Unmatched = append(doc.Unmatched, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// writeSARIF is lint's SARIF log; containers not found in the repository
// have no location code scanning could show, so they are tool execution
// notifications of the run's invocation, as SARIF keeps notes about a run.
func writeSARIF(w io.Writer, rep *Report, opt report.Options) error {
	var buf bytes.Buffer
	if err := report.SARIF(&buf, rep.Result, opt); err != nil {
		return err
	}
	un := rep.unmatched()
	if len(un) == 0 {
		_, err := w.Write(buf.Bytes())
		return err
	}
	type notification struct {
		Level          string            `json:"level"`
		Message        map[string]string `json:"message"`
		AssociatedRule map[string]string `json:"associatedRule"`
		Properties     incidentJSON      `json:"properties"`
	}
	type invocation struct {
		ExecutionSuccessful        bool           `json:"executionSuccessful"`
		ToolExecutionNotifications []notification `json:"toolExecutionNotifications"`
	}
	type run struct {
		Tool              json.RawMessage `json:"tool"`
		AutomationDetails json.RawMessage `json:"automationDetails,omitempty"`
		ColumnKind        json.RawMessage `json:"columnKind"`
		Invocations       []invocation    `json:"invocations"`
		Results           json.RawMessage `json:"results"`
	}
	var log struct {
		Schema  json.RawMessage `json:"$schema"`
		Version json.RawMessage `json:"version"`
		Runs    []run           `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		return err
	}
	inv := invocation{ExecutionSuccessful: true}
	for _, u := range un {
		j := groupJSON(u.Group)
		j.Reason = u.Reason
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, notification{
			Level:          "note",
			Message:        map[string]string{"text": escapeBraces(describe(u.Group) + ": " + u.Reason + ".")},
			AssociatedRule: map[string]string{"id": lint.NotInRepoID},
			Properties:     j,
		})
	}
	for i := range log.Runs {
		log.Runs[i].Invocations = []invocation{inv}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

// escapeBraces doubles { and }, which SARIF messages reserve.
func escapeBraces(s string) string {
	return strings.NewReplacer("{", "{{", "}", "}}").Replace(s)
}

// writeGitHub is lint's workflow commands, then a notice without a file
// for each container not found in the repository (and a list of them in
// the job summary).
func writeGitHub(w io.Writer, rep *Report, opt report.Options) error {
	if err := report.GitHub(w, rep.Result, opt); err != nil {
		return err
	}
	un := rep.unmatched()
	if len(un) == 0 {
		return nil
	}
	bw := bufio.NewWriter(w)
	r := rep.unmatchedRule()
	cmd := map[lint.Severity]string{lint.Error: "error", lint.Warning: "warning", lint.Info: "notice"}[r.Severity]
	for _, u := range un {
		fmt.Fprintf(bw, "::%s title=%s::%s\n", cmd, escapeProperty(r.ID+" "+r.Name), escapeData(describe(u.Group)+": "+u.Reason))
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if opt.StepSummary != nil {
		var b strings.Builder
		b.WriteString("### Not found in the repository\n\n")
		for _, u := range un {
			fmt.Fprintf(&b, "- %s: %s\n", mdText(describe(u.Group)), mdText(u.Reason))
		}
		b.WriteString("\n")
		if _, err := io.WriteString(opt.StepSummary, b.String()); err != nil {
			return fmt.Errorf("step summary: %w", err)
		}
	}
	return nil
}

// escapeData and escapeProperty escape workflow command text as
// @actions/core does.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

func mdText(s string) string {
	return strings.NewReplacer("\n", " ", "`", "'", "*", `\*`, "_", `\_`).Replace(s)
}
