package argocd_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/oomlint/oomlint/internal/offlinetest"
	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/argocd"
	"github.com/oomlint/oomlint/render/renderers"
	"github.com/oomlint/oomlint/rules"
)

func TestSameRepo(t *testing.T) {
	offlinetest.Guard(t)
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://github.com/example/gitops.git", "https://github.com/example/gitops", true},
		{"https://github.com/example/gitops/", "https://github.com/example/gitops.git/", true},
		{"git@github.com:example/gitops.git", "https://github.com/example/gitops", true},
		{"ssh://git@github.com/example/gitops.git", "https://github.com/example/gitops", true},
		{"https://user:token@github.com/example/gitops", "http://github.com/example/gitops", true},
		{"https://GitHub.com/Example/GitOps", "https://github.com/example/gitops", true},
		{"github.com/example/gitops", "https://github.com/example/gitops.git", true},
		{"https://github.com/example/gitops", "https://github.com/example/other", false},
		{"https://github.com/example/gitops", "https://gitlab.com/example/gitops", false},
		{"https://github.com/example/gitops", "https://github.com/example/gitops/sub", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := argocd.SameRepo(tt.a, tt.b); got != tt.want {
			t.Errorf("SameRepo(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := argocd.SameRepo(tt.b, tt.a); got != tt.want {
			t.Errorf("SameRepo(%q, %q) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}

// TestArgoRepo lints testdata/argocd-repo as the CLI does and checks that
// every Application, the ones the root Application deploys and the ones
// the ApplicationSet generates included, planned a unit that rendered
// objects, with no render problem on the way.
func TestArgoRepo(t *testing.T) {
	offlinetest.Guard(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "testdata", "argocd-repo")
	cfg := lint.Config{Paths: []string{dir}, WorkDir: root, Jobs: 2}
	ropt := render.Options{WorkDir: root, RepoRoot: root}
	fc, err := lint.LoadConfigFile(lint.FindConfigFile(dir))
	if err != nil {
		t.Fatal(err)
	}
	fc.Apply(&cfg)
	ropt.ApplyConfig(fc)
	ropt.Namespace = cfg.Namespace
	cfg.Renderers = renderers.All(ropt)

	objs, problems, err := lint.Objects(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The one problem: the dashboard's jsonnet, which is not evaluated
	// (reported for each place the Application is found; lint.Run keeps one).
	for _, p := range problems {
		if p.File != "testdata/argocd-repo/apps/dashboard.yaml" || p.Line != 13 || p.Severity != lint.Info || !strings.Contains(p.Message, "jsonnet/dashboard/dashboard.jsonnet") {
			t.Errorf("%s:%d: %s", p.File, p.Line, p.Message)
		}
	}
	rendered := map[string]string{} // unit → namespace of a workload it rendered
	var apps []string
	for _, o := range objs {
		if o.Kind == "Application" {
			apps = append(apps, o.Name)
		}
		if o.Unit != nil && o.Unit.Source != nil {
			rendered[o.Unit.Name] = o.Namespace
		}
	}
	slices.Sort(apps)
	apps = slices.Compact(apps)
	if want := []string{"dashboard", "queue", "root", "team-alpha", "team-beta", "web", "worker"}; !slices.Equal(apps, want) {
		t.Errorf("Applications = %q, want %q", apps, want)
	}
	want := map[string]string{
		"Application argocd/root":              "argocd",
		"Application argocd/dashboard":         "dashboard",
		"Application argocd/web":               "web",
		"Application argocd/queue":             "queue",
		"Application argocd/worker sources[1]": "worker",
		"ApplicationSet argocd/teams":          "argocd",
		"Application argocd/team-alpha":        "alpha",
		"Application argocd/team-beta":         "beta",
	}
	for unit, ns := range want {
		got, ok := rendered[unit]
		switch {
		case !ok:
			t.Errorf("unit %s rendered no object", unit)
		case got != ns:
			t.Errorf("unit %s: objects in namespace %q, want %q", unit, got, ns)
		}
	}
	for unit := range rendered {
		if _, ok := want[unit]; !ok && strings.HasPrefix(unit, "Application") {
			t.Errorf("unexpected unit %s", unit)
		}
	}
}

// repo is a small repository written for one test.
type repo struct {
	t      *testing.T
	dir    string
	objs   []*lint.Object
	probs  []lint.Finding
	result *lint.Result
}

// chartFiles is a chart whose containers a and b take their resources
// from .Values.a and .Values.b.
var chartFiles = map[string]string{
	"Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
	"values.yaml": `a:
  limits:
    memory: 128Mi
b:
  limits:
    memory: 128Mi
`,
	"templates/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
      containers:
        - name: a
          image: example/a
          resources:
            {{- toYaml .Values.a | nindent 12 }}
        - name: b
          image: example/b
          resources:
            {{- toYaml .Values.b | nindent 12 }}
`,
}

// lintRepo writes files (with chartFiles under each chart directory
// named) and lints them with every renderer and rule.
func lintRepo(t *testing.T, files map[string]string, charts []string, opt render.Options) *repo {
	t.Helper()
	offlinetest.Guard(t)
	dir := t.TempDir()
	for _, c := range charts {
		for name, text := range chartFiles {
			files[c+"/"+name] = text
		}
	}
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opt.WorkDir, opt.RepoRoot = dir, dir
	for i, s := range opt.ChartSearch {
		opt.ChartSearch[i] = filepath.Join(dir, s)
	}
	cfg := lint.Config{Paths: []string{dir}, WorkDir: dir, Jobs: 2, Renderers: renderers.All(opt)}
	r := &repo{t: t, dir: dir}
	var err error
	if r.objs, r.probs, err = lint.Objects(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Renderers = renderers.All(opt)
	if r.result, err = lint.Run(t.Context(), cfg, rules.All); err != nil {
		t.Fatal(err)
	}
	return r
}

// object is the one object of kind and name a unit rendered.
func (r *repo) object(unit, kind, name string) *lint.Object {
	r.t.Helper()
	for _, o := range r.objs {
		if o.Unit != nil && o.Unit.Name == unit && o.Kind == kind && o.Name == name {
			return o
		}
	}
	r.t.Fatalf("unit %s rendered no %s %s", unit, kind, name)
	return nil
}

// at is where a container's limits.memory traces to, as file:line.
func at(o *lint.Object, container int) string {
	loc := o.Origin.Locate(lint.Root.Keys("spec", "template", "spec", "containers").Index(container).Keys("resources", "limits", "memory"))
	return loc.File + ":" + strconv.Itoa(loc.Line)
}

// limit is a container's rendered limits.memory.
func limit(o *lint.Object, container int) string {
	return o.Workload.Containers[container].DeclaredLimit.Raw
}

func (r *repo) problems() []string {
	var out []string
	for _, f := range r.probs {
		sev := f.Severity
		if sev == 0 {
			sev = lint.Error // as lint.Run stamps an OOM900 without one
		}
		out = append(out, f.File+":"+strconv.Itoa(f.Line)+": "+sev.String()+": "+f.Message)
	}
	return out
}

const thisURL = "https://github.com/example/gitops.git"

// TestHelmValues checks Argo CD's values order and where each value is
// located: valueFiles (relative, and $ref), values as a string,
// valuesObject in its place, parameters last.
func TestHelmValues(t *testing.T) {
	r := lintRepo(t, map[string]string{
		"envs/prod.yaml":   "a:\n  limits:\n    memory: 512Mi\n",
		"chart/extra.yaml": "b:\n  limits:\n    memory: 256Mi\n",
		"apps/files.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: files
  namespace: argocd
spec:
  sources:
    - repoURL: git@github.com:example/gitops
      ref: values
    - repoURL: https://github.com/example/gitops
      path: chart
      helm:
        releaseName: rel
        valueFiles:
          - extra.yaml
          - $values/envs/prod.yaml
  destination:
    namespace: prod
`,
		"apps/inline.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: inline
  namespace: argocd
spec:
  source:
    repoURL: https://github.com/example/gitops
    path: chart
    helm:
      valueFiles: [extra.yaml]
      values: |
        a:
          limits:
            memory: 300Mi
      parameters:
        - name: b.limits.memory
          value: 1Gi
`,
		"apps/object.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: object
  namespace: argocd
spec:
  source:
    repoURL: https://github.com/example/gitops
    path: chart
    helm:
      values: |
        b:
          limits:
            memory: 999Mi
      valuesObject:
        a:
          limits:
            memory: 64Mi
      parameters:
        - name: a.limits.memory
          value: 96Mi
          forceString: true
        - name: a.limits.memory
          value: 80Mi
`,
		"apps/missing.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: missing
  namespace: argocd
spec:
  source:
    repoURL: https://github.com/example/gitops
    path: chart
    helm:
      valueFiles: [nope.yaml]
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ignored
  namespace: argocd
spec:
  source:
    repoURL: https://github.com/example/gitops
    path: chart
    helm:
      ignoreMissingValueFiles: true
      valueFiles: [nope.yaml]
`,
	}, []string{"chart"}, render.Options{RepoURLs: []string{thisURL}})

	files := r.object("Application argocd/files sources[1]", "Deployment", "rel")
	if files.Namespace != "prod" {
		t.Errorf("files: namespace %q, want prod", files.Namespace)
	}
	check := func(o *lint.Object, c int, wantLimit, wantAt string) {
		t.Helper()
		if got := limit(o, c); got != wantLimit {
			t.Errorf("%s container %d: limit %s, want %s", o.Unit.Name, c, got, wantLimit)
		}
		if got := at(o, c); got != wantAt {
			t.Errorf("%s container %d: limit at %s, want %s", o.Unit.Name, c, got, wantAt)
		}
	}
	check(files, 0, "512Mi", "envs/prod.yaml:3")
	check(files, 1, "256Mi", "chart/extra.yaml:3")

	inline := r.object("Application argocd/inline", "Deployment", "inline")
	check(inline, 0, "300Mi", "apps/inline.yaml:15")
	check(inline, 1, "1Gi", "apps/inline.yaml:18")

	object := r.object("Application argocd/object", "Deployment", "object")
	check(object, 0, "80Mi", "apps/object.yaml:24")
	check(object, 1, "128Mi", "chart/values.yaml:6") // values is ignored beside valuesObject

	r.object("Application argocd/ignored", "Deployment", "ignored")
	want := []string{`apps/missing.yaml:11: error: Application missing: value file nope.yaml is not in the repository, so Argo CD fails to render the chart`}
	if got := r.problems(); !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSources checks which sources render and how: a chart from a Helm
// repository (found in charts.search, or one warning per chart version),
// a kustomization with the Application's fields, a directory with include
// and exclude globs, and sources of other repositories left alone.
func TestSources(t *testing.T) {
	pod := func(name string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\nspec:\n  containers:\n    - name: c\n      image: x\n"
	}
	r := lintRepo(t, map[string]string{
		"apps/apps.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: vendored
  namespace: argocd
spec:
  source:
    repoURL: https://charts.example.com
    chart: app
    targetRevision: 1.x
    helm:
      valuesObject:
        a:
          limits:
            memory: 1Gi
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: remote
  namespace: argocd
spec:
  source:
    repoURL: registry.example.com/charts
    chart: remote
    targetRevision: 2.0.0
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: remote-again
  namespace: argocd
spec:
  source:
    repoURL: registry.example.com/charts
    chart: remote
    targetRevision: 2.0.0
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: kust
  namespace: argocd
spec:
  source:
    repoURL: https://github.com/example/gitops
    path: kust
    kustomize:
      namePrefix: prod-
      images: [example/web=registry.example.com/web:2.0]
      commonLabels: {team: a}
  destination:
    namespace: web
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: dir
  namespace: argocd
spec:
  source:
    repoURL: https://github.com/example/gitops
    path: manifests
    directory:
      recurse: true
      include: '{top.*,sub/*}'
      exclude: '*/skip*'
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: elsewhere
  namespace: argocd
spec:
  source:
    repoURL: https://github.com/example/other
    path: manifests
`,
		"kust/kustomization.yaml":      "resources: [web.yaml]\n",
		"kust/web.yaml":                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: example/web:1.0\n",
		"manifests/top.yaml":           pod("top"),
		"manifests/top.json":           `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "json"}}`,
		"manifests/sub/in.yml":         pod("in"),
		"manifests/sub/skip.yaml":      pod("skip"),
		"manifests/sub/deeper/no.yaml": pod("no"),
		// Argo CD evaluates .jsonnet files of a directory source, with the
		// same globs; oomlint says it does not, once per source.
		"manifests/top.jsonnet":      `[{apiVersion: "v1", kind: "Pod", metadata: {name: "jsonnet"}}]`,
		"manifests/sub/in.jsonnet":   `import "../lib.libsonnet"`,
		"manifests/sub/skip.jsonnet": `{}`,
		"manifests/lib.libsonnet":    `{}`,
	}, []string{"vendor/app"}, render.Options{RepoURLs: []string{thisURL}, ChartSearch: []string{"vendor"}})

	vendored := r.object("Application argocd/vendored", "Deployment", "vendored")
	if got, want := at(vendored, 0), "apps/apps.yaml:15"; got != want {
		t.Errorf("vendored: limit at %s, want %s", got, want)
	}

	web := r.object("Application argocd/kust", "Deployment", "prod-web")
	if web.Namespace != "web" || web.Workload.Containers[0].Image != "registry.example.com/web:2.0" || web.Str("metadata", "labels", "team") != "a" {
		t.Errorf("kust: namespace %s, image %s, labels %v", web.Namespace, web.Workload.Containers[0].Image, web.Get("metadata", "labels"))
	}
	if loc := web.Origin.Locate(lint.Root.Keys("metadata", "name")); loc.File != "apps/apps.yaml" && loc.File != "kust/web.yaml" {
		t.Errorf("kust: name located at %s:%d", loc.File, loc.Line)
	}

	var pods []string
	for _, o := range r.objs {
		if o.Kind == "Pod" && o.Unit != nil && o.Unit.Name == "Application argocd/dir" {
			pods = append(pods, o.Name)
		}
	}
	slices.Sort(pods)
	// Globs match the whole relative path, * across directories too.
	if want := []string{"in", "json", "no", "top"}; !slices.Equal(pods, want) {
		t.Errorf("dir rendered pods %q, want %q", pods, want)
	}

	want := []string{
		`apps/apps.yaml:25: warning: Application remote: chart remote 2.0.0 from oci://registry.example.com/charts is neither in the repository (charts.search) nor in the chart cache; oomlint never downloads during lint, so what it deploys is not linted`,
		`apps/apps.yaml:63: info: Application dir: 2 jsonnet files of the directory source are not evaluated offline, so what they generate is not linted: manifests/sub/in.jsonnet, manifests/top.jsonnet`,
	}
	if got := r.problems(); !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, o := range r.objs {
		if o.Unit != nil && strings.Contains(o.Unit.Name, "elsewhere") {
			t.Errorf("Application elsewhere (another repository) rendered %s %s", o.Kind, o.Name)
		}
	}
}

// TestNoRepoURLs checks that with no repoURLs configured a source is this
// repository when its path exists here.
func TestNoRepoURLs(t *testing.T) {
	r := lintRepo(t, map[string]string{
		"apps/app.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: here
  namespace: argocd
spec:
  source:
    repoURL: https://git.example.com/whatever.git
    path: chart
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: there
  namespace: argocd
spec:
  source:
    repoURL: https://git.example.com/whatever.git
    path: not/here
`,
	}, []string{"chart"}, render.Options{})
	r.object("Application argocd/here", "Deployment", "here")
	if got := r.problems(); len(got) > 0 {
		t.Errorf("problems: %q", got)
	}
}

// TestApplicationSet checks that generated Applications render, that their
// fields are located at the template lines, and that a generator that
// needs a cluster is one info finding at its line.
func TestApplicationSet(t *testing.T) {
	r := lintRepo(t, map[string]string{
		"sets.yaml": `# Environments.
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: envs
  namespace: argocd
spec:
  generators:
    - list:
        elements:
          - env: dev
            mem: 100m
    - clusters: {}
  template:
    metadata:
      name: 'app-{{env}}'
    spec:
      source:
        repoURL: https://github.com/example/gitops
        path: chart
        helm:
          valuesObject:
            a:
              limits:
                memory: '{{mem}}'
      destination:
        namespace: '{{env}}'
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: broken
  namespace: argocd
spec:
  generators:
    - list:
        elements:
          - env: x
  template:
    metadata:
      name: 'b-{{env}}'
    spec:
      source:
        repoURL: https://github.com/example/gitops
        path: 'nowhere/{{env}}'
`,
	}, []string{"chart"}, render.Options{RepoURLs: []string{thisURL}})

	dep := r.object("Application argocd/app-dev", "Deployment", "app-dev")
	if dep.Namespace != "dev" || limit(dep, 0) != "100m" || at(dep, 0) != "sets.yaml:26" {
		t.Errorf("app-dev: namespace %s, limit %s at %s; want dev, 100m at sets.yaml:26", dep.Namespace, limit(dep, 0), at(dep, 0))
	}
	want := []string{
		`sets.yaml:14: info: ApplicationSet envs: clusters generator not expanded offline; the Applications it would generate are not linted`,
		`sets.yaml:46: error: Application b-x: path "nowhere/x" is not a directory of this repository`,
	}
	got := r.problems()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var info int
	for _, f := range r.result.Findings {
		if f.Rule == lint.RenderErrorID && f.Severity == lint.Info {
			info++
		}
	}
	if info != 1 {
		t.Errorf("lint.Run kept %d info OOM900 findings, want 1", info)
	}
}

// TestGitRemote checks that the checkout's git remote names this
// repository, and that a source no URL names is still rendered from its
// path here, with a note under --verbose.
func TestGitRemote(t *testing.T) {
	offlinetest.Guard(t)
	dir := t.TempDir()
	files := map[string]string{
		".git/config": "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = git@github.com:example/gitops.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n",
		"apps.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: mine, namespace: argocd}
spec:
  source: {repoURL: https://github.com/example/gitops, path: web}
  destination: {namespace: web}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: mirror, namespace: argocd}
spec:
  source: {repoURL: https://git.internal/mirror/gitops.git, path: web}
  destination: {namespace: mirror}
`,
		"web/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: c\n      image: x\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var notes []string
	cfg := lint.Config{Paths: []string{dir}, WorkDir: dir, Jobs: 2,
		Renderers: renderers.All(render.Options{WorkDir: dir, RepoRoot: dir}),
		Progress: func(p lint.Progress) {
			if p.Note != "" {
				notes = append(notes, p.Note)
			}
		}}
	objs, _, err := lint.Objects(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		if o.Kind == "Pod" {
			got = append(got, o.Unit.Name+" "+o.Namespace)
		}
	}
	slices.Sort(got)
	if want := []string{"Application argocd/mine web", "Application argocd/mirror mirror"}; !slices.Equal(got, want) {
		t.Errorf("pods %q, want %q", got, want)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "Application mirror") {
		t.Errorf("notes %q, want one about Application mirror", notes)
	}
}
