package helm

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/lint"
)

// How rendered chart fields are traced, and how far:
//
//   - Template lines come from the line markers (helm_mark.go). Lines in
//     define blocks and _helpers, block scalar contents, multi-line actions
//     and scalars spanning lines carry none: their fields map to the nearest
//     marked ancestor key, then down by key name through the template text.
//   - Values lines come from the .Values reference on the marked line, or on
//     the action-only lines right after a key (`resources:` +
//     `{{- toYaml .Values.r | nindent 12 }}`), through with, range and
//     `$x := .Values.y`; a toYaml subtree maps path for path, and a field
//     the values lack maps to the deepest values key there is. The last file
//     that sets the key wins: the subchart's values.yaml, the parents',
//     charts.values, --values, then the variant file.
//   - Not followed: values that reach a field through include'd helpers,
//     tpl, dict/merge built in a template, import-values; a range element
//     that neither an equal value nor a name: singles out. Those map to the
//     one values entry with the same key and value if there is exactly one,
//     else to the template line.
//   - Archived subcharts (charts/*.tgz) have no file to point into: their
//     template lines become the parent's Chart.yaml dependency line, while
//     values the parent sets still map to the parent's values files.

// helmOrigin traces the fields of one rendered document: the line markers
// give the template line, the template line's .Values reference gives the
// values key, and the last values file that sets that key gives the line.
type helmOrigin struct {
	r     *chartRender
	ref   *templateRef // the template the document came from; nil if unknown
	refs  map[string]*templateRef
	tmpls []*tmplFile // by marker id
	marks map[int]mark
}

// forObject is the RenderedDoc.Origin hook.
func (o *helmOrigin) forObject(obj *yaml.Node) lint.Origin { return &objectOrigin{o, obj} }

type objectOrigin struct {
	*helmOrigin
	obj *yaml.Node
}

// query is what one Locate looks for beyond the template line.
type query struct {
	key    string       // the path's last key, for the equal-value fallback
	target *yaml.Node   // the rendered node, nil when the path does not exist
	items  []*yaml.Node // the rendered sequence items on the path, to tell range elements apart
}

// step is one step of a path walked through the rendered object.
type walked struct {
	line  int        // line of the key, or of the sequence item
	value *yaml.Node // the node reached
}

// Locate maps a field path to the values or template line that set it.
// A bug here must not stop the run: it falls back to the object's line.
func (o *objectOrigin) Locate(p lint.Path) (loc lint.Location) {
	defer func() {
		if e := recover(); e != nil {
			loc = lint.Location{File: o.r.display(o.r.chartYAML()), Line: 1, Column: 1,
				Related: []lint.Related{o.r.unitRelated(), {File: o.r.display(o.r.chartYAML()), Line: 1, Column: 1,
					Message: fmt.Sprintf("oomlint could not trace %s (internal error: %v); please report it", p, e)}}}
		}
	}()
	steps := p.Steps()
	chain := walk(o.obj, steps)
	q := query{}
	if len(steps) > 0 {
		q.key = steps[len(steps)-1].Key
	}
	if len(chain) == len(steps)+1 {
		q.target = chain[len(chain)-1].value
	}
	for i := 1; i < len(chain); i++ {
		if steps[i-1].Index >= 0 {
			q.items = append(q.items, chain[i].value)
		}
	}
	for j := len(chain) - 1; j >= 1; j-- {
		m, ok := o.marks[chain[j].line]
		if !ok {
			continue
		}
		tf, ref := o.template(m)
		if tf == nil {
			break
		}
		loc, _ := o.resolve(tf, ref, m.line-1, steps[j-1:], len(chain)-j, q)
		return loc
	}
	// No template line is known: the object is a helper's output. Follow
	// the helper's text when the template includes it with the root
	// context, as library charts' object helpers are; else a scalar set
	// in exactly one values entry under the same key is that entry.
	if loc, ok := o.viaHelper(steps, len(chain)-1, q); ok {
		return loc
	}
	if len(steps) > 0 && len(chain) == len(steps)+1 {
		if h := o.r.uniqueLeaf(o.ref, q.key, chain[len(chain)-1].value); h != nil {
			return h.loc
		}
	}
	return o.kindLine()
}

// viaHelper locates a field of an object that a helper renders whole (a
// template that is `{{ include "common.deployment" . }}`): through the
// helper's own lines, with its . as the including template's root.
func (o *objectOrigin) viaHelper(steps []lint.PathStep, exist int, q query) (lint.Location, bool) {
	if o.ref == nil || len(steps) > 0 && steps[0].Index >= 0 {
		return lint.Location{}, false
	}
	tf, li := o.helperRoot(steps)
	if tf == nil {
		return lint.Location{}, false
	}
	if len(steps) == 0 {
		return lint.Location{File: o.r.display(tf.disk), Line: li + 1, Column: tf.lines[li].indent + 1,
			Related: []lint.Related{o.r.unitRelated()}}, true
	}
	loc, vals := o.resolve(tf, o.ref, li, steps, exist, q)
	return loc, vals || loc.Line > 1
}

// helperRoot finds the helper the object's template includes with the
// root context, and in it the line of the object's first key on the
// path (its kind: line for the object itself).
func (o *objectOrigin) helperRoot(steps []lint.PathStep) (*tmplFile, int) {
	name := rootInclude(o.ref.file)
	if name == "" {
		return nil, -1
	}
	key := "kind"
	if len(steps) > 0 {
		key = steps[0].Key
	}
	for _, tf := range o.tmpls {
		if tf.disk == "" {
			continue
		}
		start, end := tf.defineLines(name)
		if start < 0 {
			continue
		}
		root := -1
		for j := start + 1; j < end; j++ {
			l := &tf.lines[j]
			if l.plain && !l.multi && l.key != "" && !l.item && (root < 0 || l.indent == root) {
				root = l.indent
				if l.key == key {
					cp := *tf
					cp.rootDefine = true
					return &cp, j
				}
			}
		}
	}
	return nil, -1
}

// rootInclude is the helper a template includes with . or $ as its whole
// output on a line of its own, or "".
func rootInclude(t *tmplFile) string {
	for _, a := range t.actions {
		f := strings.Fields(a.text)
		if a.kind != "output" || len(f) < 3 || (f[0] != "include" && f[0] != "template") || (f[2] != "." && f[2] != "$") {
			continue
		}
		if l := &t.lines[a.start]; !l.plain && l.indent == 0 {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

// defineLines finds the lines of define name: its define and end actions.
func (t *tmplFile) defineLines(name string) (int, int) {
	for i, a := range t.actions {
		f := strings.Fields(a.text)
		if a.kind != "define" || len(f) < 2 || strings.Trim(f[1], `"`) != name {
			continue
		}
		depth := 0
		for _, b := range t.actions[i:] {
			switch b.kind {
			case "define", "block", "if", "range", "with":
				depth++
			case "end":
				depth--
				if depth == 0 {
					return a.start, b.start
				}
			}
		}
	}
	return -1, -1
}

// walk follows steps through the rendered object as far as they exist.
// chain[0] is the object; chain[i] is reached after i steps.
func walk(obj *yaml.Node, steps []lint.PathStep) []walked {
	cur := yamlnode.Deref(obj)
	chain := []walked{{line: cur.Line, value: cur}}
	for _, s := range steps {
		switch {
		case s.Index >= 0:
			if cur == nil || cur.Kind != yaml.SequenceNode || s.Index >= len(cur.Content) {
				return chain
			}
			cur = yamlnode.Deref(cur.Content[s.Index])
			chain = append(chain, walked{line: cur.Line, value: cur})
		default:
			k, v := yamlnode.Lookup(cur, s.Key)
			if k == nil {
				return chain
			}
			cur = yamlnode.Deref(v)
			chain = append(chain, walked{line: k.Line, value: cur})
		}
	}
	return chain
}

// template is the scanned template a marker names, with its values prefix.
func (o *objectOrigin) template(m mark) (*tmplFile, *templateRef) {
	if m.id < 0 || m.id >= len(o.tmpls) {
		return nil, nil
	}
	tf := o.tmpls[m.id]
	if o.ref != nil && o.ref.file.id == tf.id {
		return o.ref.file, o.ref
	}
	// another template's text, included by name: its first helm name
	names := slices.Sorted(maps.Keys(o.refs))
	for _, name := range names {
		if ref := o.refs[name]; ref.file.id == tf.id {
			return ref.file, ref
		}
	}
	return nil, nil
}

// resolve maps the field reached by rest below template line li: to the
// values key the line's action renders, or to the line itself. exist
// counts the steps of rest that exist in the rendered object.
func (o *objectOrigin) resolve(tf *tmplFile, ref *templateRef, li int, rest []lint.PathStep, exist int, q query) (loc lint.Location, fromValues bool) {
	atValue := true // line li's value is the node reached
	if len(rest) > 0 {
		step := rest[0] // the step that reached line li
		rest, exist = rest[1:], exist-1
		if l := &tf.lines[li]; step.Index >= 0 && l.key != "" {
			// `- name: x`: the item and its first key share the line, and
			// the value on it is that key's
			atValue = len(rest) > 0 && rest[0].Index < 0 && rest[0].Key == l.key
			if atValue {
				rest, exist = rest[1:], exist-1
			}
		}
	}
	var best *valuesHit
	if atValue {
		for _, x := range tf.valuesAt(li) {
			if h := o.r.lookupValues(ref, x, rest, q); h != nil && h.better(best) {
				best = h
			}
		}
	}
	if best == nil && atValue && len(rest) > 0 && rest[0].Index >= 0 {
		best = o.appendedItem(tf, ref, li, rest, q)
	}
	if best != nil {
		best.loc.Related = append([]lint.Related{o.templateRelated(tf, ref, li)}, best.loc.Related...)
		return best.loc, true
	}
	if lj := o.nextLine(tf, ref, li, rest); lj >= 0 {
		if loc, vals := o.resolve(tf, ref, lj, rest, exist, q); vals || exist > 0 {
			return loc, vals
		}
	}
	if loc, ok := o.sameValue(tf, ref, li, q, o.untraced(tf, ref, li, atValue, rest, exist)); ok {
		return loc, true
	}
	if tf.disk == "" {
		return o.kindLine(), false
	}
	return lint.Location{File: o.r.display(tf.disk), Line: li + 1, Column: tf.lines[li].indent + 1,
		Related: []lint.Related{o.r.unitRelated()}}, false
}

// untraced reports whether the value at line li came out of an action
// whose values path oomlint could not follow, so an equal values entry may
// be where it was written. A line naming values keys that are all unset
// rendered a default written in the template (`| default "64m"`): its
// value is the template's, whatever values hold the same text.
func (o *objectOrigin) untraced(tf *tmplFile, ref *templateRef, li int, atValue bool, rest []lint.PathStep, exist int) bool {
	if len(rest) > 0 {
		return exist == len(rest)
	}
	if !atValue || !tf.rendersValue(li) {
		return false
	}
	refs := tf.valuesAt(li)
	return len(refs) == 0 || slices.ContainsFunc(refs, func(x []string) bool { return !o.r.emptyValue(ref, x) })
}

// sameValue is the fallback for a scalar that came out of an action (a
// helper's dict through toYaml, an include) when no values path can be
// followed (rendered says so): the one values entry under the same key
// with the same value is where it was written.
func (o *objectOrigin) sameValue(tf *tmplFile, ref *templateRef, li int, q query, rendered bool) (lint.Location, bool) {
	if q.target == nil || !rendered {
		return lint.Location{}, false
	}
	h := o.r.uniqueLeaf(ref, q.key, q.target)
	if h == nil {
		return lint.Location{}, false
	}
	h.loc.Related = append([]lint.Related{o.templateRelated(tf, ref, li)}, h.loc.Related...)
	return h.loc, true
}

func (o *objectOrigin) templateRelated(tf *tmplFile, ref *templateRef, li int) lint.Related {
	if tf.disk == "" {
		at := o.r.archiveAt(ref.chain[len(ref.chain)-1])
		return lint.Related{File: at.File, Line: at.Line, Column: at.Column, Message: "rendered by " + tf.name + " of an archived chart"}
	}
	return lint.Related{File: o.r.display(tf.disk), Line: li + 1, Column: tf.lines[li].indent + 1, Message: "the template line that renders this value"}
}

// kindLine is the fallback: the object's template at its kind: line.
func (o *objectOrigin) kindLine() lint.Location {
	rel := []lint.Related{o.r.unitRelated()}
	if o.ref == nil {
		at := o.r.archiveAt(nil)
		at.Related = rel
		return at
	}
	if o.ref.file.disk == "" {
		at := o.r.archiveAt(o.ref.chain[len(o.ref.chain)-1])
		at.Related = rel
		return at
	}
	line := 1
	if k, _ := yamlnode.Lookup(yamlnode.Deref(o.obj), "kind"); k != nil {
		if m, ok := o.marks[k.Line]; ok && m.id == o.ref.file.id {
			line = m.line
		}
	}
	if line == 1 {
		for i, l := range o.ref.file.lines {
			if l.key == "kind" && l.indent == 0 {
				line = i + 1
				break
			}
		}
	}
	return lint.Location{File: o.r.display(o.ref.file.disk), Line: line, Column: 1, Related: rel}
}

// valuesAt lists the values paths the output actions of line li name, and
// of the action-only lines right after it when the key's value starts on
// the next line: `resources: {{ toYaml .Values.r }}`, `memory: {{ .Values.m }}`,
// `resources:` + `{{- toYaml .Values.r | nindent 12 }}`.
func (t *tmplFile) valuesAt(li int) [][]string {
	var out [][]string
	l := &t.lines[li]
	add := func(a tmplAction) {
		if a.kind == "output" {
			out = append(out, valueRefs(a.text, t.dotOf(a), a.vars)...)
		}
	}
	from := l.colon
	if from < 0 {
		from = l.indent
	}
	for _, ai := range l.actions {
		if t.actions[ai].col >= from {
			add(t.actions[ai])
		}
	}
	if after := strings.TrimSpace(l.text[min(max(from, 0), len(l.text)):]); after != "" && l.colon >= 0 {
		return out
	}
	for j := li + 1; j < len(t.lines); j++ {
		n := &t.lines[j]
		if n.plain && !n.multi {
			break
		}
		for _, ai := range n.actions {
			add(t.actions[ai])
		}
	}
	return out
}

// appendedItem maps an item of the list under line li that the template
// appends after its own items (`env:` with fixed entries, then
// `{{- toYaml .Values.extraEnvs | nindent 12 }}`; `containers:` and
// `{{- with .Values.sidecars }}{{- toYaml . | nindent 8 }}`) to the values
// list entry it came from: the one whose value or name: equals the
// rendered item's. An empty list is never that entry.
func (o *objectOrigin) appendedItem(tf *tmplFile, ref *templateRef, li int, rest []lint.PathStep, q query) *valuesHit {
	var best *valuesHit
	for _, x := range tf.blockValues(li) {
		if h := o.r.lookupValues(ref, append(slices.Clip(x), rangeElem), rest[1:], q); h != nil && h.better(best) {
			best = h
		}
	}
	return best
}

// blockValues lists the values paths that the action-only lines of the
// block under line li render.
func (t *tmplFile) blockValues(li int) [][]string {
	base := t.lines[li].indent
	var out [][]string
	for j := li + 1; j < len(t.lines); j++ {
		n := &t.lines[j]
		if n.plain && !n.multi {
			if n.indent <= base {
				break
			}
			continue
		}
		for _, ai := range n.actions {
			if a := t.actions[ai]; a.kind == "output" {
				out = append(out, valueRefs(a.text, t.dotOf(a), a.vars)...)
			}
		}
	}
	return out
}

// dotOf is what . means where action a runs; in a helper an object
// template includes with the root context, the helper's . is that root.
func (t *tmplFile) dotOf(a tmplAction) dotScope {
	if t.rootDefine && a.dot.kind == dotUnknown && len(a.dot.path) == 0 {
		return dotScope{kind: dotRoot}
	}
	return a.dot
}

// itemLine is the line of item i of the list under line li, when the
// template writes the list's items itself; -1 when an action may add or
// repeat items (a range, a toYaml) or there are fewer.
func (t *tmplFile) itemLine(li, i int) int {
	base, level := t.lines[li].indent, -1
	for j := li + 1; j < len(t.lines); j++ {
		n := &t.lines[j]
		if n.multi || n.define != t.lines[li].define {
			continue
		}
		if !n.plain {
			if level < 0 || n.indent <= level {
				return -1 // items from an action
			}
			continue
		}
		if n.indent <= base || (level >= 0 && n.indent < level) {
			return -1
		}
		if !n.item || (level >= 0 && n.indent > level) {
			continue
		}
		level = n.indent
		if i == 0 {
			return j
		}
		i--
	}
	return -1
}

// nextLine is the template line of the path's next step below line li:
// a child key, or in a helper read as an object's template, a list item.
func (o *objectOrigin) nextLine(tf *tmplFile, ref *templateRef, li int, rest []lint.PathStep) int {
	switch {
	case len(rest) == 0:
		return -1
	case rest[0].Index < 0:
		return o.childKey(tf, ref, li, rest[0].Key)
	case tf.rootDefine:
		return tf.itemLine(li, rest[0].Index)
	}
	return -1
}

// childKey finds the line of key in the block under line li, -1 if none.
// Branches of an if may each write the key (`resources:` from values, else
// from a preset helper): the first whose values are set is the one that
// rendered, since an empty map or list renders nothing under toYaml and
// fails the usual `if .Values.x` guard.
func (o *objectOrigin) childKey(tf *tmplFile, ref *templateRef, li int, key string) int {
	first := -1
	for _, j := range tf.childKeys(li, key) {
		if first < 0 {
			first = j
		}
		refs := tf.valuesAt(j)
		if len(refs) > 0 && !slices.ContainsFunc(refs, func(x []string) bool { return o.r.emptyValue(ref, x) }) {
			return j
		}
	}
	return first
}

// childKeys lists the lines of key in the block under line li.
func (t *tmplFile) childKeys(li int, key string) []int {
	base := t.lines[li].indent
	var out []int
	for j := li + 1; j < len(t.lines); j++ {
		n := &t.lines[j]
		if !n.plain || n.multi {
			continue
		}
		if n.indent <= base {
			break
		}
		if n.key == key && !n.item {
			out = append(out, j)
		}
	}
	return out
}

// emptyValue reports whether the values key x is unset, null, or an empty
// map or list.
func (r *chartRender) emptyValue(ref *templateRef, x []string) bool {
	if slices.Contains(x, rangeElem) {
		return false // a range element: not decided here
	}
	path := make([]lint.PathStep, len(x))
	for i, k := range x {
		path[i] = lint.PathStep{Key: k, Index: -1}
	}
	h := r.lookupPath(ref, path, len(x), nil)
	if h == nil || !h.full {
		return true
	}
	n := h.node
	return n == nil || yamlnode.IsNull(n) || (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && len(n.Content) == 0 ||
		n.Kind == yaml.ScalarNode && n.Value == ""
}

// valuesHit is a values key that a rendered field maps to.
type valuesHit struct {
	loc   lint.Location
	node  *yaml.Node // the values node reached
	depth int        // path steps matched
	full  bool       // the whole path exists
	equal bool       // the rendered scalar equals the values scalar
}

func (h *valuesHit) better(o *valuesHit) bool {
	switch {
	case o == nil:
		return true
	case h.equal != o.equal:
		return h.equal
	case h.full != o.full:
		return h.full
	}
	return h.depth > o.depth
}

// valuesLocation is lookupValues for callers without a rendered node.
func (r *chartRender) valuesLocation(ref *templateRef, x []string) (lint.Location, bool) {
	h := r.lookupValues(ref, x, nil, query{})
	if h == nil {
		return lint.Location{}, false
	}
	return h.loc, true
}

// valuesFile is a values file and the keys under which it holds the
// values of the chart a template belongs to.
type valuesFile struct {
	abs    string
	prefix []string
	layer  *Layer // nil for the charts' own values.yaml files
}

// valuesFiles are the files that set a chart's values, lowest precedence
// first: the subchart's own values.yaml, each parent's, then the user's.
func (r *chartRender) valuesFiles(ref *templateRef, global bool) []valuesFile {
	var out []valuesFile
	for i, src := range slices.Backward(ref.chain) {
		if v := src.values(); v != "" {
			var prefix []string
			if !global && i < len(ref.prefix) {
				prefix = ref.prefix[i:]
			}
			out = append(out, valuesFile{v, prefix, nil})
		}
	}
	prefix := ref.prefix
	if global {
		prefix = nil
	}
	for i := range r.layers {
		out = append(out, valuesFile{r.layers[i].File, prefix, &r.layers[i]})
	}
	return out
}

// root is the values tree of a values file or layer, nil when unreadable.
func (r *chartRender) root(vf valuesFile) *yaml.Node {
	if vf.layer != nil && vf.layer.Root != nil {
		return vf.layer.Root
	}
	if vf.layer != nil && vf.layer.Values != nil {
		return nil
	}
	return r.parse(vf.abs)
}

// at is the location of a node reached in a values file or layer by steps.
func (r *chartRender) at(vf valuesFile, n *yaml.Node, steps []lint.PathStep) lint.Location {
	if vf.layer != nil && vf.layer.Locate != nil {
		loc := vf.layer.Locate(steps)
		loc.Related = append(loc.Related, r.unitRelated())
		return loc
	}
	return lint.Location{File: r.display(vf.abs), Line: n.Line, Column: n.Column, Related: []lint.Related{r.unitRelated()}}
}

// layerSteps turns the keys a value has in the chart's values (a
// subchart's prefix, then path) into steps inside one file or layer: a
// layer nested under a targetPath holds only the keys below it.
func layerSteps(vf valuesFile, path []lint.PathStep) ([]lint.PathStep, bool) {
	steps := make([]lint.PathStep, 0, len(vf.prefix)+len(path))
	for _, k := range vf.prefix {
		steps = append(steps, lint.PathStep{Key: k, Index: -1})
	}
	steps = append(steps, path...)
	if vf.layer == nil {
		return steps, true
	}
	for _, k := range vf.layer.Prefix {
		if len(steps) == 0 || steps[0].Index >= 0 || steps[0].Key != k {
			return nil, false
		}
		steps = steps[1:]
	}
	return steps, true
}

// lookupValues finds x+rest in the values files: the last file with the
// deepest match wins. Nothing when no file has x itself (the value came
// from a default in the template).
func (r *chartRender) lookupValues(ref *templateRef, x []string, rest []lint.PathStep, q query) *valuesHit {
	if ref == nil || len(x) == 0 {
		return nil
	}
	path := make([]lint.PathStep, 0, len(x)+len(rest))
	for _, k := range x {
		path = append(path, lint.PathStep{Key: k, Index: -1})
	}
	path = append(path, rest...)
	if i := slices.Index(x, rangeElem); i >= 0 {
		return r.lookupRange(ref, path, i, len(x), q)
	}
	return r.lookupPath(ref, path, len(x), q.target)
}

// lookupPath finds path in the values files; at least its first need steps
// must exist.
func (r *chartRender) lookupPath(ref *templateRef, path []lint.PathStep, need int, target *yaml.Node) *valuesHit {
	var best *valuesHit
	for _, vf := range r.valuesFiles(ref, path[0].Key == "global") {
		root := r.root(vf)
		if root == nil {
			continue
		}
		h := r.walkValues(vf, root, path, target)
		if h != nil && h.depth >= need && (best == nil || h.depth >= best.depth) {
			best = h
		}
	}
	return best
}

// lookupRange resolves a path through a range element (step i): it tries
// every element of the values list or map and keeps the one whose value
// equals the rendered one, else the one whose name: matches a rendered
// item's. When that does not single one out, nothing (the template line).
func (r *chartRender) lookupRange(ref *templateRef, path []lint.PathStep, i, need int, q query) *valuesHit {
	list := r.lookupPath(ref, path[:i], i, nil)
	if list == nil || !list.full || list.node == nil {
		return nil
	}
	var equal, named []*valuesHit
	for k, elem := range elements(list.node) {
		p := slices.Clone(path)
		p[i] = elem
		var h *valuesHit
		if j := slices.IndexFunc(p, func(s lint.PathStep) bool { return s.Key == rangeElem && s.Index < 0 }); j >= 0 {
			h = r.lookupRange(ref, p, j, need, q)
		} else {
			h = r.lookupPath(ref, p, need, q.target)
		}
		if h == nil {
			continue
		}
		if h.equal {
			equal = append(equal, h)
		}
		if sameName(list.node, k, q.items) {
			named = append(named, h)
		}
	}
	switch {
	case len(equal) == 1:
		return equal[0]
	case len(named) == 1:
		return named[0]
	}
	return nil
}

// elements are the steps into each element of a values list or map.
func elements(n *yaml.Node) []lint.PathStep {
	var out []lint.PathStep
	switch n.Kind {
	case yaml.SequenceNode:
		for k := range n.Content {
			out = append(out, lint.PathStep{Index: k})
		}
	case yaml.MappingNode:
		for k := 0; k+1 < len(n.Content); k += 2 {
			out = append(out, lint.PathStep{Key: n.Content[k].Value, Index: -1})
		}
	default: // a scalar ranges over nothing oomlint can follow
	}
	return out
}

// sameName reports whether element k of a values list has the name: of
// one of the rendered items.
func sameName(list *yaml.Node, k int, items []*yaml.Node) bool {
	if list.Kind != yaml.SequenceNode {
		return false
	}
	_, name := yamlnode.Lookup(yamlnode.Deref(list.Content[k]), "name")
	if name == nil || name.Value == "" {
		return false
	}
	return slices.ContainsFunc(items, func(it *yaml.Node) bool {
		_, n := yamlnode.Lookup(it, "name")
		return n != nil && n.Value == name.Value
	})
}

// walkValues follows prefix+path in one values file.
func (r *chartRender) walkValues(vf valuesFile, root *yaml.Node, path []lint.PathStep, target *yaml.Node) *valuesHit {
	steps, ok := layerSteps(vf, path)
	if !ok {
		return nil
	}
	skip := len(steps) - len(path) // the prefix steps: they must all exist
	cur := yamlnode.Deref(root)
	var at *yaml.Node
	walked := 0
	for _, s := range steps {
		var next, pos *yaml.Node
		if s.Index >= 0 {
			if cur == nil || cur.Kind != yaml.SequenceNode || s.Index >= len(cur.Content) {
				break
			}
			next = yamlnode.Deref(cur.Content[s.Index])
			pos = next
		} else {
			k, v := yamlnode.Lookup(cur, s.Key)
			if k == nil {
				break
			}
			next, pos = yamlnode.Deref(v), k
		}
		cur, at = next, pos
		walked++
	}
	depth := walked - skip
	if at == nil || depth <= 0 && len(path) > 0 {
		return nil
	}
	h := &valuesHit{depth: depth, full: depth == len(path), node: cur}
	if h.full && cur != nil && cur.Kind == yaml.ScalarNode {
		at = cur
		h.equal = target != nil && target.Kind == yaml.ScalarNode && target.Value == cur.Value
	}
	h.loc = r.at(vf, at, steps[:walked])
	return h
}

// parse reads a values file once per unit. Origins are located from
// several goroutines at once.
func (r *chartRender) parse(abs string) *yaml.Node {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n, ok := r.parsed[abs]; ok {
		return n
	}
	var doc yaml.Node
	data, err := os.ReadFile(abs)
	if err != nil || yaml.Unmarshal(data, &doc) != nil {
		r.parsed[abs] = nil
		return nil
	}
	r.parsed[abs] = &doc
	return &doc
}

// String is for test failures.
func (h *valuesHit) String() string { return fmt.Sprintf("%s:%d", h.loc.File, h.loc.Line) }

// rendersValue reports whether line li's value is an action's output.
func (t *tmplFile) rendersValue(li int) bool {
	l := &t.lines[li]
	for _, ai := range l.actions {
		if a := t.actions[ai]; a.kind == "output" && a.col >= l.colon {
			return true
		}
	}
	return false
}

// uniqueLeaf is the fallback for values the template reaches in ways not
// followed (range, helpers): the one values entry under the same key with
// the same scalar, when there is exactly one.
func (r *chartRender) uniqueLeaf(ref *templateRef, key string, target *yaml.Node) *valuesHit {
	if ref == nil || key == "" || target.Kind != yaml.ScalarNode || target.Value == "" {
		return nil
	}
	var found []*valuesHit
	for _, vf := range r.valuesFiles(ref, false) {
		root := r.root(vf)
		if root == nil {
			continue
		}
		steps, ok := layerSteps(vf, nil)
		if !ok {
			continue
		}
		cur := yamlnode.Deref(root)
		for _, s := range steps {
			_, cur = yamlnode.Lookup(cur, s.Key)
			cur = yamlnode.Deref(cur)
		}
		eachLeafPath(cur, steps, func(k, v *yaml.Node, at []lint.PathStep) {
			if k.Value == key && v.Value == target.Value {
				found = append(found, &valuesHit{loc: r.at(vf, v, at)})
			}
		})
	}
	if len(found) != 1 {
		return nil
	}
	return found[0]
}

// eachLeafPath is eachLeaf with the steps from the values root to each leaf.
func eachLeafPath(n *yaml.Node, at []lint.PathStep, f func(k, v *yaml.Node, at []lint.PathStep)) {
	switch {
	case n == nil:
	case n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := append(slices.Clip(at), lint.PathStep{Key: n.Content[i].Value, Index: -1})
			if v := yamlnode.Deref(n.Content[i+1]); v != nil && v.Kind == yaml.ScalarNode {
				f(n.Content[i], v, p)
			} else {
				eachLeafPath(v, p, f)
			}
		}
	case n.Kind == yaml.SequenceNode:
		for j, c := range n.Content {
			eachLeafPath(yamlnode.Deref(c), append(slices.Clip(at), lint.PathStep{Index: j}), f)
		}
	}
}
