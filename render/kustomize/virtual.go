package kustomize

import (
	"context"
	"path/filepath"

	"github.com/oomlint/oomlint/lint"
)

// VirtualFile is the name a virtual kustomization is read under.
const VirtualFile = "kustomization.yaml"

// RenderVirtual builds a kustomization that exists only in memory: data,
// read as dir/kustomization.yaml, where dir need not exist (it must be in
// the repository; its entries are relative to it). It is how a Flux
// Kustomization's own fields (targetNamespace, patches, images, a
// generated resource list) are built around its path. Findings that land
// in the virtual file carry its path; the caller maps them.
func (k *Kustomize) RenderVirtual(ctx context.Context, u *lint.Unit, dir string, data []byte) *lint.Rendered {
	return k.RenderVirtualFiles(ctx, u, dir, data, nil)
}

// RenderVirtualFiles is RenderVirtual with more files in memory beside
// the kustomization (by name, in dir): a chart's rendered manifests that a
// HelmRelease's post-renderer patches.
func (k *Kustomize) RenderVirtualFiles(ctx context.Context, u *lint.Unit, dir string, data []byte, files map[string][]byte) *lint.Rendered {
	dir = filepath.Clean(dir)
	kf := parseKustomizationData(dir, filepath.Join(dir, VirtualFile), data)
	kf.virtual = true
	kf.files = files
	// A graph of its own: two Flux Kustomizations may build the same path
	// with different fields.
	own := &Kustomize{opt: k.opt, graph: newKGraph(k.opt.RepoRoot)}
	own.graph.files[dir] = kf
	return own.renderDir(ctx, u, dir)
}

// HasKustomization reports whether dir holds a kustomization file.
func HasKustomization(dir string) bool { return kustomizationFile(dir) != "" }
