package lint

import (
	"go.yaml.in/yaml/v3"

	"path/filepath"
	"slices"
	"strings"
)

// waves plans units from objects, one wave after another, and remembers
// what every controller object owns.
type waves struct {
	cfg      *Config
	planners []ObjectPlanner
	set      *ObjectSet
	keys     map[string]bool
	owned    []string // absolute directories and files built by controller objects
	flushed  bool     // planners were told no more objects come
}

func newWaves(cfg *Config) *waves {
	w := &waves{cfg: cfg, set: NewObjectSet(nil), keys: map[string]bool{}}
	for _, r := range cfg.Renderers {
		if p, ok := r.(ObjectPlanner); ok {
			w.planners = append(w.planners, p)
		}
	}
	return w
}

// plan hands the objects no planner has seen yet to every object planner
// and returns the units not planned before (a unit's Key is planned once,
// which also stops a Kustomization that builds itself).
func (w *waves) plan(fresh []*Object, progress *progress) ([]*Unit, []Finding) {
	if len(w.planners) == 0 || len(fresh) == 0 {
		return nil, nil
	}
	w.set.Add(fresh...)
	return w.ask(fresh, progress)
}

// flush tells every planner that no more objects will come (PlanObjects
// with no fresh objects), so it plans what it kept waiting for an object
// (a HelmRepository, a substituteFrom ConfigMap) the repository never had.
func (w *waves) flush(progress *progress, problems []Finding) ([]*Unit, []Finding) {
	if w.flushed || len(w.planners) == 0 {
		return nil, problems
	}
	w.flushed = true
	units, more := w.ask(nil, progress)
	return units, append(problems, more...)
}

func (w *waves) ask(fresh []*Object, progress *progress) ([]*Unit, []Finding) {
	var units []*Unit
	var problems []Finding
	for _, p := range w.planners {
		pl := p.PlanObjects(fresh, w.set)
		for _, u := range pl.Units {
			if u.Key != "" {
				if w.keys[u.Key] {
					continue
				}
				w.keys[u.Key] = true
			}
			units = append(units, u)
		}
		w.owned = append(w.owned, pl.Owns...)
		problems = append(problems, pl.Problems...)
		for _, n := range pl.Notes {
			progress.note(n)
		}
	}
	return units, problems
}

// ownedUnit reports whether a unit rooted in a directory is built by a
// controller object, and so not linted on its own.
func (w *waves) ownedUnit(u *Unit) bool {
	if w.cfg.Standalone || u.Source != nil || u.Dir == "" {
		return false
	}
	return w.owns(u.Dir)
}

// ownedFile reports whether a plain file is built by a controller object.
func (w *waves) ownedFile(abs string) bool {
	return !w.cfg.Standalone && w.owns(abs)
}

func (w *waves) owns(p string) bool {
	return slices.ContainsFunc(w.owned, func(o string) bool { return within(o, p) })
}

// within reports whether p is dir or below it.
func within(dir, p string) bool {
	if p == dir {
		return true
	}
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// dedupe keeps one of the objects two units render alike (the same kind,
// namespace, name and content: a base built by two overlays that change
// nothing in it, a manifest both a parent Kustomization and the plain walk
// reach), so namespace sums count it once; the others are named in the
// kept object's findings.
func dedupe(decs []*decoded) {
	type id struct{ apiVersion, kind, namespace, name string }
	first := map[id]*Object{}
	for _, d := range decs {
		d.objects = slices.DeleteFunc(d.objects, func(o *Object) bool {
			if o.Name == "" {
				return false
			}
			k := id{o.APIVersion, o.Kind, o.Namespace, o.Name}
			f, ok := first[k]
			if !ok {
				first[k] = o
				return false
			}
			if f.Unit == o.Unit || !sameNode(f.Node, o.Node, 0) {
				return false
			}
			f.Also = append(f.Also, o)
			return true
		})
	}
}

// sameNode compares two YAML trees by content, not position.
// Past a depth no manifest reaches (a cyclic alias) they count as different.
func sameNode(a, b *yaml.Node, depth int) bool {
	a, b = deref(a), deref(b)
	if depth > 256 {
		return false
	}
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind || a.Value != b.Value || len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !sameNode(a.Content[i], b.Content[i], depth+1) {
			return false
		}
	}
	return true
}
