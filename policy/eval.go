package policy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/oomlint/oomlint/lint"
)

// How facts reach policies: input is the object exactly as rendered (what
// conftest gives), and data.oomlint.facts is a rule of a module oomlint
// adds, `facts := __oomlint_facts()`, whose built-in reads the object being
// evaluated from the evaluation's context. The facts are computed only when
// a policy reads them, once per object, and no `with` rewrites slow down
// the evaluation.

const factsBuiltinName = "__oomlint_facts"

// factsModule is data.oomlint.facts. Its file name is what OPA would name
// in a (never expected) error.
const factsModuleFile = "oomlint:facts.rego"

const factsModule = "package oomlint\n\nfacts := " + factsBuiltinName + "()\n"

var factsDecl = &rego.Function{
	Name: factsBuiltinName,
	Decl: types.NewFunction(nil, types.NewObject(nil, types.NewDynamicProperty(types.S, types.A))),
}

// factsBuiltin declares the built-in in the capabilities policies are
// compiled with.
func factsBuiltin() *ast.Builtin { return &ast.Builtin{Name: factsBuiltinName, Decl: factsDecl.Decl} }

type subjectKey struct{}

// subject is the object an evaluation is about, with its input and
// facts, each built once.
type subject struct {
	obj *lint.Object
	ns  *lint.Namespace

	inputOnce sync.Once
	input     ast.Value

	factsOnce sync.Once
	facts     *ast.Term
}

func (s *subject) inputValue() ast.Value {
	s.inputOnce.Do(func() { s.input = nodeValue(s.obj.Node) })
	return s.input
}

func (s *subject) factsTerm() *ast.Term {
	s.factsOnce.Do(func() {
		v, err := ast.InterfaceToValue(Facts(s.obj, s.ns))
		if err != nil {
			v = ast.NewObject()
		}
		s.facts = ast.NewTerm(v)
	})
	return s.facts
}

func factsImpl(bctx rego.BuiltinContext, _ []*ast.Term) (*ast.Term, error) {
	s, ok := bctx.Context.Value(subjectKey{}).(*subject)
	if !ok {
		return nil, fmt.Errorf("%s called outside an oomlint evaluation", factsBuiltinName)
	}
	return s.factsTerm(), nil
}

// engine evaluates every rule set of one Load at once per object (one
// query, one evaluation), and keeps the results for the rules' Checks; it
// falls back to one rule set at a time when the combined evaluation fails,
// so an error is reported on the rule set that caused it.
type engine struct {
	batch   rego.PreparedEvalQuery
	size    int      // rule sets in the batch
	queries []string // each rule set's key in the batch's result
	timeout time.Duration

	// What a rule set's own query is prepared from, on first use.
	compiler *ast.Compiler
	store    storage.Store
	prepMu   sync.Mutex

	mu    sync.Mutex
	cache map[*lint.Object]*outcome
}

var errNoBatch = errors.New("no batch query")

// outcome is one object's evaluation: the value list of each rule set (zero
// or one element: its document), or the error of the batch.
type outcome struct {
	subject *subject
	once    sync.Once
	values  [][]any
	err     error
}

// cacheSize bounds the cache: objects are checked by a bounded number of
// workers, one object's rules one after another, so few are in flight.
const cacheSize = 1024

// batchQuery evaluates every rule set in one query, keyed by its own
// query (data.a.deny):
//
//	r := [{q: v | some q, p in {"data.a.deny": ["a", "deny"], …}; v := [x | x := data[p[0]][p[1]]]}, …]
//
// with one comprehension per depth of rule set path. Array comprehensions
// are always defined, so one undefined rule set (a complete `deny if …`)
// does not make the others undefined. Rule sets are iterated, not listed
// one term each: OPA evaluates the terms of a literal inside each other's
// continuations and copies the query's variables into every
// comprehension, so a long literal made preparation and evaluation
// quadratic in the number of rule sets.
func batchQuery(refs []ast.Ref) string {
	byDepth := map[int][]ast.Ref{}
	var depths []int
	for _, r := range refs {
		d := len(r) - 1
		if byDepth[d] == nil {
			depths = append(depths, d)
		}
		byDepth[d] = append(byDepth[d], r)
	}
	slices.Sort(depths)
	var b strings.Builder
	b.WriteString(batchVar + " := [")
	for i, d := range depths {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("{q: v | some q, p in {")
		for j, r := range byDepth[d] {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(ast.StringTerm(r.String()).String() + ": [")
			for k, t := range r[1:] {
				if k > 0 {
					b.WriteString(", ")
				}
				b.WriteString(t.String())
			}
			b.WriteString("]")
		}
		b.WriteString("}; v := [x | x := data")
		for k := range d {
			fmt.Fprintf(&b, "[p[%d]]", k)
		}
		b.WriteString("]}")
	}
	b.WriteString("]")
	return b.String()
}

const batchVar = "r"

func prepare(ctx context.Context, c *ast.Compiler, store storage.Store, query string) (rego.PreparedEvalQuery, error) {
	return rego.New(rego.Compiler(c), rego.Store(store), rego.Query(query), rego.FunctionDyn(factsDecl, factsImpl)).PrepareForEval(ctx)
}

func (e *engine) outcome(o *lint.Object, ns *lint.Namespace) *outcome {
	e.mu.Lock()
	out, ok := e.cache[o]
	if !ok {
		if e.cache == nil || len(e.cache) >= cacheSize {
			e.cache = make(map[*lint.Object]*outcome, 64)
		}
		out = &outcome{subject: &subject{obj: o, ns: ns}}
		e.cache[o] = out
	}
	e.mu.Unlock()
	out.once.Do(func() {
		if e.size == 0 {
			out.err = errNoBatch
			return
		}
		rs, err := e.eval(e.batch, out.subject)
		if err != nil {
			out.err = err
			return
		}
		out.values = make([][]any, e.size)
		if len(rs) == 0 {
			return
		}
		byQuery := map[string]any{}
		all, _ := rs[0].Bindings[batchVar].([]any)
		for _, m := range all {
			if m, ok := m.(map[string]any); ok {
				maps.Copy(byQuery, m)
			}
		}
		for i, q := range e.queries {
			if v, ok := byQuery[q].([]any); ok {
				out.values[i] = v
			}
		}
	})
	return out
}

// eval runs a prepared query on a subject within the timeout.
func (e *engine) eval(pq rego.PreparedEvalQuery, s *subject) (rego.ResultSet, error) {
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), subjectKey{}, s), e.timeout)
	defer cancel()
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(s.inputValue()))
	if err != nil && ctx.Err() != nil {
		return nil, errTimeout
	}
	return rs, err
}

var errTimeout = errors.New("timeout")

// Input is what a policy sees for one object: {"input": the object as
// rendered, "facts": data.oomlint.facts}, for tests and docs.
func Input(o *lint.Object, ns *lint.Namespace) map[string]any {
	s := &subject{obj: o, ns: ns}
	in, err := ast.JSON(s.inputValue())
	if err != nil {
		in = nil
	}
	return map[string]any{"input": in, "facts": Facts(o, ns)}
}
