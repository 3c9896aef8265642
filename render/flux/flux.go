// Package flux renders what Flux deploys: a Kustomization builds a path of
// the repository with its own namespace, patches and postBuild variable
// substitution; a HelmRelease renders a chart with values merged in Flux's
// order. Findings caused by a value written in those objects land on its
// line there.
package flux

import (
	"os"
	"path/filepath"
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

// sourceFile is the absolute path of the file an object was read from (its
// kind: line's file), for resolving repository paths near it.
func sourceFile(opt render.Options, o *lint.Object) string {
	if o.Origin == nil {
		return ""
	}
	loc := o.Origin.Locate(lint.Root)
	if loc.File == "" {
		return ""
	}
	return filepath.Join(opt.WorkDir, filepath.FromSlash(loc.File))
}

// repoPath resolves a path that Flux or Argo CD reads relative to the root
// of a source repository. The repository root comes first; then, for
// repositories nested in a larger one (a fixture, a monorepo folder), each
// directory from the object's file up to the root. The first candidate that
// exists wins.
func repoPath(opt render.Options, o *lint.Object, p string) (string, bool) {
	rel := filepath.FromSlash(strings.TrimPrefix(strings.TrimSpace(p), "/"))
	if rel == "" {
		rel = "."
	}
	if !filepath.IsLocal(rel) && rel != "." {
		return "", false
	}
	if rel == "." {
		return opt.RepoRoot, true
	}
	bases := []string{opt.RepoRoot}
	if f := sourceFile(opt, o); f != "" {
		for d := filepath.Dir(f); d != opt.RepoRoot && within(opt.RepoRoot, d) && filepath.Dir(d) != d; d = filepath.Dir(d) {
			bases = append(bases, d)
		}
	}
	for _, b := range bases {
		c := filepath.Join(b, rel)
		if _, err := os.Stat(c); err == nil {
			return c, true
		}
	}
	return "", false
}

// RepoPath is repoPath for the other GitOps renderers.
func RepoPath(opt render.Options, o *lint.Object, p string) (string, bool) {
	return repoPath(opt, o, p)
}

func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && filepath.IsLocal(rel) || err == nil && rel == "."
}

// display is p relative to the working directory.
func display(opt render.Options, p string) string { return lint.DisplayPath(opt.WorkDir, p) }

// problem is an OOM900 finding at a field of a controller object.
func problem(o *lint.Object, p lint.Path, msg, fix string) lint.Finding {
	loc := o.Origin.Locate(p)
	return lint.Finding{Rule: lint.RenderErrorID, File: loc.File, Line: max(loc.Line, 1), Column: max(loc.Column, 1),
		Message: msg, Fix: fix, Related: loc.Related}
}

// objectName is "Kind namespace/name", how units and traces name objects.
func objectName(o *lint.Object) string { return o.Kind + " " + o.Namespace + "/" + o.Name }

// scalar returns the value of a scalar node, "" for anything else.
func scalar(n *yaml.Node) string {
	if n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}
