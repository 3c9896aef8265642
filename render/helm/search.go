package helm

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/Masterminds/semver/v3"
)

// searchIndex is what each charts.search directory holds, read once per
// run: every chart that depends on a shared library would otherwise read
// the Chart.yaml of every chart beside it (quadratic in a collection).
type searchIndex struct {
	mu   sync.Mutex
	dirs map[string][]searchChart
}

// searchChart is one chart of a search directory.
type searchChart struct {
	path    string // as found: the directory itself, or a folder in it
	name    string
	version *semver.Version
}

// charts lists the charts of search directory s: s itself and each folder
// in it, in directory order. A candidate that resolves outside roots is
// refused before its Chart.yaml is read.
func (x *searchIndex) charts(s string, roots []string) []searchChart {
	x.mu.Lock()
	defer x.mu.Unlock()
	if cs, ok := x.dirs[s]; ok {
		return cs
	}
	cands := []string{s}
	entries, _ := os.ReadDir(s)
	for _, e := range entries {
		if e.IsDir() || e.Type()&os.ModeSymlink != 0 { // a linked folder resolves below
			cands = append(cands, filepath.Join(s, e.Name()))
		}
	}
	var out []searchChart
	for _, p := range cands {
		resolved, err := filepath.EvalSymlinks(p)
		if err != nil || !inRoots(roots, resolved) {
			continue
		}
		m, err := loadChartfile(filepath.Join(p, "Chart.yaml"))
		if err != nil || m.Name == "" {
			continue
		}
		v, err := semver.NewVersion(m.Version)
		if err != nil {
			v = semver.New(0, 0, 0, "", "") // as chartVersion: not semver reads as 0.0.0
		}
		out = append(out, searchChart{path: p, name: m.Name, version: v})
	}
	if x.dirs == nil {
		x.dirs = map[string][]searchChart{}
	}
	x.dirs[s] = out
	return out
}
