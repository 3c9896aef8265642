package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/oomlint/oomlint/internal/lazyre"
	"github.com/oomlint/oomlint/lint"
)

// policyRule is one prepared rule set, shared by every worker: OPA's
// prepared queries are safe for concurrent evaluation.
type policyRule struct {
	id     string
	query  string        // data.main.deny, as messages show it
	ref    ast.Ref       // what is evaluated
	at     lint.Location // the rule set's first body
	index  int           // in the engine's batch
	engine *engine

	// alone is this rule set's own query, for when the batch fails. It is
	// prepared on first use: preparing one query per rule set up front
	// costs as much as the batch again, for a query that rarely runs.
	alone     sync.Once
	pq        rego.PreparedEvalQuery
	prepError error
}

// single is the rule set's own prepared query.
func (r *policyRule) single() (rego.PreparedEvalQuery, error) {
	r.alone.Do(func() {
		r.engine.prepMu.Lock()
		defer r.engine.prepMu.Unlock()
		r.pq, r.prepError = prepare(context.Background(), r.engine.compiler, r.engine.store, r.ref.String())
	})
	return r.pq, r.prepError
}

var namePattern = lazyre.New(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// meta is what a rule set's METADATA annotations say.
type meta struct {
	title, description       string
	id, name, severity, fix  string
	example                  string
	idAt, nameAt, severityAt *ast.Location
}

// metaOf reads the annotations of a rule set's bodies (rule and document
// scope); package-scope annotations count too when the package has only
// this rule set.
func metaOf(as *ast.AnnotationSet, g *group, soloInPackage bool) meta {
	var m meta
	if as == nil {
		return m
	}
	set := func(dst *string, v string, at **ast.Location, loc *ast.Location) {
		if *dst == "" && v != "" {
			*dst = v
			if at != nil {
				*at = loc
			}
		}
	}
	for _, r := range g.rules {
		for _, ref := range as.Chain(r) {
			a := ref.Annotations
			if a == nil {
				continue
			}
			if (a.Scope == "package" || a.Scope == "subpackages") && !soloInPackage {
				continue // a package's title is not one of its several rules'
			}
			set(&m.title, a.Title, nil, nil)
			set(&m.description, a.Description, nil, nil)
			custom := func(key string) string {
				if v, ok := a.Custom[key]; ok && v != nil {
					return strings.TrimSpace(fmt.Sprint(v))
				}
				return ""
			}
			set(&m.id, custom("id"), &m.idAt, a.Location)
			set(&m.name, custom("name"), &m.nameAt, a.Location)
			set(&m.severity, custom("severity"), &m.severityAt, a.Location)
			set(&m.fix, custom("fix"), nil, nil)
			set(&m.example, custom("example"), nil, nil)
		}
	}
	return m
}

func atLoc(l *ast.Location) lint.Location {
	if l == nil {
		return lint.Location{Line: 1, Column: 1}
	}
	return lint.Location{File: l.File, Line: max(l.Row, 1), Column: max(l.Col, 1)}
}

func problemAt(l lint.Location, msg, fix string) lint.Finding {
	return lint.Finding{Rule: lint.PolicyErrorID, File: l.File, Line: l.Line, Column: l.Column, Message: msg, Fix: fix}
}

// derivedID is package + rule set: "kubernetes.memory.deny_limits".
func derivedID(g *group) string {
	var b strings.Builder
	for _, r := range g.pkgName() + "." + g.name {
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	id := b.String()
	if lint.UserIDProblem(id) != "" {
		id = "rego." + id
	}
	return id
}

// kebab turns "kubernetes.memory" + "deny_limits" into
// "kubernetes-memory-deny-limits".
func kebab(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	out := b.String()
	if out == "" || out[0] < 'a' {
		out = "rego-" + out
	}
	return strings.TrimSuffix(out, "-")
}

func summaryOf(title string, g *group) string {
	s := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(title), "."))
	if s == "" {
		return "rego policy data." + g.pkgName() + "." + g.name
	}
	first, n := utf8.DecodeRuneInString(s)
	if next, _ := utf8.DecodeRuneInString(s[n:]); !unicode.IsUpper(next) {
		s = string(unicode.ToLower(first)) + s[n:]
	}
	return s
}

// buildRules prepares one lint.Rule per rule set.
func buildRules(ctx context.Context, c *ast.Compiler, store storage.Store, opts Options, timeout time.Duration) ([]*lint.Rule, []lint.Finding) {
	var problems []lint.Finding
	usedIDs, usedNames := map[string]string{}, map[string]string{}
	for _, r := range opts.Builtins {
		usedIDs[strings.ToUpper(r.ID)], usedNames[r.Name] = r.ID, r.ID
	}
	as := c.GetAnnotationSet()
	eng := &engine{timeout: timeout, compiler: c, store: store}
	var queries []string
	var refs []ast.Ref
	var prs []*policyRule
	var out []*lint.Rule
	gs := groups(c, opts.Packages)
	perPackage := map[string]int{}
	for _, g := range gs {
		perPackage[g.pkgName()]++
	}
	for _, g := range gs {
		m := metaOf(as, g, perPackage[g.pkgName()] == 1)
		at := atLoc(g.rules[0].Location)
		ref := g.ref()
		query := "data." + g.pkgName() + "." + g.name
		if s := ref.String(); strings.HasPrefix(s, "data.") {
			query = s
		}

		id, name, sev, probs := identity(g, m, query)
		problems = append(problems, probs...)
		if prev, ok := usedIDs[strings.ToUpper(id)]; ok {
			problems = append(problems, problemAt(at, fmt.Sprintf("rule ID %s of %s is already used by %s; the rule is not run", id, query, prev),
				"give each rule set its own custom.id in its METADATA"))
			continue
		}
		if prev, ok := usedNames[name]; ok {
			problems = append(problems, problemAt(at, fmt.Sprintf("rule name %s of %s is already used by %s; the rule is not run", name, query, prev),
				"give each rule set its own custom.name in its METADATA"))
			continue
		}
		usedIDs[strings.ToUpper(id)], usedNames[name] = id, id

		pr := &policyRule{id: id, query: query, ref: ref, at: at, index: len(queries), engine: eng}
		queries, refs = append(queries, ref.String()), append(refs, ref)
		prs = append(prs, pr)
		doc := m.description
		if doc == "" {
			doc = "A user Rego policy: the results of " + query + "."
		}
		doc = strings.TrimSpace(doc) + fmt.Sprintf("\n\nDefined by the Rego rule set %s at %s:%d.", query, at.File, at.Line)
		fix := m.fix
		if fix == "" {
			fix = fmt.Sprintf("follow the policy at %s:%d", at.File, at.Line)
		}
		out = append(out, &lint.Rule{
			ID: id, Name: name, Severity: sev, Scope: lint.ObjectScope,
			Summary: summaryOf(m.title, g), Doc: doc, Fix: fix, Example: m.example, Family: "custom",
			Check: pr.check,
		})
	}
	if len(queries) == 0 {
		return out, problems
	}
	batch, err := prepare(ctx, c, store, batchQuery(refs))
	if err == nil {
		eng.batch, eng.size, eng.queries = batch, len(queries), queries
		return out, problems
	}
	problems = append(problems, problemAt(prs[0].at, fmt.Sprintf("the policies could not be prepared together (%v); each runs on its own", err), ""))
	// Each rule set runs alone: prepare them now, so one that cannot be
	// prepared is reported once and left out.
	kept := out[:0]
	for i, pr := range prs {
		if _, err := pr.single(); err != nil {
			problems = append(problems, problemAt(pr.at, fmt.Sprintf("%s could not be prepared: %v", pr.query, err), ""))
			continue
		}
		kept = append(kept, out[i])
	}
	return kept, problems
}

// identity is a rule set's ID, name and severity: from its METADATA where
// valid, else derived from the package and rule name and the conftest
// convention (deny and violation are errors, warn warnings).
func identity(g *group, m meta, query string) (id, name string, sev lint.Severity, problems []lint.Finding) {
	id = derivedID(g)
	if m.id != "" {
		if p := lint.UserIDProblem(m.id); p != "" {
			problems = append(problems, problemAt(atLoc(m.idAt), fmt.Sprintf("custom.id of %s: %s; using %s", query, p, id),
				"give the rule an ID of your own, such as ACME-MEM-001"))
		} else {
			id = m.id
		}
	}
	name = kebab(g.pkgName() + "-" + g.name)
	if m.name != "" {
		if namePattern().MatchString(m.name) {
			name = m.name
		} else {
			problems = append(problems, problemAt(atLoc(m.nameAt), fmt.Sprintf("custom.name %q of %s is not kebab-case; using %s", m.name, query, name),
				"write the name in kebab-case, such as prod-memory-bounds"))
		}
	}
	sev = lint.Error
	if strings.HasPrefix(g.name, "warn") {
		sev = lint.Warning
	}
	if m.severity != "" {
		if s, err := lint.ParseSeverity(m.severity); err == nil {
			sev = s
		} else {
			problems = append(problems, problemAt(atLoc(m.severityAt), fmt.Sprintf("custom.severity of %s: %v", query, err), "use error, warning or info"))
		}
	}
	return id, name, sev, problems
}

// check evaluates the rule set on one object: its part of the batch
// evaluation, or on its own when the batch failed.
func (r *policyRule) check(p *lint.Pass) []lint.Diagnostic {
	res := r.engine.outcome(p.Object, p.Namespace)
	var values []any
	if res.err == nil {
		values = res.values[r.index]
	} else {
		pq, err := r.single()
		if err != nil {
			return []lint.Diagnostic{r.evalError(p.Object, err)}
		}
		rs, err := r.engine.eval(pq, res.subject)
		if err != nil {
			return []lint.Diagnostic{r.evalError(p.Object, err)}
		}
		for _, x := range rs {
			for _, e := range x.Expressions {
				values = append(values, e.Value)
			}
		}
	}
	var out []lint.Diagnostic
	for _, v := range values {
		out = append(out, r.results(p, v)...)
	}
	return out
}

func (r *policyRule) evalError(o *lint.Object, err error) lint.Diagnostic {
	at := r.at
	why := err.Error()
	if te, ok := errors.AsType[*topdown.Error](err); ok {
		why = te.Code + ": " + te.Message
		if te.Location != nil && te.Location.File != "" {
			at = atLoc(te.Location)
		}
	}
	msg := fmt.Sprintf("policy %s (%s) failed on %s %s/%s: %s", r.id, r.query, o.Kind, o.Namespace, o.Name, why)
	if errors.Is(err, errTimeout) {
		msg = fmt.Sprintf("policy %s (%s) did not finish on %s %s/%s within %s; it is stopped so a runaway policy cannot hang the run",
			r.id, r.query, o.Kind, o.Namespace, o.Name, r.engine.timeout)
	}
	return lint.Diagnostic{Rule: lint.PolicyErrorID, At: &at, Message: msg, Fix: "fix the policy at the reported line"}
}

// results turns the value of a rule set into diagnostics: a set (or
// array) of results, a single result, or true.
func (r *policyRule) results(p *lint.Pass, v any) []lint.Diagnostic {
	switch v := v.(type) {
	case []any:
		out := make([]lint.Diagnostic, 0, len(v))
		for _, e := range v {
			out = append(out, r.result(p, e))
		}
		return out
	case bool:
		if !v {
			return nil
		}
		return []lint.Diagnostic{r.result(p, fmt.Sprintf("%s is denied by %s", p.Object.Kind, r.query))}
	case nil:
		return nil
	}
	return []lint.Diagnostic{r.result(p, v)}
}

// result reads one result: a message string, or an object with msg and
// optional path, severity, fix and container.
func (r *policyRule) result(p *lint.Pass, v any) lint.Diagnostic {
	var d lint.Diagnostic
	obj, ok := v.(map[string]any)
	if !ok {
		d.Message = text(v)
		return d
	}
	for _, k := range []string{"msg", "message"} {
		if m, ok := obj[k]; ok {
			d.Message = text(m)
			break
		}
	}
	if d.Message == "" {
		d.Message = text(v)
	}
	if f, ok := obj["fix"].(string); ok {
		d.Fix = f
	}
	if s, ok := obj["severity"].(string); ok {
		if sev, err := lint.ParseSeverity(s); err == nil {
			d.Severity = sev
		}
	}
	if c, ok := obj["container"].(string); ok {
		d.Container = c
	}
	if raw, ok := obj["path"]; ok && raw != nil {
		path, err := parsePathValue(raw)
		if err != nil {
			d.Message += fmt.Sprintf(" (the result's path: %v)", err)
		} else {
			d.Path = path
		}
	}
	if d.Container == "" && p.Workload != nil && !d.Path.IsZero() {
		s := d.Path.String()
		for _, c := range p.Workload.Containers {
			cp := c.Path.String()
			if s == cp || strings.HasPrefix(s, cp+".") || strings.HasPrefix(s, cp+"[") {
				d.Container = c.Name
				break
			}
		}
	}
	return d
}

func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// parsePathValue reads a result's path: a field path string or an array of
// keys and indices.
func parsePathValue(v any) (lint.Path, error) {
	switch v := v.(type) {
	case string:
		return ParsePath(v)
	case []any:
		p := lint.Root
		for _, e := range v {
			switch e := e.(type) {
			case string:
				p = p.Key(e)
			case json.Number:
				i, err := strconv.Atoi(e.String())
				if err != nil || i < 0 {
					return lint.Root, fmt.Errorf("%s is not a list index", e)
				}
				p = p.Index(i)
			case float64:
				if e < 0 || e != float64(int(e)) {
					return lint.Root, fmt.Errorf("%v is not a list index", e)
				}
				p = p.Index(int(e))
			default:
				return lint.Root, fmt.Errorf("%v is neither a key nor an index", e)
			}
		}
		return p, nil
	}
	return lint.Root, fmt.Errorf("%v is neither a string nor an array", v)
}

// ParsePath reads a field path as oomlint prints it:
// spec.template.spec.containers[0].resources.limits.memory, with keys that
// are not identifiers quoted: metadata.annotations["oomlint.io/ignore"].
func ParsePath(s string) (lint.Path, error) {
	p := lint.Root
	s = strings.TrimPrefix(strings.TrimSpace(s), ".")
	if s == "" {
		return p, nil
	}
	i := 0
	for i < len(s) {
		switch s[i] {
		case '.':
			i++
			if i >= len(s) || s[i] == '.' || s[i] == '[' {
				return lint.Root, fmt.Errorf("%q is not a field path", s)
			}
		case '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return lint.Root, fmt.Errorf("%q is not a field path: unclosed [", s)
			}
			inner := s[i+1 : i+end]
			if len(inner) >= 2 && (inner[0] == '"' || inner[0] == '\'') && inner[len(inner)-1] == inner[0] {
				// A quoted key may contain ]: find the real close.
				q := inner[0]
				end := strings.IndexByte(s[i+2:], q)
				if end < 0 || i+2+end+1 >= len(s) || s[i+2+end+1] != ']' {
					return lint.Root, fmt.Errorf("%q is not a field path: bad quoted key", s)
				}
				p = p.Key(s[i+2 : i+2+end])
				i = i + 2 + end + 2
				continue
			}
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 {
				return lint.Root, fmt.Errorf("%q is not a field path: [%s] is not an index", s, inner)
			}
			p = p.Index(n)
			i += end + 1
		default:
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			p = p.Key(s[i:j])
			i = j
		}
	}
	return p, nil
}
