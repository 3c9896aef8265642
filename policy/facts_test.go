package policy_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/policy"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/renderers"
)

// TestFactsAreWhatRulesSee checks, on every fixture of the rule suite and
// the examples, that the facts a policy gets for each workload are the
// engine's facts the Go rules read: effective memory and where admission
// took it from, each runtime's heap setting, replicas and the HPA, and the
// in-memory volumes. A policy reader that re-reads the manifest instead of
// serializing the engine's facts drifts, and fails here.
func TestFactsAreWhatRulesSee(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(root, "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{filepath.Join(root, "examples")}
	for _, e := range entries {
		paths = append(paths, filepath.Join(root, "testdata", e.Name()))
	}
	workloads := 0
	for _, p := range paths {
		for _, o := range fixtureObjects(t, root, p) {
			w := o.Workload
			if w == nil {
				continue
			}
			workloads++
			got := policy.Facts(o, w.Namespace)["workload"].(map[string]any)
			if d := gocmp.Diff(rulesView(w), factsView(got)); d != "" {
				t.Errorf("%s: %s %s: policy facts differ from the engine's (-engine +facts):\n%s", p, o.Kind, o.Name, d)
			}
		}
	}
	if workloads < 100 {
		t.Fatalf("only %d workloads in the fixtures: the walk is broken", workloads)
	}
}

func fixtureObjects(t *testing.T, root, path string) []*lint.Object {
	t.Helper()
	cfg := lint.Config{Paths: []string{path}, WorkDir: root}
	ropt := render.Options{WorkDir: root, RepoRoot: root}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		if p := lint.FindConfigFile(path); p != "" {
			fc, err := lint.LoadConfigFile(p)
			if err != nil {
				t.Fatal(err)
			}
			fc.Apply(&cfg)
			ropt.ApplyConfig(fc)
		}
	}
	ropt.Namespace = cfg.Namespace
	cfg.Renderers = renderers.All(ropt)
	objs, _, err := lint.Objects(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// view is the part of a workload both sides describe, in plain values.
type view struct {
	Replicas   any
	HPA        any
	Volumes    []string
	Containers []containerView
}

type containerView struct {
	Name, Role                    string
	Limit, Request                quantityView
	JVMHeap, NodeHeap, GoMemLimit any
	JVM, Dotnet                   bool
}

type quantityView struct {
	Set        bool
	Bytes      any
	Source     string
	LimitRange any
}

// rulesView reads the engine's facts, as the rules do.
func rulesView(w *lint.Workload) view {
	v := view{Replicas: nil, HPA: nil, Volumes: []string{}}
	if n, ok := w.Replicas(); ok {
		v.Replicas = n
	}
	if h, most := w.Namespace.HPAFor(w.Object); h != nil {
		v.HPA = h.Name + "/" + itoa(most)
	}
	for _, m := range w.MemoryVolumes {
		v.Volumes = append(v.Volumes, m.Name)
	}
	for _, c := range w.Containers {
		cv := containerView{Name: c.Name, Role: c.Role.String(), Limit: effectiveView(c.Limit), Request: effectiveView(c.Request)}
		if j := c.JVM(); j != nil {
			cv.JVM = true
			if s := j.Settings.MaxHeap; s != nil {
				cv.JVMHeap = s.Bytes
			}
		}
		if hs := c.Process.NodeHeap(); len(hs) > 0 && hs[0].Heap.Valid {
			cv.NodeHeap = hs[0].Heap.Bytes()
		}
		if gs := c.GoMemLimit(); len(gs) > 0 {
			if b, ok := gs[0].Bytes(c); ok {
				cv.GoMemLimit = b
			}
		}
		for _, name := range []string{"GCHeapHardLimit", "GCHeapHardLimitPercent"} {
			if v, _, ok := c.Process.DotnetSetting(name); ok && v.Known {
				cv.Dotnet = true
			}
		}
		v.Containers = append(v.Containers, cv)
	}
	return v
}

func effectiveView(e lint.Effective) quantityView {
	if !e.Set() {
		return quantityView{}
	}
	q := quantityView{Set: true, Source: map[lint.Source]string{
		lint.Declared: "declared", lint.FromLimit: "from-limit", lint.PodLevel: "pod-level", lint.LimitRangeDefault: "limitrange-default",
	}[e.Source]}
	if e.Q.Valid() {
		q.Bytes = e.Q.Info.Bytes()
	}
	if e.LimitRange != nil {
		q.LimitRange = e.LimitRange.Object.Name
	}
	return q
}

// factsView reads the same from the policy facts.
func factsView(f map[string]any) view {
	v := view{Replicas: f["replicas"], Volumes: []string{}}
	if h, ok := f["hpa"].(map[string]any); ok {
		v.HPA = h["name"].(string) + "/" + itoa(h["maxReplicas"].(int64))
	}
	for _, m := range f["memoryVolumes"].([]any) {
		v.Volumes = append(v.Volumes, m.(map[string]any)["name"].(string))
	}
	roles := map[string]string{"container": "container", "init": "init container", "sidecar": "sidecar"}
	for _, c := range f["containers"].([]any) {
		c := c.(map[string]any)
		heap := c["heap"].(map[string]any)
		cv := containerView{Name: c["name"].(string), Role: roles[c["role"].(string)],
			Limit: quantityFactView(c["limit"]), Request: quantityFactView(c["request"])}
		if j, ok := heap["jvm"].(map[string]any); ok {
			cv.JVM = true
			if m, ok := j["maxHeap"].(map[string]any); ok {
				cv.JVMHeap = m["value"]
			}
		}
		if n, ok := heap["node"].(map[string]any); ok {
			cv.NodeHeap = n["bytes"]
		}
		if g, ok := heap["go"].(map[string]any); ok {
			cv.GoMemLimit = g["bytes"]
		}
		cv.Dotnet = heap["dotnet"] != nil
		v.Containers = append(v.Containers, cv)
	}
	return v
}

func quantityFactView(f any) quantityView {
	m, ok := f.(map[string]any)
	if !ok {
		return quantityView{}
	}
	return quantityView{Set: true, Bytes: m["bytes"], Source: m["source"].(string), LimitRange: m["limitRange"]}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
