// Package appset expands an Argo CD ApplicationSet into the Applications its
// controller would generate, offline: the list, git (directories and files)
// and matrix generators run against the repository on disk, the template is
// rendered with fasttemplate or Go template semantics, and every generated
// node keeps a link to the template line it was made from.
package appset

import (
	"errors"
	"fmt"

	"github.com/oomlint/oomlint/internal/yamlnode"

	yaml "go.yaml.in/yaml/v3"
)

// Options for one expansion.
type Options struct {
	RepoRoot   string                    // absolute; git generator paths are relative to it
	IsThisRepo func(repoURL string) bool // nil: every repoURL is taken to be this repository

	// NewGitFileGlobbing matches git files generator paths with doublestar, as
	// the controller does with --enable-new-git-file-globbing. Otherwise they
	// match as git pathspecs, the controller's default, where * also matches /.
	NewGitFileGlobbing bool
}

// Application is one generated Application.
type Application struct {
	Name string
	// Node is the Application object's mapping node (apiVersion
	// argoproj.io/v1alpha1, kind Application, metadata, spec), built from the
	// template with the parameters substituted.
	Node *yaml.Node
	// Origin maps a node of Node back to the template node it was made from
	// (same Line/Column as the ApplicationSet file), so findings can land on
	// the ApplicationSet's template lines. Every node of Node is a key.
	Origin map[*yaml.Node]*yaml.Node
	Params map[string]any // the generator parameters used
}

// Skipped is a generator that cannot be expanded offline.
type Skipped struct {
	Generator string     // list, git, matrix, clusters, ...
	Node      *yaml.Node // the generator's key, or the field that stops it
	Reason    string
}

// LineError is a malformed ApplicationSet, at a line of its file.
type LineError struct {
	Line, Column int
	Err          error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

func lineErr(n *yaml.Node, format string, args ...any) error {
	return &LineError{Line: n.Line, Column: n.Column, Err: fmt.Errorf(format, args...)}
}

// ErrTooLarge is an ApplicationSet whose aliases or generators expand past
// the limits below.
var ErrTooLarge = errors.New("expansion too large")

const (
	maxNodes       = 1 << 17 // nodes one copy may make, aliases expanded
	maxApps        = 1 << 14 // applications per Expand
	maxMatrixDepth = 3
)

// expander holds what one Expand call shares between its generators.
type expander struct {
	opt        Options
	goTemplate bool
	tmplOpts   []string
	nestedSel  bool // spec.applyNestedSelectors

	set      *yaml.Node
	spec     *yaml.Node
	tmplKey  *yaml.Node // the spec.template key
	tmpl     *yaml.Node // the spec.template mapping
	patchKey *yaml.Node // spec.templatePatch, or nil
	patch    *yaml.Node
	nsKey    *yaml.Node // the ApplicationSet's metadata.namespace, or nil
	nsVal    *yaml.Node
	cache    map[string]parsed
	repo     *repoIndex
	skipped  []Skipped
	appCount int
}

// Expand generates the Applications of one ApplicationSet. set is the
// object's mapping node. Generators that need a cluster or an API are
// returned as Skipped; the error is only for a malformed ApplicationSet.
func Expand(set *yaml.Node, opt Options) ([]Application, []Skipped, error) {
	x := &expander{opt: opt, set: set, cache: map[string]parsed{}}
	if err := x.readSpec(); err != nil {
		return nil, nil, err
	}
	_, gens := yamlnode.Lookup(x.spec, "generators")
	if gens == nil || yamlnode.IsNull(gens) {
		return nil, nil, nil
	}
	if gens.Kind != yaml.SequenceNode {
		return nil, nil, lineErr(gens, "spec.generators is not a list")
	}
	var apps []Application
	for _, item := range gens.Content {
		item = yamlnode.Deref(item)
		if item.Kind != yaml.MappingNode {
			return nil, nil, lineErr(item, "generator is not a map")
		}
		for _, g := range generatorsOf(item) {
			ps, tmplOver, sk, err := x.generate(g, item, 0)
			if err != nil {
				return nil, nil, err
			}
			if sk != nil {
				x.skip(g.name, sk.node, sk.reason)
				continue
			}
			tmpl, src := mergeTemplate(tmplOver, x.tmpl)
			for _, p := range ps {
				x.appCount++
				if x.appCount > maxApps {
					return nil, nil, lineErr(g.key, "%w: more than %d applications", ErrTooLarge, maxApps)
				}
				app, err := x.render(tmpl, src, p)
				if err != nil {
					return nil, nil, err
				}
				apps = append(apps, app)
			}
		}
	}
	return apps, x.skipped, nil
}

// readSpec checks the parts of the ApplicationSet every generator needs.
func (x *expander) readSpec() error {
	if x.set == nil {
		return &LineError{Err: errors.New("no ApplicationSet")}
	}
	x.set = yamlnode.Deref(x.set)
	if x.set.Kind != yaml.MappingNode {
		return lineErr(x.set, "ApplicationSet is not a map")
	}
	_, spec := yamlnode.Lookup(x.set, "spec")
	if spec == nil || spec.Kind != yaml.MappingNode {
		return lineErr(x.set, "ApplicationSet has no spec")
	}
	x.spec = spec
	x.tmplKey, x.tmpl = yamlnode.Lookup(spec, "template")
	if x.tmpl == nil || x.tmpl.Kind != yaml.MappingNode {
		return lineErr(spec, "ApplicationSet has no spec.template")
	}
	if _, v := yamlnode.Lookup(spec, "goTemplate"); v != nil {
		b, err := boolValue(v)
		if err != nil {
			return lineErr(v, "spec.goTemplate: %w", err)
		}
		x.goTemplate = b
	}
	if _, v := yamlnode.Lookup(spec, "applyNestedSelectors"); v != nil {
		b, err := boolValue(v)
		if err != nil {
			return lineErr(v, "spec.applyNestedSelectors: %w", err)
		}
		x.nestedSel = b
	}
	if _, v := yamlnode.Lookup(spec, "goTemplateOptions"); v != nil && !yamlnode.IsNull(v) {
		if v.Kind != yaml.SequenceNode {
			return lineErr(v, "spec.goTemplateOptions is not a list")
		}
		for _, o := range v.Content {
			o = yamlnode.Deref(o)
			switch o.Value {
			case "missingkey=default", "missingkey=invalid", "missingkey=zero", "missingkey=error":
				x.tmplOpts = append(x.tmplOpts, o.Value)
			default:
				return lineErr(o, "unknown goTemplateOptions value %q", o.Value)
			}
		}
	}
	if k, v := yamlnode.Lookup(spec, "templatePatch"); v != nil && !yamlnode.IsNull(v) {
		if v.Kind != yaml.ScalarNode {
			return lineErr(v, "spec.templatePatch is not a string")
		}
		x.patchKey, x.patch = k, v
	}
	if _, meta := yamlnode.Lookup(x.set, "metadata"); meta != nil {
		if k, v := yamlnode.Lookup(meta, "namespace"); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
			x.nsKey, x.nsVal = k, v
		}
	}
	return nil
}

func (x *expander) skip(gen string, n *yaml.Node, reason string) {
	x.skipped = append(x.skipped, Skipped{Generator: gen, Node: n, Reason: reason})
}
