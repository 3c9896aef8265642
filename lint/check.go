package lint

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Pass is what a rule's Check is given.
type Pass struct {
	Object    *Object
	Workload  *Workload
	Container *Container // nil for WorkloadScope rules
	Namespace *Namespace // set for NamespaceScope rules (and via Workload.Namespace for the others)
	Settings  Settings
}

type checker struct {
	cfg       *Config
	active    []*Rule               // enabled rules, severities configured
	catalogue []*Rule               // every rule, for suppressions that name a disabled one
	dirs      map[string]directives // ignore comments of the plain files

	env *env // namespace facts, for ObjectScope rules

	mu     sync.RWMutex
	loaded map[string]directives // of values files, templates, bases: read when a finding lands there

	// Which ignore comments suppressed a finding, and those of plain files
	// that may be reported as suppressing nothing (OOM904). Files are
	// checked in parallel.
	usedMu   sync.Mutex
	used     map[directiveAt]bool
	watched  []watchedDirective
	unparsed map[string]bool // files with a document that did not parse
}

// directiveAt is where an ignore comment is: its file and line.
type directiveAt struct {
	file string
	line int
}

// watchedDirective is a well-formed ignore comment that must suppress
// something in the run.
type watchedDirective struct {
	file string
	dir  directive
}

// directivesOf returns the ignore comments of a file findings point into.
func (c *checker) directivesOf(file string) directives {
	if ds, ok := c.dirs[file]; ok {
		return ds
	}
	c.mu.RLock()
	ds, ok := c.loaded[file]
	c.mu.RUnlock()
	if ok {
		return ds
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ds, ok := c.loaded[file]; ok {
		return ds
	}
	p := file
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.cfg.WorkDir, filepath.FromSlash(file))
	}
	if data, err := readConfined(c.cfg, p); err == nil {
		ds = scanDirectives(data)
	}
	c.loaded[file] = ds
	return ds
}

// checkFile runs the rules over one file's objects and applies suppressions.
func (c *checker) checkFile(d *decoded) []Finding {
	var out []Finding
	if d.template > 0 {
		d.problems = append(d.problems, templateFinding(d))
	}
	for _, f := range d.problems {
		if !c.suppressedIn(f, d) {
			out = append(out, f)
		}
	}
	for _, o := range d.objects {
		out = append(out, c.checkObject(o, d)...)
	}
	if !d.splitPart {
		out = append(out, c.badDirectives(d)...)
	}
	c.watch(d)
	return out
}

func (c *checker) checkObject(o *Object, d *decoded) (out []Finding) {
	ignore := c.objectIgnores(o, &out)
	out = append(out, c.objectNotes(o, d, ignore)...)
	w := o.Workload
	for _, r := range c.active {
		if r.Check == nil || listCovers(ignore, r) || (w == nil && r.Scope != ObjectScope) {
			continue
		}
		var diags []Diagnostic
		switch r.Scope {
		case ContainerScope:
			for _, ct := range w.Containers {
				diags = append(diags, c.run(r, &Pass{Object: o, Workload: w, Container: ct, Settings: c.cfg.Settings}, &out)...)
			}
		case WorkloadScope:
			diags = c.run(r, &Pass{Object: o, Workload: w, Settings: c.cfg.Settings}, &out)
		case ObjectScope:
			diags = c.run(r, &Pass{Object: o, Workload: w, Namespace: c.env.namespace(o.Namespace), Settings: c.cfg.Settings}, &out)
		case EngineScope, NamespaceScope:
		}
		seen := map[string]bool{}
		for _, diag := range diags {
			// A pod-level value shared by several containers is one finding.
			k := diag.Path.String() + "\x00" + diag.Message
			if seen[k] {
				continue
			}
			seen[k] = true
			f := c.finding(o, r, diag)
			if !c.suppressedIn(f, d) {
				out = append(out, f)
			}
		}
	}
	return out
}

// checkNamespace runs the namespace rules over one namespace. Each
// diagnostic names the object it is about (Diagnostic.In): a quota, a
// LimitRange, an autoscaler or a workload; that object's ignore
// annotation applies.
func (c *checker) checkNamespace(ns *Namespace) (out []Finding) {
	for _, r := range c.active {
		if r.Scope != NamespaceScope || r.Check == nil {
			continue
		}
		var diags []Diagnostic
		func() {
			defer func() {
				if e := recover(); e != nil {
					f := Finding{Rule: RenderErrorID, Line: 1, Column: 1,
						Message: fmt.Sprintf("rule %s failed on namespace %s (internal error: %v); please report it", r.ID, ns.Name, e)}
					if len(ns.Workloads) > 0 {
						loc := ns.Workloads[0].Object.Origin.Locate(Root)
						f.File, f.Line = loc.File, loc.Line
					}
					out = append(out, f)
					diags = nil
				}
			}()
			diags = r.Check(&Pass{Namespace: ns, Settings: c.cfg.Settings})
		}()
		for _, d := range diags {
			if d.In == nil {
				continue // a namespace finding must name its object
			}
			if v, ok := d.In.Annotations[IgnoreAnnotation]; ok && listCovers(splitList(v), r) {
				continue
			}
			f := c.finding(d.In, r, d)
			if !c.suppressedByComment(f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// run calls a rule, turning a panic into a finding: a bug in one rule must
// not hide the other findings.
func (c *checker) run(r *Rule, p *Pass, out *[]Finding) (diags []Diagnostic) {
	defer func() {
		if e := recover(); e != nil {
			loc := p.Object.Origin.Locate(Root)
			*out = append(*out, Finding{
				Rule: RenderErrorID, File: loc.File, Line: loc.Line, Column: loc.Column,
				Message: fmt.Sprintf("rule %s failed on %s %s (internal error: %v); please report it", r.ID, p.Object.Kind, p.Object.Name, e),
			})
			diags = nil
		}
	}()
	return r.Check(p)
}

func (c *checker) finding(o *Object, r *Rule, d Diagnostic) Finding {
	loc := o.Origin.Locate(d.Path)
	if d.In != nil && d.In != o {
		loc = d.In.Origin.Locate(d.Path)
		loc.Related = append(loc.Related, c.objectLine(o, fmt.Sprintf("read by %s %s", o.Kind, o.Name)))
	}
	ref := o.Ref()
	f := Finding{
		Rule: r.ID, Name: r.Name, Severity: r.Severity,
		Message: d.Message, Fix: d.Fix,
		File: loc.File, Line: loc.Line, Column: loc.Column,
		Object: &ref, Container: d.Container, Path: d.Path.String(),
		Related: append(append(loc.Related, d.Related...), traceOf(o.Workload, d)...),
	}
	if f.Fix == "" {
		f.Fix = r.Fix
	}
	if d.Severity > f.Severity && !c.overridden(r) {
		f.Severity = d.Severity
	}
	if d.At != nil {
		f.File, f.Line, f.Column = d.At.File, max(d.At.Line, 1), max(d.At.Column, 1)
		f.Related = append(append([]Related{}, d.At.Related...), c.objectLine(o, fmt.Sprintf("evaluating %s %s", o.Kind, o.Name)))
		f.Related = append(f.Related, d.Related...)
	}
	for _, a := range o.Also {
		f.Related = append(f.Related, c.objectLine(a, "the same object, also deployed by "+a.Unit.Name))
	}
	if d.Rule != "" && d.Rule != r.ID {
		// Reported as an engine rule: stamp gives it that rule's name,
		// severity and fix.
		f.Rule, f.Name, f.Severity = d.Rule, "", 0
		if d.Fix == "" {
			f.Fix = ""
		}
	}
	// A rule may name the trace of a defaulted value the engine adds too.
	seen := map[Related]bool{}
	f.Related = slices.DeleteFunc(f.Related, func(r Related) bool {
		dup := seen[r]
		seen[r] = true
		return dup
	})
	return f
}

// objectLine is a related entry at an object's kind: line.
func (c *checker) objectLine(o *Object, msg string) Related {
	l := o.Origin.Locate(Root)
	return Related{File: l.File, Line: l.Line, Column: l.Column, Message: msg}
}

// traceOf returns where the defaulted values a diagnostic is about came
// from (a LimitRange default's line): those it names in About, and the
// one at its own path. Rules name the container's field; the engine adds
// the trace.
func traceOf(w *Workload, d Diagnostic) []Related {
	var out []Related
	for _, q := range d.About {
		if q != nil {
			out = append(out, q.Trace...)
		}
	}
	if w == nil {
		return out
	}
	s := d.Path.String()
	for _, c := range w.Containers {
		for _, e := range []Effective{c.Limit, c.Request} {
			if e.Q != nil && len(e.Q.Trace) > 0 && e.Q.Path.String() == s {
				out = append(out, e.Q.Trace...)
			}
		}
	}
	return out
}

func (c *checker) overridden(r *Rule) bool {
	for p := range c.cfg.Severity {
		if ruleMatches(p, r) {
			return true
		}
	}
	return false
}

// objectIgnores reads the oomlint.io/ignore annotation, reporting entries
// that name no rule.
func (c *checker) objectIgnores(o *Object, out *[]Finding) []string {
	v, ok := o.Annotations[IgnoreAnnotation]
	if !ok {
		return nil
	}
	list := splitList(v)
	for _, s := range list {
		if !strings.EqualFold(s, "all") && !c.known(s) {
			loc := o.Origin.Locate(Root.Keys("metadata", "annotations", IgnoreAnnotation))
			ref := o.Ref()
			*out = append(*out, Finding{
				Rule: SuppressionInvalidID, File: loc.File, Line: loc.Line, Column: loc.Column, Object: &ref,
				Path:    Root.Keys("metadata", "annotations", IgnoreAnnotation).String(),
				Message: fmt.Sprintf("%s names %q, which is not an oomlint rule; nothing is suppressed by it", IgnoreAnnotation, s),
				Fix:     "use rule IDs or names from `oomlint rules`, comma-separated, or all",
			})
		}
	}
	return list
}

func (c *checker) known(s string) bool {
	return slices.ContainsFunc(c.catalogue, func(r *Rule) bool { return strings.EqualFold(s, r.ID) || s == r.Name })
}

// suppressedByComment reports whether a well-formed # oomlint:ignore
// comment covers the finding's line.
func (c *checker) suppressedByComment(f Finding) bool {
	return c.suppressedBy(f, c.directivesOf(f.File))
}

// suppressedIn is suppressedByComment for a finding of a decoded plain
// file, whose own comments are at hand.
func (c *checker) suppressedIn(f Finding, d *decoded) bool {
	if d.abs != "" && f.File == d.file {
		return c.suppressedBy(f, d.directives)
	}
	return c.suppressedByComment(f)
}

func (c *checker) suppressedBy(f Finding, ds directives) bool {
	if len(ds[generatedTarget]) > 0 && !c.cfg.IncludeGenerated {
		return true
	}
	suppressed := false
	for _, d := range ds[f.Line] {
		if d.reason == "" {
			continue // malformed: reported, not obeyed
		}
		// Every comment that covers the finding is used, not only the first.
		if slices.ContainsFunc(d.rules, func(s string) bool { return c.covers(s, f) }) {
			suppressed = true
			c.markUsed(directiveAt{f.File, d.line})
		}
	}
	return suppressed
}

// covers reports whether s, an entry of an ignore comment, names the
// finding's rule.
func (c *checker) covers(s string, f Finding) bool {
	return strings.EqualFold(s, "all") || strings.EqualFold(s, f.Rule) || (f.Name != "" && s == f.Name) || c.nameOf(f.Rule) == s
}

func (c *checker) markUsed(at directiveAt) {
	c.usedMu.Lock()
	defer c.usedMu.Unlock()
	if c.used == nil {
		c.used = map[directiveAt]bool{}
	}
	c.used[at] = true
}

// watch records the ignore comments of a plain file that must suppress a
// finding. Left out are the comments that cannot be judged: malformed ones
// and those naming an unknown rule (OOM903 reports them), those naming a
// rule this run leaves out (it would fire with another config), "all" when
// the config disables rules, and every comment of a generated file (its
// findings are dropped before any comment is read) or of a file that did
// not parse or is a template (what the comments cover was not checked).
//
// A file streamed in two parts is watched once, through its first part;
// a parse error in either part leaves it out.
func (c *checker) watch(d *decoded) {
	if slices.ContainsFunc(d.problems, func(f Finding) bool { return f.Rule == ParseErrorID }) {
		c.usedMu.Lock()
		defer c.usedMu.Unlock()
		if c.unparsed == nil {
			c.unparsed = map[string]bool{}
		}
		c.unparsed[d.file] = true
		return
	}
	if d.splitPart || len(d.directives) == 0 || d.template > 0 || (len(d.directives[generatedTarget]) > 0 && !c.cfg.IncludeGenerated) {
		return
	}
	var ws []watchedDirective
	for target, ds := range d.directives {
		if target == generatedTarget {
			continue
		}
		for _, dir := range ds {
			if dir.reason != "" && len(dir.rules) > 0 && !slices.ContainsFunc(dir.rules, c.unjudgeable) {
				ws = append(ws, watchedDirective{d.file, dir})
			}
		}
	}
	if len(ws) == 0 {
		return
	}
	c.usedMu.Lock()
	defer c.usedMu.Unlock()
	c.watched = append(c.watched, ws...)
}

// unjudgeable reports whether an ignore comment naming s cannot be called
// unused: s is no rule, or names a rule that does not run.
func (c *checker) unjudgeable(s string) bool {
	if strings.EqualFold(s, "all") {
		return len(c.cfg.Disable) > 0
	}
	i := slices.IndexFunc(c.catalogue, func(r *Rule) bool { return strings.EqualFold(s, r.ID) || s == r.Name })
	return i < 0 || !slices.Contains(c.active, c.catalogue[i])
}

// unusedDirectives reports the watched ignore comments that suppressed no
// finding of the run (OOM904). Call it once every finding has been checked
// against the comments.
func (c *checker) unusedDirectives() []Finding {
	c.usedMu.Lock()
	defer c.usedMu.Unlock()
	var out []Finding
	for _, w := range c.watched {
		if c.used[directiveAt{w.file, w.dir.line}] || c.unparsed[w.file] {
			continue
		}
		names := strings.Join(w.dir.rules, ",")
		what := "no finding of " + names
		if slices.ContainsFunc(w.dir.rules, func(s string) bool { return strings.EqualFold(s, "all") }) {
			what = "no finding"
		}
		out = append(out, Finding{Rule: SuppressionUnusedID, File: w.file, Line: w.dir.line, Column: w.dir.col,
			Message: fmt.Sprintf("oomlint:ignore %s suppressed nothing: %s is on line %d", names, what, w.dir.target)})
	}
	return out
}

func (c *checker) nameOf(id string) string {
	for _, r := range c.catalogue {
		if r.ID == id {
			return r.Name
		}
	}
	return ""
}

// badDirectives reports ignore comments that are malformed or name no rule.
func (c *checker) badDirectives(d *decoded) []Finding {
	var out []Finding
	for _, ds := range d.directives {
		for _, dir := range ds {
			bad := func(msg string) {
				out = append(out, Finding{Rule: SuppressionInvalidID, File: d.file, Line: dir.line, Column: dir.col, Message: msg,
					Fix: "write # oomlint:ignore OOM104 why-this-is-fine (IDs or names, comma-separated, then a reason)"})
			}
			switch {
			case len(dir.rules) == 0:
				bad("oomlint:ignore names no rule; nothing is suppressed")
				continue
			case dir.reason == "":
				bad(fmt.Sprintf("oomlint:ignore %s has no reason; it is not applied until it says why", strings.Join(dir.rules, ",")))
			}
			for _, s := range dir.rules {
				if !strings.EqualFold(s, "all") && !c.known(s) {
					bad(fmt.Sprintf("oomlint:ignore names %q, which is not an oomlint rule", s))
				}
			}
		}
	}
	return out
}

// templateFinding reports a Go-template file outside a chart, once for the
// file rather than once per line the YAML parser would stumble on.
func templateFinding(d *decoded) Finding {
	return Finding{
		Rule: ParseErrorID, File: d.file, Line: d.template, Column: 1,
		Message: "this file is a Go/Helm template ({{ … }} outside a Helm chart), not a manifest; it is not linted",
		Fix:     "put the template in a chart (a directory with Chart.yaml) so oomlint renders it, or list it under ignore: in .oomlint.yaml",
	}
}

// stamp adds the ignore comments that suppressed nothing, fills in rule
// names and configured severities of engine findings and drops those whose
// rule is disabled. It runs once every finding has been made.
func (c *checker) stamp(all []Finding) []Finding {
	all = append(all, c.unusedDirectives()...)
	out := all[:0]
	for _, f := range all {
		i := slices.IndexFunc(c.active, func(r *Rule) bool { return r.ID == f.Rule })
		if i < 0 {
			if c.known(f.Rule) {
				continue // disabled
			}
			if f.Severity == 0 {
				f.Severity = Error
			}
			out = append(out, f)
			continue
		}
		r := c.active[i]
		f.Name = r.Name
		if f.Fix == "" {
			f.Fix = r.Fix
		}
		if f.Severity == 0 || c.overridden(r) {
			f.Severity = r.Severity
		}
		out = append(out, f)
	}
	return out
}
