package argocd

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"
	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
)

// directory renders a directory source: every manifest file's documents as
// written, so findings land on the files' own lines.
func (r *Application) directory(p *plan) *lint.Rendered {
	out := &lint.Rendered{}
	for _, f := range p.files {
		data, err := lint.ReadRepoFile(r.opt.RepoRoot, f)
		if err != nil {
			out.Problems = append(out.Problems, render.Problem(p.obj, p.at.Key("path"),
				"Application "+p.obj.Name+": "+err.Error(), ""))
			continue
		}
		out.Docs = append(out.Docs, lint.RenderedDoc{Name: lint.DisplayPath(r.opt.WorkDir, f), Data: data})
	}
	return out
}

// directoryFiles lists the manifests a directory source deploys, as the
// repo server finds them: .yaml, .yml and .json files of the path, of its
// subdirectories with directory.recurse, kept by directory.include and
// dropped by directory.exclude (globs on the path relative to the source's
// path, where * also matches /, and {a,b} is either). Directories whose name
// starts with a dot are skipped. The .jsonnet files the repo server would
// evaluate are listed apart: oomlint does not evaluate them.
func directoryFiles(dir string, s source) (manifests, jsonnet []string) {
	recurse := s.str("directory", "recurse") == "true"
	include, exclude := glob(s.str("directory", "include")), glob(s.str("directory", "exclude"))
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return skipUnreadable(d)
		}
		if d.IsDir() {
			if p != dir && (!recurse || strings.HasPrefix(d.Name(), ".")) {
				return fs.SkipDir
			}
			return nil
		}
		ext := strings.ToLower(filepath.Ext(p))
		switch ext {
		case ".yaml", ".yml", ".json", ".jsonnet":
		default:
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if exclude != nil && exclude.MatchString(rel) || include != nil && !include.MatchString(rel) {
			return nil
		}
		if ext == ".jsonnet" {
			jsonnet = append(jsonnet, p)
		} else {
			manifests = append(manifests, p)
		}
		return nil
	})
	slices.Sort(manifests)
	slices.Sort(jsonnet)
	return manifests, jsonnet
}

// jsonnetNotEvaluated is the one info finding for the .jsonnet files of a
// directory source: Argo CD evaluates them, oomlint does not, so what they
// generate is not linted. It sits on directory.jsonnet when the source
// configures it, else on the path.
func (r *Application) jsonnetNotEvaluated(o *lint.Object, s source, files []string) lint.Finding {
	at := s.at.Key("path")
	if yamlnode.Get(s.node, "directory", "jsonnet") != nil {
		at = s.at.Key("directory").Key("jsonnet")
	}
	names := make([]string, 0, min(len(files), 3))
	for _, f := range files[:min(len(files), 3)] {
		names = append(names, lint.DisplayPath(r.opt.WorkDir, f))
	}
	list := strings.Join(names, ", ")
	if len(files) > len(names) {
		list += fmt.Sprintf(" and %d more", len(files)-len(names))
	}
	what := "1 jsonnet file of the directory source is not evaluated offline, so what it generates"
	if len(files) > 1 {
		what = fmt.Sprintf("%d jsonnet files of the directory source are not evaluated offline, so what they generate", len(files))
	}
	f := render.Problem(o, at, fmt.Sprintf("Application %s: %s is not linted: %s", o.Name, what, list),
		"render them (jsonnet -J <libs> -y FILE) and lint the output: jsonnet ... | oomlint -")
	f.Severity = lint.Info
	return f
}

// recursesAll reports whether a directory source reads its whole tree, so
// it owns the directory and not only the files it read.
func recursesAll(s source) bool {
	return s.str("directory", "recurse") == "true" && s.str("directory", "include") == "" && s.str("directory", "exclude") == ""
}

// glob compiles an include or exclude pattern; nil for none (or one that
// does not compile, which matches nothing in Argo CD either).
func glob(pat string) *regexp.Regexp {
	if pat == "" {
		return nil
	}
	var b strings.Builder
	b.WriteString("^")
	depth := 0
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '{':
			depth++
			b.WriteString("(?:")
		case '}':
			if depth == 0 {
				b.WriteString(`\}`)
				continue
			}
			depth--
			b.WriteString(")")
		case ',':
			if depth == 0 {
				b.WriteString(",")
				continue
			}
			b.WriteString("|")
		case '[':
			j := strings.IndexByte(pat[i:], ']')
			if j < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := pat[i+1 : i+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += j
		case '\\':
			if i+1 < len(pat) {
				i++
				b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return regexp.MustCompile(`[^\s\S]`) // matches nothing
	}
	return re
}

// skipUnreadable passes over what the walk cannot read.
func skipUnreadable(d fs.DirEntry) error {
	if d != nil && d.IsDir() {
		return fs.SkipDir
	}
	return nil
}
