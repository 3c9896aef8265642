package render

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/oomlint/oomlint/internal/charts"
)

// ChartLocator finds the charts that controller objects name by repository
// URL, name and version: in the repository's charts.search directories
// first (by name and a matching version), then in the chart cache. It never
// fetches; what it cannot find is reported once per chart version.
type ChartLocator struct {
	opt      Options
	mu       sync.Mutex
	reported map[charts.Ref]bool
}

// NewChartLocator returns a locator over opt's search directories and cache.
func NewChartLocator(opt Options) *ChartLocator {
	return &ChartLocator{opt: opt, reported: map[charts.Ref]bool{}}
}

// Chart is a located chart: a directory in the repository or an archive.
type Chart struct {
	Dir, Archive, Version string
}

// Find locates ref.
func (l *ChartLocator) Find(ref charts.Ref) (Chart, bool) {
	if dir, v, ok := l.search(ref); ok {
		return Chart{Dir: dir, Version: v}, true
	}
	if l.opt.ChartCache != "" {
		if p, v, ok := (charts.Cache{Dir: l.opt.ChartCache}).Find(ref); ok {
			return Chart{Archive: p, Version: v}, true
		}
	}
	return Chart{}, false
}

// FirstMiss reports whether a missing chart has not been reported yet in
// this run, and marks it reported: one finding per chart version, not one
// per release.
func (l *ChartLocator) FirstMiss(ref charts.Ref) bool {
	if l.opt.MissingChart != nil {
		l.opt.MissingChart(ref)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.reported[ref] {
		return false
	}
	l.reported[ref] = true
	return true
}

// Missing is the message and fix of a chart neither searched nor cached.
func (l *ChartLocator) Missing(ref charts.Ref) (msg, fix string) {
	msg = fmt.Sprintf("chart %s is neither in the repository (charts.search) nor in the chart cache; oomlint never downloads during lint, so what it deploys is not linted", ref)
	fix = "run `oomlint charts pull` once (it fetches every chart the repository references into the cache), or vendor the chart and list its directory under charts.search"
	return msg, fix
}

// search finds a chart directory named ref.Chart with a version meeting
// ref.Version in the search directories: the highest such version.
func (l *ChartLocator) search(ref charts.Ref) (dir, version string, ok bool) {
	var best *semver.Version
	for _, root := range l.opt.ChartSearch {
		entries, _ := os.ReadDir(root)
		cands := []string{root}
		for _, e := range entries {
			if e.IsDir() {
				cands = append(cands, filepath.Join(root, e.Name()))
			}
		}
		for _, c := range cands {
			md, err := chartutil.LoadChartfile(filepath.Join(c, "Chart.yaml"))
			if err != nil || md.Name != ref.Chart {
				continue
			}
			v, err := semver.NewVersion(md.Version)
			if err != nil || !meets(v, md.Version, ref.Version) {
				continue
			}
			if best == nil || v.GreaterThan(best) {
				best, dir, version, ok = v, c, md.Version, true
			}
		}
	}
	return dir, version, ok
}

// meets reports whether a chart version satisfies a version or constraint
// ("" and "*" are any).
func meets(v *semver.Version, raw, want string) bool {
	if want == "" || want == "*" || want == raw {
		return true
	}
	c, err := semver.NewConstraint(want)
	if err != nil {
		return false
	}
	return c.Check(v)
}
