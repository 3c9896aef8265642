package renderers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/oomlint/oomlint/internal/offlinetest"
	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/rules"
)

// repoFixture is a whole GitOps repository: a bitnami-style chart monorepo,
// a kubeflow-style kustomize platform, Flux and Argo CD objects, operator
// CRs and the YAML quirks real repositories have. Its `# want:` lines are
// checked by rules.TestFixtures; the tests here check what holds for every
// unit and every finding, whatever the rules say.
const repoFixture = "testdata/gitops-repo"

// recorder wraps a renderer and keeps what each unit rendered, so a test
// can tell the units apart without parsing finding messages.
type recorder struct {
	lint.Renderer
	mu    sync.Mutex
	units map[string]*lint.Rendered
	twice []string // units rendered more than once
}

// The recorder plans as the renderer it wraps does, whichever way that is.
func (r *recorder) RootFiles() []string {
	if fp, ok := r.Renderer.(lint.FilePlanner); ok {
		return fp.RootFiles()
	}
	return nil
}

func (r *recorder) Opaque() bool {
	fp, ok := r.Renderer.(lint.FilePlanner)
	return ok && fp.Opaque()
}

func (r *recorder) Plan(roots []string) ([]*lint.Unit, []string) {
	if fp, ok := r.Renderer.(lint.FilePlanner); ok {
		return fp.Plan(roots)
	}
	return nil, nil
}

func (r *recorder) PlanObjects(fresh []*lint.Object, all *lint.ObjectSet) lint.ObjectPlan {
	if op, ok := r.Renderer.(lint.ObjectPlanner); ok {
		return op.PlanObjects(fresh, all)
	}
	return lint.ObjectPlan{}
}

func (r *recorder) Render(ctx context.Context, u *lint.Unit) *lint.Rendered {
	out := r.Renderer.Render(ctx, u)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.units[u.Name]; dup {
		r.twice = append(r.twice, u.Name)
	}
	r.units[u.Name] = out
	return out
}

// repoConfig configures a run over the fixture as rules.TestFixtures (and
// the CLI) do: the fixture's .oomlint.yaml applied to the lint and render
// options, paths relative to the module root.
func repoConfig(t *testing.T) (root string, cfg lint.Config, recs []*recorder) {
	t.Helper()
	offlinetest.Guard(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, filepath.FromSlash(repoFixture))
	cfg = lint.Config{Paths: []string{dir}, WorkDir: root, Jobs: 4}
	ropt := render.Options{WorkDir: root, RepoRoot: root}
	p := lint.FindConfigFile(dir)
	if p == "" {
		t.Fatalf("%s has no .oomlint.yaml", repoFixture)
	}
	fc, err := lint.LoadConfigFile(p)
	if err != nil {
		t.Fatal(err)
	}
	fc.Apply(&cfg)
	ropt.ApplyConfig(fc)
	ropt.Namespace = cfg.Namespace
	cfg.Renderers = All(ropt)
	for kind, r := range cfg.Renderers {
		rec := &recorder{Renderer: r, units: map[string]*lint.Rendered{}}
		cfg.Renderers[kind] = rec
		recs = append(recs, rec)
	}
	return root, cfg, recs
}

// unitOutcome is what one chart or overlay of the repository produced.
type unitOutcome struct {
	Objects bool // at least one object decoded from its output
	OOM900  int
}

// TestRepoUnits checks that every chart and overlay of the repository
// either renders objects or fails with exactly one OOM900 saying why,
// that no unit reports more than one render error, and that the units are
// the ones a person reading the tree expects: no library chart, component
// or included base built on its own, one unit per values-*.yaml variant.
func TestRepoUnits(t *testing.T) {
	root, cfg, recs := repoConfig(t)
	objs, problems, err := lint.Objects(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]unitOutcome{}
	for _, rec := range recs {
		if len(rec.twice) > 0 {
			t.Errorf("units rendered more than once: %q", rec.twice)
		}
		for name, out := range rec.units {
			o := got[name]
			for _, f := range out.Problems {
				if f.Rule == lint.RenderErrorID {
					o.OOM900++
				}
				checkPosition(t, root, "render problem of "+name, f.File, f.Line)
			}
			got[name] = o
		}
	}
	for _, o := range objs {
		if o.Unit != nil && o.Unit.Kind != lint.PlainUnit {
			u := got[o.Unit.Name]
			u.Objects = true
			got[o.Unit.Name] = u
		}
	}
	// The flux-system Kustomization builds clusters/production, so the two
	// kustomizations below it give way to it once it is found: rendered in
	// the first wave, their objects are the Kustomization's.
	superseded := map[string]bool{
		"testdata/gitops-repo/clusters/production/cluster-scope": true,
		"testdata/gitops-repo/clusters/production/flux-system":   true,
	}
	for name, o := range got {
		if superseded[name] {
			continue
		}
		if o.OOM900 > 1 || (!o.Objects && o.OOM900 != 1) {
			t.Errorf("unit %s: objects=%v, %d OOM900; want objects or exactly one OOM900", name, o.Objects, o.OOM900)
		}
	}
	const (
		chart = "testdata/gitops-repo/charts/"
		kf    = "testdata/gitops-repo/platform/kubeflow/"
	)
	want := map[string]unitOutcome{
		chart + "billing":                       {OOM900: 1}, // required database.url
		chart + "billing-configured":            {Objects: true},
		chart + "elasticsearch":                 {Objects: true},            // Helm 2, requirements.yaml
		chart + "grafana":                       {Objects: true},            // shared, a file:// dependency
		chart + "kafka":                         {Objects: true, OOM900: 1}, // zookeeper not vendored
		chart + "postgresql":                    {Objects: true},
		chart + "postgresql (values-prod.yaml)": {Objects: true},
		chart + "redis":                         {Objects: true}, // kubeVersion >=1.23.0-0
		chart + "shared":                        {Objects: true},
		"testdata/gitops-repo/clusters/production/cluster-scope": {},
		"testdata/gitops-repo/clusters/production/flux-system":   {},
		"Kustomization flux-system/flux-system":                  {Objects: true}, // path ./clusters/production
		"Kustomization flux-system/kubeflow-pipeline":            {Objects: true}, // the prod overlay, with a Flux patch
		kf + "apps/katib":                        {OOM900: 1}, // git-ignored resource missing
		kf + "apps/pipeline/overlays/dev":        {Objects: true},
		kf + "apps/pipeline/overlays/krm-plugin": {Objects: true, OOM900: 1},
		kf + "apps/training-operator":            {OOM900: 1}, // remote base
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("units (-want +got):\n%s", diff)
	}

	// Plain files: a broken file is one problem of its own (templates
	// outside charts are reported later, by the checker), and operator CRs,
	// CRDs and GitOps objects are counted as objects without being linted.
	var parseErrs []string
	for _, f := range problems {
		if f.Rule == lint.ParseErrorID {
			parseErrs = append(parseErrs, fmt.Sprintf("%s:%d", f.File, f.Line))
		}
	}
	slices.Sort(parseErrs)
	wantParse := []string{
		"testdata/gitops-repo/apps/quirks/tab-indented.yaml:8",
	}
	if diff := cmp.Diff(wantParse, parseErrs); diff != "" {
		t.Errorf("parse errors (-want +got):\n%s", diff)
	}
	kinds := map[string]bool{}
	for _, o := range objs {
		kinds[o.Kind] = true
	}
	for _, k := range []string{"CustomResourceDefinition", "SolrCloud", "Elasticsearch", "Kibana",
		"Application", "HelmRelease", "GitRepository", "LimitRange", "ResourceQuota", "Namespace"} {
		if !kinds[k] {
			t.Errorf("no %s object decoded; it should be counted, not dropped", k)
		}
	}
}

// TestRepoFindings lints the repository as the CLI does and checks what
// must hold for every finding: a real position in a file that exists, in
// the trace too, and no internal error.
func TestRepoFindings(t *testing.T) {
	root, cfg, _ := repoConfig(t)
	res, err := lint.Run(t.Context(), cfg, rules.All)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) == 0 {
		t.Fatal("no findings: the fixture was not linted")
	}
	quiet := map[string]bool{ // kinds whose look-alike fields must never fire
		"CustomResourceDefinition": true, "SolrCloud": true, "Elasticsearch": true, "Kibana": true,
		"Application": true, "HelmRelease": true, "ConfigMap": true,
		"LimitRange": true, "ResourceQuota": true,
	}
	for _, f := range res.Findings {
		where := fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Rule)
		checkPosition(t, root, where, f.File, f.Line)
		for _, r := range f.Related {
			checkPosition(t, root, where+" related", r.File, r.Line)
		}
		if strings.Contains(f.Message, "internal error") {
			t.Errorf("%s: %s", where, f.Message)
		}
		if f.Object != nil && quiet[f.Object.Kind] {
			t.Errorf("%s: finding on %s %s: %s", where, f.Object.Kind, f.Object.Name, f.Message)
		}
		if strings.Contains(f.File, "/cluster-scope/") {
			t.Errorf("%s: no rule reads cluster-scope objects yet: %s", where, f.Message)
		}
	}
	if res.Summary.Units != 15+1 { // the charts, overlays and Flux Kustomizations, and the plain files
		t.Errorf("summary units = %d, want 16", res.Summary.Units)
	}
}

// checkPosition fails unless file (relative to root) exists and line is set.
func checkPosition(t *testing.T, root, what, file string, line int) {
	t.Helper()
	if line < 1 {
		t.Errorf("%s: line %d in %s", what, line, file)
	}
	if file == "" || filepath.IsAbs(file) {
		t.Errorf("%s: file %q is not a path relative to the working directory", what, file)
		return
	}
	if st, err := os.Stat(filepath.Join(root, filepath.FromSlash(file))); err != nil || st.IsDir() {
		t.Errorf("%s: file %s does not exist on disk", what, file)
	}
}

// TestRepoHugeSingleLineJSON lints a JSON manifest of one 3 MB line (a
// ConfigMap holding a bundled dashboard, and a Deployment), as kubectl
// and generators write them; it is not committed. It must decode, be
// linted, and not take long.
func TestRepoHugeSingleLineJSON(t *testing.T) {
	dir := t.TempDir()
	blob := strings.Repeat(`{\"panel\":\"memory\",\"limit\":\"512m\"}`, 3<<20/40)
	doc := `{"apiVersion":"v1","kind":"List","items":[` +
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dashboards"},"data":{"all.json":"` + blob + `"}},` +
		`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"grafana"},"spec":{"template":{"spec":{"containers":[` +
		`{"name":"grafana","image":"grafana/grafana:11.2.2","resources":{"requests":{"memory":"512Mi"},"limits":{"memory":"256Mi"}}}]}}}}]}`
	if len(doc) < 3<<20 || strings.Contains(doc, "\n") {
		t.Fatalf("generated %d bytes; want one line of at least 3 MB", len(doc))
	}
	if err := os.WriteFile(filepath.Join(dir, "bundle.json"), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := lint.Config{Paths: []string{dir}, WorkDir: dir, Jobs: 2,
		Renderers: All(render.Options{WorkDir: dir, RepoRoot: dir})}
	start := time.Now()
	res, err := lint.Run(t.Context(), cfg, rules.All)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Rule))
	}
	if diff := cmp.Diff([]string{"bundle.json:1 OOM103"}, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if res.Summary.Objects != 2 {
		t.Errorf("objects = %d, want 2 (the List's items)", res.Summary.Objects)
	}
	// Generous for -race and slow CI; a quadratic scan of the line takes minutes.
	if elapsed > 10*time.Second {
		t.Errorf("linting one 3 MB line took %v", elapsed)
	}
}
