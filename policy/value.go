package policy

import (
	"math"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"
	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/yamlnode"
)

// nodeValue converts a decoded YAML node to the Rego value conftest would
// give a policy for the same document: mappings are objects, sequences
// arrays, and scalars typed by their resolved YAML tag. Mappings read as
// the rules read them (yamlnode.Pairs): a key written twice counts once,
// with its last value, and merge keys (<<) add the keys a mapping does not
// set itself. An anchored node is converted once and its aliases share the
// value, so an input costs what was written, not what aliases expand to.
func nodeValue(n *yaml.Node) ast.Value {
	var c converter
	return c.value(n, 0)
}

type converter struct {
	anchored map[*yaml.Node]ast.Value // nil value: being converted (a cycle)
}

func (c *converter) value(n *yaml.Node, depth int) ast.Value {
	n = yamlnode.Deref(n)
	if n == nil || depth > yamlnode.MaxDepth {
		return ast.NullValue
	}
	if n.Anchor != "" {
		if v, seen := c.anchored[n]; seen {
			if v == nil {
				return ast.NullValue // inside itself: the decoder refuses such documents first
			}
			return v
		}
		if c.anchored == nil {
			c.anchored = map[*yaml.Node]ast.Value{}
		}
		c.anchored[n] = nil
		v := c.convert(n, depth)
		c.anchored[n] = v
		return v
	}
	return c.convert(n, depth)
}

func (c *converter) convert(n *yaml.Node, depth int) ast.Value {
	switch n.Kind {
	case yaml.MappingNode:
		obj := ast.NewObject()
		yamlnode.Pairs(n, func(k, v *yaml.Node) bool {
			obj.Insert(ast.StringTerm(k.Value), ast.NewTerm(c.value(v, depth+1)))
			return true
		})
		return obj
	case yaml.SequenceNode:
		terms := make([]*ast.Term, len(n.Content))
		for i, item := range n.Content {
			terms[i] = ast.NewTerm(c.value(item, depth+1))
		}
		return ast.NewArray(terms...)
	case yaml.DocumentNode: // an empty one: Deref returns it
		return ast.NullValue
	case yaml.ScalarNode, yaml.AliasNode:
	}
	return scalarValue(n)
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
