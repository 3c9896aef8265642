// Package report writes lint results: a familiar text format for people, a
// stable JSON document for tools, and the formats CI systems read (SARIF for
// code scanning, GitHub workflow commands, JUnit XML, checkstyle XML).
package report

import (
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/lint"
)

// Options are what a format needs besides the result.
type Options struct {
	Color bool // ANSI colour in text output
	Quiet bool // findings only: no summary line

	// RepoDir is the working directory relative to the repository root, with
	// / ("" when they are the same). Findings' paths are relative to the
	// working directory; sarif, github, junit and checkstyle join them onto
	// RepoDir, as CI resolves paths against the checkout.
	RepoDir string
	// Version is oomlint's version, for SARIF's tool.driver ("" leaves it out).
	Version string
	// SARIFCategory, when set, becomes SARIF's automationDetails.id
	// (NAME/): off by default, so upload-sarif's category input decides.
	SARIFCategory string
	// FailOn is the --fail-on severity: junit reports findings below it as
	// passing test cases. 0 (--fail-on none) passes them all.
	FailOn lint.Severity
	// StepSummary, when set, receives the github format's Markdown table of
	// all findings (the caller opens $GITHUB_STEP_SUMMARY for appending).
	StepSummary io.Writer
	// Warnings, when set, receives one-line warnings about a report (a SARIF
	// file with more results than GitHub keeps).
	Warnings io.Writer
}

// Writer writes a result in one format.
type Writer func(w io.Writer, r *lint.Result, opt Options) error

// Formats maps each --format name to its writer.
var Formats = map[string]Writer{
	"text":       Text,
	"json":       JSON,
	"sarif":      SARIF,
	"github":     GitHub,
	"junit":      JUnit,
	"checkstyle": Checkstyle,
}

// Names lists the format names, sorted, for usage messages.
func Names() []string {
	names := make([]string, 0, len(Formats))
	for n := range Formats {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Lookup returns the writer for a format name.
func Lookup(name string) (Writer, error) {
	if w, ok := Formats[name]; ok {
		return w, nil
	}
	return nil, fmt.Errorf("unknown format %q (valid: %s)", name, strings.Join(Names(), ", "))
}

// repoPath is a finding's path relative to the repository root.
func repoPath(opt Options, file string) string {
	return lint.RepoPath(opt.RepoDir, file)
}

// inRepo reports whether a repository-relative path is inside the
// repository: only such files can carry a location in CI.
func inRepo(p string) bool {
	return p != ".." && !strings.HasPrefix(p, "../") && !strings.HasPrefix(p, "/")
}

// encodeURI percent-encodes a relative path per RFC 3986, segment by segment.
func encodeURI(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// firstSentence is a message up to its first ". ", for titles; the whole
// message when it has one sentence.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i]
	}
	return s
}

// objectLabel is "Deployment prod/api" plus ", container api".
func objectLabel(f lint.Finding) string {
	if f.Object == nil {
		return ""
	}
	s := f.Object.Kind + " "
	if f.Object.Namespace != "" {
		s += f.Object.Namespace + "/"
	}
	s += f.Object.Name
	if f.Container != "" {
		s += ", container " + f.Container
	}
	return s
}

// sentence ends s with a period unless it ends in punctuation already.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// bySeverity returns findings errors first, then warnings, then infos,
// each in the result's order (file, line, column, rule).
func bySeverity(fs []lint.Finding) []lint.Finding {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b lint.Finding) int { return int(b.Severity) - int(a.Severity) })
	return out
}
