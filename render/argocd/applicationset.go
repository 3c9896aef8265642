package argocd

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/appset"
	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
)

// ApplicationSetName is the unit kind of an Argo CD ApplicationSet.
const ApplicationSetName = "argocd-applicationset"

// ApplicationSet renders Argo CD ApplicationSets into the Applications
// their generators make offline (list, git directories and files over this
// checkout, matrix, merge); the Application renderer plans those in the
// next wave. Every field of a generated Application is located at the
// template line it came from. A generator that needs a cluster or an API
// (clusters, pullRequest, scmProvider…) is an info finding at its line.
type ApplicationSet struct{ opt render.Options }

// NewApplicationSet returns the ApplicationSet renderer.
func NewApplicationSet(opt render.Options) *ApplicationSet { return &ApplicationSet{opt: opt} }

// Name is the unit kind.
func (r *ApplicationSet) Name() string { return ApplicationSetName }

// PlanObjects plans one unit per ApplicationSet.
func (r *ApplicationSet) PlanObjects(fresh []*lint.Object, _ *lint.ObjectSet) lint.ObjectPlan {
	var out lint.ObjectPlan
	for _, o := range fresh {
		if !is(o, "ApplicationSet") {
			continue
		}
		out.Units = append(out.Units, &lint.Unit{
			Name: render.ObjectName(o), Kind: ApplicationSetName, Key: ApplicationSetName + "/" + lint.ObjectKey(o),
			Source: o, Plan: o,
		})
	}
	return out
}

// Render generates the Applications, one document each.
func (r *ApplicationSet) Render(_ context.Context, u *lint.Unit) *lint.Rendered {
	o, ok := u.Plan.(*lint.Object)
	if !ok {
		return &lint.Rendered{}
	}
	m := newSetMap(o)
	apps, skipped, err := r.expand(o)
	if err != nil {
		f := render.Problem(o, lint.Root, fmt.Sprintf("ApplicationSet %s: %v", o.Name, err), "")
		var le *appset.LineError
		if errors.As(err, &le) && le.Line > 0 {
			f.Message = fmt.Sprintf("ApplicationSet %s: %v", o.Name, le.Err)
			if loc, ok := m.line(le.Line, le.Column); ok {
				f.File, f.Line, f.Column = loc.File, loc.Line, loc.Column
			}
		}
		return &lint.Rendered{Problems: []lint.Finding{f}}
	}
	out := &lint.Rendered{}
	for _, s := range skipped {
		loc := m.locate(s.Node)
		msg := s.Generator + " generator not expanded offline"
		if s.Reason != "" && !strings.HasSuffix(msg, s.Reason) {
			msg += " (" + s.Reason + ")"
		}
		out.Problems = append(out.Problems, lint.Finding{Rule: lint.RenderErrorID, Severity: lint.Info,
			File: loc.File, Line: max(loc.Line, 1), Column: max(loc.Column, 1), Related: loc.Related,
			Message: fmt.Sprintf("ApplicationSet %s: %s; the Applications it would generate are not linted", o.Name, msg)})
	}
	name := o.Origin.Locate(lint.Root).File
	for _, app := range apps {
		data, err := yaml.Marshal(app.Node)
		if err != nil {
			out.Problems = append(out.Problems, render.Problem(o, lint.Root.Keys("spec", "template"),
				fmt.Sprintf("ApplicationSet %s: Application %s: %v", o.Name, app.Name, err), ""))
			continue
		}
		out.Docs = append(out.Docs, lint.RenderedDoc{Name: name, Data: data, Origin: func(*yaml.Node) lint.Origin {
			return appOrigin{m: m, app: app}
		}})
	}
	return out
}

// expand runs the generators. Git generator paths are relative to the
// root of the repository; for a repository nested in a larger checkout (a
// fixture, a monorepo folder) each directory from the ApplicationSet's
// file up to the root is tried too, and the first that generates any
// Application wins, as paths resolve for Applications. With no repoURLs
// configured, every git generator's repoURL is taken to be this repository.
func (r *ApplicationSet) expand(o *lint.Object) ([]appset.Application, []appset.Skipped, error) {
	opts := appset.Options{IsThisRepo: func(u string) bool { return thisRepo(r.opt, u, nil) }}
	var (
		apps    []appset.Application
		skipped []appset.Skipped
		err     error
	)
	for i, root := range r.roots(o) {
		opts.RepoRoot = root
		a, s, e := appset.Expand(o.Node, opts)
		if i == 0 {
			apps, skipped, err = a, s, e
		}
		if e == nil && len(a) > 0 {
			return a, s, nil
		}
	}
	return apps, skipped, err
}

// roots are the directories git generator paths may be relative to: the
// repository root, then each directory from the object's file up to it.
func (r *ApplicationSet) roots(o *lint.Object) []string {
	out := []string{r.opt.RepoRoot}
	f := render.SourceFile(r.opt, o)
	if f == "" {
		return out
	}
	for d := filepath.Dir(f); d != r.opt.RepoRoot && render.Within(r.opt.RepoRoot, d); d = filepath.Dir(d) {
		out = append(out, d)
	}
	return out
}

// setMap locates nodes of an ApplicationSet (template nodes, generators)
// in the file a person edits, through the object's own origin.
type setMap struct {
	set   *lint.Object
	paths map[*yaml.Node]lint.Path
	// offset turns node lines into file lines when exact: the object was
	// read as written, not rendered.
	offset int
	exact  bool
	file   string
}

func newSetMap(o *lint.Object) *setMap {
	m := &setMap{set: o, paths: map[*yaml.Node]lint.Path{}}
	m.walk(o.Node, lint.Root, 0)
	root := o.Origin.Locate(lint.Root)
	m.file = root.File
	tmpl := lint.Root.Keys("spec", "template")
	kind, _ := yamlnode.Lookup(o.Node, "kind")
	tk, _ := yamlnode.Lookup(yamlnode.Get(o.Node, "spec"), "template")
	if kind != nil && tk != nil {
		m.offset = root.Line - kind.Line
		m.exact = o.Origin.Locate(tmpl).Line == tk.Line+m.offset
	}
	return m
}

// walk records the path of every node: a key and its value share the
// value's path. Aliases are recorded, not followed.
func (m *setMap) walk(n *yaml.Node, p lint.Path, depth int) {
	if n == nil || depth > 256 {
		return
	}
	if _, seen := m.paths[n]; seen {
		return
	}
	m.paths[n] = p
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			m.walk(c, p, depth+1)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if _, seen := m.paths[k]; !seen {
				m.paths[k] = p.Key(k.Value)
			}
			m.walk(n.Content[i+1], p.Key(k.Value), depth+1)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			m.walk(c, p.Index(i), depth+1)
		}
	default:
	}
}

// locate is where a node of the ApplicationSet was written.
func (m *setMap) locate(n *yaml.Node) lint.Location {
	if n != nil {
		if p, ok := m.paths[n]; ok {
			return m.set.Origin.Locate(p)
		}
		if loc, ok := m.line(n.Line, n.Column); ok {
			return loc // a node the expansion made (a templatePatch line)
		}
	}
	return m.set.Origin.Locate(lint.Root.Keys("spec", "template"))
}

// line is a position of the object's node lines in its file.
func (m *setMap) line(line, col int) (lint.Location, bool) {
	if !m.exact || line <= 0 {
		return lint.Location{}, false
	}
	return lint.Location{File: m.file, Line: line + m.offset, Column: max(col, 1)}, true
}

// appOrigin locates a generated Application's fields at the template nodes
// they were made from.
type appOrigin struct {
	m   *setMap
	app appset.Application
}

func (o appOrigin) Locate(p lint.Path) lint.Location {
	n := lint.LocateNode(o.app.Node, p)
	return o.m.locate(o.app.Origin[n])
}
