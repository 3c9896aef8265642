package report

import (
	"encoding/xml"
	"io"
	"slices"

	"github.com/oomlint/oomlint/lint"
)

type checkstyleDoc struct {
	XMLName xml.Name         `xml:"checkstyle"`
	Version string           `xml:"version,attr"`
	Files   []checkstyleFile `xml:"file"`
}

type checkstyleFile struct {
	Name   string            `xml:"name,attr"`
	Errors []checkstyleError `xml:"error"`
}

type checkstyleError struct {
	Line     int    `xml:"line,attr"`
	Column   int    `xml:"column,attr,omitempty"`
	Severity string `xml:"severity,attr"`
	Message  string `xml:"message,attr"`
	Source   string `xml:"source,attr"`
}

// Checkstyle writes checkstyle XML (for reviewdog, Jenkins Warnings NG and
// cs2pr): files sorted by path, errors in the result's order, severities
// error, warning and info.
func Checkstyle(w io.Writer, r *lint.Result, opt Options) error {
	r, opt = safeResult(r), safeOptions(opt)
	doc := checkstyleDoc{Version: "4.3"}
	index := map[string]int{}
	for _, f := range r.Findings {
		file := repoPath(opt, f.File)
		i, ok := index[file]
		if !ok {
			i = len(doc.Files)
			index[file] = i
			doc.Files = append(doc.Files, checkstyleFile{Name: file})
		}
		msg := f.Message
		if label := objectLabel(f); label != "" {
			msg += " (" + label + ")"
		}
		msg = sentence(msg)
		if f.Fix != "" {
			msg += " Fix: " + sentence(f.Fix)
		}
		doc.Files[i].Errors = append(doc.Files[i].Errors, checkstyleError{
			Line: max(f.Line, 1), Column: max(f.Column, 0), Severity: f.Severity.String(),
			Message: xmlSafe(msg), Source: f.Rule,
		})
	}
	slices.SortStableFunc(doc.Files, func(a, b checkstyleFile) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return writeXML(w, doc)
}
