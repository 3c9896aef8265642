package flux

import (
	"context"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/kustomize"
)

// Virtual is a kustomization written in memory for a controller object
// other than a Flux Kustomization (an Argo CD Application's kustomize
// source): its text and, for each line, the object's field it came from.
// It is how those objects reuse the Kustomization's build and remapping.
type Virtual struct{ t vtext }

// NewVirtual returns an empty virtual kustomization.
func NewVirtual() *Virtual { return &Virtual{t: vtext{paths: map[int]vline{}}} }

// Add appends a line written for the object's field at p; delta is the
// line within a block scalar (0 for the field's own line).
func (v *Virtual) Add(line string, p lint.Path, delta int) { v.t.add(line, p, delta) }

// String is the kustomization's text.
func (v *Virtual) String() string { return v.t.String() }

// Build builds the text read as dir/kustomization.yaml, and moves every
// location krusty gives in it (a finding, a traced field) to the field of
// obj that line was written for.
func (v *Virtual) Build(ctx context.Context, opt render.Options, k *kustomize.Kustomize, u *lint.Unit, obj *lint.Object, dir string) *lint.Rendered {
	built := k.RenderVirtual(ctx, u, dir, []byte(v.t.String()))
	rm := &remap{virtual: display(opt, filepath.Join(dir, kustomize.VirtualFile)), obj: obj, lines: v.t.paths, workDir: opt.WorkDir}
	out := &lint.Rendered{NotBuilt: built.NotBuilt}
	for _, f := range built.Problems {
		out.Problems = append(out.Problems, rm.finding(f))
	}
	for _, d := range built.Docs {
		inner, name := d.Origin, d.Name
		d.Origin = func(n *yaml.Node) lint.Origin {
			if inner == nil {
				return lint.NewNodeOrigin(name, n, 0)
			}
			return rm.origin(inner(n))
		}
		out.Docs = append(out.Docs, d)
	}
	return out
}

// Quote writes a string as one line of a virtual kustomization.
func Quote(s string) string { return quote(s) }

// Flow writes a node as one line of a virtual kustomization.
func Flow(n *yaml.Node) string { return flow(n) }
