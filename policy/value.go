package policy

import (
	"math"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"
	"go.yaml.in/yaml/v3"
)

// nodeValue converts a decoded YAML node to the Rego value conftest would
// give a policy for the same document: mappings are objects, sequences
// arrays, and scalars typed by their resolved YAML tag.
func nodeValue(n *yaml.Node) ast.Value {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil {
		return ast.NullValue
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return ast.NullValue
		}
		return nodeValue(n.Content[0])
	case yaml.MappingNode:
		obj := ast.NewObject()
		mapInto(obj, n)
		return obj
	case yaml.SequenceNode:
		terms := make([]*ast.Term, len(n.Content))
		for i, c := range n.Content {
			terms[i] = ast.NewTerm(nodeValue(c))
		}
		return ast.NewArray(terms...)
	case yaml.ScalarNode, yaml.AliasNode:
	}
	return scalarValue(n)
}

// mapInto adds a mapping's pairs to obj; merge keys (<<) add the merged
// mappings' pairs the mapping does not set itself.
func mapInto(obj ast.Object, n *yaml.Node) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		obj.Insert(ast.StringTerm(k.Value), ast.NewTerm(nodeValue(v)))
	}
	for _, m := range merges {
		for m != nil && m.Kind == yaml.AliasNode {
			m = m.Alias
		}
		if m == nil {
			continue
		}
		list := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			list = m.Content
		}
		for _, mm := range list {
			for mm != nil && mm.Kind == yaml.AliasNode {
				mm = mm.Alias
			}
			if mm == nil || mm.Kind != yaml.MappingNode {
				continue
			}
			extra := ast.NewObject()
			mapInto(extra, mm)
			extra.Foreach(func(k, v *ast.Term) {
				if obj.Get(k) == nil {
					obj.Insert(k, v)
				}
			})
		}
	}
}

func scalarValue(n *yaml.Node) ast.Value {
	switch n.ShortTag() {
	case "!!null":
		return ast.NullValue
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return ast.Boolean(b)
		}
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return ast.Number(strconv.FormatInt(i, 10))
		}
		var u uint64
		if err := n.Decode(&u); err == nil {
			return ast.Number(strconv.FormatUint(u, 10))
		}
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return ast.Number(strconv.FormatFloat(f, 'g', -1, 64))
		}
	}
	return ast.String(n.Value)
}
