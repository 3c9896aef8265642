package lint

import (
	"context"

	"go.yaml.in/yaml/v3"
)

// UnitKind says how a unit's objects are produced.
type UnitKind int

// Unit kinds.
const (
	PlainUnit     UnitKind = iota // the plain manifests under one path argument
	ChartUnit                     // a Helm chart rendered with one set of values
	KustomizeUnit                 // a kustomization built with krusty
)

// Renderer turns charts or kustomizations into documents with origins. The
// engine finds the root directories (a Chart.yaml, a kustomization.yaml) and
// leaves the rest to the renderer of that kind.
type Renderer interface {
	// Plan is given every root directory of the renderer's kind found in the
	// walk (absolute, sorted) and returns the units to build and every file
	// they read, which are then not linted again as plain manifests.
	Plan(roots []string) (units []*Unit, consumed []string)
	// Render builds one unit. It never fails: a render error is a finding
	// (OOM900) at the file and line the library names.
	Render(ctx context.Context, u *Unit) *Rendered
}

// Rendered is what a unit produced.
type Rendered struct {
	Docs     []RenderedDoc
	Problems []Finding // OOM900 findings, positioned in files of the repository
}

// RenderedDoc is one rendered YAML stream (a template's output, or one
// object of a build) and the way to trace its objects back to their sources.
type RenderedDoc struct {
	Name   string                      // display path of the file it came from, for parse errors
	Data   []byte                      // rendered YAML, one or more documents
	Origin func(obj *yaml.Node) Origin // where each object's fields were written; nil: the rendered text itself
}

// PathStep is one step of a Path: a mapping key, or a sequence index when Index ≥ 0.
type PathStep struct {
	Key   string
	Index int
}

// Steps returns the path's steps, for origins that walk other documents.
func (p Path) Steps() []PathStep {
	out := make([]PathStep, len(p.steps))
	for i, s := range p.steps {
		out[i] = PathStep{Key: s.key, Index: s.index}
	}
	return out
}

// LocateNode is locate for origins outside the engine: the node a person
// should look at for path p below root.
func LocateNode(root *yaml.Node, p Path) *yaml.Node { return locate(root, p) }

// Lookup returns the key and value nodes of key in a mapping node.
func Lookup(m *yaml.Node, key string) (k, v *yaml.Node) { return lookup(m, key) }

// NewNodeOrigin locates paths in an object parsed from file (a display
// path), whose node lines are offset by lineOffset.
func NewNodeOrigin(file string, root *yaml.Node, lineOffset int) Origin {
	return nodeOrigin{file: file, root: root, lineOffset: lineOffset}
}

// DisplayPath is p relative to the working directory, with /.
func DisplayPath(workDir, p string) string { return displayPath(workDir, p) }
