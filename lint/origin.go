package lint

import (
	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/yamlnode"
)

// Origin maps a field path of an object to the place a person edits. Plain
// files map to the node itself; rendered objects (charts, overlays) bring
// their own Origin that follows values files, bases and patches.
type Origin interface {
	Locate(p Path) Location
}

// Location is a position in a file of the repository.
type Location struct {
	File    string // as displayed: relative to the working directory, with /
	Line    int    // 1-based, never 0
	Column  int    // 1-based
	Related []Related
}

// nodeOrigin locates paths in an object decoded from a plain file. Documents
// are parsed one at a time, so node lines are offset by the document's start.
type nodeOrigin struct {
	file       string
	root       *yaml.Node
	lineOffset int
	inList     bool // an item of a List document, not the document itself
}

func (o nodeOrigin) Locate(p Path) Location {
	var n *yaml.Node
	if p.IsZero() {
		n, _ = yamlnode.Lookup(o.root, "kind")
	} else {
		n = locate(o.root, p)
	}
	if n == nil {
		n = o.root
	}
	loc := Location{File: o.file, Line: 1, Column: 1}
	if n != nil && n.Line > 0 {
		loc.Line, loc.Column = n.Line+o.lineOffset, max(n.Column, 1)
	}
	return loc
}
