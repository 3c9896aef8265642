// Package kustomize builds kustomizations with krusty, in process and
// offline, and traces every built field to the base, patch or generator
// line that set it.
package kustomize

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/openapi"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/helm"
)

// Kustomize builds kustomizations with sigs.k8s.io/kustomize/api/krusty,
// in process and offline, and traces each field to the line that set it.
//
// How: each object's resource file or generator entry is found by matching
// the plain build against the documents and generator entries the
// kustomizations list (kind, and the longest source name the object's name
// contains; see plainSources). When that match is not certain, the build is
// run again with the top kustomization read through a filesystem that adds
// buildMetadata [originAnnotations, transformerAnnotations], so every object
// names its resource file or generator; the annotations are removed before
// rules see the object. A field is then looked up, latest overlay first, in
// the builtin transformer entries (replicas, images, namespace) and the
// patches of every kustomization and component that acted on the object
// (strategic merge by kind/name, list elements by merge key; JSON6902 by op
// path; patch targets by krusty's selector rules), and else in the object's
// document in its resource file (matched by kind and the longest name the
// rendered name contains) or its generator entry (literal, env file line).
//
// Limits: patches are matched, not replayed. A JSON6902 op is matched by its
// index, which may differ from the rendered index if an earlier strategic
// merge reordered the list; `$patch: delete/replace` directives, replacements,
// labels and annotations transformers, vars, and patches whose target is
// chosen by a regex that matches several objects are traced only as well as
// name and selector matching allow; a field no source sets points at the
// deepest key that exists, as for plain files.
type Kustomize struct {
	opt   render.Options
	graph *kgraph

	// helmCharts entries render with helm (set by UseHelm, else made on
	// first use) and find charts with charts.
	helm     *helm.Helm
	helmOnce sync.Once
	charts   *render.ChartLocator

	mu    sync.Mutex
	bases map[string]*kBaseBuild // a failing leaf's base built on its own, by directory
}

// Name is the unit kind of a kustomization build.
const Name = "kustomize"

// Name is the unit kind.
func (k *Kustomize) Name() string { return Name }

// RootFiles are the kustomization file names krusty reads.
func (k *Kustomize) RootFiles() []string {
	return []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}
}

// Opaque is false: a kustomization's subdirectories may hold more roots.
func (k *Kustomize) Opaque() bool { return false }

// New returns the kustomization renderer.
func New(opt render.Options) *Kustomize {
	if opt.RepoRoot == "" {
		opt.RepoRoot = opt.WorkDir
	}
	if abs, err := filepath.Abs(opt.RepoRoot); err == nil {
		opt.RepoRoot = abs
	}
	return &Kustomize{opt: opt, graph: newKGraph(opt.RepoRoot)}
}

// Plan returns the leaf kustomizations and every file any kustomization
// includes. A kustomization another one includes is built as part of it, not
// on its own; a component is never built on its own.
func (k *Kustomize) Plan(roots []string) ([]*lint.Unit, []string) {
	included := map[string]bool{}
	consumed := map[string]bool{}
	for _, r := range roots {
		kf := k.graph.load(r)
		if kf == nil {
			continue
		}
		for _, c := range k.graph.reachable(kf) {
			for _, child := range k.graph.children(c) {
				included[child.dir] = true
			}
			for _, f := range kConsumed(c) {
				consumed[f] = true
			}
		}
	}
	var units []*lint.Unit
	for _, r := range roots {
		kf := k.graph.load(r)
		if kf == nil || kf.isComponent() || (included[r] && !k.inCycle(kf)) {
			continue
		}
		units = append(units, &lint.Unit{Name: k.display(r), Kind: Name, Dir: r})
	}
	return units, kSorted(consumed)
}

// inCycle reports whether kf includes itself: no leaf would build it, so it
// is built for krusty to report the cycle.
func (k *Kustomize) inCycle(kf *kfile) bool {
	for _, c := range k.graph.children(kf) {
		if slices.ContainsFunc(k.graph.reachable(c), func(r *kfile) bool { return r == kf }) {
			return true
		}
	}
	return false
}

// Render builds one kustomization unit. Remote or out-of-repository entries
// and chart inflation are refused before krusty runs, so it never fetches
// and never shells out; anything else wrong is krusty's message at the
// kustomization line it concerns. A generators, transformers or validators
// entry that runs a plugin (exec or KRM function, container, Go) is left
// out of the build with a warning at its line, so the rest is still linted.
// When the error lies in a kustomization the unit includes, the unit also
// gets a finding at its own entry leading there, and is counted as not built.
func (k *Kustomize) Render(ctx context.Context, u *lint.Unit) (out *lint.Rendered) {
	return k.renderDir(ctx, u, u.Dir)
}

func (k *Kustomize) renderDir(ctx context.Context, u *lint.Unit, dir string) (out *lint.Rendered) {
	top := k.graph.load(dir)
	if top == nil {
		return &lint.Rendered{Problems: []lint.Finding{k.problem(dir, 1, 1, "no kustomization file in "+u.Name)}}
	}
	defer func() {
		if r := recover(); r != nil {
			out = &lint.Rendered{Problems: []lint.Finding{k.problem(top.file, 1, 1,
				fmt.Sprintf("kustomize build %s failed (internal error: %v); please report it", u.Name, r))}}
		}
	}()
	chain := k.graph.reachable(top)
	if probs := k.refuse(chain); len(probs) > 0 {
		return k.notBuilt(top, chain, probs)
	}
	if err := ctx.Err(); err != nil {
		return &lint.Rendered{Problems: []lint.Finding{k.problem(top.file, 1, 1, err.Error())}}
	}
	skips := k.skipPlugins(chain)
	chartProbs := k.inflateCharts(ctx, u, &skips)
	out = k.buildTraced(u, top, chain, skips)
	out.Problems = append(out.Problems, skips.findings(k)...)
	out.Problems = append(out.Problems, chartProbs...)
	return out
}

// buildTraced builds top without the skipped plugin entries and traces
// every object to its source.
func (k *Kustomize) buildTraced(u *lint.Unit, top *kfile, chain []*kfile, skips kSkips) *lint.Rendered {
	tr := newKTracer(k, u, top)
	tr.charts = skips.charts
	if kPlainTraceable(top, chain) {
		// Plain build first: the guard has then vetted every file the
		// sources are read from.
		if m, err := k.build(top, false, skips); err == nil {
			if srcs, ok := tr.plainSources(m); ok {
				return k.docs(tr, top, m, srcs, false)
			}
		}
	}
	m, err := k.build(top, true, skips)
	if err != nil {
		return k.notBuilt(top, chain, []lint.Finding{k.buildError(top, chain, err)})
	}
	srcs := make([]kSource, m.Size())
	for i, res := range m.Resources() {
		srcs[i] = tr.source(res)
	}
	return k.docs(tr, top, m, srcs, true)
}

// kOpenAPI guards kyaml's global OpenAPI schema: a kustomization with its
// own `openapi` sets it for the whole process and krusty never unsets it, so
// such a build runs alone and resets it afterwards.
var kOpenAPI sync.RWMutex

// build runs krusty on top's directory. With meta, the top kustomization
// asks for buildMetadata (origin annotations on every object, and krusty
// records every transformer on every object); without, it is `kustomize
// build`. Kustomization files in skips.rewrites are read with that text,
// beside the charts skips.charts rendered.
func (k *Kustomize) build(top *kfile, meta bool, skips kSkips) (resmap.ResMap, error) {
	if len(top.k.OpenAPI) > 0 {
		kOpenAPI.Lock()
		defer kOpenAPI.Unlock()
		defer openapi.ResetOpenAPI()
	} else {
		kOpenAPI.RLock()
		defer kOpenAPI.RUnlock()
	}
	fsys := newKFS(k.opt.RepoRoot, top.file).withMeta(meta)
	fsys.rewrites, fsys.charts = skips.rewrites, skips.charts
	if top.virtual {
		fsys.virtual = top
	}
	return krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, top.dir)
}

// refuse lists the entries krusty must never see: remote bases and files
// (it would run git or open a connection) and paths outside the
// repository. Helm charts (inflating runs the helm binary) are left out of
// the build instead, as plugins are (skipPlugins).
func (k *Kustomize) refuse(chain []*kfile) []lint.Finding {
	var out []lint.Finding
	for _, kf := range chain {
		for _, e := range kf.entries {
			switch {
			case e.inline, e.field == "helmCharts": // a chart's values file is never read: the chart is skipped
			case kIsRemote(e.value):
				out = append(out, k.problem(kf.file, e.line, e.col, fmt.Sprintf(
					"%s entry %q is remote: oomlint never fetches; vendor it into the repository and reference the local copy", e.field, e.value)))
			case e.abs != "" && (!kWithin(k.opt.RepoRoot, e.abs) || k.graph.outside(e.abs)):
				out = append(out, k.problem(kf.file, e.line, e.col, fmt.Sprintf(
					"%s entry %q is outside the repository %s: refused", e.field, e.value, k.display(k.opt.RepoRoot))))
			}
		}
	}
	return out
}

func (k *Kustomize) problem(file string, line, col int, msg string) lint.Finding {
	return lint.Finding{Rule: lint.RenderErrorID, File: k.display(file), Line: max(line, 1), Column: max(col, 1), Message: msg}
}

func (k *Kustomize) display(p string) string { return lint.DisplayPath(k.opt.WorkDir, p) }

// docs turns the build into one document per object, srcs[i] the source of
// the i-th. A build with buildMetadata has its origin annotations removed,
// so rules see what `kustomize build` prints.
func (k *Kustomize) docs(tr *kTracer, top *kfile, m resmap.ResMap, srcs []kSource, meta bool) *lint.Rendered {
	out := &lint.Rendered{}
	if meta {
		if err := m.RemoveOriginAnnotations(); err != nil {
			out.Problems = append(out.Problems, k.problem(top.file, 1, 1, err.Error()))
		}
		if err := m.RemoveTransformerAnnotations(); err != nil {
			out.Problems = append(out.Problems, k.problem(top.file, 1, 1, err.Error()))
		}
	}
	for i, res := range m.Resources() {
		data, err := res.AsYAML()
		if err != nil {
			out.Problems = append(out.Problems, k.problem(top.file, 1, 1, err.Error()))
			continue
		}
		src := srcs[i]
		if c := tr.charts[src.file]; c != nil {
			out.Docs = append(out.Docs, lint.RenderedDoc{Name: k.display(c.owner), Data: data, Origin: tr.chartOrigin(src, c)})
			continue
		}
		out.Docs = append(out.Docs, lint.RenderedDoc{Name: k.display(src.file), Data: data, Origin: tr.origin(src)})
	}
	return out
}
