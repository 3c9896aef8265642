package renderers

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/rules"
)

// The shape of BenchmarkKustomizeTree's platform repo: treeEnvs × treeTeams
// leaf overlays over the bases of treeApps, each leaf using 3 to 5 of them.
var (
	treeApps = []string{"api-gateway", "auth", "billing", "catalog", "checkout", "notifications", "orders", "reports", "search", "users"}
	treeEnvs = []string{"dev", "staging", "prod", "prod-eu"}
)

const treeTeams = 25

// benchTreeDir, when set, makes TestWriteKustomizeTree write the tree there,
// so the oomlint binary can be measured on it:
//
//	go test ./render/renderers -run TestWriteKustomizeTree -args -bench-tree-dir=DIR
var benchTreeDir = flag.String("bench-tree-dir", "", "TestWriteKustomizeTree writes BenchmarkKustomizeTree's repository to this directory")

func TestWriteKustomizeTree(t *testing.T) {
	if *benchTreeDir == "" {
		t.Skip("writes a benchmark repository only when -bench-tree-dir is set")
	}
	leaves := writeKustomizeTree(t, *benchTreeDir)
	t.Logf("wrote %d leaf overlays to %s", len(leaves), *benchTreeDir)
}

// BenchmarkKustomizeTree measures a platform repo of kustomize overlays:
// bases/ with one directory per application (a Deployment of one or two
// containers, a Service, a ConfigMap), components/ with two components that
// patch every Deployment, and clusters/<env>/<team>/ leaves that each take 3
// to 5 bases, set a namespace, a name prefix and image tags, patch memory
// and replicas, and generate a ConfigMap.
//
//   - lint: the whole run over the repository root, origins included;
//   - build: every leaf through krusty on the disk, as `kustomize build`
//     runs it, without origins.
//
// Both build the leaves on GOMAXPROCS workers, as lint does. lint / build is
// what linting a kustomize repository costs over building it.
//
//	go test ./render/renderers -run '^$' -bench BenchmarkKustomizeTree -benchtime 3x -count 3
func BenchmarkKustomizeTree(b *testing.B) {
	dir := b.TempDir()
	leaves := writeKustomizeTree(b, dir)
	opt := render.Options{WorkDir: dir, RepoRoot: dir}
	var built atomic.Int64 // objects of one build of every leaf

	b.Run("build", func(b *testing.B) {
		buildAll := func() {
			built.Store(0)
			benchEach(b, len(leaves), func(_ context.Context, i int) error {
				n, err := buildLeaf(leaves[i])
				built.Add(int64(n))
				return err
			})
		}
		buildAll()
		for b.Loop() {
			buildAll()
		}
		reportTree(b, len(leaves), int(built.Load()))
	})

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
		res := lintOnce() // process-wide caches filled outside the timer
		checkTreeResult(b, res, len(leaves))
		for b.Loop() {
			res = lintOnce()
		}
		if want := built.Load(); want > 0 && int64(res.Summary.Objects) != want {
			b.Fatalf("linted %d objects, krusty built %d", res.Summary.Objects, want)
		}
		reportTree(b, len(leaves), res.Summary.Objects)
	})
}

// buildLeaf builds one leaf as `kustomize build` does and returns how many
// objects it made.
func buildLeaf(dir string) (int, error) {
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return 0, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	data, err := m.AsYaml()
	if err != nil {
		return 0, err
	}
	if !strings.Contains(string(data), "kind: Deployment") {
		return 0, fmt.Errorf("kustomize build %s: no Deployment", dir)
	}
	return m.Size(), nil
}

func checkTreeResult(b *testing.B, res *lint.Result, leaves int) {
	b.Helper()
	if res.Summary.Units != leaves || len(res.Findings) == 0 {
		b.Fatalf("linted %d units with %d findings, want %d units and some findings", res.Summary.Units, len(res.Findings), leaves)
	}
	for _, f := range res.Findings {
		if f.Rule == lint.RenderErrorID {
			b.Fatalf("render error: %s:%d: %s", f.File, f.Line, f.Message)
		}
	}
}

func reportTree(b *testing.B, leaves, objects int) {
	b.Helper()
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(leaves)*float64(b.N)/s, "leaves/s")
	b.ReportMetric(float64(objects)*float64(b.N)/s, "objects/s")
}

// writeKustomizeTree writes the platform repo under dir and returns its leaf
// overlays. The same tree every time.
func writeKustomizeTree(tb testing.TB, dir string) []string {
	tb.Helper()
	for i, app := range treeApps {
		writeTreeFiles(tb, filepath.Join(dir, "bases", app), treeBase(app, i))
	}
	writeTreeFiles(tb, filepath.Join(dir, "components"), treeComponents())
	var leaves []string
	for e, env := range treeEnvs {
		for t := range treeTeams {
			leaf := filepath.Join(dir, "clusters", env, fmt.Sprintf("team-%02d", t))
			writeTreeFiles(tb, leaf, treeLeaf(env, t, e*treeTeams+t))
			leaves = append(leaves, leaf)
		}
	}
	return leaves
}

func writeTreeFiles(tb testing.TB, dir string, files map[string]string) {
	tb.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// treeBase is application i's base: every other one runs a proxy sidecar.
func treeBase(app string, i int) map[string]string {
	request, limit := benchMemory(i * 2) // sound sizes: the bases are reviewed
	sidecar := ""
	if i%2 == 0 {
		sidecar = `        - name: envoy
          image: registry.example.com/platform/envoy:1.31.0
          ports:
            - containerPort: 15001
          resources:
            requests:
              cpu: 50m
              memory: 64Mi
            limits:
              memory: 128Mi
`
	}
	return map[string]string{
		"kustomization.yaml": fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
labels:
  - pairs:
      app.kubernetes.io/name: %s
      app.kubernetes.io/part-of: platform
resources:
  - deployment.yaml
  - service.yaml
  - configmap.yaml
`, app),
		"deployment.yaml": fmt.Sprintf(`apiVersion: apps/v1
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
      annotations:
        platform.example.com/owner: platform
    spec:
      serviceAccountName: default
      containers:
        - name: app
          image: registry.example.com/platform/%[1]s:1.0.0
          ports:
            - name: http
              containerPort: 8080
          env:
            - name: JAVA_TOOL_OPTIONS
              value: -XX:MaxRAMPercentage=75
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
          resources:
            requests:
              cpu: 100m
              memory: %[2]s
            limits:
              memory: %[3]s
          volumeMounts:
            - name: config
              mountPath: /etc/app
%[4]s      volumes:
        - name: config
          configMap:
            name: %[1]s-config
`, app, request, limit, sidecar),
		"service.yaml": fmt.Sprintf(`apiVersion: v1
kind: Service
metadata:
  name: %[1]s
spec:
  selector:
    app: %[1]s
  ports:
    - name: http
      port: 80
      targetPort: http
`, app),
		"configmap.yaml": fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata:
  name: %s-config
data:
  application.yaml: |
    server:
      port: 8080
    cache:
      size: 256MB
`, app),
	}
}

// treeComponents are the two components the leaves mix in: monitoring
// annotates every Deployment (a JSON patch), spot moves it to spot nodes (a
// strategic-merge patch).
func treeComponents() map[string]string {
	return map[string]string{
		"monitoring/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
  - target:
      kind: Deployment
    patch: |-
      - op: add
        path: /spec/template/metadata/annotations/prometheus.io~1scrape
        value: "true"
      - op: add
        path: /spec/template/metadata/annotations/prometheus.io~1port
        value: "8080"
`,
		"spot/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
  - target:
      kind: Deployment
    patch: |-
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: any
      spec:
        template:
          spec:
            nodeSelector:
              node.example.com/pool: spot
            tolerations:
              - key: node.example.com/spot
                operator: Exists
                effect: NoSchedule
`,
	}
}

// treeLeaf is the overlay of team t in env, the n-th leaf: 3 to 5
// consecutive bases, with the memory of their main container set by a patch
// (a mistake in one container of five, see benchMemory).
func treeLeaf(env string, t, n int) map[string]string {
	team := fmt.Sprintf("team-%02d", t)
	apps := make([]string, 3+n%3)
	for k := range apps {
		apps[k] = treeApps[(n+k)%len(treeApps)]
	}
	var kust, patch strings.Builder
	fmt.Fprintf(&kust, `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: %[1]s-%[2]s
namePrefix: %[1]s-
resources:
`, team, env)
	for _, app := range apps {
		fmt.Fprintf(&kust, "  - ../../../bases/%s\n", app)
	}
	kust.WriteString("components:\n  - ../../../components/monitoring\n")
	if !strings.HasPrefix(env, "prod") {
		kust.WriteString("  - ../../../components/spot\n")
	}
	kust.WriteString("images:\n")
	for k, app := range apps {
		fmt.Fprintf(&kust, "  - name: registry.example.com/platform/%s\n    newTag: \"1.%d.%d\"\n", app, n%7, k)
	}
	fmt.Fprintf(&kust, `patches:
  - path: resources.yaml
configMapGenerator:
  - name: team-settings
    literals:
      - ENVIRONMENT=%s
      - TEAM=%s
    files:
      - application.properties
`, env, team)

	replicas := 1
	if strings.HasPrefix(env, "prod") {
		replicas = 3
	}
	for k, app := range apps {
		request, limit := benchMemory(n + k)
		if k > 0 {
			patch.WriteString("---\n")
		}
		fmt.Fprintf(&patch, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
spec:
  replicas: %d
  template:
    spec:
      containers:
        - name: app
          envFrom:
            - configMapRef:
                name: team-settings
          resources:
            requests:
              memory: %s
            limits:
              memory: %s
`, app, replicas, request, limit)
	}
	return map[string]string{
		"kustomization.yaml":     kust.String(),
		"resources.yaml":         patch.String(),
		"application.properties": fmt.Sprintf("team=%s\nenvironment=%s\nfeature.flags=search,checkout\n", team, env),
	}
}
