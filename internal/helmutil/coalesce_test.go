package helmutil

import (
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
)

// The values and charts of helm's own coalescing tests.
const coalesceValuesYAML = `
top: yup
bottom: null
right: Null
left: NULL
front: ~
back: ""
nested:
  boat: null

global:
  name: Ishmael
  subject: Queequeg
  nested:
    boat: true

pequod:
  boat: null
  global:
    name: Stinky
    harpooner: Tashtego
    nested:
      boat: false
      sail: true
      foo2: null
  ahab:
    scope: whale
    boat: null
    nested:
      foo: true
      boat: null
    object: null
`

func withDeps(c *chart.Chart, deps ...*chart.Chart) *chart.Chart {
	c.AddDependency(deps...)
	return c
}

func mobyChart() *chart.Chart {
	return withDeps(&chart.Chart{
		Metadata: &chart.Metadata{Name: "moby"},
		Values: map[string]any{
			"back": "exists", "bottom": "exists", "front": "exists", "left": "exists", "name": "moby",
			"nested": map[string]any{"boat": true}, "override": "bad", "right": "exists", "scope": "moby", "top": "nope",
			"global": map[string]any{"nested2": map[string]any{"l0": "moby"}},
			"pequod": map[string]any{"boat": "maybe", "ahab": map[string]any{"boat": "maybe", "nested": map[string]any{"boat": "maybe"}}},
		},
	},
		withDeps(&chart.Chart{
			Metadata: &chart.Metadata{Name: "pequod"},
			Values: map[string]any{
				"name": "pequod", "scope": "pequod",
				"global": map[string]any{"nested2": map[string]any{"l1": "pequod"}},
				"boat":   false,
				"ahab":   map[string]any{"boat": false, "nested": map[string]any{"boat": false}},
			},
		},
			&chart.Chart{
				Metadata: &chart.Metadata{Name: "ahab"},
				Values: map[string]any{
					"global": map[string]any{
						"nested":  map[string]any{"foo": "bar", "foo2": "bar2"},
						"nested2": map[string]any{"l2": "ahab"},
					},
					"scope": "ahab", "name": "ahab", "boat": true,
					"nested": map[string]any{"foo": false, "boat": true},
					"object": map[string]any{"foo": "bar"},
				},
			},
		),
		&chart.Chart{
			Metadata: &chart.Metadata{Name: "spouter"},
			Values: map[string]any{
				"scope":  "spouter",
				"global": map[string]any{"nested2": map[string]any{"l1": "spouter"}},
			},
		},
	)
}

func warningsChart() *chart.Chart {
	return withDeps(&chart.Chart{Metadata: &chart.Metadata{Name: "level1"}, Values: map[string]any{"name": "moby"}},
		withDeps(&chart.Chart{Metadata: &chart.Metadata{Name: "level2"}, Values: map[string]any{"name": "pequod"}},
			&chart.Chart{
				Metadata: &chart.Metadata{Name: "level3"},
				Values: map[string]any{
					"name": "ahab", "boat": true,
					"spear": map[string]any{"tip": true, "sail": map[string]any{"cotton": true}},
				},
			},
		),
	)
}

func TestCoalesceAndMergeValuesMatchHelm(t *testing.T) {
	coalesceVals, err := ReadValues([]byte(coalesceValuesYAML))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		chart func() *chart.Chart
		vals  map[string]any
	}{
		{"moby", mobyChart, coalesceVals},
		{"moby, no values", mobyChart, nil},
		{"moby, globals not a table", mobyChart, map[string]any{"global": "x", "pequod": map[string]any{"global": 1}}},
		{"moby, subchart not a table", mobyChart, map[string]any{"pequod": "x"}},
		{"moby, subchart null", mobyChart, map[string]any{"pequod": nil}},
		{"warnings", warningsChart, map[string]any{
			"level2": map[string]any{"level3": map[string]any{
				"boat":  map[string]any{"mast": true},
				"spear": map[string]any{"tip": map[string]any{"sharp": true}, "sail": true},
			}},
		}},
		{"empty map with nils", func() *chart.Chart {
			return &chart.Chart{Metadata: &chart.Metadata{Name: "test"}, Values: map[string]any{"data": map[string]any{}}}
		}, map[string]any{"data": map[string]any{"foo": "bar", "baz": nil}}},
		{"nil chart values", func() *chart.Chart {
			return &chart.Chart{Metadata: &chart.Metadata{Name: "test"}}
		}, map[string]any{"a": nil, "b": map[string]any{"c": nil}}},
	}
	for _, c := range cases {
		for _, merge := range []bool{false, true} {
			hvals, ovals := deepCopy(t, c.vals), deepCopy(t, c.vals)
			hch, och := c.chart(), c.chart()
			var hres chartutil.Values
			var ores Values
			var herr, oerr error
			var hlog, olog []string
			if merge {
				hlog = captureLog(func() { hres, herr = chartutil.MergeValues(hch, hvals) })
				olog = captureLog(func() { ores, oerr = MergeValues(och, ovals) })
			} else {
				hlog = captureLog(func() { hres, herr = chartutil.CoalesceValues(hch, hvals) })
				olog = captureLog(func() { ores, oerr = CoalesceValues(och, ovals) })
			}
			name := c.name
			if merge {
				name += " (merge)"
			}
			sameStrings(t, name+": errors", errString(herr), errString(oerr))
			sameStrings(t, name+": log", hlog, olog)
			sameValues(t, name+": result", hres, ores)
			sameValues(t, name+": input afterwards", hvals, ovals)
			sameCharts(t, name, hch, och)
		}
	}
}

func TestCoalesceAndMergeTablesMatchHelm(t *testing.T) {
	dst := map[string]any{
		"name":    "Ishmael",
		"address": map[string]any{"street": "123 Spouter Inn Ct.", "city": "Nantucket", "country": nil},
		"details": map[string]any{"friends": []string{"Tashtego"}},
		"boat":    "pequod",
		"hole":    nil,
		"both":    nil,
	}
	src := map[string]any{
		"occupation": "whaler",
		"address":    map[string]any{"state": "MA", "street": "234 Spouter Inn Ct.", "country": "US"},
		"details":    "empty",
		"boat":       map[string]any{"mast": true},
		"hole":       "black",
		"both":       nil,
		"srcnil":     nil,
	}
	pairs := [][2]map[string]any{{dst, src}, {nil, src}, {dst, nil}, {nil, nil}, {src, dst}, {{}, dst}}
	for i, p := range pairs {
		for _, merge := range []bool{false, true} {
			hd, hs, od, osrc := deepCopy(t, p[0]), deepCopy(t, p[1]), deepCopy(t, p[0]), deepCopy(t, p[1])
			var hres, ores map[string]any
			var hlog, olog []string
			if merge {
				hlog = captureLog(func() { hres = chartutil.MergeTables(hd, hs) })
				olog = captureLog(func() { ores = MergeTables(od, osrc) })
			} else {
				hlog = captureLog(func() { hres = chartutil.CoalesceTables(hd, hs) })
				olog = captureLog(func() { ores = CoalesceTables(od, osrc) })
			}
			sameStrings(t, "log", hlog, olog)
			sameValues(t, "result", hres, ores)
			sameValues(t, "dst afterwards", hd, od)
			sameValues(t, "src afterwards", hs, osrc)
			if t.Failed() {
				t.Fatalf("pair %d, merge %v", i, merge)
			}
		}
	}
}
