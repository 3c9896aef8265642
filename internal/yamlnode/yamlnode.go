// Package yamlnode reads yaml.Node trees the one way oomlint reads them:
// every lookup follows aliases and document nodes, stops on alias cycles,
// and is nil-safe, so callers never check a node's kind before descending.
// Mappings read as Kubernetes reads them: a key written twice counts once,
// with its last value, and keys merged in with << count unless the mapping
// sets them itself. Check bounds what aliases expand to (limits.go).
package yamlnode

import "go.yaml.in/yaml/v3"

// maxAliases bounds an alias chain: a cycle (an anchor inside its own
// alias) ends there instead of looping. It also bounds nested merge keys.
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

// IsMerge reports whether k is a merge key: a plain <<, or one tagged !!merge.
func IsMerge(k *yaml.Node) bool {
	return k != nil && k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge"
}

// Lookup returns the key and value nodes of key in a mapping node (the
// value dereferenced), or nils. A key written twice gives its last
// occurrence, as sigs.k8s.io/yaml (and so kubectl and the API server)
// keeps the last value. A key the mapping does not set is looked up in
// the mappings it merges (<<), the first listed first, as the YAML merge
// key spec says; the key node is then the merged mapping's.
func Lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = Deref(m)
	k, v, merges := own(m, key)
	if k != nil || !merges {
		return k, v
	}
	return merged(m, key, map[*yaml.Node]bool{m: true}, 0)
}

// own looks key up among m's own keys, and reports whether m merges others.
func own(m *yaml.Node, key string) (k, v *yaml.Node, merges bool) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil, false
	}
	// Backwards: the last occurrence of a key is the one that counts.
	for i := len(m.Content)&^1 - 2; i >= 0; i -= 2 {
		kn := m.Content[i]
		if kn.Kind != yaml.ScalarNode || kn.Value != key && kn.Value != "<<" {
			continue
		}
		if IsMerge(kn) {
			merges = true
			continue
		}
		if kn.Value == key {
			return kn, Deref(m.Content[i+1]), merges
		}
	}
	return nil, nil, merges
}

// merged looks key up in the mappings m merges, depth first in precedence
// order. Each mapping is searched once: a mapping merged many times over,
// or merged into itself, costs what it holds.
func merged(m *yaml.Node, key string, visited map[*yaml.Node]bool, depth int) (k, v *yaml.Node) {
	if depth >= maxAliases {
		return nil, nil
	}
	for _, src := range mergeSources(m) {
		if visited[src] {
			continue
		}
		visited[src] = true
		k, v, merges := own(src, key)
		if k == nil && merges {
			k, v = merged(src, key, visited, depth+1)
		}
		if k != nil {
			return k, v
		}
	}
	return nil, nil
}

// mergeSources lists the mappings m merges, in precedence order: each <<
// value in the order written, a sequence's items first to last.
func mergeSources(m *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if !IsMerge(m.Content[i]) {
			continue
		}
		v := Deref(m.Content[i+1])
		items := []*yaml.Node{v}
		if v != nil && v.Kind == yaml.SequenceNode {
			items = v.Content
		}
		for _, it := range items {
			if it = Deref(it); it != nil && it.Kind == yaml.MappingNode {
				out = append(out, it)
			}
		}
	}
	return out
}

// Pairs calls yield with the key and value (dereferenced) of every key of
// mapping m as Lookup reads it: each key once, at its last occurrence, in
// the order written; then the merged keys m does not set itself. Non-scalar
// keys, and values that are aliases to nothing, are left out. It stops
// when yield returns false.
func Pairs(m *yaml.Node, yield func(k, v *yaml.Node) bool) {
	pairs(Deref(m), nil, nil, 0, yield)
}

// pairs yields m's keys that are not in seen (the keys yielded so far);
// visited holds the mappings read, each once however often it is merged.
// Both are nil until a merge key needs them.
func pairs(m *yaml.Node, seen map[string]bool, visited map[*yaml.Node]bool, depth int, yield func(k, v *yaml.Node) bool) bool {
	if m == nil || m.Kind != yaml.MappingNode {
		return true
	}
	last := lastIndex(m)
	merges := false
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		switch {
		case IsMerge(k):
			merges = true
			continue
		case k.Kind != yaml.ScalarNode || seen[k.Value] || !last(i, k.Value):
			continue
		}
		if seen != nil {
			seen[k.Value] = true
		}
		if v := Deref(m.Content[i+1]); v != nil && !yield(k, v) {
			return false
		}
	}
	if !merges || depth >= maxAliases {
		return true
	}
	if seen == nil {
		seen, visited = map[string]bool{}, map[*yaml.Node]bool{m: true}
		for i := 0; i+1 < len(m.Content); i += 2 {
			if k := m.Content[i]; plainKey(k) {
				seen[k.Value] = true
			}
		}
	}
	for _, src := range mergeSources(m) {
		if visited[src] {
			continue
		}
		visited[src] = true
		if !pairs(src, seen, visited, depth+1, yield) {
			return false
		}
	}
	return true
}

// lastIndex returns a func that reports whether the pair at i is the last
// occurrence of its key in m: a scan for small mappings, an index for large.
func lastIndex(m *yaml.Node) func(i int, key string) bool {
	if len(m.Content) <= 64 {
		return func(i int, key string) bool { return last(m, i, key) }
	}
	idx := make(map[string]int, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && !IsMerge(k) {
			idx[k.Value] = i
		}
	}
	return func(i int, key string) bool { return idx[key] == i }
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
