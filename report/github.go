package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/oomlint/oomlint/lint"
)

// GitHub's annotation limits per step (INTEGRATIONS.md §2): further
// annotations are dropped silently, so oomlint stops itself and says so.
var githubAnnotationLimit = map[lint.Severity]int{lint.Error: 10, lint.Warning: 10, lint.Info: 10}

// githubSummaryLimit keeps the step summary under GitHub's 1 MiB per step,
// with room for the closing note.
var githubSummaryLimit = 1<<20 - 4<<10

// GitHub writes GitHub Actions workflow commands: the full text report in a
// collapsed group, then one annotation per finding (errors, then warnings,
// then notices, each capped at GitHub's per-step limit, with a closing
// notice of how many were left out). With Options.StepSummary it also
// writes a Markdown table of every finding there. Paths are relative to the
// repository root, which is where GitHub resolves them.
func GitHub(w io.Writer, r *lint.Result, opt Options) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "::group::%s\n", escapeData("oomlint: "+summaryLine(r.Summary)))
	var text bytes.Buffer
	if err := Text(&text, r, Options{RepoDir: opt.RepoDir}); err != nil {
		return err
	}
	for line := range strings.Lines(text.String()) {
		if strings.HasPrefix(line, "::") {
			line = " " + line // never a workflow command
		}
		fmt.Fprint(bw, line)
	}
	fmt.Fprint(bw, "::endgroup::\n")

	written := map[lint.Severity]int{}
	skipped := 0
	for _, f := range bySeverity(r.Findings) {
		if written[f.Severity] >= githubAnnotationLimit[f.Severity] {
			skipped++
			continue
		}
		written[f.Severity]++
		fmt.Fprint(bw, annotation(f, opt))
	}
	if skipped > 0 {
		fmt.Fprintf(bw, "::notice::%s\n", escapeData(fmt.Sprintf(
			"%s not annotated (GitHub shows at most 10 errors and 10 warnings per step); see the SARIF report or the job summary",
			plural(skipped, "more finding"))))
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if opt.StepSummary != nil {
		if _, err := io.WriteString(opt.StepSummary, stepSummary(r, opt)); err != nil {
			return fmt.Errorf("step summary: %w", err)
		}
	}
	return nil
}

func annotation(f lint.Finding, opt Options) string {
	var cmd string
	switch f.Severity {
	case lint.Error:
		cmd = "error"
	case lint.Info:
		cmd = "notice"
	default:
		cmd = "warning"
	}
	file := repoPath(opt, f.File)
	var msg strings.Builder
	// The log shows only the message, so it names the place too.
	text := f.Message
	if label := objectLabel(f); label != "" {
		text += " (" + label + ")"
	}
	fmt.Fprintf(&msg, "%s:%d:%d: %s", file, max(f.Line, 1), max(f.Column, 1), sentence(text))
	if f.Fix != "" {
		fmt.Fprintf(&msg, "\nFix: %s", f.Fix)
	}
	for _, rel := range f.Related {
		fmt.Fprintf(&msg, "\n%s:%d: %s", repoPath(opt, rel.File), max(rel.Line, 1), rel.Message)
	}
	props := []string{
		"file=" + escapeProperty(file),
		fmt.Sprintf("line=%d", max(f.Line, 1)),
		fmt.Sprintf("col=%d", max(f.Column, 1)),
		"title=" + escapeProperty(strings.TrimSpace(f.Rule+" "+f.Name)),
	}
	if !inRepo(file) {
		props = props[3:] // GitHub cannot place it; the message names the file
	}
	return "::" + cmd + " " + strings.Join(props, ",") + "::" + escapeData(msg.String()) + "\n"
}

// escapeData escapes a workflow command's message as @actions/core does.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// stepSummary is a Markdown table of every finding for the job summary,
// cut short, with a note, before GitHub's per-step size limit.
func stepSummary(r *lint.Result, opt Options) string {
	var b strings.Builder
	b.WriteString("## oomlint\n\n")
	b.WriteString(summaryLine(r.Summary) + "\n")
	if len(r.Findings) == 0 {
		return b.String() + "\n"
	}
	b.WriteString("\n| Severity | Rule | Location | Object | Message | Fix |\n|---|---|---|---|---|---|\n")
	for i, f := range bySeverity(r.Findings) {
		row := fmt.Sprintf("| %s | %s %s | `%s:%d` | %s | %s | %s |\n",
			f.Severity, f.Rule, f.Name, cell(repoPath(opt, f.File)), max(f.Line, 1),
			cell(objectLabel(f)), cell(f.Message), cell(f.Fix))
		if b.Len()+len(row) > githubSummaryLimit {
			fmt.Fprintf(&b, "\n%s not shown: the job summary is limited to 1 MiB; see the SARIF report or the log.\n",
				plural(len(r.Findings)-i, "more finding"))
			break
		}
		b.WriteString(row)
	}
	return b.String() + "\n"
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\r", " ", "\n", " ", "`", "'").Replace(s)
}
