package lint

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"
)

// maxNamedUnits is how many units a merged finding's message names.
const maxNamedUnits = 5

// unitsOf returns, for each finding of all, the rendered units whose
// objects gave it: the unit of the object the finding is about, and of the
// identical objects other units rendered (Object.Also). A finding of a
// plain file, or one whose object cannot be told apart, gets none.
//
// all is the streamed findings, then perFile (one slice per decs entry),
// then the namespace findings and extra ones, as Run concatenates them.
func unitsOf(all []Finding, streamed int, decs []*decoded, perFile [][]Finding, objects []*Object) [][]*Unit {
	out := make([][]*Unit, len(all))
	byName := map[string]*Unit{}
	byRef := map[ObjectRef]*Object{}
	ambiguous := map[ObjectRef]bool{}
	for _, o := range objects {
		if rendered(o.Unit) {
			byName[o.Unit.Name] = o.Unit
		}
		ref := o.Ref()
		if prev, ok := byRef[ref]; ok && prev != o {
			ambiguous[ref] = true
		}
		byRef[ref] = o
	}
	i := streamed
	for k, d := range decs {
		var local map[ObjectRef]*Object
		for _, f := range perFile[k] {
			switch {
			case f.Object != nil && len(d.objects) > 0:
				if local == nil {
					local = make(map[ObjectRef]*Object, len(d.objects))
					for _, o := range d.objects {
						local[o.Ref()] = o
					}
				}
				out[i] = objectUnits(local[*f.Object])
			case byName[d.file] != nil:
				out[i] = []*Unit{byName[d.file]} // a render problem of the unit
			}
			i++
		}
	}
	for ; i < len(all); i++ {
		if f := all[i]; f.Object != nil && !ambiguous[*f.Object] {
			out[i] = objectUnits(byRef[*f.Object])
		}
	}
	return out
}

func rendered(u *Unit) bool { return u != nil && u.Kind != PlainUnit }

// objectUnits is the unit of o and of its identical twins, nil for an
// object of a plain file.
func objectUnits(o *Object) []*Unit {
	if o == nil || !rendered(o.Unit) {
		return nil
	}
	us := []*Unit{o.Unit}
	for _, a := range o.Also {
		if rendered(a.Unit) && !slices.Contains(us, a.Unit) {
			us = append(us, a.Unit)
		}
	}
	return us
}

// mergeShared makes one finding of the findings that several units (two
// overlays of one base, the variants of one chart) give at one line of a
// file they share: same rule, same file, line and column. The first, at
// the highest severity, is kept; the others' own related locations (the
// overlay or values they were built with) are added to it, and its
// message names the units. Within one unit, findings at one line are
// about different objects and stay apart: the n-th finding of each unit
// merges with the n-th of the others. Findings about no object and no
// field (render and parse problems) keep their messages, which the
// baseline compares; identical ones are dropped later. units is as
// unitsOf returns; every returned finding lists its units' names.
func (c *checker) mergeShared(all []Finding, units [][]*Unit) []Finding {
	idx := make([]int, len(all))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return compareFindings(all[a], all[b]) })
	out := make([]Finding, 0, len(all))
	for start := 0; start < len(idx); {
		end := start + 1
		for end < len(idx) && sameLine(all[idx[start]], all[idx[end]]) {
			end++
		}
		for _, round := range rounds(all, units, idx[start:end]) {
			out = append(out, c.mergeRound(all, units, round))
		}
		start = end
	}
	return out
}

func sameLine(a, b Finding) bool {
	return a.Rule == b.Rule && a.File == b.File && a.Line == b.Line && a.Column == b.Column
}

// rounds splits findings at one line (sorted) into the sets to merge: the
// n-th finding of every unit together. Findings of no unit, and those
// about no object and no field, stand alone.
func rounds(all []Finding, units [][]*Unit, group []int) [][]int {
	var out [][]int
	seen := map[*Unit]int{} // findings of each unit so far
	slot := map[int]int{}   // round number → index in out
	for _, i := range group {
		f := all[i]
		if len(units[i]) == 0 || (f.Object == nil && f.Path == "") {
			out = append(out, []int{i})
			continue
		}
		u := units[i][0]
		n := seen[u]
		seen[u]++
		if k, ok := slot[n]; ok {
			out[k] = append(out[k], i)
			continue
		}
		slot[n] = len(out)
		out = append(out, []int{i})
	}
	return out
}

// mergeRound merges one set of findings into one.
func (c *checker) mergeRound(all []Finding, units [][]*Unit, round []int) Finding {
	keep := round[0]
	for _, i := range round[1:] {
		if all[i].Severity > all[keep].Severity {
			keep = i
		}
	}
	f := all[keep]
	f.Related = slices.Clone(f.Related)
	var us []*Unit
	for _, i := range round {
		for _, u := range units[i] {
			if !slices.Contains(us, u) {
				us = append(us, u)
			}
		}
		if i != keep {
			f.Related = addRelated(f.Related, all[i], f.Object)
		}
	}
	if len(us) == 0 {
		return f
	}
	f.Units = make([]string, len(us))
	for i, u := range us {
		f.Units[i] = u.Name
	}
	slices.Sort(f.Units)
	f.Units = slices.Compact(f.Units)
	if len(us) > 1 && (f.Object != nil || f.Path != "") {
		f.Message += " " + c.unitsNote(f.File, us)
	}
	return f
}

// addRelated adds the related locations of g that rel lacks: what tells
// g's unit apart (the overlay built, the values used). The first added
// names g's object when it is not obj.
func addRelated(rel []Related, g Finding, obj *ObjectRef) []Related {
	first := true
	for _, r := range g.Related {
		if slices.Contains(rel, r) {
			continue
		}
		if first && g.Object != nil && (obj == nil || *g.Object != *obj) {
			r.Message = g.Object.Kind + " " + g.Object.Namespace + "/" + g.Object.Name + ": " + r.Message
		}
		first = false
		rel = append(rel, r)
	}
	return rel
}

// unitsNote names the units a merged finding was found in, e.g.
// "(in 3 overlays: overlays/dev, overlays/prod, overlays/staging)".
func (c *checker) unitsNote(file string, us []*Unit) string {
	noun, names := c.unitNames(file, us)
	slices.Sort(names)
	names = slices.Compact(names)
	list := strings.Join(names, ", ")
	if len(names) > maxNamedUnits {
		list = strings.Join(names[:maxNamedUnits], ", ") + fmt.Sprintf(", and %d more", len(names)-maxNamedUnits)
	}
	return fmt.Sprintf("(in %d %s: %s)", len(us), noun, list)
}

// unitNames says what the units are and names each: the variants of one
// chart by their values file, directory builds by their directory below
// what they and file have in common, the others by their unit name.
func (c *checker) unitNames(file string, us []*Unit) (string, []string) {
	names := make([]string, len(us))
	sameDir := us[0].Dir != "" && !slices.ContainsFunc(us, func(u *Unit) bool { return u.Dir != us[0].Dir })
	if sameDir {
		for i, u := range us {
			names[i] = cmp.Or(u.Variant, "default")
		}
		return "variants", names
	}
	if slices.ContainsFunc(us, func(u *Unit) bool { return u.Source != nil || u.Dir == "" }) {
		for i, u := range us {
			names[i] = u.Name
		}
		return "units", names
	}
	prefix := path.Dir(file)
	for _, u := range us {
		prefix = commonDir(prefix, u.Name)
	}
	for i, u := range us {
		names[i] = strings.TrimPrefix(strings.TrimPrefix(u.Name, prefix), "/")
		if names[i] == "" {
			names[i] = "."
		}
	}
	return c.dirNoun(us), names
}

// dirNoun is "overlays" for units of directories that build other
// directories (kustomizations), "charts" for charts, else "units".
func (c *checker) dirNoun(us []*Unit) string {
	kind := us[0].Kind
	if slices.ContainsFunc(us, func(u *Unit) bool { return u.Kind != kind }) {
		return "units"
	}
	fp, ok := c.cfg.renderer(kind).(FilePlanner)
	switch {
	case !ok:
		return "units"
	case fp.Opaque():
		return "charts"
	}
	return "overlays"
}

// commonDir is the longest directory that holds both slash paths a and b
// ("" when none, "." or absolute roots aside).
func commonDir(a, b string) string {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	n := 0
	for n < len(as) && n < len(bs) && as[n] == bs[n] {
		n++
	}
	return strings.Join(as[:n], "/")
}
