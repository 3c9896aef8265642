package argocd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/charts"
	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/helm"
	"github.com/oomlint/oomlint/render/kustomize"
)

// ApplicationName is the unit kind of an Argo CD Application.
const ApplicationName = "argocd-application"

// Application renders Argo CD Applications (argoproj.io): each source of
// spec.source or spec.sources that renders is one unit. A source's type is
// decided as Argo CD's repo server decides it: a helm, kustomize or
// directory block names it, else the path's content does (Chart.yaml: a
// chart; a kustomization file: a kustomization; else plain manifests).
//
// A chart renders with values in Argo CD's order: the chart's values.yaml,
// helm.valueFiles (relative to the chart, or $ref/path in the repository
// of the source with that ref:), then helm.valuesObject or, when it is not
// set, helm.values, then helm.parameters as --set.
type Application struct {
	opt    render.Options
	h      *helm.Helm
	k      *kustomize.Kustomize
	charts *render.ChartLocator
}

// NewApplication returns the Application renderer; h renders charts and k
// builds kustomizations.
func NewApplication(opt render.Options, h *helm.Helm, k *kustomize.Kustomize) *Application {
	return &Application{opt: opt, h: h, k: k, charts: render.NewChartLocator(opt)}
}

// Name is the unit kind.
func (r *Application) Name() string { return ApplicationName }

// sourceKind is what a source renders as.
type sourceKind int

const (
	helmSource sourceKind = iota
	kustomizeSource
	directorySource
)

// plan is what one source of an Application renders.
type plan struct {
	obj  *lint.Object
	at   lint.Path  // spec.source or spec.sources[i]
	src  *yaml.Node // the source's mapping
	kind sourceKind
	dir  string        // the path, absolute; "" for a chart from a Helm repository
	rel  *helm.Release // helm sources
	// files are what a directory source reads, absolute and sorted.
	files []string
}

// source is one entry of spec.source or spec.sources.
type source struct {
	node *yaml.Node
	at   lint.Path
}

func (s source) str(keys ...string) string { return scalar(yamlnode.Get(s.node, keys...)) }

// sources lists an Application's sources: spec.sources when it has any
// (Argo CD then ignores spec.source), else spec.source.
func sources(o *lint.Object) (list []source, multi bool) {
	if seq := o.Get("spec", "sources"); seq != nil && seq.Kind == yaml.SequenceNode && len(seq.Content) > 0 {
		for i, n := range seq.Content {
			if n.Kind == yaml.MappingNode {
				list = append(list, source{n, lint.Root.Keys("spec", "sources").Index(i)})
			}
		}
		return list, true
	}
	if n := o.Get("spec", "source"); n != nil && n.Kind == yaml.MappingNode {
		list = append(list, source{n, lint.Root.Keys("spec", "source")})
	}
	return list, false
}

// PlanObjects plans one unit per source of each Application that renders.
func (r *Application) PlanObjects(fresh []*lint.Object, _ *lint.ObjectSet) (out lint.ObjectPlan) {
	if fresh == nil {
		defer func() { out.Problems = append(out.Problems, r.charts.Flush()...) }()
	}
	for _, o := range fresh {
		if !is(o, "Application") {
			continue
		}
		list, multi := sources(o)
		refs := map[string]source{}
		for _, s := range list {
			if ref := s.str("ref"); ref != "" {
				refs[ref] = s
			}
		}
		for i, s := range list {
			p, owns, probs := r.plan(o, s, refs)
			out.Problems = append(out.Problems, probs...)
			out.Owns = append(out.Owns, owns...)
			if p == nil {
				continue
			}
			if s.str("chart") == "" && byPath(r.opt, s.str("repoURL")) {
				out.Notes = append(out.Notes, fmt.Sprintf(
					"Application %s: repoURL %s matches neither repoURLs in .oomlint.yaml nor a git remote; its path %s exists here, so it is rendered from this repository",
					o.Name, s.str("repoURL"), s.str("path")))
			}
			name, key := render.ObjectName(o), ApplicationName+"/"+lint.ObjectKey(o)
			if multi {
				name += " sources[" + strconv.Itoa(i) + "]"
				key += "/" + strconv.Itoa(i)
			}
			out.Units = append(out.Units, &lint.Unit{
				Name: name, Kind: ApplicationName, Key: key,
				Namespace: o.Str("spec", "destination", "namespace"), Source: o, Plan: p,
			})
		}
	}
	return out
}

// Render renders one source.
func (r *Application) Render(ctx context.Context, u *lint.Unit) *lint.Rendered {
	p, ok := u.Plan.(*plan)
	if !ok {
		return &lint.Rendered{}
	}
	switch p.kind {
	case helmSource:
		return r.h.RenderRelease(ctx, u, *p.rel)
	case kustomizeSource:
		return r.kustomize(ctx, u, p)
	case directorySource:
		return r.directory(p)
	}
	return &lint.Rendered{}
}

// plan works out what one source renders, what it owns, and the findings
// that say why it cannot render.
func (r *Application) plan(o *lint.Object, s source, refs map[string]source) (*plan, []string, []lint.Finding) {
	repoURL, path, chart := s.str("repoURL"), s.str("path"), s.str("chart")
	if chart != "" {
		return r.chartSource(o, s, refs)
	}
	if path == "" {
		return nil, nil, nil // a ref: source only lends its files to $ref value files
	}
	dir, found := render.RepoPath(r.opt, o, path)
	if !thisRepo(r.opt, repoURL, func() bool { return found }) {
		return nil, nil, nil // another repository: out of reach
	}
	if st, err := os.Stat(dir); !found || err != nil || !st.IsDir() {
		return nil, nil, []lint.Finding{render.Problem(o, s.at.Key("path"), fmt.Sprintf(
			"Application %s: path %q is not a directory of this repository", o.Name, path),
			"fix the path, or lint the repository that holds it")}
	}
	kind, ok, probs := r.kind(o, s, dir)
	if !ok {
		return nil, []string{dir}, probs
	}
	p := &plan{obj: o, at: s.at, src: s.node, kind: kind, dir: dir}
	owns := []string{dir}
	switch p.kind {
	case helmSource:
		rel, more := r.release(o, s, refs, render.Chart{Dir: dir})
		p.rel, probs = rel, append(probs, more...)
	case kustomizeSource:
		if !kustomize.HasKustomization(dir) {
			return nil, owns, append(probs, render.Problem(o, s.at.Key("kustomize"), fmt.Sprintf(
				"Application %s: path %q has no kustomization file to build", o.Name, path),
				"add a kustomization.yaml, or remove the kustomize block"))
		}
	case directorySource:
		var jsonnet []string
		p.files, jsonnet = directoryFiles(dir, s)
		if !recursesAll(s) {
			owns = p.files
		}
		if len(jsonnet) > 0 {
			probs = append(probs, r.jsonnetNotEvaluated(o, s, jsonnet))
		}
	}
	return p, owns, probs
}

// kind is the source type of a path source, as Argo CD decides it: the
// one helm, kustomize or directory block set, else the path's content. A
// config management plugin does not render offline (ok is false).
func (r *Application) kind(o *lint.Object, s source, dir string) (k sourceKind, ok bool, probs []lint.Finding) {
	if yamlnode.Get(s.node, "plugin") != nil {
		f := render.Problem(o, s.at.Key("plugin"), fmt.Sprintf(
			"Application %s: a config management plugin source is not rendered offline; what it deploys is not linted", o.Name), "")
		f.Severity = lint.Info
		return 0, false, []lint.Finding{f}
	}
	var explicit []sourceKind
	for _, b := range []struct {
		key  string
		kind sourceKind
	}{{"helm", helmSource}, {"kustomize", kustomizeSource}, {"directory", directorySource}} {
		if yamlnode.Get(s.node, b.key) != nil {
			explicit = append(explicit, b.kind)
		}
	}
	switch {
	case len(explicit) == 1:
		return explicit[0], true, nil
	case fileExists(filepath.Join(dir, "Chart.yaml")):
		return helmSource, true, nil
	case kustomize.HasKustomization(dir):
		return kustomizeSource, true, nil
	}
	return directorySource, true, nil
}

// chartSource plans a chart from a Helm repository: found in the
// charts.search directories or the chart cache, else one warning per chart
// version.
func (r *Application) chartSource(o *lint.Object, s source, refs map[string]source) (*plan, []string, []lint.Finding) {
	url := s.str("repoURL")
	if url != "" && !strings.Contains(url, "://") {
		url = "oci://" + url // Argo CD names Helm OCI registries without a scheme
	}
	ref := charts.Ref{RepoURL: url, Chart: s.str("chart"), Version: s.str("targetRevision")}
	c, ok := r.charts.Find(ref)
	if !ok {
		msg, fix := r.charts.Missing(ref)
		f := render.Problem(o, s.at.Key("chart"), "Application "+o.Name+": "+msg, fix)
		f.Severity = lint.Warning
		return nil, nil, r.charts.Miss(ref, f)
	}
	rel, probs := r.release(o, s, refs, c)
	return &plan{obj: o, at: s.at, src: s.node, kind: helmSource, dir: c.Dir, rel: rel}, nil, probs
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
