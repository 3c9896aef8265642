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
	// Text guards its lines: none starts a command, even after the
	// runner trims leading whitespace (an indent alone would not do).
	fmt.Fprint(bw, text.String())
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

// annotation is one workflow command. The file property is the exact path,
// escaped as the runner unescapes it; the message and title are made
// printable first, so what GitHub shows stays on one line per part.
func annotation(f lint.Finding, opt Options) string {
	exact := repoPath(opt, f.File)
	f, opt = safeFinding(f), safeOptions(opt)
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
		"file=" + escapeProperty(exact),
		fmt.Sprintf("line=%d", max(f.Line, 1)),
		fmt.Sprintf("col=%d", max(f.Column, 1)),
		"title=" + escapeProperty(unhash(strings.TrimSpace(f.Rule+" "+f.Name))),
	}
	if !inRepo(exact) || exact != file || commandPrefix(exact) >= 0 {
		// GitHub cannot place it (outside the repository, or a name only
		// escapes can show); the message names the file.
		props = props[3:]
	}
	return "::" + cmd + " " + strings.Join(props, ",") + "::" + escapeData(unhash(msg.String())) + "\n"
}

// unhash escapes runner command prefixes ("##[") in an annotation too,
// though the runner reads a line that parses as a command no further.
func unhash(s string) string {
	if commandPrefix(s) < 0 {
		return s
	}
	var b strings.Builder
	writeHashes(&b, s, `\x23`)
	return b.String()
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
// cut short, with a note, before GitHub's per-step size limit. User
// strings are plain text in their cells: no HTML, links or emphasis, and
// nothing that ends a cell or a row.
func stepSummary(r *lint.Result, opt Options) string {
	r, opt = safeResult(r), safeOptions(opt)
	var b strings.Builder
	b.WriteString("## oomlint\n\n")
	b.WriteString(summaryLine(r.Summary) + "\n")
	if len(r.Findings) == 0 {
		return b.String() + "\n"
	}
	b.WriteString("\n| Severity | Rule | Location | Object | Message | Fix |\n|---|---|---|---|---|---|\n")
	for i, f := range bySeverity(r.Findings) {
		row := fmt.Sprintf("| %s | %s | `%s:%d` | %s | %s | %s |\n",
			f.Severity, cell(f.Rule+" "+f.Name), codeCell(repoPath(opt, f.File)), max(f.Line, 1),
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

// cell makes printable text plain inside a Markdown table cell: a
// backslash before each character Markdown acts on inline, and entities
// for the ones HTML does. A pipe needs its backslash even in a code span.
func cell(s string) string {
	return cellEscaper.Replace(s)
}

var cellEscaper = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "`", "\\`", "*", `\*`, "_", `\_`, "~", `\~`, "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "\r", " ", "\n", " ")

// codeCell makes printable text safe inside a code span in a table cell,
// where Markdown and HTML are inert and a backslash shows as itself: only
// a backtick (which would end the span) and a pipe (which would end the
// cell) are replaced.
func codeCell(s string) string {
	return strings.NewReplacer("`", "'", "|", `\|`).Replace(s)
}
