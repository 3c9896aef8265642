// Package argocd renders what Argo CD deploys: an Application's sources
// (a chart, a kustomization or a directory of this repository, or a chart
// from a Helm repository found in charts.search or the chart cache) with
// the Application's own helm and kustomize fields applied, and the
// Applications an ApplicationSet generates, which the next wave renders in
// turn. Findings caused by a field written in those objects land on its
// line there, or on the ApplicationSet template line it was generated from.
//
// Which sources are this repository: a source is read from the checkout
// when its repoURL names one of the repository's URLs (repoURLs in
// .oomlint.yaml, compared without scheme, user, trailing slash and .git,
// so git@host:org/repo is https://host/org/repo). With no repoURLs
// configured, a source is taken to be this repository when its path exists
// in it. Any other source is out of reach, except a chart from a Helm
// repository, which is looked up by name and version.
package argocd

import (
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
)

// group is the API group of Argo CD's objects.
const group = "argoproj.io"

// is reports whether o is an Argo CD object of kind (any version).
func is(o *lint.Object, kind string) bool {
	return o.Kind == kind && strings.HasPrefix(o.APIVersion, group+"/")
}

// SameRepo reports whether two git URLs name the same repository (see
// render.SameRepo).
func SameRepo(a, b string) bool { return render.SameRepo(a, b) }

// thisRepo reports whether repoURL names this repository: one of the
// configured repoURLs (only those, when any are configured), else a git
// remote of the checkout, else — nothing matching — when the source's path
// exists here (exists; nil counts as yes), which byPath then reports.
func thisRepo(opt render.Options, repoURL string, exists func() bool) bool {
	if len(opt.RepoURLs) > 0 {
		for _, u := range opt.RepoURLs {
			if SameRepo(u, repoURL) {
				return true
			}
		}
		return false
	}
	for _, u := range opt.GitRemotes {
		if SameRepo(u, repoURL) {
			return true
		}
	}
	return exists == nil || exists()
}

// byPath reports whether thisRepo takes repoURL for this repository only
// because nothing names it: no repoURLs configured and no git remote.
func byPath(opt render.Options, repoURL string) bool {
	if len(opt.RepoURLs) > 0 {
		return false
	}
	for _, u := range opt.GitRemotes {
		if SameRepo(u, repoURL) {
			return false
		}
	}
	return true
}

// scalar returns the value of a scalar node, "" for anything else.
func scalar(n *yaml.Node) string { return strings.TrimSpace(yamlnode.Scalar(n)) }
