package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/quantity"
	"github.com/oomlint/oomlint/lint"
)

// The OOM405–OOM408 family: HorizontalPodAutoscalers and
// VerticalPodAutoscalers against the workloads they scale, in one pass per
// namespace. An autoscaler finds its workload by kind and name (and API
// group, when its reference gives one) among the namespace's workloads from
// every unit of the run.

var vpaBoundsConflict = &lint.Rule{
	ID: "OOM405", Name: "vpa-bounds-conflict", Severity: lint.Warning, Scope: lint.NamespaceScope,
	Since:   "0.1.0",
	Family:  "autoscaling",
	Summary: "VPA names a container or target that does not exist, or its memory bounds contradict the container or the LimitRange",
	Doc: `A VerticalPodAutoscaler does what its spec says, silently:
- A containerPolicies[].containerName that names no container of the target
  (a typo; "*" is the wildcard) is ignored: the container falls back to the
  "*" policy or to no bounds at all, so the minAllowed/maxAllowed meant to
  protect it never apply.
- A targetRef that names no workload makes the VPA recommend nothing and
  update nothing. This is reported only as a typo: when the namespace's
  scanned workloads include one of the same kind whose name is within two
  edits of the target's. A target name unlike any of them is most likely a
  workload an operator creates at run time (the StatefulSet behind a
  Prometheus or Elasticsearch resource), and a VPA linted without the
  namespace's workloads cannot tell either way, so neither is reported.
  Targets of kinds oomlint does not render as workloads (Prometheus,
  Elasticsearch, Kafka and other custom resources) are not reported, and
  their VPAs are checked only for bounds that contradict each other or the
  LimitRange.
- maxAllowed.memory below the container's current (effective) memory request:
  once VPA applies a recommendation (updateMode Auto, Recreate or Initial) the
  request is capped at maxAllowed and the limit is scaled down with it (the
  default controlledValues RequestsAndLimits keeps the limit/request ratio),
  so a container that needs the memory it asks for today is OOM-killed.
- minAllowed.memory above maxAllowed.memory: the VPA admission controller
  rejects the object ("max resource for memory is lower than min").
- minAllowed.memory above the namespace's LimitRange max (type Container):
  VPA caps recommendations to the LimitRange, so the floor can never be
  honoured, and a VPA without LimitRange capping gets its pods rejected.
- maxAllowed.memory above the LimitRange max: the bound is unreachable, and
  a recommendation between the two is cut to the LimitRange max (or the pod
  is rejected), so VPA's idea of the container's size and the real one differ.
When several LimitRanges give a max, the smallest is used. A containerPolicy
with mode Off or controlledResources without memory is not checked against
the container's request.`,
	Fix: "make containerName and targetRef match the workload, and keep minAllowed ≤ maxAllowed within the LimitRange max and maxAllowed at or above the container's request",
	Example: `apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata:
  name: api
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: api
  resourcePolicy:
    containerPolicies:
      - containerName: apii
        maxAllowed:
          memory: 256Mi`,
	Good: `apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata:
  name: api
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: api
  resourcePolicy:
    containerPolicies:
      - containerName: api
        maxAllowed:
          memory: 1Gi`,
	Check: checkVPABoundsConflict,
}

const vpaAutoModeFix = `set updatePolicy.updateMode: "Off" (or "Initial") until the recommendations have been checked against real peaks`

var vpaAutoMode = &lint.Rule{
	ID: "OOM406", Name: "vpa-auto-mode", Severity: lint.Info, Scope: lint.NamespaceScope,
	Since:   "0.1.0",
	Family:  "autoscaling",
	Summary: "VPA updateMode Auto or Recreate evicts pods to apply new memory values",
	Doc: `With updatePolicy.updateMode Auto or Recreate (and when updateMode is unset:
VPA v1 defaults it to Auto) the VPA updater evicts running pods whose
requests are far from its recommendation, and the admission controller
rewrites requests and limits of the pods that replace them.
InPlaceOrRecreate resizes in place where it can and evicts where it cannot.
A recommendation built from too little history (a fresh VPA, a quiet week)
can shrink memory below a peak the recommender has not yet seen; the next
peak OOM-kills the container, and evictions restart pods at times nobody
chose. Run a new VPA with updateMode "Off" first, compare its
recommendations (kubectl describe vpa) with real peaks, then move to
Initial (applied only when pods are created) or Auto with a
PodDisruptionBudget and a minAllowed floor.`,
	Fix: vpaAutoModeFix,
	Example: `apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata:
  name: api
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: api
  updatePolicy:
    updateMode: Auto`,
	Good: `apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata:
  name: api
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: api
  updatePolicy:
    updateMode: "Off"`,
	Check: checkVPAAutoMode,
}

var hpaMemoryWithoutRequest = &lint.Rule{
	ID: "OOM407", Name: "hpa-memory-without-request", Severity: lint.Error, Scope: lint.NamespaceScope,
	Since:   "0.1.0",
	Family:  "autoscaling",
	Summary: "HPA scales on memory utilization but the target's containers have no memory request",
	Doc: `Memory utilization is usage divided by the memory request. For a Resource
metric the HPA controller needs a request on every container of the pod (or
a pod-level request); for a ContainerResource metric, on the named
container. When one is missing the HPA reports FailedGetResourceMetric
("missing request for memory") and never scales: the workload stays at its
current replica count however much memory it uses, until its containers are
OOM-killed. Requests filled by the namespace's LimitRange count, as they do
at admission. autoscaling/v2 and v2beta2 (target.type Utilization) and
v2beta1 (targetAverageUtilization) are checked; autoscaling/v1 has no
memory metrics. Only the pod spec's containers count, as in the HPA
controller: init containers and native sidecars do not.`,
	Fix: "set resources.requests.memory on every container of the target, or scale on target.type AverageValue",
	Example: `# HorizontalPodAutoscaler
metrics:
  - type: Resource
    resource:
      name: memory
      target:
        type: Utilization
        averageUtilization: 80
---
# its Deployment's container
containers:
  - name: api
    image: example/api:1.4`,
	Good: `containers:
  - name: api
    image: example/api:1.4
    resources:
      requests:
        memory: 512Mi
      limits:
        memory: 1Gi`,
	Check: checkHPAMemoryWithoutRequest,
}

var vpaHPAMemoryConflict = &lint.Rule{
	ID: "OOM408", Name: "vpa-hpa-memory-conflict", Severity: lint.Warning, Scope: lint.NamespaceScope,
	Since:   "0.1.0",
	Family:  "autoscaling",
	Summary: "a VPA that controls memory and an HPA that scales on memory share a target",
	Doc: `A VPA changes the memory request; an HPA scaling on memory utilization
divides usage by that same request, and one scaling on an average value
reacts to per-pod usage that the VPA is resizing. The two feed each other:
the VPA raises the request, utilization drops, the HPA removes replicas,
usage per pod rises, the VPA raises the request again, or the reverse, until
pods are evicted or OOM-killed in the swings. The VPA project says not to
combine them on the same resource. The VPA controls memory when its
updateMode is not Off and a containerPolicy covering the container (by name,
else "*", else none) does not exclude memory (controlledResources unset
means cpu and memory; mode Off excludes the container).`,
	Fix: "scale the HPA on CPU or a custom metric, or set the VPA's controlledResources to [cpu] (or its updateMode to Off)",
	Example: `# HorizontalPodAutoscaler api
metrics:
  - type: Resource
    resource:
      name: memory
      target:
        type: Utilization
        averageUtilization: 80
---
# VerticalPodAutoscaler api, same targetRef
updatePolicy:
  updateMode: Auto`,
	Good: `# HorizontalPodAutoscaler api
metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 70
---
# VerticalPodAutoscaler api
resourcePolicy:
  containerPolicies:
    - containerName: "*"
      controlledResources: [memory]`,
	Check: checkVPAHPAMemoryConflict,
}

func checkVPABoundsConflict(p *lint.Pass) []lint.Diagnostic {
	ns := p.Namespace
	targets := indexWorkloads(ns)
	var out []lint.Diagnostic
	for _, o := range ns.VPAs {
		v := readVPA(o)
		w := targets.scaleTarget(o, v.ref)
		if d, ok := missingTarget(ns, targets, o, v.ref, w); ok {
			out = append(out, d)
		}
		for _, pol := range v.policies {
			out = append(out, policyProblems(ns, v, pol, w)...)
		}
	}
	return out
}

// missingTarget reports a targetRef that names no workload of a namespace
// whose workloads were scanned, when the name is a typo of one that is
// there. A name unlike any of them is most likely a workload an operator
// creates at run time (the StatefulSet of a Prometheus or Elasticsearch
// custom resource) and is left alone, as are kinds oomlint does not render
// as workloads (the custom resource itself).
func missingTarget(ns *lint.Namespace, targets *workloadIndex, o *lint.Object, r targetRef, w *lint.Workload) (lint.Diagnostic, bool) {
	if !r.ok || w != nil || len(ns.Workloads) == 0 || !scalable(r.Kind) {
		return lint.Diagnostic{}, false
	}
	s := closestName(r.Name, targets.names[r.Kind])
	if s == "" {
		return lint.Diagnostic{}, false
	}
	return lint.Diagnostic{
		In:   o,
		Path: r.Path.Key("name"),
		Message: fmt.Sprintf("%s %s targets %s %q, which is not among the %d workloads scanned in namespace %s, but %s %q is: a typo makes the %s recommend and update nothing",
			o.Kind, o.Name, r.Kind, r.Name, len(ns.Workloads), ns.Name, r.Kind, s, o.Kind),
		Fix: fmt.Sprintf("did you mean %s %q? set targetRef.name: %s", r.Kind, s, s),
	}, true
}

// policyProblems checks one containerPolicy: its name against the target's
// containers, its bounds against each other, the LimitRange and the
// containers' requests.
func policyProblems(ns *lint.Namespace, v *vpa, pol *containerPolicy, w *lint.Workload) []lint.Diagnostic {
	var out []lint.Diagnostic
	o := v.obj
	if w != nil && pol.name != "*" && podContainer(w, pol.name) == nil {
		names := podContainerNames(w, false)
		fix := fmt.Sprintf("set containerName to one of %s, or \"*\"", strings.Join(names, ", "))
		if s := closestName(pol.name, names); s != "" {
			fix = fmt.Sprintf("did you mean %q? set containerName: %s", s, s)
		}
		out = append(out, lint.Diagnostic{
			In: o, Path: pol.path.Key("containerName"),
			Message: fmt.Sprintf("containerName %q names no container of %s %s (containers: %s): VPA ignores this policy, so its bounds never apply",
				pol.name, w.Object.Kind, w.Object.Name, strings.Join(names, ", ")),
			Fix:     fix,
			Related: []lint.Related{fieldRelated(w.Object, w.PodPath.Key("containers"), fmt.Sprintf("the containers of %s %s", w.Object.Kind, w.Object.Name))},
		})
	}
	if pol.min != nil && pol.max != nil && pol.min.Info.Exact() > pol.max.Info.Exact() {
		out = append(out, lint.Diagnostic{
			In: o, Path: pol.max.Path,
			Message: fmt.Sprintf("maxAllowed.memory %s is below minAllowed.memory %s: the VPA admission controller rejects the object (max resource for memory is lower than min)",
				pol.max.Raw, pol.min.Raw),
			Fix:     fmt.Sprintf("raise maxAllowed.memory to at least %s, or lower minAllowed.memory", pol.min.Raw),
			Related: []lint.Related{fieldRelated(o, pol.min.Path, "minAllowed.memory "+pol.min.Raw)},
		})
	}
	out = append(out, limitRangeProblems(ns, o, pol)...)
	if d, ok := maxBelowRequest(v, pol, w); ok {
		out = append(out, d)
	}
	return out
}

// limitRangeProblems compares a policy's bounds with the namespace's
// smallest LimitRange max.
func limitRangeProblems(ns *lint.Namespace, o *lint.Object, pol *containerPolicy) []lint.Diagnostic {
	lr := smallestMax(ns)
	if lr == nil {
		return nil
	}
	maxQ := lr.Max
	related := []lint.Related{fieldRelated(lr.Object, maxQ.Path, fmt.Sprintf("max.memory %s of LimitRange %s", maxQ.Raw, lr.Object.Name))}
	var out []lint.Diagnostic
	if pol.min != nil && pol.min.Info.Exact() > maxQ.Info.Exact() {
		out = append(out, lint.Diagnostic{
			In: o, Path: pol.min.Path,
			Message: fmt.Sprintf("minAllowed.memory %s is above the max.memory %s of LimitRange %s: VPA caps recommendations to the LimitRange, so this floor is never honoured (and a pod given %s is rejected)",
				pol.min.Raw, maxQ.Raw, lr.Object.Name, pol.min.Raw),
			Fix:     fmt.Sprintf("lower minAllowed.memory to at most %s, or raise the LimitRange max", maxQ.Raw),
			Related: related,
		})
	}
	if pol.max != nil && pol.max.Info.Exact() > maxQ.Info.Exact() {
		out = append(out, lint.Diagnostic{
			In: o, Path: pol.max.Path,
			Message: fmt.Sprintf("maxAllowed.memory %s is above the max.memory %s of LimitRange %s: recommendations above %s are cut to the LimitRange (or get the pod rejected), so VPA never reaches this bound",
				pol.max.Raw, maxQ.Raw, lr.Object.Name, maxQ.Raw),
			Fix:     fmt.Sprintf("lower maxAllowed.memory to %s, or raise the LimitRange max", maxQ.Raw),
			Related: related,
		})
	}
	return out
}

// maxBelowRequest reports a maxAllowed below the current request of a
// container the policy governs: VPA shrinks it when it applies.
func maxBelowRequest(v *vpa, pol *containerPolicy, w *lint.Workload) (lint.Diagnostic, bool) {
	if w == nil || pol.max == nil || v.mode == "Off" || pol.mode == "Off" || !pol.controlsMemory() {
		return lint.Diagnostic{}, false
	}
	var worst *lint.Container
	var related []lint.Related
	for _, c := range w.Containers {
		if c.Role != lint.Regular || v.policyFor(c.Name) != pol || !c.Request.Usable() || c.Request.Bytes() <= pol.max.Info.Bytes() {
			continue
		}
		if worst == nil || c.Request.Bytes() > worst.Request.Bytes() {
			worst = c
		}
		related = append(related, fieldRelated(w.Object, c.Request.Q.Path, fmt.Sprintf("%s of container %q: %s", c.Request.Q.Field, c.Name, c.Request.Q.Raw)))
		related = append(related, c.Request.Q.Trace...)
	}
	if worst == nil {
		return lint.Diagnostic{}, false
	}
	req := worst.Request
	limit := ""
	if worst.Limit.Usable() && pol.controlledValues != "RequestsOnly" && req.Bytes() > 0 {
		scaled := int64(float64(worst.Limit.Bytes()) * float64(pol.max.Info.Bytes()) / float64(req.Bytes()))
		limit = fmt.Sprintf(" and its %s limit in proportion, to %s", worst.Limit.Q.Raw, quantity.Round(scaled))
	}
	return lint.Diagnostic{
		In: v.obj, Path: pol.max.Path, Container: worst.Name,
		Message: fmt.Sprintf("maxAllowed.memory %s is below the %s %s of container %q of %s %s: when VPA applies its recommendation it cuts the request to at most %s%s, and a container that needs what it asks for today is OOM-killed",
			pol.max.Raw, req.Q.Field, req.Q.Raw, worst.Name, w.Object.Kind, w.Object.Name, pol.max.Raw, limit),
		Fix:     fmt.Sprintf("raise maxAllowed.memory to at least %s, or lower the container's request if %s is measured to be enough", roundUp(req.Bytes()), pol.max.Raw),
		Related: related,
	}, true
}

func checkVPAAutoMode(p *lint.Pass) []lint.Diagnostic {
	var out []lint.Diagnostic
	for _, o := range p.Namespace.VPAs {
		v := readVPA(o)
		at := lint.Root.Keys("spec", "updatePolicy", "updateMode")
		var msg string
		switch v.mode {
		case "":
			msg = fmt.Sprintf("%s %s sets no updatePolicy.updateMode, which defaults to Auto: VPA evicts pods to apply new memory requests and limits, and a recommendation from too little history can OOM-kill the next peak", o.Kind, o.Name)
		case "Auto", "Recreate":
			msg = fmt.Sprintf("updateMode %s: VPA evicts pods to apply new memory requests and limits, and a recommendation from too little history can OOM-kill the next peak", v.mode)
		case "InPlaceOrRecreate":
			msg = "updateMode InPlaceOrRecreate: VPA resizes memory in place where it can and evicts pods where it cannot, and a recommendation from too little history can OOM-kill the next peak"
		default:
			continue // Off, Initial, or a value VPA rejects
		}
		out = append(out, lint.Diagnostic{In: o, Path: at, Message: msg, Fix: vpaAutoModeFix})
	}
	return out
}

func checkHPAMemoryWithoutRequest(p *lint.Pass) []lint.Diagnostic {
	ns := p.Namespace
	targets := indexWorkloads(ns)
	var out []lint.Diagnostic
	for _, o := range ns.HPAs {
		if o.APIVersion == "autoscaling/v1" {
			continue // no memory metrics
		}
		ref := readTargetRef(o, "scaleTargetRef")
		w := targets.scaleTarget(o, ref)
		if w == nil {
			continue
		}
		for _, m := range memoryMetrics(o) {
			if !m.utilization {
				continue
			}
			if d, ok := missingRequests(o, w, m); ok {
				out = append(out, d)
				break // one finding per HPA
			}
		}
	}
	return out
}

// missingRequests lists the containers whose missing request keeps the HPA
// from computing the metric's utilization.
func missingRequests(o *lint.Object, w *lint.Workload, m hpaMetric) (lint.Diagnostic, bool) {
	if m.container == "" && w.PodRequest != nil {
		return lint.Diagnostic{}, false // the pod-level request is the denominator
	}
	var missing []*lint.Container
	for _, c := range w.Containers {
		if c.Role != lint.Regular || (m.container != "" && c.Name != m.container) {
			continue
		}
		if !c.Request.Set() || c.Request.Source == lint.PodLevel {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return lint.Diagnostic{}, false
	}
	var names, fixes []string
	var related []lint.Related
	for _, c := range missing {
		names = append(names, fmt.Sprintf("%q", c.Name))
		related = append(related, fieldRelated(w.Object, c.Path.Keys("resources", "requests", "memory"), fmt.Sprintf("container %q of %s %s has no memory request", c.Name, w.Object.Kind, w.Object.Name)))
		fix := "set resources.requests.memory on container " + c.Name
		if c.Limit.Usable() { // a pod-level limit stands in for it
			fix += fmt.Sprintf(" (at most the %s %s)", c.Limit.Q.Field, c.Limit.Q.Raw)
		}
		fixes = append(fixes, fix)
	}
	noun, verb := "container "+names[0], "has"
	if len(names) > 1 {
		noun, verb = "containers "+strings.Join(names, ", "), "have"
	}
	return lint.Diagnostic{
		In: o, Path: m.path.Key("name"),
		Message: fmt.Sprintf("%s %s scales on memory utilization (%s), but %s of %s %s %s no memory request: utilization is usage ÷ request, so the HPA reports FailedGetResourceMetric and never scales",
			o.Kind, o.Name, m.target, noun, w.Object.Kind, w.Object.Name, verb),
		Fix:     strings.Join(fixes, "; ") + ", or use target.type AverageValue",
		Related: related,
	}, true
}

func checkVPAHPAMemoryConflict(p *lint.Pass) []lint.Diagnostic {
	ns := p.Namespace
	targets := indexWorkloads(ns)
	// Each VPA is read once and found by its target, in the namespace's
	// order, rather than read again for every HPA.
	vpas := map[kindName][]*vpa{}
	for _, o := range ns.VPAs {
		if v := readVPA(o); v.ref.ok {
			k := kindName{v.ref.Kind, v.ref.Name}
			vpas[k] = append(vpas[k], v)
		}
	}
	var out []lint.Diagnostic
	for _, h := range ns.HPAs {
		ms := memoryMetrics(h)
		if len(ms) == 0 {
			continue
		}
		ref := readTargetRef(h, "scaleTargetRef")
		if !ref.ok {
			continue
		}
		w := targets.scaleTarget(h, ref)
		for _, v := range vpas[kindName{ref.Kind, ref.Name}] {
			o := v.obj
			if !sameTarget(ref, v.ref) {
				continue
			}
			for _, m := range ms {
				if !v.controlsMemory(w, m.container) {
					continue
				}
				out = append(out, lint.Diagnostic{
					In: h, Path: m.path.Key("name"),
					Message: fmt.Sprintf("%s %s scales %s %s on memory (%s) while VerticalPodAutoscaler %s (updateMode %s) resizes its memory requests: the two chase each other, and pods are evicted or OOM-killed in the swings",
						h.Kind, h.Name, ref.Kind, ref.Name, m.target, o.Name, cmp.Or(v.mode, "Auto, the default")),
					Fix: fmt.Sprintf("scale %s on CPU or a custom metric, or set controlledResources: [cpu] in the containerPolicies of VerticalPodAutoscaler %s", h.Name, o.Name),
					Related: []lint.Related{fieldRelated(o, v.ref.Path.Key("name"),
						fmt.Sprintf("VerticalPodAutoscaler %s controls memory of %s %s", o.Name, ref.Kind, ref.Name))},
				})
				break // one finding per HPA and VPA
			}
		}
	}
	return out
}

// scalable reports whether a target kind is one oomlint models: a
// reference to one that is not in the namespace is a mistake, not a
// custom resource.
func scalable(kind string) bool {
	k, ok := lint.KindOf(kind)
	return ok && k.Runs
}

// targetRef is an autoscaler's spec.scaleTargetRef or spec.targetRef.
type targetRef struct {
	ok                     bool
	APIVersion, Kind, Name string
	Path                   lint.Path
}

func readTargetRef(o *lint.Object, key string) targetRef {
	r := targetRef{
		APIVersion: o.Str("spec", key, "apiVersion"),
		Kind:       o.Str("spec", key, "kind"),
		Name:       o.Str("spec", key, "name"),
		Path:       lint.Root.Keys("spec", key),
	}
	r.ok = r.Kind != "" && r.Name != ""
	return r
}

// refersTo reports whether r names o; a reference without an apiVersion
// matches any group.
func (r targetRef) refersTo(o *lint.Object) bool {
	return r.ok && lint.RefersTo(r.APIVersion, r.Kind, r.Name, o)
}

func sameTarget(a, b targetRef) bool {
	return a.Kind == b.Kind && a.Name == b.Name && (a.APIVersion == "" || b.APIVersion == "" || lint.APIGroup(a.APIVersion) == lint.APIGroup(b.APIVersion))
}

// kindName is what an autoscaler's reference names, besides the group.
type kindName struct{ kind, name string }

// workloadIndex is a namespace's workloads by kind and name, in the
// namespace's order, built once per check: with thousands of autoscalers a
// scan of every workload for each of them was quadratic.
type workloadIndex struct {
	byName map[kindName][]*lint.Workload
	names  map[string][]string // workload names by kind, for typo hints
}

func indexWorkloads(ns *lint.Namespace) *workloadIndex {
	t := &workloadIndex{byName: map[kindName][]*lint.Workload{}, names: map[string][]string{}}
	for _, w := range ns.Workloads {
		k := kindName{w.Object.Kind, w.Object.Name}
		t.byName[k] = append(t.byName[k], w)
		t.names[k.kind] = append(t.names[k.kind], k.name)
	}
	return t
}

// scaleTarget finds the workload r names, preferring one from the
// autoscaler's own unit (a chart variant's Deployment over another's).
func (t *workloadIndex) scaleTarget(from *lint.Object, r targetRef) *lint.Workload {
	var found *lint.Workload
	for _, w := range t.byName[kindName{r.Kind, r.Name}] {
		if !r.refersTo(w.Object) {
			continue
		}
		if w.Object.Unit == from.Unit {
			return w
		}
		if found == nil {
			found = w
		}
	}
	return found
}

// vpa is the part of a VerticalPodAutoscaler the rules read.
type vpa struct {
	obj      *lint.Object
	ref      targetRef
	mode     string // updatePolicy.updateMode as written; "" means Auto
	policies []*containerPolicy
}

// containerPolicy is one resourcePolicy.containerPolicies entry.
type containerPolicy struct {
	path             lint.Path
	name             string
	mode             string   // "Off" excludes the container
	controlled       []string // controlledResources; nil when unset (cpu and memory)
	controlledValues string
	min, max         *lint.Quantity // minAllowed/maxAllowed memory, when valid
}

func readVPA(o *lint.Object) *vpa {
	v := &vpa{obj: o, ref: readTargetRef(o, "targetRef"), mode: o.Str("spec", "updatePolicy", "updateMode")}
	seq := o.Get("spec", "resourcePolicy", "containerPolicies")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return v
	}
	for i, n := range seq.Content {
		at := lint.Root.Keys("spec", "resourcePolicy", "containerPolicies").Index(i)
		pol := &containerPolicy{
			path:             at,
			name:             yamlnode.Str(n, "containerName"),
			mode:             yamlnode.Str(n, "mode"),
			controlledValues: yamlnode.Str(n, "controlledValues"),
			min:              boundAt(n, at, "minAllowed"),
			max:              boundAt(n, at, "maxAllowed"),
		}
		if cr := yamlnode.Get(n, "controlledResources"); cr != nil && cr.Kind == yaml.SequenceNode {
			pol.controlled = []string{}
			for _, r := range cr.Content {
				pol.controlled = append(pol.controlled, r.Value)
			}
		}
		if pol.name != "" {
			v.policies = append(v.policies, pol)
		}
	}
	return v
}

// boundAt reads minAllowed/maxAllowed memory; a value that does not parse
// is left out (the VPA API rejects it).
func boundAt(n *yaml.Node, at lint.Path, key string) *lint.Quantity {
	raw := yamlnode.Str(yamlnode.Get(n, key), "memory")
	if raw == "" {
		return nil
	}
	q := &lint.Quantity{Path: at.Keys(key, "memory"), Field: key + ".memory", Raw: raw, Info: quantity.Shared(raw)}
	if !q.Valid() {
		return nil
	}
	return q
}

// controlsMemory reports whether the policy lets VPA change memory.
func (p *containerPolicy) controlsMemory() bool {
	return p.mode != "Off" && (p.controlled == nil || slices.Contains(p.controlled, "memory"))
}

// policyFor is the policy VPA applies to a container: its own, else "*".
func (v *vpa) policyFor(name string) *containerPolicy {
	var star *containerPolicy
	for _, p := range v.policies {
		switch p.name {
		case name:
			return p
		case "*":
			if star == nil {
				star = p
			}
		}
	}
	return star
}

// controlsMemory reports whether the VPA changes the memory of the named
// container, or of any container of w when name is "". Without the
// workload, the policies alone decide.
func (v *vpa) controlsMemory(w *lint.Workload, name string) bool {
	if v.mode == "Off" {
		return false
	}
	var names []string
	switch {
	case name != "":
		names = []string{name}
	case w != nil:
		names = podContainerNames(w, true)
	default:
		if v.policyFor("") == nil {
			return true // containers without a policy are controlled fully
		}
		return slices.ContainsFunc(v.policies, (*containerPolicy).controlsMemory)
	}
	for _, n := range names {
		if p := v.policyFor(n); p == nil || p.controlsMemory() {
			return true
		}
	}
	return false
}

// hpaMetric is a Resource or ContainerResource metric of an HPA on memory.
type hpaMetric struct {
	path        lint.Path // spec.metrics[i].resource
	container   string    // for ContainerResource
	utilization bool
	target      string // "averageUtilization 80%", for messages
}

func memoryMetrics(o *lint.Object) []hpaMetric {
	seq := o.Get("spec", "metrics")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	var out []hpaMetric
	for i, n := range seq.Content {
		key := "resource"
		if yamlnode.Str(n, "type") == "ContainerResource" {
			key = "containerResource"
		} else if yamlnode.Str(n, "type") != "Resource" {
			continue
		}
		r := yamlnode.Get(n, key)
		if yamlnode.Str(r, "name") != "memory" {
			continue
		}
		m := hpaMetric{path: lint.Root.Key("spec").Key("metrics").Index(i).Key(key), container: yamlnode.Str(r, "container")}
		t := yamlnode.Get(r, "target")
		switch {
		case yamlnode.Str(t, "type") == "Utilization" || yamlnode.Str(t, "averageUtilization") != "":
			m.utilization = true
			m.target = "averageUtilization " + yamlnode.Str(t, "averageUtilization") + "%"
		case yamlnode.Str(r, "targetAverageUtilization") != "": // v2beta1
			m.utilization = true
			m.target = "targetAverageUtilization " + yamlnode.Str(r, "targetAverageUtilization") + "%"
		case yamlnode.Str(t, "averageValue") != "":
			m.target = "averageValue " + yamlnode.Str(t, "averageValue")
		case yamlnode.Str(r, "targetAverageValue") != "":
			m.target = "targetAverageValue " + yamlnode.Str(r, "targetAverageValue")
		default:
			m.target = "target " + cmp.Or(yamlnode.Str(t, "type"), "unset")
		}
		if m.container != "" {
			m.target += " of container " + m.container
		}
		out = append(out, m)
	}
	return out
}

// smallestMax is the LimitRange item with the smallest memory max.
func smallestMax(ns *lint.Namespace) *lint.LimitRangeItem {
	var best *lint.LimitRangeItem
	for _, it := range ns.LimitRanges {
		if it.Max != nil && (best == nil || it.Max.Info.Exact() < best.Max.Info.Exact()) {
			best = it
		}
	}
	return best
}

func podContainer(w *lint.Workload, name string) *lint.Container {
	for _, c := range w.Containers {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// podContainerNames lists the names of w's containers; only the regular
// ones when regular is set.
func podContainerNames(w *lint.Workload, regular bool) []string {
	var out []string
	for _, c := range w.Containers {
		if !regular || c.Role == lint.Regular {
			out = append(out, c.Name)
		}
	}
	return out
}

// fieldRelated is a related entry at a field of another object.
func fieldRelated(o *lint.Object, p lint.Path, msg string) lint.Related {
	loc := o.Origin.Locate(p)
	return lint.Related{File: loc.File, Line: loc.Line, Column: loc.Column, Message: msg}
}

// closestName returns the candidate within two edits of s (a typo), or "".
func closestName(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if abs(len(c)-len(s)) >= bestD {
			continue // the distance is at least the difference in length
		}
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
