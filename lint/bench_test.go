package lint_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"golang.org/x/sync/errgroup"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/rules"
)

// benchSizes are the repo sizes, in objects. Sizes after the first run only
// when -bench names them: go test ./lint -run '^$' -bench 'Lint/50k|Floor/50k'.
var benchSizes = []int{10_000, 50_000}

const objectsPerFile = 10

func BenchmarkLint(b *testing.B) {
	for i, n := range benchSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			dir := benchRepo(b, i, n)
			cfg := lint.Config{Paths: []string{dir}, WorkDir: dir}
			var res *lint.Result
			for b.Loop() {
				var err error
				if res, err = lint.Run(b.Context(), cfg, rules.All); err != nil {
					b.Fatal(err)
				}
			}
			reportObjects(b, n)
			if res.Summary.Objects != n || len(res.Findings) == 0 {
				b.Fatalf("linted %d objects with %d findings, want %d objects and some findings", res.Summary.Objects, len(res.Findings), n)
			}
		})
	}
}

// BenchmarkParseFloor reads every file into yaml.Node in parallel: the least
// a linter that reports positions must do. DESIGN.md measures against it.
func BenchmarkParseFloor(b *testing.B) {
	for i, n := range benchSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			files, err := filepath.Glob(filepath.Join(benchRepo(b, i, n), "*", "*.yaml"))
			if err != nil {
				b.Fatal(err)
			}
			var docs []int
			for b.Loop() {
				docs = make([]int, len(files))
				var g errgroup.Group
				g.SetLimit(runtime.GOMAXPROCS(0))
				for i, f := range files {
					g.Go(func() (err error) {
						docs[i], err = parseFile(f)
						return err
					})
				}
				if err := g.Wait(); err != nil {
					b.Fatal(err)
				}
			}
			reportObjects(b, n)
			if got := sum(docs); got != n {
				b.Fatalf("parsed %d documents, want %d", got, n)
			}
		})
	}
}

func parseFile(name string) (int, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return 0, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for n := 0; ; n++ {
		var doc yaml.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return n, nil
		} else if err != nil {
			return n, fmt.Errorf("%s: %w", name, err)
		}
	}
}

func sizeName(n int) string { return fmt.Sprintf("%dk", n/1000) }

// benchRepo writes the i-th size's repo to a temporary directory, or skips
// the benchmark when it is a large size that -bench did not name.
func benchRepo(b *testing.B, i, n int) string {
	b.Helper()
	if i > 0 && !strings.Contains(flag.Lookup("test.bench").Value.String(), sizeName(n)) {
		b.Skipf("run with -bench %s", strings.TrimPrefix(b.Name(), "Benchmark"))
	}
	dir := b.TempDir()
	writeRepo(b, dir, n)
	return dir
}

func reportObjects(b *testing.B, objects int) {
	b.Helper()
	b.ReportMetric(float64(objects)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// writeRepo writes a GitOps-like repo of n objects: one directory per team,
// files of ten documents, mostly workloads with one to three containers,
// with Services and ConfigMaps between them and memory mistakes in some.
func writeRepo(tb testing.TB, dir string, n int) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	var buf bytes.Buffer
	for f := 0; f*objectsPerFile < n; f++ {
		buf.Reset()
		for o := range objectsPerFile {
			if o > 0 {
				buf.WriteString("---\n")
			}
			writeObject(&buf, rng, fmt.Sprintf("app-%d-%d", f, o))
		}
		team := filepath.Join(dir, fmt.Sprintf("team-%02d", f%50))
		if err := os.MkdirAll(team, 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(team, fmt.Sprintf("app-%d.yaml", f)), buf.Bytes(), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

func writeObject(w *bytes.Buffer, rng *rand.Rand, name string) {
	switch k := rng.IntN(100); {
	case k < 35:
		writeWorkload(w, rng, "apps/v1", "Deployment", name, "spec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app: "+name+"\n", "  ")
	case k < 50:
		writeWorkload(w, rng, "apps/v1", "StatefulSet", name, "spec:\n  serviceName: "+name+"\n  replicas: 3\n  selector:\n    matchLabels:\n      app: "+name+"\n", "  ")
	case k < 60:
		writeWorkload(w, rng, "batch/v1", "CronJob", name, "spec:\n  schedule: \"*/15 * * * *\"\n  jobTemplate:\n    spec:\n      backoffLimit: 2\n", "      ")
	case k < 80:
		fmt.Fprintf(w, `apiVersion: v1
kind: Service
metadata:
  name: %[1]s
  namespace: prod
  labels:
    app: %[1]s
spec:
  selector:
    app: %[1]s
  ports:
  - name: http
    port: 80
    targetPort: 8080
`, name)
	default:
		fmt.Fprintf(w, `apiVersion: v1
kind: ConfigMap
metadata:
  name: %[1]s-config
  namespace: prod
data:
  LOG_LEVEL: info
  application.yaml: |
    server:
      port: 8080
    cache:
      size: 512MB
`, name)
	}
}

// Memory settings: most containers get a sound one, one in five a mistake.
var (
	soundMemory = []string{
		"requests: {memory: 256Mi}\n  limits: {memory: 512Mi}",
		"requests: {memory: 512Mi}\n  limits: {memory: 1Gi}",
		"requests: {memory: 1Gi}\n  limits: {memory: 1536Mi}",
		"requests: {memory: 128Mi}\n  limits: {memory: 256Mi}",
		"requests: {memory: 512Mi}\n  limits: {memory: 768Mi}",
	}
	badMemory = []string{
		"limits: {memory: 512Mi}",                              // OOM104
		"requests: {memory: 256Mi}",                            // OOM101
		"requests: {memory: 128Mi}\n  limits: {memory: 2Gi}",   // OOM105
		"requests: {memory: 256Mi}\n  limits: {memory: 512m}",  // OOM107
		"requests: {memory: 256M}\n  limits: {memory: 1G}",     // OOM108
		"requests: {memory: 256Mi}\n  limits: {memory: 512MB}", // OOM106
	}
)

func pick(rng *rand.Rand, xs []string) string { return xs[rng.IntN(len(xs))] }

func writeWorkload(w *bytes.Buffer, rng *rand.Rand, apiVersion, kind, name, head, in string) {
	fmt.Fprintf(w, "apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n  namespace: prod\n  labels:\n    app: %[3]s\n    team: platform\n", apiVersion, kind, name)
	w.WriteString(head)
	fmt.Fprintf(w, "%[1]stemplate:\n%[1]s  metadata:\n%[1]s    labels:\n%[1]s      app: %[2]s\n%[1]s    annotations:\n%[1]s      prometheus.io/scrape: \"true\"\n%[1]s  spec:\n", in, name)
	p := in + "    "
	fmt.Fprintf(w, "%sserviceAccountName: %s\n%scontainers:\n", p, name, p)
	for c := range 1 + rng.IntN(3) {
		res := pick(rng, soundMemory)
		if rng.IntN(5) == 0 {
			res = pick(rng, badMemory)
		}
		fmt.Fprintf(w, `%[1]s- name: %[2]s-%[3]d
%[1]s  image: registry.example.com/%[2]s:1.%[3]d.0
%[1]s  ports:
%[1]s  - containerPort: 8080
%[1]s  env:
%[1]s  - name: LOG_LEVEL
%[1]s    value: info
%[1]s  - name: POD_NAME
%[1]s    valueFrom:
%[1]s      fieldRef: {fieldPath: metadata.name}
%[1]s  readinessProbe:
%[1]s    httpGet: {path: /healthz, port: 8080}
%[1]s    periodSeconds: 10
%[1]s  resources:
%[1]s    %[4]s
%[1]s  volumeMounts:
%[1]s  - name: config
%[1]s    mountPath: /etc/app
`, p, name, c, strings.ReplaceAll(res, "\n  ", "\n"+p+"    "))
	}
	fmt.Fprintf(w, "%[1]svolumes:\n%[1]s- name: config\n%[1]s  configMap: {name: %[2]s-config}\n", p, name)
}

var (
	benchRepoDir     = flag.String("bench-repo-dir", "", "TestWriteBenchRepo writes BenchmarkLint's repository to this directory")
	benchRepoObjects = flag.Int("bench-repo-objects", benchSizes[0], "objects in the repository -bench-repo-dir writes")
)

// TestWriteBenchRepo writes BenchmarkLint's repository when -bench-repo-dir
// is set, so the oomlint binary can be measured on it:
//
//	go test ./lint -run TestWriteBenchRepo -args -bench-repo-dir=DIR -bench-repo-objects=N
func TestWriteBenchRepo(t *testing.T) {
	if *benchRepoDir == "" {
		t.Skip("writes a benchmark repository only when -bench-repo-dir is set")
	}
	writeRepo(t, *benchRepoDir, *benchRepoObjects)
}
