package appset

import (
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	yaml "go.yaml.in/yaml/v3"
)

// metadataFields are the template metadata the controller copies into an
// Application.
var metadataFields = map[string]bool{
	"name": true, "namespace": true, "labels": true, "annotations": true, "finalizers": true,
}

// render builds one Application from the (merged) template and a parameter
// set, then applies spec.templatePatch.
func (x *expander) render(tmpl *yaml.Node, src map[*yaml.Node]*yaml.Node, p map[string]any) (Application, error) {
	c := x.newCopier(p, src)
	at := x.tmplKey
	synth := func(value string, from *yaml.Node) *yaml.Node {
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value, Line: from.Line, Column: from.Column}
		c.origin[n] = from
		return n
	}
	emptyMap := func(from *yaml.Node) *yaml.Node {
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: from.Line, Column: from.Column}
		c.origin[n] = from
		return n
	}
	root := emptyMap(c.source(tmpl))
	root.Content = []*yaml.Node{
		synth("apiVersion", at), synth("argoproj.io/v1alpha1", at),
		synth("kind", at), synth("Application", at),
	}

	// metadata: only the fields the controller takes, in the ApplicationSet's namespace.
	metaKey, meta := yamlnode.Lookup(tmpl, "metadata")
	mk, mv := synth("metadata", at), emptyMap(c.source(tmpl))
	if meta != nil && meta.Kind == yaml.MappingNode {
		var err error
		if mk, err = c.copy(metaKey); err != nil {
			return Application{}, err
		}
		if mv, err = c.copy(filterKeys(meta, func(k string) bool { return metadataFields[k] }, c.src)); err != nil {
			return Application{}, err
		}
	}
	x.setNamespace(mv, synth)
	root.Content = append(root.Content, mk, mv)

	specKey, spec := yamlnode.Lookup(tmpl, "spec")
	sk, sv := synth("spec", at), emptyMap(c.source(tmpl))
	if spec != nil {
		var err error
		if sk, err = c.copy(specKey); err != nil {
			return Application{}, err
		}
		if sv, err = c.copy(spec); err != nil {
			return Application{}, err
		}
	}
	root.Content = append(root.Content, sk, sv)

	if x.patch != nil {
		if err := x.applyPatch(c, root, p); err != nil {
			return Application{}, err
		}
	}
	app := Application{Node: root, Origin: map[*yaml.Node]*yaml.Node{}, Params: p}
	if _, n := yamlnode.Lookup(root, "metadata"); n != nil {
		if _, name := yamlnode.Lookup(n, "name"); name != nil && name.Kind == yaml.ScalarNode {
			app.Name = name.Value
		}
	}
	keepOrigins(root, c.origin, app.Origin)
	return app, nil
}

// setNamespace puts the Application in the ApplicationSet's namespace, as
// the controller does whatever the template says.
func (x *expander) setNamespace(meta *yaml.Node, synth func(string, *yaml.Node) *yaml.Node) {
	for i := 0; i+1 < len(meta.Content); i += 2 {
		if meta.Content[i].Value != "namespace" {
			continue
		}
		if x.nsKey == nil {
			meta.Content = append(meta.Content[:i], meta.Content[i+2:]...)
		} else {
			meta.Content[i], meta.Content[i+1] = synth("namespace", x.nsKey), synth(x.nsVal.Value, x.nsVal)
		}
		return
	}
	if x.nsKey != nil {
		meta.Content = append(meta.Content, synth("namespace", x.nsKey), synth(x.nsVal.Value, x.nsVal))
	}
}

// keepOrigins copies the origins of the nodes in n's tree.
func keepOrigins(n *yaml.Node, all, keep map[*yaml.Node]*yaml.Node) {
	if _, ok := keep[n]; ok {
		return
	}
	keep[n] = all[n]
	for _, e := range n.Content {
		keepOrigins(e, all, keep)
	}
}

// applyPatch renders spec.templatePatch and merges it into the Application:
// maps merge, anything else replaces, null deletes, and spec.project stays.
func (x *expander) applyPatch(c *copier, root *yaml.Node, p map[string]any) error {
	s, err := x.replace(x.patch.Value, p)
	if err != nil {
		return lineErr(x.patch, "templatePatch: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		return lineErr(x.patch, "templatePatch: %w", err)
	}
	pm := yamlnode.Deref(&doc)
	if pm == nil || pm.Kind == 0 || yamlnode.IsNull(pm) {
		return nil
	}
	if pm.Kind != yaml.MappingNode {
		return lineErr(x.patch, "templatePatch: %w", errNotMap)
	}
	pc := x.newCopier(nil, nil)
	patch, err := pc.copy(pm)
	if err != nil {
		return lineErr(x.patch, "templatePatch: %w", err)
	}
	// Lines of a literal block map to file lines while templating has not
	// added or removed any.
	exact := x.patch.Style&yaml.LiteralStyle != 0 &&
		strings.Count(s, "\n") == strings.Count(x.patch.Value, "\n")
	for n := range pc.origin {
		if !exact {
			c.origin[n] = x.patch
			continue
		}
		// Assume the block is indented two columns past its key.
		c.origin[n] = &yaml.Node{
			Kind: n.Kind, Tag: n.Tag, Value: n.Value,
			Line: x.patch.Line + n.Line, Column: x.patchKey.Column + 1 + n.Column,
		}
	}
	_, spec := yamlnode.Lookup(root, "spec")
	var projKey, project *yaml.Node
	if spec != nil {
		projKey, project = yamlnode.Lookup(spec, "project")
	}
	mergePatch(root, patch)
	if _, spec = yamlnode.Lookup(root, "spec"); spec != nil && spec.Kind == yaml.MappingNode {
		setPair(spec, "project", projKey, project)
	}
	return nil
}

// mergePatch merges patch into dst, both mappings.
func mergePatch(dst, patch *yaml.Node) {
	for i := 0; i+1 < len(patch.Content); i += 2 {
		k, v := patch.Content[i], patch.Content[i+1]
		j := pairIndex(dst, k.Value)
		switch {
		case yamlnode.IsNull(v):
			if j >= 0 {
				dst.Content = append(dst.Content[:j], dst.Content[j+2:]...)
			}
		case j >= 0 && v.Kind == yaml.MappingNode && dst.Content[j+1].Kind == yaml.MappingNode:
			mergePatch(dst.Content[j+1], v)
		case j >= 0:
			dst.Content[j+1] = v
		default:
			dst.Content = append(dst.Content, k, v)
		}
	}
}

func pairIndex(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i
		}
	}
	return -1
}

// setPair sets key to the pair k, v in m, or removes it when k is nil.
func setPair(m *yaml.Node, key string, k, v *yaml.Node) {
	j := pairIndex(m, key)
	switch {
	case k == nil && j >= 0:
		m.Content = append(m.Content[:j], m.Content[j+2:]...)
	case k == nil:
	case j >= 0:
		m.Content[j], m.Content[j+1] = k, v
	default:
		m.Content = append(m.Content, k, v)
	}
}
