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
func discover(cfg *Config) ([]source, []*Unit, map[string][]string, error) {
	w := walker{cfg: cfg, seen: map[string]bool{}, roots: map[string][]string{}}
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
	return w.sources, units, w.roots, nil
}

type walker struct {
	cfg     *Config
	seen    map[string]bool
	sources []source
	roots   map[string][]string // root directories by renderer name, for their planners
}

// root records dir when it is a root of a file planner (a Chart.yaml, a
// kustomization.yaml); an opaque root's directory (a chart's) is not walked
// further: its charts/ are its dependencies.
func (w *walker) root(dir string) (skip bool) {
	has := func(names []string) bool {
		return slices.ContainsFunc(names, func(n string) bool {
			st, err := os.Stat(filepath.Join(dir, n))
			return err == nil && !st.IsDir()
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
			if w.root(p) {
				return fs.SkipDir
			}
			return nil
		}
		if manifestExts[strings.ToLower(filepath.Ext(d.Name()))] && !isConfigFile(d.Name()) && !ignored(w.cfg, p) {
			w.add(p, unit)
		}
		return nil
	})
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
