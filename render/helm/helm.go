// Package helm renders Helm charts with helm.sh/helm/v3 as `helm template`
// does, in process and offline, and traces every rendered field to the
// values file, values written in a controller object, or template line
// that set it.
package helm

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/helmutil"
	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
)

// Helm renders charts with helm.sh/helm/v3, as `helm template` does, in
// process and offline.
//
// Environment variants: every values-*.yaml next to a chart's Chart.yaml
// (values-prod.yaml, values-staging.yaml) makes one more unit, the chart
// rendered with values.yaml and then that file, so a mistake that only one
// environment sets is found in that environment's file.
//
// Two differences from `helm template`, both so that a render is the same
// from run to run and matches what a release installs: the functions whose
// output changes every run (randAlphaNum, uuidv4, now, genPrivateKey and
// the like) are seeded or fixed (fixed.go), and test hooks are left out as
// --skip-tests does unless Options.IncludeTests is set.
type Helm struct {
	opt    render.Options
	scans  *scanCache   // dependency templates scanned once per run
	search *searchIndex // charts.search directories read once per run
}

// Name is the unit kind of a chart render.
const Name = "helm"

// Name is the unit kind.
func (h *Helm) Name() string { return Name }

// RootFiles make a directory a chart.
func (h *Helm) RootFiles() []string { return []string{"Chart.yaml"} }

// Opaque is true: below Chart.yaml everything is the chart's.
func (h *Helm) Opaque() bool { return true }

// New returns the chart renderer.
func New(opt render.Options) *Helm {
	return &Helm{opt: opt, scans: &scanCache{}, search: &searchIndex{}}
}

// Plan returns one unit per application chart root, plus one per values-*.yaml
// variant; every file under a chart is the chart's, library charts included.
func (h *Helm) Plan(roots []string) ([]*lint.Unit, []string) {
	var units []*lint.Unit
	var consumed []string
	for _, dir := range roots {
		consumed = append(consumed, chartFiles(dir)...)
		if md, err := helmutil.LoadChartfile(filepath.Join(dir, "Chart.yaml")); err == nil && md.Type == "library" {
			continue // nothing to render; its users render it
		}
		name := lint.DisplayPath(h.opt.WorkDir, dir)
		units = append(units, &lint.Unit{Name: name, Kind: Name, Dir: dir})
		for _, v := range variants(dir) {
			units = append(units, &lint.Unit{Name: name + " (" + v + ")", Kind: Name, Dir: dir, Variant: v})
		}
	}
	return units, consumed
}

// variants are the values-*.yaml files beside Chart.yaml, sorted.
func variants(dir string) []string {
	var out []string
	for _, pat := range []string{"values-*.yaml", "values-*.yml"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, p := range m {
			out = append(out, filepath.Base(p))
		}
	}
	slices.Sort(out)
	return out
}

func chartFiles(dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// Render renders one chart unit. Every failure is an OOM900 finding; a
// panic in helm is one too, on the chart.
func (h *Helm) Render(ctx context.Context, u *lint.Unit) (out *lint.Rendered) {
	return h.render(ctx, u, nil)
}

// Release is a chart render that a controller object asks for: a Flux
// HelmRelease, an Argo CD Application's helm source.
type Release struct {
	Dir       string  // the chart directory, or
	Archive   string  // the chart archive (.tgz), from the chart cache
	Name      string  // .Release.Name
	Namespace string  // .Release.Namespace
	Layers    []Layer // values given over the chart's values.yaml, lowest precedence first
	// Anchor is where findings about the chart itself go when the chart is
	// not in the repository (an archive): the controller object's line.
	Anchor lint.Location
	// By names the controller object in the trace of each finding.
	By string
}

// Layer is one set of values given to a chart: a values file, or values
// written inside a controller object (a HelmRelease's spec.values, an
// Application's valuesObject) or a ConfigMap.
type Layer struct {
	File string // absolute path of a values file; for an inline layer, where Root was read
	// Root is the values mapping of an inline layer; nil for a file layer.
	Root *yaml.Node
	// Prefix nests an inline layer under keys (Flux valuesFrom targetPath).
	Prefix []string
	// Locate maps a path inside Root to the line a person edits; nil uses
	// Root's node lines in File.
	Locate func(steps []lint.PathStep) lint.Location
	// Values are the layer's values when they do not come from Root
	// (parameters given as --set); Root then only serves positions.
	Values map[string]any
}

// RenderRelease renders a chart as a controller object deploys it.
func (h *Helm) RenderRelease(ctx context.Context, u *lint.Unit, rel Release) *lint.Rendered {
	return h.render(ctx, u, &rel)
}

func (h *Helm) render(ctx context.Context, u *lint.Unit, rel *Release) (out *lint.Rendered) {
	r := &chartRender{opt: h.opt, unit: u, dir: u.Dir, rel: rel, parsed: map[string]*yaml.Node{}, scans: h.scans, search: h.search, ctx: ctx}
	if r.opt.RenderTimeout <= 0 {
		r.opt.RenderTimeout = render.DefaultRenderTimeout
	}
	if r.opt.RenderBudget <= 0 {
		r.opt.RenderBudget = render.DefaultRenderBudget
	}
	r.deadline = time.Now().Add(r.opt.RenderTimeout)
	if rel != nil {
		r.dir = rel.Dir
		if rel.Name != "" {
			r.opt.ReleaseName = rel.Name
		}
		if rel.Namespace != "" {
			r.opt.Namespace = rel.Namespace
		}
	}
	defer func() {
		if e := recover(); e != nil {
			out = &lint.Rendered{Problems: []lint.Finding{r.problem(r.chartYAML(), 1, 1,
				fmt.Sprintf("rendering chart %s failed (internal error: %v); please report it", u.Name, e), "")}}
		}
	}()
	if ctx.Err() != nil {
		return &lint.Rendered{}
	}
	return r.run()
}

// chartRender is one unit being rendered.
type chartRender struct {
	opt        render.Options
	unit       *lint.Unit
	dir        string   // the chart directory; "" for an archive
	rel        *Release // nil for a chart found on disk
	userValues []string // --values, charts.values and the variant, in order
	layers     []Layer  // the values over values.yaml, in order: userValues, or the release's
	scans      *scanCache
	search     *searchIndex
	rootsOnce  sync.Once
	rootDirs   []string // roots(), resolved once
	mu         sync.Mutex
	parsed     map[string]*yaml.Node // values files read for origins
	ctx        context.Context
	deadline   time.Time // of every render of the unit together (renderTimeout)
}

// pass is one render of the chart, with or without line markers.
type pass struct {
	tree     *tree
	refs     map[string]*templateRef
	docs     []manifest
	problems []lint.Finding
	failed   bool
	limited  bool // stopped by a limit: rendering again cannot help
}

// manifest is one rendered document and the template it came from.
type manifest struct{ name, content string }

func (r *chartRender) run() *lint.Rendered {
	if bad := r.escapingLink(r.dir); r.dir != "" && bad != "" {
		return &lint.Rendered{Problems: []lint.Finding{r.problem(bad, 1, 1,
			"this symlink leads outside the repository; oomlint does not read outside it, so the chart was not rendered",
			"vendor the linked files into the chart")}}
	}
	if r.rel != nil {
		r.layers = r.rel.Layers
		for _, l := range r.layers {
			if l.Root == nil && l.Values == nil {
				r.userValues = append(r.userValues, l.File)
			}
		}
	} else {
		r.userValues = r.valueFiles()
		for _, f := range r.userValues {
			r.layers = append(r.layers, Layer{File: f})
		}
	}
	marked := r.render(true)
	if marked.failed && !marked.limited {
		// A marker may be what broke the render; what helm says counts.
		return r.result(r.render(false), nil)
	}
	if !marked.failed && marked.tree.basePathIncludes {
		// A template reads another template's output (a checksum of a
		// ConfigMap): take the text from an unmarked render, the lines from this one.
		plain := r.render(false)
		if !plain.failed || plain.limited {
			return r.result(plain, marked)
		}
	}
	return r.result(marked, marked)
}

// valueFiles are the values files given for this unit, in the order helm
// applies them (later wins).
func (r *chartRender) valueFiles() []string {
	files := slices.Clone(r.opt.ChartValues[r.dir])
	files = append(files, r.opt.Values...)
	if r.unit.Variant != "" {
		files = append(files, filepath.Join(r.dir, r.unit.Variant))
	}
	return files
}

// render runs helm's own steps of `helm template` (action.Install with
// DryRun and ClientOnly): load, process dependencies, coalesce values,
// validate the schema, render, sort into manifests and hooks.
func (r *chartRender) render(mark bool) *pass {
	p := &pass{}
	fail := func(f ...lint.Finding) *pass {
		p.problems, p.failed = append(p.problems, f...), true
		return p
	}
	vals, err := r.mergeLayers()
	if err != nil {
		return fail(r.valuesFileProblem(err))
	}
	t, err := r.loadTree(mark)
	if err != nil {
		return fail(r.loadProblem(err))
	}
	p.tree = t
	ch := t.root
	if ch.Metadata.Type != "" && ch.Metadata.Type != "application" {
		return fail(r.problem(r.chartYAML(), 1, 1, fmt.Sprintf("%s charts are not installable", ch.Metadata.Type), ""))
	}
	if err := helmutil.ValidateReleaseName(r.opt.ReleaseName); err != nil {
		return fail(r.problem(r.chartYAML(), 1, 1, fmt.Sprintf("release name %q: %v", r.opt.ReleaseName, err), "set charts.releaseName in .oomlint.yaml"))
	}
	if err := helmutil.ProcessDependenciesWithMerge(ch, vals); err != nil {
		return fail(r.problem(r.chartYAML(), 1, 1, "processing dependencies: "+err.Error(), ""))
	}
	missing := r.missingProblems(t)
	p.refs = t.byFullName()
	caps := helmutil.DefaultCapabilities.Copy()
	kv, err := helmutil.ParseKubeVersion(r.opt.KubeVersion)
	if err != nil {
		return fail(r.problem(r.chartYAML(), 1, 1, fmt.Sprintf("invalid kube version %q: %v", r.opt.KubeVersion, err), "give --kube-version as v1.34.0"))
	}
	caps.KubeVersion = *kv
	opts := helmutil.ReleaseOptions{Name: r.opt.ReleaseName, Namespace: r.opt.Namespace, Revision: 1, IsInstall: true}
	top, err := helmutil.ToRenderValues(ch, vals, opts, caps)
	if err != nil {
		return fail(append(missing, r.schemaProblem(err))...)
	}
	if ch.Metadata.KubeVersion != "" && !helmutil.IsCompatibleRange(ch.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return fail(r.kubeVersionProblem(ch.Metadata.KubeVersion, caps.KubeVersion.String()))
	}
	eng := newTemplateEngine(ch.Name() + "\x00" + r.opt.ReleaseName)
	eng.lim = newLimits(r.ctx, r.deadline, r.opt.RenderTimeout, r.opt.RenderBudget)
	files, err := eng.Render(ch, top)
	if le, ok := errors.AsType[*LimitError](err); ok {
		p.limited = true
		if le.Err != nil {
			return fail() // the lint was cancelled
		}
		return fail(r.limitProblem(le, ch.Name(), p.refs))
	}
	if err != nil {
		if len(missing) > 0 {
			return fail(missing...) // the missing chart is the cause
		}
		return fail(r.templateProblem(err, p.refs))
	}
	for name := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			delete(files, name)
		}
	}
	hooks, manifests, err := helmutil.SortManifests(files, nil, helmutil.InstallOrder)
	if err != nil {
		return fail(append(missing, r.sortProblem(err, p.refs))...)
	}
	for _, m := range manifests {
		p.docs = append(p.docs, manifest{m.Name, m.Content})
	}
	for _, h := range hooks {
		if !r.opt.IncludeTests && slices.Contains(h.Events, helmutil.HookTest) {
			continue // not deployed with the release: helm template --skip-tests
		}
		p.docs = append(p.docs, manifest{h.Path, h.Manifest})
	}
	p.problems = missing
	return p
}

// result turns a pass into documents with origins; lines holds the
// markers (the same pass, or a marked render of the same chart).
func (r *chartRender) result(p, lines *pass) *lint.Rendered {
	out := &lint.Rendered{Problems: p.problems}
	if p.failed {
		return out
	}
	var tmpls []*tmplFile
	if lines != nil {
		tmpls = lines.tree.ordered
	}
	seen := map[string]int{}
	var markedByName map[string][]string
	if lines != nil && lines != p {
		markedByName = map[string][]string{}
		for _, d := range lines.docs {
			markedByName[d.name] = append(markedByName[d.name], d.content)
		}
	}
	for _, d := range p.docs {
		content := d.content
		if markedByName != nil {
			content = ""
			if k := seen[d.name]; k < len(markedByName[d.name]) {
				content = markedByName[d.name][k]
			}
			seen[d.name]++
		}
		marks := readMarks(content, strings.Count(d.content, "\n"))
		data := stripMarkers(d.content)
		ref := p.refs[d.name]
		org := &helmOrigin{r: r, ref: ref, refs: p.refs, tmpls: tmpls, marks: marks}
		out.Docs = append(out.Docs, lint.RenderedDoc{
			Name:   r.display(r.templatePath(ref)),
			Data:   []byte(data),
			Origin: org.forObject,
		})
	}
	return out
}

// mark is a template line a rendered line came from.
type mark struct{ id, line int }

// readMarks reads the markers of a rendered document, by 1-based line. A
// marked text whose line count differs from the document's is not used.
func readMarks(content string, lines int) map[int]mark {
	if content == "" || strings.Count(content, "\n") != lines {
		return nil
	}
	marks := map[int]mark{}
	for i := 1; content != ""; i++ {
		l, rest, _ := strings.Cut(content, "\n")
		if start, _, m := findMarker(l); start >= 0 {
			marks[i] = m
		}
		content = rest
	}
	return marks
}

// templatePath is the file on disk a template's findings go to: the
// template, or for a template inside an archive, the archive.
func (r *chartRender) templatePath(ref *templateRef) string {
	switch {
	case ref == nil:
		return r.chartYAML()
	case ref.file.disk != "":
		return ref.file.disk
	}
	return ref.chain[len(ref.chain)-1].chartFile()
}

// chartYAML is where findings about the chart go: its Chart.yaml, or for an
// archive from the chart cache, the archive.
func (r *chartRender) chartYAML() string {
	if r.dir == "" {
		return r.rel.Archive
	}
	return filepath.Join(r.dir, "Chart.yaml")
}

func (r *chartRender) display(abs string) string { return lint.DisplayPath(r.opt.WorkDir, abs) }

// problem is an OOM900 finding at a file of the repository; a problem in
// a cached chart archive goes to the controller object that deploys it.
func (r *chartRender) problem(abs string, line, col int, msg, fix string) lint.Finding {
	if r.rel != nil && r.rel.Archive != "" && abs == r.rel.Archive {
		a := r.rel.Anchor
		return lint.Finding{Rule: lint.RenderErrorID, File: a.File, Line: max(a.Line, 1), Column: max(a.Column, 1),
			Message: shortMessage(msg) + " (in chart archive " + filepath.Base(abs) + ")", Fix: fix,
			Related: []lint.Related{r.unitRelated()}}
	}
	return lint.Finding{
		Rule: lint.RenderErrorID, File: r.display(abs), Line: max(line, 1), Column: max(col, 1),
		Message: shortMessage(msg), Fix: fix,
		Related: []lint.Related{r.unitRelated()},
	}
}

// unitRelated names the render: the chart and the values it used.
func (r *chartRender) unitRelated() lint.Related {
	if r.rel != nil {
		a := r.rel.Anchor
		from := r.display(r.dir)
		if r.dir == "" {
			from = filepath.Base(r.rel.Archive) + " from the chart cache"
		}
		return lint.Related{File: a.File, Line: max(a.Line, 1), Column: max(a.Column, 1),
			Message: fmt.Sprintf("rendered by %s from chart %s", r.rel.By, from)}
	}
	vals := []string{r.display(filepath.Join(r.dir, "values.yaml"))}
	for _, f := range r.userValues {
		vals = append(vals, r.display(f))
	}
	return lint.Related{File: r.display(r.chartYAML()), Line: 1, Column: 1,
		Message: fmt.Sprintf("rendered from chart %s with values %s", r.display(r.dir), strings.Join(vals, ", "))}
}
