package policy_test

import (
	"testing"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/policy"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/renderers"
	"github.com/oomlint/oomlint/rules"
)

// TestHeapFactsMatchRules checks that a policy sees the heap settings the
// rules use: a Node.js heap set through a wrapper (nodemon) that OOM211
// reads, a JDK 8 image whose JDK_JAVA_OPTIONS the JVM ignores (no OOM201,
// and no maxHeap for the policy either), and a GOMEMLIMIT set inline on a
// script's command.
func TestHeapFactsMatchRules(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "deploy.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: shop, namespace: prod}
spec:
  template:
    spec:
      containers:
        - name: web
          image: node:20
          command: ["nodemon", "--max-old-space-size=2048", "server.js"]
          resources: {requests: {memory: 1Gi}, limits: {memory: 1Gi}}
        - name: api
          image: eclipse-temurin:8-jre
          env:
            - {name: JDK_JAVA_OPTIONS, value: -Xmx2g}
          resources: {requests: {memory: 1Gi}, limits: {memory: 1Gi}}
        - name: worker
          image: example/worker:1
          command: ["sh", "-c", "GOMEMLIMIT=2GiB exec /worker"]
          resources: {requests: {memory: 1Gi}, limits: {memory: 1Gi}}
`)
	cfg := lint.Config{Paths: []string{dir}, WorkDir: dir, Renderers: renderers.All(render.Options{WorkDir: dir, RepoRoot: dir})}
	res, err := lint.Run(t.Context(), cfg, rules.All)
	if err != nil {
		t.Fatal(err)
	}
	fired := map[string]bool{}
	for _, f := range res.Findings {
		fired[f.Container+" "+f.Rule] = true
	}
	if !fired["web OOM211"] || fired["api OOM201"] || !fired["worker OOM221"] {
		t.Fatalf("rules: %v, want OOM211 on web, no OOM201 on api, OOM221 on worker", fired)
	}
	objs, _, err := lint.Objects(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var facts map[string]any
	for _, o := range objs {
		if o.Kind == "Deployment" {
			facts = policy.Facts(o, o.Workload.Namespace)
		}
	}
	containers := facts["workload"].(map[string]any)["containers"].([]any)
	heap := func(i int) map[string]any { return containers[i].(map[string]any)["heap"].(map[string]any) }
	if node, _ := heap(0)["node"].(map[string]any); node == nil || node["maxOldSpaceSize"] != "2048" {
		t.Errorf("web: policy heap.node = %v, want --max-old-space-size 2048 as OOM211 reads it", heap(0)["node"])
	}
	if g, _ := heap(2)["go"].(map[string]any); g == nil || g["bytes"] != int64(2<<30) {
		t.Errorf("worker: policy heap.go = %v, want the inline GOMEMLIMIT=2GiB OOM221 reads", heap(2)["go"])
	}
	if jvm, _ := heap(1)["jvm"].(map[string]any); jvm != nil && jvm["maxHeap"] != nil {
		t.Errorf("api: policy heap.jvm.maxHeap = %v, want none: JDK 8 ignores JDK_JAVA_OPTIONS", jvm["maxHeap"])
	}
}
