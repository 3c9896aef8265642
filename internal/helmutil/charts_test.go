package helmutil

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
)

// testCharts lists the charts in the helm module's test data: directories
// with a Chart.yaml and chart archives.
func testCharts(t *testing.T) []string {
	t.Helper()
	root := helmDir(t)
	var charts []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !strings.Contains(filepath.ToSlash(p), "/testdata/") {
			return nil
		}
		switch {
		case d.IsDir():
			if fileExists(filepath.Join(p, "Chart.yaml")) {
				charts = append(charts, p)
			}
		case strings.HasSuffix(p, ".tgz") || strings.HasSuffix(p, ".tar.gz"):
			charts = append(charts, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return charts
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// valueSets are the user values each test chart is rendered with: none,
// each dependency condition and tag switched off and on, every top-level
// chart value nulled, every top-level value replaced by one of the other
// type, and globals.
func valueSets(ch *chart.Chart) map[string]map[string]any {
	sets := map[string]map[string]any{"nil": nil, "empty": {}}
	off, on, tagsOff, tagsOn := map[string]any{}, map[string]any{}, map[string]any{}, map[string]any{}
	mixed := map[string]any{}
	for i, d := range ch.Metadata.Dependencies {
		for c := range strings.SplitSeq(d.Condition, ",") {
			if c = strings.TrimSpace(c); c != "" {
				setPath(off, c, false)
				setPath(on, c, true)
				setPath(mixed, c, i%2 == 0)
			}
		}
		for _, tag := range d.Tags {
			setPath(tagsOff, "tags."+tag, false)
			setPath(tagsOn, "tags."+tag, true)
			setPath(mixed, "tags."+tag, i%2 == 1)
		}
		if d.Alias != "" {
			setPath(mixed, d.Alias+".enabled", false)
		}
	}
	sets["conditions-off"], sets["conditions-on"], sets["tags-off"], sets["tags-on"], sets["mixed"] = off, on, tagsOff, tagsOn, mixed
	nulls, swapped := map[string]any{}, map[string]any{}
	for k, v := range ch.Values {
		nulls[k] = nil
		if _, ok := v.(map[string]any); ok {
			swapped[k] = "scalar"
		} else {
			swapped[k] = map[string]any{"table": true}
		}
	}
	for _, d := range ch.Dependencies() {
		swapped[d.Name()] = map[string]any{"global": "not a table", "extra": 1}
	}
	sets["nulls"], sets["swapped"] = nulls, swapped
	sets["globals"] = map[string]any{
		"global": map[string]any{"image": map[string]any{"tag": "v9", "registry": nil}, "name": "g", "n": nil},
		"extra":  map[string]any{"a": []any{1, "b"}, "c": nil},
	}
	return sets
}

// chartKey identifies a chart by the content of its files and of its
// subcharts' files.
func chartKey(ch *chart.Chart) [32]byte {
	h := sha256.New()
	var add func(*chart.Chart)
	add = func(c *chart.Chart) {
		for _, f := range c.Raw {
			fmt.Fprintf(h, "%s\x00%d\x00", f.Name, len(f.Data))
			h.Write(f.Data)
		}
		for _, d := range c.Dependencies() {
			fmt.Fprintf(h, "dep\x00%s\x00", d.Name())
			add(d)
		}
	}
	add(ch)
	return [32]byte(h.Sum(nil))
}

// setPath sets a dotted path in m, making the tables on the way.
func setPath(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

func TestChartsMatchHelm(t *testing.T) {
	charts := testCharts(t)
	if len(charts) < 100 {
		t.Fatalf("only %d test charts found", len(charts))
	}
	var loaded, rendered, sorted int
	seen := map[[32]byte]bool{}
	for _, path := range charts {
		name, _ := filepath.Rel(helmDir(t), path)
		var probe *chart.Chart
		var err error
		captureLog(func() { probe, err = loader.Load(path) })
		if err != nil {
			continue // helm cannot load it either
		}
		sortDependencies(probe)
		k := chartKey(probe)
		if seen[k] {
			continue // the same chart in another test directory, or archived
		}
		seen[k] = true
		loaded++
		sets := valueSets(probe)
		var done []map[string]any
		for _, setName := range slices.Sorted(maps.Keys(sets)) {
			if slices.ContainsFunc(done, func(m map[string]any) bool { return reflect.DeepEqual(m, sets[setName]) }) {
				continue
			}
			done = append(done, sets[setName])
			for _, merge := range []bool{true, false} {
				r, s := compareChart(t, name+" "+setName, path, sets[setName], merge)
				if r {
					rendered++
				}
				if s {
					sorted++
				}
			}
		}
	}
	t.Logf("%d charts loaded of %d, %d value sets rendered, %d sorted", loaded, len(charts), rendered, sorted)
	if loaded < 100 || rendered < 500 || sorted < 200 {
		t.Errorf("too few charts compared: %d loaded, %d rendered, %d sorted", loaded, rendered, sorted)
	}
}

// compareChart processes the dependencies of the chart at path, coalesces
// and validates its values into render values, and sorts what helm's engine
// renders from them, with helm's packages and with this one, and compares
// each step. It reports whether the values were rendered and the output
// sorted.
func compareChart(t *testing.T, name, path string, vals map[string]any, merge bool) (rendered, sorted bool) {
	t.Helper()
	hch, och := loadChart(t, path), loadChart(t, path)
	hvals, ovals := deepCopy(t, vals), deepCopy(t, vals)

	var herr, oerr error
	process, processHelm := ProcessDependenciesWithMerge, chartutil.ProcessDependenciesWithMerge
	if !merge {
		process, processHelm = ProcessDependencies, chartutil.ProcessDependencies
		name += " (no merge)"
	}
	hlog := captureLog(func() { herr = processHelm(hch, hvals) })
	olog := captureLog(func() { oerr = process(och, ovals) })
	sameStrings(t, name+": ProcessDependencies errors", errString(herr), errString(oerr))
	sameStrings(t, name+": ProcessDependencies log", hlog, olog)
	sameCharts(t, name, hch, och)
	sameValues(t, name+": values after ProcessDependencies", hvals, ovals)
	if herr != nil || t.Failed() {
		return false, false
	}

	hcaps, ocaps := chartutil.DefaultCapabilities.Copy(), DefaultCapabilities.Copy()
	for _, skip := range []bool{true, false} {
		opts := ReleaseOptions{Name: "rel", Namespace: "ns", Revision: 1, IsInstall: true}
		var htop chartutil.Values
		var otop Values
		hlog = captureLog(func() {
			htop, herr = chartutil.ToRenderValuesWithSchemaValidation(hch, hvals, chartutil.ReleaseOptions(opts), hcaps, skip)
		})
		olog = captureLog(func() { otop, oerr = ToRenderValuesWithSchemaValidation(och, ovals, opts, ocaps, skip) })
		// Schema errors come in map order: compare their lines sorted.
		sameStrings(t, name+": ToRenderValues errors", sortedLines(errString(herr)), sortedLines(errString(oerr)))
		sameStrings(t, name+": ToRenderValues log", hlog, olog)
		sameTop(t, name, htop, otop)
		sameCharts(t, name+" after ToRenderValues", hch, och)
	}
	if herr != nil || t.Failed() {
		return false, false
	}
	// The top-level function with the default capabilities.
	var htop chartutil.Values
	var otop Values
	hlog = captureLog(func() { htop, herr = chartutil.ToRenderValues(hch, hvals, chartutil.ReleaseOptions{Name: "r"}, nil) })
	olog = captureLog(func() { otop, oerr = ToRenderValues(och, ovals, ReleaseOptions{Name: "r"}, nil) })
	sameStrings(t, name+": ToRenderValues (nil capabilities) errors", errString(herr), errString(oerr))
	sameStrings(t, name+": ToRenderValues (nil capabilities) log", hlog, olog)
	sameTop(t, name+" (nil capabilities)", htop, otop)

	var files map[string]string
	var err error
	captureLog(func() { files, err = engine.Render(hch, htop) })
	if err != nil {
		return true, false
	}
	for f := range files {
		if strings.HasSuffix(f, "NOTES.txt") {
			delete(files, f)
		}
	}
	var (
		hh   []*release.Hook
		hm   []releaseutil.Manifest
		oh   []*Hook
		om   []Manifest
		serr error
	)
	hlog = captureLog(func() {
		hh, hm, herr = releaseutil.SortManifests(deepCopy(t, files), hcaps.APIVersions, releaseutil.InstallOrder)
	})
	olog = captureLog(func() { oh, om, serr = SortManifests(deepCopy(t, files), ocaps.APIVersions, InstallOrder) })
	sameStrings(t, name+": SortManifests log", hlog, olog)
	sameSorted(t, hh, hm, herr, oh, om, serr)
	return true, true
}

// loadChart loads a chart with helm's loader, with the dependencies at each
// level in name order: the loader adds the subcharts of charts/ in map
// order.
func loadChart(t *testing.T, path string) *chart.Chart {
	t.Helper()
	var ch *chart.Chart
	var err error
	captureLog(func() { ch, err = loader.Load(path) })
	if err != nil {
		t.Fatal(err)
	}
	sortDependencies(ch)
	return ch
}

func sortDependencies(ch *chart.Chart) {
	deps := slices.Clone(ch.Dependencies())
	slices.SortStableFunc(deps, func(a, b *chart.Chart) int {
		return strings.Compare(a.Name()+" "+a.Metadata.Version, b.Name()+" "+b.Metadata.Version)
	})
	ch.SetDependencies(deps...)
	for _, d := range deps {
		sortDependencies(d)
	}
}

func sortedLines(s string) []string {
	lines := strings.Split(s, "\n")
	slices.Sort(lines)
	return lines
}

// sameTop compares the render values of helm and of this package.
func sameTop(t *testing.T, name string, helm chartutil.Values, ours Values) {
	t.Helper()
	if len(helm) != len(ours) {
		t.Errorf("%s: render values have keys %v with helm, %v with ours", name, slices.Sorted(maps.Keys(helm)), slices.Sorted(maps.Keys(ours)))
		return
	}
	for k, hv := range helm {
		ov, ok := ours[k]
		if !ok {
			t.Errorf("%s: render values lack %s", name, k)
			continue
		}
		switch k {
		case "Capabilities":
			sameCapabilities(t, hv.(*chartutil.Capabilities), ov.(*Capabilities))
		case "Chart":
			if !reflect.DeepEqual(hv, ov) {
				t.Errorf("%s: Chart: helm %v, ours %v", name, hv, ov)
			}
		default:
			sameValues(t, name+": render values "+k, hv, ov)
		}
	}
	if _, ok := ours["Values"]; ok {
		if _, ok := ours["Values"].(Values); !ok {
			t.Errorf("%s: .Values is a %T", name, ours["Values"])
		}
	}
}
