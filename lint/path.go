package lint

import (
	"strconv"
	"strings"
)

// Path is a field path inside one object, built step by step so a typo can
// never produce a path that maps nowhere: p.Key("resources").Key("limits").
type Path struct {
	steps []step
}

type step struct {
	key   string
	index int // -1 for a key step
}

// Root is the empty path: the object itself.
var Root = Path{}

// Key descends into a mapping key.
func (p Path) Key(k string) Path { return p.with(step{key: k, index: -1}) }

// Index descends into a sequence element.
func (p Path) Index(i int) Path { return p.with(step{index: i}) }

// Keys descends through several mapping keys.
func (p Path) Keys(keys ...string) Path {
	steps := make([]step, len(p.steps), len(p.steps)+len(keys))
	copy(steps, p.steps)
	for _, k := range keys {
		steps = append(steps, step{key: k, index: -1})
	}
	return Path{steps: steps}
}

func (p Path) with(s step) Path {
	steps := make([]step, len(p.steps), len(p.steps)+1)
	copy(steps, p.steps)
	return Path{steps: append(steps, s)}
}

// Len is the number of steps.
func (p Path) Len() int { return len(p.steps) }

// IsZero reports whether p is the root path.
func (p Path) IsZero() bool { return len(p.steps) == 0 }

// String renders the path as spec.template.spec.containers[0].resources, with
// keys that are not identifiers quoted: metadata.annotations["oomlint.io/ignore"].
func (p Path) String() string {
	var b strings.Builder
	for _, s := range p.steps {
		switch {
		case s.index >= 0:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
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
	if n > len(p.steps) {
		n = len(p.steps)
	}
	return Path{steps: p.steps[len(p.steps)-n:]}.String()
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
