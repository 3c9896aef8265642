package lint

import (
	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/yamlnode"
)

// locate walks p from root as far as the document goes and returns the node
// a person should look at: the value itself when the whole path exists; the
// key of the deepest field that exists when it does not (the `resources:` key
// for `resources: {}`); and a container's `name:` line when the path stops at
// a list element.
func locate(root *yaml.Node, p Path) *yaml.Node {
	cur := yamlnode.Deref(root)
	var best *yaml.Node // the key node of the last mapping step taken
	steps := p.steps()
	for i, s := range steps {
		if s.index >= 0 {
			if cur == nil || cur.Kind != yaml.SequenceNode || int(s.index) >= len(cur.Content) {
				return orFirst(best, cur)
			}
			cur = yamlnode.Deref(cur.Content[s.index])
			best = nameKey(cur)
			continue
		}
		k, v := yamlnode.Lookup(cur, s.key)
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
	if k, _ := yamlnode.Lookup(n, "name"); k != nil {
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
