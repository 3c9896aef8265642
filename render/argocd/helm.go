package argocd

import (
	"bufio"
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v3/pkg/strvals"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/helm"
)

// release is the chart render a helm source asks for, with its values
// layers in Argo CD's order, and the findings on the values it cannot read.
func (r *Application) release(o *lint.Object, s source, refs map[string]source, c render.Chart) (*helm.Release, []lint.Finding) {
	name := s.str("helm", "releaseName")
	if name == "" {
		name = o.Name
	}
	anchor := s.at.Key("path")
	if s.str("chart") != "" {
		anchor = s.at.Key("chart")
	}
	rel := &helm.Release{Dir: c.Dir, Archive: c.Archive, Name: name,
		Namespace: o.Str("spec", "destination", "namespace"),
		Anchor:    o.Origin.Locate(anchor), By: render.ObjectName(o)}
	hp := s.at.Key("helm")
	files, probs := r.valueFiles(o, s, refs, c)
	for _, f := range files {
		rel.Layers = append(rel.Layers, helm.Layer{File: f})
	}
	file := render.SourceFile(r.opt, o)
	if v := yamlnode.Get(s.node, "helm", "valuesObject"); v != nil && v.Tag != "!!null" {
		// valuesObject replaces values: Argo CD passes one or the other.
		base := hp.Key("valuesObject")
		rel.Layers = append(rel.Layers, helm.Layer{File: file, Root: v, Locate: func(steps []lint.PathStep) lint.Location {
			return o.Origin.Locate(lint.PathOf(append(base.Steps(), steps...)))
		}})
	} else if v := yamlnode.Get(s.node, "helm", "values"); v != nil && scalar(v) != "" {
		l, p := r.inlineValues(o, hp.Key("values"), v, file)
		if l != nil {
			rel.Layers = append(rel.Layers, *l)
		}
		probs = append(probs, p...)
	}
	if seq := yamlnode.Get(s.node, "helm", "parameters"); seq != nil && seq.Kind == yaml.SequenceNode && len(seq.Content) > 0 {
		l, p := parameters(o, hp.Key("parameters"), seq, file)
		if l != nil {
			rel.Layers = append(rel.Layers, *l)
		}
		probs = append(probs, p...)
	}
	return rel, probs
}

// valueFiles resolves helm.valueFiles: relative to the chart directory, or
// $ref/path in the source whose ref: is ref. A file that does not exist is
// a finding unless ignoreMissingValueFiles is set; a remote URL, a file of
// another repository and a relative file of a chart archive are out of
// reach.
func (r *Application) valueFiles(o *lint.Object, s source, refs map[string]source, c render.Chart) ([]string, []lint.Finding) {
	seq := yamlnode.Get(s.node, "helm", "valueFiles")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil, nil
	}
	ignoreMissing := s.str("helm", "ignoreMissingValueFiles") == "true"
	var files []string
	var probs []lint.Finding
	for i, n := range seq.Content {
		v := scalar(n)
		at := s.at.Keys("helm", "valueFiles").Index(i)
		var f string
		var found bool
		switch {
		case v == "" || strings.Contains(v, "://"):
			continue
		case strings.HasPrefix(v, "$"):
			refName, rest, _ := strings.Cut(v[1:], "/")
			src, ok := refs[refName]
			if !ok {
				probs = append(probs, render.Problem(o, at, fmt.Sprintf(
					"Application %s: value file %s names $%s, but no source has ref: %s", o.Name, v, refName, refName),
					"add ref: "+refName+" to the source that holds the file"))
				continue
			}
			f, found = render.RepoPath(r.opt, o, rest)
			if !thisRepo(r.opt, src.str("repoURL"), func() bool { return found }) {
				w := render.Problem(o, at, fmt.Sprintf(
					"Application %s: value file %s is in repository %s, not this one; its values are not applied",
					o.Name, v, src.str("repoURL")), "lint that repository's values with the chart, or add this repository's URL to repoURLs in .oomlint.yaml")
				w.Severity = lint.Warning
				probs = append(probs, w)
				continue
			}
		case c.Dir == "":
			continue // a file inside a chart archive: its own values
		default:
			f = filepath.Join(c.Dir, filepath.FromSlash(v))
			found = render.Within(r.opt.RepoRoot, f) && fileExists(f)
		}
		if !found || !fileExists(f) {
			if !ignoreMissing {
				probs = append(probs, render.Problem(o, at, fmt.Sprintf(
					"Application %s: value file %s is not in the repository, so Argo CD fails to render the chart", o.Name, v),
					"fix the path, or set helm.ignoreMissingValueFiles: true"))
			}
			continue
		}
		if c.Dir != "" && f == filepath.Join(c.Dir, "values.yaml") {
			continue // the chart's own values, applied first anyway
		}
		files = append(files, f)
	}
	return files, probs
}

// inlineValues reads helm.values, values written as a YAML string: its
// fields are located inside the block scalar, one line below the key.
func (r *Application) inlineValues(o *lint.Object, at lint.Path, v *yaml.Node, file string) (*helm.Layer, []lint.Finding) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(v.Value), &doc); err != nil {
		return nil, []lint.Finding{render.Problem(o, at, fmt.Sprintf("Application %s: helm.values is not YAML: %v", o.Name, err), "")}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, []lint.Finding{render.Problem(o, at, fmt.Sprintf("Application %s: helm.values is not a mapping", o.Name), "")}
	}
	block := v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	return &helm.Layer{File: file, Root: root, Locate: func(steps []lint.PathStep) lint.Location {
		loc := o.Origin.Locate(at)
		n := lint.LocateNode(root, lint.PathOf(steps))
		if !block || n == nil || n.Line == 0 {
			return loc
		}
		indent := blockIndent(r.opt, loc)
		loc.Line, loc.Column = loc.Line+n.Line, indent+n.Column
		return loc
	}}, nil
}

// blockIndent is the indentation of the first content line of the block
// scalar at loc (the line after its indicator), read from the file.
func blockIndent(opt render.Options, loc lint.Location) int {
	src, err := lint.ReadRepoFile(opt.RepoRoot, filepath.Join(opt.WorkDir, filepath.FromSlash(loc.File)))
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for i := 1; sc.Scan(); i++ {
		if i == loc.Line+1 {
			line := sc.Text()
			return len(line) - len(strings.TrimLeft(line, " "))
		}
	}
	return 0
}

// parameters reads helm.parameters as Argo CD passes them: --set
// name=value, or --set-string with forceString. Each value set is located
// at the value: line of the last parameter that set it.
func parameters(o *lint.Object, at lint.Path, seq *yaml.Node, file string) (*helm.Layer, []lint.Finding) {
	vals := map[string]any{}
	var probs []lint.Finding
	type param struct {
		at   lint.Path
		vals map[string]any
	}
	var params []param
	for i, n := range seq.Content {
		name, value := scalar(yamlnode.Get(n, "name")), scalar(yamlnode.Get(n, "value"))
		if name == "" {
			continue
		}
		pat := at.Index(i)
		parse := strvals.ParseInto
		if scalar(yamlnode.Get(n, "forceString")) == "true" {
			parse = strvals.ParseIntoString
		}
		if !strings.HasPrefix(value, "{") || !strings.HasSuffix(value, "}") {
			value = strings.ReplaceAll(value, ",", `\,`) // one value, not a list of assignments
		}
		own := map[string]any{}
		if err := parse(name+"="+value, own); err != nil {
			probs = append(probs, render.Problem(o, pat, fmt.Sprintf("Application %s: helm parameter %s: %v", o.Name, name, err), ""))
			continue
		}
		_ = parse(name+"="+value, vals)
		params = append(params, param{pat, own})
	}
	if len(params) == 0 {
		return nil, probs
	}
	var root yaml.Node
	if err := root.Encode(vals); err != nil {
		return nil, probs
	}
	return &helm.Layer{File: file, Root: &root, Values: vals, Locate: func(steps []lint.PathStep) lint.Location {
		for _, p := range slices.Backward(params) {
			if holds(p.vals, steps) {
				return o.Origin.Locate(p.at.Key("value"))
			}
		}
		return o.Origin.Locate(at)
	}}, probs
}

// holds reports whether a parameter's values reach the path of steps.
func holds(v any, steps []lint.PathStep) bool {
	for _, s := range steps {
		switch x := v.(type) {
		case map[string]any:
			e, ok := x[s.Key]
			if !ok || s.Index >= 0 {
				return false
			}
			v = e
		case []any:
			if s.Index < 0 || s.Index >= len(x) || x[s.Index] == nil {
				return false
			}
			v = x[s.Index]
		default:
			return false
		}
	}
	return true
}
