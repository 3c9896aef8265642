package report

import (
	"fmt"
	"io"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/lint"
)

// Origin annotations that `oomlint render` adds to each object it prints.
const (
	OriginAnnotation = "oomlint.io/origin"
	UnitAnnotation   = "oomlint.io/unit"
)

// Objects writes objects as a YAML stream, each annotated with the file and
// line it traces back to and the unit that produced it: what the rules see.
func Objects(w io.Writer, objects []*lint.Object) error {
	if len(objects) == 0 {
		return nil // an encoder closed without a document is an error
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	for _, o := range objects {
		loc := o.Origin.Locate(lint.Root)
		n := annotated(o.Node, map[string]string{
			OriginAnnotation: loc.File + ":" + strconv.Itoa(loc.Line),
			UnitAnnotation:   unitName(o.Unit),
		})
		if err := enc.Encode(n); err != nil {
			return fmt.Errorf("encode %s %s: %w", o.Kind, o.Name, err)
		}
	}
	return enc.Close()
}

func unitName(u *lint.Unit) string {
	if u == nil {
		return ""
	}
	return u.Name
}

// annotated returns a copy of obj with extra metadata.annotations; obj is
// left as the rules saw it.
func annotated(obj *yaml.Node, extra map[string]string) *yaml.Node {
	cp := *obj
	cp.Content = append([]*yaml.Node(nil), obj.Content...)
	meta := ensureMap(&cp, "metadata")
	ann := ensureMap(meta, "annotations")
	for _, k := range []string{OriginAnnotation, UnitAnnotation} {
		if v := extra[k]; v != "" {
			ann.Content = append(ann.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Value: k},
				&yaml.Node{Kind: yaml.ScalarNode, Value: v, Style: yaml.DoubleQuotedStyle})
		}
	}
	return &cp
}

// ensureMap returns a copy of the mapping at key under m, replacing it in m
// (m itself must already be a copy), creating it when absent.
func ensureMap(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key || m.Content[i+1].Kind != yaml.MappingNode {
			continue
		}
		cp := *m.Content[i+1]
		cp.Content = append([]*yaml.Node(nil), cp.Content...)
		cp.Style = 0
		m.Content[i+1] = &cp
		return &cp
	}
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, n)
	return n
}
