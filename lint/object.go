package lint

import (
	"slices"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/quantity"
)

// Object is one Kubernetes object with the source it came from.
type Object struct {
	APIVersion  string
	Kind        string
	Name        string
	Namespace   string // metadata.namespace, else the configured default
	Annotations map[string]string
	Node        *yaml.Node // the object's mapping node
	Origin      Origin     // maps field paths to the file and line a person edits
	Workload    *Workload  // set for kinds that carry a pod template
	Unit        *Unit
	// Also are the same object rendered alike by other units, dropped so
	// namespace sums count it once and named in this object's findings.
	Also []*Object
	// Data is a ConfigMap's data, in the order written: what containers
	// read through env and envFrom.
	Data []DataEntry
}

// DataEntry is one key of a ConfigMap's data.
type DataEntry struct {
	Key    string
	Value  string // "" for a value that is not a scalar
	Scalar bool
}

// DataValue returns the scalar value of a ConfigMap key.
func (o *Object) DataValue(key string) (string, bool) {
	if o == nil {
		return "", false
	}
	for _, e := range o.Data {
		if e.Key == key {
			return e.Value, e.Scalar
		}
	}
	return "", false
}

// readData reads a ConfigMap's data mapping.
func readData(n *yaml.Node) []DataEntry {
	data := yamlnode.Get(n, "data")
	if data == nil || data.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]DataEntry, 0, len(data.Content)/2)
	yamlnode.Pairs(data, func(k, v *yaml.Node) bool { // a key written twice counts once, with its last value
		out = append(out, DataEntry{Key: k.Value, Value: v.Value, Scalar: v.Kind == yaml.ScalarNode})
		return true
	})
	return out
}

// Ref is the object's identity as findings name it.
func (o *Object) Ref() ObjectRef {
	return ObjectRef{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}

// ObjectRef names an object in findings.
type ObjectRef struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
}

// Unit is a set of objects linted together: the plain manifests under one
// path argument, one chart rendered with one set of values, one
// kustomization build, or what one GitOps controller object deploys.
type Unit struct {
	Name    string // as displayed: the path argument, chart or overlay directory, or controller object
	Kind    string // the renderer's Name, or PlainUnit
	Dir     string // absolute root directory (chart or kustomization); "" for units planned from objects
	Variant string // a chart's extra values file (values-prod.yaml), shown in output
	// Key identifies a unit planned from an object (the kind, namespace and
	// name of the controller object), so an object met twice plans once.
	Key string
	// Namespace is the namespace of the unit's objects that set none (a
	// targetNamespace, a destination namespace); "" means the run's default.
	Namespace string
	// Source is the controller object that planned the unit, nil for units
	// rooted in directories.
	Source *Object
	// Plan is the renderer's own description of the unit.
	Plan any
}

// Workload is an object that runs pods: its pod spec and containers.
type Workload struct {
	Object     *Object
	PodPath    Path       // spec.template.spec, spec, …
	Pod        *yaml.Node // the pod spec mapping
	Containers []*Container
	PodLimit   *Quantity // pod-level spec.resources.limits.memory
	PodRequest *Quantity // pod-level spec.resources.requests.memory
	// MemoryVolumes are the pod's emptyDir volumes with medium: Memory.
	MemoryVolumes []MemoryVolume
	Namespace     *Namespace // facts of the workload's namespace; nil when there are none
	// RuntimeClass is the RuntimeClass object named by spec.runtimeClassName,
	// when the run has it (cluster-scoped: from any unit).
	RuntimeClass *Object

	Scale             Scale  // what counts the pods it runs
	PriorityClassName string // spec.priorityClassName
	RuntimeClassName  string // spec.runtimeClassName
	// Terminating is a pod with activeDeadlineSeconds: quota scopes
	// Terminating and NotTerminating tell such pods apart.
	Terminating bool
	CPU         bool // pod-level resources set a CPU request or limit
}

// Role tells regular containers from init containers and native sidecars.
type Role int

// Roles.
const (
	Regular Role = iota
	Init
	Sidecar // an init container with restartPolicy: Always
)

func (r Role) String() string {
	switch r {
	case Init:
		return "init container"
	case Sidecar:
		return "sidecar"
	case Regular:
		return "container"
	}
	return "container"
}

// Container is one container with its declared and effective memory.
type Container struct {
	Name  string
	Role  Role
	Path  Path // spec.template.spec.containers[1]
	Node  *yaml.Node
	Image string

	DeclaredLimit   *Quantity // resources.limits.memory as written, nil when absent
	DeclaredRequest *Quantity

	Limit   Effective // what the API server would store
	Request Effective

	Process *Process // command lines and environment, for runtime rules
	CPU     bool     // resources set a CPU request or limit
	// Volumes are the names of the volumes the container mounts.
	Volumes []string

	jvm     *JVM // JVM(), read once
	jvmRead bool
}

// Quantity is a memory value as written in a manifest.
type Quantity struct {
	Path  Path
	Field string // "limits.memory", "pod-level requests.memory": for messages
	Raw   string
	Info  *quantity.Info // shared between quantities written alike: never modify
	Trace []Related      // where a defaulted value came from (the LimitRange line)
}

// Valid reports whether the value parses.
func (q *Quantity) Valid() bool {
	return q != nil && q.Info != nil && q.Info.Class != quantity.Invalid
}

// UnitMistake reports whether the value parses but its unit is probably not
// the one meant (millibytes, decimal units, bare bytes).
func (q *Quantity) UnitMistake() bool {
	if !q.Valid() {
		return false
	}
	switch q.Info.Class {
	case quantity.SubByte, quantity.Decimal, quantity.Bare:
		return true
	case quantity.Binary, quantity.Invalid:
	}
	return false
}

// Source tells where an effective value came from.
type Source int

// Sources, in the order admission applies them.
const (
	Unset             Source = iota
	Declared                 // set on the container
	FromLimit                // request defaulted to the container's limit by the API server
	PodLevel                 // pod-level spec.resources (Kubernetes 1.34+)
	LimitRangeDefault        // filled by the namespace's LimitRange at admission
)

// Effective is a resolved memory value and where it came from.
type Effective struct {
	Q      *Quantity
	Source Source
	// LimitRange is the item whose default admission applied, when Source
	// is LimitRangeDefault.
	LimitRange *LimitRangeItem
}

// Set reports whether there is an effective value at all.
func (e Effective) Set() bool { return e.Q != nil }

// Usable reports whether the value can be compared: present, valid, and
// without a unit mistake that another rule reports as the root cause.
func (e Effective) Usable() bool { return e.Q.Valid() && !e.Q.UnitMistake() }

// Comparable reports whether the value means what its bytes say: present,
// valid, and not a fraction of a byte. Decimal units and bare bytes are
// real sizes, so ratios over them hold even when the unit is reported.
func (e Effective) Comparable() bool {
	return e.Q.Valid() && e.Q.Info.Class != quantity.SubByte
}

// Bytes is the value in bytes; only meaningful when Set and valid.
func (e Effective) Bytes() int64 { return e.Q.Info.Bytes() }

// Get returns the node at keys below the object's root, or nil: rules read
// fields the engine does not model (spec.replicas, spec.hard) through it.
func (o *Object) Get(keys ...string) *yaml.Node { return yamlnode.Get(o.Node, keys...) }

// Str returns the scalar at keys below the object's root, or "".
func (o *Object) Str(keys ...string) string { return yamlnode.Str(o.Node, keys...) }

// MemoryVolume is an emptyDir volume with medium: Memory (tmpfs): its files
// live in RAM and count against the memory limit of the containers that
// write them.
type MemoryVolume struct {
	Name      string
	Path      Path      // spec.template.spec.volumes[i]
	SizeLimit *Quantity // emptyDir.sizeLimit, nil when absent
}

// Mounts reports whether the container mounts the named volume.
func (c *Container) Mounts(volume string) bool { return slices.Contains(c.Volumes, volume) }

// mountedVolumes lists the names of the volumes a container mounts.
func mountedVolumes(cn *yaml.Node) []string {
	seq := yamlnode.Get(cn, "volumeMounts")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]string, 0, len(seq.Content))
	for _, m := range seq.Content {
		out = append(out, yamlnode.Str(m, "name"))
	}
	return out
}

// memoryVolumes lists the pod's in-memory emptyDir volumes.
func memoryVolumes(pod *yaml.Node, podPath Path) []MemoryVolume {
	seq := yamlnode.Get(pod, "volumes")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	var out []MemoryVolume
	for i, n := range seq.Content {
		if yamlnode.Str(n, "emptyDir", "medium") != "Memory" {
			continue
		}
		v := MemoryVolume{Name: yamlnode.Str(n, "name"), Path: podPath.Key("volumes").Index(i)}
		if s := yamlnode.Get(n, "emptyDir", "sizeLimit"); s != nil && s.Kind == yaml.ScalarNode && s.Tag != "!!null" {
			v.SizeLimit = &Quantity{Path: v.Path.Keys("emptyDir", "sizeLimit"), Field: "sizeLimit", Raw: s.Value, Info: quantity.Shared(s.Value)}
		}
		out = append(out, v)
	}
	return out
}
