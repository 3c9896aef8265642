package appset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	sigsyaml "sigs.k8s.io/yaml"
)

// repoIndex lists the working tree once per Expand.
type repoIndex struct {
	root     string
	resolved string   // root with symbolic links resolved
	dirs     []string // as the repo server lists them: walk order, no "." and no dot directories
	files    []string // every file outside .git, sorted
}

func (x *expander) repoIndex() (*repoIndex, error) {
	if x.repo != nil {
		return x.repo, nil
	}
	root := filepath.Clean(x.opt.RepoRoot)
	idx := &repoIndex{root: root}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // an unreadable entry is not in the listing
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			if !hiddenPath(rel) {
				idx.dirs = append(idx.dirs, rel)
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if !regularFile(p) {
				return nil // a link to a directory or to nothing
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		idx.files = append(idx.files, rel)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(idx.files)
	if idx.resolved, err = filepath.EvalSymlinks(root); err != nil {
		return nil, err
	}
	x.repo = idx
	return idx, nil
}

// hiddenPath reports whether a directory is under a directory whose name
// starts with a dot: the repo server does not list those.
func hiddenPath(rel string) bool {
	for s := range strings.SplitSeq(rel, "/") {
		if strings.HasPrefix(s, ".") {
			return true
		}
	}
	return false
}

// errOutside is a symbolic link that leaves the repository.
var errOutside = errors.New("link points outside the repository")

// readObjects reads a git generator file: one map, or a list of maps.
func (idx *repoIndex) readObjects(rel string) ([]map[string]any, error) {
	p := filepath.Join(idx.root, filepath.FromSlash(rel))
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, err
	}
	if r, err := filepath.Rel(idx.resolved, resolved); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return nil, errOutside
	}
	if st, err := os.Stat(resolved); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", rel) // a named pipe would block the run
	}
	data, err := os.ReadFile(resolved)
	if err != nil {
		return nil, err
	}
	// Parse as the controller does: an object first, then a list of objects.
	obj := map[string]any{}
	if err := sigsyaml.Unmarshal(data, &obj); err == nil {
		return []map[string]any{obj}, nil
	}
	var objs []map[string]any
	if err := sigsyaml.Unmarshal(data, &objs); err != nil {
		return nil, err
	}
	return objs, nil
}

// matchFile matches a git files generator path against a repository file.
func (x *expander) matchFile(pattern, file string) bool {
	if x.opt.NewGitFileGlobbing {
		ok, err := doublestar.Match(path.Clean(pattern), file)
		return err == nil && ok
	}
	return pathspecMatch(pattern, file)
}

// pathspecMatch matches like `git ls-files -- pattern`: a pattern without
// wildcards names a file or a directory prefix; otherwise it is an fnmatch
// pattern whose * and ? also match '/'.
func pathspecMatch(pattern, file string) bool {
	pattern = strings.TrimPrefix(pattern, "./")
	if !strings.ContainsAny(pattern, `*?[\`) {
		if pattern == "" || pattern == "." {
			return true
		}
		if strings.HasSuffix(pattern, "/") {
			return strings.HasPrefix(file, pattern)
		}
		return file == pattern || strings.HasPrefix(file, pattern+"/")
	}
	return wildmatch(pattern, file)
}

// wildmatch is git's wildmatch without WM_PATHNAME: * matches any run of
// characters, / included.
//
//nolint:gocognit // follows Argo CD's own algorithm step by step
func wildmatch(p, s string) bool {
	starP, starS := -1, 0
	i, j := 0, 0
	for j < len(s) {
		if i < len(p) {
			switch p[i] {
			case '*':
				for i < len(p) && p[i] == '*' {
					i++
				}
				starP, starS = i, j
				continue
			case '?':
				i++
				j++
				continue
			case '[':
				if n, ok, valid := matchClass(p[i:], s[j]); valid {
					if ok {
						i += n
						j++
						continue
					}
					goto backtrack
				}
				// An unclosed [ is a literal.
			case '\\':
				if i+1 < len(p) {
					if p[i+1] == s[j] {
						i += 2
						j++
						continue
					}
					goto backtrack
				}
			}
			if p[i] == s[j] {
				i++
				j++
				continue
			}
		}
	backtrack:
		if starP < 0 {
			return false
		}
		starS++
		i, j = starP, starS
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}

// matchClass matches c against the bracket expression at the start of p. It
// returns the expression's length, whether c matched, and whether the
// expression was well formed.
func matchClass(p string, c byte) (int, bool, bool) {
	i := 1
	negate := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		negate = true
		i++
	}
	matched := false
	first := true
	for i < len(p) {
		if p[i] == ']' && !first {
			return i + 1, matched != negate, true
		}
		first = false
		if strings.HasPrefix(p[i:], "[:") {
			if end := strings.Index(p[i+2:], ":]"); end >= 0 {
				if posixClass(p[i+2:i+2+end], c) {
					matched = true
				}
				i += end + 4
				continue
			}
		}
		lo := p[i]
		if lo == '\\' && i+1 < len(p) {
			i++
			lo = p[i]
		}
		i++
		hi := lo
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			hi = p[i+1]
			if hi == '\\' && i+2 < len(p) {
				hi = p[i+2]
				i++
			}
			i += 2
		}
		if lo <= c && c <= hi {
			matched = true
		}
	}
	return 0, false, false
}

func posixClass(name string, c byte) bool {
	isAlpha := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
	isDigit := '0' <= c && c <= '9'
	switch name {
	case "alpha":
		return isAlpha
	case "digit":
		return isDigit
	case "alnum":
		return isAlpha || isDigit
	case "lower":
		return 'a' <= c && c <= 'z'
	case "upper":
		return 'A' <= c && c <= 'Z'
	case "space":
		return strings.IndexByte(" \t\n\r\v\f", c) >= 0
	case "blank":
		return c == ' ' || c == '\t'
	case "xdigit":
		return isDigit || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
	case "punct":
		return c > ' ' && c < 0x7f && !isAlpha && !isDigit
	}
	return false
}

// regularFile reports whether p, through its symlinks, is a regular file.
func regularFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
