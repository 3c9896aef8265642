// This file adapts helm.sh/helm/v3 v3.22.0 pkg/engine (engine.go, funcs.go,
// files.go), Copyright The Helm Authors, licensed under the Apache License,
// Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0). Changes: the
// functions whose output changes from run to run are replaced by the
// deterministic ones of fixed.go, there is no cluster client (lookup
// returns an empty map, as in `helm template`), github.com/pkg/errors
// is replaced by fmt, and a render is bounded (the limits of fixed.go:
// time, output, nesting of include and tpl, the size of until, untilStep,
// seq and repeat, no map that contains itself) because charts come from
// untrusted pull requests. Helm v3 has no way to override template
// functions; engine_test.go checks that this engine renders as helm's does.

package helm

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/sprig/v3"
	"github.com/gobwas/glob"
	"helm.sh/helm/v3/pkg/chart"
	sigsyaml "sigs.k8s.io/yaml"
	goyaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/oomlint/oomlint/internal/helmutil"
	"github.com/oomlint/oomlint/internal/lazyre"
)

// templateEngine renders a chart's templates as helm's engine.Engine does,
// with fixed stand-ins for the functions of fixed.go.
type templateEngine struct {
	fixed *fixedFuncs
	lim   *limits
}

// newTemplateEngine returns an engine whose random functions are seeded
// from seed (the chart and release name), with no time or output limit.
func newTemplateEngine(seed string) *templateEngine {
	return &templateEngine{fixed: &fixedFuncs{seed: seed}, lim: &limits{}}
}

// Render renders every template of the chart and its dependencies. With a
// deadline, it returns when the deadline passes even if the templates have
// not finished (see limits.run).
func (e *templateEngine) Render(chrt *chart.Chart, values helmutil.Values) (map[string]string, error) {
	tpls := allTemplates(chrt, values)
	return e.lim.run(func() (map[string]string, error) { return e.render(tpls) })
}

// renderable is an object that can be rendered.
type renderable struct {
	tpl      string          // the template text
	vals     helmutil.Values // the values the template sees
	basePath string          // the templates folder of the chart
}

const (
	warnStartDelim   = "HELM_ERR_START"
	warnEndDelim     = "HELM_ERR_END"
	recursionMaxNums = 1000
)

var warnRegex = lazyre.New(warnStartDelim + `((?s).*)` + warnEndDelim)

func warnWrap(warn string) string { return warnStartDelim + warn + warnEndDelim }

// includeFun is 'include', defined in the scope of a 'tpl' template as
// well as regular file-loaded templates.
func includeFun(t *template.Template, includedNames map[string]int, lim *limits) func(string, any) (string, error) {
	return func(name string, data any) (string, error) {
		var buf strings.Builder
		if v, ok := includedNames[name]; ok {
			if v > recursionMaxNums {
				return "", fmt.Errorf("rendering template has a nested reference name: %s: %w", name, errors.New("unable to execute template"))
			}
			includedNames[name]++
		} else {
			includedNames[name] = 1
		}
		if err := lim.enter(); err != nil {
			includedNames[name]--
			return "", err
		}
		defer lim.leave()
		bounded := lim.writer(&buf)
		err := t.ExecuteTemplate(bounded, name, data)
		includedNames[name]--
		return buf.String(), err
	}
}

// tplFun is 'tpl'; nested calls see the templates defined by their
// enclosing contexts.
func tplFun(parent *template.Template, includedNames map[string]int, lim *limits) func(string, any) (string, error) {
	return func(tpl string, vals any) (string, error) {
		if err := lim.enter(); err != nil {
			return "", err
		}
		defer lim.leave()
		t, err := parent.Clone()
		if err != nil {
			return "", fmt.Errorf("cannot clone template: %w", err)
		}
		// Re-inject the missingkey option (golang/go#43022).
		t.Option("missingkey=zero")
		t.Funcs(template.FuncMap{
			"include": includeFun(t, includedNames, lim),
			"tpl":     tplFun(t, includedNames, lim),
		})
		t, err = t.New(parent.Name()).Parse(tpl)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %w", tpl, err)
		}
		var buf strings.Builder
		if err := t.Execute(lim.writer(&buf), vals); err != nil {
			if lim.stops(err) {
				return "", err // not wrapped with the text at every level: it may be large
			}
			return "", fmt.Errorf("error during tpl function execution for %q: %w", tpl, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
}

// initFunMap sets the engine's functions on t.
func (e *templateEngine) initFunMap(t *template.Template) {
	funcMap := funcMap()
	includedNames := make(map[string]int)
	funcMap["include"] = includeFun(t, includedNames, e.lim)
	funcMap["tpl"] = tplFun(t, includedNames, e.lim)
	funcMap["required"] = func(warn string, val any) (any, error) {
		if val == nil {
			return nil, errors.New(warnWrap(warn))
		}
		if s, ok := val.(string); ok && s == "" {
			return val, errors.New(warnWrap(warn))
		}
		return val, nil
	}
	funcMap["fail"] = func(msg string) (string, error) { return "", errors.New(warnWrap(msg)) }
	// No DNS lookups, as helm without --enable-dns.
	funcMap["getHostByName"] = func(string) string { return "" }
	maps.Copy(funcMap, e.fixed.funcs())
	maps.Copy(funcMap, e.lim.funcs())
	guardCycles(funcMap)
	t.Funcs(funcMap)
}

// render parses every template into one set, then executes each that is
// not a partial.
func (e *templateEngine) render(tpls map[string]renderable) (rendered map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("rendering template failed: %v", r)
		}
	}()
	t := template.New("gotpl")
	t.Option("missingkey=zero")
	e.initFunMap(t)

	keys := sortTemplates(tpls)
	for _, filename := range keys {
		if _, err := t.New(filename).Parse(tpls[filename].tpl); err != nil {
			return map[string]string{}, cleanupParseError(filename, err)
		}
	}
	rendered = make(map[string]string, len(keys))
	for _, filename := range keys {
		if strings.HasPrefix(path.Base(filename), "_") {
			continue // partials are only included from other templates
		}
		vals := tpls[filename].vals
		vals["Template"] = helmutil.Values{"Name": filename, "BasePath": tpls[filename].basePath}
		e.fixed.start(filename)
		e.lim.start(filename)
		var buf strings.Builder
		if err := t.ExecuteTemplate(e.lim.writer(&buf), filename, vals); err != nil {
			return map[string]string{}, cleanupExecError(filename, err)
		}
		rendered[filename] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}
	return rendered, nil
}

func cleanupParseError(filename string, err error) error {
	tokens := strings.Split(err.Error(), ": ")
	if len(tokens) == 1 {
		return fmt.Errorf("parse error in (%s): %w", filename, err)
	}
	location := tokens[1]
	errMsg := tokens[len(tokens)-1]
	return fmt.Errorf("parse error at (%s): %s", location, errMsg)
}

func cleanupExecError(filename string, err error) error {
	if _, ok := errors.AsType[template.ExecError](err); !ok {
		return err
	}
	tokens := strings.SplitN(err.Error(), ": ", 3)
	if len(tokens) != 3 {
		return fmt.Errorf("execution error in (%s): %w", filename, err)
	}
	location := tokens[1]
	if parts := warnRegex().FindStringSubmatch(tokens[2]); len(parts) >= 2 {
		return fmt.Errorf("execution error at (%s): %s", location, parts[1])
	}
	return err
}

// sortTemplates orders templates by path depth, deepest first, then by name
// in reverse, as helm parses them.
func sortTemplates(tpls map[string]renderable) []string {
	keys := make([]string, 0, len(tpls))
	for key := range tpls {
		keys = append(keys, key)
	}
	sort.Sort(sort.Reverse(byPathLen(keys)))
	return keys
}

type byPathLen []string

func (p byPathLen) Len() int      { return len(p) }
func (p byPathLen) Swap(i, j int) { p[j], p[i] = p[i], p[j] }
func (p byPathLen) Less(i, j int) bool {
	a, b := p[i], p[j]
	ca, cb := strings.Count(a, "/"), strings.Count(b, "/")
	if ca == cb {
		return a < b
	}
	return ca < cb
}

// allTemplates returns all templates of a chart and its dependencies, each
// with the values of its scope.
func allTemplates(c *chart.Chart, vals helmutil.Values) map[string]renderable {
	templates := make(map[string]renderable)
	recAllTpls(c, templates, vals)
	return templates
}

func recAllTpls(c *chart.Chart, templates map[string]renderable, vals helmutil.Values) map[string]any {
	subCharts := make(map[string]any)
	chartMetaData := struct {
		chart.Metadata
		IsRoot bool
	}{*c.Metadata, c.IsRoot()}

	next := map[string]any{
		"Chart":        chartMetaData,
		"Files":        newFiles(c.Files),
		"Release":      vals["Release"],
		"Capabilities": vals["Capabilities"],
		"Values":       make(helmutil.Values),
		"Subcharts":    subCharts,
	}
	if c.IsRoot() {
		next["Values"] = vals["Values"]
	} else if vs, err := vals.Table("Values." + c.Name()); err == nil {
		next["Values"] = vs
	}
	for _, child := range c.Dependencies() {
		subCharts[child.Name()] = recAllTpls(child, templates, next)
	}
	newParentID := c.ChartFullPath()
	for _, t := range c.Templates {
		if t == nil || !isTemplateValid(c, t.Name) {
			continue
		}
		templates[path.Join(newParentID, t.Name)] = renderable{
			tpl:      string(t.Data),
			vals:     next,
			basePath: path.Join(newParentID, "templates"),
		}
	}
	return next
}

// isTemplateValid: a library chart renders only its partials.
func isTemplateValid(ch *chart.Chart, templateName string) bool {
	if strings.EqualFold(ch.Metadata.Type, "library") {
		return strings.HasPrefix(filepath.Base(templateName), "_")
	}
	return true
}

// funcMap is sprig's text functions without env and expandenv, and helm's own.
func funcMap() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	maps.Copy(f, template.FuncMap{
		"toToml":        toTOML,
		"fromToml":      fromTOML,
		"toYaml":        toYAML,
		"toYamlPretty":  toYAMLPretty,
		"fromYaml":      fromYAML,
		"fromYamlArray": fromYAMLArray,
		"toJson":        toJSON,
		"fromJson":      fromJSON,
		"fromJsonArray": fromJSONArray,
		// lookup needs a cluster; `helm template` gets an empty map.
		"lookup": func(string, string, string, string) (map[string]any, error) {
			return map[string]any{}, nil
		},
	})
	return f
}

func toYAML(v any) string {
	data, err := sigsyaml.Marshal(v)
	if err != nil {
		return "" // swallowed inside a template
	}
	return strings.TrimSuffix(string(data), "\n")
}

func toYAMLPretty(v any) string {
	var data bytes.Buffer
	encoder := goyaml.NewEncoder(&data)
	encoder.SetIndent(2)
	if err := encoder.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(data.String(), "\n")
}

func fromYAML(str string) map[string]any {
	m := map[string]any{}
	if err := sigsyaml.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYAMLArray(str string) []any {
	a := []any{}
	if err := sigsyaml.Unmarshal([]byte(str), &a); err != nil {
		a = []any{err.Error()}
	}
	return a
}

func toTOML(v any) string {
	b := bytes.NewBuffer(nil)
	if err := toml.NewEncoder(b).Encode(v); err != nil {
		return err.Error()
	}
	return b.String()
}

func fromTOML(str string) map[string]any {
	m := make(map[string]any)
	if err := toml.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func toJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(str string) map[string]any {
	m := make(map[string]any)
	if err := json.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(str string) []any {
	a := []any{}
	if err := json.Unmarshal([]byte(str), &a); err != nil {
		a = []any{err.Error()}
	}
	return a
}

// files are a chart's files, as templates see them in .Files.
type files map[string][]byte

func newFiles(from []*chart.File) files {
	f := make(files, len(from))
	for _, file := range from {
		f[file.Name] = file.Data
	}
	return f
}

// GetBytes is a file's data; a missing file is empty.
func (f files) GetBytes(name string) []byte {
	if v, ok := f[name]; ok {
		return v
	}
	return []byte{}
}

// Get is a file's text.
func (f files) Get(name string) string { return string(f.GetBytes(name)) }

// Glob is the files whose names match pattern.
func (f files) Glob(pattern string) files {
	g, err := glob.Compile(pattern, '/')
	if err != nil {
		g, _ = glob.Compile("**")
	}
	nf := newFiles(nil)
	for name, contents := range f {
		if g.Match(name) {
			nf[name] = contents
		}
	}
	return nf
}

// AsConfig is the files as the data of a ConfigMap.
func (f files) AsConfig() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string)
	for k, v := range f {
		m[path.Base(k)] = string(v)
	}
	return toYAML(m)
}

// AsSecrets is the files as the data of a Secret, base64 encoded.
func (f files) AsSecrets() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string)
	for k, v := range f {
		m[path.Base(k)] = base64.StdEncoding.EncodeToString(v)
	}
	return toYAML(m)
}

// Lines is each line of a file.
func (f files) Lines(name string) []string {
	if f == nil || len(f[name]) == 0 {
		return []string{}
	}
	s := string(f[name])
	if s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	return strings.Split(s, "\n")
}
