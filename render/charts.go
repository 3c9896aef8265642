package render

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/Masterminds/semver/v3"

	"github.com/oomlint/oomlint/internal/helmutil"

	"github.com/oomlint/oomlint/internal/charts"
	"github.com/oomlint/oomlint/lint"
)

// ChartLocator finds the charts that controller objects name by repository
// URL, name and version: in the repository's charts.search directories
// first (by name and a matching version), then in the chart cache. It never
// fetches; what it cannot find is reported once per chart version.
type ChartLocator struct {
	opt      Options
	mu       sync.Mutex
	reported map[charts.Ref]bool
	held     []*heldMiss // first misses, until Flush
	final    bool        // Flush was called: misses are reported at once
}

// heldMiss is the finding of a chart version's first miss, with the
// other objects that name the same version.
type heldMiss struct {
	ref    charts.Ref
	f      lint.Finding
	others []lint.Related
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

// Miss records that a controller object names a chart that is neither
// searched nor cached, with f the finding on that object. The first miss
// of a chart version is held, and every later one is added to its trace;
// Flush returns them. After Flush, a new chart version's miss is returned
// at once.
func (l *ChartLocator) Miss(ref charts.Ref, f lint.Finding) []lint.Finding {
	if l.opt.MissingChart != nil {
		l.opt.MissingChart(ref)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, h := range l.held {
		if h.ref == ref {
			h.others = append(h.others, lint.Related{File: f.File, Line: f.Line, Column: f.Column,
				Message: "names the same chart version too"})
			return nil
		}
	}
	if l.reported[ref] {
		return nil
	}
	l.reported[ref] = true
	if l.final {
		return []lint.Finding{f}
	}
	l.held = append(l.held, &heldMiss{ref: ref, f: f})
	return nil
}

// Flush returns the held misses, one finding per chart version with the
// other objects that name it, and reports later misses at once.
func (l *ChartLocator) Flush() []lint.Finding {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.final = true
	var out []lint.Finding
	for _, h := range l.held {
		f := h.f
		f.Related = append(append([]lint.Related{}, f.Related...), h.others...)
		out = append(out, f)
	}
	l.held = nil
	return out
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
			md, err := helmutil.LoadChartfile(filepath.Join(c, "Chart.yaml"))
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
