package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

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
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	for _, o := range objects {
		loc := o.Origin.Locate(lint.Root)
		n := annotated(logSafeNode(o.Node), map[string]string{
			OriginAnnotation: loc.File + ":" + strconv.Itoa(loc.Line),
			UnitAnnotation:   unitName(o.Unit),
		})
		if err := enc.Encode(n); err != nil {
			return fmt.Errorf("encode %s %s: %w", o.Kind, o.Name, err)
		}
	}
	if err := enc.Close(); err != nil {
		return err
	}
	// Scalars that could act on a CI runner are double-quoted by now, where
	// \x23 and \u202e are YAML's own escapes; elsewhere "##[" or such
	// characters are only in comments.
	_, err := io.WriteString(w, GuardLines(uEscape(b.String())))
	return err
}

// logSafeNode returns n, or a copy of it, with every scalar that would put
// a runner command on a line of its own, or control characters, in the
// output double-quoted: YAML then writes it on one line, with escapes.
func logSafeNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		if n.Style&yaml.DoubleQuotedStyle != 0 || !unsafeScalar(n.Value) {
			return n
		}
		cp := *n
		cp.Style = yaml.DoubleQuotedStyle
		return &cp
	}
	var content []*yaml.Node
	for i, c := range n.Content {
		safe := logSafeNode(c)
		if safe == c && content == nil {
			continue
		}
		if content == nil {
			content = append(make([]*yaml.Node, 0, len(n.Content)), n.Content[:i]...)
		}
		content = append(content, safe)
	}
	if content == nil {
		return n
	}
	cp := *n
	cp.Content = content
	return &cp
}

// unsafeScalar reports whether a value holds a line that starts with "::",
// a runner command prefix, or a character Printable would escape other
// than a line feed (a script in a ConfigMap keeps its block style).
func unsafeScalar(v string) bool {
	if commandPrefix(v) >= 0 {
		return true
	}
	for line := range strings.Lines(v) {
		line = strings.TrimSuffix(line, "\n")
		if Printable(line) != line || strings.HasPrefix(strings.TrimLeftFunc(line, isRunnerSpace), "::") {
			return true
		}
	}
	return false
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
