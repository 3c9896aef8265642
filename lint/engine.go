package lint

import (
	"context"
	"fmt"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Run lints cfg.Paths with the rules of catalogue that cfg enables. Problems
// in the manifests are findings; an error means the run itself could not
// happen (a missing path, an unknown rule name).
func Run(ctx context.Context, cfg Config, catalogue []*Rule) (*Result, error) {
	cfg.normalize()
	active, err := selectRules(catalogue, &cfg)
	if err != nil {
		return nil, err
	}
	l, err := load(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	decs, sum := l.decs, l.sum

	c := &checker{cfg: &cfg, active: active, catalogue: catalogue, dirs: l.dirs, namespaces: l.namespaces, loaded: map[string]directives{}}
	perFile := make([][]Finding, len(decs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cfg.Jobs)
	for i, d := range decs {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			perFile[i] = c.checkFile(d)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	nss := sortedNamespaces(l.namespaces)
	perNS := make([][]Finding, len(nss))
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(cfg.Jobs)
	for i, ns := range nss {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			perNS[i] = c.checkNamespace(ns)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	all := slices.Concat(slices.Concat(perFile...), slices.Concat(perNS...),
		slices.DeleteFunc(slices.Clone(cfg.Extra), c.suppressedByComment))
	all = c.stamp(all)
	slices.SortFunc(all, compareFindings)
	// A values file or base shared by several units (chart variants, two
	// overlays of one base) yields the same finding once per unit: keep one.
	all = slices.CompactFunc(all, func(a, b Finding) bool {
		return compareFindings(a, b) == 0 && a.Severity == b.Severity
	})
	for _, f := range all {
		switch f.Severity {
		case Error:
			sum.Error++
		case Warning:
			sum.Warning++
		case Info:
			sum.Info++
		}
	}
	return &Result{Findings: all, Summary: sum, Rules: active, Files: l.files}, nil
}

// loaded is everything discovered, rendered and decoded in one run.
type loaded struct {
	decs       []*decoded
	objects    []*Object
	namespaces map[string]*Namespace
	dirs       map[string]directives
	sum        Summary
	files      []string // display paths of every file read, sorted
}

// load discovers, renders and decodes cfg.Paths, and resolves every object.
func load(ctx context.Context, cfg *Config) (*loaded, error) {
	sources, _, roots, err := discover(cfg)
	if err != nil {
		return nil, err
	}
	planned, consumed := plan(cfg, roots)
	sources = slices.DeleteFunc(sources, func(s source) bool { return consumed[s.abs] })

	// One slot per file and per rendered unit: no locks, and the order of
	// results never depends on scheduling.
	perTask := make([][]*decoded, len(sources)+len(planned))
	progress := newProgress(cfg.Progress, len(perTask))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cfg.Jobs)
	for i, src := range sources {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			start := time.Now()
			d := decodeFile(src.abs, src.display, cfg.Namespace, cfg.MaxFileSize)
			defer progress.done(src.display, PlainUnit, len(d.objects), start)
			for _, o := range d.objects {
				o.Unit = src.unit
				o.Workload = buildWorkload(o)
			}
			perTask[i] = []*decoded{d}
			return nil
		})
	}
	for i, u := range planned {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			start := time.Now()
			perTask[len(sources)+i] = renderUnit(gctx, cfg, u)
			n := 0
			for _, d := range perTask[len(sources)+i] {
				n += len(d.objects)
			}
			progress.done(u.Name, u.Kind, n, start)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	l := &loaded{decs: slices.Concat(perTask...), dirs: map[string]directives{}}
	l.sum = Summary{Files: len(sources) + len(consumed), Units: len(planned)}
	plainUnits := map[*Unit]bool{}
	for _, src := range sources {
		plainUnits[src.unit] = true
	}
	l.sum.Units += len(plainUnits)
	for _, src := range sources {
		l.files = append(l.files, src.display)
	}
	for abs := range consumed {
		l.files = append(l.files, displayPath(cfg.WorkDir, abs))
	}
	slices.Sort(l.files)
	l.files = slices.Compact(l.files)
	for _, d := range l.decs {
		l.objects = append(l.objects, d.objects...)
		l.sum.Skipped += d.skipped
		if d.directives != nil {
			l.dirs[d.file] = d.directives
		}
	}
	l.sum.Objects = len(l.objects)
	l.namespaces = resolve(l.objects)
	return l, nil
}

// Objects returns every object of a run, rendered and decoded, with the
// problems met on the way (for `oomlint render`).
func Objects(ctx context.Context, cfg Config) ([]*Object, []Finding, error) {
	cfg.normalize()
	l, err := load(ctx, &cfg)
	if err != nil {
		return nil, nil, err
	}
	var problems []Finding
	for _, d := range l.decs {
		problems = append(problems, d.problems...)
	}
	slices.SortFunc(problems, compareFindings)
	return l.objects, problems, nil
}

func (cfg *Config) normalize() {
	if len(cfg.Paths) == 0 {
		cfg.Paths = []string{"."}
	}
	if cfg.Jobs <= 0 {
		cfg.Jobs = runtime.GOMAXPROCS(0)
	}
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultNamespace
	}
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = DefaultMaxFileSize
	}
	def := DefaultSettings()
	if cfg.Settings.MaxLimitRequestRatio <= 0 {
		cfg.Settings.MaxLimitRequestRatio = def.MaxLimitRequestRatio
	}
	if cfg.Settings.MinMemory <= 0 {
		cfg.Settings.MinMemory = def.MinMemory
	}
	if cfg.Settings.HeapFraction <= 0 {
		cfg.Settings.HeapFraction = def.HeapFraction
	}
	if cfg.Settings.GoMemLimitFraction <= 0 {
		cfg.Settings.GoMemLimitFraction = def.GoMemLimitFraction
	}
}

// selectRules applies enable, disable and severity overrides to the
// catalogue. Every name given must match a rule, so a typo is an error.
func selectRules(catalogue []*Rule, cfg *Config) ([]*Rule, error) {
	matchAll := func(what string, patterns []string) (map[*Rule]bool, error) {
		hit := map[*Rule]bool{}
		for _, p := range patterns {
			n := 0
			for _, r := range catalogue {
				if ruleMatches(p, r) {
					hit[r] = true
					n++
				}
			}
			if n == 0 {
				return nil, fmt.Errorf("%s: unknown rule %q (see `oomlint rules`)", what, p)
			}
		}
		return hit, nil
	}
	enable, err := matchAll("enable", cfg.Enable)
	if err != nil {
		return nil, err
	}
	disable, err := matchAll("disable", cfg.Disable)
	if err != nil {
		return nil, err
	}
	severity := map[*Rule]Severity{}
	for p, s := range cfg.Severity {
		hit, err := matchAll("severity", []string{p})
		if err != nil {
			return nil, err
		}
		for r := range hit {
			severity[r] = s
		}
	}
	var active []*Rule
	for _, r := range catalogue {
		if (r.Off && !enable[r]) || disable[r] {
			continue
		}
		if s, ok := severity[r]; ok {
			cp := *r
			cp.Severity = s
			cp.Off = false
			active = append(active, &cp)
			continue
		}
		active = append(active, r)
	}
	return active, nil
}

// ruleMatches reports whether an ID, a name or a glob (OOM2*) names r.
func ruleMatches(pattern string, r *Rule) bool {
	pattern = strings.TrimSpace(pattern)
	if strings.EqualFold(pattern, r.ID) || pattern == r.Name {
		return true
	}
	if ok, _ := path.Match(strings.ToUpper(pattern), r.ID); ok {
		return true
	}
	ok, _ := path.Match(pattern, r.Name)
	return ok
}

// RuleMatches is ruleMatches for callers outside the engine (explain).
func RuleMatches(pattern string, r *Rule) bool { return ruleMatches(pattern, r) }

// plan asks each renderer for the units under the roots the walk found and
// the files they read.
func plan(cfg *Config, roots map[UnitKind][]string) ([]*Unit, map[string]bool) {
	var units []*Unit
	consumed := map[string]bool{}
	for _, kind := range []UnitKind{ChartUnit, KustomizeUnit} {
		r := cfg.Renderers[kind]
		if r == nil || len(roots[kind]) == 0 {
			continue
		}
		us, files := r.Plan(roots[kind])
		units = append(units, us...)
		for _, f := range files {
			consumed[f] = true
		}
	}
	return units, consumed
}

// renderUnit renders one chart or kustomization and decodes its output.
// A panic in a rendering library becomes a finding on the unit.
func renderUnit(ctx context.Context, cfg *Config, u *Unit) (out []*decoded) {
	defer func() {
		if r := recover(); r != nil {
			out = []*decoded{{file: u.Name, problems: []Finding{{
				Rule: RenderErrorID, File: u.Name, Line: 1, Column: 1,
				Message: fmt.Sprintf("rendering %s failed (internal error: %v); please report it", u.Name, r),
			}}}}
		}
	}()
	r := cfg.Renderers[u.Kind].Render(ctx, u)
	if len(r.Problems) > 0 {
		out = append(out, &decoded{file: u.Name, problems: r.Problems})
	}
	for _, doc := range r.Docs {
		d := decodeBytes(doc.Data, doc.Name, false, cfg.Namespace)
		d.directives, d.template = nil, 0 // suppressions come from the source files
		for _, o := range d.objects {
			o.Unit = u
			if doc.Origin != nil {
				o.Origin = doc.Origin(o.Node)
			}
			o.Workload = buildWorkload(o)
		}
		out = append(out, d)
	}
	return out
}

// Progress reports one finished task of a run: a plain file decoded or a
// chart or kustomization rendered, for progress bars and --verbose.
type Progress struct {
	Done, Total int
	Name        string   // the file or unit
	Kind        UnitKind // PlainUnit for a plain file
	Objects     int
	Elapsed     time.Duration
}

// progress serialises reports from the workers.
type progress struct {
	mu    sync.Mutex
	n     int
	total int
	fn    func(Progress)
}

func newProgress(fn func(Progress), total int) *progress {
	return &progress{fn: fn, total: total}
}

func (p *progress) done(name string, kind UnitKind, objects int, start time.Time) {
	if p.fn == nil {
		return
	}
	elapsed := time.Since(start)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	p.fn(Progress{Done: p.n, Total: p.total, Name: name, Kind: kind, Objects: objects, Elapsed: elapsed})
}
