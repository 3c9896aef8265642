package appset

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	yaml "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// gen is one generator of a generators[] item: its name, key and body.
type gen struct {
	name      string
	key, body *yaml.Node
}

// skipReason says why a generator cannot be expanded, at a node.
type skipReason struct {
	node   *yaml.Node
	reason string
}

func skipAt(n *yaml.Node, format string, args ...any) *skipReason {
	return &skipReason{node: n, reason: fmt.Sprintf(format, args...)}
}

// generatorNames are the generator fields of ApplicationSetGenerator, in the
// order the controller runs them when one item holds several.
var generatorNames = []string{
	"list", "clusters", "git", "scmProvider", "clusterDecisionResource",
	"pullRequest", "matrix", "merge", "plugin",
}

func generatorsOf(item *yaml.Node) []gen {
	var gs []gen
	for _, name := range generatorNames {
		if k, v := yamlnode.Lookup(item, name); k != nil {
			gs = append(gs, gen{name, k, yamlnode.Deref(v)})
		}
	}
	for i := 0; i+1 < len(item.Content); i += 2 {
		k := item.Content[i]
		if k.Value == "selector" || slices.Contains(generatorNames, k.Value) {
			continue
		}
		gs = append(gs, gen{k.Value, k, yamlnode.Deref(item.Content[i+1])})
	}
	return gs
}

// generate runs one generator of item and applies item's selector. It
// returns the parameter sets and the generator's own template, if any.
func (x *expander) generate(g gen, item *yaml.Node, depth int) ([]map[string]any, *yaml.Node, *skipReason, error) {
	var (
		ps  []map[string]any
		sk  *skipReason
		err error
	)
	switch g.name {
	case "list":
		ps, sk = x.list(g)
	case "git":
		ps, sk, err = x.git(g)
	case "matrix":
		ps, sk, err = x.matrix(g, depth)
	default:
		return nil, nil, skipAt(g.key, "not expanded offline"), nil
	}
	if err != nil || sk != nil {
		return nil, nil, sk, err
	}
	// The controller drops the selectors of a nested matrix's children
	// unless spec.applyNestedSelectors is set.
	if _, sel := yamlnode.Lookup(item, "selector"); sel != nil && !yamlnode.IsNull(sel) && (depth < 2 || x.nestedSel) {
		if ps, sk = filterSelector(yamlnode.Deref(sel), ps); sk != nil {
			return nil, nil, sk, nil
		}
	}
	var tmpl *yaml.Node
	if g.body != nil && g.body.Kind == yaml.MappingNode {
		_, tmpl = yamlnode.Lookup(g.body, "template")
	}
	return ps, tmpl, nil, nil
}

// list runs a list generator. Without goTemplate every element value must be
// a string (a "values" map becomes values.key parameters), as in Argo CD.
func (x *expander) list(g gen) ([]map[string]any, *skipReason) {
	if yamlnode.IsNull(g.body) {
		return nil, nil
	}
	if g.body.Kind != yaml.MappingNode {
		return nil, skipAt(g.key, "list generator is not a map")
	}
	var res []map[string]any
	if _, els := yamlnode.Lookup(g.body, "elements"); els != nil && !yamlnode.IsNull(els) {
		if els.Kind != yaml.SequenceNode {
			return nil, skipAt(els, "list elements is not a list")
		}
		for _, el := range els.Content {
			v, err := toJSON(el)
			if err != nil {
				return nil, skipAt(el, "list element: %v", err)
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, skipAt(el, "list element is not a map")
			}
			if x.goTemplate {
				res = append(res, m)
				continue
			}
			p, why := stringParams(m)
			if why != "" {
				return nil, skipAt(el, "list element: %s", why)
			}
			res = append(res, p)
		}
	}
	if _, ey := yamlnode.Lookup(g.body, "elementsYaml"); ey != nil && ey.Kind == yaml.ScalarNode && ey.Value != "" {
		var more []map[string]any
		if err := sigsyaml.Unmarshal([]byte(ey.Value), &more); err != nil {
			return nil, skipAt(ey, "elementsYaml: %v", err)
		}
		res = append(res, more...)
	}
	return res, nil
}

// stringParams turns a list element into fasttemplate parameters.
func stringParams(m map[string]any) (map[string]any, string) {
	p := make(map[string]any, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k != "values" {
			s, ok := m[k].(string)
			if !ok {
				return nil, fmt.Sprintf("value of %q is not a string (other values need goTemplate)", k)
			}
			p[k] = s
			continue
		}
		vm, ok := m[k].(map[string]any)
		if !ok {
			return nil, "values is not a map"
		}
		for _, vk := range slices.Sorted(maps.Keys(vm)) {
			s, ok := vm[vk].(string)
			if !ok {
				return nil, fmt.Sprintf("value of \"values.%s\" is not a string (other values need goTemplate)", vk)
			}
			p["values."+vk] = s
		}
	}
	return p, ""
}

// gitItem is one entry of a git generator's directories or files.
type gitItem struct {
	path    string
	exclude bool
}

func gitItems(n *yaml.Node) ([]gitItem, *skipReason) {
	var items []gitItem
	for _, it := range n.Content {
		it = yamlnode.Deref(it)
		if it.Kind != yaml.MappingNode {
			return nil, skipAt(it, "git path entry is not a map")
		}
		var gi gitItem
		if _, p := yamlnode.Lookup(it, "path"); p != nil && p.Kind == yaml.ScalarNode {
			gi.path = p.Value
		}
		if _, e := yamlnode.Lookup(it, "exclude"); e != nil {
			b, err := boolValue(e)
			if err != nil {
				return nil, skipAt(e, "exclude: %v", err)
			}
			gi.exclude = b
		}
		items = append(items, gi)
	}
	return items, nil
}

// git runs a git generator against the working tree under Options.RepoRoot.
func (x *expander) git(g gen) ([]map[string]any, *skipReason, error) {
	if g.body == nil || g.body.Kind != yaml.MappingNode {
		return nil, skipAt(g.key, "git generator is not a map"), nil
	}
	urlKey, url := yamlnode.Lookup(g.body, "repoURL")
	if url == nil || url.Kind != yaml.ScalarNode {
		return nil, skipAt(g.key, "git generator has no repoURL"), nil
	}
	if x.opt.IsThisRepo != nil && !x.opt.IsThisRepo(url.Value) {
		return nil, skipAt(urlKey, "repository not this one: %s", url.Value), nil
	}
	if x.opt.RepoRoot == "" {
		return nil, skipAt(urlKey, "no repository root to read"), nil
	}
	prefix := ""
	if _, pp := yamlnode.Lookup(g.body, "pathParamPrefix"); pp != nil && pp.Kind == yaml.ScalarNode {
		prefix = pp.Value
	}
	_, dirs := yamlnode.Lookup(g.body, "directories")
	_, files := yamlnode.Lookup(g.body, "files")
	var (
		ps []map[string]any
		sk *skipReason
	)
	switch {
	case dirs != nil && dirs.Kind == yaml.SequenceNode && len(dirs.Content) > 0:
		ps, sk = x.gitDirectories(dirs, prefix)
	case files != nil && files.Kind == yaml.SequenceNode && len(files.Content) > 0:
		ps, sk = x.gitFiles(files, prefix)
	default:
		return nil, skipAt(g.key, "git generator has no directories or files"), nil
	}
	if sk != nil {
		return nil, sk, nil
	}
	if _, vals := yamlnode.Lookup(g.body, "values"); vals != nil && vals.Kind == yaml.MappingNode {
		for _, p := range ps {
			if err := x.appendValues(p, vals); err != nil {
				return nil, nil, err
			}
		}
	}
	return ps, nil, nil
}

func (x *expander) gitDirectories(n *yaml.Node, prefix string) ([]map[string]any, *skipReason) {
	items, sk := gitItems(n)
	if sk != nil {
		return nil, sk
	}
	idx, err := x.repoIndex()
	if err != nil {
		return nil, skipAt(n, "read repository: %v", err)
	}
	var res []map[string]any
	for _, dir := range idx.dirs {
		include, exclude := false, false
		for _, it := range items {
			ok, err := path.Match(it.path, dir)
			if err != nil || !ok {
				continue
			}
			if it.exclude {
				exclude = true
			} else {
				include = true
			}
		}
		if include && !exclude {
			res = append(res, x.dirParams(dir, prefix))
		}
	}
	return res, nil
}

func (x *expander) dirParams(dir, prefix string) map[string]any {
	p := map[string]any{}
	base := path.Base(dir)
	if x.goTemplate {
		pp := map[string]any{
			"path":               dir,
			"basename":           base,
			"basenameNormalized": sanitizeName(base),
			"segments":           strings.Split(dir, "/"),
		}
		setPathParam(p, pp, prefix)
		return p
	}
	name := "path"
	if prefix != "" {
		name = prefix + ".path"
	}
	p[name] = dir
	p[name+".basename"] = base
	p[name+".basenameNormalized"] = sanitizeName(base)
	addSegments(p, name, dir)
	return p
}

func setPathParam(p, pp map[string]any, prefix string) {
	if prefix != "" {
		p[prefix] = map[string]any{"path": pp}
	} else {
		p["path"] = pp
	}
}

func addSegments(p map[string]any, name, dir string) {
	for i, s := range strings.Split(dir, "/") {
		if s != "" {
			p[name+"["+strconv.Itoa(i)+"]"] = s
		}
	}
}

func (x *expander) gitFiles(n *yaml.Node, prefix string) ([]map[string]any, *skipReason) {
	items, sk := gitItems(n)
	if sk != nil {
		return nil, sk
	}
	idx, err := x.repoIndex()
	if err != nil {
		return nil, skipAt(n, "read repository: %v", err)
	}
	var res []map[string]any
	for _, file := range idx.files { // sorted, as the controller sorts them
		include, exclude := false, false
		for _, it := range items {
			if !x.matchFile(it.path, file) {
				continue
			}
			if it.exclude {
				exclude = true
			} else {
				include = true
			}
		}
		if !include || exclude {
			continue
		}
		objs, err := idx.readObjects(file)
		if err != nil {
			return nil, skipAt(n, "file %s: %v", file, err)
		}
		for _, obj := range objs {
			res = append(res, x.fileParams(obj, file, prefix))
		}
	}
	return res, nil
}

func (x *expander) fileParams(obj map[string]any, file, prefix string) map[string]any {
	dir := path.Dir(file)
	base, name := path.Base(dir), path.Base(file)
	p := map[string]any{}
	if x.goTemplate {
		maps.Copy(p, obj)
		pp := map[string]any{
			"path":               dir,
			"basename":           base,
			"filename":           name,
			"basenameNormalized": sanitizeName(base),
			"filenameNormalized": sanitizeName(name),
			"segments":           strings.Split(dir, "/"),
		}
		setPathParam(p, pp, prefix)
		return p
	}
	for k, v := range flatten(obj) {
		p[k] = v
	}
	pn := "path"
	if prefix != "" {
		pn = prefix + ".path"
	}
	p[pn] = dir
	p[pn+".basename"] = base
	p[pn+".filename"] = name
	p[pn+".basenameNormalized"] = sanitizeName(base)
	p[pn+".filenameNormalized"] = sanitizeName(name)
	addSegments(p, pn, dir)
	return p
}

// appendValues renders a generator's values with p and adds them to p: as
// values.key without goTemplate, as a values map with it.
func (x *expander) appendValues(p map[string]any, vals *yaml.Node) error {
	rendered := map[string]string{}
	for i := 0; i+1 < len(vals.Content); i += 2 {
		k, v := vals.Content[i], yamlnode.Deref(vals.Content[i+1])
		s, err := x.replace(v.Value, p)
		if err != nil {
			return &LineError{Line: v.Line, Column: v.Column, Err: fmt.Errorf("values.%s: %w", k.Value, err)}
		}
		rendered[k.Value] = s
	}
	if x.goTemplate {
		p["values"] = rendered
		return nil
	}
	for k, v := range rendered {
		p["values."+k] = v
	}
	return nil
}

// matrix runs a matrix generator: the cartesian product of its two child
// generators, where the second child is first rendered with each parameter
// set of the first.
//
//nolint:gocognit // follows Argo CD's own algorithm step by step
func (x *expander) matrix(g gen, depth int) ([]map[string]any, *skipReason, error) {
	if depth+1 >= maxMatrixDepth {
		return nil, skipAt(g.key, "matrix nested too deeply"), nil
	}
	if g.body == nil || g.body.Kind != yaml.MappingNode {
		return nil, skipAt(g.key, "matrix generator is not a map"), nil
	}
	_, children := yamlnode.Lookup(g.body, "generators")
	if children == nil || children.Kind != yaml.SequenceNode || len(children.Content) != 2 {
		n := 0
		if children != nil {
			n = len(children.Content)
		}
		return nil, skipAt(g.key, "matrix needs exactly two generators, has %d", n), nil
	}
	first, second := yamlnode.Deref(children.Content[0]), yamlnode.Deref(children.Content[1])
	g0, sk := onlyGenerator(first)
	if sk != nil {
		return nil, sk, nil
	}
	ps0, _, sk, err := x.generate(g0, first, depth+1)
	if err != nil || sk != nil {
		return nil, childSkip(g0, sk), err
	}
	if len(ps0) == 0 {
		return nil, skipAt(g0.key, "the first matrix generator gave no parameters"), nil
	}
	var res []map[string]any
	for _, a := range ps0 {
		item, origin := second, map[*yaml.Node]*yaml.Node(nil)
		if len(a) > 0 {
			src := map[*yaml.Node]*yaml.Node{}
			c := x.newCopier(a, src)
			if item, err = c.copy(withoutTemplates(second, src)); err != nil {
				return nil, nil, err
			}
			origin = c.origin
		}
		g1, sk := onlyGenerator(item)
		if sk != nil {
			return nil, sourceSkip(sk, origin), nil
		}
		ps1, _, sk, err := x.generate(g1, item, depth+1)
		if err != nil || sk != nil {
			return nil, sourceSkip(childSkip(g1, sk), origin), err
		}
		if len(ps1) == 0 {
			return nil, sourceSkip(skipAt(g1.key, "the second matrix generator gave no parameters"), origin), nil
		}
		for _, b := range ps1 {
			p, why := x.combine(a, b)
			if why != "" {
				return nil, skipAt(g.key, "%s", why), nil
			}
			res = append(res, p)
			if len(res) > maxApps {
				return nil, nil, lineErr(g.key, "%w: more than %d parameter sets", ErrTooLarge, maxApps)
			}
		}
	}
	return res, nil, nil
}

// withoutTemplates drops the template of a matrix child's generator: the
// matrix does not use it, so it is not rendered with the first child's
// parameters either.
func withoutTemplates(item *yaml.Node, src map[*yaml.Node]*yaml.Node) *yaml.Node {
	if item.Kind != yaml.MappingNode {
		return item
	}
	out := *item
	out.Content = slices.Clone(item.Content)
	for i := 1; i < len(out.Content); i += 2 {
		if body := yamlnode.Deref(out.Content[i]); body != nil && body.Kind == yaml.MappingNode {
			out.Content[i] = filterKeys(body, func(k string) bool { return k != "template" }, src)
		}
	}
	src[&out] = item
	return &out
}

func onlyGenerator(item *yaml.Node) (gen, *skipReason) {
	if item.Kind != yaml.MappingNode {
		return gen{}, skipAt(item, "matrix child is not a map")
	}
	gs := generatorsOf(item)
	if len(gs) != 1 {
		return gen{}, skipAt(item, "matrix child has %d generators, not one", len(gs))
	}
	return gs[0], nil
}

func childSkip(g gen, sk *skipReason) *skipReason {
	if sk == nil {
		return nil
	}
	return &skipReason{node: sk.node, reason: fmt.Sprintf("its %s generator: %s", g.name, sk.reason)}
}

// sourceSkip moves a skip found in a rendered copy back to the source node.
func sourceSkip(sk *skipReason, origin map[*yaml.Node]*yaml.Node) *skipReason {
	if sk == nil || origin == nil {
		return sk
	}
	if o := origin[sk.node]; o != nil {
		return &skipReason{node: o, reason: sk.reason}
	}
	return sk
}

// combine merges one parameter set of each matrix child. With goTemplate the
// first child wins; without, a key both set differently is an error.
func (x *expander) combine(a, b map[string]any) (map[string]any, string) {
	if x.goTemplate {
		return deepMerge(deepMerge(map[string]any{}, b), a), ""
	}
	res := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		res[k] = fmt.Sprint(v)
	}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		s := fmt.Sprint(b[k])
		if cur, ok := res[k]; ok && cur != s {
			return nil, fmt.Sprintf("matrix parameter %s is %q in one generator and %q in the other", k, cur, s)
		}
		res[k] = s
	}
	return res, ""
}

// deepMerge copies src into dst, merging nested maps, src winning.
func deepMerge(dst, src map[string]any) map[string]any {
	for k, v := range src {
		sm, ok1 := v.(map[string]any)
		dm, ok2 := dst[k].(map[string]any)
		if ok1 && ok2 {
			dst[k] = deepMerge(deepMerge(map[string]any{}, dm), sm)
			continue
		}
		dst[k] = v
	}
	return dst
}

// flatten turns nested parameters into a.b.0.c keys with string values.
func flatten(m map[string]any) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				walk(joinKey(prefix, k), e)
			}
		case []any:
			for i, e := range v {
				walk(joinKey(prefix, strconv.Itoa(i)), e)
			}
		default:
			out[prefix] = fmt.Sprintf("%v", v)
		}
	}
	for k, v := range m {
		walk(k, v)
	}
	return out
}

func joinKey(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// filterSelector keeps the parameter sets a generator's label selector
// matches, with the parameters flattened into labels.
//
//nolint:gocognit // follows Argo CD's own algorithm step by step
func filterSelector(sel *yaml.Node, ps []map[string]any) ([]map[string]any, *skipReason) {
	if sel.Kind != yaml.MappingNode {
		return nil, skipAt(sel, "selector is not a map")
	}
	type req struct {
		key, op string
		values  []string
	}
	var reqs []req
	if _, ml := yamlnode.Lookup(sel, "matchLabels"); ml != nil && ml.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(ml.Content); i += 2 {
			reqs = append(reqs, req{ml.Content[i].Value, "In", []string{yamlnode.Deref(ml.Content[i+1]).Value}})
		}
	}
	if _, me := yamlnode.Lookup(sel, "matchExpressions"); me != nil && me.Kind == yaml.SequenceNode {
		for _, e := range me.Content {
			e = yamlnode.Deref(e)
			var r req
			_, k := yamlnode.Lookup(e, "key")
			_, op := yamlnode.Lookup(e, "operator")
			if k == nil || op == nil {
				return nil, skipAt(e, "selector expression needs key and operator")
			}
			r.key, r.op = k.Value, op.Value
			if _, vs := yamlnode.Lookup(e, "values"); vs != nil && vs.Kind == yaml.SequenceNode {
				for _, v := range vs.Content {
					r.values = append(r.values, yamlnode.Deref(v).Value)
				}
			}
			switch r.op {
			case "In", "NotIn", "Exists", "DoesNotExist":
			default:
				return nil, skipAt(op, "unknown selector operator %q", r.op)
			}
			reqs = append(reqs, r)
		}
	}
	var res []map[string]any
	for _, p := range ps {
		labels := flatten(p)
		ok := true
		for _, r := range reqs {
			v, has := labels[r.key]
			switch r.op {
			case "In":
				ok = has && slices.Contains(r.values, v)
			case "NotIn":
				ok = !has || !slices.Contains(r.values, v)
			case "Exists":
				ok = has
			case "DoesNotExist":
				ok = !has
			}
			if !ok {
				break
			}
		}
		if ok {
			res = append(res, p)
		}
	}
	return res, nil
}
