package helm

import (
	"fmt"
	"maps"
	"slices"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/oomlint/oomlint/internal/helmutil"
)

// mergeLayers merges the values layers in order, later winning, as helm
// merges --values files (maps merge key by key, anything else replaces).
func (r *chartRender) mergeLayers() (map[string]any, error) {
	out := map[string]any{}
	for _, l := range r.layers {
		var m map[string]any
		var err error
		switch {
		case l.Values != nil:
			m = l.Values
		case l.Root != nil:
			m, err = NodeValues(l.Root)
		default:
			if err = r.valuesReadable(l.File); err == nil {
				m, err = helmutil.ReadValuesFile(l.File)
			}
		}
		if err != nil {
			return nil, err
		}
		for _, k := range slices.Backward(l.Prefix) {
			m = map[string]any{k: m}
		}
		out = MergeMaps(out, m)
	}
	return out, nil
}

// NodeValues reads a values mapping written in YAML as helm reads a values
// file (JSON types: numbers are float64 unless integral, as sigs.k8s.io/yaml
// gives them). A null or empty node is no values.
func NodeValues(n *yaml.Node) (map[string]any, error) {
	n = yamlnode.Deref(n)
	if n == nil || n.Kind == yaml.ScalarNode && (n.Tag == "!!null" || n.Value == "") {
		return map[string]any{}, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: values must be a mapping, not a %s", n.Line, kindName(n))
	}
	data, err := yaml.Marshal(n)
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", n.Line, err)
	}
	m := map[string]any{}
	if err := sigsyaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("line %d: %w", n.Line, err)
	}
	return m, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.MappingNode:
		return "mapping"
	default:
		return "node"
	}
}

// MergeMaps merges b over a, recursively for maps on both sides, as helm
// merges values files and Flux merges valuesFrom.
func MergeMaps(a, b map[string]any) map[string]any {
	out := maps.Clone(a)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range b {
		if vm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = MergeMaps(am, vm)
				continue
			}
		}
		out[k] = v
	}
	return out
}
