package helm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http" //nolint:depguard // the offline test swaps http.DefaultTransport to catch any request
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/rules"
)

// helmTestdata is where the test charts live, relative to the package.
const helmTestdata = "testdata"

func helmOptions(t *testing.T) render.Options {
	t.Helper()
	wd, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	return render.Options{WorkDir: wd, RepoRoot: filepath.Dir(wd), Namespace: lint.DefaultNamespace,
		KubeVersion: render.DefaultKubeVersion, ReleaseName: render.DefaultReleaseName}
}

// renderChart renders one chart (or one of its variants) with the renderer.
func renderChart(t *testing.T, opt render.Options, dir, variant string) *lint.Rendered {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := New(opt)
	units, _ := h.Plan([]string{abs})
	for _, u := range units {
		if u.Variant == variant {
			return h.Render(t.Context(), u)
		}
	}
	t.Fatalf("%s: no unit with variant %q among %d", dir, variant, len(units))
	return nil
}

// helmTemplate renders a chart the way `helm template` does, with helm's
// own action.Install.
func helmTemplate(t *testing.T, dir string, valueFiles []string) []string {
	t.Helper()
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := (&values.Options{ValueFiles: valueFiles}).MergeValues(nil)
	if err != nil {
		t.Fatal(err)
	}
	inst := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	inst.DryRun, inst.DryRunOption, inst.ClientOnly, inst.Replace = true, "true", true, true
	inst.ReleaseName, inst.Namespace = render.DefaultReleaseName, lint.DefaultNamespace
	inst.KubeVersion, err = chartutil.ParseKubeVersion(render.DefaultKubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := inst.RunWithContext(t.Context(), ch, vals)
	if err != nil {
		t.Fatalf("helm template %s: %v", dir, err)
	}
	var b strings.Builder
	b.WriteString(rel.Manifest)
	for _, h := range rel.Hooks {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
	}
	return helmCanonical(t, []byte(b.String()))
}

// helmCanonical parses a YAML stream into one JSON string per object, sorted,
// so streams compare object for object whatever their order.
func helmCanonical(t *testing.T, data []byte) []string {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []string
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("parse rendered YAML: %v\n%s", err, data)
		}
		if v == nil {
			continue
		}
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(j))
	}
	slices.Sort(out)
	return out
}

func renderedObjects(t *testing.T, r *lint.Rendered) []string {
	t.Helper()
	var out []string
	for _, d := range r.Docs {
		if bytes.Contains(d.Data, []byte("oomlint:")) {
			t.Errorf("%s: a line marker was left in the output:\n%s", d.Name, d.Data)
		}
		out = append(out, helmCanonical(t, d.Data)...)
	}
	slices.Sort(out)
	return out
}

// TestHelmFidelity checks that the renderer, markers and all, produces
// exactly the objects of helm's own install action.
func TestHelmFidelity(t *testing.T) {
	tests := []struct {
		chart, variant string
	}{
		{"api", ""},
		{"api", "values-prod.yaml"},
		{"platform", ""},
		{"tricky", ""},
		// the lint fixtures that render, an archived subchart among them
		{"../../../testdata/chart-values-resources", ""},
		{"../../../testdata/chart-scalar-values", ""},
		{"../../../testdata/chart-template-literal", ""},
		{"../../../testdata/chart-subchart", ""},
		{"../../../testdata/chart-variant", "values-prod.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.chart+"/"+tt.variant, func(t *testing.T) {
			dir := filepath.Join(helmTestdata, tt.chart)
			r := renderChart(t, helmOptions(t), dir, tt.variant)
			if len(r.Problems) > 0 {
				t.Fatalf("problems: %+v", r.Problems)
			}
			var files []string
			if tt.variant != "" {
				files = []string{filepath.Join(dir, tt.variant)}
			}
			want := helmTemplate(t, dir, files)
			if diff := cmp.Diff(want, renderedObjects(t, r)); diff != "" {
				t.Errorf("objects differ from helm template (-helm +oomlint):\n%s", diff)
			}
		})
	}
}

// TestHelmCreateScaffold renders the chart `helm create` writes, the shape
// most charts start from, and checks both the objects and that a missing
// memory limit points at its `resources: {}` in values.yaml.
func TestHelmCreateScaffold(t *testing.T) {
	dir, err := chartutil.Create("scaffold", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	opt := helmOptions(t)
	opt.WorkDir, opt.RepoRoot = dir, dir
	opt.IncludeTests = true // helmTemplate keeps the scaffold's test pod too
	r := renderChart(t, opt, dir, "")
	if len(r.Problems) > 0 {
		t.Fatalf("problems: %+v", r.Problems)
	}
	if diff := cmp.Diff(helmTemplate(t, dir, nil), renderedObjects(t, r)); diff != "" {
		t.Errorf("objects differ from helm template (-helm +oomlint):\n%s", diff)
	}
	valuesLine := lineOf(t, filepath.Join(dir, "values.yaml"), "resources: {}")
	origin := findChartObject(t, r, "Deployment", "release-name-scaffold")
	tests := []struct{ path, want string }{
		{"spec.template.spec.containers[0].resources.limits.memory", fmt.Sprintf("values.yaml:%d", valuesLine)},
		{"spec.template.spec.containers[0].image", fmt.Sprintf("values.yaml:%d", lineOf(t, filepath.Join(dir, "values.yaml"), "repository: nginx"))},
		{"spec.replicas", fmt.Sprintf("values.yaml:%d", lineOf(t, filepath.Join(dir, "values.yaml"), "replicaCount: 1"))},
	}
	for _, tt := range tests {
		loc := origin.Locate(helmPath(tt.path))
		if got := fmt.Sprintf("%s:%d", loc.File, loc.Line); got != tt.want {
			t.Errorf("Locate(%s) = %s, want %s", tt.path, got, tt.want)
		}
	}
}

// lineOf is the 1-based line of the first line of file containing s.
func lineOf(t *testing.T, file, s string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for l := range strings.SplitSeq(string(data), "\n") {
		i++
		if strings.Contains(l, s) {
			return i
		}
	}
	t.Fatalf("%s: no line contains %q", file, s)
	return 0
}

// helmPath turns spec.containers[0].resources into a lint.Path.
func helmPath(s string) lint.Path {
	p := lint.Root
	for part := range strings.SplitSeq(s, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key != "" {
			p = p.Key(key)
		}
		for rest != "" {
			n, after, _ := strings.Cut(rest, "]")
			i, _ := strconv.Atoi(n)
			p = p.Index(i)
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return p
}

// findChartObject returns the rendered object of a kind and name with its origin.
func findChartObject(t *testing.T, r *lint.Rendered, kind, name string) lint.Origin {
	t.Helper()
	for _, d := range r.Docs {
		var doc yaml.Node
		if err := yaml.Unmarshal(d.Data, &doc); err != nil || len(doc.Content) == 0 {
			continue
		}
		obj := doc.Content[0]
		_, k := yamlnode.Lookup(obj, "kind")
		_, md := yamlnode.Lookup(obj, "metadata")
		_, n := yamlnode.Lookup(md, "name")
		if k != nil && n != nil && k.Value == kind && n.Value == name {
			return d.Origin(obj)
		}
	}
	t.Fatalf("no %s %s rendered", kind, name)
	return nil
}

// TestHelmOrigins checks where rendered fields point: the values line that
// set them (the last file that did), else the template line.
func TestHelmOrigins(t *testing.T) {
	const (
		apiDeploy = "testdata/api/templates/deployment.yaml"
		apiValues = "testdata/api/values.yaml"
		apiProd   = "testdata/api/values-prod.yaml"
		apiCM     = "testdata/api/templates/configmap.yaml"
		gateway   = "testdata/platform/templates/gateway.yaml"
		platVals  = "testdata/platform/values.yaml"
		worker    = "testdata/platform/charts/worker/templates/deployment.yaml"
		workVals  = "testdata/platform/charts/worker/values.yaml"
		tricky    = "testdata/tricky/values.yaml"
		trickyPod = "testdata/tricky/templates/pod.yaml"
		trickyCM  = "testdata/tricky/templates/configmap.yaml"
	)
	c0 := "spec.template.spec.containers[0]"
	c1 := "spec.template.spec.containers[1]"
	tests := []struct {
		chart, variant, kind, name, path string
		want                             string
	}{
		// toYaml of a values subtree: the key inside it
		{"api", "", "Deployment", "release-name-api", c0 + ".resources.limits.memory", apiValues + ":11"},
		{"api", "", "Deployment", "release-name-api", c0 + ".resources.requests.memory", apiValues + ":14"},
		{"api", "", "Deployment", "release-name-api", c0 + ".resources", apiValues + ":9"},
		// the variant file overrides values.yaml
		{"api", "values-prod.yaml", "Deployment", "release-name-api", c0 + ".resources.limits.memory", apiProd + ":4"},
		{"api", "values-prod.yaml", "Deployment", "release-name-api", c0 + ".resources.requests.cpu", apiValues + ":13"},
		{"api", "values-prod.yaml", "Deployment", "release-name-api", "spec.replicas", apiProd + ":1"},
		// scalars: `value: {{ .Values.javaOpts | quote }}`
		{"api", "", "Deployment", "release-name-api", c0 + ".env[0].value", apiValues + ":7"},
		{"api", "", "Deployment", "release-name-api", c1 + ".resources.limits.memory", apiValues + ":18"},
		{"api", "", "Deployment", "release-name-api", "spec.template.spec.volumes[0].emptyDir.sizeLimit", apiValues + ":21"},
		// literals in the template
		{"api", "", "Deployment", "release-name-api", c1 + ".resources.requests.memory", apiDeploy + ":42"},
		{"api", "", "Deployment", "release-name-api", c0 + ".env[1].value", apiDeploy + ":29"},
		{"api", "", "Deployment", "release-name-api", c1 + ".image", apiDeploy + ":37"},
		{"api", "", "Deployment", "release-name-api", "", apiDeploy + ":2"},
		// a field the object lacks: the nearest line that exists
		{"api", "", "Deployment", "release-name-api", c1 + ".resources.limits.cpu", apiDeploy + ":39"},
		{"api", "", "ConfigMap", "release-name-api", "data.JAVA_OPTS", apiValues + ":7"},
		{"api", "", "ConfigMap", "release-name-api", "data", apiCM + ":7"},
		// a variable bound to a value, flow mappings, globals
		{"platform", "", "Deployment", "release-name-gateway", c0 + ".resources.limits.memory", platVals + ":24"},
		{"platform", "", "Deployment", "release-name-gateway", c0 + ".image", platVals + ":2"},
		// a subchart: parent values override its values.yaml; with-bound dot
		{"platform", "", "Deployment", "release-name-worker", c0 + ".resources.limits.memory", platVals + ":14"},
		{"platform", "", "Deployment", "release-name-worker", c0 + ".env[0].value", workVals + ":2"},
		{"platform", "", "Deployment", "release-name-batch", c0 + ".env[0].value", platVals + ":21"},
		{"platform", "", "Deployment", "release-name-batch", c0 + ".resources.limits.memory", workVals + ":5"},
		{"platform", "", "Deployment", "release-name-batch", c0 + ".image", platVals + ":2"},
		{"platform", "", "Deployment", "release-name-batch", "", worker + ":2"},
		// range over values: the one values entry with the same key and value
		{"tricky", "", "Pod", "tricky-pod", "spec.containers[0].resources.limits.memory", tricky + ":18"},
		{"tricky", "", "Pod", "tricky-pod", "spec.containers[1].resources.limits.memory", tricky + ":20"},
		{"tricky", "", "Pod", "tricky-pod", "spec.containers[2].resources.limits.memory", tricky + ":15"},
		{"tricky", "", "Pod", "tricky-pod", "spec.containers[3].resources.limits.memory", tricky + ":21"},
		{"tricky", "", "Pod", "tricky-pod", "spec.containers[0].image", trickyPod + ":12"},
		{"tricky", "", "Service", "tricky", "spec.ports[0].port", tricky + ":3"},
		{"tricky", "", "Service", "tricky", "spec.ports[0].targetPort", trickyPod + ":46"},
		{"tricky", "", "Service", "tricky", "", trickyPod + ":40"},
		// range over a list (by value, else by name) and over a map
		{"tricky", "", "Pod", "tricky-pod", "spec.containers[4].resources.limits.memory", tricky + ":24"},
		{"tricky", "", "Pod", "tricky-pod", "spec.containers[5].resources.limits.memory", tricky + ":26"},
		{"tricky", "", "Pod", "tricky-pod", "spec.containers[6].resources.limits.memory", tricky + ":28"},
		{"tricky", "", "Pod", "tricky-pod", "spec.containers[7].resources.limits.memory", tricky + ":29"},
		{"tricky", "", "ConfigMap", "tricky-x1", "metadata.annotations.url", trickyCM + ":10"},
		{"tricky", "", "ConfigMap", "tricky-x1", "data.note", tricky + ":11"},
	}
	renders := map[string]*lint.Rendered{}
	for _, tt := range tests {
		t.Run(tt.chart+"/"+tt.variant+"/"+tt.name+"/"+tt.path, func(t *testing.T) {
			key := tt.chart + "/" + tt.variant
			if renders[key] == nil {
				renders[key] = renderChart(t, helmOptions(t), filepath.Join(helmTestdata, tt.chart), tt.variant)
			}
			loc := findChartObject(t, renders[key], tt.kind, tt.name).Locate(helmPath(tt.path))
			if got := fmt.Sprintf("%s:%d", loc.File, loc.Line); got != tt.want {
				t.Errorf("Locate(%s) = %s, want %s", tt.path, got, tt.want)
			}
		})
	}
}

// TestHelmValuesOverrides checks that a field set by several values files
// points at the last one: values.yaml < charts.values < --values < variant.
func TestHelmValuesOverrides(t *testing.T) {
	opt := helmOptions(t)
	chart, err := filepath.Abs(filepath.Join(helmTestdata, "api"))
	if err != nil {
		t.Fatal(err)
	}
	overrides, err := filepath.Abs(filepath.Join(helmTestdata, "overrides"))
	if err != nil {
		t.Fatal(err)
	}
	opt.ChartValues = map[string][]string{chart: {filepath.Join(overrides, "api-team.yaml")}}
	opt.Values = []string{filepath.Join(overrides, "api-ci.yaml")}
	c0 := "spec.template.spec.containers[0].resources."
	tests := []struct{ variant, path, want string }{
		{"", c0 + "limits.memory", "testdata/overrides/api-team.yaml:4"},
		{"", c0 + "requests.memory", "testdata/overrides/api-ci.yaml:4"},
		{"", c0 + "requests.cpu", "testdata/api/values.yaml:13"},
		{"values-prod.yaml", c0 + "limits.memory", "testdata/api/values-prod.yaml:4"},
		{"values-prod.yaml", c0 + "requests.memory", "testdata/api/values-prod.yaml:6"},
	}
	for _, tt := range tests {
		r := renderChart(t, opt, chart, tt.variant)
		loc := findChartObject(t, r, "Deployment", "release-name-api").Locate(helmPath(tt.path))
		if got := fmt.Sprintf("%s:%d", loc.File, loc.Line); got != tt.want {
			t.Errorf("%s: Locate(%s) = %s, want %s", tt.variant, tt.path, got, tt.want)
		}
	}
}

// TestHelmProblems checks that charts that do not render give one OOM900
// at the line to fix, with a message that says what to do.
func TestHelmProblems(t *testing.T) {
	tests := []struct {
		chart    string
		want     string // file:line
		contains string
	}{
		{"needs-values", "testdata/needs-values/templates/statefulset.yaml:20", "database.host"},
		{"unvendored", "testdata/unvendored/Chart.yaml:5", "helm dependency build"},
	}
	for _, tt := range tests {
		t.Run(tt.chart, func(t *testing.T) {
			r := renderChart(t, helmOptions(t), filepath.Join(helmTestdata, tt.chart), "")
			if len(r.Problems) != 1 {
				t.Fatalf("problems = %+v, want one", r.Problems)
			}
			p := r.Problems[0]
			if got := fmt.Sprintf("%s:%d", p.File, p.Line); p.Rule != lint.RenderErrorID || got != tt.want {
				t.Errorf("problem at %s %s, want %s at %s: %s", p.Rule, got, lint.RenderErrorID, tt.want, p.Message)
			}
			if !strings.Contains(p.Message+" "+p.Fix, tt.contains) {
				t.Errorf("message %q (fix %q) does not mention %q", p.Message, p.Fix, tt.contains)
			}
		})
	}
}

// helmOffline fails the test on any HTTP request or DNS lookup, and points
// helm's cache, config and repository files at empty directories.
func helmOffline(t *testing.T) {
	t.Helper()
	oldTransport, oldResolver := http.DefaultTransport, net.DefaultResolver
	http.DefaultTransport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("network request attempted: %s %s", r.Method, r.URL)
		return nil, errors.New("offline")
	})
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(_ context.Context, network, addr string) (net.Conn, error) {
		t.Errorf("network dial attempted: %s %s", network, addr)
		return nil, errors.New("offline")
	}}
	t.Cleanup(func() { http.DefaultTransport, net.DefaultResolver = oldTransport, oldResolver })
	for _, v := range []string{"HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"} {
		t.Setenv(v, t.TempDir())
	}
	t.Setenv("HELM_REPOSITORY_CONFIG", filepath.Join(t.TempDir(), "repositories.yaml"))
	t.Setenv("HELM_REPOSITORY_CACHE", t.TempDir())
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestHelmInlineProblems covers failures that need a chart written for
// the case: each must be one OOM900 at the line to edit.
func TestHelmInlineProblems(t *testing.T) {
	const chartYAML = "apiVersion: v2\nname: c\nversion: 0.1.0\n"
	tests := []struct {
		name  string
		files map[string]string
		want  string // file:line
	}{
		{"schema", map[string]string{
			"values.yaml":        "replicas: two\n",
			"values.schema.json": `{"type": "object", "properties": {"replicas": {"type": "integer"}}}`,
			"templates/cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
		}, "values.yaml:1"},
		{"fail in a helper", map[string]string{
			"templates/_helpers.tpl": "{{- define \"c.check\" -}}\n{{- fail \"set mode\" -}}\n{{- end -}}\n",
			"templates/cm.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    a: {{ include \"c.check\" . }}\n",
		}, "templates/cm.yaml:6"}, // helm names the include
		{"parse error", map[string]string{
			"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.x | nosuchfunc }}\n",
		}, "templates/cm.yaml:4"},
		{"kubeVersion", map[string]string{
			"Chart.yaml": chartYAML + "kubeVersion: <1.20.0\n",
		}, "Chart.yaml:4"},
		{"values file", map[string]string{
			"values.yaml": "a: [1\n",
		}, "values.yaml:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"Chart.yaml": chartYAML}
			maps.Copy(files, tt.files)
			writeChart(t, dir, files)
			opt := helmOptions(t)
			opt.WorkDir, opt.RepoRoot = dir, dir
			r := renderChart(t, opt, dir, "")
			if len(r.Problems) != 1 {
				t.Fatalf("problems = %+v, want one", r.Problems)
			}
			p := r.Problems[0]
			if got := fmt.Sprintf("%s:%d", p.File, p.Line); p.Rule != lint.RenderErrorID || got != tt.want {
				t.Errorf("%s at %s, want %s at %s: %s", p.Rule, got, lint.RenderErrorID, tt.want, p.Message)
			}
			if strings.Contains(p.Message, "oomlint:") {
				t.Errorf("message shows a line marker: %s", p.Message)
			}
		})
	}
}

// TestHelmPlan checks the units of a tree: one per application chart,
// one more per values-*.yaml, none for a library chart, and every file of
// a chart consumed.
func TestHelmPlan(t *testing.T) {
	repo := t.TempDir()
	writeChart(t, repo, map[string]string{
		"api/Chart.yaml":          "apiVersion: v2\nname: api\nversion: 1.0.0\n",
		"api/values.yaml":         "a: 1\n",
		"api/values-prod.yaml":    "a: 2\n",
		"api/values-staging.yml":  "a: 3\n",
		"api/ci/test-values.yaml": "a: 4\n",
		"api/templates/x.yaml":    "{{ .Values.a }}\n",
		"lib/Chart.yaml":          "apiVersion: v2\nname: lib\nversion: 1.0.0\ntype: library\n",
		"lib/templates/_x.tpl":    "{{ define \"x\" }}{{ end }}\n",
	})
	h := New(render.Options{WorkDir: repo, RepoRoot: repo})
	units, consumed := h.Plan([]string{filepath.Join(repo, "api"), filepath.Join(repo, "lib")})
	var got []string
	for _, u := range units {
		got = append(got, fmt.Sprintf("%s|%s|%v", u.Name, u.Variant, u.Kind == Name && u.Dir == filepath.Join(repo, "api")))
	}
	want := []string{"api||true", "api (values-prod.yaml)|values-prod.yaml|true", "api (values-staging.yml)|values-staging.yml|true"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("units (-want +got):\n%s", diff)
	}
	if len(consumed) != 8 {
		t.Errorf("consumed %d files, want all 8: %v", len(consumed), consumed)
	}
}

// TestHelmSymlinkOutside refuses a chart with a symlink leading outside the
// repository, which helm's loader would follow.
func TestHelmSymlinkOutside(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "repo")
	writeChart(t, root, map[string]string{
		"secret/values.yaml":           "token: x\n",
		"repo/chart/Chart.yaml":        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"repo/chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
	})
	if err := os.Symlink(filepath.Join(root, "secret", "values.yaml"), filepath.Join(repo, "chart", "values.yaml")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	opt := helmOptions(t)
	opt.WorkDir, opt.RepoRoot = repo, repo
	r := renderChart(t, opt, filepath.Join(repo, "chart"), "")
	if len(r.Problems) != 1 || r.Problems[0].File != "chart/values.yaml" || len(r.Docs) != 0 {
		t.Errorf("got %d docs and problems %+v, want one problem at chart/values.yaml", len(r.Docs), r.Problems)
	}
}

// TestHelmOffline renders a chart whose dependency lives in a remote
// repository: the answer is an OOM900 saying what to vendor, never a download.
func TestHelmOffline(t *testing.T) {
	helmOffline(t)
	dir := t.TempDir()
	writeChart(t, dir, map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: remote\nversion: 0.1.0\ndependencies:\n  - name: redis\n    version: 19.0.0\n    repository: https://charts.example.com\n  - name: pg\n    version: 1.0.0\n    repository: oci://registry.example.com/charts\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
	})
	opt := helmOptions(t)
	opt.WorkDir, opt.RepoRoot = dir, dir
	r := renderChart(t, opt, dir, "")
	var got []string
	for _, p := range r.Problems {
		got = append(got, fmt.Sprintf("%s:%d %s", p.File, p.Line, p.Rule))
	}
	if diff := cmp.Diff([]string{"Chart.yaml:5 OOM900", "Chart.yaml:8 OOM900"}, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestHelmLocalDependencies renders dependencies from file:// paths and
// from the configured search directories, and refuses paths outside the
// repository.
func TestHelmLocalDependencies(t *testing.T) {
	helmOffline(t)
	repo := t.TempDir()
	deploy := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Chart.Name }}\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          resources:\n            {{- toYaml .Values.resources | nindent 12 }}\n"
	writeChart(t, repo, map[string]string{
		"apps/shop/Chart.yaml":               "apiVersion: v2\nname: shop\nversion: 1.0.0\ndependencies:\n  - name: common\n    version: 1.x.x\n    repository: file://../../lib/common\n  - name: cache\n    version: 2.0.0\n    repository: https://charts.example.com\n  - name: outside\n    version: 1.0.0\n    repository: file://../../../outside\n",
		"apps/shop/values.yaml":              "cache:\n  resources:\n    limits:\n      memory: 1Gi\n",
		"lib/common/Chart.yaml":              "apiVersion: v2\nname: common\nversion: 1.2.0\n",
		"lib/common/values.yaml":             "resources:\n  limits:\n    memory: 64Mi\n",
		"lib/common/templates/deploy.yaml":   deploy,
		"vendor/cache/Chart.yaml":            "apiVersion: v2\nname: cache\nversion: 2.0.0\n",
		"vendor/cache/values.yaml":           "resources: {}\n",
		"vendor/cache/templates/deploy.yaml": deploy,
	})
	writeChart(t, filepath.Dir(repo), map[string]string{"outside/Chart.yaml": "apiVersion: v2\nname: outside\nversion: 1.0.0\n"})
	opt := helmOptions(t)
	opt.WorkDir, opt.RepoRoot = repo, repo
	opt.ChartSearch = []string{filepath.Join(repo, "vendor")}
	r := renderChart(t, opt, filepath.Join(repo, "apps", "shop"), "")
	var got []string
	for _, p := range r.Problems {
		got = append(got, fmt.Sprintf("%s:%d", p.File, p.Line))
	}
	if diff := cmp.Diff([]string{"apps/shop/Chart.yaml:11"}, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	for name, want := range map[string]string{"common": "lib/common/values.yaml:3", "cache": "apps/shop/values.yaml:4"} {
		loc := findChartObject(t, r, "Deployment", name).Locate(helmPath("spec.template.spec.containers[0].resources.limits.memory"))
		if got := fmt.Sprintf("%s:%d", loc.File, loc.Line); got != want {
			t.Errorf("%s: limits.memory at %s, want %s", name, got, want)
		}
	}
}

func writeChart(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHelmRealCharts lints every chart in helm's own test data (about 140,
// subcharts included: schemas, library charts, archives, broken charts)
// through the engine and
// checks that none crashes: a render problem is a finding, never a panic.
func TestHelmRealCharts(t *testing.T) {
	if testing.Short() {
		t.Skip("renders every chart of the helm module")
	}
	helmOffline(t)
	mod := helmModuleDir(t)
	var roots []string
	err := filepath.WalkDir(mod, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if fileExists(filepath.Join(p, "Chart.yaml")) {
			roots = append(roots, p) // subcharts too: they render with their parent and alone
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(roots) < 50 {
		t.Fatalf("found %d charts under %s, want the helm test data", len(roots), mod)
	}
	opt := render.Options{WorkDir: mod, RepoRoot: mod}
	opt.Normalize()
	for _, root := range roots {
		rel, _ := filepath.Rel(mod, root)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			cfg := lint.Config{Paths: []string{root}, WorkDir: mod, Jobs: 2, Renderers: []lint.Renderer{New(opt)}}
			res, err := lint.Run(t.Context(), cfg, rules.All)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range res.Findings {
				if strings.Contains(f.Message, "internal error") || f.Line < 1 {
					t.Errorf("%s:%d: %s %s", f.File, f.Line, f.Rule, f.Message)
				}
				if !fileExists(filepath.Join(mod, filepath.FromSlash(f.File))) {
					t.Errorf("%s:%d: %s points at a file that does not exist", f.File, f.Line, f.Rule)
				}
			}
		})
	}
}

// helmModuleDir is the helm module's directory in the module cache, found
// from the loader package's source files.
func helmModuleDir(t *testing.T) string {
	t.Helper()
	gomodcache := os.Getenv("GOMODCACHE")
	if gomodcache == "" {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			home, _ := os.UserHomeDir()
			gopath = filepath.Join(home, "go")
		}
		gomodcache = filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "pkg", "mod")
	}
	dir := filepath.Join(gomodcache, "helm.sh", "helm", "v3@v3.22.0")
	if !fileExists(filepath.Join(dir, "go.mod")) {
		t.Skipf("helm module not in the module cache at %s", dir)
	}
	return dir
}

// BenchmarkHelmRender renders the `helm create` chart, origins included.
func BenchmarkHelmRender(b *testing.B) {
	dir, err := chartutil.Create("bench", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	h := New(render.Options{WorkDir: dir, RepoRoot: dir, Namespace: "default", KubeVersion: render.DefaultKubeVersion, ReleaseName: render.DefaultReleaseName})
	units, _ := h.Plan([]string{dir})
	for b.Loop() {
		r := h.Render(b.Context(), units[0])
		if len(r.Docs) == 0 {
			b.Fatal("nothing rendered")
		}
	}
}

// TestValueRefs checks the values paths read from template actions.
func TestValueRefs(t *testing.T) {
	root := dotScope{kind: dotRoot}
	bound := dotScope{kind: dotValues, path: []string{"api"}}
	vars := map[string]dotScope{"$res": {kind: dotValues, path: []string{"api", "resources"}}}
	tests := []struct {
		expr string
		dot  dotScope
		want [][]string
	}{
		{"toYaml .Values.api.resources | nindent 12", root, [][]string{{"api", "resources"}}},
		{".Values.memory | quote", root, [][]string{{"memory"}}},
		{"toYaml $.Values.x", bound, [][]string{{"x"}}},
		{"toYaml .Values.x", bound, nil},
		{"toYaml . | nindent 4", bound, [][]string{{"api"}}},
		{".limits.memory", bound, [][]string{{"api", "limits", "memory"}}},
		{"toYaml $res.limits", root, [][]string{{"api", "resources", "limits"}}},
		{`index .Values "my-app" "memory"`, root, [][]string{{"my-app", "memory"}}},
		{`required "set .Values.fake" .Values.real`, root, [][]string{{"real"}}},
		{`.Values.a | default .Values.b`, root, [][]string{{"a"}, {"b"}}},
		{`include "x" .`, root, nil},
	}
	for _, tt := range tests {
		got := valueRefs(tt.expr, tt.dot, vars)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("valueRefs(%q) (-want +got):\n%s", tt.expr, diff)
		}
	}
}

// TestMarkLines checks which template lines get a marker.
func TestMarkLines(t *testing.T) {
	src := `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Values.name }}
  labels:
    {{- include "x" . | nindent 4 }}
data:
  a: |
    b: c
  d: "multi
    line"
  e: plain
    continued
  f: {{ .Values.f -}}
  g: 1 # comment
{{- define "y" }}
  h: 2
{{- end }}
  i: {{ toYaml .Values.i }}
  j: ok`
	tf := scanTemplate(0, "templates/cm.yaml", src)
	var got []int
	for i, l := range tf.lines {
		if l.mark {
			got = append(got, i+1)
		}
	}
	want := []int{1, 2, 3, 4, 5, 7, 8, 15, 20}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("marked lines (-want +got):\n%s", diff)
	}
}
