package argocd

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render/flux"
)

// kustomizeFields are the fields of a kustomize source that change the
// build; a source without them builds its path as it is.
var kustomizeFields = []string{"namePrefix", "nameSuffix", "namespace", "images", "replicas",
	"commonLabels", "commonAnnotations", "patches", "components"}

// kustomize builds a kustomize source. Argo CD applies the source's fields
// with `kustomize edit` before the build; here they are written into a
// kustomization that exists only in memory, in a sibling directory of the
// path (resources: [../path]), each line tied to the Application field it
// came from, as the Flux Kustomization renderer does.
//
//nolint:gocognit // one block per kustomize field of the source, in Argo CD's order
func (r *Application) kustomize(ctx context.Context, u *lint.Unit, p *plan) *lint.Rendered {
	k := yamlnode.Get(p.src, "kustomize")
	set := false
	for _, f := range kustomizeFields {
		if yamlnode.Get(k, f) != nil {
			set = true
		}
	}
	if !set {
		cu := *u
		cu.Dir = p.dir
		return r.k.Render(ctx, &cu)
	}
	o, at := p.obj, p.at.Key("kustomize")
	base := filepath.Base(p.dir)
	up := "../" + base + "/"
	v := flux.NewVirtual()
	v.Add("apiVersion: kustomize.config.k8s.io/v1beta1", lint.Root, 0)
	v.Add("kind: Kustomization", lint.Root, 0)
	v.Add("resources:", p.at.Key("path"), 0)
	v.Add("- "+flux.Quote("../"+base), p.at.Key("path"), 0)
	for _, f := range []string{"namePrefix", "nameSuffix", "namespace"} {
		if s := scalar(yamlnode.Get(k, f)); s != "" {
			v.Add(f+": "+flux.Quote(s), at.Key(f), 0)
		}
	}
	if seq := yamlnode.Get(k, "images"); seq != nil && seq.Kind == yaml.SequenceNode {
		v.Add("images:", at.Key("images"), 0)
		for i, n := range seq.Content {
			v.Add("- "+image(scalar(n)), at.Key("images").Index(i), 0)
		}
	}
	if seq := yamlnode.Get(k, "replicas"); seq != nil && seq.Kind == yaml.SequenceNode {
		v.Add("replicas:", at.Key("replicas"), 0)
		for i, n := range seq.Content {
			v.Add("- "+flux.Flow(n), at.Key("replicas").Index(i), 0)
		}
	}
	if m := yamlnode.Get(k, "commonLabels"); m != nil && m.Kind == yaml.MappingNode {
		v.Add("labels:", at.Key("commonLabels"), 0)
		v.Add("- pairs: "+flux.Flow(m), at.Key("commonLabels"), 0)
		sel := "true"
		if scalar(yamlnode.Get(k, "labelWithoutSelector")) == "true" {
			sel = "false"
		}
		v.Add("  includeSelectors: "+sel, at.Key("commonLabels"), 0)
	}
	if m := yamlnode.Get(k, "commonAnnotations"); m != nil && m.Kind == yaml.MappingNode {
		v.Add("commonAnnotations: "+flux.Flow(m), at.Key("commonAnnotations"), 0)
	}
	if seq := yamlnode.Get(k, "components"); seq != nil && seq.Kind == yaml.SequenceNode {
		v.Add("components:", at.Key("components"), 0)
		for i, n := range seq.Content {
			v.Add("- "+flux.Quote(up+scalar(n)), at.Key("components").Index(i), 0)
		}
	}
	if seq := yamlnode.Get(k, "patches"); seq != nil && seq.Kind == yaml.SequenceNode {
		v.Add("patches:", at.Key("patches"), 0)
		for i, n := range seq.Content {
			pat := at.Key("patches").Index(i)
			first := "- "
			if tg := yamlnode.Get(n, "target"); tg != nil {
				v.Add(first+"target: "+flux.Flow(tg), pat.Key("target"), 0)
				first = "  "
			}
			if opts := yamlnode.Get(n, "options"); opts != nil {
				v.Add(first+"options: "+flux.Flow(opts), pat.Key("options"), 0)
				first = "  "
			}
			if path := scalar(yamlnode.Get(n, "path")); path != "" {
				v.Add(first+"path: "+flux.Quote(up+path), pat.Key("path"), 0)
				continue
			}
			v.Add(first+"patch: |", pat.Key("patch"), 0)
			for j, l := range strings.Split(strings.TrimRight(scalar(yamlnode.Get(n, "patch")), "\n"), "\n") {
				v.Add("    "+l, pat.Key("patch"), j+1)
			}
		}
	}
	vdir := filepath.Join(filepath.Dir(p.dir), ".argocd-"+o.Namespace+"-"+o.Name+"-"+base)
	return v.Build(ctx, r.opt, r.k, u, o, vdir)
}

// image turns an Argo CD image override ([old=]new[:tag][@digest], as
// `kustomize edit set image` takes it) into a kustomize images entry.
func image(s string) string {
	name, target, renamed := strings.Cut(s, "=")
	if !renamed {
		target = s
	}
	ref, digest, _ := strings.Cut(target, "@")
	newName, tag := ref, ""
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		newName, tag = ref[:i], ref[i+1:]
	}
	if !renamed {
		name = newName
	}
	fields := []string{"name: " + flux.Quote(name)}
	if renamed && newName != "" && newName != "*" {
		fields = append(fields, "newName: "+flux.Quote(newName))
	}
	if tag != "" {
		fields = append(fields, "newTag: "+flux.Quote(tag))
	}
	if digest != "" {
		fields = append(fields, "digest: "+flux.Quote(digest))
	}
	return "{" + strings.Join(fields, ", ") + "}"
}
