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
	if !cfg.Buffered {
		l.freezeConfigMaps(active)
	}
	c := &checker{cfg: &cfg, active: active, catalogue: catalogue, dirs: l.dirs, env: l.env, loaded: map[string]directives{}}
	lates, err := c.stream(ctx, l)
	if err != nil {
		return nil, err
	}
	decs := l.settle(lates)

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
	nss := l.env.sorted()
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
	var streamed []Finding
	for _, r := range lates {
		streamed = append(streamed, r.findings...)
	}
	sum := l.sum
	all := slices.Concat(streamed, slices.Concat(perFile...), slices.Concat(perNS...),
		slices.DeleteFunc(slices.Clone(cfg.Extra), c.suppressedByComment))
	// A values file or base shared by several units (chart variants, two
	// overlays of one base) yields a finding per unit at one line: one.
	all = c.mergeShared(all, unitsOf(all, len(streamed), decs, perFile, l.objects))
	all = c.stamp(all)
	slices.SortFunc(all, compareFindings)
	// What is still identical (a render problem of each variant) once.
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
	decs []*decoded
	// order is each dec's place in the run: its source's index for a plain
	// file, after every source for a unit's output (namespace workloads
	// keep this order).
	order    []int
	objects  []*Object
	env      *env
	dirs     map[string]directives
	sum      Summary
	files    []string // display paths of every file read, sorted
	late     []late   // plain files to stream (Run decodes and checks them)
	rendered twins    // unit objects by identity, for streamed twins
	progress *progress
	docs     docCache // documents of streamed files parsed again to locate findings
}

// settle drops the unit objects streamed plain objects stand for, gives
// every namespace its workloads in the run's order, and counts the
// streamed objects; it returns the decoded files still to check.
func (l *loaded) settle(lates []lateResult) []*decoded {
	dropped := map[*Object]bool{}
	ordered := make([][]*Workload, len(l.order)+len(lates))
	slots := make([]int, 0, len(ordered))
	for i, r := range lates {
		for _, o := range r.dropped {
			dropped[o] = true
		}
		ordered[i] = r.workloads
		slots = append(slots, l.late[i].index)
		l.sum.Objects += r.objects
		l.sum.Skipped += r.skipped
	}
	for i, d := range l.decs {
		if len(dropped) > 0 {
			d.objects = slices.DeleteFunc(d.objects, func(o *Object) bool { return dropped[o] })
		}
		var ws []*Workload
		for _, o := range d.objects {
			if o.Workload != nil {
				ws = append(ws, o.Workload)
			}
		}
		ordered[len(lates)+i] = ws
		slots = append(slots, l.order[i])
	}
	l.sum.Objects -= len(dropped)
	idx := make([]int, len(ordered))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return slots[a] - slots[b] })
	sorted := make([][]*Workload, len(ordered))
	for i, j := range idx {
		sorted[i] = ordered[j]
	}
	l.env.addWorkloads(sorted)
	return l.decs
}

// maxWaves bounds how deep units may plan units (a Flux Kustomization that
// builds one that builds another…); keys already stop cycles.
const maxWaves = 32

// load discovers, renders and decodes cfg.Paths, and resolves every object.
//
// Plain files decode first; the controller objects among them (a Flux
// Kustomization, an Argo CD Application) plan units, which render together
// with the charts and kustomizations found on disk. What those units render
// may hold further controller objects, which plan the next wave, until no
// object plans anything new. A directory unit or plain file that a
// controller object builds is dropped: the object decides what it deploys.
//
//nolint:gocognit // the pipeline's stages in order, read top to bottom
func load(ctx context.Context, cfg *Config) (*loaded, error) {
	sources, _, roots, err := discover(cfg)
	if err != nil {
		return nil, err
	}
	fileUnits, consumed := plan(cfg, roots)
	sources = slices.DeleteFunc(sources, func(s source) bool { return consumed[s.abs] })

	progress := newProgress(cfg.Progress, len(sources)+len(fileUnits))
	// One slot per file and per rendered unit: no locks, and the order of
	// results never depends on scheduling.
	plain := make([]*decoded, len(sources))
	streamed, split := make([]bool, len(sources)), make([]bool, len(sources))
	kept, budget := make([][]byte, len(sources)), new(keepBudget)
	budget.left.Store(keepBytes)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cfg.Jobs)
	for i, src := range sources {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			start := time.Now()
			data, err := readFile(src.abs, cfg.MaxFileSize)
			part := allDocs
			if stream, first, ok := streamParts(data, isJSONFile(src.abs)); err == nil && !cfg.Buffered && ok && stream {
				// Decoded and checked once the namespace facts are known.
				streamed[i] = true
				if budget.take(len(data)) {
					kept[i] = data // streamed from memory, not read again
				}
				if !first {
					return nil
				}
				part, split[i] = earlyDocs, true
			}
			d := decodeRead(data, err, src.abs, src.display, cfg.Namespace, part)
			if !split[i] { // a split file is done when its streamed part is
				defer progress.done(src.display, PlainUnit, len(d.objects), start)
			}
			for _, o := range d.objects {
				o.Unit = src.unit
				o.Workload = buildWorkload(o)
			}
			plain[i] = d
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	w := newWaves(cfg)
	var fresh []*Object
	for _, d := range plain {
		if d != nil {
			fresh = append(fresh, d.objects...)
		}
	}
	var units []*Unit
	var perUnit [][]*decoded
	notBuilt := map[*Unit]bool{}
	pending := fileUnits
	for wave := 0; ; wave++ {
		planned, problems := w.plan(fresh, progress)
		if len(planned) == 0 && len(pending) == 0 {
			// Nothing new: what waited for objects that never came plans now.
			planned, problems = w.flush(progress, problems)
		}
		if len(problems) > 0 {
			units = append(units, nil)
			perUnit = append(perUnit, []*decoded{{problems: problems}})
		}
		pending = append(pending, planned...)
		pending = w.dropOwned(pending)
		if len(pending) == 0 || wave == maxWaves {
			break
		}
		progress.grow(len(planned))
		out := make([][]*decoded, len(pending))
		nb := make([]bool, len(pending))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(cfg.Jobs)
		for i, u := range pending {
			g.Go(func() error {
				if err := gctx.Err(); err != nil {
					return err
				}
				start := time.Now()
				out[i], nb[i] = renderUnit(gctx, cfg, u)
				n := 0
				for _, d := range out[i] {
					n += len(d.objects)
				}
				progress.done(u.Name, u.Kind, n, start)
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		fresh = fresh[:0]
		for _, ds := range out {
			for _, d := range ds {
				fresh = append(fresh, d.objects...)
			}
		}
		for i, u := range pending {
			notBuilt[u] = nb[i]
		}
		units = append(units, pending...)
		perUnit = append(perUnit, out...)
		pending = nil
	}
	// Past the last wave, what planners still hold is reported (the units
	// they would plan are not rendered).
	if _, problems := w.flush(progress, nil); len(problems) > 0 {
		units = append(units, nil)
		perUnit = append(perUnit, []*decoded{{problems: problems}})
	}

	// Units and plain files a later wave found to be owned by a controller
	// object give way to it.
	l := &loaded{dirs: map[string]directives{}, progress: progress}
	plainUnits := map[*Unit]bool{}
	for i, src := range sources {
		l.files = append(l.files, src.display)
		if w.ownedFile(src.abs) {
			if streamed[i] && !split[i] {
				progress.done(src.display, PlainUnit, 0, time.Now())
			}
			continue
		}
		plainUnits[src.unit] = true
		if streamed[i] {
			l.late = append(l.late, late{index: i, src: src, split: split[i], data: kept[i]})
		}
		if plain[i] != nil {
			l.decs = append(l.decs, plain[i])
			l.order = append(l.order, i)
		}
	}
	for i, u := range units {
		if u != nil && w.ownedUnit(u) {
			continue
		}
		if u != nil {
			l.sum.Units++
		}
		if notBuilt[u] {
			l.sum.NotBuilt++
		}
		for _, d := range perUnit[i] {
			l.decs = append(l.decs, d)
			l.order = append(l.order, len(sources)+len(l.order))
		}
	}
	l.sum.Files = len(sources) + len(consumed)
	l.sum.Units += len(plainUnits)
	for abs := range consumed {
		l.files = append(l.files, displayPath(cfg.WorkDir, abs))
	}
	slices.Sort(l.files)
	l.files = slices.Compact(l.files)
	dedupe(l.decs)
	for _, d := range l.decs {
		l.objects = append(l.objects, d.objects...)
		l.sum.Skipped += d.skipped
		if d.directives != nil {
			l.dirs[d.file] = d.directives
		}
	}
	l.sum.Objects = len(l.objects)
	l.env = resolve(l.objects)
	l.rendered = twins{}
	for _, o := range l.objects {
		if o.Unit != nil && o.Unit.Kind != PlainUnit && o.Name != "" {
			if _, ok := l.rendered[idOf(o)]; !ok {
				l.rendered[idOf(o)] = o
			}
		}
	}
	return l, nil
}

// Objects returns every object of a run, rendered and decoded, with the
// problems met on the way (for `oomlint render`).
func Objects(ctx context.Context, cfg Config) ([]*Object, []Finding, error) {
	cfg.normalize()
	cfg.Buffered = true
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

// plan asks each file planner for the units under the roots the walk found
// and the files they read.
func plan(cfg *Config, roots map[string][]string) ([]*Unit, map[string]bool) {
	var units []*Unit
	consumed := map[string]bool{}
	for _, r := range cfg.Renderers {
		fp, ok := r.(FilePlanner)
		if !ok || len(roots[r.Name()]) == 0 {
			continue
		}
		us, files := fp.Plan(roots[r.Name()])
		units = append(units, us...)
		for _, f := range files {
			consumed[f] = true
		}
	}
	// A unit rooted in a directory another unit consumes (a chart that a
	// kustomization's helmCharts inflates) is built there, with that
	// unit's values, not on its own.
	if !cfg.Standalone {
		units = slices.DeleteFunc(units, func(u *Unit) bool { return consumed[u.Dir] })
	}
	return units, consumed
}

// renderer returns the renderer of a unit kind.
func (cfg *Config) renderer(kind string) Renderer {
	for _, r := range cfg.Renderers {
		if r.Name() == kind {
			return r
		}
	}
	return nil
}

// renderUnit renders one unit and decodes its output, and reports whether
// it did not build because of another source it includes. A panic in a
// rendering library becomes a finding on the unit.
func renderUnit(ctx context.Context, cfg *Config, u *Unit) (out []*decoded, notBuilt bool) {
	defer func() {
		if r := recover(); r != nil {
			out, notBuilt = []*decoded{{file: u.Name, problems: []Finding{unitProblem(u,
				fmt.Sprintf("rendering %s failed (internal error: %v); please report it", u.Name, r))}}}, false
		}
	}()
	rd := cfg.renderer(u.Kind)
	if rd == nil {
		return nil, false
	}
	r := rd.Render(ctx, u)
	if len(r.Problems) > 0 {
		out = append(out, &decoded{file: u.Name, problems: r.Problems})
	}
	ns := cfg.Namespace
	if u.Namespace != "" {
		ns = u.Namespace
	}
	for _, doc := range r.Docs {
		d := decodeBytes(doc.Data, doc.Name, false, ns)
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
	return out, r.NotBuilt
}

// unitProblem is an OOM900 finding on a unit: at its controller object when
// it has one, else at its directory.
func unitProblem(u *Unit, msg string) Finding {
	f := Finding{Rule: RenderErrorID, File: u.Name, Line: 1, Column: 1, Message: msg}
	if u.Source != nil && u.Source.Origin != nil {
		loc := u.Source.Origin.Locate(Root)
		f.File, f.Line, f.Column = loc.File, loc.Line, loc.Column
	}
	return f
}

// Progress reports one finished task of a run: a plain file decoded or a
// chart or kustomization rendered, for progress bars and --verbose.
type Progress struct {
	Done, Total int
	Name        string // the file or unit
	Kind        string // the renderer's name; PlainUnit for a plain file
	Objects     int
	Elapsed     time.Duration
	Note        string // set for a note instead of a finished task (see ObjectPlan.Notes)
}

// progress serialises reports from the workers.
type progress struct {
	mu    sync.Mutex
	n     int
	total int
	fn    func(Progress)
	noted map[string]bool
}

func newProgress(fn func(Progress), total int) *progress {
	return &progress{fn: fn, total: total}
}

// note reports a planner's note, once.
func (p *progress) note(msg string) {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.noted[msg] {
		return
	}
	if p.noted == nil {
		p.noted = map[string]bool{}
	}
	p.noted[msg] = true
	p.fn(Progress{Done: p.n, Total: p.total, Note: msg})
}

// grow adds tasks found during the run (units planned from objects).
func (p *progress) grow(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total += n
}

func (p *progress) done(name, kind string, objects int, start time.Time) {
	if p.fn == nil {
		return
	}
	elapsed := time.Since(start)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	p.fn(Progress{Done: p.n, Total: p.total, Name: name, Kind: kind, Objects: objects, Elapsed: elapsed})
}
