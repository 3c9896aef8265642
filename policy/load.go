package policy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/oomlint/oomlint/internal/lazyre"
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
var ruleSet = lazyre.New(`^(deny|violation|warn)(_[A-Za-z0-9_]+)?$`)

// refusedBuiltins are the OPA built-ins a policy may not call, with why.
// The linted repository, its policies included, is untrusted input: a
// policy sees only the object, oomlint's facts and the data documents, and
// stops at policyTimeout. Every other built-in of OPA's capabilities was
// reviewed: it computes from its arguments alone, and long work stops with
// the evaluation (builtins_test.go holds the reviewed list, so an OPA
// upgrade that adds one fails until it is reviewed too).
var refusedBuiltins = map[string]string{
	"http.send":          offlineWhy,
	"net.lookup_ip_addr": offlineWhy,
	"opa.runtime":        "it would expose the environment of the machine running the lint",
	// gojsonschema follows a schema's $ref to file:// (and allowed hosts):
	// the result tells whether a file exists and how it starts, and a
	// $ref to /dev/zero never returns.
	"json.verify_schema": schemaWhy,
	"json.match_schema":  schemaWhy,
	// Go templates cannot be interrupted: {{range 100000}}{{range 100000}}
	// runs for hours whatever the timeout says.
	"strings.render_template": "it renders a Go template, which policyTimeout cannot stop",
}

const (
	offlineWhy = "oomlint evaluates offline, with no network access (http.send and net.* lookups are removed)"
	schemaWhy  = "a JSON schema's $ref can name any file or URL, which would let a policy probe the machine running the lint (json.verify_schema and json.match_schema are removed)"
)

// refused reports whether policies may not call the built-in.
func refused(name string) bool {
	_, ok := refusedBuiltins[name]
	return ok
}

func refusedWhy(name string) string {
	return name + " is not available in oomlint policies: " + refusedBuiltins[name]
}

func refusedFix(name string) string {
	switch {
	case strings.HasPrefix(name, "json."):
		return "check the fields with Rego rules instead of a JSON schema"
	case name == "strings.render_template":
		return "build the text with sprintf or concat instead"
	}
	return "remove the call: give the policy what it needs through --data documents instead"
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
// a stable order, and the files below them that are refused (walkInputs).
// A path that does not exist is an error (exit 2).
func findRego(paths []string, workDir string) ([]source, []lint.Finding, error) {
	var out []source
	var problems []lint.Finding
	seen := map[string]bool{}
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			out = append(out, source{abs: f, display: display(workDir, f), test: strings.HasSuffix(f, "_test.rego")})
		}
	}
	for _, p := range paths {
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(workDir, p)
		}
		files, refusals, err := walkInputs(abs, false, regoDirSkipped, isRego)
		if err != nil {
			return nil, nil, fmt.Errorf("policy: %w", err)
		}
		for _, f := range files {
			add(f)
		}
		for _, r := range refusals {
			problems = append(problems, r.finding(workDir, "policy input"))
		}
	}
	slices.SortFunc(out, func(a, b source) int { return strings.Compare(a.display, b.display) })
	return out, problems, nil
}

func isRego(name string) bool { return strings.HasSuffix(name, ".rego") }

func regoDirSkipped(name string) bool {
	return strings.HasPrefix(name, ".") || name == "node_modules" || name == "vendor"
}

func isData(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".json" || ext == ".yaml" || ext == ".yml"
}

func dataDirSkipped(name string) bool { return strings.HasPrefix(name, ".") }

// refusal is a file below a policy or data path that is not read.
type refusal struct{ path, why string }

func (r refusal) finding(workDir, what string) lint.Finding {
	return lint.Finding{Rule: lint.PolicyErrorID, File: display(workDir, r.path), Line: 1, Column: 1,
		Message: fmt.Sprintf("%s: not read as %s", r.why, what),
		Fix:     "replace the symlink or special file with a regular file inside the directory"}
}

// walkInputs lists the files that want accepts under path (a directory, or
// a file taken as it is), in lexical order; follow says whether symlinked
// directories are walked too, as OPA's data loader does. The repository is
// untrusted, so a symlink that resolves outside path, a followed symlink
// back to a directory being walked, and anything that is not a regular file
// (a FIFO would block the read) are refused rather than read.
func walkInputs(path string, follow bool, skipDir, want func(name string) bool) ([]string, []refusal, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !st.IsDir() {
		if want(filepath.Base(path)) && !st.Mode().IsRegular() {
			return nil, []refusal{{path, "not a regular file"}}, nil
		}
		if !want(filepath.Base(path)) {
			return nil, nil, nil
		}
		return []string{path}, nil, nil
	}
	root, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, nil, err
	}
	w := &inputWalk{path: path, root: root, follow: follow, skipDir: skipDir, want: want, seen: map[string]bool{}}
	if err := w.dir(path, []string{root}); err != nil {
		return nil, nil, err
	}
	return w.files, w.refused, nil
}

type inputWalk struct {
	path          string // the walked directory
	root          string // path, symlinks resolved
	follow        bool
	skipDir, want func(name string) bool
	files         []string
	refused       []refusal
	seen          map[string]bool // refused entries, by resolved directory and name
}

// refuse reports the entry at (resolved) once, at its place below path,
// however many links lead to it.
func (w *inputWalk) refuse(at, why string) {
	if w.seen[at] {
		return
	}
	w.seen[at] = true
	f := at
	if rel, err := filepath.Rel(w.root, at); err == nil {
		f = filepath.Join(w.path, rel)
	}
	w.refused = append(w.refused, refusal{f, why})
}

// dir walks the directory p; stack holds the resolved directories from
// the root down to p's, so a followed symlink cannot loop.
func (w *inputWalk) dir(p string, stack []string) error {
	entries, err := os.ReadDir(p)
	if err != nil {
		return err
	}
	resolvedDir := stack[len(stack)-1]
	var linked [][2]string // path, resolved
	for _, e := range entries {
		f := filepath.Join(p, e.Name())
		typ, target := e.Type(), filepath.Join(resolvedDir, e.Name())
		if typ&fs.ModeSymlink != 0 {
			resolved, st := w.link(f, target)
			if st == nil {
				continue
			}
			if st.IsDir() {
				if w.follow && !w.skipDir(e.Name()) {
					linked = append(linked, [2]string{f, resolved})
				}
				continue
			}
			typ, target = st.Mode().Type(), resolved
		}
		switch {
		case typ.IsDir():
			if !w.skipDir(e.Name()) {
				if err := w.dir(f, append(stack, target)); err != nil {
					return err
				}
			}
		case !w.want(e.Name()):
		case typ.IsRegular():
			w.files = append(w.files, f)
		default:
			w.refuse(target, "not a regular file")
		}
	}
	for _, l := range linked {
		if slices.Contains(stack, l[1]) {
			w.refuse(filepath.Join(resolvedDir, filepath.Base(l[0])), "symlink loops back to a directory that contains it")
			continue
		}
		if err := w.dir(l[0], append(stack, l[1])); err != nil {
			return err
		}
	}
	return nil
}

// link resolves the symlink f (at target in the resolved tree): nil when
// it is dangling, never read, or refused for leading outside the root.
func (w *inputWalk) link(f, target string) (string, fs.FileInfo) {
	resolved, err := filepath.EvalSymlinks(f)
	if err != nil {
		return "", nil // dangling: nothing to read
	}
	st, err := os.Stat(resolved)
	if err != nil || (!st.IsDir() && !w.want(filepath.Base(f))) {
		return "", nil
	}
	if !insideDir(w.root, resolved) {
		w.refuse(target, "symlink resolves outside "+filepath.Base(w.path)+"/")
		return "", nil
	}
	return resolved, st
}

// insideDir reports whether p is dir or below it (both absolute and clean).
func insideDir(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && (rel == "." || filepath.IsLocal(rel))
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

var undefinedFunction = lazyre.New(`undefined function ([A-Za-z0-9_.]+)`)

func errorFinding(e *ast.Error, hint string) lint.Finding {
	f := lint.Finding{Rule: lint.PolicyErrorID, Line: 1, Column: 1, Message: e.Message + hint}
	if e.Code != "" {
		f.Message = e.Code + ": " + f.Message
	}
	if m := undefinedFunction().FindStringSubmatch(e.Message); len(m) > 1 && refused(m[1]) {
		f.Message = refusedWhy(m[1])
		f.Fix = refusedFix(m[1])
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
	var problems []lint.Finding
	for i, p := range paths {
		if !filepath.IsAbs(p) {
			p = filepath.Join(workDir, p)
		}
		_, refusals, err := walkInputs(p, true, dataDirSkipped, isData)
		if err != nil {
			return nil, nil, fmt.Errorf("policy data: %w", err)
		}
		for _, r := range refusals {
			problems = append(problems, r.finding(workDir, "policy data, so no policy runs"))
		}
		abs[i] = p
	}
	if len(problems) > 0 {
		return nil, problems, nil
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
			return dataDirSkipped(info.Name()) && info.Name() != "." && info.Name() != ".."
		}
		return !isData(info.Name()) || !info.Mode().IsRegular()
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
	srcs, problems, err := findRego(opts.Policies, workDir)
	if err != nil {
		return nil, nil, err
	}
	srcs = slices.DeleteFunc(srcs, func(s source) bool { return s.test })
	store, dproblems, err := loadData(opts.Data, workDir)
	problems = append(problems, dproblems...)
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
			if !ok || !ruleSet().MatchString(string(name)) {
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
