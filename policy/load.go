package policy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/oomlint/oomlint/lint"
)

// Options say where the policies are and how to run them.
type Options struct {
	Policies    []string      // directories (or .rego files) of policies: --policy, policies:
	Data        []string      // directories (or files) of JSON/YAML data documents: --data
	RegoVersion string        // "v1" (default) or "v0": --rego-version, regoVersion:
	Packages    []string      // only these packages ("main", "kubernetes.memory"); empty: every package
	Timeout     time.Duration // per object and rule; 0 means DefaultTimeout
	WorkDir     string        // policy positions are shown relative to it; "" means the current directory
	// Builtins are the built-in rules: a policy rule may not take one of
	// their IDs or names.
	Builtins []*lint.Rule
}

// DefaultTimeout bounds one policy rule's evaluation of one object.
const DefaultTimeout = 2 * time.Second

// ErrRegoVersion is returned for a --rego-version other than v0 or v1.
var ErrRegoVersion = errors.New(`rego version must be "v0" or "v1"`)

// ruleSet matches the conftest rule names: deny, violation and warn, with
// optional suffixes (deny_memory, warn_jvm_flags).
var ruleSet = regexp.MustCompile(`^(deny|violation|warn)(_[A-Za-z0-9_]+)?$`)

// refused are the built-ins a policy may not call: oomlint runs offline
// and must not leak the environment.
func refused(name string) bool {
	return name == "http.send" || name == "opa.runtime" || strings.HasPrefix(name, "net.")
}

func refusedWhy(name string) string {
	if name == "opa.runtime" {
		return "opa.runtime is not available in oomlint policies: it would expose the environment of the machine running the lint"
	}
	return name + " is not available in oomlint policies: oomlint evaluates offline, with no network access (http.send and net.* lookups are removed)"
}

// capabilities are OPA's for the Rego version without the refused built-ins
// and with no host allowed.
func capabilities(v ast.RegoVersion) *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion(ast.CapabilitiesRegoVersion(v))
	caps.Builtins = slices.DeleteFunc(caps.Builtins, func(b *ast.Builtin) bool { return refused(b.Name) })
	caps.AllowNet = []string{}
	return caps
}

func regoVersion(s string) (ast.RegoVersion, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "v1", "1":
		return ast.RegoV1, nil
	case "v0", "0":
		return ast.RegoV0, nil
	}
	return ast.RegoUndefined, fmt.Errorf("%w, not %q", ErrRegoVersion, s)
}

// source is one .rego file.
type source struct {
	abs, display string
	test         bool // a _test.rego file
}

// findRego lists the .rego files under the given directories or files, in
// a stable order. A path that does not exist is an error (exit 2).
func findRego(paths []string, workDir string) ([]source, error) {
	var out []source
	seen := map[string]bool{}
	for _, p := range paths {
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(workDir, p)
		}
		st, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		add := func(f string) {
			if seen[f] || !strings.HasSuffix(f, ".rego") {
				return
			}
			seen[f] = true
			out = append(out, source{abs: f, display: display(workDir, f), test: strings.HasSuffix(f, "_test.rego")})
		}
		if !st.IsDir() {
			add(abs)
			continue
		}
		err = filepath.WalkDir(abs, func(f string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && f != abs && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "vendor") {
				return filepath.SkipDir
			}
			if !d.IsDir() {
				add(f)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
	}
	slices.SortFunc(out, func(a, b source) int { return strings.Compare(a.display, b.display) })
	return out, nil
}

func display(workDir, p string) string {
	if rel, err := filepath.Rel(workDir, p); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
}

// parseAll parses the sources, reporting each file that does not parse as
// OOM902 findings and leaving it out.
func parseAll(srcs []source, v ast.RegoVersion, caps *ast.Capabilities) (map[string]*ast.Module, []lint.Finding, error) {
	mods := map[string]*ast.Module{}
	var problems []lint.Finding
	for _, s := range srcs {
		data, err := os.ReadFile(s.abs)
		if err != nil {
			return nil, nil, fmt.Errorf("policy: %w", err)
		}
		m, err := ast.ParseModuleWithOpts(s.display, string(data), ast.ParserOptions{
			ProcessAnnotation: true, RegoVersion: v, Capabilities: caps,
		})
		if err != nil {
			hint := ""
			if v == ast.RegoV1 {
				if _, err0 := ast.ParseModuleWithOpts(s.display, string(data), ast.ParserOptions{RegoVersion: ast.RegoV0}); err0 == nil {
					hint = "; this policy is written in Rego v0 syntax: set regoVersion: v0 in .oomlint.yaml or pass --rego-version v0 (or upgrade it with `opa fmt --v0-v1`)"
				}
			}
			problems = append(problems, errorFindings(err, s.display, hint)...)
			continue
		}
		if m == nil {
			continue // an empty file
		}
		mods[s.display] = m
	}
	return mods, problems, nil
}

// compile compiles the modules. A module with compile errors is reported
// and left out, and the rest compiled again, so one bad policy does not
// stop the others.
func compile(mods map[string]*ast.Module, caps *ast.Capabilities, v ast.RegoVersion) (*ast.Compiler, []lint.Finding) {
	var problems []lint.Finding
	for {
		c := ast.NewCompiler().
			WithCapabilities(caps).
			WithDefaultRegoVersion(v).
			WithEnablePrintStatements(false).
			WithKeepModules(false)
		c.Compile(mods)
		if !c.Failed() {
			return c, problems
		}
		bad := map[string]bool{}
		for _, e := range c.Errors {
			problems = append(problems, errorFinding(e, ""))
			if e.Location != nil {
				bad[e.Location.File] = true
			}
		}
		before := len(mods)
		for f := range bad {
			if f != factsModuleFile {
				delete(mods, f)
			}
		}
		if len(mods) == before || len(mods) <= 1 {
			// Errors that name no module: nothing can run.
			return nil, problems
		}
	}
}

// errorFindings turns a parse or compile error into OOM902 findings at the
// positions OPA names.
func errorFindings(err error, file, hint string) []lint.Finding {
	if errs, ok := errors.AsType[ast.Errors](err); ok {
		// The parser often reports one mistake several times at one
		// place (illegal token, non-terminated string): keep the first.
		out := make([]lint.Finding, 0, len(errs))
		for _, e := range errs {
			f := errorFinding(e, hint)
			if f.File == "" {
				f.File = file
			}
			if n := len(out); n > 0 && (hint != "" || out[n-1].File == f.File && out[n-1].Line == f.Line) {
				continue // a v0 file: one finding that says so is enough
			}
			out = append(out, f)
		}
		return out
	}
	return []lint.Finding{{Rule: lint.PolicyErrorID, File: file, Line: 1, Column: 1, Message: err.Error() + hint}}
}

var undefinedFunction = regexp.MustCompile(`undefined function ([A-Za-z0-9_.]+)`)

func errorFinding(e *ast.Error, hint string) lint.Finding {
	f := lint.Finding{Rule: lint.PolicyErrorID, Line: 1, Column: 1, Message: e.Message + hint}
	if e.Code != "" {
		f.Message = e.Code + ": " + f.Message
	}
	if m := undefinedFunction.FindStringSubmatch(e.Message); len(m) > 1 && refused(m[1]) {
		f.Message = refusedWhy(m[1])
		f.Fix = "remove the call: give the policy what it needs through --data documents instead"
	}
	if e.Location != nil {
		f.File, f.Line, f.Column = e.Location.File, max(e.Location.Row, 1), max(e.Location.Col, 1)
	}
	return f
}

// loadData reads the --data documents (JSON and YAML) into a store, as
// conftest and opa do: a file's keys land at data.<its directory below the
// given one>.
func loadData(paths []string, workDir string) (storage.Store, []lint.Finding, error) {
	if len(paths) == 0 {
		return inmem.New(), nil, nil
	}
	abs := make([]string, len(paths))
	for i, p := range paths {
		if !filepath.IsAbs(p) {
			p = filepath.Join(workDir, p)
		}
		if _, err := os.Stat(p); err != nil {
			return nil, nil, fmt.Errorf("policy data: %w", err)
		}
		abs[i] = p
	}
	docs, problem := readData(abs)
	if problem != "" {
		return nil, []lint.Finding{{Rule: lint.PolicyErrorID, File: display(workDir, abs[0]), Line: 1, Column: 1, Message: problem}}, nil
	}
	return inmem.NewFromObject(docs), nil, nil
}

// readData loads the data documents, or says why they did not load: a
// broken data file is reported like a broken policy (OOM902).
func readData(abs []string) (map[string]any, string) {
	res, err := loader.NewFileLoader().Filtered(abs, func(_ string, info fs.FileInfo, _ int) bool {
		if info.IsDir() {
			return strings.HasPrefix(info.Name(), ".") && info.Name() != "." && info.Name() != ".."
		}
		ext := strings.ToLower(filepath.Ext(info.Name()))
		return ext != ".json" && ext != ".yaml" && ext != ".yml"
	})
	if err != nil {
		return nil, "policy data did not load: " + err.Error()
	}
	if _, ok := res.Documents["oomlint"]; ok {
		return nil, "policy data defines data.oomlint, which is reserved for oomlint's facts"
	}
	return res.Documents, ""
}

// Load reads, parses and compiles the policies and prepares one query per
// rule set (package and deny/violation/warn name). Policies that do not
// parse or compile are OOM902 findings at the file:line:col OPA names and
// are left out; the error return is for what stops the run (a missing
// directory, a bad option): exit 2.
func Load(ctx context.Context, opts Options) ([]*lint.Rule, []lint.Finding, error) {
	v, err := regoVersion(opts.RegoVersion)
	if err != nil {
		return nil, nil, err
	}
	workDir := opts.WorkDir
	if workDir == "" {
		if workDir, err = os.Getwd(); err != nil {
			return nil, nil, fmt.Errorf("policy: %w", err)
		}
	}
	srcs, err := findRego(opts.Policies, workDir)
	if err != nil {
		return nil, nil, err
	}
	srcs = slices.DeleteFunc(srcs, func(s source) bool { return s.test })
	store, problems, err := loadData(opts.Data, workDir)
	if err != nil || store == nil {
		return nil, problems, err
	}
	if len(srcs) == 0 {
		return nil, problems, nil
	}
	caps := capabilities(v)
	caps.Builtins = append(caps.Builtins, factsBuiltin())
	mods, perr, err := parseAll(srcs, v, caps)
	if err != nil {
		return nil, nil, err
	}
	problems = append(problems, perr...)
	if len(mods) == 0 {
		return nil, problems, nil
	}
	fm, err := ast.ParseModuleWithOpts(factsModuleFile, factsModule, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, nil, fmt.Errorf("policy: %w", err) // a bug: the module is a constant
	}
	mods[factsModuleFile] = fm
	c, cerr := compile(mods, caps, v)
	problems = append(problems, cerr...)
	if c == nil {
		return nil, problems, nil
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	rules, rerr := buildRules(ctx, c, store, opts, timeout)
	problems = append(problems, rerr...)
	slices.SortFunc(problems, func(a, b lint.Finding) int {
		if a.File != b.File {
			return strings.Compare(a.File, b.File)
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	return rules, problems, nil
}

// group is the rules of one rule set: every body of data.<pkg>.<name>.
type group struct {
	pkg   ast.Ref // data.kubernetes.memory
	name  string  // deny_limits
	rules []*ast.Rule
}

func (g *group) ref() ast.Ref { return g.pkg.Append(ast.StringTerm(g.name)) }

// pkgName is the package without data.: "kubernetes.memory".
func (g *group) pkgName() string { return strings.TrimPrefix(g.pkg.String(), "data.") }

// groups finds the conftest rule sets of the compiled modules, in file
// order.
func groups(c *ast.Compiler, packages []string) []*group {
	files := make([]string, 0, len(c.Modules))
	for f := range c.Modules {
		files = append(files, f)
	}
	slices.Sort(files)
	byRef := map[string]*group{}
	var out []*group
	for _, f := range files {
		m := c.Modules[f]
		pkg := m.Package.Path
		if len(packages) > 0 && !slices.Contains(packages, strings.TrimPrefix(pkg.String(), "data.")) {
			continue
		}
		for _, r := range m.Rules {
			ref := r.Head.Ref()
			if len(ref) == 0 {
				continue
			}
			name, ok := ref[0].Value.(ast.Var)
			if !ok || !ruleSet.MatchString(string(name)) {
				continue
			}
			if len(ref) > 2 || (len(ref) == 2 && r.Head.Key == nil) {
				continue // deny.x.y: not a conftest rule set
			}
			key := pkg.String() + "\x00" + string(name)
			g := byRef[key]
			if g == nil {
				g = &group{pkg: pkg, name: string(name)}
				byRef[key] = g
				out = append(out, g)
			}
			g.rules = append(g.rules, r)
		}
	}
	return out
}
