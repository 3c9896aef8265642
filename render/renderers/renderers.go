// Package renderers is the list of every source renderer: the one place
// unit kinds are named, as rules.All is for rules.
package renderers

import (
	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/helm"
	"github.com/oomlint/oomlint/render/kustomize"
)

// All returns the renderers of every unit kind, for lint.Config. A
// directory that is a root of several kinds belongs to the first listed.
func All(opt render.Options) []lint.Renderer {
	opt.Normalize()
	return []lint.Renderer{
		helm.New(opt),
		kustomize.New(opt),
	}
}
