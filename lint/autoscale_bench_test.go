package lint_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/rules"
)

// BenchmarkHPAVPA lints one namespace of n workloads, each with an HPA on
// memory and a VPA, and a ResourceQuota that counts HPA replicas: matching
// autoscalers to workloads must grow linearly with n.
func BenchmarkHPAVPA(b *testing.B) {
	for _, n := range []int{2000, 4000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			dir := b.TempDir()
			writeAutoscaled(b, dir, n)
			cfg := lint.Config{Paths: []string{dir}, WorkDir: dir}
			var res *lint.Result
			for b.Loop() {
				var err error
				if res, err = lint.Run(b.Context(), cfg, rules.All); err != nil {
					b.Fatal(err)
				}
			}
			// Every HPA and VPA on memory conflict (OOM408).
			if got := count(res, "OOM408"); got != n {
				b.Fatalf("%d OOM408 findings, want %d", got, n)
			}
		})
	}
}

func count(res *lint.Result, rule string) int {
	n := 0
	for _, f := range res.Findings {
		if f.Rule == rule {
			n++
		}
	}
	return n
}

// writeAutoscaled writes n (Deployment, HPA, VPA) triples in one namespace,
// a hundred triples to a file, plus a ResourceQuota.
func writeAutoscaled(tb testing.TB, dir string, n int) {
	tb.Helper()
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	write("quota.yaml", []byte(`apiVersion: v1
kind: ResourceQuota
metadata:
  name: mem
  namespace: prod
spec:
  hard:
    requests.memory: 1Ti
    limits.memory: 2Ti
`))
	var apps, scalers bytes.Buffer
	for i := range n {
		name := fmt.Sprintf("app-%d", i)
		fmt.Fprintf(&apps, `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  namespace: prod
spec:
  replicas: 2
  selector:
    matchLabels:
      app: %[1]s
  template:
    metadata:
      labels:
        app: %[1]s
    spec:
      containers:
      - name: app
        image: example/app:1
        resources:
          requests: {memory: 256Mi}
          limits: {memory: 512Mi}
`, name)
		fmt.Fprintf(&scalers, `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: %[1]s
  namespace: prod
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: %[1]s
  minReplicas: 2
  maxReplicas: 6
  metrics:
  - type: Resource
    resource:
      name: memory
      target:
        type: Utilization
        averageUtilization: 80
---
apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata:
  name: %[1]s
  namespace: prod
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: %[1]s
  updatePolicy:
    updateMode: Initial
  resourcePolicy:
    containerPolicies:
    - containerName: app
      maxAllowed: {memory: 1Gi}
`, name)
		if (i+1)%100 == 0 || i == n-1 {
			write(fmt.Sprintf("apps-%d.yaml", i/100), apps.Bytes())
			write(fmt.Sprintf("scalers-%d.yaml", i/100), scalers.Bytes())
			apps.Reset()
			scalers.Reset()
		}
	}
}
