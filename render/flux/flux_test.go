package flux_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"github.com/google/go-cmp/cmp"

	"github.com/oomlint/oomlint/internal/offlinetest"
	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/renderers"
	"github.com/oomlint/oomlint/rules"
)

// lintDir lints dir as the CLI would, offline, with its .oomlint.yaml.
func lintDir(t *testing.T, root, dir string) (*lint.Result, []*lint.Object) {
	t.Helper()
	offlinetest.Guard(t)
	cfg := lint.Config{Paths: []string{dir}, WorkDir: root, Jobs: 2}
	ropt := render.Options{WorkDir: root, RepoRoot: root, ChartCache: t.TempDir()}
	if p := lint.FindConfigFile(dir); p != "" {
		fc, err := lint.LoadConfigFile(p)
		if err != nil {
			t.Fatal(err)
		}
		fc.Apply(&cfg)
		ropt.ApplyConfig(fc)
	}
	cfg.Renderers = renderers.All(ropt)
	res, err := lint.Run(t.Context(), cfg, rules.All)
	if err != nil {
		t.Fatal(err)
	}
	objs, _, err := lint.Objects(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res, objs
}

// TestFluxRepoUnits checks what the Flux fixture plans: each Kustomization
// and HelmRelease once, the directories they build not on their own, and
// the namespace targetNamespace gives.
func TestFluxRepoUnits(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	_, objs := lintDir(t, root, filepath.Join(root, "testdata", "flux-repo"))
	units := map[string]bool{}
	ns := map[string]string{}
	for _, o := range objs {
		units[o.Unit.Kind+" "+o.Unit.Name] = true
		if o.Kind == "Deployment" {
			ns[o.Unit.Name+" "+o.Name] = o.Namespace
		}
	}
	var got []string
	for u := range units {
		got = append(got, u)
	}
	slices.Sort(got)
	want := []string{
		"flux-kustomization Kustomization flux-system/apps",
		"flux-kustomization Kustomization flux-system/flux-system",
		"flux-kustomization Kustomization flux-system/infra-configs",
		"helmrelease HelmRelease podinfo/podinfo", // apps/staging, built by no Kustomization
		"helmrelease HelmRelease team-a/api",
		"helmrelease HelmRelease team-a/home",
		"helmrelease HelmRelease team-a/podinfo",
		"kustomize testdata/flux-repo/apps/staging",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("units (-want +got):\n%s", diff)
	}
	if got := ns["Kustomization flux-system/apps cache"]; got != "team-a" {
		t.Errorf("cache namespace %q, want team-a (targetNamespace)", got)
	}
}

// TestSubstitution covers Flux's variable syntax on a built object.
func TestSubstitution(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) { writeTree(t, dir, map[string]string{name: text}) }
	write("clusters/ks.yaml", `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  path: ./apps
  sourceRef: {kind: GitRepository, name: flux-system}
  postBuild:
    substitute:
      LIMIT: 512Mi
      REPLICAS: "3"
    substituteFrom:
      - kind: ConfigMap
        name: vars
`)
	write("clusters/vars.yaml", `apiVersion: v1
kind: ConfigMap
metadata: {name: vars, namespace: flux-system}
data:
  REQUEST: 256Mi
  LIMIT: 1Gi
`)
	write("apps/deploy.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: web}
spec:
  replicas: ${REPLICAS}
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
          env:
            - {name: ESCAPED, value: "$${NOT_A_VAR}"}
            - {name: DEFAULTED, value: "${UNSET:=fallback}"}
          resources:
            requests: {memory: "${REQUEST}"}
            limits: {memory: "${LIMIT}"}
`)
	write("apps/skip.yaml", `apiVersion: v1
kind: ConfigMap
metadata:
  name: raw
  namespace: web
  annotations: {kustomize.toolkit.fluxcd.io/substitute: disabled}
data: {x: "${LIMIT}"}
`)
	_, objs := lintDir(t, dir, dir)
	got := map[string]string{}
	for _, o := range objs {
		switch o.Kind {
		case "Deployment":
			c := o.Get("spec", "template", "spec", "containers")
			got["replicas"] = o.Get("spec", "replicas").Value + " " + o.Get("spec", "replicas").Tag
			ct := c.Content[0]
			got["limit"] = lint.LocateNode(ct, lint.Root.Keys("resources", "limits", "memory")).Value
			got["request"] = lint.LocateNode(ct, lint.Root.Keys("resources", "requests", "memory")).Value
			_, env := yamlnode.Lookup(ct, "env")
			got["escaped"] = lint.LocateNode(env.Content[0], lint.Root.Key("value")).Value
			got["defaulted"] = lint.LocateNode(env.Content[1], lint.Root.Key("value")).Value
			loc := o.Origin.Locate(lint.Root.Keys("spec", "template", "spec", "containers").Index(0).Keys("resources", "limits", "memory"))
			got["limit at"] = fmt.Sprintf("%s:%d", loc.File, loc.Line)
		case "ConfigMap":
			if o.Name == "raw" {
				got["disabled"] = o.Str("data", "x")
			}
		}
	}
	want := map[string]string{
		"replicas":  "3 !!int",
		"limit":     "512Mi", // substitute wins over substituteFrom
		"request":   "256Mi",
		"escaped":   "${NOT_A_VAR}",
		"defaulted": "fallback",
		"disabled":  "${LIMIT}",
		"limit at":  "clusters/ks.yaml:9", // LIMIT: 512Mi in the Kustomization
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestPostRenderers checks that a HelmRelease's kustomize post-renderer
// patches the chart's output, that a field it set lands on the patch line,
// and that the others keep the chart's values lines.
func TestPostRenderers(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) { writeTree(t, dir, map[string]string{name: text}) }
	write("charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n")
	write("charts/web/values.yaml", "resources:\n  requests:\n    memory: 256Mi\n  limits:\n    memory: 384Mi\n")
	write("charts/web/templates/deploy.yaml", `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
        - name: proxy
          image: envoyproxy/envoy:v1.31
          resources:
            requests: {memory: 64Mi}
            limits: {memory: 128Mi}
`)
	write("apps/web.yaml", `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: web
spec:
  chart:
    spec:
      chart: ./charts/web
      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
  values:
    resources:
      requests:
        memory: 300Mi
  postRenderers:
    - kustomize:
        patches:
          - target: {kind: Deployment}
            patch: |
              - op: replace
                path: /spec/template/spec/containers/1/resources/limits/memory
                value: 32Mi
`)
	res, objs := lintDir(t, dir, dir)
	var limit string
	for _, o := range objs {
		if o.Kind == "Deployment" {
			limit = lint.LocateNode(o.Get("spec", "template", "spec", "containers").Content[1], lint.Root.Keys("resources", "limits", "memory")).Value
		}
	}
	if limit != "32Mi" {
		t.Errorf("proxy limit %q after the post-renderer, want 32Mi", limit)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s:%d %s %s", f.File, f.Line, f.Rule, f.Container))
	}
	// The patch's 32Mi is below the proxy's 64Mi request.
	if !slices.Contains(got, "apps/web.yaml:22 OOM103 proxy") {
		t.Errorf("findings %q, want OOM103 on the patch's value line apps/web.yaml:22", got)
	}
	// The web container's request comes from the HelmRelease's values.
	for _, f := range res.Findings {
		if f.Container == "web" {
			t.Errorf("unexpected finding on web: %s:%d %s %s", f.File, f.Line, f.Rule, f.Message)
		}
	}
	for _, g := range got {
		if strings.Contains(g, "rendered.yaml") || strings.Contains(g, ".flux-postrender") {
			t.Errorf("finding in a file that does not exist: %s", g)
		}
	}
}

// TestOtherRepository checks that a Kustomization or HelmRelease whose
// GitRepository is another repository is an info finding, not a render
// error, when this repository's URLs are known.
func TestOtherRepository(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		".oomlint.yaml": "repoURLs: [https://github.com/example/fleet]\n",
		"clusters/sources.yaml": `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: podinfo, namespace: flux-system}
spec: {url: https://github.com/stefanprodan/podinfo}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: podinfo, namespace: flux-system}
spec:
  path: ./kustomize
  sourceRef: {kind: GitRepository, name: podinfo}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo, namespace: flux-system}
spec:
  chart:
    spec:
      chart: ./charts/podinfo
      sourceRef: {kind: GitRepository, name: podinfo}
`,
	}
	writeTree(t, dir, files)
	res, _ := lintDir(t, dir, dir)
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s:%d %s %s", f.File, f.Line, f.Rule, f.Severity))
	}
	want := []string{"clusters/sources.yaml:11 OOM900 info", "clusters/sources.yaml:20 OOM900 info"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// writeTree writes files under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestValuesFrom checks Flux's values order and where values from
// ConfigMaps land: in the file a configMapGenerator read, or on the line
// inside an inline ConfigMap's block.
func TestValuesFrom(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"charts/app/Chart.yaml":  "apiVersion: v2\nname: app\nversion: 1.0.0\n",
		"charts/app/values.yaml": "api:\n  requests: 256Mi\n  limit: 512Mi\nworker:\n  requests: 256Mi\n  limit: 512Mi\n",
		"charts/app/templates/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
        - name: api
          image: example/api:1
          resources:
            requests: {memory: {{ .Values.api.requests }}}
            limits: {memory: {{ .Values.api.limit }}}
        - name: worker
          image: example/worker:1
          resources:
            requests: {memory: {{ .Values.worker.requests }}}
            limits: {memory: {{ .Values.worker.limit }}}
`,
		"apps/kustomization.yaml": `resources: [release.yaml, inline.yaml]
configMapGenerator:
  - name: api-values
    namespace: apps
    files: [values.yaml=api-values.yaml]
generatorOptions: {disableNameSuffixHash: true}
`,
		"apps/api-values.yaml": "api:\n  limit: 128Mi\n",
		"apps/inline.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: worker-values, namespace: apps}
data:
  values.yaml: |
    worker:
      limit: 64m
`,
		"apps/release.yaml": `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: app, namespace: apps}
spec:
  chart:
    spec:
      chart: ./charts/app
      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
  valuesFrom:
    - {kind: ConfigMap, name: api-values}
    - {kind: ConfigMap, name: worker-values}
    - {kind: ConfigMap, name: absent, optional: true}
  values:
    api:
      requests: 300Mi
`,
	})
	res, _ := lintDir(t, dir, dir)
	var got []string
	for _, f := range res.Findings {
		if f.Severity != lint.Info {
			got = append(got, fmt.Sprintf("%s:%d %s %s", f.File, f.Line, f.Rule, f.Container))
		}
	}
	want := []string{
		"apps/api-values.yaml:2 OOM103 api", // 128Mi from the generator's file, below spec.values' 300Mi request
		"apps/inline.yaml:7 OOM107 worker",  // 64m inside the inline ConfigMap's block
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestKustomizationFields checks the fields Flux adds to a build:
// targetNamespace, namePrefix, images, commonMetadata, components and an
// inline strategic-merge patch, whose value lands on its line.
func TestKustomizationFields(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"clusters/ks.yaml": `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: web, namespace: flux-system}
spec:
  path: ./web
  sourceRef: {kind: GitRepository, name: flux-system}
  targetNamespace: shop
  namePrefix: prod-
  images:
    - {name: nginx, newTag: "1.27"}
  commonMetadata:
    labels: {team: web}
  components: [../components/probe]
  patches:
    - target: {kind: Deployment}
      patch: |
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          template:
            spec:
              containers:
                - name: web
                  resources:
                    limits:
                      memory: 100Mi
`,
		"web/kustomization.yaml": "resources: [deploy.yaml]\n",
		"web/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.25
          resources:
            requests: {memory: 256Mi}
            limits: {memory: 384Mi}
`,
		"components/probe/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
  - target: {kind: Deployment}
    patch: |
      - op: add
        path: /metadata/annotations
        value: {probe: "on"}
`,
	})
	res, objs := lintDir(t, dir, dir)
	got := map[string]string{}
	for _, o := range objs {
		if o.Kind != "Deployment" {
			continue
		}
		c := o.Get("spec", "template", "spec", "containers").Content[0]
		got["name"] = o.Namespace + "/" + o.Name
		got["image"] = lint.LocateNode(c, lint.Root.Key("image")).Value
		got["label"] = o.Str("metadata", "labels", "team")
		got["annotation"] = o.Str("metadata", "annotations", "probe")
	}
	for _, f := range res.Findings {
		got[f.Rule] = fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	want := map[string]string{
		"name":       "shop/prod-web",
		"image":      "nginx:1.27",
		"label":      "web",
		"annotation": "on",
		"OOM103":     "clusters/ks.yaml:28", // the patch's 100Mi limit, below the 256Mi request
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestWaitsForReferences checks that a Kustomization whose substituteFrom
// ConfigMap only a later wave renders (a configMapGenerator in another
// kustomization) waits for it instead of building without it, and that a
// reference nothing renders is one finding once no wave brings more.
func TestWaitsForReferences(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"clusters/apps.yaml": `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  path: ./apps
  sourceRef: {kind: GitRepository, name: flux-system}
  postBuild:
    substituteFrom:
      - {kind: ConfigMap, name: cluster-vars}
      - {kind: Secret, name: never-there}
`,
		"clusters/vars/kustomization.yaml": `namespace: flux-system
configMapGenerator:
  - name: cluster-vars
    literals: [LIMIT=512m]
generatorOptions: {disableNameSuffixHash: true}
`,
		"apps/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: web}
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
          resources:
            requests: {memory: 128Mi}
            limits: {memory: "${LIMIT}"}
`,
	})
	res, _ := lintDir(t, dir, dir)
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Rule))
	}
	want := []string{
		"clusters/apps.yaml:10 OOM900",              // the Secret no wave renders
		"clusters/vars/kustomization.yaml:4 OOM107", // LIMIT=512m from the generator's literal
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestPlainFilesBuiltByKustomizations covers two layouts of real Flux
// repositories: a cluster per directory, each with a Kustomization named
// flux-system/apps (both build, each its own path), and a HelmRelease in a
// directory with no kustomization file that a Kustomization builds with
// substitution (it renders once, substituted, not from the raw file).
func TestPlainFilesBuiltByKustomizations(t *testing.T) {
	dir := t.TempDir()
	ks := func(path, mem string) string {
		return `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  path: ` + path + `
  sourceRef: {kind: GitRepository, name: flux-system}
  postBuild:
    substitute:
      MEM: ` + mem + `
`
	}
	writeTree(t, dir, map[string]string{
		"clusters/prod/apps.yaml":    ks("./apps/prod", "512Mi"),
		"clusters/staging/apps.yaml": ks("./apps/staging", "512m"),
		"charts/mini/Chart.yaml":     "apiVersion: v2\nname: mini\nversion: 0.1.0\n",
		"charts/mini/values.yaml":    "mem: 128Mi\n",
		"charts/mini/templates/d.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  template:
    spec:
      containers:
        - name: c
          image: x
          resources:
            requests:
              memory: 256Mi
            limits:
              memory: {{ .Values.mem }}
`,
		"apps/prod/hr.yaml": `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: hr, namespace: team}
spec:
  chart:
    spec:
      chart: ./charts/mini
      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
  values:
    mem: ${MEM}
`,
	})
	if err := os.MkdirAll(filepath.Join(dir, "apps", "staging"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "apps", "prod", "hr.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, dir, map[string]string{"apps/staging/hr.yaml": string(data)})
	res, _ := lintDir(t, dir, dir)
	var got []string
	for _, f := range res.Findings {
		if f.Severity != lint.Info {
			got = append(got, fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Rule))
		}
	}
	// Staging's 512m, from its substitute entry; prod is clean, and no
	// ${MEM} placeholder is reported as an invalid quantity.
	if diff := cmp.Diff([]string{"clusters/staging/apps.yaml:9 OOM107"}, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestMalformedObjects lints controller objects of every wrong shape (a
// path that is a list, patches that are a string, a HelmRelease with no
// chart, an ApplicationSet with no template): findings at real lines, no
// internal error, no crash.
func TestMalformedObjects(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("testdata/malformed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, dir, map[string]string{
		"clusters/ks.yaml": string(data),
		"apps/d.yaml":      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: x\n",
	})
	res, _ := lintDir(t, dir, dir)
	if len(res.Findings) == 0 {
		t.Fatal("no findings on malformed objects")
	}
	for _, f := range res.Findings {
		if strings.Contains(f.Message, "internal error") || f.Line < 1 {
			t.Errorf("%s:%d %s %s", f.File, f.Line, f.Rule, f.Message)
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.File))); err != nil {
			t.Errorf("finding in a file that does not exist: %s:%d %s", f.File, f.Line, f.Message)
		}
	}
}

// TestMissingChartOnce checks that a chart version neither searched nor
// cached is one warning, at the first HelmRelease that names it, with the
// others that name it in its trace.
func TestMissingChartOnce(t *testing.T) {
	dir := t.TempDir()
	release := func(name string) string {
		return `---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: ` + name + `, namespace: media}
spec:
  chart:
    spec:
      chart: app-template
      version: 3.x
      sourceRef: {kind: HelmRepository, name: bjw-s}
`
	}
	writeTree(t, dir, map[string]string{
		"apps/repo.yaml":     "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: bjw-s, namespace: media}\nspec: {url: oci://ghcr.io/bjw-s/helm, type: oci}\n",
		"apps/releases.yaml": release("plex") + release("radarr") + release("sonarr"),
	})
	res, _ := lintDir(t, dir, dir)
	if len(res.Findings) != 1 {
		t.Fatalf("%d findings, want one warning for the chart version", len(res.Findings))
	}
	f := res.Findings[0]
	var others []string
	for _, r := range f.Related {
		others = append(others, fmt.Sprintf("%s:%d", r.File, r.Line))
	}
	if f.Severity != lint.Warning || f.Line != 8 || !slices.Equal(others, []string{"apps/releases.yaml:18", "apps/releases.yaml:28"}) {
		t.Errorf("finding %s:%d %v related %q, want a warning at apps/releases.yaml:8 naming lines 18 and 28", f.File, f.Line, f.Severity, others)
	}
}
