package lint

import (
	"strconv"
	"strings"
)

// Path is a field path inside one object, built step by step so a typo can
// never produce a path that maps nowhere: p.Key("resources").Key("limits").
// Paths are immutable and share their prefixes: a container's paths and
// those of its fields hold one copy of spec.template.spec.
type Path struct {
	last *step
}

type step struct {
	parent *step
	key    string
	index  int32 // -1 for a key step
	depth  int32 // steps up to and including this one
}

// Root is the empty path: the object itself.
var Root = Path{}

// Key descends into a mapping key.
func (p Path) Key(k string) Path { return p.with(k, -1) }

// Index descends into a sequence element.
func (p Path) Index(i int) Path { return p.with("", int32(i)) } //nolint:gosec // a list index; files are capped far below 2^31 items

// Keys descends through several mapping keys.
func (p Path) Keys(keys ...string) Path {
	for _, k := range keys {
		p = p.Key(k)
	}
	return p
}

func (p Path) with(key string, index int32) Path {
	return Path{last: &step{parent: p.last, key: key, index: index, depth: int32(p.Len()) + 1}} //nolint:gosec // path depth is tiny
}

// Len is the number of steps.
func (p Path) Len() int {
	if p.last == nil {
		return 0
	}
	return int(p.last.depth)
}

// IsZero reports whether p is the root path.
func (p Path) IsZero() bool { return p.last == nil }

// Parent is p without its last step; the root's parent is the root.
func (p Path) Parent() Path {
	if p.last == nil {
		return p
	}
	return Path{last: p.last.parent}
}

// steps lists the steps from the root.
func (p Path) steps() []step {
	out := make([]step, p.Len())
	for s := p.last; s != nil; s = s.parent {
		out[s.depth-1] = *s
	}
	return out
}

// String renders the path as spec.template.spec.containers[0].resources, with
// keys that are not identifiers quoted: metadata.annotations["oomlint.io/ignore"].
func (p Path) String() string { return render(p.steps()) }

func render(steps []step) string {
	var b strings.Builder
	for _, s := range steps {
		switch {
		case s.index >= 0:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(int(s.index)))
			b.WriteByte(']')
		case isIdent(s.key):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		default:
			b.WriteString(`["`)
			b.WriteString(s.key)
			b.WriteString(`"]`)
		}
	}
	return b.String()
}

// Tail renders the last n steps, for messages: "limits.memory".
func (p Path) Tail(n int) string {
	steps := p.steps()
	if n > len(steps) {
		n = len(steps)
	}
	return render(steps[len(steps)-n:])
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if c != '_' && c != '-' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}
