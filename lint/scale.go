package lint

import (
	"strconv"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"
)

// Scale is what decides how many pods a workload runs at once, as written:
// read when the workload is built, so quota sums need no YAML tree.
type Scale struct {
	Replicas    *Count // spec.replicas, when a non-negative integer
	Parallelism *Count // a Job's (a CronJob's job template's) parallelism
	Completions *Count
	// NoSurge is a strategy that adds no pods during an update: a
	// Deployment's Recreate, a DaemonSet's OnDelete.
	NoSurge bool
	// MaxSurge is the rolling update's maxSurge as written, "" when unset.
	MaxSurge  string
	BlueGreen bool // an Argo Rollout with a blueGreen strategy
}

// Replicas is spec.replicas, the API default (1) for kinds that have the
// field, 1 for a Pod, Job or CronJob (one pod, one job), and false for kinds
// whose pod count is not a replica count (a DaemonSet's follows its nodes).
func (w *Workload) Replicas() (int64, bool) {
	k, _ := KindOf(w.Object.Kind)
	switch {
	case k.Replicas && w.Scale.Replicas != nil:
		return w.Scale.Replicas.N, true
	case k.Replicas, k.Name == "Pod", k.Name == "Job", k.Name == "CronJob":
		return 1, true
	}
	return 0, false
}

// Count is a non-negative integer field and where it is set.
type Count struct {
	N    int64
	Path Path
}

// readScale reads the fields of o that count its pods.
func readScale(o *Object) Scale {
	var s Scale
	count := func(keys ...string) *Count {
		if n, ok := intAt(yamlnode.Get(o.Node, keys...)); ok {
			return &Count{N: n, Path: Root.Keys(keys...)}
		}
		return nil
	}
	switch o.Kind {
	case "Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "Rollout":
		s.Replicas = count("spec", "replicas")
	case "Job":
		s.Parallelism, s.Completions = count("spec", "parallelism"), count("spec", "completions")
	case "CronJob":
		s.Parallelism = count("spec", "jobTemplate", "spec", "parallelism")
		s.Completions = count("spec", "jobTemplate", "spec", "completions")
	}
	switch o.Kind {
	case "Deployment":
		s.NoSurge = yamlnode.Str(o.Node, "spec", "strategy", "type") == "Recreate"
		s.MaxSurge = maxSurge(yamlnode.Get(o.Node, "spec", "strategy", "rollingUpdate", "maxSurge"))
	case "Rollout":
		s.BlueGreen = yamlnode.Get(o.Node, "spec", "strategy", "blueGreen") != nil
		s.MaxSurge = maxSurge(yamlnode.Get(o.Node, "spec", "strategy", "canary", "maxSurge"))
	case "DaemonSet":
		s.NoSurge = yamlnode.Str(o.Node, "spec", "updateStrategy", "type") == "OnDelete"
		s.MaxSurge = maxSurge(yamlnode.Get(o.Node, "spec", "updateStrategy", "rollingUpdate", "maxSurge"))
	}
	return s
}

// intAt is a scalar's value as a non-negative integer.
func intAt(v *yaml.Node) (int64, bool) {
	v = yamlnode.Deref(v)
	if v == nil || v.Kind != yaml.ScalarNode {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v.Value), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// setsCPU reports whether a container or pod spec sets a CPU request or
// limit (QoS and BestEffort quota scopes depend on it).
func setsCPU(n *yaml.Node) bool {
	return yamlnode.Get(n, "resources", "limits", "cpu") != nil || yamlnode.Get(n, "resources", "requests", "cpu") != nil
}

// maxSurge is a maxSurge value as written, trimmed; "" when unset or null.
func maxSurge(v *yaml.Node) string { return strings.TrimSpace(yamlnode.Scalar(v)) }
