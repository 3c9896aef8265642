// Package renderers is the list of every source renderer: the one place
// unit kinds are named, as rules.All is for rules.
package renderers

import (
	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/argocd"
	"github.com/oomlint/oomlint/render/flux"
	"github.com/oomlint/oomlint/render/helm"
	"github.com/oomlint/oomlint/render/kustomize"
)

// All returns the renderers of every unit kind, for lint.Config. A
// directory that is a root of several kinds belongs to the first listed.
func All(opt render.Options) []lint.Renderer {
	opt.Normalize()
	h, k := helm.New(opt), kustomize.New(opt)
	k.UseHelm(h)
	return []lint.Renderer{
		h,
		k,
		flux.NewKustomization(opt, k),
		flux.NewHelmRelease(opt, h, k),
		argocd.NewApplication(opt, h, k),
		argocd.NewApplicationSet(opt),
	}
}
