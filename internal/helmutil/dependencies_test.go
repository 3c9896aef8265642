package helmutil

import (
	"fmt"
	"testing"

	"github.com/mitchellh/copystructure"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
)

// dependentChart builds a chart whose dependencies use aliases, conditions,
// tags, import-values in both forms (with null values exported), a version
// that no subchart matches, a subchart that Chart.yaml does not list, and a
// second level with its own import-values.
func dependentChart() *chart.Chart {
	grandchild := &chart.Chart{
		Metadata: &chart.Metadata{Name: "grandchild", Version: "0.1.0"},
		Values: map[string]any{
			"exports": map[string]any{"deep": map[string]any{"g": "grandchild", "gnull": nil}},
			"gvalue":  map[string]any{"x": 1},
			"enabled": true,
		},
	}
	child := &chart.Chart{
		Metadata: &chart.Metadata{
			Name: "child", Version: "1.2.3",
			Dependencies: []*chart.Dependency{
				{Name: "grandchild", Version: "~0.1", Condition: "grandchild.enabled", ImportValues: []any{"deep", map[string]any{"child": "gvalue", "parent": "fromgrand"}}},
			},
		},
		Values: map[string]any{
			"enabled": true,
			"exports": map[string]any{
				"data":  map[string]any{"a": 1, "n": nil, "nested": map[string]any{"b": 2, "m": nil}},
				"data2": map[string]any{"n": "from data2", "nested": map[string]any{"m": "from data2"}},
			},
			"config": map[string]any{"k": "v", "z": nil, "t": map[string]any{"u": nil}, "n": "from config"},
			"list":   []any{1, 2},
			"global": map[string]any{"fromchild": true},
		},
	}
	child.AddDependency(grandchild)
	other := &chart.Chart{Metadata: &chart.Metadata{Name: "other", Version: "2.0.0"}, Values: map[string]any{"o": 1}}
	// A subchart without dependencies keeps the nulls of its values until
	// the parent imports them.
	leaf := &chart.Chart{
		Metadata: &chart.Metadata{Name: "leaf", Version: "0.3.0"},
		Values:   deepCopyValues(child.Values),
	}
	unlisted := &chart.Chart{Metadata: &chart.Metadata{Name: "unlisted", Version: "0.0.1"}, Values: map[string]any{"u": true}}
	parent := &chart.Chart{
		Metadata: &chart.Metadata{
			Name: "parent", Version: "1.0.0",
			Dependencies: []*chart.Dependency{
				{Name: "child", Version: ">=1.0.0", Alias: "c1", Condition: "c1.enabled,global.c1", Tags: []string{"front"},
					ImportValues: []any{
						"data", "data2", map[string]any{"child": "config", "parent": "imported"}, map[string]any{"child": "missing", "parent": "x"}, "nosuchexport",
					}},
				{Name: "child", Version: ">=1.0.0", Alias: "c2", Condition: "c2.enabled", Tags: []string{"back", "front"},
					ImportValues: []any{"data", map[string]any{"child": "config", "parent": "."}, map[string]any{"child": "list", "parent": "l"}}},
				{Name: "child", Version: "^9", Alias: "c9"},
				{Name: "other", Version: "2.0.0", Condition: "other.on", Tags: []string{"back"}},
				{Name: "leaf", Version: "*", Condition: "leaf.enabled", ImportValues: []any{
					"data", "data2", map[string]any{"child": "config", "parent": "."}, map[string]any{"child": "config", "parent": "cfg.deeper"},
					map[string]any{"child": "exports.data", "parent": "viamap"}, map[string]any{"child": "config", "parent": "viamap"},
				}},
			},
		},
		Values: map[string]any{
			"imported": map[string]any{"k": "parent wins", "z": "parent z"},
			"data":     map[string]any{"a": "parent a"},
			"c2":       map[string]any{"enabled": false},
			"other":    map[string]any{"on": "not a bool"},
		},
	}
	parent.AddDependency(child, other, leaf, unlisted)
	return parent
}

func deepCopyValues(v map[string]any) map[string]any {
	c, err := copystructure.Copy(v)
	if err != nil {
		panic(err)
	}
	return c.(map[string]any)
}

func TestProcessDependenciesMatchesHelm(t *testing.T) {
	valueSets := []map[string]any{
		nil,
		{"tags": map[string]any{"front": false}},
		{"tags": map[string]any{"front": false, "back": true}},
		{"tags": map[string]any{"back": false}},
		{"tags": "not a table"},
		{"tags": map[string]any{"front": "yes"}},
		{"c1": map[string]any{"enabled": false}},
		{"c1": map[string]any{"enabled": "x"}, "global": map[string]any{"c1": false}},
		{"c2": map[string]any{"enabled": true, "grandchild": map[string]any{"enabled": false}}},
		{"c2": map[string]any{"enabled": true}, "other": map[string]any{"on": true}},
		{"c1": nil},
		{"c1": "not a table"},
		{"imported": nil, "data": map[string]any{"n": "set"}},
		{"global": map[string]any{"c1": true, "x": nil}},
		{"leaf": map[string]any{"enabled": false}},
		{"n": "user", "cfg": map[string]any{"deeper": map[string]any{"z": "user z", "k": nil}}},
	}
	for i, vals := range valueSets {
		for _, merge := range []bool{true, false} {
			name := fmt.Sprintf("values %d %v, merge %v", i, vals, merge)
			hch, och := dependentChart(), dependentChart()
			hvals, ovals := deepCopy(t, vals), deepCopy(t, vals)
			var herr, oerr error
			var hlog, olog []string
			if merge {
				hlog = captureLog(func() { herr = chartutil.ProcessDependenciesWithMerge(hch, hvals) })
				olog = captureLog(func() { oerr = ProcessDependenciesWithMerge(och, ovals) })
			} else {
				hlog = captureLog(func() { herr = chartutil.ProcessDependencies(hch, hvals) })
				olog = captureLog(func() { oerr = ProcessDependencies(och, ovals) })
			}
			sameStrings(t, name+": errors", errString(herr), errString(oerr))
			sameStrings(t, name+": log", hlog, olog)
			sameCharts(t, name, hch, och)
			sameValues(t, name+": values afterwards", hvals, ovals)
			if herr != nil {
				continue
			}
			var hres chartutil.Values
			var ores Values
			hlog = captureLog(func() { hres, herr = chartutil.CoalesceValues(hch, hvals) })
			olog = captureLog(func() { ores, oerr = CoalesceValues(och, ovals) })
			sameStrings(t, name+": coalesce errors", errString(herr), errString(oerr))
			sameStrings(t, name+": coalesce log", hlog, olog)
			sameValues(t, name+": coalesced", hres, ores)
		}
	}
}
