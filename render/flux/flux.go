// Package flux renders what Flux deploys: a Kustomization builds a path of
// the repository with its own namespace, patches and postBuild variable
// substitution; a HelmRelease renders a chart with values merged in Flux's
// order. Findings caused by a value written in those objects land on its
// line there.
package flux

import (
	"strings"
	"sync"

	"github.com/oomlint/oomlint/internal/yamlnode"

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

// waiting keeps controller objects whose references (a HelmRepository, a
// substituteFrom or valuesFrom ConfigMap) a later wave may still render,
// until they are there or no wave brings anything new.
type waiting struct {
	mu    sync.Mutex
	objs  []*lint.Object
	final bool
}

// next returns the objects to plan now: those kept waiting and the fresh
// ones that match, less those not ready, which wait. A call with no fresh
// objects is the last: everything is planned, ready or not.
func (w *waiting) next(fresh []*lint.Object, match, ready func(*lint.Object) bool) []*lint.Object {
	w.mu.Lock()
	defer w.mu.Unlock()
	if fresh == nil {
		w.final = true
	}
	cands := w.objs
	w.objs = nil
	for _, o := range fresh {
		if match(o) {
			cands = append(cands, o)
		}
	}
	var out []*lint.Object
	for _, o := range cands {
		if !w.final && !ready(o) {
			w.objs = append(w.objs, o)
			continue
		}
		out = append(out, o)
	}
	return out
}

// refsPresent reports whether every non-optional kind/name reference in
// the sequence at keys is in the set (in the object's namespace).
func refsPresent(o *lint.Object, all *lint.ObjectSet, keys ...string) bool {
	seq := o.Get(keys...)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return true
	}
	for _, n := range seq.Content {
		if yamlnode.Scalar(yamlnode.Get(n, "optional")) == "true" {
			continue
		}
		if all.Find(yamlnode.Scalar(yamlnode.Get(n, "kind")), o.Namespace, yamlnode.Scalar(yamlnode.Get(n, "name"))) == nil {
			return false
		}
	}
	return true
}
