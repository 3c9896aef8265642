package helm

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/oomlint/oomlint/internal/lazyre"
	"github.com/oomlint/oomlint/lint"
)

var (
	// template: chart/templates/x.yaml:12:3: executing … / parse error at (chart/templates/x.yaml:5): …
	templatePosRE = lazyre.New(`(?:template: |error at \(|error in \()([^\s():]+):(\d+)(?::(\d+))?`)
	requiredRE    = lazyre.New(`required\s+(?:"[^"]*"|` + "`[^`]*`" + `)\s+([$.\w]+)`)
	yamlLineRE    = lazyre.New(`line (\d+)`)
	loadFileRE    = lazyre.New(`cannot load ([^\s:]+): `)
	schemaPathRE  = lazyre.New(`at '(/[^']*)'`)
	sortFileRE    = lazyre.New(`YAML parse error on (\S+):`)
)

// templateProblem places a template error at the file and line helm names.
func (r *chartRender) templateProblem(err error, refs map[string]*templateRef) lint.Finding {
	msg := err.Error()
	m := templatePosRE().FindStringSubmatch(msg)
	file, line, col := r.chartYAML(), 1, 1
	var ref *templateRef
	tline := 0 // the line in the template, even when it is archived
	if m != nil {
		ref = refs[m[1]]
		line, _ = strconv.Atoi(m[2])
		tline = line
		if m[3] != "" {
			col, _ = strconv.Atoi(m[3])
		}
		file = r.templatePath(ref)
		if ref == nil || ref.file.disk == "" {
			line, col = r.archiveLine(ref), 1
		}
	}
	msg = cleanHelmError(msg)
	if ref != nil && ref.file.disk != "" {
		msg = strings.ReplaceAll(msg, m[1], r.display(ref.file.disk))
	}
	if v := requiredValue(ref, tline); v != "" {
		return r.problem(file, line, col, fmt.Sprintf("the chart requires a value for %s: %s", v, msg),
			fmt.Sprintf("set %s in a values file given with --values, or list one under charts.values in .oomlint.yaml", v))
	}
	fix := "fix the template, or the values it reads; `helm template` shows the same error"
	if strings.Contains(msg, "execution error") {
		fix = "give the values the chart needs with --values, or list values files under charts.values in .oomlint.yaml"
	}
	msg = "the chart did not render: " + msg
	return r.problem(file, line, col, msg, fix)
}

// limitProblem reports a render a limit stopped, at the template it was
// rendering.
func (r *chartRender) limitProblem(le *LimitError, chartName string, refs map[string]*templateRef) lint.Finding {
	ref := refs[le.Template]
	file, line := r.templatePath(ref), 1
	if ref == nil || ref.file.disk == "" {
		line = r.archiveLine(ref)
	}
	name := chartName
	if r.unit.Variant != "" {
		name += " (" + r.unit.Variant + ")"
	}
	msg := fmt.Sprintf("chart %s: %s (renderTimeout)", name, le.Error())
	fix := "look for a loop that never ends (range over a huge until, include or tpl that calls itself); if the chart is only slow, raise renderTimeout in .oomlint.yaml"
	if le.Timeout == 0 {
		msg = fmt.Sprintf("chart %s: %s", name, le.Error())
		fix = "look for a loop that writes without end, or a template that includes itself"
	}
	if le.Template != "" {
		msg += " while rendering " + le.Template
	}
	return r.problem(file, line, 1, msg+"; the render was stopped", fix)
}

// maxMessage is the longest message a library error makes: nested include
// errors repeat every level's position (92 KB for helm's own recursion
// guard), and nobody reads past the first line of a finding.
const maxMessage = 300

// shortMessage puts a long error on one line of at most about maxMessage
// bytes: for nested template calls, the outermost position and call and the
// innermost error, else the start and the end.
func shortMessage(msg string) string {
	if len(msg) <= maxMessage && !strings.Contains(msg, "\n") {
		return msg
	}
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) <= maxMessage {
		return msg
	}
	const calling = ": error calling "
	head, tail := msg[:maxMessage*2/3], msg[len(msg)-maxMessage/4:]
	if first, last := strings.Index(msg, calling), strings.LastIndex(msg, calling); first >= 0 && first != last {
		// The outer call: template: x.yaml:7:3: executing "x" at <include "a" .>: error calling include
		head = msg[:first+len(calling)]
		if end := strings.Index(msg[len(head):], ": "); end >= 0 {
			head = msg[:len(head)+end]
		}
		// The innermost error, without its function's name.
		tail = msg[last+len(calling):]
		if _, kind, ok := strings.Cut(tail, ": "); ok {
			tail = kind
		}
		head += fmt.Sprintf(" (%d nested calls)", strings.Count(msg, calling))
	}
	head, tail = clip(head, maxMessage*2/3), clip(tail, maxMessage/3)
	return fmt.Sprintf("%s: … %s (%d more bytes)", head, tail, len(msg)-len(head)-len(tail))
}

// clip cuts s to n bytes, at a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// requiredValue is the value a `required` on the template line names.
func requiredValue(ref *templateRef, line int) string {
	if ref == nil || line < 1 || line > len(ref.file.lines) {
		return ""
	}
	m := requiredRE().FindStringSubmatch(ref.file.lines[line-1].text)
	if m == nil {
		return ""
	}
	v := strings.TrimPrefix(strings.TrimPrefix(m[1], "$"), ".Values.")
	if len(ref.prefix) > 0 && !strings.HasPrefix(v, "global.") {
		v = strings.Join(ref.prefix, ".") + "." + v
	}
	return v
}

// cleanHelmError drops the markers and the noise of helm's wrapped errors.
func cleanHelmError(msg string) string {
	msg = stripMarkers(msg)
	msg = strings.ReplaceAll(msg, "HELM_ERR_START", "")
	msg = strings.ReplaceAll(msg, "HELM_ERR_END", "")
	return strings.TrimSpace(msg)
}

// archiveLine is where a problem in an archived template goes: the
// dependency's line in the nearest Chart.yaml on disk.
func (r *chartRender) archiveLine(ref *templateRef) int {
	if ref == nil {
		return 1
	}
	_, line := r.archiveDep(ref.chain[len(ref.chain)-1])
	return line
}

// archiveAt is where a finding in an archived chart goes: the dependency
// line that names the archive, or for a chart from the chart cache, the
// controller object that deploys it (the cache is not the repository's).
func (r *chartRender) archiveAt(src *chartSrc) lint.Location {
	file, line := r.chartYAML(), 1
	if src != nil {
		file, line = r.archiveDep(src)
	}
	if r.rel != nil && r.rel.Archive != "" && file == r.rel.Archive {
		a := r.rel.Anchor
		return lint.Location{File: a.File, Line: max(a.Line, 1), Column: max(a.Column, 1)}
	}
	return lint.Location{File: r.display(file), Line: line, Column: 1}
}

// archiveDep is the Chart.yaml dependency line of the archive holding src.
func (r *chartRender) archiveDep(src *chartSrc) (string, int) {
	for s := src; s != nil && s.parent != nil; s = s.parent {
		if s.parent.dir != "" {
			return dependencyLine(s.parent.dir, s.name)
		}
	}
	return r.chartYAML(), 1
}

// missingProblems reports the enabled dependencies that are not vendored.
func (r *chartRender) missingProblems(t *tree) []lint.Finding {
	var out []lint.Finding
	for _, m := range t.missingDeps() {
		var file string
		var line int
		if m.src.dir != "" {
			file, line = dependencyLine(m.src.dir, m.dep.Name)
		} else {
			file, line = r.archiveDep(m.src)
		}
		if strings.HasPrefix(m.dep.Repository, "file://") {
			out = append(out, r.problem(file, line, 1,
				fmt.Sprintf("dependency %s: no chart named %s at that path inside the repository", depDescription(m.dep), m.dep.Name),
				"fix the file:// path (oomlint reads nothing outside the repository), or vendor the chart into charts/"))
			continue
		}
		out = append(out, r.problem(file, line, 1,
			fmt.Sprintf("dependency %s is enabled but not in charts/; oomlint never downloads charts", depDescription(m.dep)),
			"run `helm dependency build` and commit charts/, use a file:// repository, or list the chart's directory under charts.search in .oomlint.yaml"))
	}
	return out
}

// valuesFileProblem places an unreadable or invalid values file.
func (r *chartRender) valuesFileProblem(err error) lint.Finding {
	msg := err.Error()
	for _, f := range r.userValues {
		if strings.Contains(msg, f) {
			line := 1
			if m := yamlLineRE().FindStringSubmatch(msg); m != nil {
				line, _ = strconv.Atoi(m[1])
			}
			if _, serr := os.Stat(f); serr != nil {
				return r.problem(r.chartYAML(), 1, 1, "values file "+r.display(f)+" cannot be read: "+serr.Error(), "check the path given with --values or charts.values")
			}
			return r.problem(f, line, 1, "invalid values file: "+strings.ReplaceAll(msg, f, r.display(f)), "fix the YAML")
		}
	}
	return r.problem(r.chartYAML(), 1, 1, "values: "+msg, "")
}

// loadProblem places an error of helm's loader (Chart.yaml, values.yaml,
// an archive) in the file it names.
func (r *chartRender) loadProblem(err error) lint.Finding {
	msg := err.Error()
	file, line := r.chartYAML(), 1
	if m := loadFileRE().FindStringSubmatch(msg); len(m) > 1 && filepath.IsLocal(filepath.FromSlash(m[1])) {
		if p := filepath.Join(r.dir, filepath.FromSlash(m[1])); fileExists(p) {
			file = p
		}
	}
	if m := yamlLineRE().FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	return r.problem(file, line, 1, "the chart cannot be loaded: "+msg, "fix the file; `helm lint` shows the same error")
}

func fileExists(p string) bool {
	st, err := os.Stat(p) //nolint:gosec // G703: a stat of a path inside the chart or repository, nothing is read

	return err == nil && !st.IsDir()
}

// schemaProblem places a values.schema.json failure at the values key it
// names when it can, else at the schema.
func (r *chartRender) schemaProblem(err error) lint.Finding {
	msg := err.Error()
	fix := "fix the value to match values.schema.json, or give the values the chart needs with --values"
	if m := schemaPathRE().FindStringSubmatch(msg); m != nil {
		path := strings.Split(strings.Trim(m[1], "/"), "/")
		ref := &templateRef{chain: []*chartSrc{{dir: r.dir}}}
		if loc, ok := r.valuesLocation(ref, path); ok {
			f := r.problem("", loc.Line, loc.Column, "values do not match the chart's schema: "+msg, fix)
			f.File = loc.File
			return f
		}
	}
	schema := filepath.Join(r.dir, "values.schema.json")
	if !fileExists(schema) {
		schema = r.chartYAML()
	}
	return r.problem(schema, 1, 1, "values do not match the chart's schema: "+msg, fix)
}

// kubeVersionProblem places an incompatible kubeVersion at its Chart.yaml line.
func (r *chartRender) kubeVersionProblem(want, have string) lint.Finding {
	line := 1
	if data, err := os.ReadFile(r.chartYAML()); err == nil {
		for i, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "kubeVersion:") {
				line = i + 1
			}
		}
	}
	return r.problem(r.chartYAML(), line, 1,
		fmt.Sprintf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", want, have),
		"give the cluster's version with --kube-version or kubeVersion: in .oomlint.yaml")
}

// sortProblem places a rendered document helm cannot parse at its template.
func (r *chartRender) sortProblem(err error, refs map[string]*templateRef) lint.Finding {
	msg := cleanHelmError(err.Error())
	file, line := r.chartYAML(), 1
	if m := sortFileRE().FindStringSubmatch(msg); m != nil {
		ref := refs[m[1]]
		file = r.templatePath(ref)
		if ref == nil || ref.file.disk == "" {
			line = r.archiveLine(ref)
		}
	}
	return r.problem(file, line, 1, "the chart renders invalid YAML: "+msg,
		"fix the template's indentation or quoting; `helm template --debug` shows the rendered text")
}
