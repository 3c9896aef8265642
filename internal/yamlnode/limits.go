package yamlnode

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A parsed yaml.Node tree shares what aliases name, so reading it through
// lookups costs what was written. Whatever expands aliases instead (a
// policy's input, kustomize, a decoder into Go values) pays for every
// copy: a cycle never ends, and ten anchors of ten aliases each make 10^10
// nodes from a few hundred bytes. Budget.Check refuses such documents once,
// right after they are parsed, so nothing downstream expands them.
const (
	// MaxAliasNodes caps the nodes aliases add to the documents one
	// Budget checks, beyond the ratio Kubernetes allows per document:
	// oomlint's decoder gives each document its own, CheckAliases one per
	// file (kustomize keeps every document of a build expanded).
	MaxAliasNodes = 1 << 17
	// MaxDepth caps nesting with aliases expanded: the YAML parser's own
	// limit for written nesting, and encoding/json's.
	MaxDepth = 10000
)

// The alias ratio rule of go.yaml.in/yaml (v2 and v3, so sigs.k8s.io/yaml,
// kubectl and the API server): once a document has read more than 1000
// nodes, more than 100 of them through aliases, aliases may account for at
// most 99% of the nodes read, falling to 10% from 400,000 to 4,000,000.
const (
	ratioMinNodes   = 1000
	ratioMinAliased = 100
	ratioRangeLow   = 400_000
	ratioRangeHigh  = 4_000_000
)

func allowedAliasRatio(nodes int) float64 {
	switch {
	case nodes <= ratioRangeLow:
		return 0.99
	case nodes >= ratioRangeHigh:
		return 0.10
	}
	return 0.99 - 0.89*float64(nodes-ratioRangeLow)/float64(ratioRangeHigh-ratioRangeLow)
}

// Errors a Budget reports, wrapped in a *LimitError.
var (
	ErrAliasCycle = errors.New("YAML aliases form a cycle")
	ErrAliasBomb  = errors.New("YAML aliases expand too far (an alias bomb)")
	ErrTooDeep    = errors.New("YAML nesting is too deep with aliases expanded")
)

// LimitError is a document a limit refused, at the alias written in the
// document whose expansion met the limit (for a cycle, the alias inside
// its own anchor).
type LimitError struct {
	Line, Column int
	Alias        string // the alias's anchor name, for a cycle
	Nodes        int    // for a bomb: the nodes the document expands to
	Err          error
}

// Error keeps the parser's "yaml: line N:" shape, which tools that place
// YAML errors (krusty's callers among them) read the line from.
func (e *LimitError) Error() string {
	switch {
	case errors.Is(e.Err, ErrAliasCycle):
		return fmt.Sprintf("yaml: line %d: %v: *%s is inside its own anchor", e.Line, e.Err, e.Alias)
	case errors.Is(e.Err, ErrAliasBomb):
		return fmt.Sprintf("yaml: line %d: YAML aliases expand the document to %s nodes (an alias bomb)", e.Line, NodeCount(e.Nodes))
	}
	return fmt.Sprintf("yaml: line %d: %v (over %d levels)", e.Line, e.Err, MaxDepth)
}

func (e *LimitError) Unwrap() error { return e.Err }

// Budget checks documents against the alias limits; MaxAliasNodes holds
// for all the documents one Budget checks. The zero value is ready to use;
// a Budget is not safe for concurrent use.
type Budget struct {
	aliased int // nodes read through aliases by the documents checked so far
}

// Check walks doc the way a decoder into Go values does, every alias
// expanded, and returns a *LimitError when an alias is met inside its own
// anchor, when the expansion passes Kubernetes' alias ratio or
// MaxAliasNodes, or when it nests deeper than MaxDepth. The walk stops at
// the first limit, so it costs at most about what the limits allow.
func (b *Budget) Check(doc *yaml.Node) error {
	w := walker{budget: b}
	err := w.walk(doc, 0, false)
	if le, ok := errors.AsType[*LimitError](err); ok && errors.Is(err, ErrAliasBomb) {
		le.Nodes = expandedSize(doc, map[*yaml.Node]int{})
	}
	return err
}

// manyNodes stands for a count too large to matter.
const manyNodes = 1 << 60

// NodeCount prints an expanded size; manyNodes and above read as "more than".
func NodeCount(n int) string {
	if n >= manyNodes {
		return fmt.Sprintf("more than %d", manyNodes)
	}
	return fmt.Sprint(n)
}

// expandedSize is the number of nodes doc makes with every alias
// expanded, computed once per node; a cycle counts as manyNodes.
func expandedSize(n *yaml.Node, memo map[*yaml.Node]int) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.AliasNode {
		return min(1+expandedSize(n.Alias, memo), manyNodes)
	}
	if size, ok := memo[n]; ok {
		if size < 0 {
			return manyNodes
		}
		return size
	}
	memo[n] = -1
	size := 1
	for _, c := range n.Content {
		size = min(size+expandedSize(c, memo), manyNodes)
	}
	memo[n] = size
	return size
}

type walker struct {
	budget  *Budget
	nodes   int                 // nodes read in this document
	aliased int                 // of which through aliases
	active  map[*yaml.Node]bool // aliases being expanded
	outer   *yaml.Node          // the outermost of them: an alias as written
}

func (w *walker) walk(n *yaml.Node, depth int, inAlias bool) error {
	if n == nil {
		return nil
	}
	w.nodes++
	if inAlias {
		w.aliased++
		w.budget.aliased++
	}
	if w.budget.aliased > MaxAliasNodes || (w.aliased > ratioMinAliased && w.nodes > ratioMinNodes &&
		float64(w.aliased)/float64(w.nodes) > allowedAliasRatio(w.nodes)) {
		at := cmp.Or(w.outer, n)
		return &LimitError{Line: at.Line, Column: at.Column, Nodes: w.nodes, Err: ErrAliasBomb}
	}
	if depth > MaxDepth {
		at := cmp.Or(w.outer, n)
		return &LimitError{Line: at.Line, Column: at.Column, Err: ErrTooDeep}
	}
	if n.Kind == yaml.AliasNode {
		if w.active[n] {
			return &LimitError{Line: n.Line, Column: n.Column, Alias: n.Value, Err: ErrAliasCycle}
		}
		if w.active == nil {
			w.active = map[*yaml.Node]bool{}
		}
		w.active[n] = true
		if !inAlias {
			w.outer = n
		}
		err := w.walk(n.Alias, depth, true)
		delete(w.active, n)
		return err
	}
	for _, c := range n.Content {
		if err := w.walk(c, depth+1, inAlias); err != nil {
			return err
		}
	}
	return nil
}

// CheckAliases parses every document of data and checks them with one
// Budget, for a consumer that parses the bytes itself (kustomize). Data
// without an alias (no '*') is not parsed. A document that does not
// parse ends the check with nil: the consumer's parser reports it.
func CheckAliases(data []byte) error {
	if bytes.IndexByte(data, '*') < 0 {
		return nil
	}
	var b Budget
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	for dec.Decode(&doc) == nil {
		if err := b.Check(&doc); err != nil {
			return err
		}
		doc = yaml.Node{}
	}
	return nil // the end, or not YAML: the consumer's parser reports that
}

// Duplicate is a key written more than once in one mapping.
type Duplicate struct {
	First, Last *yaml.Node // the key's first and last occurrences
	Count       int
}

// Duplicates lists the keys of mapping m written more than once (scalar
// keys; merge keys are left out), in the order of their last occurrence.
func Duplicates(m *yaml.Node) []Duplicate {
	if m == nil || m.Kind != yaml.MappingNode || len(m.Content) < 4 {
		return nil
	}
	if len(m.Content) <= 32 {
		return smallDuplicates(m)
	}
	type seen struct{ first, last, count int }
	idx := make(map[string]*seen, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; plainKey(k) {
			if s, ok := idx[k.Value]; ok {
				s.last, s.count = i, s.count+1
			} else {
				idx[k.Value] = &seen{first: i, last: i, count: 1}
			}
		}
	}
	var out []Duplicate
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; plainKey(k) {
			if s := idx[k.Value]; s.count > 1 && s.last == i {
				out = append(out, Duplicate{First: m.Content[s.first], Last: k, Count: s.count})
			}
		}
	}
	return out
}

// smallDuplicates is Duplicates by pairwise comparison, for a few keys.
func smallDuplicates(m *yaml.Node) []Duplicate {
	var out []Duplicate
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if !plainKey(k) || !last(m, i, k.Value) {
			continue
		}
		d := Duplicate{Last: k, Count: 1}
		for j := i - 2; j >= 0; j -= 2 {
			if p := m.Content[j]; plainKey(p) && p.Value == k.Value {
				d.First = p
				d.Count++
			}
		}
		if d.Count > 1 {
			out = append(out, d)
		}
	}
	return out
}

// plainKey reports whether k is a scalar key other than a merge key.
func plainKey(k *yaml.Node) bool { return k.Kind == yaml.ScalarNode && !IsMerge(k) }

// last reports whether the pair at i is the last occurrence of key in m.
func last(m *yaml.Node, i int, key string) bool {
	for j := i + 2; j+1 < len(m.Content); j += 2 {
		if k := m.Content[j]; plainKey(k) && k.Value == key {
			return false
		}
	}
	return true
}

// CheckFile is CheckAliases for a file a consumer reads by name: only
// YAML and JSON files (by extension) are checked.
func CheckFile(name string, data []byte) error {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return CheckAliases(data)
	}
	return nil
}
