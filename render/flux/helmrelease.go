package flux

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v3/pkg/strvals"

	"github.com/oomlint/oomlint/internal/charts"
	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/helm"
	"github.com/oomlint/oomlint/render/kustomize"
)

// HelmReleaseName is the unit kind of a Flux HelmRelease.
const HelmReleaseName = "helmrelease"

// HelmRelease renders Flux HelmReleases (helm.toolkit.fluxcd.io): the
// chart from this repository (a GitRepository source), or by name and
// version from the charts.search directories or the chart cache (a
// HelmRepository, an OCIRepository chartRef), with values merged in
// helm-controller's order: the chart's values.yaml and valuesFiles, then
// valuesFrom in order, then spec.values.
type HelmRelease struct {
	opt     render.Options
	h       *helm.Helm
	k       *kustomize.Kustomize
	charts  *render.ChartLocator
	waiting waiting
}

// NewHelmRelease returns the HelmRelease renderer; h renders the charts,
// k runs the post-renderers.
func NewHelmRelease(opt render.Options, h *helm.Helm, k *kustomize.Kustomize) *HelmRelease {
	return &HelmRelease{opt: opt, h: h, k: k, charts: render.NewChartLocator(opt)}
}

// Name is the unit kind.
func (r *HelmRelease) Name() string { return HelmReleaseName }

// PlanObjects plans one unit per HelmRelease whose chart can be found.
func (r *HelmRelease) PlanObjects(fresh []*lint.Object, all *lint.ObjectSet) (out lint.ObjectPlan) {
	match := func(o *lint.Object) bool { return is(o, helmGroup, "HelmRelease") }
	if fresh == nil {
		defer func() { out.Problems = append(out.Problems, r.charts.Flush()...) }()
	}
	for _, o := range r.waiting.next(fresh, match, func(o *lint.Object) bool { return r.ready(o, all) }) {
		rel, owns, probs := r.release(o, all)
		out.Problems = append(out.Problems, probs...)
		if rel == nil {
			continue
		}
		out.Units = append(out.Units, &lint.Unit{
			Name: render.ObjectName(o), Kind: HelmReleaseName, Key: HelmReleaseName + "/" + lint.ObjectKey(o),
			Namespace: rel.Namespace, Source: o, Plan: &releasePlan{rel: rel, obj: o},
		})
		out.Owns = append(out.Owns, owns...)
	}
	return out
}

// releasePlan is what one HelmRelease renders.
type releasePlan struct {
	rel *helm.Release
	obj *lint.Object
}

// Render renders the release, then its post-renderers.
func (r *HelmRelease) Render(ctx context.Context, u *lint.Unit) *lint.Rendered {
	p, ok := u.Plan.(*releasePlan)
	if !ok {
		return &lint.Rendered{}
	}
	out := r.h.RenderRelease(ctx, u, *p.rel)
	if postRenderers(p.obj) && len(out.Docs) > 0 {
		return r.postRender(ctx, u, p.obj, out)
	}
	return out
}

// ready reports whether the objects a HelmRelease names are all there yet:
// its chart's source and its valuesFrom.
func (r *HelmRelease) ready(o *lint.Object, all *lint.ObjectSet) bool {
	var src ref
	switch {
	case o.Get("spec", "chartRef") != nil:
		src = readRef(o, "spec", "chartRef")
	default:
		src = readRef(o, "spec", "chart", "spec", "sourceRef")
	}
	if src.kind != "" && src.kind != "GitRepository" && src.kind != "Bucket" && all.Find(src.kind, src.namespace, src.name) == nil {
		return false
	}
	return refsPresent(o, all, "spec", "valuesFrom")
}

// release works out what a HelmRelease renders, or the findings that say
// why it cannot.
func (r *HelmRelease) release(o *lint.Object, all *lint.ObjectSet) (*helm.Release, []string, []lint.Finding) {
	chart, probs := r.chart(o, all)
	if chart == nil {
		return nil, nil, probs
	}
	ns := o.Str("spec", "targetNamespace")
	name := o.Str("spec", "releaseName")
	if name == "" {
		name = o.Name
		if ns != "" {
			name = ns + "-" + o.Name
		}
	}
	if ns == "" {
		ns = o.Namespace
	}
	rel := &helm.Release{Dir: chart.Dir, Archive: chart.Archive, Name: name, Namespace: ns,
		Anchor: o.Origin.Locate(lint.Root), By: render.ObjectName(o)}
	var owns []string
	if chart.Dir != "" && !r.searched(chart.Dir) {
		owns = append(owns, chart.Dir)
	}
	if seq := o.Get("spec", "chart", "spec", "valuesFiles"); seq != nil && seq.Kind == yaml.SequenceNode && chart.Dir != "" {
		for _, n := range seq.Content {
			if f := filepath.Join(chart.Dir, filepath.FromSlash(yamlnode.Scalar(n))); filepath.IsLocal(filepath.FromSlash(yamlnode.Scalar(n))) && yamlnode.Scalar(n) != "values.yaml" {
				rel.Layers = append(rel.Layers, helm.Layer{File: f})
			}
		}
	}
	if seq := o.Get("spec", "valuesFrom"); seq != nil && seq.Kind == yaml.SequenceNode {
		for i, n := range seq.Content {
			l, p := r.valuesFrom(o, n, lint.Root.Keys("spec", "valuesFrom").Index(i), all)
			if l != nil {
				rel.Layers = append(rel.Layers, *l)
			}
			probs = append(probs, p...)
		}
	}
	if v := o.Get("spec", "values"); v != nil {
		base := lint.Root.Keys("spec", "values")
		rel.Layers = append(rel.Layers, helm.Layer{File: render.SourceFile(r.opt, o), Root: v,
			Locate: func(steps []lint.PathStep) lint.Location {
				return o.Origin.Locate(lint.PathOf(append(base.Steps(), steps...)))
			}})
	}
	return rel, owns, probs
}

// searched reports whether a chart directory is in a charts.search
// directory: a shared chart, still linted on its own.
func (r *HelmRelease) searched(dir string) bool {
	for _, s := range r.opt.ChartSearch {
		if render.Within(s, dir) {
			return true
		}
	}
	return false
}

// chart finds the release's chart.
func (r *HelmRelease) chart(o *lint.Object, all *lint.ObjectSet) (*render.Chart, []lint.Finding) {
	if o.Get("spec", "chartRef") != nil {
		return r.chartRef(o, all)
	}
	spec := []string{"spec", "chart", "spec"}
	name := o.Str(append(spec, "chart")...)
	version := o.Str(append(spec, "version")...)
	src := readRef(o, append(spec, "sourceRef")...)
	at := lint.Root.Keys(spec...)
	switch src.kind {
	case "GitRepository", "Bucket":
		dir, ok := render.RepoPath(r.opt, o, name)
		ok = ok && fileExists(filepath.Join(dir, "Chart.yaml"))
		if url, other := gitSource(r.opt, o, all, append(spec, "sourceRef")...); other && !ok {
			return nil, []lint.Finding{info(render.Problem(o, at.Key("sourceRef"), fmt.Sprintf(
				"HelmRelease %s: chart %s is in %s, another repository: not linted here", o.Name, name, url),
				"lint that repository, or add this repository's URL to repoURLs in .oomlint.yaml"))}
		}
		if !ok {
			return nil, []lint.Finding{render.Problem(o, at.Key("chart"), fmt.Sprintf(
				"HelmRelease %s: chart %q is not a chart directory of this repository", o.Name, name), "fix spec.chart.spec.chart")}
		}
		return &render.Chart{Dir: dir}, nil
	case "HelmRepository":
		repo := all.Find("HelmRepository", src.namespace, src.name)
		if repo == nil {
			// Not in the repository: a chart of that name may still be searched.
			if c, ok := r.charts.Find(charts.Ref{Chart: name, Version: version}); ok {
				return &c, nil
			}
			return nil, []lint.Finding{warning(render.Problem(o, at.Key("chart"), fmt.Sprintf(
				"HelmRelease %s: HelmRepository %s/%s is not in the repository and no chart %s %s is in charts.search, so what it deploys is not linted",
				o.Name, src.namespace, src.name, name, version),
				"add the HelmRepository to the repository and run `oomlint charts pull`, or vendor the chart and list its directory under charts.search"))}
		}
		url := repo.Str("spec", "url")
		if repo.Str("spec", "type") == "oci" && !strings.HasPrefix(url, "oci://") {
			url = "oci://" + strings.TrimPrefix(url, "https://")
		}
		return r.find(o, at.Key("chart"), charts.Ref{RepoURL: url, Chart: name, Version: version})
	case "":
		return nil, []lint.Finding{render.Problem(o, lint.Root.Key("spec"), fmt.Sprintf(
			"HelmRelease %s names no chart: helm-controller needs spec.chart.spec (chart and sourceRef) or spec.chartRef", o.Name),
			"set spec.chart.spec.chart and spec.chart.spec.sourceRef, or spec.chartRef")}
	}
	return nil, []lint.Finding{info(render.Problem(o, at.Keys("sourceRef", "kind"), fmt.Sprintf(
		"HelmRelease %s: a chart from a %s is not rendered offline", o.Name, src.kind), ""))}
}

// chartRef follows spec.chartRef to an OCIRepository or HelmChart.
func (r *HelmRelease) chartRef(o *lint.Object, all *lint.ObjectSet) (*render.Chart, []lint.Finding) {
	src := readRef(o, "spec", "chartRef")
	at := lint.Root.Keys("spec", "chartRef")
	obj := all.Find(src.kind, src.namespace, src.name)
	if obj == nil {
		return nil, []lint.Finding{render.Problem(o, at, fmt.Sprintf(
			"HelmRelease %s: chartRef %s %s/%s is not in the repository, so its chart is not known", o.Name, src.kind, src.namespace, src.name),
			"add the "+src.kind+" to the repository")}
	}
	switch src.kind {
	case "OCIRepository":
		url := strings.TrimSuffix(obj.Str("spec", "url"), "/")
		i := strings.LastIndex(url, "/")
		if i < 0 {
			return nil, nil
		}
		version := obj.Str("spec", "ref", "tag")
		if s := obj.Str("spec", "ref", "semver"); s != "" {
			version = s
		}
		return r.find(o, at, charts.Ref{RepoURL: url[:i], Chart: url[i+1:], Version: version})
	case "HelmChart":
		hc := readRef(obj, "spec", "sourceRef")
		url := ""
		if repo := all.Find("HelmRepository", hc.namespace, hc.name); repo != nil {
			url = repo.Str("spec", "url")
		}
		return r.find(o, at, charts.Ref{RepoURL: url, Chart: obj.Str("spec", "chart"), Version: obj.Str("spec", "version")})
	}
	return nil, nil
}

// find looks a chart up, reporting a miss once per chart version.
func (r *HelmRelease) find(o *lint.Object, at lint.Path, ref charts.Ref) (*render.Chart, []lint.Finding) {
	if c, ok := r.charts.Find(ref); ok {
		return &c, nil
	}
	msg, fix := r.charts.Missing(ref)
	return nil, r.charts.Miss(ref, warning(render.Problem(o, at, "HelmRelease "+o.Name+": "+msg, fix)))
}

// warning lowers a render finding to a warning: a chart that is not
// available is a gap in what was linted, not a broken manifest.
func warning(f lint.Finding) lint.Finding {
	f.Severity = lint.Warning
	return f
}

// valuesFrom reads one valuesFrom entry: a ConfigMap or Secret of the
// repository, its valuesKey (default values.yaml) read as values or, with
// targetPath, as the one value at that path.
func (r *HelmRelease) valuesFrom(o *lint.Object, n *yaml.Node, at lint.Path, all *lint.ObjectSet) (*helm.Layer, []lint.Finding) {
	kind, name := yamlnode.Scalar(yamlnode.Get(n, "kind")), yamlnode.Scalar(yamlnode.Get(n, "name"))
	key := yamlnode.Scalar(yamlnode.Get(n, "valuesKey"))
	if key == "" {
		key = "values.yaml"
	}
	target := yamlnode.Scalar(yamlnode.Get(n, "targetPath"))
	optional := yamlnode.Scalar(yamlnode.Get(n, "optional")) == "true"
	src := all.Find(kind, o.Namespace, name)
	if src == nil {
		if optional {
			return nil, nil
		}
		return nil, []lint.Finding{render.Problem(o, at, fmt.Sprintf(
			"HelmRelease %s: valuesFrom %s %s/%s is not in the repository, so its values are not applied", o.Name, kind, o.Namespace, name),
			"add it to the repository, or mark it optional: true")}
	}
	text, field := dataValue(src, key)
	if field == "" {
		if optional {
			return nil, nil
		}
		return nil, []lint.Finding{render.Problem(o, at, fmt.Sprintf("HelmRelease %s: %s %s has no key %q", o.Name, kind, name, key), "set valuesKey")}
	}
	dataPath := lint.Root.Keys(field, key)
	if target != "" {
		vals := map[string]any{}
		if err := strvals.ParseInto(target+"="+text, vals); err != nil {
			return nil, []lint.Finding{render.Problem(o, at.Key("targetPath"), "targetPath: "+err.Error(), "")}
		}
		keys := strings.Split(target, ".")
		leaf := &yaml.Node{Kind: yaml.ScalarNode, Value: text}
		return &helm.Layer{Values: vals, Root: nest(keys, leaf), File: render.SourceFile(r.opt, src),
			Locate: func([]lint.PathStep) lint.Location { return src.Origin.Locate(dataPath) }}, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil || len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	at0 := src.Origin.Locate(dataPath)
	if file := generatorFile(r.opt, at0, text); file != "" {
		return &helm.Layer{File: file}, nil
	}
	return &helm.Layer{File: render.SourceFile(r.opt, src), Root: root, Locate: func(steps []lint.PathStep) lint.Location {
		n := lint.LocateNode(root, lint.PathOf(steps))
		loc := at0
		if n != nil {
			loc.Line, loc.Column = at0.Line+n.Line, n.Column
		}
		return loc
	}}, nil
}

// nest builds a values mapping that holds leaf under keys.
func nest(keys []string, leaf *yaml.Node) *yaml.Node {
	n := leaf
	for _, k := range slices.Backward(keys) {
		n = &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: k}, n}}
	}
	return n
}

// dataValue reads key from a ConfigMap's data or a Secret's stringData or
// (base64) data; field is where it was found, "" when it was not.
func dataValue(o *lint.Object, key string) (text, field string) {
	for _, f := range []string{"data", "stringData"} {
		if n := o.Get(f, key); n != nil && n.Kind == yaml.ScalarNode {
			v := n.Value
			if o.Kind == "Secret" && f == "data" {
				v = decodeBase64(v)
			}
			return v, f
		}
	}
	return "", ""
}

// generatorFile is the file a configMapGenerator `files:` entry read, when
// loc points at such an entry and the file holds exactly text: findings
// then land in that file, where the values were written.
func generatorFile(opt render.Options, loc lint.Location, text string) string {
	abs := filepath.Join(opt.WorkDir, filepath.FromSlash(loc.File))
	src, err := lint.ReadRepoFile(opt.RepoRoot, abs)
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := ""
	for i := 1; sc.Scan(); i++ {
		if i == loc.Line {
			line = sc.Text()
			break
		}
	}
	// The location is the files entry itself (its column), in a block or
	// flow sequence: `- values.yaml=prod.yaml` or `files: [values.yaml=prod.yaml]`.
	if c := loc.Column - 1; c > 0 && c < len(line) {
		line = line[c:]
	}
	if i := strings.IndexAny(line, ",]}#"); i >= 0 {
		line = line[:i]
	}
	entry := strings.Trim(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- ")), `"'`)
	if _, after, ok := strings.Cut(entry, "="); ok {
		entry = after
	}
	if entry == "" || !filepath.IsLocal(filepath.FromSlash(entry)) {
		return ""
	}
	cand := filepath.Join(filepath.Dir(abs), filepath.FromSlash(entry))
	data, err := lint.ReadRepoFile(opt.RepoRoot, cand)
	if err != nil || strings.TrimSpace(string(data)) != strings.TrimSpace(text) {
		return ""
	}
	return cand
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
