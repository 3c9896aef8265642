package lint

import "go.yaml.in/yaml/v3"

// lookup returns the key and value nodes of key in a mapping node.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if kn := m.Content[i]; kn.Value == key && kn.Kind == yaml.ScalarNode {
			return kn, deref(m.Content[i+1])
		}
	}
	return nil, nil
}

// get is lookup's value alone.
func get(m *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		_, m = lookup(m, k)
	}
	return m
}

// str is the value of a scalar at keys, or "".
func str(m *yaml.Node, keys ...string) string {
	n := get(m, keys...)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return deref(n.Content[0])
	}
	return n
}

// locate walks p from root as far as the document goes and returns the node
// a person should look at: the value itself when the whole path exists; the
// key of the deepest field that exists when it does not (the `resources:` key
// for `resources: {}`); and a container's `name:` line when the path stops at
// a list element.
func locate(root *yaml.Node, p Path) *yaml.Node {
	cur := deref(root)
	var best *yaml.Node // the key node of the last mapping step taken
	steps := p.steps()
	for i, s := range steps {
		if s.index >= 0 {
			if cur == nil || cur.Kind != yaml.SequenceNode || int(s.index) >= len(cur.Content) {
				return orFirst(best, cur)
			}
			cur = deref(cur.Content[s.index])
			best = nameKey(cur)
			continue
		}
		k, v := lookup(cur, s.key)
		if k == nil {
			if i > 0 && steps[i-1].index >= 0 {
				return nameKey(cur)
			}
			return orFirst(best, cur)
		}
		best, cur = k, v
	}
	if cur != nil && cur.Kind == yaml.ScalarNode {
		return cur
	}
	return orFirst(best, cur)
}

// nameKey returns the `name:` key of a list element, else its first key, else the element.
func nameKey(n *yaml.Node) *yaml.Node {
	if k, _ := lookup(n, "name"); k != nil {
		return k
	}
	if n != nil && n.Kind == yaml.MappingNode && len(n.Content) > 0 {
		return n.Content[0]
	}
	return n
}

func orFirst(best, cur *yaml.Node) *yaml.Node {
	if best != nil {
		return best
	}
	if cur != nil && cur.Kind == yaml.MappingNode && len(cur.Content) > 0 {
		return cur.Content[0]
	}
	return cur
}
