package flux

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/oomlint/oomlint/internal/lazyre"
	"github.com/oomlint/oomlint/internal/yamlnode"

	"github.com/fluxcd/pkg/envsubst"
	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
)

// variable is one postBuild variable and where its value was written.
type variable struct {
	name, value string
	from        *lint.Object // the Kustomization, or the ConfigMap or Secret of substituteFrom
	path        lint.Path    // its field in that object
}

// varName is the syntax kustomize-controller accepts for variable names.
var varName = lazyre.New(`^[_[:alpha:]][_[:alpha:][:digit:]]*$`)

// variables reads spec.postBuild: substituteFrom in order, then substitute,
// each later one winning, as kustomize-controller merges them. Sources not
// in the repository are findings unless optional.
//
//nolint:gocognit // substituteFrom's ConfigMaps and Secrets, then substitute, in Flux's order
func variables(o *lint.Object, all *lint.ObjectSet) (vars []variable, enabled bool, problems []lint.Finding) {
	pb := o.Get("spec", "postBuild")
	if pb == nil {
		return nil, false, nil
	}
	set := map[string]int{}
	put := func(v variable) {
		if i, ok := set[v.name]; ok {
			vars[i] = v
			return
		}
		set[v.name] = len(vars)
		vars = append(vars, v)
	}
	from := o.Get("spec", "postBuild", "substituteFrom")
	if from != nil && from.Kind == yaml.SequenceNode {
		for i, n := range from.Content {
			kind, name := yamlnode.Scalar(yamlnode.Get(n, "kind")), yamlnode.Scalar(yamlnode.Get(n, "name"))
			src := all.Find(kind, o.Namespace, name)
			at := lint.Root.Keys("spec", "postBuild", "substituteFrom").Index(i)
			if src == nil {
				if yamlnode.Scalar(yamlnode.Get(n, "optional")) != "true" {
					problems = append(problems, render.Problem(o, at, fmt.Sprintf(
						"postBuild.substituteFrom %s %s/%s is not in the repository, so its variables are not substituted", kind, o.Namespace, name),
						"add it to the repository, or mark it optional: true"))
				}
				continue
			}
			for _, key := range []string{"data", "stringData"} {
				m := src.Get(key)
				if m == nil || m.Kind != yaml.MappingNode {
					continue
				}
				for j := 0; j+1 < len(m.Content); j += 2 {
					val := yamlnode.Scalar(m.Content[j+1])
					if kind == "Secret" && key == "data" {
						if b, err := base64.StdEncoding.DecodeString(val); err == nil {
							val = string(b)
						}
					}
					put(variable{name: m.Content[j].Value, value: val, from: src, path: lint.Root.Keys(key, m.Content[j].Value)})
				}
			}
		}
	}
	if m := o.Get("spec", "postBuild", "substitute"); m != nil && m.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(m.Content); j += 2 {
			put(variable{name: m.Content[j].Value, value: yamlnode.Scalar(m.Content[j+1]), from: o,
				path: lint.Root.Keys("spec", "postBuild", "substitute", m.Content[j].Value)})
		}
	}
	for _, v := range vars {
		if !varName().MatchString(v.name) {
			problems = append(problems, render.Problem(v.from, v.path, fmt.Sprintf(
				"postBuild variable %q is not a valid name (letters, digits and _, not starting with a digit): kustomize-controller refuses the Kustomization", v.name), ""))
		}
	}
	return vars, true, problems
}

// disabledKey opts an object out of substitution, as a label or annotation.
const disabledKey = "kustomize.toolkit.fluxcd.io/substitute"

// substitute applies the Kustomization's variables to one built document,
// as kustomize-controller does after the build, scalar by scalar. Each
// field a variable set remembers it, so its finding lands on the variable.
//
//nolint:gocognit // one walk over the object's nodes, with its early exits
func (r *Kustomization) substitute(plan *kustPlan, rm *remap, d lint.RenderedDoc) []lint.RenderedDoc {
	inner := d.Origin
	wrap := func(obj *yaml.Node) lint.Origin {
		if inner == nil {
			return lint.NewNodeOrigin(d.Name, obj, 0)
		}
		return rm.origin(inner(obj))
	}
	if !plan.subs {
		return []lint.RenderedDoc{{Name: d.Name, Data: d.Data, Origin: wrap}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(d.Data, &doc); err != nil || len(doc.Content) == 0 {
		return []lint.RenderedDoc{{Name: d.Name, Data: d.Data, Origin: wrap}}
	}
	root := doc.Content[0]
	if disabled(root) {
		return []lint.RenderedDoc{{Name: d.Name, Data: d.Data, Origin: wrap}}
	}
	vars := map[string]*variable{}
	for i := range plan.vars {
		vars[plan.vars[i].name] = &plan.vars[i]
	}
	subs := map[string]*variable{}
	var walk func(n *yaml.Node, p lint.Path, depth int)
	walk = func(n *yaml.Node, p lint.Path, depth int) {
		if n == nil || depth > 128 {
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], p.Key(n.Content[i].Value), depth+1)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, p.Index(i), depth+1)
			}
		case yaml.ScalarNode:
			if !strings.Contains(n.Value, "$") {
				return
			}
			out, err := envsubst.Eval(n.Value, func(s string) (string, bool) {
				if v := vars[s]; v != nil {
					return v.value, true
				}
				return "", true
			})
			if err != nil || out == n.Value {
				return
			}
			if v := usedVar(n.Value, vars); v != nil {
				subs[p.String()] = v
			}
			n.Value = out
			if n.Style == 0 {
				n.Tag = "" // a plain scalar is read again: ${REPLICAS} becomes a number
			}
		default:
		}
	}
	walk(root, lint.Root, 0)
	data, err := yaml.Marshal(root)
	if err != nil {
		return []lint.RenderedDoc{{Name: d.Name, Data: d.Data, Origin: wrap}}
	}
	return []lint.RenderedDoc{{Name: d.Name, Data: data, Origin: func(obj *yaml.Node) lint.Origin {
		return substOrigin{inner: wrap(obj), subs: subs, obj: plan.obj}
	}}}
}

// disabled reports the substitute: disabled opt-out on an object.
func disabled(root *yaml.Node) bool {
	for _, key := range []string{"labels", "annotations"} {
		if m := yamlnode.Get(yamlnode.Get(root, "metadata"), key); m != nil && yamlnode.Scalar(yamlnode.Get(m, disabledKey)) == "disabled" {
			return true
		}
	}
	return false
}

// varRef finds the variables a scalar refers to; $$ escapes a dollar.
var varRef = lazyre.New(`\$\$|\$\{([_[:alpha:]][_[:alpha:][:digit:]]*)`)

// usedVar is the first defined variable a scalar refers to; nil when the
// value came from defaults in the text alone.
func usedVar(s string, vars map[string]*variable) *variable {
	for _, m := range varRef().FindAllStringSubmatch(s, -1) {
		if v := vars[m[1]]; m[1] != "" && v != nil {
			return v
		}
	}
	return nil
}

// substOrigin puts a field a variable set on that variable's line, with
// the manifest line that held the ${VAR} behind it.
type substOrigin struct {
	inner lint.Origin
	subs  map[string]*variable
	obj   *lint.Object
}

func (o substOrigin) Locate(p lint.Path) lint.Location {
	loc := o.inner.Locate(p)
	v := o.subs[p.String()]
	if v == nil {
		return loc
	}
	at := v.from.Origin.Locate(v.path)
	at.Related = append([]lint.Related{{File: loc.File, Line: loc.Line, Column: loc.Column,
		Message: fmt.Sprintf("${%s} substituted by %s", v.name, render.ObjectName(o.obj))}}, loc.Related...)
	return at
}

// decodeBase64 decodes a Secret's data value, or returns it as is.
func decodeBase64(s string) string {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return string(b)
	}
	return s
}
