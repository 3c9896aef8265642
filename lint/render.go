package lint

import (
	"context"

	"go.yaml.in/yaml/v3"
)

// PlainUnit is the kind of the plain manifests under one path argument: the
// one unit kind no renderer builds.
const PlainUnit = "plain"

// Renderer builds one kind of unit: a Helm chart, a kustomization, a Flux
// Kustomization or HelmRelease, an Argo CD Application. Renderers are values
// in one list (render/renderers.All); the engine, the progress labels and
// the policy facts read kinds from that list and nothing else names them.
//
// A renderer plans its units in one of two ways, or both: from root
// directories the walk finds (FilePlanner: a Chart.yaml, a
// kustomization.yaml), or from decoded objects (ObjectPlanner: a
// HelmRelease, an Application), including objects another unit rendered.
type Renderer interface {
	// Name is the unit kind, stable and lower case: "helm", "kustomize",
	// "flux-kustomization". It is Unit.Kind and the policy facts' unit kind.
	Name() string
	// Render builds one unit. It never fails: a render error is a finding
	// (OOM900) at the file and line the library names.
	Render(ctx context.Context, u *Unit) *Rendered
}

// FilePlanner is a renderer whose units are rooted in directories.
type FilePlanner interface {
	Renderer
	// RootFiles are the file names that make a directory a root of this kind.
	RootFiles() []string
	// Opaque reports whether a root's directory is the renderer's alone, so
	// the walk does not descend into it (a chart's charts/ and templates/).
	Opaque() bool
	// Plan is given every root directory of the renderer's kind found in the
	// walk (absolute, sorted) and returns the units to build and every file
	// they read, which are then not linted again as plain manifests.
	Plan(roots []string) (units []*Unit, consumed []string)
}

// ObjectPlanner is a renderer whose units come from objects: the GitOps
// controllers' objects that say what a cluster runs.
type ObjectPlanner interface {
	Renderer
	// PlanObjects is given every object decoded or rendered so far that the
	// renderer has not seen, and the whole set seen so far (for references
	// between objects: a HelmRelease's HelmRepository, a valuesFrom
	// ConfigMap). It returns the units those objects deploy. A planner may
	// keep an object waiting for one it references that a later wave may
	// render; once no wave brings anything new it is called once with no
	// fresh objects, and then plans everything it kept.
	PlanObjects(fresh []*Object, all *ObjectSet) ObjectPlan
}

// ObjectPlan is what a set of controller objects deploys.
type ObjectPlan struct {
	Units []*Unit
	// Owns are the directories and files (absolute) the units build. A
	// directory unit rooted at or below one of them, and a plain file in
	// one, is not linted on its own with its defaults: the controller
	// object decides what it deploys.
	Owns     []string
	Problems []Finding // findings on the controller objects (a chart not in the cache)
	// Notes are choices a person may want to know of (a source taken to be
	// this repository because its path exists), shown with --verbose.
	Notes []string
}

// ObjectSet is every object seen in a run so far, by kind, for planners
// that resolve references between objects.
type ObjectSet struct {
	byKind map[string][]*Object
}

// NewObjectSet indexes objects by kind.
func NewObjectSet(objs []*Object) *ObjectSet {
	s := &ObjectSet{byKind: map[string][]*Object{}}
	s.Add(objs...)
	return s
}

// Add indexes more objects.
func (s *ObjectSet) Add(objs ...*Object) {
	for _, o := range objs {
		s.byKind[o.Kind] = append(s.byKind[o.Kind], o)
	}
}

// Kind returns the objects of one kind, in the order they were added.
func (s *ObjectSet) Kind(kind string) []*Object { return s.byKind[kind] }

// Find returns the first object of kind, namespace and name, or nil.
func (s *ObjectSet) Find(kind, namespace, name string) *Object {
	for _, o := range s.byKind[kind] {
		if o.Name == name && o.Namespace == namespace {
			return o
		}
	}
	return nil
}

// Rendered is what a unit produced.
type Rendered struct {
	Docs     []RenderedDoc
	Problems []Finding // OOM900 findings, positioned in files of the repository
	// NotBuilt says the unit did not build because of another source it
	// includes (a kustomize base): Problems has the error there and one
	// finding on the unit that points to it.
	NotBuilt bool
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
	steps := p.steps()
	out := make([]PathStep, len(steps))
	for i, s := range steps {
		out[i] = PathStep{Key: s.key, Index: int(s.index)}
	}
	return out
}

// PathOf builds a Path from steps.
func PathOf(steps []PathStep) Path {
	var p Path
	for _, s := range steps {
		if s.Index >= 0 {
			p = p.Index(s.Index)
		} else {
			p = p.Key(s.Key)
		}
	}
	return p
}

// LocateNode is locate for origins outside the engine: the node a person
// should look at for path p below root.
func LocateNode(root *yaml.Node, p Path) *yaml.Node { return locate(root, p) }

// NewNodeOrigin locates paths in an object parsed from file (a display
// path), whose node lines are offset by lineOffset.
func NewNodeOrigin(file string, root *yaml.Node, lineOffset int) Origin {
	return nodeOrigin{file: file, root: root, lineOffset: lineOffset}
}

// DisplayPath is p relative to the working directory, with /.
func DisplayPath(workDir, p string) string { return displayPath(workDir, p) }
