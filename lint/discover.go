package lint

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// skipDirs are never walked into.
var skipDirs = map[string]bool{".git": true, "node_modules": true, "vendor": true}

// manifestExts are the files a directory walk picks up.
var manifestExts = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// source is one file to decode, in the unit of the path argument that found it.
type source struct {
	abs, display string
	unit         *Unit
}

// discover walks every path argument. A missing path or an unreadable file
// argument is an error (exit 2); anything wrong below a directory argument
// is a finding on that file.
func discover(cfg *Config) ([]source, []*Unit, error) {
	w := walker{cfg: cfg, seen: map[string]bool{}}
	var units []*Unit
	for _, arg := range cfg.Paths {
		unit, err := w.walkArg(arg)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", arg, unwrapPathError(err))
		}
		units = append(units, unit)
	}
	slices.SortFunc(w.sources, func(a, b source) int { return strings.Compare(a.display, b.display) })
	return w.sources, units, nil
}

type walker struct {
	cfg     *Config
	seen    map[string]bool
	sources []source
}

func (w *walker) add(p string, unit *Unit) {
	if !w.seen[p] {
		w.seen[p] = true
		w.sources = append(w.sources, source{abs: p, display: displayPath(w.cfg.WorkDir, p), unit: unit})
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
	unit := &Unit{Name: displayPath(w.cfg.WorkDir, abs)}
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
			if p != abs && (skipDirs[d.Name()] || strings.HasPrefix(d.Name(), ".") || ignored(w.cfg, p)) {
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
// any file or directory name.
func ignored(cfg *Config, abs string) bool {
	if len(cfg.Ignore) == 0 {
		return false
	}
	rel := displayPath(cfg.WorkDir, abs)
	base := filepath.Base(abs)
	for _, g := range cfg.Ignore {
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
