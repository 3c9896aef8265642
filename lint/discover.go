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
	var sources []source
	var units []*Unit
	seen := map[string]bool{}
	for _, arg := range cfg.Paths {
		abs, err := filepath.Abs(arg)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", arg, err)
		}
		st, err := os.Stat(abs)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", arg, unwrapPathError(err))
		}
		unit := &Unit{Name: displayPath(cfg.WorkDir, abs)}
		units = append(units, unit)
		add := func(p string) {
			if !seen[p] {
				seen[p] = true
				sources = append(sources, source{abs: p, display: displayPath(cfg.WorkDir, p), unit: unit})
			}
		}
		if !st.IsDir() {
			f, err := os.Open(abs)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", arg, unwrapPathError(err))
			}
			_ = f.Close()
			add(abs)
			continue
		}
		err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == abs {
					return err
				}
				add(p) // unreadable below the argument: decode turns it into a finding
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			name := d.Name()
			if d.IsDir() {
				if p != abs && (skipDirs[name] || strings.HasPrefix(name, ".")) {
					return fs.SkipDir
				}
				if p != abs && ignored(cfg, p) {
					return fs.SkipDir
				}
				return nil
			}
			if manifestExts[strings.ToLower(filepath.Ext(name))] && !isConfigFile(name) && !ignored(cfg, p) {
				add(p)
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", arg, unwrapPathError(err))
		}
	}
	slices.SortFunc(sources, func(a, b source) int { return strings.Compare(a.display, b.display) })
	return sources, units, nil
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
