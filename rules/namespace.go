package rules

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/quantity"
	"github.com/oomlint/oomlint/lint"
)

// The OOM401–OOM404 family: what the namespace's LimitRanges and
// ResourceQuotas do to pods when the API server admits them. The engine has
// already applied the LimitRange defaults (lint.Container's Limit and
// Request are what admission would store); these rules check the bounds,
// the LimitRanges themselves and the quota arithmetic.

var limitRangeViolation = &lint.Rule{
	ID: "OOM401", Name: "limitrange-violation", Severity: lint.Error, Scope: lint.WorkloadScope,
	Since:  "0.1.0",
	Family: "admission", Precision: lint.VeryHighPrecision,
	Summary: "container or pod memory is outside the bounds of the namespace's LimitRange: pods are rejected",
	Doc: `The LimitRanger admission plugin first fills missing limits and requests
from the LimitRange defaults, then checks every container (and, for
type Pod items, the pod's total) against each LimitRange of the namespace:
- a type Container item's max: the container must have a memory limit, and
  its limit and request must be at or below max;
- min: the container must have a request, and its request and limit must
  be at or above min;
- maxLimitRequestRatio: the container must have both, and limit / request
  must not exceed the ratio;
- a type Pod item: the same checks on the pod's total, the sum of its
  containers (init containers by the max-of-init rule, native sidecars on
  both sides).
A pod that fails any of them is rejected: the ReplicaSet, StatefulSet or Job
gets FailedCreate events and never runs a pod, and kubectl apply of a bare
Pod fails. The values checked are the effective ones, defaults included:
a request of 1Gi on a container without a limit, in a namespace whose
LimitRange defaults the limit to 512Mi, is rejected too, and reported here
(once, with the LimitRange line) rather than by OOM103. A LimitRange that
contradicts itself is OOM402's: the API server never stores it, so it
bounds nothing.`,
	Fix: "bring the container's memory within the LimitRange's min/max and ratio, or change the LimitRange",
	Example: `apiVersion: v1
kind: LimitRange
metadata:
  name: bounds
  namespace: shop
spec:
  limits:
    - type: Container
      max:
        memory: 2Gi
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: api
          resources:
            limits:
              memory: 4Gi`,
	Good: `          resources:
            limits:
              memory: 2Gi`,
	Check: checkLimitRangeViolation,
}

var limitRangeInconsistent = &lint.Rule{
	ID: "OOM402", Name: "limitrange-inconsistent", Severity: lint.Error, Scope: lint.NamespaceScope,
	Since:  "0.1.0",
	Family: "admission", Precision: lint.VeryHighPrecision,
	Summary: "LimitRange contradicts itself: the API server rejects it",
	Doc: `The API server validates a LimitRange after filling its gaps (a missing
default takes max, a missing defaultRequest takes default, else min) and
rejects it when, for memory, min > max, defaultRequest < min,
defaultRequest > max, defaultRequest > default, default < min or
default > max, when maxLimitRequestRatio is below 1 or above max / min, or
when a type Pod item sets default or defaultRequest. The object is never
stored: kubectl apply fails, a GitOps controller stays out of sync, and the
namespace runs without the defaults and bounds everybody thinks it has, so
containers run without limits (and OOM401 does not check against it).`,
	Fix: "make min ≤ defaultRequest ≤ default ≤ max (and 1 ≤ maxLimitRequestRatio ≤ max/min)",
	Example: `apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
spec:
  limits:
    - type: Container
      default:
        memory: 256Mi
      defaultRequest:
        memory: 512Mi`,
	Good: `apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
spec:
  limits:
    - type: Container
      default:
        memory: 512Mi
      defaultRequest:
        memory: 256Mi`,
	Check: checkLimitRangeInconsistent,
}

var quotaRequiresMemory = &lint.Rule{
	ID: "OOM403", Name: "quota-requires-memory", Severity: lint.Error, Scope: lint.ContainerScope,
	Since:  "0.1.0",
	Family: "quota", Precision: lint.VeryHighPrecision,
	Summary: "a ResourceQuota constrains memory but a container has no value and no LimitRange default: pods are rejected",
	Doc: `When a ResourceQuota of the namespace sets hard limits.memory, every
container of every pod it covers (init containers and sidecars included)
must have a memory limit; with requests.memory or memory, a memory request.
A container without one, and without a LimitRange default to fill it in, is
rejected at admission with "must specify limits.memory": the workload never
runs a pod. A limit alone satisfies a requests quota, since the API server
copies it into the request; pod-level resources count as set.
Quota scopes are honoured where the manifest decides them: Terminating /
NotTerminating (the pod's activeDeadlineSeconds), BestEffort /
NotBestEffort (any CPU or memory request or limit, LimitRange defaults
included), and PriorityClass In / NotIn on the pod's priorityClassName (a
cluster-wide globalDefault PriorityClass is not known, so a pod without
one is taken to have none). A quota whose scopes cannot be decided
(CrossNamespacePodAffinity, Exists on PriorityClass) is skipped.`,
	Fix: "set resources.limits.memory and requests.memory on every container, or give the namespace a LimitRange default",
	Example: `apiVersion: v1
kind: ResourceQuota
metadata:
  name: compute
  namespace: shop
spec:
  hard:
    limits.memory: 16Gi
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: api
          resources:
            requests:
              memory: 512Mi`,
	Good: `          resources:
            requests:
              memory: 512Mi
            limits:
              memory: 1Gi`,
	Check: checkQuotaRequiresMemory,
}

var quotaExceeded = &lint.Rule{
	ID: "OOM404", Name: "quota-exceeded", Severity: lint.Error, Scope: lint.NamespaceScope,
	Since:   "0.1.0",
	Family:  "quota",
	Summary: "replicas × pod memory of the namespace's workloads exceeds a ResourceQuota's hard value",
	Doc: `A ResourceQuota caps the sum of the memory requests (requests.memory,
memory) or limits (limits.memory) of all pods of the namespace. Once the
running pods reach it, every new pod is rejected: a rollout stalls with
FailedCreate events, an HPA cannot scale up when load arrives, and a Job
never starts its next pod. The sum counted here is, per workload:
- pods: spec.replicas (default 1), or the maxReplicas of an HPA (autoscaling
  v1 or v2) whose scaleTargetRef names the workload's kind and name;
  Job parallelism (default 1, at most completions); a CronJob counts one
  run of its job (concurrencyPolicy Allow could overlap runs; that is not
  assumed); a DaemonSet counts the configured settings.nodes pods and is
  left out when nodes is not set; a bare Pod counts 1;
- surge: a Deployment's rolling update runs maxSurge extra pods (an integer
  or a percentage of the replicas rounded up, default 25%; none with
  strategy Recreate), an Argo Rollout likewise (a blue-green Rollout runs a
  full second set), a DaemonSet its updateStrategy maxSurge (default 0);
  StatefulSets, ReplicaSets and Jobs do not surge;
- pod memory: the larger of the biggest init container (plus the native
  sidecars started before it) and the sum of the app containers and native
  sidecars, or pod-level resources when set: Kubernetes' effective pod
  request. Values come after LimitRange defaulting; a container with no
  value adds nothing (OOM403 reports it).
Only pods the quota's scopes surely match are counted (see OOM403), and a
workload found in several units (two overlays of one app in one namespace)
counts once, with its largest variant. The finding is on the quota's hard
value, with the largest contributors as related locations.`,
	Fix: "raise the quota's hard value, or lower replicas, HPA maxReplicas, maxSurge or the pods' memory",
	Example: `apiVersion: v1
kind: ResourceQuota
metadata:
  name: compute
  namespace: shop
spec:
  hard:
    requests.memory: 8Gi
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 8
  template:
    spec:
      containers:
        - name: api
          resources:
            requests:
              memory: 1Gi`,
	Good: `spec:
  hard:
    requests.memory: 12Gi`,
	Check: checkQuotaExceeded,
}

// ---- LimitRanges -------------------------------------------------------

func checkLimitRangeInconsistent(p *lint.Pass) []lint.Diagnostic {
	var out []lint.Diagnostic
	for _, o := range p.Namespace.LimitRangeObjects {
		for _, it := range lint.LimitRangeItems(o) {
			// One finding per offending value, however many checks it fails.
			var order []string
			byPath := map[string][]lint.Contradiction{}
			for _, c := range it.Contradictions() {
				k := c.At.String()
				if _, ok := byPath[k]; !ok {
					order = append(order, k)
				}
				byPath[k] = append(byPath[k], c)
			}
			for _, k := range order {
				cs := byPath[k]
				var msgs, fixes []string
				var related []lint.Related
				for _, c := range cs {
					msgs = append(msgs, c.Msg)
					fixes = append(fixes, c.Fix)
					if c.Other != nil {
						related = append(related, objectRelated(o, c.Other.Path, fmt.Sprintf("%s %s of the same item", c.Other.Field, c.Other.Raw)))
					}
				}
				out = append(out, lint.Diagnostic{
					In: o, Path: cs[0].At,
					Message: fmt.Sprintf("%s: the API server rejects LimitRange %s/%s (%s), so none of its defaults or bounds apply",
						strings.Join(msgs, "; "), o.Namespace, o.Name, it.Path),
					Fix:     strings.Join(fixes, "; "),
					Related: related,
				})
			}
		}
	}
	return out
}

func checkLimitRangeViolation(p *lint.Pass) []lint.Diagnostic {
	w := p.Workload
	if w.Namespace == nil || len(w.Namespace.LimitRangeObjects) == 0 || !runsPods(w) {
		return nil
	}
	var out []lint.Diagnostic
	for _, c := range w.Containers {
		out = append(out, requestAboveDefault(c)...)
	}
	for _, o := range w.Namespace.LimitRangeObjects {
		for _, it := range lint.LimitRangeItems(o) {
			if len(it.Contradictions()) > 0 {
				continue // never stored: OOM402
			}
			switch it.Type {
			case "Container":
				for _, c := range w.Containers {
					out = append(out, containerViolations(c, it)...)
				}
			case "Pod":
				out = append(out, podViolations(w, it)...)
			}
		}
	}
	return out
}

// requestAboveDefault reports a request above the limit a LimitRange gives
// the container: admission fills the limit, then rejects limit < request.
// The engine adds the LimitRange line to the trace of the defaulted limit.
func requestAboveDefault(c *lint.Container) []lint.Diagnostic {
	lim, req := c.Limit, c.Request
	if lim.Source != lint.LimitRangeDefault || !lim.Usable() || !req.Usable() || lim.Bytes() >= req.Bytes() {
		return nil
	}
	return []lint.Diagnostic{{
		Path:      lim.Q.Path,
		Container: c.Name,
		Message: fmt.Sprintf("%s %q sets %s %s but no limit, and the namespace's LimitRange defaults limits.memory to %s, below the request: the API server rejects the pod (FailedCreate)",
			c.Role, c.Name, req.Q.Field, req.Q.Raw, lim.Q.Raw),
		Fix: fmt.Sprintf("set resources.limits.memory to at least %s on the container, or lower the request to %s", req.Q.Raw, lim.Q.Raw),
	}}
}

// bound is one memory side of a container or pod, as admission sees it.
type bound struct {
	label string // "limits.memory 4Gi", "the pod's total memory limits (3Gi: …)"
	field string // what a fix changes: "limits.memory", "the containers' memory limits"
	bytes float64
	set   bool
	path  lint.Path // where to point
}

func lrWhere(it *lint.LimitRangeItem) string {
	return fmt.Sprintf("LimitRange %s/%s", it.Object.Namespace, it.Object.Name)
}

func lrRelated(it *lint.LimitRangeItem, q *lint.Quantity) lint.Related {
	return objectRelated(it.Object, q.Path, fmt.Sprintf("%s %s of %s (type %s)", q.Field, q.Raw, lrWhere(it), it.Type))
}

func containerViolations(c *lint.Container, it *lint.LimitRangeItem) []lint.Diagnostic {
	lim, req := c.Limit, c.Request
	if (lim.Set() && !lim.Comparable()) || (req.Set() && !req.Comparable()) {
		return nil // a unit mistake or invalid value is reported as such
	}
	if lim.Set() && req.Set() && lim.Source == lint.LimitRangeDefault && lim.Bytes() < req.Bytes() {
		return nil // request above the defaulted limit: requestAboveDefault reports it once
	}
	side := func(e lint.Effective, section string) bound {
		b := bound{label: section + ".memory", field: section + ".memory", path: c.Path.Keys("resources", section, "memory")}
		if e.Set() {
			b.label, b.bytes, b.set, b.path = e.Q.Field+" "+e.Q.Raw, e.Q.Info.Exact(), true, e.Q.Path
		}
		return b
	}
	l, r := side(lim, "limits"), side(req, "requests")
	sameValue := lim.Set() && req.Set() && lim.Q == req.Q // request copied from the limit
	ds := boundViolations(it, l, r, sameValue, fmt.Sprintf("%s %q", c.Role, c.Name), "per container")
	for i := range ds {
		ds[i].Container = c.Name
	}
	return ds
}

// boundViolations checks a limit and a request against an item's max, min
// and ratio, the way LimitRanger's max/min/ratio constraints do.
func boundViolations(it *lint.LimitRangeItem, l, r bound, sameValue bool, who, per string) []lint.Diagnostic {
	var out []lint.Diagnostic
	add := func(at bound, q *lint.Quantity, msg, fix string) {
		out = append(out, lint.Diagnostic{
			Path:    at.path,
			Message: msg + ": the API server rejects the pod (FailedCreate)",
			Fix:     fix,
			Related: []lint.Related{lrRelated(it, q)},
		})
	}
	if q := it.Max; q != nil {
		mx := q.Info.Exact()
		switch {
		case !l.set:
			add(l, q, fmt.Sprintf("%s has no memory limit, and %s requires one (max.memory %s %s)", who, lrWhere(it), q.Raw, per),
				"set resources.limits.memory at or below "+q.Raw)
		case l.bytes > mx:
			add(l, q, fmt.Sprintf("%s is above the max.memory %s %s of %s", l.label, q.Raw, per, lrWhere(it)),
				fmt.Sprintf("lower %s to at most %s, or raise the LimitRange max", l.field, q.Raw))
		}
		if r.set && !sameValue && r.bytes > mx {
			add(r, q, fmt.Sprintf("%s is above the max.memory %s %s of %s", r.label, q.Raw, per, lrWhere(it)),
				fmt.Sprintf("lower %s to at most %s", r.field, q.Raw))
		}
	}
	if q := it.Min; q != nil {
		mn := q.Info.Exact()
		switch {
		case !r.set:
			add(r, q, fmt.Sprintf("%s has no memory request, and %s requires one (min.memory %s %s)", who, lrWhere(it), q.Raw, per),
				"set resources.requests.memory at or above "+q.Raw)
		case r.bytes < mn:
			add(r, q, fmt.Sprintf("%s is below the min.memory %s %s of %s", r.label, q.Raw, per, lrWhere(it)),
				fmt.Sprintf("raise %s to at least %s, or lower the LimitRange min", r.field, q.Raw))
		}
		if l.set && !sameValue && l.bytes < mn {
			add(l, q, fmt.Sprintf("%s is below the min.memory %s %s of %s", l.label, q.Raw, per, lrWhere(it)),
				fmt.Sprintf("raise %s to at least %s", l.field, q.Raw))
		}
	}
	if q := it.Ratio; q != nil {
		maxRatio := q.Info.Exact()
		switch {
		case !r.set || r.bytes == 0:
			add(r, q, fmt.Sprintf("%s has no memory request, and the maxLimitRequestRatio.memory %s of %s requires one", who, q.Raw, lrWhere(it)),
				"set resources.requests.memory")
		case !l.set || l.bytes == 0:
			add(l, q, fmt.Sprintf("%s has no memory limit, and the maxLimitRequestRatio.memory %s of %s requires one", who, q.Raw, lrWhere(it)),
				"set resources.limits.memory")
		case l.bytes/r.bytes > maxRatio:
			ratio := l.bytes / r.bytes
			add(r, q, fmt.Sprintf("%s is %s× %s, above the maxLimitRequestRatio.memory %s %s of %s", l.label, formatRatio(ratio, maxRatio), r.label, q.Raw, per, lrWhere(it)),
				fmt.Sprintf("raise %s to at least %s, or lower %s", r.field, exactSize(int64(math.Ceil(l.bytes/maxRatio))), l.field))
		}
	}
	return out
}

func podViolations(w *lint.Workload, it *lint.LimitRangeItem) []lint.Diagnostic {
	if it.Max == nil && it.Min == nil && it.Ratio == nil {
		return nil
	}
	side := func(limits bool) bound {
		pm := podMemory(w, limits)
		section := "requests"
		if limits {
			section = "limits"
		}
		b := bound{label: "the pod's total memory " + strings.TrimSuffix(section, "s"), field: "the containers' memory " + section}
		if len(w.Containers) > 0 {
			b.path = w.Containers[0].Path.Keys("resources", section, "memory")
		}
		if pm.set {
			b.label, b.bytes, b.set, b.path = fmt.Sprintf("the pod's total memory %s %s", strings.TrimSuffix(section, "s"), pm.explain()), float64(pm.total), true, pm.largest
		}
		return b
	}
	return boundViolations(it, side(true), side(false), false, "the pod", "per pod")
}

// ---- Pod memory ---------------------------------------------------------

// podTotal is a pod's memory requests or limits as Kubernetes sums them.
type podTotal struct {
	total   int64
	set     bool // some container (or the pod) has a value
	parts   []podPart
	initWon bool      // an init container's need is the larger side
	largest lint.Path // the biggest value counted, for positions
}

type podPart struct {
	name  string
	bytes int64
}

func (t podTotal) explain() string {
	var b strings.Builder
	b.WriteString(exactSize(t.total))
	if len(t.parts) > 1 || t.initWon {
		b.WriteString(" (")
		for i, p := range t.parts {
			if i > 0 {
				b.WriteString(" + ")
			}
			b.WriteString(p.name + " " + exactSize(p.bytes))
		}
		if t.initWon {
			b.WriteString(" while initialising, more than the app containers need")
		}
		b.WriteString(")")
	}
	return b.String()
}

// podMemory is the pod's effective memory request (or limit): pod-level
// resources when set; else the larger of the app containers plus native
// sidecars, and of each init container plus the sidecars started before it
// (KEP-753, resourcehelper.PodRequests). Containers without a usable value
// add nothing.
func podMemory(w *lint.Workload, limits bool) podTotal {
	pod := w.PodRequest
	if pod == nil {
		pod = w.PodLimit
	}
	if limits {
		pod = w.PodLimit
	}
	if pod != nil && pod.Valid() && pod.Info.Class != quantity.SubByte {
		b := pod.Info.Bytes()
		return podTotal{total: b, set: true, parts: []podPart{{"pod-level", b}}, largest: pod.Path}
	}
	var t podTotal
	var app, sidecars []podPart
	var appSum, sidecarSum, initMax int64
	var initParts []podPart
	var largest int64 = -1
	for _, c := range w.Containers {
		e := c.Request
		if limits {
			e = c.Limit
		}
		if !e.Set() || !e.Comparable() {
			continue
		}
		t.set = true
		b := e.Bytes()
		if b > largest {
			largest, t.largest = b, e.Q.Path
		}
		part := podPart{c.Name, b}
		switch c.Role {
		case lint.Sidecar:
			sidecarSum += b
			sidecars = append(sidecars, part)
			if sidecarSum > initMax {
				initMax, initParts = sidecarSum, slices.Clone(sidecars)
			}
		case lint.Init:
			if b+sidecarSum > initMax {
				initMax, initParts = b+sidecarSum, append(slices.Clone(sidecars), part)
			}
		case lint.Regular:
			appSum += b
			app = append(app, part)
		}
	}
	t.total, t.parts = appSum+sidecarSum, slices.Concat(app, sidecars)
	if initMax > t.total {
		t.total, t.parts, t.initWon = initMax, initParts, true
	}
	return t
}

// ---- ResourceQuotas -----------------------------------------------------

// quotaHard is one memory entry of a quota's spec.hard.
type quotaHard struct {
	obj      *lint.Object
	resource string // requests.memory, memory, limits.memory
	q        *lint.Quantity
}

func (h quotaHard) limits() bool { return h.resource == "limits.memory" }

func (h quotaHard) section() string {
	if h.limits() {
		return "limits"
	}
	return "requests"
}

func (h quotaHard) related() lint.Related {
	return objectRelated(h.obj, h.q.Path, fmt.Sprintf("hard %s %s of ResourceQuota %s/%s", h.resource, h.q.Raw, h.obj.Namespace, h.obj.Name))
}

// quotaHards are the quota's memory entries the API server enforces: a
// value that does not parse is refused with the quota.
func quotaHards(o *lint.Object) []quotaHard {
	var out []quotaHard
	for _, h := range lint.QuotaHards(o) {
		if h.Q.Valid() && h.Q.Info.Class != quantity.SubByte {
			out = append(out, quotaHard{obj: o, resource: h.Resource, q: h.Q})
		}
	}
	return out
}

// scopeMatch is whether a quota's scopes cover a workload's pods.
type scopeMatch int

const (
	scopeNo scopeMatch = iota
	scopeYes
	scopeUnknown
)

// quotaCovers decides, where the manifests allow it, whether a quota's
// scopes and scopeSelector match the workload's pods: every term must.
func quotaCovers(q *lint.Object, w *lint.Workload) scopeMatch {
	type term struct{ scope, op string }
	var terms []term
	var vals [][]string
	if seq := q.Get("spec", "scopes"); seq != nil && seq.Kind == yaml.SequenceNode {
		for _, n := range seq.Content {
			terms = append(terms, term{scope: yamlnode.Deref(n).Value, op: "Exists"})
			vals = append(vals, nil)
		}
	}
	if seq := q.Get("spec", "scopeSelector", "matchExpressions"); seq != nil && seq.Kind == yaml.SequenceNode {
		for _, n := range seq.Content {
			terms = append(terms, term{scope: yamlnode.Str(n, "scopeName"), op: yamlnode.Str(n, "operator")})
			var vs []string
			if s := yamlnode.Get(n, "values"); s != nil && s.Kind == yaml.SequenceNode {
				for _, v := range s.Content {
					vs = append(vs, yamlnode.Deref(v).Value)
				}
			}
			vals = append(vals, vs)
		}
	}
	result := scopeYes
	for i, t := range terms {
		m := scopeUnknown
		switch {
		case t.scope == "Terminating" && t.op == "Exists":
			m = boolMatch(terminating(w))
		case t.scope == "NotTerminating" && t.op == "Exists":
			m = boolMatch(!terminating(w))
		case t.scope == "BestEffort" && t.op == "Exists":
			m = scopeNo // a BestEffort quota tracks only pods, never memory
		case t.scope == "NotBestEffort" && t.op == "Exists":
			m = boolMatch(!bestEffort(w))
		case t.scope == "PriorityClass" && t.op == "In":
			m = boolMatch(slices.Contains(vals[i], w.PriorityClassName))
		case t.scope == "PriorityClass" && t.op == "NotIn":
			m = boolMatch(!slices.Contains(vals[i], w.PriorityClassName))
		}
		switch m {
		case scopeNo:
			return scopeNo
		case scopeUnknown:
			result = scopeUnknown
		case scopeYes:
		}
	}
	return result
}

func boolMatch(b bool) scopeMatch {
	if b {
		return scopeYes
	}
	return scopeNo
}

// terminating reports whether the pod sets activeDeadlineSeconds.
func terminating(w *lint.Workload) bool { return w.Terminating }

// bestEffort reports whether the pod has BestEffort QoS: no CPU or memory
// request or limit on any container after LimitRange defaulting.
func bestEffort(w *lint.Workload) bool {
	if w.CPU || (w.PodLimit != nil || w.PodRequest != nil) {
		return false
	}
	for _, c := range w.Containers {
		if c.Limit.Set() || c.Request.Set() || c.CPU {
			return false
		}
	}
	if w.Namespace != nil {
		for _, o := range w.Namespace.LimitRangeObjects {
			seq := o.Get("spec", "limits")
			if seq == nil || seq.Kind != yaml.SequenceNode {
				continue
			}
			for _, n := range seq.Content {
				if yamlnode.Str(n, "type") != "Container" {
					continue
				}
				for _, k := range []string{"default", "defaultRequest", "max", "min"} {
					if yamlnode.Get(yamlnode.Get(n, k), "cpu") != nil {
						return false // every container gets a CPU value
					}
				}
			}
		}
	}
	return true
}

func checkQuotaRequiresMemory(p *lint.Pass) []lint.Diagnostic {
	w, c := p.Workload, p.Container
	if w.Namespace == nil || len(w.Namespace.ResourceQuotas) == 0 || !runsPods(w) {
		return nil
	}
	need := map[string][]quotaHard{}
	for _, q := range w.Namespace.ResourceQuotas {
		if quotaCovers(q, w) != scopeYes {
			continue
		}
		for _, h := range quotaHards(q) {
			need[h.section()] = append(need[h.section()], h)
		}
	}
	var missing, resources, specify, quotas []string
	var related []lint.Related
	var path lint.Path
	for _, section := range []string{"limits", "requests"} {
		hs := need[section]
		e := c.Request
		if section == "limits" {
			e = c.Limit
		}
		if len(hs) == 0 || e.Set() {
			continue
		}
		if len(missing) == 0 {
			path = c.Path.Keys("resources", section, "memory")
		}
		missing = append(missing, section+".memory")
		for _, h := range hs {
			related = append(related, h.related())
			resources = append(resources, h.resource)
			specify = append(specify, fmt.Sprintf("%s for: %s", h.resource, c.Name))
			quotas = append(quotas, h.obj.Namespace+"/"+h.obj.Name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	quotas, specify, resources = uniq(quotas), uniq(specify), uniq(resources)
	who := "ResourceQuota " + quotas[0] + " sets"
	if len(quotas) > 1 {
		who = "ResourceQuotas " + strings.Join(quotas, ", ") + " set"
	}
	return []lint.Diagnostic{{
		Path:      path,
		Container: c.Name,
		Message: fmt.Sprintf("%s %q has no %s and no LimitRange default, and %s hard %s: the API server rejects every pod (\"must specify %s\")",
			c.Role, c.Name, strings.Join(missing, " or "), who,
			strings.Join(resources, ", "), strings.Join(specify, "; ")),
		Fix:     fmt.Sprintf("set resources.%s on %s %q, or give namespace %s a LimitRange default", strings.Join(missing, " and "), c.Role, c.Name, w.Object.Namespace),
		Related: related,
	}}
}

// podCount is how many pods of a workload a quota must hold at once.
type podCount struct {
	w        *lint.Workload
	pods     int64 // replicas, HPA maxReplicas, parallelism, nodes
	surge    int64 // extra pods during a rolling update
	why      string
	at       site // where the count is set
	declared bool // false when the kind runs no pods or its count is unknown
}

// site is a field a related location will name, located only when a
// finding shows it: a namespace's pod counts are many, its findings few.
type site struct {
	o   *lint.Object
	p   lint.Path
	msg string
}

func (s site) related() lint.Related { return objectRelated(s.o, s.p, s.msg) }

// countPods works out the pods a workload runs at its peak.
func countPods(w *lint.Workload, ns *lint.Namespace, s lint.Settings) podCount {
	o := w.Object
	pc := podCount{w: w, pods: 1, declared: true}
	loc := func(p lint.Path, msg string) site { return site{o, p, msg} }
	replicas := func() {
		pc.pods, pc.why = 1, "replicas (default 1)"
		pc.at = loc(lint.Root, fmt.Sprintf("%s %s: 1 replica (spec.replicas not set)", o.Kind, o.Name))
		if r := w.Scale.Replicas; r != nil {
			pc.pods, pc.why = r.N, "replicas"
			pc.at = loc(r.Path, fmt.Sprintf("%s %s: %s", o.Kind, o.Name, plural(r.N, "replica")))
		}
		if h, n := ns.HPAFor(o); h != nil {
			pc.pods, pc.why = n, "HPA "+h.Name+" maxReplicas"
			pc.at = site{h, lint.Root.Keys("spec", "maxReplicas"), fmt.Sprintf("HorizontalPodAutoscaler %s scales %s %s up to %s", h.Name, o.Kind, o.Name, plural(n, "replica"))}
		}
	}
	switch o.Kind {
	case "Pod":
		pc.why = "pod"
		pc.at = loc(lint.Root, "Pod "+o.Name)
	case "Deployment":
		replicas()
		if !w.Scale.NoSurge {
			pc.surge = surge(w.Scale.MaxSurge, pc.pods, "25%")
		}
	case "Rollout":
		replicas()
		switch {
		case w.Scale.BlueGreen:
			pc.surge = pc.pods
		default:
			pc.surge = surge(w.Scale.MaxSurge, pc.pods, "25%")
		}
	case "StatefulSet", "ReplicaSet", "ReplicationController":
		replicas()
	case "Job":
		pc.pods, pc.why, pc.at = jobPods(w)
	case "CronJob":
		pc.pods, pc.why, pc.at = jobPods(w)
	case "DaemonSet":
		if s.Nodes <= 0 {
			pc.declared = false
			return pc
		}
		pc.pods, pc.why = int64(s.Nodes), "nodes"
		pc.at = loc(lint.Root, fmt.Sprintf("DaemonSet %s: one pod on each of the %d nodes (settings.nodes)", o.Name, s.Nodes))
		if !w.Scale.NoSurge {
			pc.surge = surge(w.Scale.MaxSurge, pc.pods, "0")
		}
	default: // PodTemplate: no pods of its own
		pc.declared = false
	}
	return pc
}

// jobPods is a Job's parallelism (default 1), at most its completions.
func jobPods(w *lint.Workload) (int64, string, site) {
	o := w.Object
	n, why, at := int64(1), "parallelism (default 1)", site{o, lint.Root, fmt.Sprintf("%s %s: 1 pod at a time (parallelism not set)", o.Kind, o.Name)}
	if p := w.Scale.Parallelism; p != nil {
		n, why = p.N, "parallelism"
		at = site{o, p.Path, fmt.Sprintf("%s %s: %d pods at a time", o.Kind, o.Name, p.N)}
	}
	if c := w.Scale.Completions; c != nil && c.N < n {
		n, why = c.N, "completions"
		at = site{o, c.Path, fmt.Sprintf("%s %s: %d completions, so %d pods at a time", o.Kind, o.Name, c.N, c.N)}
	}
	return n, why, at
}

// surge is a rolling update's maxSurge in pods: an integer, or a percentage
// of the replicas rounded up, as the deployment controller computes it.
func surge(written string, pods int64, def string) int64 {
	s := def
	if written != "" {
		s = written
	}
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		n, err := strconv.ParseInt(pct, 10, 64)
		if err != nil || n < 0 {
			return surge("", pods, def)
		}
		return (pods*n + 99) / 100
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		if s == def {
			return 0
		}
		return surge("", pods, def)
	}
	return n
}

// contribution is one workload's share of a quota.
type contribution struct {
	pc     podCount
	perPod int64
}

func (c contribution) total() int64 { return (c.pc.pods + c.pc.surge) * c.perPod }

func (c contribution) text() string {
	s := fmt.Sprintf("%s %d × %s", c.pc.w.Object.Name, c.pc.pods, exactSize(c.perPod))
	if strings.HasPrefix(c.pc.why, "HPA ") {
		s += " (" + c.pc.why + ")"
	}
	if c.pc.surge > 0 {
		s += fmt.Sprintf(" + surge %d × %s", c.pc.surge, exactSize(c.perPod))
	}
	return s
}

const topContributors = 5

func checkQuotaExceeded(p *lint.Pass) []lint.Diagnostic {
	ns := p.Namespace
	if len(ns.ResourceQuotas) == 0 {
		return nil
	}
	counts := make([]podCount, 0, len(ns.Workloads))
	for _, w := range ns.Workloads {
		if pc := countPods(w, ns, p.Settings); pc.declared {
			counts = append(counts, pc)
		}
	}
	var out []lint.Diagnostic
	for _, q := range ns.ResourceQuotas {
		for _, h := range quotaHards(q) {
			if d, ok := quotaOverflow(ns, h, counts); ok {
				out = append(out, d)
			}
		}
	}
	return out
}

func quotaOverflow(ns *lint.Namespace, h quotaHard, counts []podCount) (lint.Diagnostic, bool) {
	// One contribution per kind and name: a workload built by several
	// units (variants, overlays) is one object in the cluster.
	byName := map[string]int{}
	var cs []contribution
	for _, pc := range counts {
		if quotaCovers(h.obj, pc.w) != scopeYes {
			continue
		}
		c := contribution{pc: pc, perPod: podMemory(pc.w, h.limits()).total}
		if c.total() == 0 {
			continue
		}
		k := pc.w.Object.Kind + "/" + pc.w.Object.Name
		if i, ok := byName[k]; ok {
			if c.total() > cs[i].total() {
				cs[i] = c
			}
			continue
		}
		byName[k] = len(cs)
		cs = append(cs, c)
	}
	var sum int64
	for _, c := range cs {
		sum += c.total()
	}
	hard := h.q.Info.Bytes()
	if sum <= hard {
		return lint.Diagnostic{}, false
	}
	slices.SortFunc(cs, func(a, b contribution) int {
		return cmp.Or(cmp.Compare(b.total(), a.total()), strings.Compare(a.pc.w.Object.Name, b.pc.w.Object.Name), strings.Compare(a.pc.w.Object.Kind, b.pc.w.Object.Kind))
	})
	var texts []string
	var related []lint.Related
	for i, c := range cs {
		if i == topContributors {
			var rest int64
			for _, r := range cs[i:] {
				rest += r.total()
			}
			texts = append(texts, fmt.Sprintf("and %d more: %s", len(cs)-i, exactSize(rest)))
			break
		}
		texts = append(texts, c.text())
		r := c.pc.at.related()
		r.Message += fmt.Sprintf("; %s × %s %s.memory = %s", plural(c.pc.pods+c.pc.surge, "pod"), exactSize(c.perPod), h.section(), exactSize(c.total()))
		related = append(related, r)
	}
	verb := "can request " + exactSize(sum) + " of memory"
	if h.limits() {
		verb = "can have " + exactSize(sum) + " of memory limits"
	}
	return lint.Diagnostic{
		In: h.obj, Path: h.q.Path,
		Message: fmt.Sprintf("pods in namespace %s %s (%s) above the ResourceQuota %s/%s hard %s %s: new pods are rejected (FailedCreate) during rollouts or scale-up",
			ns.Name, verb, strings.Join(texts, ", "), h.obj.Namespace, h.obj.Name, h.resource, h.q.Raw),
		Fix: fmt.Sprintf("raise hard %s to at least %s, or lower replicas, HPA maxReplicas, maxSurge or the pods' memory %s",
			h.resource, exactSize(sum), h.section()),
		Related: related,
	}, true
}

// ---- helpers ------------------------------------------------------------

// uniq drops repeated strings, keeping the first of each.
func uniq(ss []string) []string {
	var out []string
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// plural renders a count with its noun: 1 pod, 7 pods.
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.FormatInt(n, 10) + " " + noun + "s"
}

// runsPods reports whether the workload's pods go through admission: a
// PodTemplate object is only a template.
func runsPods(w *lint.Workload) bool {
	k, _ := lint.KindOf(w.Object.Kind)
	return k.Runs
}

// objectRelated is a related location at a field of an object.
func objectRelated(o *lint.Object, p lint.Path, msg string) lint.Related {
	l := o.Origin.Locate(p)
	return lint.Related{File: l.File, Line: l.Line, Column: l.Column, Message: msg}
}

// exactSize renders bytes in the largest binary unit that divides them
// (1Gi, 1536Mi), so sums in messages add up exactly.
func exactSize(b int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 40, "Ti"}, {1 << 30, "Gi"}, {1 << 20, "Mi"}, {1 << 10, "Ki"}} {
		if b != 0 && b%u.size == 0 {
			return strconv.FormatInt(b/u.size, 10) + u.name
		}
	}
	if b >= 1<<20 {
		return quantity.FormatBytes(b)
	}
	return strconv.FormatInt(b, 10)
}
