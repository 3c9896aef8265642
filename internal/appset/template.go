package appset

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/oomlint/oomlint/internal/lazyre"
)

// replace renders one template string with a parameter set, in the
// ApplicationSet's template mode.
func (x *expander) replace(s string, p map[string]any) (string, error) {
	if x.goTemplate {
		return x.goReplace(s, p)
	}
	return fastReplace(s, p)
}

// isTemplated is the controller's test for a fasttemplate string: some line
// holds {{ and later }}.
var isTemplated = lazyre.New(`{{.*}}`)

// errNoEndTag is a fasttemplate string with {{ and no }} after it.
var errNoEndTag = errors.New(`cannot find end tag "}}"`)

// fastReplace substitutes {{ name }} with the string parameter name, as
// fasttemplate does in Argo CD. A tag naming no string parameter stays as is.
func fastReplace(s string, p map[string]any) (string, error) {
	if !isTemplated().MatchString(s) {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		s = s[i+2:]
		j := strings.Index(s, "}}")
		if j < 0 {
			return "", errNoEndTag
		}
		tag := s[:j]
		s = s[j+2:]
		name := strings.TrimSpace(tag)
		if v, ok := p[name].(string); ok && name != "" {
			b.WriteString(v)
		} else {
			b.WriteString("{{" + tag + "}}")
		}
	}
}

// goReplace executes s as a Go template with sprig and the controller's own
// functions. A string without {{ is its own output.
func (x *expander) goReplace(s string, p map[string]any) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	c, ok := x.cache[s]
	if !ok {
		c.t, c.err = x.parse(s)
		x.cache[s] = c
	}
	if c.err != nil {
		return "", c.err
	}
	t := c.t
	var b strings.Builder
	if err := t.Execute(&b, p); err != nil {
		return "", err
	}
	return b.String(), nil
}

// parsed is a cached parse of one template string.
type parsed struct {
	t   *template.Template
	err error
}

func (x *expander) parse(s string) (*template.Template, error) {
	t := template.New("").Funcs(funcMap())
	for _, o := range x.tmplOpts {
		t = t.Option(o)
	}
	t = t.Funcs(template.FuncMap{"tpl": tplFunc(t)})
	return t.Parse(s)
}

// funcMap is sprig without the functions that read the environment or the
// network, plus the functions the ApplicationSet controller adds.
var funcMap = sync.OnceValue(func() template.FuncMap {
	fm := template.FuncMap(sprig.GenericFuncMap())
	delete(fm, "env")
	delete(fm, "expandenv")
	delete(fm, "getHostByName")
	fm["normalize"] = sanitizeName
	fm["slugify"] = slugify
	fm["toYaml"] = toYAML
	fm["fromYaml"] = fromYAML
	fm["fromYamlArray"] = fromYAMLArray
	fm["tpl"] = func(string, any) (string, error) { return "", errors.New("tpl is not bound") }
	return fm
})

func tplFunc(parent *template.Template) func(string, any) (string, error) {
	return func(s string, data any) (string, error) {
		t, err := parent.Clone()
		if err != nil {
			return "", fmt.Errorf("cannot clone template: %w", err)
		}
		if t, err = t.New(parent.Name()).Parse(s); err != nil {
			return "", fmt.Errorf("cannot parse template %q: %w", s, err)
		}
		var b strings.Builder
		if err := t.Execute(&b, data); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %w", s, err)
		}
		return strings.ReplaceAll(b.String(), "<no value>", ""), nil
	}
}

func toYAML(v any) (string, error) {
	data, err := sigsyaml.Marshal(v)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(data), "\n"), nil
}

func fromYAML(s string) (map[string]any, error) {
	m := map[string]any{}
	if err := sigsyaml.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	return m, nil
}

func fromYAMLArray(s string) ([]any, error) {
	a := []any{}
	if err := sigsyaml.Unmarshal([]byte(s), &a); err != nil {
		return nil, err
	}
	return a, nil
}

var invalidDNSChars = lazyre.New(`[^-a-z0-9.]`)

// sanitizeName makes a DNS-1123 subdomain of name, as Argo CD's normalize.
func sanitizeName(name string) string {
	name = invalidDNSChars().ReplaceAllString(strings.ToLower(name), "-")
	if len(name) > 253 {
		name = name[:253]
	}
	return strings.Trim(name, "-.")
}

var nonSlugChars = lazyre.New(`[^a-z0-9-_]+`)

// slugify is Argo CD's slugify: [maxSize [smartTruncate]] name. It follows
// gosimple/slug for the normalized names it is given.
func slugify(args ...any) (string, error) {
	maxSize, smart, name := 50, true, ""
	for i, a := range args {
		var ok bool
		switch i {
		case len(args) - 1:
			name, ok = a.(string)
		case 0:
			maxSize, ok = a.(int)
		case 1:
			smart, ok = a.(bool)
		}
		if !ok {
			return "", fmt.Errorf("slugify: bad argument %v", a)
		}
	}
	s := nonSlugChars().ReplaceAllString(sanitizeName(name), "-")
	s = strings.Trim(s, "-_")
	if maxSize <= 0 || len(s) <= maxSize {
		return s, nil
	}
	if !smart {
		return s[:maxSize], nil
	}
	var b strings.Builder
	for w := range strings.SplitSeq(s, "-") {
		if b.Len()+len(w) > maxSize {
			break
		}
		b.WriteString(w)
		b.WriteByte('-')
	}
	if b.Len() == 0 {
		return s[:maxSize], nil
	}
	return strings.TrimSuffix(b.String(), "-"), nil
}
