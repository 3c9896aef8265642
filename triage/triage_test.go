package triage

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/report"
	"github.com/oomlint/oomlint/rules"
)

func TestSuggest(t *testing.T) {
	g := &Group{Namespace: "shop", Refs: []Ref{{"Deployment", "api"}}, Container: "api",
		Incidents: []*Incident{{Namespace: "shop", Pod: "api-1", Container: "api"}}}
	var pod Pod
	pod.Metadata.Name, pod.Metadata.Namespace = "api-1", "shop"
	pod.Spec.Containers = []PodContainer{{Name: "api"}}
	vpa := func(kind, name, upper string) VPA {
		var v VPA
		v.Metadata.Name, v.Metadata.Namespace = "api", "shop"
		v.Spec.TargetRef.Kind, v.Spec.TargetRef.Name = kind, name
		v.Status.Recommendation.ContainerRecommendations = append(v.Status.Recommendation.ContainerRecommendations, struct {
			ContainerName string            `json:"containerName"`
			Target        map[string]string `json:"target"`
			UpperBound    map[string]string `json:"upperBound"`
		}{ContainerName: "api", UpperBound: map[string]string{"memory": upper}})
		return v
	}
	top := func(ns, container string, b int64) Usage {
		return Usage{Namespace: ns, Pod: "api-1", Container: container, Bytes: b, Source: "kubectl top"}
	}
	tests := []struct {
		name     string
		c        Cluster
		killedAt int64
		want     Suggestion
	}{
		{"vpa", Cluster{VPAs: []VPA{vpa("Deployment", "api", "1000Mi")}, Usage: []Usage{top("shop", "api", 900<<20)}}, 512 << 20,
			Suggestion{Bytes: 1200 << 20, Basis: "VPA shop/api upperBound 1000Mi + 20%"}},
		{"vpa for another workload", Cluster{VPAs: []VPA{vpa("Deployment", "web", "1000Mi")}}, 512 << 20,
			Suggestion{Bytes: 768 << 20, Guess: true, Basis: "1.5 × 512Mi, a guess: no VPA recommendation or usage data"}},
		{"vpa bytes, rounded up to Mi", Cluster{VPAs: []VPA{vpa("Deployment", "api", "1000000000")}}, 512 << 20,
			Suggestion{Bytes: 1145 << 20, Basis: "VPA shop/api upperBound 953.7Mi + 20%"}},
		{"top peak", Cluster{Usage: []Usage{top("shop", "api", 400<<20), top("", "api", 500<<20), top("other", "api", 900<<20), top("shop", "proxy", 900<<20)}}, 256 << 20,
			Suggestion{Bytes: 625 << 20, Basis: "peak usage 500Mi (kubectl top) + 25%"}},
		{"pod total of a one-container pod", Cluster{Usage: []Usage{top("shop", "", 401<<20)}}, 256 << 20,
			Suggestion{Bytes: 502 << 20, Basis: "peak usage 401Mi (kubectl top) + 25%"}},
		{"measured below the killed limit", Cluster{Usage: []Usage{top("shop", "api", 100<<20)}}, 1 << 30,
			Suggestion{Bytes: 1536 << 20, Guess: true, Basis: "1.5 × 1Gi, a guess: peak usage 100Mi (kubectl top) + 25% is 125Mi, not above the limit the container was killed at"}},
		{"no limit, measured", Cluster{Usage: []Usage{top("shop", "api", 100<<20)}}, 0,
			Suggestion{Bytes: 125 << 20, Basis: "peak usage 100Mi (kubectl top) + 25%"}},
		{"nothing to go on", Cluster{}, 0,
			Suggestion{Guess: true, Basis: "no limit and no VPA recommendation or usage data to size one from"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.Pods = []Pod{pod}
			got := suggest(g, &tc.c, tc.killedAt)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if v := (Suggestion{Bytes: 2 << 30}).Value(); v != "2Gi" {
		t.Errorf("Value() = %s, want 2Gi", v)
	}
}

// fakeOrigin places every path of an object at its file's line 1.
type fakeOrigin string

func (f fakeOrigin) Locate(lint.Path) lint.Location {
	return lint.Location{File: string(f), Line: 1, Column: 1}
}

// object decodes a workload as the engine would, placed in file and built
// by a unit whose controller is source (nil for plain files).
func object(t *testing.T, file, doc string, source *lint.Object) *lint.Object {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	root := n.Content[0]
	o := &lint.Object{Node: root, Origin: fakeOrigin(file), Unit: &lint.Unit{Name: file, Source: source}}
	o.APIVersion, o.Kind = str(root, "apiVersion"), str(root, "kind")
	meta := get(root, "metadata")
	o.Name, o.Namespace = str(meta, "name"), str(meta, "namespace")
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	o.Workload = lint.BuildWorkload(o)
	return o
}

func get(n *yaml.Node, key string) *yaml.Node {
	for i := 0; n != nil && i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func str(n *yaml.Node, key string) string {
	if v := get(n, key); v != nil {
		return v.Value
	}
	return ""
}

func deployment(ns, name, container string, labels ...string) string {
	l := ""
	for i := 0; i+1 < len(labels); i += 2 {
		l += fmt.Sprintf("\n        %s: %s", labels[i], labels[i+1])
	}
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
  namespace: %s
spec:
  template:
    metadata:
      labels:
        x: y%s
    spec:
      containers:
        - name: %s
`, name, ns, l, container)
}

func TestMatch(t *testing.T) {
	release := &lint.Object{APIVersion: "helm.toolkit.fluxcd.io/v2", Kind: "HelmRelease", Namespace: "shop", Name: "api"}
	flux := &lint.Object{APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization", Namespace: "flux-system", Name: "apps"}
	release.Unit = &lint.Unit{Source: flux}
	prod := &lint.Object{APIVersion: "argoproj.io/v1alpha1", Kind: "Application", Namespace: "argocd", Name: "api-prod"}
	objs := []*lint.Object{
		object(t, "plain.yaml", deployment("shop", "api", "api"), nil),
		object(t, "release.yaml", deployment("shop", "api", "api"), release),
		object(t, "argo.yaml", deployment("shop", "api", "api"), prod),
		object(t, "sidecarless.yaml", deployment("shop", "web", "web"), nil),
		object(t, "web.yaml", deployment("shop", "web", "web"), nil),
		object(t, "unpinned.yaml", deployment("", "worker", "worker"), nil),
		object(t, "other-ns.yaml", deployment("staging", "cart", "cart"), nil),
		object(t, "chart.yaml", deployment("", "release-name-search", "search", "app.kubernetes.io/instance", "release-name"), nil),
	}
	objs[3].Workload.Containers[0].Name = "proxy"
	m := newMatcher(objs, "default")
	group := func(name, container string, labels, annotations map[string]string) *Group {
		return &Group{Namespace: "shop", Refs: []Ref{{"Deployment", name}, {"ReplicaSet", name + "-6d9f7c8b5d"}}, Via: "ReplicaSet " + name + "-6d9f7c8b5d",
			Container: container, Labels: labels, Annotations: annotations}
	}
	tests := []struct {
		name   string
		g      *Group
		file   string
		also   []string
		reason string
	}{
		{"ambiguous", group("api", "api", nil, nil), "plain.yaml", []string{"release.yaml", "argo.yaml"}, ""},
		{"flux helm labels", group("api", "api", map[string]string{labelFluxHelm: "api", labelFluxHelmNS: "shop"}, nil), "release.yaml", nil, ""},
		{"flux kustomization labels", group("api", "api", map[string]string{labelFluxKustomize: "apps"}, nil), "release.yaml", nil, ""},
		{"argo instance", group("api", "api", map[string]string{labelArgoInstance: "argocd_api-prod"}, nil), "argo.yaml", nil, ""},
		{"origin annotation", group("api", "api", nil, map[string]string{originAnnotation: "argo.yaml:1"}), "argo.yaml", nil, ""},
		{"unit annotation", group("api", "api", nil, map[string]string{unitAnnotation: "release.yaml"}), "release.yaml", nil, ""},
		{"the one with the container", group("web", "web", nil, nil), "web.yaml", nil, ""},
		{"no namespace of its own", group("worker", "worker", nil, nil), "unpinned.yaml", nil, ""},
		{"helm release name", group("jobs-search", "search", map[string]string{labelInstance: "jobs"}, nil), "chart.yaml", nil, ""},
		{"another namespace", group("cart", "cart", nil, nil), "", nil,
			"no Deployment shop/cart in the repository (the pods' owner is ReplicaSet cart-6d9f7c8b5d); it has Deployment staging/cart"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mt := m.find(tc.g)
			file := ""
			if mt.object != nil {
				file = mt.object.Origin.Locate(lint.Root).File
			}
			var also []string
			for _, a := range mt.also {
				also = append(also, a.Origin.Locate(lint.Root).File)
			}
			if file != tc.file || !cmp.Equal(also, tc.also) || mt.reason != tc.reason {
				t.Errorf("matched %q, also %v, reason %q; want %q, %v, %q", file, also, mt.reason, tc.file, tc.also, tc.reason)
			}
		})
	}
}

// TestRun triages pods of plain manifests: the heap settings of each
// runtime, a ConfigMap's JVM flags, a limit from a LimitRange.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	manifests := `apiVersion: v1
kind: ConfigMap
metadata: {name: jvm, namespace: apps}
data:
  JAVA_OPTS: -Xmx900m
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: java, namespace: apps}
spec:
  template:
    spec:
      containers:
        - name: java
          image: eclipse-temurin:21
          command: ["sh", "-c", "exec java $JAVA_OPTS -jar app.jar"]
          envFrom: [{configMapRef: {name: jvm}}]
          resources: {limits: {memory: 1Gi}}
        - name: percent
          image: eclipse-temurin:21
          env: [{name: JAVA_TOOL_OPTIONS, value: "-XX:MaxRAMPercentage=90"}]
          resources: {limits: {memory: 1Gi}}
        - name: dotnet
          image: mcr.microsoft.com/dotnet/aspnet:8.0
          env: [{name: DOTNET_GCHeapHardLimit, value: "0x30000000"}]
          resources: {limits: {memory: 1Gi}}
        - name: go
          image: example/go:1
          env:
            - name: GOMEMLIMIT
              valueFrom: {resourceFieldRef: {resource: limits.memory}}
          resources: {limits: {memory: 1Gi}}
`
	if err := os.WriteFile(filepath.Join(dir, "apps.yaml"), []byte(manifests), 0o600); err != nil {
		t.Fatal(err)
	}
	var pods strings.Builder
	pods.WriteString(`{"kind": "List", "items": [{"kind": "Pod", "metadata": {"name": "java-6d9f7c8b5d-x2k4m", "namespace": "apps",
  "labels": {"pod-template-hash": "6d9f7c8b5d"}, "ownerReferences": [{"kind": "ReplicaSet", "name": "java-6d9f7c8b5d", "controller": true}]},
  "spec": {"containers": [`)
	for i, c := range []string{"java", "percent", "dotnet", "go"} {
		if i > 0 {
			pods.WriteString(",")
		}
		fmt.Fprintf(&pods, `{"name": %q, "resources": {"limits": {"memory": "1Gi"}}}`, c)
	}
	pods.WriteString(`]}, "status": {"containerStatuses": [`)
	for i, c := range []string{"java", "percent", "dotnet", "go"} {
		if i > 0 {
			pods.WriteString(",")
		}
		fmt.Fprintf(&pods, `{"name": %q, "restartCount": 1, "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": "2025-06-03T10:00:00Z"}}}`, c)
	}
	pods.WriteString(`]}}]}`)
	c, err := Read([]Dump{{Name: "pods.json", Data: []byte(pods.String())}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(t.Context(), lint.Config{Paths: []string{"apps.yaml"}, WorkDir: dir, Jobs: 1}, c, rules.All)
	if err != nil {
		t.Fatal(err)
	}
	var related []string
	for _, f := range rep.Result.Findings {
		for _, r := range f.Related {
			related = append(related, fmt.Sprintf("%s:%d: %s", r.File, r.Line, r.Message))
		}
	}
	want := []string{
		"apps.yaml:5: JAVA_OPTS sets -Xmx900m, 87.9% of limits.memory 1Gi; with the new limit: -Xmx1152m (75% of 1536Mi)",
		"apps.yaml:21: JAVA_TOOL_OPTIONS sets -XX:MaxRAMPercentage=90: the heap follows the limit (1382Mi of 1536Mi); with the new limit: -XX:MaxRAMPercentage=75",
		"apps.yaml:25: DOTNET_GCHeapHardLimit=0x30000000 (768Mi), 75% of limits.memory 1Gi; with the new limit: DOTNET_GCHeapHardLimit=0x48000000 (75% of 1536Mi)",
		"apps.yaml:31: GOMEMLIMIT is the container's limits.memory (a resourceFieldRef): it follows the limit, with no headroom for memory Go does not count; with the new limit: GOMEMLIMIT=1305MiB (85% of 1536Mi)",
	}
	if diff := cmp.Diff(want, related); diff != "" {
		t.Errorf("heap lines (-want +got):\n%s", diff)
	}
	var out bytes.Buffer
	if err := Write(&out, "text", rep, report.Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "\n4 killed containers in 1 of 1 pod: 4 traced to the repository, 0 not found; 4 errors, 0 warnings, 0 info\n") {
		t.Errorf("text:\n%s", out.String())
	}
	if err := Write(&out, "junit", rep, report.Options{}); err == nil {
		t.Error("junit: no error")
	}
}
