package kustomize

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"

	"github.com/oomlint/oomlint/lint"
)

// Origin annotation keys krusty writes when buildMetadata asks for them.
const (
	kOriginAnnotation         = "config.kubernetes.io/origin"
	kTransformationAnnotation = "alpha.config.kubernetes.io/transformations"
)

// kTracer maps the fields of one build's objects to the base, patch or
// generator line that wrote them. Locate runs in parallel, so its caches
// are locked.
type kTracer struct {
	k   *Kustomize
	u   *lint.Unit
	top *kfile
	dir string // where the build ran: origin annotation paths are relative to it

	mu      sync.Mutex
	files   map[string][]*yaml.Node // parsed source files: their documents
	docs    map[string]*kDocIndex   // the documents of a source file by kind and name
	patches map[string][]*kPatch    // each kustomization's own patches, in application order
	byName  map[string]*kPatchIndex // the same, by the object names they can apply to
	chains  map[string][]*kfile     // origin file → the kustomizations acting on its objects, latest first

	charts map[string]*kChart // helmCharts output files in memory, by path
}

func newKTracer(k *Kustomize, u *lint.Unit, top *kfile) *kTracer {
	return &kTracer{k: k, u: u, top: top, dir: top.dir, files: map[string][]*yaml.Node{}, docs: map[string]*kDocIndex{},
		patches: map[string][]*kPatch{}, byName: map[string]*kPatchIndex{}, chains: map[string][]*kfile{}}
}

// builtBy names the build in every trace: the overlay, or the controller
// object that built a path.
func (tr *kTracer) builtBy() string {
	if tr.u.Source != nil {
		return "built by " + tr.u.Name
	}
	return "built from overlay " + tr.u.Name
}

// kSource is what the build says about one object before the
// annotations are stripped.
type kSource struct {
	kind, name, namespace string
	gvk                   resid.Gvk
	labels, annotations   map[string]string
	file                  string // the resource file, or the kustomization of a generator (absolute)
	generator             string // ConfigMapGenerator, SecretGenerator; "" for resources
}

// source reads the object's origin annotation (a build with buildMetadata).
func (tr *kTracer) source(res *resource.Resource) kSource {
	src := tr.sourceOf(res)
	delete(src.annotations, kOriginAnnotation)
	delete(src.annotations, kTransformationAnnotation)
	o, err := res.GetOrigin()
	switch {
	case err != nil || o == nil || o.Repo != "":
	case o.Path != "":
		src.file = filepath.Join(tr.dir, o.Path)
	case o.ConfiguredIn != "":
		src.file = filepath.Join(tr.dir, o.ConfiguredIn)
		src.generator = o.ConfiguredBy.Kind
	}
	return src
}

// sourceOf is what the object says of itself; its file is the top kustomization.
func (tr *kTracer) sourceOf(res *resource.Resource) kSource {
	return kSource{kind: res.GetKind(), name: res.GetName(), namespace: res.GetNamespace(),
		gvk: res.GetGvk(), labels: res.GetLabels(), annotations: res.GetAnnotations(), file: tr.top.file}
}

// origin returns the Origin of a rendered object from src.
func (tr *kTracer) origin(src kSource) func(*yaml.Node) lint.Origin {
	return func(obj *yaml.Node) lint.Origin { return &kustOrigin{tr: tr, src: src, obj: obj} }
}

// kustOrigin locates the fields of one built object. Locate runs once per
// field a rule reports, so what does not depend on the field (the source
// document, the patches that may apply) is found once per object.
type kustOrigin struct {
	tr  *kTracer
	src kSource
	obj *yaml.Node // the rendered object, to name list elements by their merge key

	once    sync.Once
	doc     *yaml.Node  // the object's document in its resource file
	srcName string      // its name there
	kfs     []*kfile    // the kustomizations acting on it, latest first
	patches [][]*kPatch // per kfs entry, the patches that apply to it, latest first
}

// prepare finds what every Locate of the object reads.
func (o *kustOrigin) prepare() {
	o.once.Do(func() {
		if o.src.generator == "" {
			o.doc = o.tr.sourceDoc(o.src)
			o.srcName = yamlnode.Str(yamlnode.Get(o.doc, "metadata"), "name")
		}
		o.kfs = o.tr.chain(o.src.file)
		o.patches = make([][]*kPatch, len(o.kfs))
		for i, kf := range o.kfs {
			o.patches[i] = o.tr.patchIndex(kf).applying(o.src, o.srcName)
		}
	})
}

// Locate walks the kustomizations acting on the object, latest first: in
// each, a transformer entry that sets the field (replicas, images,
// namespace) and then a patch that sets it win, in the order krusty applied
// them. Else the base (or generator) line, unless a patch reaches deeper
// along the path than the base does (a container a patch added).
func (o *kustOrigin) Locate(p lint.Path) lint.Location {
	o.prepare()
	steps := kNameSteps(o.obj, p.Steps())
	base, baseDepth := o.tr.baseNode(o.src, o.doc, steps)
	baseLoc := o.tr.at(base)
	unit := lint.Related{File: o.tr.k.display(o.tr.top.file), Line: 1, Column: 1, Message: o.tr.builtBy()}

	var deepest *kPatchHit
	for i, kf := range o.kfs {
		if n := transformerEntry(kf, o.src, o.srcName, steps, o.obj); n != nil {
			loc := o.tr.at(kFileNode{file: kf.file, node: n})
			loc.Related = []lint.Related{{File: baseLoc.File, Line: baseLoc.Line, Column: baseLoc.Column,
				Message: "base value, transformed by " + loc.File}, unit}
			return loc
		}
		for _, pt := range o.patches[i] { // latest first: a later patch overrides an earlier one
			hit := pt.reach(steps)
			switch {
			case hit == nil:
			case hit.depth == len(steps) && len(steps) > 0:
				return o.patched(hit, baseLoc, unit)
			case hit.depth > baseDepth && (deepest == nil || hit.depth > deepest.depth):
				deepest = hit
			}
		}
	}
	if deepest != nil {
		return o.patched(deepest, baseLoc, unit)
	}
	baseLoc.Related = []lint.Related{unit}
	return baseLoc
}

func (o *kustOrigin) patched(hit *kPatchHit, baseLoc lint.Location, unit lint.Related) lint.Location {
	loc := hit.location(o.tr.k)
	loc.Related = []lint.Related{{File: baseLoc.File, Line: baseLoc.Line, Column: baseLoc.Column,
		Message: "base value, patched by " + loc.File}, unit}
	return loc
}

// kPatch is one strategic-merge document or JSON6902 op list.
type kPatch struct {
	kf         *kfile
	file       string     // where its text is: the patch file, or the kustomization when inline
	doc        *yaml.Node // a mapping (strategic merge) or a sequence of ops (JSON6902)
	json       bool
	sel        *types.Selector
	selRegex   *types.SelectorRegex // sel compiled once; nil when it does not compile
	inline     *yaml.Node           // the kustomization's value node of an inline patch
	lineOffset int                  // inline literal block: add to the patch's own lines
	colOffset  int
}

// transformerEntry is the entry of kf that sets the field through a
// builtin transformer: replicas[].count, images[], namespace.
func transformerEntry(kf *kfile, src kSource, srcName string, steps []kStep, obj *yaml.Node) *yaml.Node {
	switch {
	case stepsAre(steps, "spec", "replicas"):
		for _, n := range yamlnode.Seq(kf.root, "replicas") {
			if name := yamlnode.Str(n, "name"); name != "" && (name == src.name || name == srcName) {
				_, v := yamlnode.Lookup(n, "count")
				return kOrNode(v, n)
			}
		}
	case stepsAre(steps, "metadata", "namespace"):
		k, _ := yamlnode.Lookup(kf.root, "namespace")
		return k
	case len(steps) >= 2 && steps[len(steps)-1].key == "image" && steps[len(steps)-2].index >= 0:
		repo := imageRepo(yamlnode.Str(kElementAt(obj, steps[:len(steps)-1]), "image"))
		for _, n := range yamlnode.Seq(kf.root, "images") {
			if yamlnode.Str(n, "name") == repo || (yamlnode.Str(n, "newName") == repo && repo != "") {
				return kNameKey(n)
			}
		}
	}
	return nil
}

func stepsAre(steps []kStep, keys ...string) bool {
	if len(steps) != len(keys) {
		return false
	}
	for i, k := range keys {
		if steps[i].index >= 0 || steps[i].key != k {
			return false
		}
	}
	return true
}

// kElementAt follows steps in the rendered object by index.
func kElementAt(obj *yaml.Node, steps []kStep) *yaml.Node {
	cur := obj
	for _, s := range steps {
		if s.index < 0 {
			cur = yamlnode.Get(cur, s.key)
			continue
		}
		if cur == nil || cur.Kind != yaml.SequenceNode || s.index >= len(cur.Content) {
			return nil
		}
		cur = cur.Content[s.index]
	}
	return cur
}

// imageRepo is an image reference without its tag and digest.
func imageRepo(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	return image
}

func kOrNode(a, b *yaml.Node) *yaml.Node {
	if a != nil {
		return a
	}
	return b
}

// at is the Location of a node in a source file.
func (tr *kTracer) at(h kFileNode) lint.Location {
	loc := lint.Location{File: tr.k.display(h.file), Line: 1, Column: 1}
	if h.node != nil && h.node.Line > 0 {
		loc.Line, loc.Column = h.node.Line, max(h.node.Column, 1)
	}
	return loc
}

// kFileNode is a node and the file it was parsed from.
type kFileNode struct {
	file string
	node *yaml.Node
}

// baseNode finds the field in the object's origin file: its resource
// document (doc, from sourceDoc), or its generator entry in the
// kustomization.
func (tr *kTracer) baseNode(src kSource, doc *yaml.Node, steps []kStep) (kFileNode, int) {
	if src.generator != "" {
		return tr.generatorNode(src, steps)
	}
	if doc == nil {
		return kFileNode{file: src.file}, 0
	}
	n, depth := kFind(doc, steps)
	if n == nil {
		n, _ = yamlnode.Lookup(doc, "kind")
	}
	return kFileNode{file: src.file, node: n}, depth
}

// sourceDoc is the object's document in its origin file: same kind, and the
// name before namePrefix/nameSuffix (the longest name the rendered one
// contains, the first such document on a tie), else the kind's first.
func (tr *kTracer) sourceDoc(src kSource) *yaml.Node {
	return tr.docIndex(src.file).find(src.kind, src.name)
}

// kDocIndex is a source file's documents by kind and name, so each
// object finds its own without a scan of the file (thousands of objects
// in one file made that quadratic).
type kDocIndex struct {
	docs   []*yaml.Node
	first  map[kKindName]int // the first document of each kind and name
	kind   map[string]int    // the first document of each kind
	nKind  map[string]int    // how many documents of each kind
	maxLen int               // the longest name
}

type kKindName struct{ kind, name string }

func (tr *kTracer) docIndex(file string) *kDocIndex {
	docs := tr.parse(file)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if x, ok := tr.docs[file]; ok {
		return x
	}
	x := &kDocIndex{docs: docs, first: map[kKindName]int{}, kind: map[string]int{}, nKind: map[string]int{}}
	for i, doc := range docs {
		k := kKindName{yamlnode.Str(doc, "kind"), yamlnode.Str(yamlnode.Get(doc, "metadata"), "name")}
		if _, ok := x.first[k]; !ok {
			x.first[k] = i
		}
		if _, ok := x.kind[k.kind]; !ok {
			x.kind[k.kind] = i
		}
		x.nKind[k.kind]++
		x.maxLen = max(x.maxLen, len(k.name))
	}
	tr.docs[file] = x
	return x
}

// find is sourceDoc's match: by name, else the longest name that name
// contains (looked up substring by substring when there are fewer of those
// than documents of the kind), else the kind's first document.
func (x *kDocIndex) find(kind, name string) *yaml.Node {
	if i, ok := x.first[kKindName{kind, name}]; ok {
		return x.docs[i]
	}
	first, ok := x.kind[kind]
	if !ok {
		return nil
	}
	if n := len(name); n*(n+1)/2 > x.nKind[kind] {
		return x.scan(kind, name)
	}
	for l := min(len(name), x.maxLen); l > 0; l-- {
		best := -1
		for i := 0; i+l <= len(name); i++ {
			if j, ok := x.first[kKindName{kind, name[i : i+l]}]; ok && (best < 0 || j < best) {
				best = j
			}
		}
		if best >= 0 {
			return x.docs[best]
		}
	}
	return x.docs[first]
}

// scan is find by reading every document of the kind.
func (x *kDocIndex) scan(kind, name string) *yaml.Node {
	var best *yaml.Node
	bestLen := -1
	for _, doc := range x.docs {
		if yamlnode.Str(doc, "kind") != kind {
			continue
		}
		n := yamlnode.Str(yamlnode.Get(doc, "metadata"), "name")
		switch {
		case n == name:
			return doc
		case n != "" && strings.Contains(name, n) && len(n) > bestLen:
			best, bestLen = doc, len(n)
		case best == nil:
			best, bestLen = doc, 0
		}
	}
	return best
}

// generatorNode points a generated ConfigMap or Secret at its generator
// (an entry of the kustomization, or a generator config file), and a data
// key at the literal, env file line or files entry that set it.
func (tr *kTracer) generatorNode(src kSource, steps []kStep) (kFileNode, int) {
	entry, nameKey := tr.generatorEntry(src)
	if entry == nil {
		return kFileNode{file: src.file}, 0
	}
	if len(steps) == 2 && steps[0].index < 0 && steps[1].index < 0 {
		switch steps[0].key {
		case "data", "stringData", "binaryData":
			if n := generatorKey(filepath.Dir(src.file), entry, steps[1].key); n.node != nil {
				n.file = kOr(n.file, src.file)
				return n, 2
			}
		}
	}
	return kFileNode{file: src.file, node: nameKey}, 0
}

// generatorEntry finds the generator that made the object: the
// kustomization entry whose name the object's name contains (longest
// first), or the generator config document.
func (tr *kTracer) generatorEntry(src kSource) (entry, nameKey *yaml.Node) {
	if kf := tr.k.graph.load(filepath.Dir(src.file)); kf != nil && kf.file == src.file {
		field := "configMapGenerator"
		if src.generator == "SecretGenerator" {
			field = "secretGenerator"
		}
		bestLen := -1
		for _, n := range yamlnode.Seq(kf.root, field) {
			name := yamlnode.Str(n, "name")
			if name != "" && strings.Contains(src.name, name) && len(name) > bestLen {
				entry, bestLen = n, len(name)
			}
		}
		nameKey, _ = yamlnode.Lookup(entry, "name")
		return entry, nameKey
	}
	for _, doc := range tr.parse(src.file) {
		if yamlnode.Str(doc, "kind") == src.generator {
			nameKey, _ = yamlnode.Lookup(yamlnode.Get(doc, "metadata"), "name")
			return doc, kOrNode(nameKey, doc)
		}
	}
	return nil, nil
}

// generatorKey finds the literal, env file line or files entry that set
// data key in a generator entry; paths are relative to dir.
func generatorKey(dir string, entry *yaml.Node, key string) kFileNode {
	for _, lit := range yamlnode.Seq(entry, "literals") {
		if k, _, ok := strings.Cut(lit.Value, "="); ok && strings.TrimSpace(k) == key {
			return kFileNode{node: lit}
		}
	}
	envs := yamlnode.Seq(entry, "envs")
	if _, v := yamlnode.Lookup(entry, "env"); v != nil {
		envs = append(envs, v)
	}
	for _, e := range envs {
		file := filepath.Join(dir, e.Value)
		if line := envLine(file, key); line > 0 {
			return kFileNode{file: file, node: &yaml.Node{Line: line, Column: 1}}
		}
	}
	for _, f := range yamlnode.Seq(entry, "files") {
		k, _, ok := strings.Cut(f.Value, "=")
		if !ok {
			k = filepath.Base(f.Value)
		}
		if k == key {
			return kFileNode{node: f}
		}
	}
	return kFileNode{}
}

// envLine is the 1-based line of KEY= in an env file, or 0.
func envLine(file, key string) int {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	for i, l := range strings.Split(string(data), "\n") {
		if k, _, ok := strings.Cut(strings.TrimSpace(l), "="); ok && strings.TrimSpace(k) == key {
			return i + 1
		}
	}
	return 0
}

// parse returns the documents of a source file, parsed once per build.
func (tr *kTracer) parse(file string) []*yaml.Node {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if docs, ok := tr.files[file]; ok {
		return docs
	}
	var docs []*yaml.Node
	if c := tr.charts[file]; c != nil {
		docs = kParseDocs(c.data)
	} else if data, ok := tr.top.files[filepath.Base(file)]; ok && tr.top.virtual && filepath.Dir(file) == tr.top.dir {
		docs = kParseDocs(data)
	} else if data, err := os.ReadFile(file); err == nil {
		docs = kParseDocs(data)
	}
	tr.files[file] = docs
	return docs
}

// kParseDocs parses every document of a YAML stream, stopping at the first
// that does not parse.
func kParseDocs(data []byte) []*yaml.Node {
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) || err != nil {
			return docs
		}
		if len(doc.Content) > 0 {
			docs = append(docs, doc.Content[0])
		}
	}
}

// chain returns the kustomizations that act on objects from file, latest first.
func (tr *kTracer) chain(file string) []*kfile {
	tr.mu.Lock()
	c, ok := tr.chains[file]
	tr.mu.Unlock()
	if !ok {
		c, _ = tr.chainFrom(tr.top, file, false, 0)
		tr.mu.Lock()
		tr.chains[file] = c
		tr.mu.Unlock()
	}
	return c
}

// chainFrom walks kf the way krusty builds it: resources first, then
// components (which act on everything accumulated so far), then kf's own
// patches and transformers. present says the object is already in the
// accumulation. The result is latest first.
func (tr *kTracer) chainFrom(kf *kfile, file string, present bool, depth int) ([]*kfile, bool) {
	if depth > 64 {
		return nil, false
	}
	var below []*kfile
	var comps [][]*kfile
	present = present || kf.file == file
	if c := tr.charts[file]; c != nil && c.owner == kf.file {
		present = true // a chart of kf's helmCharts
	}
	for _, e := range kf.entries {
		switch {
		case e.abs == "" || (e.field != "resources" && e.field != "bases" && e.field != "components"):
		case e.abs == file:
			present = true
		case e.field == "components":
			if c := tr.k.graph.load(e.abs); c != nil {
				if ch, ok := tr.chainFrom(c, file, present, depth+1); ok {
					present = true
					comps = append(comps, ch)
				}
			}
		default:
			if c := tr.k.graph.load(e.abs); c != nil {
				if ch, ok := tr.chainFrom(c, file, false, depth+1); ok {
					present = true
					below = ch
				}
			}
		}
	}
	if !present {
		return nil, false
	}
	out := []*kfile{kf}
	for _, c := range slices.Backward(comps) {
		out = append(out, c...)
	}
	return append(out, below...), true
}

// ownPatches reads kf's patches in the order krusty applies them:
// patchesStrategicMerge, patches, patchesJson6902.
func (tr *kTracer) ownPatches(kf *kfile) []*kPatch {
	tr.mu.Lock()
	ps, ok := tr.patches[kf.file]
	tr.mu.Unlock()
	if ok {
		return ps
	}
	lines := &kLines{data: kf.data}
	for _, n := range yamlnode.Seq(kf.root, "patchesStrategicMerge") {
		ps = append(ps, kReadPatch(kf, lines, n, n, nil)...)
	}
	for i, n := range yamlnode.Seq(kf.root, "patches") {
		ps = append(ps, kReadPatch(kf, lines, n, kPatchText(n), kTarget(kf.k.Patches, i))...)
	}
	for i, n := range yamlnode.Seq(kf.root, "patchesJson6902") {
		ps = append(ps, kReadPatch(kf, lines, n, kPatchText(n), kTarget(kf.k.PatchesJson6902, i))...) //nolint:staticcheck // users still write patchesJson6902; krusty applies it
	}
	tr.mu.Lock()
	tr.patches[kf.file] = ps
	tr.mu.Unlock()
	return ps
}

// kPatchIndex is a kustomization's patches by the object names they can
// apply to, so an object meets only its own patches rather than all of
// them (thousands of targeted patches made that quadratic).
type kPatchIndex struct {
	all    []*kPatch        // in application order
	byName map[string][]int // a target or document name with no regex in it → its patches
	any    []int            // the rest: a regex, no name, or no target
}

// patchIndex indexes kf's own patches once per build.
func (tr *kTracer) patchIndex(kf *kfile) *kPatchIndex {
	all := tr.ownPatches(kf)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if x, ok := tr.byName[kf.file]; ok {
		return x
	}
	x := &kPatchIndex{all: all, byName: map[string][]int{}}
	for i, p := range all {
		if name, ok := p.literalName(); ok {
			x.byName[name] = append(x.byName[name], i)
		} else {
			x.any = append(x.any, i)
		}
	}
	tr.byName[kf.file] = x
	return x
}

// literalName is the one name a patch can apply to: its target's name when
// that is not a regex, or a strategic-merge document's metadata.name. A
// strategic-merge patch also applies where its name lies between the
// object's source name and rendered name (see matches), which applying
// looks up.
func (p *kPatch) literalName() (string, bool) {
	if p.sel != nil {
		if p.sel.Name == "" || regexp.QuoteMeta(p.sel.Name) != p.sel.Name {
			return "", false
		}
		return p.sel.Name, true
	}
	if p.json {
		return "", false // never applies: no target
	}
	return yamlnode.Str(yamlnode.Get(p.doc, "metadata"), "name"), true
}

// applying lists the patches that apply to the object, latest first.
func (x *kPatchIndex) applying(src kSource, srcName string) []*kPatch {
	idx := slices.Clone(x.any)
	idx = append(idx, x.byName[src.name]...)
	if srcName != src.name {
		idx = append(idx, x.byName[srcName]...)
	}
	if srcName != "" && srcName != src.name {
		idx = append(idx, x.between(src.name, srcName)...)
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	var out []*kPatch
	for _, i := range slices.Backward(idx) {
		if p := x.all[i]; p.matches(src, srcName) {
			out = append(out, p)
		}
	}
	return out
}

// between lists the patches named by a substring of name that holds
// srcName (a strategic-merge patch of a prefixed base name), or every
// patch when there are more such substrings than patches.
func (x *kPatchIndex) between(name, srcName string) []int {
	var at []int // where srcName occurs in name
	cost := 0
	for off := 0; off < len(name); {
		j := strings.Index(name[off:], srcName)
		if j < 0 {
			break
		}
		j += off
		at = append(at, j)
		cost += (j + 1) * (len(name) - j - len(srcName) + 1)
		off = j + 1
	}
	if cost > len(x.all) {
		all := make([]int, len(x.all))
		for i := range all {
			all[i] = i
		}
		return all
	}
	var out []int
	for _, j := range at {
		for i := 0; i <= j; i++ {
			for e := j + len(srcName); e <= len(name); e++ {
				out = append(out, x.byName[name[i:e]]...)
			}
		}
	}
	return out
}

// kPatchText is the node holding a patch entry's path or inline patch.
func kPatchText(n *yaml.Node) *yaml.Node {
	if _, v := yamlnode.Lookup(n, "path"); v != nil {
		return v
	}
	_, v := yamlnode.Lookup(n, "patch")
	return v
}

func kTarget(ps []types.Patch, i int) *types.Selector {
	if i < len(ps) {
		return ps[i].Target
	}
	return nil
}

// kReadPatch parses one patch entry: a file, or an inline patch whose lines
// are those of the kustomization (exact in a literal block `|`, else the
// entry's line).
func kReadPatch(kf *kfile, lines *kLines, entry, text *yaml.Node, sel *types.Selector) []*kPatch {
	if text == nil || text.Kind != yaml.ScalarNode {
		return nil
	}
	base := kPatch{kf: kf, sel: sel, file: kf.file}
	var data []byte
	if _, isPath := yamlnode.Lookup(entry, "path"); isPath != nil || (entry == text && !strings.Contains(text.Value, "\n")) {
		base.file = filepath.Join(kf.dir, text.Value)
		b, err := os.ReadFile(base.file)
		if err != nil {
			return nil
		}
		data = b
	} else {
		data = []byte(text.Value)
		base.inline = text
		if text.Style&yaml.LiteralStyle != 0 {
			base.lineOffset, base.colOffset = text.Line, lines.indent(text.Line+1)
		}
	}
	if sel != nil {
		if sr, err := types.NewSelectorRegex(sel); err == nil {
			base.selRegex = sr
		}
	}
	var out []*kPatch
	for _, doc := range kParseDocs(data) {
		p := base
		p.doc = doc
		p.json = doc.Kind == yaml.SequenceNode
		out = append(out, &p)
	}
	return out
}

// kLines is a kustomization's text split into lines once, on first use:
// split again for each inline patch, thousands of them were quadratic.
type kLines struct {
	data  []byte
	lines []string
}

// indent is the indentation of line (1-based): where a block scalar's
// content starts.
func (l *kLines) indent(line int) int {
	if l.lines == nil {
		l.lines = strings.Split(string(l.data), "\n")
	}
	if line < 1 || line > len(l.lines) {
		return 0
	}
	s := l.lines[line-1]
	return len(s) - len(strings.TrimLeft(s, " "))
}

// matches reports whether the patch applies to the object: its target
// selector, else (strategic merge) the kind and name the patch document names.
func (p *kPatch) matches(src kSource, srcName string) bool {
	if p.sel != nil {
		return kSelects(p.sel, p.selRegex, src, srcName)
	}
	if p.json {
		return false
	}
	if yamlnode.Str(p.doc, "kind") != src.kind {
		return false
	}
	name := yamlnode.Str(yamlnode.Get(p.doc, "metadata"), "name")
	return name == src.name || name == srcName ||
		(srcName != "" && strings.Contains(name, srcName) && strings.Contains(src.name, name))
}

// kSelects applies a patch target the way krusty does (anchored regexes,
// compiled from sel as sr; nil when they do not compile), to the rendered
// name or the name in the origin file.
func kSelects(sel *types.Selector, sr *types.SelectorRegex, src kSource, srcName string) bool {
	if sr == nil || !sr.MatchGvk(src.gvk) || !sr.MatchNamespace(src.namespace) {
		return false
	}
	if !sr.MatchName(src.name) && (srcName == "" || !sr.MatchName(srcName)) {
		return false
	}
	return kMatchSelector(sel.LabelSelector, src.labels) && kMatchSelector(sel.AnnotationSelector, src.annotations)
}

func kMatchSelector(expr string, set map[string]string) bool {
	if expr == "" {
		return true
	}
	s, err := labels.Parse(expr)
	return err == nil && s.Matches(labels.Set(set))
}

// kPatchHit is how far a patch reaches along a field path.
type kPatchHit struct {
	p     *kPatch
	node  *yaml.Node
	depth int
}

func (h *kPatchHit) location(k *Kustomize) lint.Location {
	line, col := h.pos()
	return lint.Location{File: k.display(h.p.file), Line: line, Column: col}
}

// pos is the hit's line and column in the patch's file.
func (h *kPatchHit) pos() (line, col int) {
	switch {
	case h.p.inline != nil && h.p.lineOffset == 0:
		return h.p.inline.Line, h.p.inline.Column
	case h.node != nil:
		return h.node.Line + h.p.lineOffset, max(h.node.Column, 1) + h.p.colOffset
	}
	return 1, 1
}

// reach reports how far the patch sets the field at steps.
func (p *kPatch) reach(steps []kStep) *kPatchHit {
	if !p.json {
		n, depth := kFind(p.doc, steps)
		if n == nil || depth == 0 {
			return nil
		}
		return &kPatchHit{p: p, node: n, depth: depth}
	}
	ops := slices.Clone(p.doc.Content)
	slices.Reverse(ops) // a later op overrides an earlier one
	var best *kPatchHit
	for _, op := range ops {
		if h := p.findOp(op, steps); h != nil && (best == nil || h.depth > best.depth) {
			best = h
			if h.depth == len(steps) {
				break
			}
		}
	}
	return best
}

// findOp matches one JSON6902 op whose path is the field or one of its
// parents; for a parent, the rest of the path is looked up in its value.
func (p *kPatch) findOp(op *yaml.Node, steps []kStep) *kPatchHit {
	switch yamlnode.Str(op, "op") {
	case "add", "replace", "copy", "move":
	default:
		return nil
	}
	tokens := kPointer(yamlnode.Str(op, "path"))
	if len(tokens) == 0 || len(tokens) > len(steps) {
		return nil
	}
	for i, t := range tokens {
		if !steps[i].matchToken(t) {
			return nil
		}
	}
	k, v := yamlnode.Lookup(op, "value")
	if v == nil {
		k, v = yamlnode.Lookup(op, "path") // copy and move: the op itself
	}
	if len(tokens) == len(steps) {
		if v.Kind == yaml.ScalarNode {
			return &kPatchHit{p: p, node: v, depth: len(steps)}
		}
		return &kPatchHit{p: p, node: k, depth: len(steps)}
	}
	n, depth := kFind(v, steps[len(tokens):])
	if n == nil {
		n = k
	}
	return &kPatchHit{p: p, node: n, depth: len(tokens) + depth}
}

// kPointer splits a JSON pointer into its unescaped tokens.
func kPointer(s string) []string {
	if !strings.HasPrefix(s, "/") {
		return nil
	}
	parts := strings.Split(s[1:], "/")
	for i, t := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return parts
}

// kStep is a path step with the list element named by its merge key, since
// strategic merge reorders lists and patches name elements, not indexes.
type kStep struct {
	key        string
	index      int // ≥ 0 for a list element
	length     int // the rendered list's length, for "-"
	mkey, mval string
}

func (s kStep) matchToken(t string) bool {
	if s.index < 0 {
		return t == s.key
	}
	return t == strconv.Itoa(s.index) || (t == "-" && s.index == s.length-1)
}

// kMergeKeys are the strategic-merge keys of the pod spec lists that do not
// merge by name.
var kMergeKeys = map[string]string{"volumeMounts": "mountPath", "ports": "containerPort", "volumeDevices": "devicePath"}

// kNameSteps turns the engine's path into named steps, reading each list
// element's merge key from the rendered object.
func kNameSteps(obj *yaml.Node, steps []lint.PathStep) []kStep {
	out := make([]kStep, len(steps))
	cur := obj
	parent := ""
	for i, s := range steps {
		if s.Index < 0 {
			out[i] = kStep{key: s.Key, index: -1}
			_, cur = yamlnode.Lookup(cur, s.Key)
			parent = s.Key
			continue
		}
		out[i] = kStep{index: s.Index}
		if cur == nil || cur.Kind != yaml.SequenceNode || s.Index >= len(cur.Content) {
			cur = nil
			continue
		}
		out[i].length = len(cur.Content)
		cur = cur.Content[s.Index]
		mk := kOr(kMergeKeys[parent], "name")
		if v := yamlnode.Str(cur, mk); v != "" {
			out[i].mkey, out[i].mval = mk, v
		}
	}
	return out
}

func kOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// kFind walks steps below root as lint.LocateNode does (the value when it
// exists, else the deepest key, else a list element's name: line), naming
// list elements by merge key when they have one. It returns the node and
// how many steps matched.
func kFind(root *yaml.Node, steps []kStep) (*yaml.Node, int) {
	cur := root
	var best *yaml.Node
	for i, s := range steps {
		if s.index >= 0 {
			el := kElement(cur, s)
			if el == nil {
				return best, i
			}
			cur = el
			best = kNameKey(el)
			continue
		}
		k, v := yamlnode.Lookup(cur, s.key)
		if k == nil {
			return best, i
		}
		best, cur = k, v
	}
	if cur != nil && cur.Kind == yaml.ScalarNode {
		return cur, len(steps)
	}
	return best, len(steps)
}

// kElement finds a list element by merge key, else by index.
func kElement(seq *yaml.Node, s kStep) *yaml.Node {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	if s.mkey != "" {
		for _, el := range seq.Content {
			if yamlnode.Str(el, s.mkey) == s.mval {
				return el
			}
		}
		return nil
	}
	if s.index < len(seq.Content) {
		return seq.Content[s.index]
	}
	return nil
}

// kNameKey is a list element's name: key, else its first key, else itself.
func kNameKey(el *yaml.Node) *yaml.Node {
	if k, _ := yamlnode.Lookup(el, "name"); k != nil {
		return k
	}
	if el.Kind == yaml.MappingNode && len(el.Content) > 0 {
		return el.Content[0]
	}
	return el
}
