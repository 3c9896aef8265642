package lint

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"

	"github.com/oomlint/oomlint/internal/yamlnode"

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
	// confirmed are the keys planned from an object some unit rendered.
	confirmed map[string]bool
	owned     []string // absolute directories and files built by controller objects
	flushed   bool     // planners were told no more objects come
}

func newWaves(cfg *Config) *waves {
	w := &waves{cfg: cfg, set: NewObjectSet(nil), keys: map[string]bool{}, confirmed: map[string]bool{}}
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
				if u.Source != nil && u.Source.Unit != nil && u.Source.Unit.Kind != PlainUnit {
					w.confirmed[u.Key] = true
				}
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

// ownedUnit reports whether a unit is built by a controller object, and so
// not linted on its own: a unit rooted in a directory the object builds, or
// a unit planned from an object of a plain file the object builds, unless
// the object's own output planned the same unit again (it rendered that
// object unchanged; a substitution or targetNamespace changes its key).
func (w *waves) ownedUnit(u *Unit) bool {
	if w.cfg.Standalone {
		return false
	}
	if src := u.Source; src != nil {
		if src.Unit == nil || src.Unit.Kind != PlainUnit || w.confirmed[u.Key] {
			return false
		}
		loc := src.Origin.Locate(Root)
		return w.owns(filepath.Join(w.cfg.WorkDir, filepath.FromSlash(loc.File)))
	}
	return u.Dir != "" && w.owns(u.Dir)
}

// dropOwned removes the directory units a controller object builds from
// units not rendered yet. A unit planned from an object of a plain file
// the controller object builds still renders, in parallel with its owner:
// when the owner renders that object unchanged (the common case) the work
// is kept, and when it changes it (a substitution) the new object plans a
// unit of its own and this one is dropped at the end (ownedUnit).
func (w *waves) dropOwned(units []*Unit) []*Unit {
	return slices.DeleteFunc(units, func(u *Unit) bool { return u.Source == nil && w.ownedUnit(u) })
}

// ObjectKey identifies an object by kind, namespace, name and content, so
// the same object met twice (a plain file, and the Kustomization that
// builds it) plans one unit, and two objects of one name that differ (a
// Kustomization per cluster, a HelmRelease an overlay patched) plan two.
func ObjectKey(o *Object) string {
	return fmt.Sprintf("%s/%s/%s#%016x", o.Kind, o.Namespace, o.Name, contentHash(o.Node, 0))
}

// contentHash hashes a YAML tree's content, not its positions or the order
// of mapping keys (a build prints keys sorted; the file had its own order).
func contentHash(n *yaml.Node, depth int) uint64 {
	n = yamlnode.Deref(n)
	h := fnv.New64a()
	if n == nil || depth > 256 {
		return h.Sum64()
	}
	var buf [8]byte
	put := func(v uint64) {
		binary.LittleEndian.PutUint64(buf[:], v)
		_, _ = h.Write(buf[:])
	}
	put(uint64(n.Kind))
	switch n.Kind {
	case yaml.MappingNode:
		pairs := make([]uint64, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := fnv.New64a()
			binary.LittleEndian.PutUint64(buf[:], contentHash(n.Content[i], depth+1))
			_, _ = p.Write(buf[:])
			binary.LittleEndian.PutUint64(buf[:], contentHash(n.Content[i+1], depth+1))
			_, _ = p.Write(buf[:])
			pairs = append(pairs, p.Sum64())
		}
		slices.Sort(pairs)
		for _, p := range pairs {
			put(p)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			put(contentHash(c, depth+1))
		}
	default:
		_, _ = h.Write([]byte(n.Value))
	}
	return h.Sum64()
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
			if f.Unit == o.Unit || contentHash(f.Node, 0) != contentHash(o.Node, 0) {
				return false
			}
			f.Also = append(f.Also, o)
			return true
		})
	}
}
