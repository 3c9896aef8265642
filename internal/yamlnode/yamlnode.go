// Package yamlnode reads yaml.Node trees the one way oomlint reads them:
// every lookup follows aliases and document nodes, stops on alias cycles,
// and is nil-safe, so callers never check a node's kind before descending.
package yamlnode

import "go.yaml.in/yaml/v3"

// maxAliases bounds an alias chain: a cycle (an anchor inside its own
// alias) ends there instead of looping.
const maxAliases = 64

// Deref follows aliases and a document node to the node they stand for.
func Deref(n *yaml.Node) *yaml.Node {
	for range maxAliases {
		switch {
		case n == nil:
			return nil
		case n.Kind == yaml.AliasNode:
			n = n.Alias
		case n.Kind == yaml.DocumentNode && len(n.Content) > 0:
			n = n.Content[0]
		default:
			return n
		}
	}
	return nil
}

// Lookup returns the key and value nodes of key in a mapping node (the
// value dereferenced), or nils.
func Lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = Deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if kn := m.Content[i]; kn.Kind == yaml.ScalarNode && kn.Value == key {
			return kn, Deref(m.Content[i+1])
		}
	}
	return nil, nil
}

// Get returns the value at keys below m, or nil.
func Get(m *yaml.Node, keys ...string) *yaml.Node {
	m = Deref(m)
	for _, k := range keys {
		_, m = Lookup(m, k)
	}
	return m
}

// Str returns the scalar at keys below m, or "" when it is missing, null
// or not a scalar.
func Str(m *yaml.Node, keys ...string) string { return Scalar(Get(m, keys...)) }

// Scalar returns n's value when it is a scalar other than null, else "".
func Scalar(n *yaml.Node) string {
	n = Deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || IsNull(n) {
		return ""
	}
	return n.Value
}

// IsNull reports whether n is missing or a null scalar (null, ~, empty).
func IsNull(n *yaml.Node) bool {
	n = Deref(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// Seq returns the items of the sequence at keys below m, or nil.
func Seq(m *yaml.Node, keys ...string) []*yaml.Node {
	if n := Get(m, keys...); n != nil && n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return nil
}
