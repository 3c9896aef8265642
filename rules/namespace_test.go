package rules

import (
	"strings"
	"testing"

	"github.com/oomlint/oomlint/internal/yamlnode"

	gocmp "github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/quantity"
	"github.com/oomlint/oomlint/lint"
)

// The quota arithmetic of OOM401 and OOM404, unit by unit: pod memory
// (init containers, native sidecars, pod-level), surge, pod counts, scopes
// and the per-quota sum.

type lineOrigin struct{ file string }

func (o lineOrigin) Locate(lint.Path) lint.Location {
	return lint.Location{File: o.file, Line: 1, Column: 1}
}

func testQuantity(t *testing.T, raw string) *lint.Quantity {
	t.Helper()
	info := quantity.Classify(raw)
	if info.Class == quantity.Invalid {
		t.Fatalf("bad quantity %q in test", raw)
	}
	return &lint.Quantity{Raw: raw, Field: "requests.memory", Info: &info}
}

// testContainer is "name role request limit", role one of app, init, sidecar;
// "-" for a missing value.
func testContainer(t *testing.T, spec string) *lint.Container {
	t.Helper()
	f := strings.Fields(spec)
	c := &lint.Container{Name: f[0]}
	switch f[1] {
	case "init":
		c.Role = lint.Init
	case "sidecar":
		c.Role = lint.Sidecar
	}
	if f[2] != "-" {
		c.Request = lint.Effective{Q: testQuantity(t, f[2]), Source: lint.Declared}
	}
	if len(f) > 3 && f[3] != "-" {
		c.Limit = lint.Effective{Q: testQuantity(t, f[3]), Source: lint.Declared}
	}
	return c
}

func TestPodMemory(t *testing.T) {
	tests := []struct {
		name       string
		containers []string
		podRequest string
		limits     bool
		want       string
		initWon    bool
	}{
		{name: "app containers add up", containers: []string{"a app 1Gi", "b app 512Mi"}, want: "1536Mi"},
		{name: "an init container larger than the apps wins", containers: []string{"i init 2Gi", "a app 1Gi"}, want: "2Gi", initWon: true},
		{name: "an init container smaller than the apps counts nothing", containers: []string{"i init 512Mi", "a app 1Gi"}, want: "1Gi"},
		{
			name:       "a sidecar started before an init container adds to it",
			containers: []string{"s sidecar 256Mi", "i init 1Gi", "a app 512Mi"},
			want:       "1280Mi", initWon: true,
		},
		{
			name:       "a sidecar started after an init container runs with the apps",
			containers: []string{"i init 1Gi", "s sidecar 512Mi", "a app 768Mi"},
			want:       "1280Mi",
		},
		{name: "missing values add nothing", containers: []string{"a app -", "b app 256Mi"}, want: "256Mi"},
		{name: "pod-level resources replace the sum", containers: []string{"a app 1Gi"}, podRequest: "3Gi", want: "3Gi"},
		{name: "limits side", containers: []string{"i init 1Gi 4Gi", "a app 1Gi 2Gi", "s sidecar 64Mi 128Mi"}, limits: true, want: "4Gi", initWon: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &lint.Workload{}
			for _, s := range tt.containers {
				w.Containers = append(w.Containers, testContainer(t, s))
			}
			if tt.podRequest != "" {
				w.PodRequest = testQuantity(t, tt.podRequest)
			}
			got := podMemory(w, tt.limits)
			if s := exactSize(got.total); s != tt.want || got.initWon != tt.initWon {
				t.Errorf("podMemory = %s (init won %v), want %s (init won %v)", s, got.initWon, tt.want, tt.initWon)
			}
		})
	}
}

func TestSurge(t *testing.T) {
	tests := []struct {
		v    string // as written; "" is unset (or null)
		pods int64
		def  string
		want int64
	}{
		{"", 4, "25%", 1},
		{"", 5, "25%", 2}, // 1.25 rounds up
		{"", 1, "25%", 1},
		{"", 0, "25%", 0},
		{"", 10, "0", 0},
		{"50%", 3, "25%", 2},
		{"10%", 10, "25%", 1},
		{"2", 10, "25%", 2},
		{"0", 10, "25%", 0},
		{"lots", 8, "25%", 2}, // not a count: the default
		{"-1", 8, "25%", 2},
	}
	for _, tt := range tests {
		if got := surge(tt.v, tt.pods, tt.def); got != tt.want {
			t.Errorf("surge(%q, %d pods, default %s) = %d, want %d", tt.v, tt.pods, tt.def, got, tt.want)
		}
	}
}

// ensureMapping adds empty mappings along keys below n where they are missing.
func ensureMapping(n *yaml.Node, keys []string) {
	for _, k := range keys {
		v := yamlnode.Get(n, k)
		if v == nil {
			v = &yaml.Node{Kind: yaml.MappingNode}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, v)
		}
		n = v
	}
}

// testObjects decodes a multi-document YAML stream into objects of one
// namespace, with a workload for each kind that has a pod template.
func testObjects(t *testing.T, src string) (*lint.Namespace, []*lint.Object) {
	t.Helper()
	ns := &lint.Namespace{Name: "ns"}
	var out []*lint.Object
	dec := yaml.NewDecoder(strings.NewReader(src))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			break
		}
		n := doc.Content[0]
		o := &lint.Object{Kind: yamlnode.Str(n, "kind"), Name: yamlnode.Str(yamlnode.Get(n, "metadata"), "name"), Namespace: "ns", Node: n, Origin: lineOrigin{"x.yaml"}}
		switch o.Kind {
		case "HorizontalPodAutoscaler":
			ns.HPAs = append(ns.HPAs, o)
		case "ResourceQuota":
			ns.ResourceQuotas = append(ns.ResourceQuotas, o)
		default:
			wk, _ := lint.KindOf(o.Kind)
			ensureMapping(n, wk.PodSpec) // a fixture may leave out the pod spec
			w := lint.BuildWorkload(o)
			w.Namespace = ns
			for _, ct := range w.Containers {
				// Fixtures write a container's request as request: 1Gi.
				req := testContainer(t, ct.Name+" app "+yamlnode.Str(ct.Node, "request"))
				ct.Request = req.Request
			}
			o.Workload = w
			ns.Workloads = append(ns.Workloads, w)
		}
		out = append(out, o)
	}
	return ns, out
}

func TestCountPods(t *testing.T) {
	const src = `
kind: Deployment
metadata: {name: api}
spec: {replicas: 3}
---
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec: {scaleTargetRef: {kind: Deployment, name: api}, maxReplicas: 10}
---
kind: HorizontalPodAutoscaler
metadata: {name: api-statefulset}
spec: {scaleTargetRef: {kind: StatefulSet, name: api}, maxReplicas: 50}
---
kind: Deployment
metadata: {name: default-replicas}
---
kind: Deployment
metadata: {name: recreate}
spec: {replicas: 4, strategy: {type: Recreate, rollingUpdate: {maxSurge: 2}}}
---
kind: Deployment
metadata: {name: surge-percent}
spec: {replicas: 3, strategy: {rollingUpdate: {maxSurge: 50%}}}
---
kind: StatefulSet
metadata: {name: db}
spec: {replicas: 3}
---
kind: Job
metadata: {name: batch}
spec: {parallelism: 5, completions: 2}
---
kind: Job
metadata: {name: default-job}
---
kind: CronJob
metadata: {name: nightly}
spec: {jobTemplate: {spec: {parallelism: 3}}}
---
kind: DaemonSet
metadata: {name: agent}
spec: {updateStrategy: {rollingUpdate: {maxSurge: 1}}}
---
kind: Pod
metadata: {name: debug}
---
kind: PodTemplate
metadata: {name: template}
---
kind: Rollout
metadata: {name: blue-green}
spec: {replicas: 2, strategy: {blueGreen: {activeService: web}}}
---
kind: Rollout
metadata: {name: canary}
spec: {replicas: 8, strategy: {canary: {}}}
`
	ns, _ := testObjects(t, src)
	count := func(nodes int) []string {
		var out []string
		for _, w := range ns.Workloads {
			pc := countPods(w, ns, lint.Settings{Nodes: nodes})
			if !pc.declared {
				out = append(out, w.Object.Name+": not counted")
				continue
			}
			out = append(out, w.Object.Name+": "+plural(pc.pods, "pod")+" + "+plural(pc.surge, "surge pod")+" ("+pc.why+")")
		}
		return out
	}
	want := []string{
		"api: 10 pods + 3 surge pods (HPA api maxReplicas)",
		"default-replicas: 1 pod + 1 surge pod (replicas (default 1))",
		"recreate: 4 pods + 0 surge pods (replicas)",
		"surge-percent: 3 pods + 2 surge pods (replicas)",
		"db: 3 pods + 0 surge pods (replicas)",
		"batch: 2 pods + 0 surge pods (completions)",
		"default-job: 1 pod + 0 surge pods (parallelism (default 1))",
		"nightly: 3 pods + 0 surge pods (parallelism)",
		"agent: not counted",
		"debug: 1 pod + 0 surge pods (pod)",
		"template: not counted",
		"blue-green: 2 pods + 2 surge pods (replicas)",
		"canary: 8 pods + 2 surge pods (replicas)",
	}
	if diff := gocmp.Diff(want, count(0)); diff != "" {
		t.Errorf("pod counts (-want +got):\n%s", diff)
	}
	if got := count(4)[8]; got != "agent: 4 pods + 1 surge pod (nodes)" {
		t.Errorf("with 4 nodes: %s, want agent: 4 pods + 1 surge pod (nodes)", got)
	}
}

func TestQuotaCovers(t *testing.T) {
	const src = `
kind: Deployment
metadata: {name: web}
spec: {template: {spec: {priorityClassName: high, containers: [{name: web, request: 1Gi}]}}}
---
kind: Job
metadata: {name: etl}
spec: {template: {spec: {activeDeadlineSeconds: 60, containers: [{name: etl, request: 1Gi}]}}}
---
kind: Pod
metadata: {name: best-effort}
spec: {containers: [{name: x, request: "-"}]}
---
kind: Pod
metadata: {name: cpu-only}
spec: {containers: [{name: x, request: "-", resources: {requests: {cpu: 100m}}}]}
`
	ns, _ := testObjects(t, src)
	quota := func(scopes string) *lint.Object {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte("kind: ResourceQuota\nspec: "+scopes), &n); err != nil {
			t.Fatal(err)
		}
		return &lint.Object{Kind: "ResourceQuota", Node: n.Content[0]}
	}
	name := map[scopeMatch]string{scopeNo: "no", scopeYes: "yes", scopeUnknown: "unknown"}
	tests := []struct {
		scopes string
		want   string // web etl best-effort cpu-only
	}{
		{`{}`, "yes yes yes yes"},
		{`{scopes: [Terminating]}`, "no yes no no"},
		{`{scopes: [NotTerminating]}`, "yes no yes yes"},
		{`{scopes: [NotBestEffort]}`, "yes yes no yes"},
		{`{scopes: [BestEffort]}`, "no no no no"},
		{`{scopes: [NotTerminating, NotBestEffort]}`, "yes no no yes"},
		{`{scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: In, values: [high]}]}}`, "yes no no no"},
		{`{scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: NotIn, values: [high]}]}}`, "no yes yes yes"},
		{`{scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: Exists}]}}`, "unknown unknown unknown unknown"},
		{`{scopes: [CrossNamespacePodAffinity]}`, "unknown unknown unknown unknown"},
		{`{scopes: [Terminating, CrossNamespacePodAffinity]}`, "no unknown no no"},
	}
	for _, tt := range tests {
		q := quota(tt.scopes)
		var got []string
		for _, w := range ns.Workloads {
			got = append(got, name[quotaCovers(q, w)])
		}
		if s := strings.Join(got, " "); s != tt.want {
			t.Errorf("%s: covers %s, want %s", tt.scopes, s, tt.want)
		}
	}
}

func TestQuotaOverflow(t *testing.T) {
	const src = `
kind: ResourceQuota
metadata: {name: compute}
spec: {hard: {requests.memory: 6Gi, limits.memory: 64Gi}}
---
kind: Deployment
metadata: {name: api}
spec: {replicas: 2, template: {spec: {containers: [{name: api, request: 1Gi}]}}}
---
kind: StatefulSet
metadata: {name: db}
spec: {replicas: 3, template: {spec: {containers: [{name: db, request: 512Mi}]}}}
---
kind: StatefulSet
metadata: {name: cache}
spec: {replicas: 3, template: {spec: {containers: [{name: cache, request: 512Mi}]}}}
---
# The same StatefulSet from another overlay, bigger: counted once, at its largest.
kind: StatefulSet
metadata: {name: db}
spec: {replicas: 4, template: {spec: {containers: [{name: db, request: 512Mi}]}}}
`
	ns, _ := testObjects(t, src)
	var counts []podCount
	for _, w := range ns.Workloads {
		counts = append(counts, countPods(w, ns, lint.Settings{}))
	}
	hards := quotaHards(ns.ResourceQuotas[0])
	if len(hards) != 2 || hards[0].resource != "requests.memory" || hards[1].resource != "limits.memory" {
		t.Fatalf("quotaHards = %+v, want requests.memory then limits.memory", hards)
	}
	// api 3 × 1Gi (surge 1) + db 4 × 512Mi + cache 3 × 512Mi = 6.5Gi > 6Gi.
	d, ok := quotaOverflow(ns, hards[0], counts)
	if !ok {
		t.Fatal("no finding for 6.5Gi of requests against 6Gi")
	}
	const want = "pods in namespace ns can request 6656Mi of memory (api 2 × 1Gi + surge 1 × 1Gi, db 4 × 512Mi, cache 3 × 512Mi) above the ResourceQuota ns/compute hard requests.memory 6Gi: new pods are rejected (FailedCreate) during rollouts or scale-up"
	if d.Message != want {
		t.Errorf("message:\n got %s\nwant %s", d.Message, want)
	}
	if d.In != ns.ResourceQuotas[0] || d.Path.String() != `spec.hard["requests.memory"]` {
		t.Errorf("finding on %v %s, want the quota's spec.hard[\"requests.memory\"]", d.In, d.Path)
	}
	var related []string
	for _, r := range d.Related {
		related = append(related, r.Message)
	}
	wantRelated := []string{
		"Deployment api: 2 replicas; 3 pods × 1Gi requests.memory = 3Gi",
		"StatefulSet db: 4 replicas; 4 pods × 512Mi requests.memory = 2Gi",
		"StatefulSet cache: 3 replicas; 3 pods × 512Mi requests.memory = 1536Mi",
	}
	if diff := gocmp.Diff(wantRelated, related); diff != "" {
		t.Errorf("related (-want +got):\n%s", diff)
	}
	// Limits: no container has one, so nothing is summed.
	if _, ok := quotaOverflow(ns, hards[1], counts); ok {
		t.Error("finding for limits.memory, but no container has a limit")
	}
	// Exactly at the hard value is within the quota.
	hards[0].q = testQuantity(t, "6656Mi")
	if _, ok := quotaOverflow(ns, hards[0], counts); ok {
		t.Error("finding for a sum equal to the hard value")
	}
}

func TestExactSize(t *testing.T) {
	for b, want := range map[int64]string{
		0: "0", 512: "512", 1 << 10: "1Ki", 1536 << 20: "1536Mi", 8 << 30: "8Gi", 9856 << 20: "9856Mi", 2 << 40: "2Ti", 1<<20 + 1: "1Mi",
	} {
		if got := exactSize(b); got != want {
			t.Errorf("exactSize(%d) = %s, want %s", b, got, want)
		}
	}
}
