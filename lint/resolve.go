package lint

import (
	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"github.com/oomlint/oomlint/internal/quantity"
)

// WorkloadKind is what the engine knows of a kind that runs pods.
type WorkloadKind struct {
	Name     string
	PodSpec  []string // where the pod spec is
	Replicas bool     // it has spec.replicas (API default 1)
	Runs     bool     // it runs pods of its own (a PodTemplate does not)
}

// WorkloadKinds is the one table of workload kinds: the engine, the rules
// and the policy facts read it.
var WorkloadKinds = []WorkloadKind{
	{Name: "Pod", PodSpec: []string{"spec"}, Runs: true},
	{Name: "PodTemplate", PodSpec: []string{"template", "spec"}},
	{Name: "Deployment", PodSpec: []string{"spec", "template", "spec"}, Replicas: true, Runs: true},
	{Name: "StatefulSet", PodSpec: []string{"spec", "template", "spec"}, Replicas: true, Runs: true},
	{Name: "DaemonSet", PodSpec: []string{"spec", "template", "spec"}, Runs: true},
	{Name: "ReplicaSet", PodSpec: []string{"spec", "template", "spec"}, Replicas: true, Runs: true},
	{Name: "ReplicationController", PodSpec: []string{"spec", "template", "spec"}, Replicas: true, Runs: true},
	{Name: "Job", PodSpec: []string{"spec", "template", "spec"}, Runs: true},
	{Name: "CronJob", PodSpec: []string{"spec", "jobTemplate", "spec", "template", "spec"}, Runs: true},
	{Name: "Rollout", PodSpec: []string{"spec", "template", "spec"}, Replicas: true, Runs: true}, // Argo Rollouts
}

// KindOf returns the workload kind of a kind name.
func KindOf(kind string) (WorkloadKind, bool) {
	for _, k := range WorkloadKinds {
		if k.Name == kind {
			return k, true
		}
	}
	return WorkloadKind{}, false
}

// BuildWorkload reads the workload facts of an object whose kind runs
// pods, or returns nil: what the engine does for each object it decodes
// (namespace facts and processes come later, from the whole run).
func BuildWorkload(o *Object) *Workload { return buildWorkload(o) }

func buildWorkload(o *Object) *Workload {
	wk, ok := KindOf(o.Kind)
	keys := wk.PodSpec
	if !ok {
		return nil
	}
	pod := yamlnode.Get(o.Node, keys...)
	if pod == nil || pod.Kind != yaml.MappingNode {
		return nil
	}
	w := &Workload{Object: o, PodPath: Root.Keys(keys...), Pod: pod,
		Scale:             readScale(o),
		PriorityClassName: yamlnode.Str(pod, "priorityClassName"),
		RuntimeClassName:  yamlnode.Str(pod, "runtimeClassName"),
		CPU:               setsCPU(pod),
	}
	if v := yamlnode.Get(pod, "activeDeadlineSeconds"); v != nil && v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
		w.Terminating = true
	}
	w.MemoryVolumes = memoryVolumes(pod, w.PodPath)
	w.PodLimit = readQuantity(pod, w.PodPath, "limits", "pod-level ")
	w.PodRequest = readQuantity(pod, w.PodPath, "requests", "pod-level ")
	for _, list := range []struct {
		key  string
		role Role
	}{{"initContainers", Init}, {"containers", Regular}} {
		seq := yamlnode.Get(pod, list.key)
		if seq == nil || seq.Kind != yaml.SequenceNode {
			continue
		}
		for i, cn := range seq.Content {
			cn = yamlnode.Deref(cn)
			if cn.Kind != yaml.MappingNode {
				continue
			}
			c := &Container{
				Name:    yamlnode.Str(cn, "name"),
				Role:    list.role,
				Path:    w.PodPath.Key(list.key).Index(i),
				Node:    cn,
				Image:   yamlnode.Str(cn, "image"),
				CPU:     setsCPU(cn),
				Volumes: mountedVolumes(cn),
			}
			if c.Role == Init && yamlnode.Str(cn, "restartPolicy") == "Always" {
				c.Role = Sidecar
			}
			c.DeclaredLimit = readQuantity(cn, c.Path, "limits", "")
			c.DeclaredRequest = readQuantity(cn, c.Path, "requests", "")
			effectiveMemory(c, w)
			w.Containers = append(w.Containers, c)
		}
	}
	return w
}

// effectiveMemory applies API defaulting: a limit without a request makes
// request = limit; pod-level resources stand in for containers without
// their own.
func effectiveMemory(c *Container, w *Workload) {
	switch {
	case c.DeclaredLimit != nil:
		c.Limit = Effective{Q: c.DeclaredLimit, Source: Declared}
	case w.PodLimit != nil:
		c.Limit = Effective{Q: w.PodLimit, Source: PodLevel}
	}
	switch {
	case c.DeclaredRequest != nil:
		c.Request = Effective{Q: c.DeclaredRequest, Source: Declared}
	case c.DeclaredLimit != nil:
		c.Request = Effective{Q: c.DeclaredLimit, Source: FromLimit}
	case w.PodRequest != nil:
		c.Request = Effective{Q: w.PodRequest, Source: PodLevel}
	case w.PodLimit != nil:
		c.Request = Effective{Q: w.PodLimit, Source: PodLevel}
	}
}

// readQuantity reads resources.<section>.memory of the container or pod
// spec n found at path at, or nil when it is absent.
func readQuantity(n *yaml.Node, at Path, section, label string) *Quantity {
	k, v := yamlnode.Lookup(yamlnode.Get(n, "resources", section), "memory")
	if k == nil {
		return nil
	}
	q := &Quantity{Path: at.Keys("resources", section, "memory"), Field: fieldName(label, section)}
	switch {
	case v != nil && v.Kind != yaml.ScalarNode:
		q.Raw = "(a " + kindName(v) + ")"
		q.Info = &quantity.Info{Raw: q.Raw, Class: quantity.Invalid}
	case v == nil || v.Tag == "!!null":
		q.Info = &quantity.Info{Class: quantity.Invalid}
	default:
		q.Raw = v.Value
		q.Info = quantity.Shared(v.Value)
	}
	return q
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.DocumentNode, yaml.ScalarNode, yaml.AliasNode:
	}
	return "value"
}

// fieldName is label+section+".memory" without an allocation per quantity.
func fieldName(label, section string) string {
	switch {
	case label == "" && section == "limits":
		return "limits.memory"
	case label == "" && section == "requests":
		return "requests.memory"
	case label == "pod-level " && section == "limits":
		return "pod-level limits.memory"
	case label == "pod-level " && section == "requests":
		return "pod-level requests.memory"
	}
	return label + section + ".memory"
}
