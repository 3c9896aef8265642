package render

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/oomlint/oomlint/lint"
)

// What the GitOps renderers (Flux, Argo CD) share about the controller
// objects they read.

// SourceFile is the absolute path of the file an object was read from (its
// kind: line's file), for resolving repository paths near it.
func SourceFile(opt Options, o *lint.Object) string {
	if o.Origin == nil {
		return ""
	}
	loc := o.Origin.Locate(lint.Root)
	if loc.File == "" {
		return ""
	}
	return filepath.Join(opt.WorkDir, filepath.FromSlash(loc.File))
}

// RepoPath resolves a path that Flux or Argo CD reads relative to the root
// of a source repository. The repository root comes first; then, for a
// repository nested in a larger one (a fixture, a folder of a monorepo),
// each directory from the object's file up to the root that marks a
// repository of its own: it holds .oomlint.yaml or .git. The first
// candidate where the path exists wins; a sibling folder that merely has
// the same name never does (Flux would fail on the path).
func RepoPath(opt Options, o *lint.Object, p string) (string, bool) {
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
	if f := SourceFile(opt, o); f != "" {
		for d := filepath.Dir(f); d != opt.RepoRoot && Within(opt.RepoRoot, d) && filepath.Dir(d) != d; d = filepath.Dir(d) {
			if marksRepo(d) {
				bases = append(bases, d)
			}
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

// marksRepo reports whether dir is the root of a repository of its own.
func marksRepo(dir string) bool {
	for _, n := range []string{".oomlint.yaml", ".oomlint.yml", ".git"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return true
		}
	}
	return false
}

// Within reports whether p is dir or below it.
func Within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && (rel == "." || filepath.IsLocal(rel))
}

// Problem is an OOM900 finding at a field of a controller object.
func Problem(o *lint.Object, p lint.Path, msg, fix string) lint.Finding {
	loc := o.Origin.Locate(p)
	return lint.Finding{Rule: lint.RenderErrorID, File: loc.File, Line: max(loc.Line, 1), Column: max(loc.Column, 1),
		Message: msg, Fix: fix, Related: loc.Related}
}

// ObjectName is "Kind namespace/name", how units and traces name objects.
func ObjectName(o *lint.Object) string { return o.Kind + " " + o.Namespace + "/" + o.Name }
