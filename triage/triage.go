// Package triage traces the containers a cluster OOM-killed back to the
// repository: it reads saved kubectl output (pods, and optionally VPAs,
// kubectl top and events), finds every container killed with OOMKilled or
// exit code 137, matches it to the workload in the rendered repository
// that deploys it, and reports the line that sets its memory limit with a
// value to set it to.
package triage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/lint"
)

// Report is the outcome of a triage: findings for the report writers, and
// what they cannot carry.
type Report struct {
	Result    *lint.Result // OOM950 and OOM951 findings, sorted, counted
	Traced    []Traced     // each killed container found in the repository
	Unmatched []Unmatched  // each killed container that was not
	Pods      int          // pods in the dumps
}

// Traced is a killed container and the line that sets its limit.
type Traced struct {
	Group      *Group
	Object     *lint.Object
	Container  *lint.Container
	Suggestion Suggestion
	Location   lint.Location
}

// Unmatched is a killed container found nowhere in the repository.
type Unmatched struct {
	Group  *Group
	Reason string
}

// Run triages what the cluster dumps say against the repository cfg
// renders. catalogue holds the triage rules (rules.All); cfg's disable
// list and severity overrides apply to them. Nothing is rendered when no
// container was killed.
func Run(ctx context.Context, cfg lint.Config, c *Cluster, catalogue []*lint.Rule) (*Report, error) {
	rs, err := triageRules(catalogue, cfg)
	if err != nil {
		return nil, err
	}
	incs, usage := findIncidents(c)
	cl := *c
	cl.Usage = append(slices.Clone(c.Usage), usage...)
	groups := groupIncidents(&cl, incs)
	rep := &Report{Pods: len(c.Pods), Result: &lint.Result{Rules: rs.active()}}
	if len(groups) == 0 {
		return rep, nil
	}
	repo, err := lint.LoadRepository(ctx, cfg)
	if err != nil {
		return nil, err
	}
	ns := cfg.Namespace
	if ns == "" {
		ns = lint.DefaultNamespace
	}
	m := newMatcher(repo.Objects, ns)
	b := builder{rules: rs, settings: cfg.Settings, cluster: &cl}
	var findings []lint.Finding
	for _, g := range groups {
		mt := m.find(g)
		if mt.object == nil {
			rep.Unmatched = append(rep.Unmatched, Unmatched{Group: g, Reason: withProblems(mt.reason, repo.Problems)})
			continue
		}
		ct := containerOf(mt.object, g.Container, g.Init)
		if ct == nil {
			loc := mt.object.Origin.Locate(lint.Root)
			rep.Unmatched = append(rep.Unmatched, Unmatched{Group: g, Reason: fmt.Sprintf(
				"%s %s/%s (%s:%d) has no %s %s: one injected at admission (a service mesh sidecar) or added outside the repository",
				mt.object.Kind, mt.object.Namespace, mt.object.Name, loc.File, loc.Line, roleWord(g.Init), g.Container)})
			continue
		}
		t, fs := b.trace(g, mt, ct)
		rep.Traced = append(rep.Traced, t)
		findings = append(findings, fs...)
	}
	slices.SortFunc(findings, compareFindings)
	sum := repo.Summary
	for _, f := range findings {
		switch f.Severity {
		case lint.Error:
			sum.Error++
		case lint.Warning:
			sum.Warning++
		case lint.Info:
			sum.Info++
		}
	}
	rep.Result.Findings, rep.Result.Summary, rep.Result.Files = findings, sum, nil
	return rep, nil
}

// withProblems adds to a reason that the repository did not render whole.
func withProblems(reason string, problems []lint.Finding) string {
	n := 0
	for _, p := range problems {
		if p.Rule == lint.RenderErrorID || p.Rule == lint.ParseErrorID {
			n++
		}
	}
	if n == 0 {
		return reason
	}
	return fmt.Sprintf("%s (%d render or parse problems in the repository may hide it; oomlint lint lists them)", reason, n)
}

func roleWord(init bool) string {
	if init {
		return "init container"
	}
	return "container"
}

// compareFindings orders findings as lint does: file, line, column, rule,
// then object and container.
func compareFindings(a, b lint.Finding) int {
	return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column),
		strings.Compare(a.Rule, b.Rule), strings.Compare(refKey(a.Object), refKey(b.Object)), strings.Compare(a.Container, b.Container),
		strings.Compare(a.Message, b.Message))
}

func refKey(r *lint.ObjectRef) string {
	if r == nil {
		return ""
	}
	return r.Namespace + "\x00" + r.Kind + "\x00" + r.Name
}

// ruleSet are the triage rules as configured; nil for one that is disabled.
type ruleSet struct {
	killed, drift, unmatched *lint.Rule
}

func (rs ruleSet) active() []*lint.Rule {
	var out []*lint.Rule
	for _, r := range []*lint.Rule{rs.killed, rs.drift, rs.unmatched} {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

// triageRules finds the triage rules in the catalogue and applies cfg's
// disable list and severity overrides. They are off for lint (which never
// reports them) and on here. A name that matches no rule of the catalogue
// is an error, as in lint.
func triageRules(catalogue []*lint.Rule, cfg lint.Config) (ruleSet, error) {
	for _, p := range slices.Concat(cfg.Enable, cfg.Disable, mapKeys(cfg.Severity)) {
		if !slices.ContainsFunc(catalogue, func(r *lint.Rule) bool { return lint.RuleMatches(p, r) }) {
			return ruleSet{}, fmt.Errorf("unknown rule %q (see `oomlint rules`)", p)
		}
	}
	get := func(id string) (*lint.Rule, error) {
		i := slices.IndexFunc(catalogue, func(r *lint.Rule) bool { return r.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("rule %s is not in the catalogue", id)
		}
		r := *catalogue[i]
		r.Off = false
		for _, p := range cfg.Disable {
			if lint.RuleMatches(p, &r) {
				return nil, nil
			}
		}
		for _, p := range mapKeys(cfg.Severity) {
			if lint.RuleMatches(p, &r) {
				r.Severity = cfg.Severity[p]
			}
		}
		return &r, nil
	}
	var rs ruleSet
	var err error
	if rs.killed, err = get(lint.OOMKilledID); err != nil {
		return rs, err
	}
	if rs.drift, err = get(lint.ClusterDriftID); err != nil {
		return rs, err
	}
	rs.unmatched, err = get(lint.NotInRepoID)
	return rs, err
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// builder makes the findings of traced groups.
type builder struct {
	rules    ruleSet
	settings lint.Settings
	cluster  *Cluster
}

// repoLimit is where a container's limit is set in the repository and how
// to name it.
type repoLimit struct {
	loc   lint.Location
	path  lint.Path
	value string // "1Gi"; "" when none is set
	bytes int64  // 0 when unset or not a valid size
	field string // "limits.memory", "pod-level limits.memory", "defaulted limits.memory"
	src   lint.Source
}

func limitOf(o *lint.Object, ct *lint.Container) repoLimit {
	e := ct.Limit
	missing := ct.Path.Keys("resources", "limits", "memory")
	if !e.Set() {
		return repoLimit{loc: o.Origin.Locate(missing), path: missing, src: lint.Unset}
	}
	r := repoLimit{path: e.Q.Path, value: e.Q.Raw, field: e.Q.Field, src: e.Source}
	if e.Comparable() {
		r.bytes = e.Bytes()
	}
	if e.Source == lint.LimitRangeDefault && len(e.Q.Trace) > 0 {
		t := e.Q.Trace[0]
		r.loc = lint.Location{File: t.File, Line: t.Line, Column: max(t.Column, 1), Related: slices.Clone(e.Q.Trace[1:])}
		c := o.Origin.Locate(missing)
		r.loc.Related = append(r.loc.Related, lint.Related{File: c.File, Line: c.Line, Column: c.Column,
			Message: fmt.Sprintf("%s %s sets no limits.memory of its own, so the LimitRange default applies", roleWord(ct.Role != lint.Regular), ct.Name)})
		return r
	}
	r.loc = o.Origin.Locate(e.Q.Path)
	return r
}

// trace makes the findings of one group found in the repository: the kill
// (OOM950) at the line that sets the limit, and the cluster running
// another limit than the repository's (OOM951) at the same line.
func (b *builder) trace(g *Group, mt match, ct *lint.Container) (Traced, []lint.Finding) {
	o := mt.object
	rl := limitOf(o, ct)
	killedAt := int64(0)
	for _, l := range g.Limits() {
		if v, ok := parseBytes(l); ok {
			killedAt = max(killedAt, v)
		}
	}
	clusterKnown := killedAt > 0
	if !clusterKnown {
		killedAt = rl.bytes
	}
	sug := suggest(g, b.cluster, killedAt)
	t := Traced{Group: g, Object: o, Container: ct, Suggestion: sug, Location: rl.loc}

	ref := o.Ref()
	base := lint.Finding{
		File: rl.loc.File, Line: rl.loc.Line, Column: max(rl.loc.Column, 1),
		Object: &ref, Container: ct.Name, Path: rl.path.String(),
	}
	related := slices.Clone(rl.loc.Related)
	if mt.how != "" && !strings.HasPrefix(mt.how, "by kind") {
		related = append(related, objectLine(o, "matched "+mt.how))
	}
	heaps := heapLines(o, ct, b.settings, sug.Bytes)
	for _, h := range heaps {
		msg := h.msg
		if h.fix != "" {
			msg += "; with the new limit: " + h.fix
		}
		related = append(related, lint.Related{File: h.at.File, Line: h.at.Line, Column: h.at.Column, Message: msg})
	}
	for _, a := range o.Also {
		related = append(related, objectLine(a, "the same object, also deployed by "+a.Unit.Name))
	}
	for _, a := range mt.also {
		related = append(related, objectLine(a, fmt.Sprintf("%s %s/%s also matches the pods", a.Kind, a.Namespace, a.Name)+unitNote(a)))
	}

	var out []lint.Finding
	drift := driftOf(g, rl)
	if r := b.rules.killed; r != nil {
		f := base
		f.Rule, f.Name, f.Severity = r.ID, r.Name, r.Severity
		f.Message = killMessage(g, o, ct, rl, drift != "")
		f.Fix = fixText(rl, sug, heaps)
		f.Related = related
		out = append(out, f)
	}
	if r := b.rules.drift; r != nil && drift != "" {
		f := base
		f.Rule, f.Name, f.Severity = r.ID, r.Name, r.Severity
		f.Message = drift
		f.Fix = "find out why the cluster differs — a sync that failed or is suspended (flux get helmreleases -A, argocd app diff), a kubectl edit, a mutating webhook or a LimitRange outside the repository — and size the limit against what actually runs"
		f.Related = slices.Clone(rl.loc.Related)
		out = append(out, f)
	}
	return t, out
}

func unitNote(o *lint.Object) string {
	if o.Unit == nil || o.Unit.Variant == "" {
		return ""
	}
	return " (" + o.Unit.Variant + ")"
}

// objectLine is a related entry at an object's kind: line.
func objectLine(o *lint.Object, msg string) lint.Related {
	l := o.Origin.Locate(lint.Root)
	return lint.Related{File: l.File, Line: l.Line, Column: l.Column, Message: msg}
}

// killMessage states the evidence: what was killed, how often, when, and
// the limit in force against the repository's.
func killMessage(g *Group, o *lint.Object, ct *lint.Container, rl repoLimit, drift bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s of %s %s/%s ", roleWord(ct.Role != lint.Regular), ct.Name, o.Kind, g.Namespace, g.nameOf(o.Kind))
	if g.OOM() {
		b.WriteString("was OOM-killed (exit 137)")
	} else {
		b.WriteString("was killed with exit code 137 (SIGKILL: the OOM killer, or a kill after a failed liveness probe)")
	}
	b.WriteString(evidence(g))
	limits := g.Limits()
	switch {
	case drift:
		fmt.Fprintf(&b, "; the cluster runs it with %s, the repository sets %s", clusterLimits(limits), repoValue(rl))
	case rl.src == lint.Unset:
		b.WriteString("; it has no memory limit, in the repository or the cluster: the node ran out of memory and the kernel chose it")
	case rl.src == lint.LimitRangeDefault:
		fmt.Fprintf(&b, "; it runs with limits.memory %s, the default of this LimitRange (the %s sets none)", rl.value, roleWord(ct.Role != lint.Regular))
	default:
		fmt.Fprintf(&b, "; it runs with %s %s, set here", strings.TrimPrefix(rl.field, "defaulted "), rl.value)
	}
	return b.String()
}

// evidence is ", in pod x" or ", in 3 pods (a, b, c)", with restarts, the
// last kill and kill and eviction events.
func evidence(g *Group) string {
	var parts []string
	pods := g.Pods()
	if len(pods) == 1 {
		parts = append(parts, "in pod "+pods[0])
	} else {
		parts = append(parts, fmt.Sprintf("in %d pods (%s)", len(pods), strings.Join(pods, ", ")))
	}
	if n := g.Restarts(); n > 0 {
		parts = append(parts, plural(n, "restart"))
	}
	if last := g.Last(); last != "" {
		parts = append(parts, "last at "+last)
	}
	events, evicted := 0, 0
	for _, i := range g.Incidents {
		events += i.Events
		evicted = max(evicted, i.Evicted)
	}
	if events > 0 {
		parts = append(parts, plural(events, "OOM kill event"))
	}
	if evicted > 0 {
		parts = append(parts, fmt.Sprintf("evicted %s", plural(evicted, "time")))
	}
	return " " + strings.Join(parts, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func clusterLimits(limits []string) string {
	var out []string
	for _, l := range limits {
		if l == "" {
			out = append(out, "no memory limit")
			continue
		}
		out = append(out, "limits.memory "+l)
	}
	return strings.Join(out, " and ")
}

func repoValue(rl repoLimit) string {
	switch rl.src {
	case lint.Unset:
		return "none"
	case lint.LimitRangeDefault:
		return rl.value + " (a LimitRange default)"
	case lint.Declared, lint.FromLimit, lint.PodLevel:
	}
	return rl.value
}

// driftOf says how the limits the pods run with differ from the
// repository's, or "" when they agree.
func driftOf(g *Group, rl repoLimit) string {
	var differ []string
	for _, l := range g.Limits() {
		if !sameLimit(l, rl) {
			differ = append(differ, l)
		}
	}
	if len(differ) == 0 {
		return ""
	}
	var pods []string
	for _, i := range g.Incidents {
		if slices.Contains(differ, i.Limit) {
			pods = append(pods, i.Pod)
		}
	}
	slices.Sort(pods)
	pods = slices.Compact(pods)
	which := "pod "
	if len(pods) > 1 {
		which = "pods "
	}
	return fmt.Sprintf("the cluster runs %s %s with %s (%s%s), but the repository sets %s here: the cluster is not running what the repository says",
		roleWord(g.Init), g.Container, clusterLimits(differ), which, strings.Join(pods, ", "), repoValue(rl))
}

func sameLimit(cluster string, rl repoLimit) bool {
	if cluster == "" || rl.src == lint.Unset {
		return cluster == "" && rl.src == lint.Unset
	}
	c, ok := parseBytes(cluster)
	if !ok || rl.bytes == 0 {
		return strings.TrimSpace(cluster) == strings.TrimSpace(rl.value)
	}
	return c == rl.bytes
}

// fixText is the suggested limit with its basis, and the heap settings to
// change with it.
func fixText(rl repoLimit, s Suggestion, heaps []heapLine) string {
	var b strings.Builder
	switch {
	case s.Bytes == 0:
		b.WriteString("set limits.memory (and requests.memory) from measured usage: save kubectl top pods --containers or a VPA recommendation (updateMode Off) and pass it with --top or --vpa")
	case rl.src == lint.LimitRangeDefault:
		fmt.Fprintf(&b, "give the container its own limits.memory: %s (%s), or raise this LimitRange default for every container of the namespace", s.Value(), s.Basis)
	case rl.src == lint.Unset:
		fmt.Fprintf(&b, "set limits.memory: %s (%s)", s.Value(), s.Basis)
	default:
		fmt.Fprintf(&b, "raise %s to %s (%s)", strings.TrimPrefix(rl.field, "defaulted "), s.Value(), s.Basis)
	}
	var heapFixes []string
	for _, h := range heaps {
		if h.fix != "" {
			heapFixes = append(heapFixes, h.fix)
		}
	}
	if len(heapFixes) > 0 {
		fmt.Fprintf(&b, ", and set %s", strings.Join(heapFixes, " and "))
	}
	return b.String()
}

// describe names a killed container for lists: "shop/cart-5d8f-x, container cart".
func describe(g *Group) string {
	pods := g.Pods()
	s := g.Namespace + "/" + pods[0]
	if len(pods) > 1 {
		s += fmt.Sprintf(" (and %d more pods)", len(pods)-1)
	}
	return s + ", " + roleWord(g.Init) + " " + g.Container
}

// limitText is the limits a group's pods run with, for lists.
func limitText(g *Group) string {
	return clusterLimits(g.Limits())
}
