package lint

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"
)

// skipDirs are never walked into.
var skipDirs = map[string]bool{".git": true, "node_modules": true, "vendor": true}

// testDirs hold test fixtures, often broken on purpose: not walked into,
// unless the path argument is one of them or inside one.
var testDirs = map[string]bool{"testdata": true}

// manifestExts are the files a directory walk picks up.
var manifestExts = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// StdinName is how findings name standard input (the path argument "-").
const StdinName = "<stdin>"

// stdinFiles are the files holding standard input, by absolute path.
var stdinFiles sync.Map

// MarkStdin says the file at path holds what was read from standard input:
// findings in it and its unit name it StdinName. forget undoes it.
func MarkStdin(path string) (forget func()) {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	stdinFiles.Store(abs, true)
	return func() { stdinFiles.Delete(abs) }
}

func isStdin(abs string) bool {
	_, ok := stdinFiles.Load(abs)
	return ok
}

// source is one file to decode, in the unit of the path argument that found it.
type source struct {
	abs, display string
	unit         *Unit
}

// discover walks every path argument. A missing path or an unreadable file
// argument is an error (exit 2); anything wrong below a directory argument
// is a finding on that file.
//
// The repository is untrusted: a symlink that resolves outside its root
// (Config.Root) and anything that is not a regular file (a FIFO would
// block the read forever, a device never ends) is not read but reported,
// as a warning in cfg.Extra.
func discover(cfg *Config) ([]source, []*Unit, map[string][]string, error) {
	w := walker{cfg: cfg, seen: map[string]bool{}, roots: map[string][]string{}, base: cfg.Root}
	if w.base == "" {
		w.base = gitRoot(cfg.WorkDir)
	}
	var units []*Unit
	for _, arg := range cfg.Paths {
		unit, err := w.walkArg(arg)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", arg, unwrapPathError(err))
		}
		units = append(units, unit)
	}
	slices.SortFunc(w.sources, func(a, b source) int { return strings.Compare(a.display, b.display) })
	for k := range w.roots {
		slices.Sort(w.roots[k])
		w.roots[k] = slices.Compact(w.roots[k])
	}
	// Clipped: the caller's Extra must not see these through a shared array.
	cfg.Extra = append(slices.Clip(cfg.Extra), w.problems...)
	return w.sources, units, w.roots, nil
}

type walker struct {
	cfg      *Config
	seen     map[string]bool
	sources  []source
	roots    map[string][]string // root directories by renderer name, for their planners
	base     string              // the repository root, as given
	root     string              // the root of the argument being walked, symlinks resolved
	problems []Finding           // files not read
}

// planRoot records dir when it is a root of a file planner (a Chart.yaml, a
// kustomization.yaml); an opaque root's directory (a chart's) is not walked
// further: its charts/ are its dependencies.
func (w *walker) planRoot(dir string) (skip bool) {
	has := func(names []string) bool {
		return slices.ContainsFunc(names, func(n string) bool {
			// Only a regular file, or a link to one inside the root,
			// makes a root; the walk reports any other as a file.
			p := filepath.Join(dir, n)
			st, err := os.Lstat(p)
			if err == nil && st.Mode()&fs.ModeSymlink != 0 {
				if msg, _ := w.unreadable(p); msg != "" {
					return false
				}
				st, err = os.Stat(p)
			}
			return err == nil && st.Mode().IsRegular()
		})
	}
	for _, r := range w.cfg.Renderers {
		fp, ok := r.(FilePlanner)
		if !ok || !has(fp.RootFiles()) {
			continue
		}
		w.roots[r.Name()] = append(w.roots[r.Name()], dir)
		if fp.Opaque() {
			return true
		}
	}
	return false
}

func (w *walker) add(p string, unit *Unit) {
	if !w.seen[p] {
		w.seen[p] = true
		display := displayPath(w.cfg.WorkDir, p)
		if isStdin(p) {
			display = StdinName
		}
		w.sources = append(w.sources, source{abs: p, display: display, unit: unit})
	}
}

func (w *walker) walkArg(arg string) (*Unit, error) {
	abs, err := filepath.Abs(arg)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	unit := &Unit{Name: displayPath(w.cfg.WorkDir, abs), Kind: PlainUnit, Dir: abs}
	if isStdin(abs) {
		unit.Name, unit.Dir = StdinName, w.cfg.WorkDir
	}
	if !w.enter(abs, st.IsDir()) {
		return unit, nil
	}
	inTests := slices.ContainsFunc(strings.Split(filepath.ToSlash(abs), "/"), func(s string) bool { return testDirs[s] })
	if !st.IsDir() {
		f, err := os.Open(abs)
		if err != nil {
			return nil, err
		}
		_ = f.Close()
		w.add(abs, unit)
		return unit, nil
	}
	return unit, filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil && p == abs:
			return err
		case err != nil:
			w.add(p, unit) // unreadable below the argument: decode turns it into a finding
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		case d.IsDir():
			if p != abs && (skipDirs[d.Name()] || (testDirs[d.Name()] && !inTests) || strings.HasPrefix(d.Name(), ".") || ignored(w.cfg, p)) {
				return fs.SkipDir
			}
			if w.planRoot(p) {
				return fs.SkipDir
			}
			return nil
		}
		if manifestExts[strings.ToLower(filepath.Ext(d.Name()))] && !isConfigFile(d.Name()) && !ignored(w.cfg, p) {
			w.file(p, d, unit)
		}
		return nil
	})
}

// enter sets the root for the argument abs and says whether to read it. A
// path outside the repository is the user's own choice: it is its own
// root (its git work tree, else itself). One inside is held to the
// repository, so a symlinked argument cannot lead elsewhere: it is
// reported, not read.
func (w *walker) enter(abs string, isDir bool) bool {
	if !insideDir(filepath.Clean(w.base), abs) {
		dir := abs
		if !isDir {
			dir = filepath.Dir(abs)
		}
		w.root = resolvePath(gitRoot(dir))
		return true
	}
	w.root = resolvePath(w.base)
	msg, fix := w.unreadable(abs)
	if msg == "" && !insideDir(w.root, resolvePath(abs)) {
		msg, fix = outsideMessage, outsideFix
	}
	if msg != "" {
		w.skip(abs, msg, fix)
		return false
	}
	return true
}

// file adds a manifest the walk met, unless it is not safe to read: a
// symlink to a directory is skipped (the walk never follows them), one
// that leads outside the root or to a special file is reported.
func (w *walker) file(p string, d fs.DirEntry, unit *Unit) {
	if d.Type().IsRegular() {
		w.add(p, unit)
		return
	}
	if d.Type()&fs.ModeSymlink != 0 {
		if st, err := os.Stat(p); err == nil && st.IsDir() && insideDir(w.root, resolvePath(p)) {
			return
		}
	}
	if msg, fix := w.unreadable(p); msg != "" {
		w.skip(p, msg, fix)
		return
	}
	w.add(p, unit) // a dangling symlink: decode reports what reading says
}

// unreadable is unreadable(p) in the root of the argument being walked.
func (w *walker) unreadable(p string) (msg, fix string) {
	return unreadable(p, w.root)
}

func (w *walker) skip(p, msg, fix string) {
	if w.seen[p] {
		return
	}
	w.seen[p] = true
	w.problems = append(w.problems, Finding{Rule: ParseErrorID, Severity: Warning, File: displayPath(w.cfg.WorkDir, p),
		Line: 1, Column: 1, Message: msg, Fix: fix})
}

// unreadable says why p, in the repository at root (symlinks resolved),
// must not be read: a symlink that resolves outside root, or something
// other than a regular file or a directory. "" when p may be read, or does
// not resolve (reading it then fails on its own).
func unreadable(p, root string) (msg, fix string) {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	lst, err := os.Lstat(p)
	if err != nil {
		return "", ""
	}
	if lst.Mode()&fs.ModeSymlink != 0 {
		resolved, err := filepath.EvalSymlinks(p)
		if err != nil {
			return "", ""
		}
		if !insideDir(root, resolved) {
			return outsideMessage, outsideFix
		}
		if lst, err = os.Stat(resolved); err != nil {
			return "", ""
		}
	}
	if m := lst.Mode(); !m.IsRegular() && !m.IsDir() {
		return fmt.Sprintf("%s, not a regular file; not read (oomlint reads only regular files)", specialKind(m)),
			"remove it from the repository, or list it under ignore: in .oomlint.yaml"
	}
	return "", ""
}

// readConfined reads p, a file a finding names, as ReadRepoFile does in
// the run's repository.
func readConfined(cfg *Config, p string) ([]byte, error) {
	root := cfg.Root
	if root == "" {
		root = gitRoot(cfg.WorkDir)
	}
	return ReadRepoFile(root, p)
}

// What a symlink out of the repository gets.
const (
	outsideMessage = "symlink resolves outside the repository root; not read"
	outsideFix     = "replace the symlink with the file it points to, or lint that file by naming it on the command line"
)

// specialKind names what a file that is not regular is.
func specialKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	}
	return "a special file"
}

// resolvePath is p, made absolute, with every symlink resolved; when p
// does not exist, its deepest existing ancestor is resolved and the rest
// kept as written.
func resolvePath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	rest := ""
	for d := p; ; d = filepath.Dir(d) {
		if r, err := filepath.EvalSymlinks(d); err == nil {
			return filepath.Join(r, rest)
		}
		if filepath.Dir(d) == d {
			return p
		}
		rest = filepath.Join(filepath.Base(d), rest)
	}
}

// insideDir reports whether p is dir or below it (both absolute and clean).
func insideDir(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && (rel == "." || filepath.IsLocal(rel))
}

// gitRoot is the enclosing git work tree of dir (a .git directory or, in
// worktrees and submodules, a .git file), else dir itself.
func gitRoot(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return abs
		}
	}
}

func isConfigFile(name string) bool { return slices.Contains(ConfigFileNames, name) }

// ignored matches a path against the ignore globs: a glob with a slash
// matches the path relative to the working directory, one without matches
// any file or directory name, and an absolute path matches that file or
// directory only (the baseline file, which is never a manifest).
func ignored(cfg *Config, abs string) bool {
	if len(cfg.Ignore) == 0 {
		return false
	}
	rel := displayPath(cfg.WorkDir, abs)
	base := filepath.Base(abs)
	for _, g := range cfg.Ignore {
		if filepath.IsAbs(g) {
			if filepath.Clean(g) == abs {
				return true
			}
			continue
		}
		g = strings.TrimPrefix(g, "./")
		if strings.Contains(strings.TrimSuffix(g, "/"), "/") {
			if ok, _ := doublestar.Match(strings.TrimSuffix(g, "/"), rel); ok {
				return true
			}
			continue
		}
		if ok, _ := doublestar.Match(strings.TrimSuffix(g, "/"), base); ok {
			return true
		}
	}
	return false
}

// displayPath is p relative to the working directory, with /.
func displayPath(workDir, p string) string {
	if rel, err := filepath.Rel(workDir, p); err == nil {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
}
