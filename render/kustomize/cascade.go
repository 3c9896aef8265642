package kustomize

import (
	"fmt"
	"slices"
	"sync"

	"github.com/oomlint/oomlint/lint"
)

// A kustomization that does not build because of a base, component or
// other kustomization it includes is never silent: besides the error where
// it lies (reported once however many overlays share it), the overlay gets
// a finding at its own entry that leads there, and counts as not built.

// kBaseBuild is a base built on its own, once, after an overlay that
// includes it failed there.
type kBaseBuild struct {
	once   sync.Once
	f      lint.Finding
	failed bool
}

// notBuilt is the result of a kustomization that did not build: probs,
// and when every one of them lies in a kustomization top includes, one
// more finding at top's entry that leads to the first.
func (k *Kustomize) notBuilt(top *kfile, chain []*kfile, probs []lint.Finding) *lint.Rendered {
	out := &lint.Rendered{Problems: probs}
	owners := k.owners(chain)
	var base *kfile
	for i, p := range probs {
		kf := owners[p.File]
		if kf == nil || kf == top {
			return out // top's own error: its finding is already at top
		}
		if base == nil {
			base = kf
		}
		probs[i] = k.ownMessage(kf, p)
	}
	if base == nil || k.reaches(base, top) {
		return out // in a cycle with top: krusty's message says so
	}
	at, via := kentry{line: 1, col: 1}, (*kfile)(nil)
	for _, e := range top.entries {
		if !e.isDirRef() || e.abs == "" {
			continue
		}
		if c := k.graph.load(e.abs); c != nil && c != top && k.reaches(c, base) {
			at, via = e, c
			break
		}
	}
	root := probs[0]
	what := "it includes " + k.display(base.file) + ", which"
	switch {
	case via == base:
		what = fmt.Sprintf("%s entry %q", at.field, at.value)
	case via != nil:
		what = fmt.Sprintf("%s entry %q includes %s, which", at.field, at.value, k.display(base.file))
	}
	msg := fmt.Sprintf("not built: %s fails to build (the error is at %s:%d); "+
		"none of this kustomization's objects are linted until it is fixed", what, root.File, root.Line)
	if len(probs) > 1 {
		msg += fmt.Sprintf(" (%d more errors listed below)", len(probs)-1)
	}
	f := k.problem(top.file, at.line, at.col, msg)
	f.Fix = fmt.Sprintf("fix the error at %s:%d; this kustomization is then built and linted", root.File, root.Line)
	for _, p := range probs {
		f.Related = append(f.Related, lint.Related{File: p.File, Line: p.Line, Column: p.Column,
			Message: "the render error (OOM900) that stops this build"})
	}
	out.Problems = append(out.Problems, f)
	out.NotBuilt = true
	return out
}

// owners maps every file the kustomizations of chain read (display paths)
// to the first kustomization that reads it, top first.
func (k *Kustomize) owners(chain []*kfile) map[string]*kfile {
	out := map[string]*kfile{}
	for _, kf := range chain {
		for _, f := range kConsumed(kf) {
			if d := k.display(f); out[d] == nil {
				out[d] = kf
			}
		}
	}
	return out
}

// reaches reports whether from includes kf, or is it.
func (k *Kustomize) reaches(from, kf *kfile) bool {
	return slices.Contains(k.graph.reachable(from), kf)
}

// ownMessage is p as kf's own build words it: krusty's message for an
// error in a base names the overlay's path to it, so overlays at different
// depths would each report the one error differently. When kf built on
// its own fails at the same place, its message is used.
func (k *Kustomize) ownMessage(kf *kfile, p lint.Finding) lint.Finding {
	if kf.isComponent() || kf.virtual {
		return p
	}
	k.mu.Lock()
	if k.bases == nil {
		k.bases = map[string]*kBaseBuild{}
	}
	b := k.bases[kf.dir]
	if b == nil {
		b = &kBaseBuild{}
		k.bases[kf.dir] = b
	}
	k.mu.Unlock()
	b.once.Do(func() {
		chain := k.graph.reachable(kf)
		if len(k.refuse(chain)) > 0 {
			return
		}
		skips := k.skipPlugins(chain)
		skips.dropCharts()
		if _, err := k.build(kf, false, skips); err != nil {
			b.f, b.failed = k.buildError(kf, chain, err), true
		}
	})
	if b.failed && b.f.File == p.File && b.f.Line == p.Line && b.f.Column == p.Column {
		return b.f
	}
	return p
}
