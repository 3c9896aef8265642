package appset_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	yaml "go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/appset"
)

const thisRepo = "https://github.com/acme/gitops.git"

func isThisRepo(url string) bool { return url == thisRepo }

// parse returns the mapping node of the ApplicationSet in src.
func parse(tb testing.TB, src string) *yaml.Node {
	tb.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		tb.Fatalf("parse: %v", err)
	}
	return doc.Content[0]
}

// writeRepo creates a repository of files (path → content; a path ending in
// / is an empty directory).
func writeRepo(tb testing.TB, files map[string]string) string {
	tb.Helper()
	root := tb.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				tb.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return root
}

// app is what the tests compare of an Application.
type app struct {
	Name      string
	Namespace string // spec.destination.namespace
	Path      string // spec.source.path
	Params    map[string]any
}

func summarize(tb testing.TB, apps []appset.Application) []app {
	tb.Helper()
	var out []app
	for _, a := range apps {
		out = append(out, app{
			Name:      a.Name,
			Namespace: scalarAt(a.Node, "spec", "destination", "namespace"),
			Path:      scalarAt(a.Node, "spec", "source", "path"),
			Params:    a.Params,
		})
	}
	return out
}

// nodeAt walks mapping keys from n.
func nodeAt(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

func scalarAt(n *yaml.Node, keys ...string) string {
	if n = nodeAt(n, keys...); n == nil {
		return ""
	}
	return n.Value
}

func expand(tb testing.TB, src string, opt appset.Options) ([]appset.Application, []appset.Skipped) {
	tb.Helper()
	apps, skipped, err := appset.Expand(parse(tb, src), opt)
	if err != nil {
		tb.Fatalf("Expand: %v", err)
	}
	for _, a := range apps {
		checkOrigins(tb, a)
	}
	return apps, skipped
}

// checkOrigins fails unless every node of the Application has an origin.
func checkOrigins(tb testing.TB, a appset.Application) {
	tb.Helper()
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if o := a.Origin[n]; o == nil || o.Line == 0 {
			tb.Errorf("%s: node %s %q has no origin", a.Name, path, n.Value)
		}
		for _, c := range n.Content {
			walk(c, path+"/"+c.Value)
		}
	}
	walk(a.Node, "")
}

const listFast = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: guestbook
  namespace: argocd
spec:
  generators:
  - list:
      elements:
      - cluster: engineering-dev
        url: https://1.2.3.4
      - cluster: engineering-prod
        url: https://2.4.6.8
        values:
          ns: prod
  template:
    metadata:
      name: '{{cluster}}-guestbook'
    spec:
      project: default
      source:
        repoURL: https://github.com/acme/gitops.git
        path: guestbook/{{ cluster }}
      destination:
        server: '{{url}}'
        namespace: '{{values.ns}}'
`

const listGo = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: guestbook
spec:
  goTemplate: true
  generators:
  - list:
      elements:
      - cluster: dev
        replicas: 2
        ns: {name: team-a}
      - cluster: prod
        replicas: 10000000
  template:
    metadata:
      name: '{{.cluster}}-guestbook'
    spec:
      project: default
      source:
        path: 'guestbook/{{.cluster}}/{{.replicas}}'
      destination:
        namespace: '{{ dig "ns" "name" "default" . }}'
`

func TestExpandList(t *testing.T) {
	tests := []struct {
		name, src string
		want      []app
		skipped   []string
	}{
		{"fasttemplate", listFast, []app{
			{"engineering-dev-guestbook", "{{values.ns}}", "guestbook/engineering-dev",
				map[string]any{"cluster": "engineering-dev", "url": "https://1.2.3.4"}},
			{"engineering-prod-guestbook", "prod", "guestbook/engineering-prod",
				map[string]any{"cluster": "engineering-prod", "url": "https://2.4.6.8", "values.ns": "prod"}},
		}, nil},
		{"goTemplate", listGo, []app{
			{"dev-guestbook", "team-a", "guestbook/dev/2",
				map[string]any{"cluster": "dev", "replicas": float64(2), "ns": map[string]any{"name": "team-a"}}},
			// Numbers pass through JSON, as in the controller.
			{"prod-guestbook", "default", "guestbook/prod/1e+07",
				map[string]any{"cluster": "prod", "replicas": float64(10000000)}},
		}, nil},
		{"fasttemplate non-string", strings.Replace(listFast, "url: https://1.2.3.4", "url: 8080", 1), nil,
			[]string{`list line 10: list element: value of "url" is not a string (other values need goTemplate)`}},
		{"elementsYaml", `spec:
  goTemplate: true
  generators:
  - list:
      elementsYaml: |
        - cluster: a
        - cluster: b
  template:
    metadata: {name: '{{.cluster}}'}
`, []app{
			{Name: "a", Params: map[string]any{"cluster": "a"}},
			{Name: "b", Params: map[string]any{"cluster": "b"}},
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apps, skipped := expand(t, tt.src, appset.Options{})
			if diff := cmp.Diff(tt.want, summarize(t, apps)); diff != "" {
				t.Errorf("apps (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.skipped, skipSummary(skipped)); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
		})
	}
}

func skipSummary(ss []appset.Skipped) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Generator+" line "+itoa(s.Node.Line)+": "+s.Reason)
	}
	return out
}

func itoa(i int) string {
	b, _ := yaml.Marshal(i)
	return strings.TrimSpace(string(b))
}

var repoFiles = map[string]string{
	"apps/api/kustomization.yaml":   "resources: []\n",
	"apps/web/kustomization.yaml":   "resources: []\n",
	"apps/Batch_Jobs/":              "",
	"apps/legacy/":                  "",
	"apps/web/overlays/":            "",
	"apps/.hidden/":                 "",
	"config/dev/config.yaml":        "cluster:\n  name: dev\n  memory: 512Mi\nreplicas: 2\n",
	"config/prod/config.json":       `{"cluster": {"name": "prod", "memory": "2Gi"}, "replicas": 3}`,
	"config/prod/extra/config.yaml": "- cluster: {name: prod-eu}\n- cluster: {name: prod-us}\n",
	"config/README.md":              "# config\n",
}

const gitDirs = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: apps
  namespace: argocd
spec:
  generators:
  - git:
      repoURL: https://github.com/acme/gitops.git
      revision: HEAD
      directories:
      - path: apps/*
      - path: apps/legacy
        exclude: true
  template:
    metadata:
      name: '{{path.basename}}'
    spec:
      project: default
      source:
        repoURL: https://github.com/acme/gitops.git
        path: '{{path}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{path.basename}}'
`

func TestExpandGitDirectories(t *testing.T) {
	root := writeRepo(t, repoFiles)
	tests := []struct {
		name, src string
		want      []app
	}{
		{"fasttemplate", gitDirs, []app{
			{"Batch_Jobs", "Batch_Jobs", "apps/Batch_Jobs", map[string]any{
				"path": "apps/Batch_Jobs", "path.basename": "Batch_Jobs", "path.basenameNormalized": "batch-jobs",
				"path[0]": "apps", "path[1]": "Batch_Jobs"}},
			{"api", "api", "apps/api", map[string]any{
				"path": "apps/api", "path.basename": "api", "path.basenameNormalized": "api",
				"path[0]": "apps", "path[1]": "api"}},
			{"web", "web", "apps/web", map[string]any{
				"path": "apps/web", "path.basename": "web", "path.basenameNormalized": "web",
				"path[0]": "apps", "path[1]": "web"}},
		}},
		{"goTemplate with prefix and values", `spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - git:
      repoURL: https://github.com/acme/gitops.git
      pathParamPrefix: app
      directories:
      - path: apps/w*
      values:
        team: 'team-{{.app.path.basename}}'
  template:
    metadata:
      name: '{{.app.path.basenameNormalized}}'
    spec:
      source:
        path: '{{index .app.path.segments 0}}/{{.values.team}}'
      destination:
        namespace: '{{.values.team}}'
`, []app{
			{"web", "team-web", "apps/team-web", map[string]any{
				"app": map[string]any{"path": map[string]any{
					"path": "apps/web", "basename": "web", "basenameNormalized": "web",
					"segments": []string{"apps", "web"}}},
				"values": map[string]string{"team": "team-web"}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apps, skipped := expand(t, tt.src, appset.Options{RepoRoot: root, IsThisRepo: isThisRepo})
			if len(skipped) > 0 {
				t.Errorf("skipped: %v", skipSummary(skipped))
			}
			if diff := cmp.Diff(tt.want, summarize(t, apps)); diff != "" {
				t.Errorf("apps (-want +got):\n%s", diff)
			}
		})
	}
}

const gitFiles = `spec:
  generators:
  - git:
      repoURL: https://github.com/acme/gitops.git
      files:
      - path: config/*/config.*
  template:
    metadata:
      name: '{{cluster.name}}'
    spec:
      source:
        path: '{{path}}'
      destination:
        namespace: '{{path.basename}}-{{cluster.memory}}'
`

func TestExpandGitFiles(t *testing.T) {
	root := writeRepo(t, repoFiles)
	devParams := map[string]any{
		"cluster.name": "dev", "cluster.memory": "512Mi", "replicas": "2",
		"path": "config/dev", "path.basename": "dev", "path.basenameNormalized": "dev",
		"path.filename": "config.yaml", "path.filenameNormalized": "config.yaml",
		"path[0]": "config", "path[1]": "dev",
	}
	prodParams := map[string]any{
		"cluster.name": "prod", "cluster.memory": "2Gi", "replicas": "3",
		"path": "config/prod", "path.basename": "prod", "path.basenameNormalized": "prod",
		"path.filename": "config.json", "path.filenameNormalized": "config.json",
		"path[0]": "config", "path[1]": "prod",
	}
	extra := func(name string) map[string]any {
		return map[string]any{
			"cluster.name": name,
			"path":         "config/prod/extra", "path.basename": "extra", "path.basenameNormalized": "extra",
			"path.filename": "config.yaml", "path.filenameNormalized": "config.yaml",
			"path[0]": "config", "path[1]": "prod", "path[2]": "extra",
		}
	}
	tests := []struct {
		name, src string
		opt       appset.Options
		want      []app
	}{
		// git ls-files: * also matches /, so prod/extra/config.yaml matches.
		{"pathspec", gitFiles, appset.Options{}, []app{
			{"dev", "dev-512Mi", "config/dev", devParams},
			{"prod", "prod-2Gi", "config/prod", prodParams},
			{"prod-eu", "extra-{{cluster.memory}}", "config/prod/extra", extra("prod-eu")},
			{"prod-us", "extra-{{cluster.memory}}", "config/prod/extra", extra("prod-us")},
		}},
		{"doublestar", gitFiles, appset.Options{NewGitFileGlobbing: true}, []app{
			{"dev", "dev-512Mi", "config/dev", devParams},
			{"prod", "prod-2Gi", "config/prod", prodParams},
		}},
		{"exclude", strings.Replace(gitFiles, "      - path: config/*/config.*\n",
			"      - path: config/**/config.*\n      - path: config/prod/**\n        exclude: true\n", 1),
			appset.Options{NewGitFileGlobbing: true}, []app{
				{"dev", "dev-512Mi", "config/dev", devParams},
			}},
		{"goTemplate", `spec:
  goTemplate: true
  generators:
  - git:
      repoURL: https://github.com/acme/gitops.git
      files:
      - path: config/dev/config.yaml
  template:
    metadata:
      name: '{{.cluster.name}}-{{.path.filename}}'
    spec:
      destination:
        namespace: '{{.cluster.memory}}'
`, appset.Options{}, []app{
			{"dev-config.yaml", "512Mi", "", map[string]any{
				"cluster":  map[string]any{"name": "dev", "memory": "512Mi"},
				"replicas": float64(2),
				"path": map[string]any{
					"path": "config/dev", "basename": "dev", "basenameNormalized": "dev",
					"filename": "config.yaml", "filenameNormalized": "config.yaml",
					"segments": []string{"config", "dev"},
				},
			}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.RepoRoot = root
			apps, skipped := expand(t, tt.src, tt.opt)
			if len(skipped) > 0 {
				t.Errorf("skipped: %v", skipSummary(skipped))
			}
			if diff := cmp.Diff(tt.want, summarize(t, apps)); diff != "" {
				t.Errorf("apps (-want +got):\n%s", diff)
			}
		})
	}
}

// pos is a node's position.
type pos struct{ Line, Column int }

func TestOrigin(t *testing.T) {
	root := writeRepo(t, repoFiles)
	apps, _ := expand(t, gitDirs, appset.Options{RepoRoot: root, IsThisRepo: isThisRepo})
	if len(apps) == 0 {
		t.Fatal("no applications")
	}
	a := apps[0]
	got := map[string]pos{}
	for _, keys := range [][]string{
		{"metadata", "name"},
		{"metadata", "namespace"},
		{"spec", "destination", "namespace"},
		{"spec", "source", "path"},
		{"spec", "project"},
	} {
		o := a.Origin[nodeAt(a.Node, keys...)]
		got[strings.Join(keys, ".")] = pos{o.Line, o.Column}
	}
	want := map[string]pos{
		"metadata.name":              {17, 13}, // name: '{{path.basename}}'
		"metadata.namespace":         {5, 14},  // the ApplicationSet's namespace
		"spec.destination.namespace": {25, 20},
		"spec.source.path":           {22, 15},
		"spec.project":               {19, 16},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("origins (-want +got):\n%s", diff)
	}
	if o := a.Origin[a.Node]; o.Line != 16 {
		t.Errorf("Application origin line = %d, want 16 (the template)", o.Line)
	}
	// The copy keeps its template position too.
	if n := nodeAt(a.Node, "spec", "destination", "namespace"); n.Line != 25 || n.Value != "Batch_Jobs" {
		t.Errorf("destination.namespace = %q at line %d", n.Value, n.Line)
	}
}

func TestExpandSkipped(t *testing.T) {
	src := `spec:
  generators:
  - clusters:
      selector:
        matchLabels: {env: prod}
  - git:
      repoURL: https://github.com/other/repo.git
      directories:
      - path: '*'
  - pullRequest: {}
  - merge:
      mergeKeys: [server]
      generators: []
  - matrix:
      generators:
      - list:
          elements: [{a: x}]
      - clusters: {}
  - list:
      elements: [{a: kept}]
  template:
    metadata:
      name: '{{a}}'
`
	apps, skipped := expand(t, src, appset.Options{RepoRoot: t.TempDir(), IsThisRepo: isThisRepo})
	want := []string{
		"clusters line 3: not expanded offline",
		"git line 7: repository not this one: https://github.com/other/repo.git",
		"pullRequest line 10: not expanded offline",
		"merge line 11: not expanded offline",
		"matrix line 18: its clusters generator: not expanded offline",
	}
	if diff := cmp.Diff(want, skipSummary(skipped)); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	if len(apps) != 1 || apps[0].Name != "kept" {
		t.Errorf("apps = %v, want one named kept", summarize(t, apps))
	}
}

func TestExpandErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"missingkey", `spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - list:
      elements: [{cluster: dev}]
  template:
    metadata:
      name: '{{.cluster}}'
    spec:
      destination:
        namespace: '{{.namespace}}'
`, `line 12: template "{{.namespace}}": template: :1:2: executing "" at <.namespace>: map has no entry for key "namespace"`},
		{"no template", "spec:\n  generators: []\n", "line 2: ApplicationSet has no spec.template"},
		{"no spec", "metadata: {name: x}\n", "line 1: ApplicationSet has no spec"},
		{"bad option", `spec:
  goTemplate: true
  goTemplateOptions: [missingkey=maybe]
  template: {}
`, `line 3: unknown goTemplateOptions value "missingkey=maybe"`},
		{"parse error", `spec:
  goTemplate: true
  generators:
  - list:
      elements: [{a: b}]
  template:
    metadata:
      name: '{{.a'
`, `line 8: template "{{.a": template: :1: unclosed action`},
		{"fasttemplate end tag", `spec:
  generators:
  - list:
      elements: [{a: b}]
  template:
    metadata:
      name: '{{a}} {{b'
`, `line 7: template "{{a}} {{b": cannot find end tag "}}"`},
		{"templatePatch", `spec:
  goTemplate: true
  generators:
  - list:
      elements: [{a: b}]
  template: {}
  templatePatch: |
    spec: [
`, `line 7: templatePatch: yaml: line 1: did not find expected node content`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := appset.Expand(parse(t, tt.src), appset.Options{})
			if err == nil {
				t.Fatalf("Expand: no error, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q\nwant    %q", err, tt.want)
			}
			if _, ok := errors.AsType[*appset.LineError](err); !ok {
				t.Errorf("error %T is not a *LineError", err)
			}
		})
	}
}

func TestExpandMatrix(t *testing.T) {
	root := writeRepo(t, repoFiles)
	tests := []struct {
		name, src string
		want      []app
	}{
		{"fasttemplate", `spec:
  generators:
  - matrix:
      generators:
      - git:
          repoURL: https://github.com/acme/gitops.git
          directories:
          - path: apps/{{ignored}}
          - path: apps/a*
      - list:
          elements:
          - cluster: dev
          - cluster: '{{path.basename}}-prod'
  template:
    metadata:
      name: '{{path.basename}}-{{cluster}}'
`, []app{
			{Name: "api-dev", Params: map[string]any{
				"path": "apps/api", "path.basename": "api", "path.basenameNormalized": "api",
				"path[0]": "apps", "path[1]": "api", "cluster": "dev"}},
			{Name: "api-api-prod", Params: map[string]any{
				"path": "apps/api", "path.basename": "api", "path.basenameNormalized": "api",
				"path[0]": "apps", "path[1]": "api", "cluster": "api-prod"}},
		}},
		{"goTemplate with generator template", `spec:
  goTemplate: true
  generators:
  - matrix:
      generators:
      - list:
          elements:
          - env: dev
          - env: prod
      - git:
          repoURL: https://github.com/acme/gitops.git
          files:
          - path: 'config/{{.env}}/config.*'
      template:
        spec:
          destination:
            namespace: '{{.env}}'
  template:
    metadata:
      name: '{{.env}}-{{.cluster.name}}'
    spec:
      project: default
      destination:
        namespace: overridden
`, []app{
			{"dev-dev", "dev", "", nil},
			{"prod-prod", "prod", "", nil},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apps, skipped := expand(t, tt.src, appset.Options{RepoRoot: root})
			if len(skipped) > 0 {
				t.Errorf("skipped: %v", skipSummary(skipped))
			}
			got := summarize(t, apps)
			if tt.want[0].Params == nil {
				for i := range got {
					got[i].Params = nil
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("apps (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExpandSelector(t *testing.T) {
	src := `spec:
  generators:
  - list:
      elements:
      - {name: a, env: prod}
      - {name: b, env: dev}
      - {name: c}
    selector:
      matchExpressions:
      - {key: env, operator: NotIn, values: [dev]}
  template:
    metadata: {name: '{{name}}'}
`
	apps, _ := expand(t, src, appset.Options{})
	var names []string
	for _, a := range apps {
		names = append(names, a.Name)
	}
	if diff := cmp.Diff([]string{"a", "c"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
}

func TestExpandDocument(t *testing.T) {
	src := `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: web
  namespace: argocd
spec:
  goTemplate: true
  generators:
  - list:
      elements:
      - env: dev
        memory: 512Mi
  template:
    metadata:
      name: 'web-{{.env}}'
      namespace: ignored
      generateName: dropped-
      labels:
        env: '{{.env}}'
        port: 80{{.env | len}}
    spec:
      project: default
      source:
        helm:
          valuesObject:
            resources:
              limits: {memory: '{{.memory}}'}
  templatePatch: |
    spec:
      project: patched
      syncPolicy:
        automated: {prune: true}
      source:
        helm:
          valuesObject:
            resources:
              requests: {memory: {{.memory | quote}}}
`
	apps, _ := expand(t, src, appset.Options{})
	if len(apps) != 1 {
		t.Fatalf("got %d applications", len(apps))
	}
	var out strings.Builder
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(apps[0].Node); err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: 'web-dev'
  namespace: argocd
  labels:
    env: 'dev'
    port: 803
spec:
  project: default
  source:
    helm:
      valuesObject:
        resources:
          limits: {memory: '512Mi'}
          requests: {memory: "512Mi"}
  syncPolicy:
    automated: {prune: true}
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("Application (-want +got):\n%s", diff)
	}
	a := apps[0]
	if tag := nodeAt(a.Node, "metadata", "labels", "port").Tag; tag != "!!int" {
		t.Errorf("port tag = %s, want !!int", tag)
	}
	// Nodes from the patch land on their line of the block.
	req := nodeAt(a.Node, "spec", "source", "helm", "valuesObject", "resources", "requests", "memory")
	if o := a.Origin[req]; o.Line != 37 {
		t.Errorf("patched memory origin line = %d, want 37", o.Line)
	}
	if o := a.Origin[nodeAt(a.Node, "spec", "syncPolicy")]; o.Line != 32 {
		t.Errorf("patched syncPolicy origin line = %d, want 32", o.Line)
	}
}

func TestPathspec(t *testing.T) {
	root := writeRepo(t, map[string]string{
		"a/x.json": "{}", "a/b/x.json": "{}", "a/b/y.yaml": "{}", "c/[x].json": "{}", "c/z.json": "{}",
		".git/config.json": "{}",
	})
	tests := []struct {
		pattern string
		want    []string
	}{
		{"a/*.json", []string{"a/b/x.json", "a/x.json"}},
		{"a/b", []string{"a/b/x.json", "a/b/y.yaml"}},
		{"a/?/*", []string{"a/b/x.json", "a/b/y.yaml"}},
		{"c/[[]x].json", []string{"c/[x].json"}},
		{"c/[!z]*.json", []string{"c/[x].json"}},
		{`c/\[x\].json`, []string{"c/[x].json"}},
		{"*.json", []string{"a/b/x.json", "a/x.json", "c/[x].json", "c/z.json"}},
		{"a/x.json/", nil},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			src := `spec:
  generators:
  - git:
      repoURL: r
      files:
      - path: '` + tt.pattern + `'
  template:
    metadata: {name: '{{path}}/{{path.filename}}'}
`
			apps, skipped := expand(t, src, appset.Options{RepoRoot: root})
			if len(skipped) > 0 {
				t.Errorf("skipped: %v", skipSummary(skipped))
			}
			var got []string
			for _, a := range apps {
				got = append(got, a.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExpandAliases(t *testing.T) {
	src := `spec:
  generators:
  - list:
      elements:
      - &dev {cluster: dev}
      - *dev
  template:
    metadata: {name: '{{cluster}}'}
    spec:
      destination: &dest
        namespace: '{{cluster}}'
      other:
        <<: *dest
        server: s
`
	apps, _ := expand(t, src, appset.Options{})
	if len(apps) != 2 || apps[1].Name != "dev" {
		t.Fatalf("apps = %v", summarize(t, apps))
	}
	if got := scalarAt(apps[0].Node, "spec", "other", "namespace"); got != "dev" {
		t.Errorf("merged namespace = %q, want dev", got)
	}
}

func TestExpandTooLarge(t *testing.T) {
	var b strings.Builder
	b.WriteString("spec:\n  generators:\n  - list:\n      elements: [{a: b}]\n  template:\n    spec:\n      a0: &a0 [x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("      a" + itoa(i) + ": &a" + itoa(i) + " [*a" + itoa(i-1) + ", *a" + itoa(i-1) + ", *a" + itoa(i-1) + ", *a" + itoa(i-1) + ", *a" + itoa(i-1) + ", *a" + itoa(i-1) + ", *a" + itoa(i-1) + ", *a" + itoa(i-1) + "]\n")
	}
	_, _, err := appset.Expand(parse(t, b.String()), appset.Options{})
	if !errors.Is(err, appset.ErrTooLarge) {
		t.Errorf("error = %v, want ErrTooLarge", err)
	}
}

func TestExpandTestdata(t *testing.T) {
	root := writeRepo(t, repoFiles)
	type result struct {
		Apps    []string // name namespace project [extra]
		Skipped []string
	}
	tests := []struct {
		file  string
		extra []string // a path whose scalar joins each app's summary
		want  result
	}{
		{"matrix-git-list.yaml", []string{"metadata", "labels", "app"}, result{Apps: []string{
			"batch-jobs-dev batch_jobs default Batch_Jobs",
			"batch-jobs-prod batch_jobs default Batch_Jobs",
			"api-dev api default api",
			"api-prod api default api",
		}}},
		{"files-patch.yaml", []string{"spec", "source", "helm", "valuesObject", "replicaCount"}, result{Apps: []string{
			"dev-dev dev default 2",
			"prod-eu-extra prod-eu default 1",
			"prod-us-extra prod-us default 1",
		}}},
		{"list-clusters.yaml", []string{"metadata", "annotations", "in-cluster/owner"}, result{
			Apps:    []string{"in-cluster-guestbook guestbook list-project team"},
			Skipped: []string{"clusters line 16: not expanded offline"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			apps, skipped := expand(t, string(data), appset.Options{RepoRoot: root, IsThisRepo: isThisRepo})
			got := result{Skipped: skipSummary(skipped)}
			for _, a := range apps {
				got.Apps = append(got.Apps, strings.Join([]string{
					a.Name,
					scalarAt(a.Node, "spec", "destination", "namespace"),
					scalarAt(a.Node, "spec", "project"),
					scalarAt(a.Node, tt.extra...),
				}, " "))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
