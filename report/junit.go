package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/lint"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitFailure `xml:"failure"`
	SystemOut *junitText    `xml:"system-out"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

// JUnit writes JUnit XML (INTEGRATIONS.md §5): one testsuite per file, one
// testcase per finding (a failure at or above --fail-on, a passing case with
// system-out below it), and one passing testcase for each file without
// findings, so a clean run shows passed tests. No times or host names.
func JUnit(w io.Writer, r *lint.Result, opt Options) error {
	r, opt = safeResult(r), safeOptions(opt)
	byFile := map[string][]lint.Finding{}
	for _, f := range r.Findings {
		file := repoPath(opt, f.File)
		byFile[file] = append(byFile[file], f)
	}
	files := make([]string, 0, len(r.Files)+len(byFile))
	for _, f := range r.Files {
		files = append(files, repoPath(opt, f))
	}
	for f := range byFile {
		files = append(files, f)
	}
	slices.Sort(files)
	files = slices.Compact(files)

	doc := junitSuites{Name: "oomlint"}
	for _, file := range files {
		suite := junitSuite{Name: file}
		names := map[string]int{}
		for _, f := range byFile[file] {
			c := junitCase{Classname: file, File: file, Line: max(f.Line, 1)}
			c.Name = uniqueName(names, caseName(f))
			body := xmlSafe(findingText(f, opt))
			if opt.FailOn != 0 && f.Severity >= opt.FailOn {
				c.Failure = &junitFailure{Message: xmlSafe(firstSentence(f.Message)), Type: f.Severity.String(), Text: body}
				suite.Failures++
			} else {
				c.SystemOut = &junitText{Text: f.Severity.String() + ": " + body}
			}
			suite.Cases = append(suite.Cases, c)
		}
		if len(suite.Cases) == 0 {
			suite.Cases = append(suite.Cases, junitCase{Name: "no memory findings", Classname: file, File: file})
		}
		suite.Tests = len(suite.Cases)
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Suites = append(doc.Suites, suite)
	}
	return writeXML(w, doc)
}

// caseName is "OOM201 jvm-heap-exceeds-limit Deployment/prod/api[api] :31".
func caseName(f lint.Finding) string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(f.Rule + " " + f.Name))
	if f.Object != nil {
		b.WriteString(" " + f.Object.Kind + "/")
		if f.Object.Namespace != "" {
			b.WriteString(f.Object.Namespace + "/")
		}
		b.WriteString(f.Object.Name)
		if f.Container != "" {
			b.WriteString("[" + f.Container + "]")
		}
	}
	fmt.Fprintf(&b, " :%d", max(f.Line, 1))
	return xmlSafe(b.String())
}

// uniqueName makes test case names unique in a suite: GitLab ignores a
// repeated classname + name.
func uniqueName(seen map[string]int, name string) string {
	seen[name]++
	if n := seen[name]; n > 1 {
		return fmt.Sprintf("%s #%d", name, n)
	}
	return name
}

// findingText is the full text of a finding: message, place, object, fix
// and related locations.
func findingText(f lint.Finding, opt Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: %s\n", repoPath(opt, f.File), max(f.Line, 1), max(f.Column, 1), f.Message)
	if label := objectLabel(f); label != "" {
		fmt.Fprintf(&b, "object: %s\n", label)
	}
	if f.Path != "" {
		fmt.Fprintf(&b, "field: %s\n", f.Path)
	}
	if f.Fix != "" {
		fmt.Fprintf(&b, "fix: %s\n", f.Fix)
	}
	for _, rel := range f.Related {
		fmt.Fprintf(&b, "related: %s:%d: %s\n", repoPath(opt, rel.File), max(rel.Line, 1), rel.Message)
	}
	return b.String()
}

// writeXML writes doc as an indented XML document with its lines guarded
// (escape.go): CI jobs print these files too.
func writeXML(w io.Writer, doc any) error {
	var b strings.Builder
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, GuardLines(b.String()))
	return err
}

// xmlSafe drops characters XML 1.0 cannot hold (control characters other
// than tab, newline and carriage return; invalid UTF-8).
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}
