package renderers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sync/errgroup"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/helm"
	"github.com/oomlint/oomlint/render/kustomize"
	"github.com/oomlint/oomlint/rules"
)

// benchCharts and benchOverlays are the size of BenchmarkRepo's repo: one
// unit per chart and per overlay (the bases are built as part of their overlay).
const (
	benchCharts   = 100
	benchOverlays = 100
	benchUnits    = benchCharts + benchOverlays
)

// BenchmarkRepo measures a repo of small charts and kustomize overlays:
//
//   - lint: the whole run, discovery to findings, with origins;
//   - render: every unit's Plan and Render through the renderers, origins included;
//   - render-plain: the same charts and overlays through the libraries' own
//     entry points (helm's action.Install as `helm template` runs it,
//     krusty on the disk), without origins.
//
// render / render-plain is the cost of origin tracking. All three render the
// units on GOMAXPROCS workers, as lint does.
//
//	go test ./render -run '^$' -bench BenchmarkRepo -benchtime 3x -count 3
func BenchmarkRepo(b *testing.B) {
	dir := b.TempDir()
	repo := writeBenchRepo(b, dir)
	opt := render.Options{WorkDir: dir, RepoRoot: dir}

	b.Run("lint", func(b *testing.B) {
		cfg := lint.Config{Paths: []string{dir}, WorkDir: dir}
		lintOnce := func() *lint.Result {
			cfg.Renderers = All(opt) // fresh, as every run of the command
			res, err := lint.Run(b.Context(), cfg, rules.All)
			if err != nil {
				b.Fatal(err)
			}
			return res
		}
		lintOnce() // process-wide caches (OpenAPI schema, template funcs) filled outside the timer
		var res *lint.Result
		for b.Loop() {
			res = lintOnce()
		}
		reportUnits(b)
		if res.Summary.Units != benchUnits || len(res.Findings) == 0 {
			b.Fatalf("linted %d units with %d findings, want %d units and some findings", res.Summary.Units, len(res.Findings), benchUnits)
		}
		for _, f := range res.Findings {
			if f.Rule == lint.RenderErrorID {
				b.Fatalf("render error: %s:%d: %s", f.File, f.Line, f.Message)
			}
		}
	})

	b.Run("render", func(b *testing.B) {
		renderOnce := func() {
			rs := All(opt)
			var units []*lint.Unit
			byName := map[string]lint.Renderer{}
			for _, r := range rs {
				byName[r.Name()] = r
				if fp, ok := r.(lint.FilePlanner); ok {
					us, _ := fp.Plan(repo.roots[r.Name()])
					units = append(units, us...)
				}
			}
			if len(units) != benchUnits {
				b.Fatalf("planned %d units, want %d", len(units), benchUnits)
			}
			benchEach(b, len(units), func(ctx context.Context, i int) error {
				u := units[i]
				r := byName[u.Kind].Render(ctx, u)
				if len(r.Problems) > 0 || len(r.Docs) == 0 {
					return fmt.Errorf("%s: %d documents, problems %v", u.Name, len(r.Docs), r.Problems)
				}
				for _, d := range r.Docs {
					if d.Origin == nil {
						return fmt.Errorf("%s: %s has no origin", u.Name, d.Name)
					}
				}
				return nil
			})
		}
		renderOnce()
		for b.Loop() {
			renderOnce()
		}
		reportUnits(b)
	})

	b.Run("render-plain", func(b *testing.B) {
		plainOnce := func() {
			benchEach(b, benchUnits, func(ctx context.Context, i int) error {
				var manifest string
				var err error
				if i < len(repo.charts) {
					manifest, err = plainHelmTemplate(ctx, repo.charts[i])
				} else {
					manifest, err = plainKustomizeBuild(repo.overlays[i-len(repo.charts)])
				}
				if err != nil {
					return err
				}
				if !strings.Contains(manifest, "kind: Deployment") {
					return fmt.Errorf("unit %d rendered no Deployment:\n%s", i, manifest)
				}
				return nil
			})
		}
		plainOnce()
		for b.Loop() {
			plainOnce()
		}
		reportUnits(b)
	})
}

// benchEach runs fn for 0..n-1 on GOMAXPROCS workers and fails b on the
// first error.
// BenchmarkBigRepo lints a repo of 100 charts and 200 base+overlay pairs
// end to end, in parallel, origins included: the size of a large company
// GitOps repository.
//
//	go test ./render -run '^$' -bench BenchmarkBigRepo -benchtime 3x
func BenchmarkBigRepo(b *testing.B) {
	dir := b.TempDir()
	writeSizedRepo(b, dir, 100, 200)
	cfg := lint.Config{Paths: []string{dir}, WorkDir: dir}
	opt := render.Options{WorkDir: dir, RepoRoot: dir}
	run := func() *lint.Result {
		cfg.Renderers = All(opt)
		res, err := lint.Run(b.Context(), cfg, rules.All)
		if err != nil {
			b.Fatal(err)
		}
		return res
	}
	run()
	var res *lint.Result
	for b.Loop() {
		res = run()
	}
	if res.Summary.Units != 300 {
		b.Fatalf("linted %d units, want 300", res.Summary.Units)
	}
	b.ReportMetric(float64(res.Summary.Units)*float64(b.N)/b.Elapsed().Seconds(), "units/s")
}

func benchEach(b *testing.B, n int, fn func(ctx context.Context, i int) error) {
	b.Helper()
	g, ctx := errgroup.WithContext(b.Context())
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range n {
		g.Go(func() error { return fn(ctx, i) })
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}

func reportUnits(b *testing.B) {
	b.Helper()
	b.ReportMetric(float64(benchUnits)*float64(b.N)/b.Elapsed().Seconds(), "units/s")
}

// plainHelmTemplate renders a chart as `helm template` does: load, default
// values, action.Install client-only and dry-run. No origins.
func plainHelmTemplate(ctx context.Context, dir string) (string, error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return "", err
	}
	vals, err := (&values.Options{}).MergeValues(nil)
	if err != nil {
		return "", err
	}
	inst := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	inst.DryRun, inst.DryRunOption, inst.ClientOnly, inst.Replace = true, "true", true, true
	inst.ReleaseName, inst.Namespace = render.DefaultReleaseName, lint.DefaultNamespace
	if inst.KubeVersion, err = chartutil.ParseKubeVersion(render.DefaultKubeVersion); err != nil {
		return "", err
	}
	rel, err := inst.RunWithContext(ctx, ch, vals)
	if err != nil {
		return "", fmt.Errorf("helm template %s: %w", dir, err)
	}
	return rel.Manifest, nil
}

// plainKustomizeBuild builds an overlay as `kustomize build` does. No origins.
func plainKustomizeBuild(dir string) (string, error) {
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return "", fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	data, err := m.AsYaml()
	return string(data), err
}

// benchRepo is what writeBenchRepo wrote.
type benchRepo struct {
	charts   []string            // chart directories
	overlays []string            // overlay directories
	roots    map[string][]string // every root the walk finds, sorted, as Plan is given them
}

// writeBenchRepo writes benchCharts charts and benchOverlays kustomize
// base+overlay pairs under dir: small services as teams write them, memory
// set from values or a patch, with a mistake in one unit in five.
func writeBenchRepo(b *testing.B, dir string) benchRepo {
	b.Helper()
	return writeSizedRepo(b, dir, benchCharts, benchOverlays)
}

func writeSizedRepo(b *testing.B, dir string, charts, overlays int) benchRepo {
	b.Helper()
	repo := benchRepo{roots: map[string][]string{}}
	for i := range charts {
		name := fmt.Sprintf("svc-%03d", i)
		d := filepath.Join(dir, "charts", name)
		benchWrite(b, d, benchChart(name, i))
		repo.charts = append(repo.charts, d)
		repo.roots[helm.Name] = append(repo.roots[helm.Name], d)
	}
	for i := range overlays {
		name := fmt.Sprintf("app-%03d", i)
		d := filepath.Join(dir, "kustomize", name)
		benchWrite(b, d, benchKustomization(name, i))
		overlay := filepath.Join(d, "overlays", "prod")
		repo.overlays = append(repo.overlays, overlay)
		repo.roots[kustomize.Name] = append(repo.roots[kustomize.Name], filepath.Join(d, "base"), overlay)
	}
	return repo
}

func benchWrite(b *testing.B, dir string, files map[string]string) {
	b.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// benchMemory is the resources block of unit i: requests and limits, or in
// one unit of five a mistake (no limit, millibytes, limit below request).
func benchMemory(i int) (request, limit string) {
	sizes := [][2]string{{"128Mi", "256Mi"}, {"256Mi", "512Mi"}, {"512Mi", "768Mi"}, {"1Gi", "1536Mi"}}
	switch i % 10 {
	case 3:
		return "256Mi", "512m" // OOM107
	case 7:
		return "1Gi", "512Mi" // limit below request
	}
	s := sizes[i%len(sizes)]
	return s[0], s[1]
}

func benchChart(name string, i int) map[string]string {
	request, limit := benchMemory(i)
	return map[string]string{
		"Chart.yaml": fmt.Sprintf(`apiVersion: v2
name: %s
description: A small HTTP service
type: application
version: 0.%d.0
appVersion: "1.%d.0"
`, name, i%7, i%5),
		"values.yaml": fmt.Sprintf(`replicaCount: %d

image:
  repository: registry.example.com/platform/%s
  tag: ""
  pullPolicy: IfNotPresent

service:
  type: ClusterIP
  port: 80

podAnnotations:
  prometheus.io/scrape: "true"

resources:
  requests:
    cpu: 100m
    memory: %s
  limits:
    memory: %s

nodeSelector: {}
`, 2+i%3, name, request, limit),
		"templates/_helpers.tpl": strings.ReplaceAll(`{{- define "CHART.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "CHART.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "CHART.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{ include "CHART.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
`, "CHART", name),
		"templates/deployment.yaml": strings.ReplaceAll(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "CHART.fullname" . }}
  labels:
    {{- include "CHART.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      {{- include "CHART.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      {{- with .Values.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      labels:
        {{- include "CHART.selectorLabels" . | nindent 8 }}
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: 8080
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
`, "CHART", name),
		"templates/service.yaml": strings.ReplaceAll(`apiVersion: v1
kind: Service
metadata:
  name: {{ include "CHART.fullname" . }}
  labels:
    {{- include "CHART.labels" . | nindent 4 }}
spec:
  type: {{ .Values.service.type }}
  ports:
    - port: {{ .Values.service.port }}
      targetPort: http
      name: http
  selector:
    {{- include "CHART.selectorLabels" . | nindent 4 }}
`, "CHART", name),
	}
}

func benchKustomization(name string, i int) map[string]string {
	request, limit := benchMemory(i + 1)
	return map[string]string{
		"base/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
labels:
  - pairs:
      app.kubernetes.io/part-of: shop
resources:
  - deployment.yaml
  - service.yaml
`,
		"base/deployment.yaml": fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  labels:
    app: %[1]s
spec:
  replicas: 1
  selector:
    matchLabels:
      app: %[1]s
  template:
    metadata:
      labels:
        app: %[1]s
    spec:
      containers:
        - name: %[1]s
          image: registry.example.com/shop/%[1]s:1.0.0
          ports:
            - containerPort: 8080
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              memory: 256Mi
`, name),
		"base/service.yaml": fmt.Sprintf(`apiVersion: v1
kind: Service
metadata:
  name: %[1]s
spec:
  selector:
    app: %[1]s
  ports:
    - port: 80
      targetPort: 8080
`, name),
		"overlays/prod/kustomization.yaml": fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: team-%02d
resources:
  - ../../base
patches:
  - path: memory.yaml
`, i%20),
		"overlays/prod/memory.yaml": fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: %[1]s
          resources:
            requests:
              memory: %[2]s
            limits:
              memory: %[3]s
`, name, request, limit),
	}
}
