package report

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/oomlint/oomlint/lint"
)

// jsonVersion is the version of the JSON document's schema.
const jsonVersion = 1

type jsonDoc struct {
	Version  int           `json:"version"`
	Findings []jsonFinding `json:"findings"`
	Summary  jsonSummary   `json:"summary"`
}

type jsonFinding struct {
	Rule      string        `json:"rule"`
	Name      string        `json:"name"`
	Severity  string        `json:"severity"`
	Message   string        `json:"message"`
	Fix       string        `json:"fix"`
	File      string        `json:"file"`
	Line      int           `json:"line"`
	Column    int           `json:"column"`
	Object    *jsonObject   `json:"object"`    // null for findings about a whole file
	Container string        `json:"container"` // "" when not about one container
	Path      string        `json:"path"`      // "" when not about one field
	Related   []jsonRelated `json:"related"`   // never null
}

type jsonRelated struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

type jsonObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
}

type jsonSummary struct {
	Files   int `json:"files"`
	Objects int `json:"objects"`
	Units   int `json:"units"`
	Error   int `json:"error"`
	Warning int `json:"warning"`
	Info    int `json:"info"`
	// NotBuilt is there when units did not build because of something
	// they include (Summary.NotBuilt).
	NotBuilt int `json:"notBuilt,omitempty"`
}

// JSON writes the result as DESIGN.md's schema: findings sorted, byte-identical
// between runs, and every key present in every finding so tools need no
// existence checks.
func JSON(w io.Writer, r *lint.Result, _ Options) error {
	doc := jsonDoc{
		Version:  jsonVersion,
		Findings: make([]jsonFinding, 0, len(r.Findings)),
		Summary: jsonSummary{
			Files: r.Summary.Files, Objects: r.Summary.Objects, Units: r.Summary.Units,
			Error: r.Summary.Error, Warning: r.Summary.Warning, Info: r.Summary.Info,
			NotBuilt: r.Summary.NotBuilt,
		},
	}
	for _, f := range r.Findings {
		jf := jsonFinding{
			Rule: f.Rule, Name: f.Name, Severity: f.Severity.String(), Message: f.Message, Fix: f.Fix,
			File: f.File, Line: f.Line, Column: f.Column, Container: f.Container, Path: f.Path,
			Related: make([]jsonRelated, 0, len(f.Related)),
		}
		for _, rel := range f.Related {
			jf.Related = append(jf.Related, jsonRelated{File: rel.File, Line: rel.Line, Column: rel.Column, Message: rel.Message})
		}
		if f.Object != nil {
			jf.Object = &jsonObject{APIVersion: f.Object.APIVersion, Kind: f.Object.Kind, Namespace: f.Object.Namespace, Name: f.Object.Name}
		}
		doc.Findings = append(doc.Findings, jf)
	}
	return writeJSON(w, doc)
}

// writeJSON writes v as indented JSON, guarded (escape.go) for CI logs.
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(guardJSON(b.Bytes()))
	return err
}
