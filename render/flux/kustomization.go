package flux

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/kustomize"
)

// KustomizationName is the unit kind of a Flux Kustomization.
const KustomizationName = render.FluxKustomizationKind

// Kustomization renders Flux Kustomizations (kustomize.toolkit.fluxcd.io):
// the kustomize build of spec.path, with the Kustomization's own fields
// applied the way kustomize-controller applies them, then postBuild
// variable substitution.
//
// How: the fields Flux adds (targetNamespace, namePrefix, nameSuffix,
// images, components, commonMetadata, patches) are written into a
// kustomization that exists only in memory, one directory below the path
// (resources: [..]); a path without a kustomization file gets the one Flux
// generates, in the path itself. Every line of that text remembers the
// Kustomization field it came from, so a finding krusty's tracing puts
// there lands on the Kustomization's own line.
type Kustomization struct {
	opt     render.Options
	k       *kustomize.Kustomize
	waiting waiting
}

// NewKustomization returns the Flux Kustomization renderer; k builds.
func NewKustomization(opt render.Options, k *kustomize.Kustomize) *Kustomization {
	return &Kustomization{opt: opt, k: k}
}

// Name is the unit kind.
func (r *Kustomization) Name() string { return KustomizationName }

// kustPlan is what one Flux Kustomization builds.
type kustPlan struct {
	obj  *lint.Object
	dir  string     // spec.path, absolute
	vars []variable // postBuild variables, substituteFrom first
	subs bool       // postBuild is set: substitution runs even with no variables
	miss []lint.Finding
}

// PlanObjects plans one unit per Flux Kustomization whose source is a git
// repository (this one).
func (r *Kustomization) PlanObjects(fresh []*lint.Object, all *lint.ObjectSet) lint.ObjectPlan {
	var out lint.ObjectPlan
	match := func(o *lint.Object) bool { return is(o, kustomizeGroup, "Kustomization") }
	ready := func(o *lint.Object) bool { return refsPresent(o, all, "spec", "postBuild", "substituteFrom") }
	for _, o := range r.waiting.next(fresh, match, ready) {
		if k := o.Str("spec", "sourceRef", "kind"); k != "" && k != "GitRepository" {
			continue // an OCIRepository or Bucket artifact is not in the repository
		}
		p := o.Str("spec", "path")
		dir, ok := render.RepoPath(r.opt, o, p)
		url, other := gitSource(r.opt, o, all)
		switch {
		case !ok && other:
			out.Problems = append(out.Problems, info(render.Problem(o, lint.Root.Keys("spec", "sourceRef"), fmt.Sprintf(
				"Kustomization %s builds %s from %s, another repository: not linted here", o.Name, p, url),
				"lint that repository, or add this repository's URL to repoURLs in .oomlint.yaml")))
			continue
		case !ok:
			out.Problems = append(out.Problems, render.Problem(o, lint.Root.Keys("spec", "path"),
				fmt.Sprintf("Kustomization %s: spec.path %q is not a directory of this repository", o.Name, p),
				"fix the path, or lint the repository that holds it"))
			continue
		case other:
			out.Notes = append(out.Notes, fmt.Sprintf(
				"Kustomization %s: its GitRepository %s is not this repository's URL, but %s exists here, so it is built from this repository", o.Name, url, p))
		}
		plan := &kustPlan{obj: o, dir: dir}
		plan.vars, plan.subs, plan.miss = variables(o, all)
		out.Units = append(out.Units, &lint.Unit{
			Name: render.ObjectName(o), Kind: KustomizationName, Key: KustomizationName + "/" + lint.ObjectKey(o),
			Namespace: o.Str("spec", "targetNamespace"), Source: o, Plan: plan,
		})
		out.Owns = append(out.Owns, dir)
		out.Problems = append(out.Problems, plan.miss...)
	}
	return out
}

// gitSource is the URL of an object's sourceRef GitRepository, and
// whether it is known to be another repository than this one.
func gitSource(opt render.Options, o *lint.Object, all *lint.ObjectSet, keys ...string) (string, bool) {
	if len(keys) == 0 {
		keys = []string{"spec", "sourceRef"}
	}
	src := readRef(o, keys...)
	gr := all.Find("GitRepository", src.namespace, src.name)
	if gr == nil {
		return "", false
	}
	url := gr.Str("spec", "url")
	return url, render.OtherRepo(opt, url)
}

// info lowers a render finding to info: something not linted on purpose.
func info(f lint.Finding) lint.Finding {
	f.Severity = lint.Info
	return f
}

// Render builds the path with the Kustomization's fields and substitutes
// its variables.
func (r *Kustomization) Render(ctx context.Context, u *lint.Unit) *lint.Rendered {
	plan, ok := u.Plan.(*kustPlan)
	if !ok {
		return &lint.Rendered{}
	}
	vdir, text := r.virtual(plan)
	built := r.k.RenderVirtual(ctx, u, vdir, []byte(text.String()))
	rm := &remap{virtual: display(r.opt, filepath.Join(vdir, kustomize.VirtualFile)), obj: plan.obj, lines: text.paths, workDir: r.opt.WorkDir, root: r.opt.RepoRoot}
	out := &lint.Rendered{NotBuilt: built.NotBuilt}
	for _, f := range built.Problems {
		out.Problems = append(out.Problems, rm.finding(f))
	}
	for _, d := range built.Docs {
		out.Docs = append(out.Docs, r.substitute(plan, rm, d)...)
	}
	return out
}

// virtual writes the kustomization Flux would build: where it stands and
// its text, each line tied to the Kustomization field it came from.
//
//nolint:gocognit // one block per Kustomization field, in Flux's order
func (r *Kustomization) virtual(plan *kustPlan) (string, *vtext) {
	o := plan.obj
	t := &vtext{paths: map[int]vline{}}
	spec := lint.Root.Key("spec")
	t.add("apiVersion: kustomize.config.k8s.io/v1beta1", lint.Root, 0)
	t.add("kind: Kustomization", lint.Root, 0)
	vdir, up := plan.dir, ""
	if kustomize.HasKustomization(plan.dir) {
		// A sibling directory: krusty refuses a root inside another.
		base := filepath.Base(plan.dir)
		vdir, up = filepath.Join(filepath.Dir(plan.dir), ".flux-"+o.Namespace+"-"+o.Name+"-"+base), "../"+base+"/"
		t.add("resources:", spec.Key("path"), 0)
		t.add("- "+quote("../"+base), spec.Key("path"), 0)
	} else {
		t.add("resources:", spec.Key("path"), 0)
		for _, res := range generated(r.opt.RepoRoot, plan.dir) {
			t.add("- "+quote(res), spec.Key("path"), 0)
		}
	}
	for _, f := range []string{"targetNamespace", "namePrefix", "nameSuffix"} {
		if v := o.Str("spec", f); v != "" {
			key := map[string]string{"targetNamespace": "namespace"}[f]
			if key == "" {
				key = f
			}
			t.add(key+": "+quote(v), spec.Key(f), 0)
		}
	}
	if seq := o.Get("spec", "images"); seq != nil && seq.Kind == yaml.SequenceNode {
		t.add("images:", spec.Key("images"), 0)
		for i, n := range seq.Content {
			t.add("- "+flow(n), spec.Key("images").Index(i), 0)
		}
	}
	if seq := o.Get("spec", "components"); seq != nil && seq.Kind == yaml.SequenceNode {
		t.add("components:", spec.Key("components"), 0)
		for i, n := range seq.Content {
			t.add("- "+quote(up+yamlnode.Scalar(n)), spec.Key("components").Index(i), 0)
		}
	}
	if md := o.Get("spec", "commonMetadata"); md != nil {
		if a := o.Get("spec", "commonMetadata", "annotations"); a != nil && a.Kind == yaml.MappingNode {
			t.add("commonAnnotations: "+flow(a), spec.Keys("commonMetadata", "annotations"), 0)
		}
		if l := o.Get("spec", "commonMetadata", "labels"); l != nil && l.Kind == yaml.MappingNode {
			t.add("labels:", spec.Keys("commonMetadata", "labels"), 0)
			t.add("- pairs: "+flow(l), spec.Keys("commonMetadata", "labels"), 0)
			t.add("  includeSelectors: false", spec.Keys("commonMetadata", "labels"), 0)
		}
	}
	if seq := o.Get("spec", "patches"); seq != nil && seq.Kind == yaml.SequenceNode {
		t.add("patches:", spec.Key("patches"), 0)
		for i, n := range seq.Content {
			at := spec.Key("patches").Index(i)
			first := "- "
			if tg := yamlnode.Get(n, "target"); tg != nil {
				t.add(first+"target: "+flow(tg), at.Key("target"), 0)
				first = "  "
			}
			patch := yamlnode.Scalar(yamlnode.Get(n, "patch"))
			t.add(first+"patch: |", at.Key("patch"), 0)
			for k, l := range strings.Split(strings.TrimRight(patch, "\n"), "\n") {
				t.add("    "+l, at.Key("patch"), k+1)
			}
		}
	}
	return vdir, t
}

// generated lists what Flux's generated kustomization holds for a path
// without one: every YAML file below it, and each subdirectory that has a
// kustomization of its own (not descended into), relative to the path.
// Files that hold no Kubernetes object (a values file) are left out;
// kustomize-controller refuses them.
func generated(root, dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return skipUnreadable(d)
		}
		if p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if d.Name() == ".git" {
				return fs.SkipDir
			}
			if kustomize.HasKustomization(p) {
				out = append(out, rel)
				return fs.SkipDir
			}
			return nil
		}
		ext := strings.ToLower(filepath.Ext(p))
		if (ext == ".yaml" || ext == ".yml") && holdsObjects(root, p) {
			out = append(out, rel)
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// skipUnreadable passes over what the walk cannot read: kustomize-controller
// would fail on it, and krusty reports it when it is listed.
func skipUnreadable(d fs.DirEntry) error {
	if d != nil && d.IsDir() {
		return fs.SkipDir
	}
	return nil
}

// holdsObjects reports whether a YAML file has a document with apiVersion
// and kind.
func holdsObjects(root, p string) bool {
	data, err := lint.ReadRepoFile(root, p)
	if err != nil {
		return false
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			return false
		}
		if doc["apiVersion"] != nil && doc["kind"] != nil {
			return true
		}
	}
}

// vtext is the text of a virtual kustomization with, for each line, the
// Kustomization field it came from.
type vtext struct {
	b     strings.Builder
	n     int
	paths map[int]vline
}

// vline is a Kustomization field, and the line within it for block scalars.
type vline struct {
	path  lint.Path
	delta int
}

func (t *vtext) add(line string, p lint.Path, delta int) {
	t.n++
	t.b.WriteString(line)
	t.b.WriteByte('\n')
	t.paths[t.n] = vline{p, delta}
}

func (t *vtext) String() string { return t.b.String() }

// quote writes a string as a JSON string, which YAML reads as is.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// flow writes a node on one line.
func flow(n *yaml.Node) string {
	var v any
	if err := n.Decode(&v); err != nil {
		return "{}"
	}
	b, err := json.Marshal(jsonable(v))
	if err != nil {
		return "{}"
	}
	return string(b)
}

// jsonable turns yaml.v3's map[string]any trees into JSON-encodable ones.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = jsonable(e)
		}
		return x
	}
	return v
}

// remap moves locations in the virtual kustomization to the Kustomization
// field each line came from.
type remap struct {
	virtual string // display path of the virtual file
	obj     *lint.Object
	lines   map[int]vline
	workDir string // to read the object's file for block-scalar columns
	root    string // the repository: nothing is read outside it

	mu     sync.Mutex
	source map[string][]string // the object's files, by display path, as lines
}

// blockIndent is the indentation of a line of the object's file; of a
// block scalar's first line (an inline patch), where its text starts.
func (m *remap) blockIndent(file string, line int) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	lines, ok := m.source[file]
	if !ok {
		data, err := lint.ReadRepoFile(m.root, filepath.Join(m.workDir, filepath.FromSlash(file)))
		if err == nil {
			lines = strings.Split(string(data), "\n")
		}
		if m.source == nil {
			m.source = map[string][]string{}
		}
		m.source[file] = lines
	}
	if line < 1 || line > len(lines) {
		return 0
	}
	l := lines[line-1]
	return len(l) - len(strings.TrimLeft(l, " "))
}

func (m *remap) loc(l lint.Location) (lint.Location, bool) {
	if l.File != m.virtual {
		return l, false
	}
	vl := m.lines[l.Line]
	at := m.obj.Origin.Locate(vl.path)
	at.Line += vl.delta
	if vl.delta > 0 {
		// Block text is written four spaces in; in the file it starts at
		// the block's own indentation.
		at.Column = m.blockIndent(at.File, at.Line-vl.delta+1) + max(l.Column-4, 1)
	}
	return at, true
}

// objectFile is the display path of the controller object's file.
func (m *remap) objectFile() string { return m.obj.Origin.Locate(lint.Root).File }

func (m *remap) related(rs []lint.Related) []lint.Related {
	out := make([]lint.Related, 0, len(rs))
	for _, r := range rs {
		if l, ok := m.loc(lint.Location{File: r.File, Line: r.Line, Column: r.Column}); ok {
			r.File, r.Line, r.Column = l.File, l.Line, l.Column
		}
		r.Message = strings.ReplaceAll(r.Message, m.virtual, m.objectFile())
		out = append(out, r)
	}
	return out
}

func (m *remap) finding(f lint.Finding) lint.Finding {
	if l, ok := m.loc(lint.Location{File: f.File, Line: f.Line, Column: f.Column}); ok {
		f.File, f.Line, f.Column = l.File, l.Line, l.Column
	}
	f.Related = m.related(f.Related)
	return f
}

// origin wraps the build's origin of one object.
func (m *remap) origin(inner lint.Origin) lint.Origin { return remapOrigin{m, inner} }

type remapOrigin struct {
	m     *remap
	inner lint.Origin
}

func (o remapOrigin) Locate(p lint.Path) lint.Location {
	loc := o.inner.Locate(p)
	if l, ok := o.m.loc(loc); ok {
		l.Related = append(l.Related, loc.Related...)
		loc = l
	}
	loc.Related = o.m.related(loc.Related)
	return loc
}
