package appset

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/oomlint/oomlint/internal/yamlnode"

	yaml "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

func boolValue(n *yaml.Node) (bool, error) {
	n = yamlnode.Deref(n)
	if yamlnode.IsNull(n) {
		return false, nil
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		if b, err := strconv.ParseBool(n.Value); err == nil {
			return b, nil
		}
	}
	return false, fmt.Errorf("%q is not a boolean", n.Value)
}

// isZero is mergo's empty value, for merging a generator's template.
func isZero(n *yaml.Node) bool {
	n = yamlnode.Deref(n)
	if n == nil {
		return true
	}
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		return len(n.Content) == 0
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return true
		case "!!str":
			return n.Value == ""
		case "!!bool":
			b, _ := strconv.ParseBool(n.Value)
			return !b
		case "!!int", "!!float":
			f, err := strconv.ParseFloat(n.Value, 64)
			return err == nil && f == 0
		}
	default: // documents and aliases are resolved by deref
	}
	return false
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 &&
		(k.Tag == "" || k.Tag == "!!merge" || k.Tag == "tag:yaml.org,2002:merge")
}

// filterKeys returns m, or a mapping with only the pairs keep accepts,
// recorded in src as made from m.
func filterKeys(m *yaml.Node, keep func(string) bool, src map[*yaml.Node]*yaml.Node) *yaml.Node {
	out := *m
	out.Content = nil
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; isMergeKey(k) || keep(k.Value) {
			out.Content = append(out.Content, k, m.Content[i+1])
		}
	}
	if len(out.Content) == len(m.Content) {
		return m
	}
	src[&out] = m
	return &out
}

// mergeTemplate merges a generator's template over the ApplicationSet's, as
// mergo.Merge does: the generator's non-empty values win and maps merge. It
// returns the template and, for each mapping it made, the node it stands for.
func mergeTemplate(over, base *yaml.Node) (*yaml.Node, map[*yaml.Node]*yaml.Node) {
	src := map[*yaml.Node]*yaml.Node{}
	if over == nil {
		return base, src
	}
	return mergeNode(yamlnode.Deref(over), base, "", src), src
}

func mergeNode(over, base *yaml.Node, key string, src map[*yaml.Node]*yaml.Node) *yaml.Node {
	if isZero(base) {
		return over
	}
	if isZero(over) {
		return base
	}
	// valuesObject is raw JSON to the controller, so mergo does not merge it.
	if over.Kind != yaml.MappingNode || base.Kind != yaml.MappingNode || key == "valuesObject" {
		return over
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: over.Tag, Style: over.Style, Line: over.Line, Column: over.Column}
	src[m] = over
	for i := 0; i+1 < len(over.Content); i += 2 {
		k, v := over.Content[i], over.Content[i+1]
		if _, bv := yamlnode.Lookup(base, k.Value); bv != nil && !isMergeKey(k) {
			v = mergeNode(yamlnode.Deref(v), bv, k.Value, src)
		}
		m.Content = append(m.Content, k, v)
	}
	for i := 0; i+1 < len(base.Content); i += 2 {
		k := base.Content[i]
		if ok, _ := yamlnode.Lookup(over, k.Value); ok == nil || isMergeKey(k) {
			m.Content = append(m.Content, k, base.Content[i+1])
		}
	}
	return m
}

// copier deep-copies template nodes, substituting parameters into strings
// and recording where each copy came from.
type copier struct {
	x      *expander
	params map[string]any            // none: copy without substituting
	src    map[*yaml.Node]*yaml.Node // a merged or filtered mapping → the node it stands for
	origin map[*yaml.Node]*yaml.Node // copy → template node
	budget int
	depth  int
}

func (x *expander) newCopier(p map[string]any, src map[*yaml.Node]*yaml.Node) *copier {
	return &copier{x: x, params: p, src: src, origin: map[*yaml.Node]*yaml.Node{}, budget: maxNodes}
}

func (c *copier) source(n *yaml.Node) *yaml.Node {
	if s := c.src[n]; s != nil {
		return s
	}
	return n
}

func (c *copier) copy(n *yaml.Node) (*yaml.Node, error) {
	c.budget--
	c.depth++
	defer func() { c.depth-- }()
	if c.budget < 0 || c.depth > 10000 {
		return nil, lineErr(c.source(n), "%w: aliases expand past %d nodes", ErrTooLarge, maxNodes)
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil, lineErr(n, "alias without anchor")
		}
		out, err := c.copy(n.Alias)
		if err != nil {
			return nil, err
		}
		c.origin[out] = n // the alias is where this copy appears in the template
		return out, nil
	}
	out := &yaml.Node{
		Kind: n.Kind, Style: n.Style, Tag: n.Tag, Value: n.Value,
		HeadComment: n.HeadComment, LineComment: n.LineComment, FootComment: n.FootComment,
		Line: n.Line, Column: n.Column,
	}
	c.origin[out] = c.source(n)
	switch n.Kind {
	case yaml.ScalarNode:
		return out, c.substitute(n, out)
	case yaml.MappingNode:
		return out, c.mapping(n, out)
	default:
		for _, e := range n.Content {
			ce, err := c.copy(e)
			if err != nil {
				return nil, err
			}
			out.Content = append(out.Content, ce)
		}
	}
	return out, nil
}

// substitute renders a string scalar. A plain scalar is retagged by its new
// value, as YAML would resolve it; quoted and tagged ones stay strings.
func (c *copier) substitute(n, out *yaml.Node) error {
	if len(c.params) == 0 || n.ShortTag() != "!!str" {
		return nil
	}
	v, err := c.x.replace(n.Value, c.params)
	if err != nil {
		return lineErr(n, "template %q: %w", n.Value, err)
	}
	if v == n.Value {
		return nil
	}
	out.Value = v
	if n.Style == 0 {
		out.Tag = (&yaml.Node{Kind: yaml.ScalarNode, Value: v}).ShortTag()
	}
	return nil
}

// mapping copies a mapping's pairs, with YAML merge keys (<<) expanded.
//
//nolint:gocognit // follows Argo CD's own algorithm step by step
func (c *copier) mapping(n, out *yaml.Node) error {
	explicit := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !isMergeKey(k) {
			explicit[k.Value] = true
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !isMergeKey(k) {
			ck, err := c.copy(k)
			if err != nil {
				return err
			}
			cv, err := c.copy(v)
			if err != nil {
				return err
			}
			out.Content = append(out.Content, ck, cv)
			continue
		}
		sources := []*yaml.Node{v}
		if dv := yamlnode.Deref(v); dv != nil && dv.Kind == yaml.SequenceNode {
			sources = dv.Content
		}
		for _, s := range sources {
			if ds := yamlnode.Deref(s); ds == nil || ds.Kind != yaml.MappingNode {
				return lineErr(s, "merge key value is not a map")
			}
			cs, err := c.copy(s)
			if err != nil {
				return err
			}
			for j := 0; j+1 < len(cs.Content); j += 2 {
				if key := cs.Content[j].Value; !explicit[key] {
					explicit[key] = true
					out.Content = append(out.Content, cs.Content[j], cs.Content[j+1])
				}
			}
		}
	}
	return nil
}

// toJSON reads a node as the API server stores it: YAML 1.1 through JSON,
// so numbers are float64.
func toJSON(n *yaml.Node) (any, error) {
	x := &expander{}
	c := x.newCopier(nil, nil)
	cn, err := c.copy(n)
	if err != nil {
		return nil, err
	}
	data, err := yaml.Marshal(cn)
	if err != nil {
		return nil, err
	}
	var v any
	if err := sigsyaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// errNotMap is a templatePatch that does not render to a map.
var errNotMap = errors.New("does not render to a map")
