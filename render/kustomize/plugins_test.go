package kustomize

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/oomlint/oomlint/internal/yamlnode"
	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
)

// evilFunction is a KRM exec function that would leave a mark if it ran.
const evilFunction = "apiVersion: example.com/v1\nkind: Evil\nmetadata:\n  name: x\n  annotations:\n" +
	"    config.kubernetes.io/function: |\n      exec:\n        path: ./evil.sh\n"

const ksops = "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: secrets\n  annotations:\n" +
	"    config.kubernetes.io/function: |\n      exec:\n        path: ksops\nfiles:\n  - secrets.enc.yaml\n"

const builtinLabels = "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: team\nlabels:\n  team: shop\n" +
	"fieldSpecs:\n  - path: metadata/labels\n    create: true\n"

// TestKustomizeSkipsPlugins checks that an exec, Go or KRM function
// plugin entry is left out, never run, and reported once at its line,
// while the rest of the kustomization is built.
func TestKustomizeSkipsPlugins(t *testing.T) {
	offline(t)
	t.Setenv("PATH", t.TempDir())
	tests := []struct {
		name  string
		files map[string]string
		want  []string // file:line:col: message fragment, in order
		label string   // a label the built Deployment must carry ("" for none)
	}{{
		name: "ksops generator",
		files: map[string]string{"app/kustomization.yaml": "resources:\n  - d.yaml\ngenerators:\n  - ksops.yaml\n",
			"app/ksops.yaml": ksops},
		want: []string{`app/kustomization.yaml:4:5: generator "ksops.yaml" skipped: ksops (viaduct.ai/v1), an exec KRM function (ksops)`},
	}, {
		name: "exec transformer beside a builtin one, flow style",
		files: map[string]string{"app/kustomization.yaml": "resources: [d.yaml]\ntransformers: [plugin.yaml, labels.yaml]\n",
			"app/plugin.yaml": evilFunction, "app/labels.yaml": builtinLabels},
		want:  []string{`app/kustomization.yaml:2:16: transformer "plugin.yaml" skipped: Evil (example.com/v1), an exec KRM function (./evil.sh)`},
		label: "shop",
	}, {
		name: "inline container function",
		files: map[string]string{"app/kustomization.yaml": "resources:\n  - d.yaml\ntransformers:\n  - |\n    apiVersion: example.com/v1\n    kind: SetImage\n" +
			"    metadata:\n      name: x\n      annotations:\n        config.kubernetes.io/function: |\n          container:\n            image: example.com/fn:v1\n"},
		want: []string{`app/kustomization.yaml:4:5: transformer (inline) skipped: SetImage (example.com/v1), a container KRM function (example.com/fn:v1)`},
	}, {
		name: "generator directory",
		files: map[string]string{"app/kustomization.yaml": "resources:\n  - d.yaml\ngenerators:\n  - ../gens\n",
			"gens/kustomization.yaml": "resources:\n  - ksops.yaml\n", "gens/ksops.yaml": ksops},
		want: []string{`app/kustomization.yaml:4:5: generator "../gens" skipped: ksops (viaduct.ai/v1)`},
	}, {
		name: "legacy exec plugin in a base, and a validator",
		files: map[string]string{"app/kustomization.yaml": "resources:\n  - ../base\nvalidators:\n  - check.yaml\n",
			"app/check.yaml":          "apiVersion: example.com/v1\nkind: Checker\nmetadata:\n  name: c\n",
			"base/kustomization.yaml": "resources:\n  - d.yaml\ntransformers:\n  - plugin.yaml\n",
			"base/d.yaml":             deployment,
			"base/plugin.yaml":        "apiVersion: example.com/v1\nkind: Injector\nmetadata:\n  name: i\n"},
		want: []string{
			`app/kustomization.yaml:4:5: validator "check.yaml" skipped: Checker (example.com/v1), an exec or Go plugin`,
			`base/kustomization.yaml:4:5: transformer "plugin.yaml" skipped: Injector (example.com/v1), an exec or Go plugin`,
		},
	}, {
		name: "helm charts beside resources, with a remote values file",
		files: map[string]string{"app/kustomization.yaml": "resources:\n  - d.yaml\nhelmCharts:\n  - name: redis\n    repo: https://charts.example.com\n" +
			"    version: 1.2.3\n    valuesFile: https://example.com/values.yaml\n    valuesInline:\n      resources:\n        limits:\n          memory: 1Gi\n" +
			"  - name: cache\n    repo: oci://registry.example.com/charts\nhelmGlobals:\n  chartHome: charts\ntransformers:\n  - labels.yaml\n",
			"app/labels.yaml": builtinLabels},
		want: []string{
			`app/kustomization.yaml:4:5: helmCharts entry "redis": chart redis 1.2.3 from https://charts.example.com is neither at app/charts/redis-1.2.3/redis nor in charts.search or the chart cache`,
			`app/kustomization.yaml:12:5: helmCharts entry "cache": chart cache * from oci://registry.example.com/charts is neither`,
		},
		label: "shop",
	}, {
		name:  "legacy helmChartInflationGenerator, flow style",
		files: map[string]string{"app/kustomization.yaml": "{resources: [d.yaml], helmChartInflationGenerator: [{chartName: minecraft, chartRepoUrl: https://charts.example.com}]}\n"},
		want:  []string{`app/kustomization.yaml:1:53: helmChartInflationGenerator entry "minecraft" skipped: oomlint renders helmCharts entries, not this deprecated generator`},
	}, {
		name: "builtin generator config is built",
		files: map[string]string{"app/kustomization.yaml": "resources:\n  - d.yaml\ntransformers:\n  - labels.yaml\n",
			"app/labels.yaml": builtinLabels},
		label: "shop",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := filepath.Join(t.TempDir(), "repo")
			writeTree(t, repo, tt.files)
			writeTree(t, repo, map[string]string{"app/d.yaml": deployment,
				"app/evil.sh": "#!/bin/sh\ntouch " + filepath.Join(repo, "pwned") + "\n"})
			if err := os.Chmod(filepath.Join(repo, "app", "evil.sh"), 0o755); err != nil {
				t.Fatal(err)
			}
			k := New(render.Options{WorkDir: repo, RepoRoot: repo})
			r := build(t, k, filepath.Join(repo, "app"))
			var got []string
			for i, f := range r.Problems {
				if i < len(tt.want) {
					_, frag, _ := strings.Cut(tt.want[i], ": ")
					if f.Rule != lint.RenderErrorID || f.Severity != lint.Warning || !strings.Contains(f.Message, frag) {
						t.Errorf("problem %d = %s %v %q, want a warning containing %q", i, f.Rule, f.Severity, f.Message, frag)
					}
				}
				got = append(got, fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Column))
			}
			var want []string
			for _, w := range tt.want {
				pos, _, _ := strings.Cut(w, ": ")
				want = append(want, pos)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if r.NotBuilt {
				t.Error("NotBuilt set for a kustomization that built")
			}
			_, obj := findObject(t, &lint.Rendered{Docs: r.Docs}, "Deployment", "api")
			if got := yamlnode.Str(obj, "metadata", "labels", "team"); got != tt.label {
				t.Errorf("label team = %q, want %q", got, tt.label)
			}
			if _, err := os.Stat(filepath.Join(repo, "pwned")); err == nil {
				t.Error("the exec plugin ran")
			}
		})
	}
}

// TestWithout checks that skipped entries are commented out in place when
// they can be, so every other line keeps its number.
func TestWithout(t *testing.T) {
	tests := []struct{ name, in, want string }{{
		name: "block items",
		in:   "resources:\n  - d.yaml\ngenerators:\n  - a.yaml # secrets\n  - keep.yaml\n  -   'b.yaml'\ntransformers:\n- c.yaml\n",
		want: "resources:\n  - d.yaml\ngenerators:\n  # a.yaml # secrets\n  - keep.yaml\n  #   'b.yaml'\ntransformers:\n# c.yaml\n",
	}, {
		name: "flow sequence is written anew",
		in:   "resources: [d.yaml]\ngenerators: [a.yaml, keep.yaml]\n",
		want: "resources: [d.yaml]\ngenerators: [keep.yaml]\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kf := parseKustomizationData("/r", "/r/kustomization.yaml", []byte(tt.in))
			var skips []kSkip
			for _, field := range kPluginFields {
				for _, n := range yamlnode.Seq(kf.root, field) {
					if n.Value != "keep.yaml" {
						skips = append(skips, kSkip{kf: kf, field: field, item: n})
					}
				}
			}
			if diff := cmp.Diff(tt.want, string(kWithout(kf.data, skips))); diff != "" {
				t.Errorf("kWithout (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWithCharts checks that Helm chart fields are commented out in place,
// so every other line keeps its number, with the rendered charts' files in
// the resources, and that a kustomization left with nothing else still
// builds.
func TestWithCharts(t *testing.T) {
	tests := []struct {
		name, in, want string
		names          []string
	}{{
		name:  "rendered charts take the first line, with no resources",
		in:    "namespace: a\nhelmCharts:\n  - name: redis\n  - name: web\npatches: []\n",
		names: []string{".c0.yaml", ".c1.yaml"},
		want:  "namespace: a\nresources: [.c0.yaml, .c1.yaml] # helmCharts:\n#   - name: redis\n#   - name: web\npatches: []\n",
	}, {
		name:  "beside resources the document is written anew",
		in:    "resources:\n  - d.yaml\nhelmCharts:\n  - name: redis\n",
		names: []string{".c0.yaml"},
		want:  "resources:\n    - d.yaml\n    - .c0.yaml\n",
	}, {
		name: "block fields between others",
		in:   "resources:\n  - d.yaml\nhelmCharts:\n  - name: redis\n\n    valuesInline: {a: 1}\nhelmGlobals:\n  chartHome: c\nnamespace: web\n",
		want: "resources:\n  - d.yaml\n# helmCharts:\n#   - name: redis\n\n#     valuesInline: {a: 1}\nhelmGlobals:\n  chartHome: c\nnamespace: web\n",
	}, {
		name: "only charts keeps a kind",
		in:   "helmCharts:\n- name: redis\n",
		want: "kind: Kustomization # helmCharts:\n# - name: redis\n",
	}, {
		name: "flow document is written anew",
		in:   "{resources: [d.yaml], helmCharts: [{name: redis}]}\n",
		want: "{resources: [d.yaml]}\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, string(kWithCharts([]byte(tt.in), kHelmFields, tt.names))); diff != "" {
				t.Errorf("kWithCharts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestKustomizeOnlyCharts checks that a kustomization that only inflates
// charts builds (nothing) with a warning per chart, rather than failing.
func TestKustomizeOnlyCharts(t *testing.T) {
	offline(t)
	t.Setenv("PATH", t.TempDir())
	repo := filepath.Join(t.TempDir(), "repo")
	writeTree(t, repo, map[string]string{"app/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nhelmCharts:\n  - name: redis\n    repo: https://charts.example.com\n"})
	r := build(t, New(render.Options{WorkDir: repo, RepoRoot: repo}), filepath.Join(repo, "app"))
	if len(r.Docs) != 0 || r.NotBuilt || len(r.Problems) != 1 || r.Problems[0].Line != 4 || r.Problems[0].Severity != lint.Warning {
		t.Errorf("docs %d, not built %v, problems %+v; want one warning at line 4", len(r.Docs), r.NotBuilt, r.Problems)
	}
}

// TestChartDir checks where a helmCharts entry's chart is read from, as
// kustomize places it: <chartHome>/<name>, or <chartHome>/<name>-<version>/<name>
// when the entry names a repo and a version.
func TestChartDir(t *testing.T) {
	tests := []struct{ kustomization, want string }{
		{"helmCharts:\n- name: redis\n", "/r/app/charts/redis"},
		{"helmCharts:\n- {name: redis, version: 1.2.3}\n", "/r/app/charts/redis"},
		{"helmCharts:\n- {name: redis, repo: https://c.example.com, version: 1.2.3}\n", "/r/app/charts/redis-1.2.3/redis"},
		{"helmGlobals: {chartHome: ../vendor}\nhelmCharts:\n- {name: redis, repo: oci://r.example.com/c}\n", "/r/vendor/redis"},
	}
	for _, tt := range tests {
		kf := parseKustomizationData("/r/app", "/r/app/kustomization.yaml", []byte(tt.kustomization))
		if got := kChartDir(kf, yamlnode.Seq(kf.root, "helmCharts")[0]); got != filepath.FromSlash(tt.want) {
			t.Errorf("%q: chart dir %s, want %s", tt.kustomization, got, tt.want)
		}
	}
}
