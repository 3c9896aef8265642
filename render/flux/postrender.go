package flux

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/kustomize"
)

// renderedFile is the name the chart's output is read under by the
// post-renderer's kustomization.
const renderedFile = "rendered.yaml"

// postRenderers reports whether a HelmRelease has kustomize post-renderers.
func postRenderers(o *lint.Object) bool {
	seq := o.Get("spec", "postRenderers")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return false
	}
	for _, n := range seq.Content {
		if yamlnode.Get(n, "kustomize") != nil {
			return true
		}
	}
	return false
}

// postRender applies the HelmRelease's kustomize post-renderers to the
// chart's output, as helm-controller does: patches, patchesStrategicMerge,
// patchesJson6902 and images, in the order written. A field a patch set
// lands on that patch's line in the HelmRelease; every other field keeps
// the chart's origin (values or template line).
func (r *HelmRelease) postRender(ctx context.Context, u *lint.Unit, o *lint.Object, chart *lint.Rendered) *lint.Rendered {
	pre, stream := render.ChartStream(chart)
	t := postRenderText(o)
	prs := lint.Root.Keys("spec", "postRenderers")
	vdir := filepath.Join(filepath.Dir(render.SourceFile(r.opt, o)), ".flux-postrender-"+o.Namespace+"-"+o.Name)
	built := r.k.RenderVirtualFiles(ctx, u, vdir, []byte(t.String()), map[string][]byte{renderedFile: stream})
	rm := &remap{virtual: display(r.opt, filepath.Join(vdir, kustomize.VirtualFile)), obj: o, lines: t.paths, workDir: r.opt.WorkDir}
	rendered := display(r.opt, filepath.Join(vdir, renderedFile))
	out := &lint.Rendered{Problems: chart.Problems}
	for _, f := range built.Problems {
		f = rm.finding(f)
		if f.File == rendered {
			at := o.Origin.Locate(prs)
			f.File, f.Line, f.Column = at.File, at.Line, at.Column
		}
		f.Message = fmt.Sprintf("HelmRelease %s post-renderer: %s", o.Name, f.Message)
		out.Problems = append(out.Problems, f)
	}
	for _, d := range built.Docs {
		inner := d.Origin
		out.Docs = append(out.Docs, lint.RenderedDoc{Name: display(r.opt, render.SourceFile(r.opt, o)), Data: d.Data, Origin: func(n *yaml.Node) lint.Origin {
			po := render.PatchedOrigin{Rendered: rendered, Chart: pre[render.ObjectKey(n)], Fallback: o.Origin.Locate(lint.Root),
				Patched: "the chart's value, patched by the post-renderer"}
			if inner != nil {
				po.Kust = rm.origin(inner(n))
			}
			return po
		}})
	}
	return out
}

// postRenderText writes the post-renderers as one kustomization over the
// chart's output, each line tied to the HelmRelease field it came from.
func postRenderText(o *lint.Object) *vtext {
	t := &vtext{paths: map[int]vline{}}
	prs := lint.Root.Keys("spec", "postRenderers")
	t.add("apiVersion: kustomize.config.k8s.io/v1beta1", prs, 0)
	t.add("kind: Kustomization", prs, 0)
	t.add("resources:", prs, 0)
	t.add("- "+renderedFile, prs, 0)
	var patches, images []func()
	for i, pr := range o.Get("spec", "postRenderers").Content {
		k := yamlnode.Get(pr, "kustomize")
		at := prs.Index(i).Key("kustomize")
		for j, n := range yamlnode.Seq(yamlnode.Get(k, "patches")) {
			p := at.Key("patches").Index(j)
			patches = append(patches, func() { addPatch(t, n, p) })
		}
		for j, n := range yamlnode.Seq(yamlnode.Get(k, "patchesStrategicMerge")) {
			p := at.Key("patchesStrategicMerge").Index(j)
			patches = append(patches, func() { t.add("- patch: "+quote(flow(n)), p, 0) })
		}
		for j, n := range yamlnode.Seq(yamlnode.Get(k, "patchesJson6902")) {
			p := at.Key("patchesJson6902").Index(j)
			patches = append(patches, func() {
				t.add("- target: "+flow(yamlnode.Get(n, "target")), p.Key("target"), 0)
				t.add("  patch: "+quote(flow(yamlnode.Get(n, "patch"))), p.Key("patch"), 0)
			})
		}
		for j, n := range yamlnode.Seq(yamlnode.Get(k, "images")) {
			p := at.Key("images").Index(j)
			images = append(images, func() { t.add("- "+flow(n), p, 0) })
		}
	}
	for _, sec := range []struct {
		key   string
		lines []func()
	}{{"patches", patches}, {"images", images}} {
		if len(sec.lines) > 0 {
			t.add(sec.key+":", prs, 0)
			for _, f := range sec.lines {
				f()
			}
		}
	}
	return t
}

// addPatch writes one patches entry (target and inline patch text).
func addPatch(t *vtext, n *yaml.Node, p lint.Path) {
	first := "- "
	if tg := yamlnode.Get(n, "target"); tg != nil {
		t.add(first+"target: "+flow(tg), p.Key("target"), 0)
		first = "  "
	}
	t.add(first+"patch: |", p.Key("patch"), 0)
	for k, l := range strings.Split(strings.TrimRight(yamlnode.Scalar(yamlnode.Get(n, "patch")), "\n"), "\n") {
		t.add("    "+l, p.Key("patch"), k+1)
	}
}
