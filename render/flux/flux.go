// Package flux renders what Flux deploys: a Kustomization builds a path of
// the repository with its own namespace, patches and postBuild variable
// substitution; a HelmRelease renders a chart with values merged in Flux's
// order. Findings caused by a value written in those objects land on its
// line there.
package flux

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
)

// API groups of the Flux objects read here.
const (
	kustomizeGroup = "kustomize.toolkit.fluxcd.io"
	helmGroup      = "helm.toolkit.fluxcd.io"
	sourceGroup    = "source.toolkit.fluxcd.io"
)

// is reports whether o is a kind of one of Flux's API groups (any version).
func is(o *lint.Object, group, kind string) bool {
	return o.Kind == kind && strings.HasPrefix(o.APIVersion, group+"/")
}

// ref is a Flux object reference: kind, name and namespace, the namespace
// defaulting to the referring object's.
type ref struct{ kind, name, namespace string }

func readRef(o *lint.Object, keys ...string) ref {
	r := ref{kind: o.Str(append(keys, "kind")...), name: o.Str(append(keys, "name")...), namespace: o.Str(append(keys, "namespace")...)}
	if r.namespace == "" {
		r.namespace = o.Namespace
	}
	return r
}

// display is p relative to the working directory.
func display(opt render.Options, p string) string { return lint.DisplayPath(opt.WorkDir, p) }

// scalar returns the value of a scalar node, "" for anything else.
func scalar(n *yaml.Node) string {
	if n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}
