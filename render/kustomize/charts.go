package kustomize

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/charts"
	"github.com/oomlint/oomlint/internal/yamlnode"
	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/helm"
)

// kustomize inflates a helmCharts entry by running `helm template` (with
// --enable-helm) and adds the output to the kustomization's resources, so
// its namespace, labels, patches and images apply to the chart's objects.
// oomlint renders the chart in process instead, with the entry's values in
// kustomize's order, and gives krusty the output as a file in memory beside
// the kustomization: the rest of the build is kustomize's own, and every
// field traces to the patch that set it or, through the chart, to the
// valuesInline, values file or template line.

// An entry without a releaseName renders as render.DefaultReleaseName:
// kustomize passes --generate-name, a random name.

// kChart is one helmCharts entry rendered in process.
type kChart struct {
	item   *yaml.Node             // the entry
	owner  string                 // the kustomization file that lists it, absolute
	file   string                 // its output in memory, beside owner, absolute
	data   []byte                 // the output, one YAML stream
	pre    map[string]lint.Origin // each chart object's origin, by render.ObjectKey
	anchor lint.Location          // the entry's line
}

// UseHelm has helmCharts entries rendered by h (the run's chart renderer,
// with its chart cache); without it the kustomization renderer makes its own.
func (k *Kustomize) UseHelm(h *helm.Helm) { k.helm = h }

func (k *Kustomize) helmRenderer() *helm.Helm {
	k.helmOnce.Do(func() {
		if k.helm == nil {
			opt := k.opt
			opt.Normalize()
			k.helm = helm.New(opt)
		}
		k.charts = render.NewChartLocator(k.opt)
		k.charts.Flush() // report a chart missing from the cache at once, once
	})
	return k.helm
}

// inflateCharts renders the helmCharts entries of skips in process and
// rewrites their kustomizations to read the output. An entry whose chart is
// neither in the repository nor in the chart cache stays out of the build
// with a warning, as do entries that do not render (their errors are the
// returned findings).
func (k *Kustomize) inflateCharts(ctx context.Context, u *lint.Unit, skips *kSkips) []lint.Finding {
	if len(skips.helm) == 0 {
		return nil
	}
	h := k.helmRenderer()
	var probs []lint.Finding
	byOwner := map[string][]*kChart{}
	said := map[*yaml.Node]bool{} // entries not rendered that a finding already explains
	flux := u != nil && u.Kind == render.FluxKustomizationKind
	for i, e := range skips.helm {
		if e.field != "helmCharts" {
			continue // the legacy generator's fields differ: left out
		}
		if flux {
			f := k.problem(e.kf.file, e.item.Line, e.item.Column, fmt.Sprintf(
				"helmCharts entry %q: Flux's kustomize-controller never inflates helmCharts (it runs no helm binary), so %s fails to build (\"must specify --enable-helm\") and deploys nothing",
				e.what, u.Name))
			f.Fix = "deploy the chart with a HelmRelease (patch its output with spec.postRenderers), or commit the rendered chart"
			probs = append(probs, f)
			said[e.item] = true
			continue
		}
		c, more, reported := k.inflate(ctx, u, h, e, i)
		probs = append(probs, more...)
		if c == nil {
			said[e.item] = reported
			continue
		}
		if skips.charts == nil {
			skips.charts = map[string]*kChart{}
		}
		skips.charts[c.file] = c
		byOwner[c.owner] = append(byOwner[c.owner], c)
	}
	skips.inflated(byOwner, said)
	return probs
}

// inflate renders one entry; nil when it cannot, with reported set when a
// finding says why.
func (k *Kustomize) inflate(ctx context.Context, u *lint.Unit, h *helm.Helm, e kSkip, i int) (c *kChart, probs []lint.Finding, reported bool) {
	str := func(key string) string { return yamlnode.Str(e.item, key) }
	name := str("name")
	anchor := lint.Location{File: k.display(e.kf.file), Line: e.item.Line, Column: e.item.Column}
	problem := func(msg, fix string, sev lint.Severity) lint.Finding {
		f := k.problem(e.kf.file, e.item.Line, e.item.Column, fmt.Sprintf("helmCharts entry %q: %s", name, msg))
		f.Fix, f.Severity = fix, sev
		return f
	}
	if name == "" || strings.ContainsAny(name, `/\`) || name == ".." {
		return nil, nil, false // kustomize refuses it; the skip warning says it is left out
	}
	chart, ok := k.locateChart(e)
	if !ok {
		ref := charts.Ref{RepoURL: str("repo"), Chart: name, Version: str("version")}
		if ref.RepoURL == "" {
			return nil, []lint.Finding{problem(fmt.Sprintf("no chart at %s and no repo to find it in; kustomize fails the build too",
				k.display(kChartDir(e.kf, e.item))), "vendor the chart there, or set repo and version", lint.Error)}, true
		}
		_, fix := k.charts.Missing(ref)
		msg := fmt.Sprintf("chart %s is neither at %s nor in charts.search or the chart cache; oomlint never downloads during lint, so what it deploys is not linted",
			ref, k.display(kChartDir(e.kf, e.item)))
		return nil, k.charts.Miss(ref, problem(msg, fix, lint.Warning)), true
	}
	rel := helm.Release{Dir: chart.Dir, Archive: chart.Archive, Name: cmp.Or(str("releaseName"), render.DefaultReleaseName),
		Namespace: str("namespace"), Anchor: anchor, By: "helmCharts entry " + strconv.Quote(name)} // the trace line is in the kustomization itself
	rel.Layers, probs = k.chartValues(e, chart)
	out := h.RenderRelease(ctx, u, rel)
	probs = append(probs, out.Problems...)
	if len(out.Docs) == 0 && len(out.Problems) > 0 {
		return nil, probs, true
	}
	pre, data := render.ChartStream(out)
	return &kChart{item: e.item, owner: e.kf.file, pre: pre, data: data, anchor: anchor,
		file: filepath.Join(e.kf.dir, fmt.Sprintf(".oomlint-helmchart-%d-%s.yaml", i, name))}, probs, false
}

// locateChart finds an entry's chart as kustomize does, in the chart home
// (helmGlobals.chartHome, else charts/ beside the kustomization), and
// failing that as a HelmRelease's: charts.search, then the chart cache.
func (k *Kustomize) locateChart(e kSkip) (render.Chart, bool) {
	name := yamlnode.Str(e.item, "name")
	dir := kChartDir(e.kf, e.item)
	if render.Within(k.opt.RepoRoot, dir) && kIsFile(filepath.Join(dir, "Chart.yaml")) {
		return render.Chart{Dir: dir}, true
	}
	repo := yamlnode.Str(e.item, "repo")
	if repo == "" {
		return render.Chart{}, false
	}
	return k.charts.Find(charts.Ref{RepoURL: repo, Chart: name, Version: yamlnode.Str(e.item, "version")})
}

// kChartDir is where kustomize reads (and pulls) an entry's chart.
func kChartDir(kf *kfile, item *yaml.Node) string {
	return charts.KustomizeChartDir(kChartHome(kf), yamlnode.Str(item, "name"), yamlnode.Str(item, "repo"), yamlnode.Str(item, "version"))
}

// kChartHome is where kustomize looks for a kustomization's charts.
func kChartHome(kf *kfile) string {
	home := cmp.Or(yamlnode.Str(kf.root, "helmGlobals", "chartHome"), "charts")
	if filepath.IsAbs(home) {
		return home
	}
	return filepath.Join(kf.dir, home)
}

// chartValues are an entry's values layers in kustomize's order: the
// values file (the chart's values.yaml unless valuesFile names another)
// merged with valuesInline as valuesMerge says (override, the default:
// inline over the file; merge: the file over inline; replace: inline
// alone), then each additionalValuesFiles entry.
func (k *Kustomize) chartValues(e kSkip, chart render.Chart) ([]helm.Layer, []lint.Finding) {
	var probs []lint.Finding
	file := func(v *yaml.Node) (string, bool) {
		p := filepath.Join(e.kf.dir, filepath.FromSlash(v.Value))
		if kIsRemote(v.Value) || !render.Within(k.opt.RepoRoot, p) || !kIsFile(p) {
			f := k.problem(e.kf.file, v.Line, v.Column, fmt.Sprintf(
				"helmCharts entry %q: values file %q is not a file of this repository; its values are not applied", yamlnode.Str(e.item, "name"), v.Value))
			f.Severity, f.Fix = lint.Warning, "vendor the values file into the repository next to the kustomization, or write its values under valuesInline"
			probs = append(probs, f)
			return "", false
		}
		return p, true
	}
	var fileLayer, inline *helm.Layer
	if _, v := yamlnode.Lookup(e.item, "valuesFile"); v != nil && v.Value != "" {
		if p, ok := file(v); ok && (chart.Dir == "" || p != filepath.Join(chart.Dir, "values.yaml")) {
			fileLayer = &helm.Layer{File: p}
		}
	}
	if v := yamlnode.Get(e.item, "valuesInline"); v != nil && v.Kind == yaml.MappingNode && len(v.Content) > 0 {
		inline = &helm.Layer{File: e.kf.file, Root: v}
	}
	var layers []helm.Layer
	add := func(ls ...*helm.Layer) {
		for _, l := range ls {
			if l != nil {
				layers = append(layers, *l)
			}
		}
	}
	switch {
	case inline == nil:
		add(fileLayer)
	case yamlnode.Str(e.item, "valuesMerge") == "replace":
		add(inline)
	case yamlnode.Str(e.item, "valuesMerge") == "merge":
		add(inline, fileLayer)
	default:
		add(fileLayer, inline)
	}
	for _, v := range yamlnode.Seq(e.item, "additionalValuesFiles") {
		if p, ok := file(v); ok {
			add(&helm.Layer{File: p})
		}
	}
	return layers, probs
}

// chartOrigin locates the fields of an object of a rendered chart: on the
// kustomization patch that set it, else through the chart to its values or
// template line.
func (tr *kTracer) chartOrigin(src kSource, c *kChart) func(*yaml.Node) lint.Origin {
	inner := tr.origin(src)
	rendered := tr.k.display(c.file)
	return func(n *yaml.Node) lint.Origin {
		return render.PatchedOrigin{Kust: inner(n), Chart: c.pre[render.ObjectKey(tr.sourceDoc(src))],
			Rendered: rendered, Fallback: c.anchor, Patched: "the chart's value, patched by the kustomization"}
	}
}
