package rules

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/oomlint/oomlint/internal/quantity"
	"github.com/oomlint/oomlint/lint"
)

// The OOM10x family: every container's memory request and limit, after
// API defaulting and pod-level resources.

var memoryLimitMissing = &lint.Rule{
	ID: "OOM101", Name: "memory-limit-missing", Severity: lint.Warning, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "resources",
	Summary: "container has no effective memory limit",
	Doc: `A container without a memory limit may use all of the node's memory. When
the node runs short, the kernel OOM killer picks a victim (often this
container, or an innocent neighbour) and the kubelet evicts pods to
recover. The limit is what turns "the node is out of memory" into "this
container used more than it was allowed", which is visible, attributable
and fixable. No limit set, no LimitRange default and no pod-level limit
means there is nothing to stop it. Sidecars (native sidecars, injected
proxies, and known proxies and agents beside the pod's main container)
without a limit are reported by OOM304 instead; a known agent that is the
pod's only or main container (a promtail DaemonSet) is reported here.`,
	Fix: "set resources.limits.memory from the container's observed peak plus headroom",
	Example: `containers:
  - name: api
    image: example/api:1.4
    resources:
      requests:
        memory: 256Mi`,
	Good: `containers:
  - name: api
    image: example/api:1.4
    resources:
      requests:
        memory: 256Mi
      limits:
        memory: 512Mi`,
	Check: checkMemoryLimitMissing,
}

func checkMemoryLimitMissing(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	if c.Limit.Set() || sidecarReason(p.Settings, p.Workload, c) != "" {
		return nil // a sidecar without a limit is OOM304's
	}
	fix := "set resources.limits.memory from the container's observed peak plus headroom"
	if c.Request.Usable() {
		fix = fmt.Sprintf("set resources.limits.memory, e.g. %s (2× the %s request)", quantity.Round(2*c.Request.Bytes()), c.Request.Q.Raw)
	}
	return []lint.Diagnostic{{
		Path:      c.Path.Keys("resources", "limits", "memory"),
		Container: c.Name,
		Message:   fmt.Sprintf("%s %q has no memory limit: it can take all of the node's memory until the kernel OOM-kills it or its neighbours", c.Role, c.Name),
		Fix:       fix,
	}}
}

var memoryRequestMissing = &lint.Rule{
	ID: "OOM102", Name: "memory-request-missing", Severity: lint.Warning, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "resources",
	Summary: "container has no effective memory request",
	Doc: `The scheduler places pods by their requests. A container with no memory
request (and no limit, which the API server would copy into the request)
reserves nothing, so the node it lands on can be packed past its real
memory. Under memory pressure the kubelet evicts the pods that use most
above their requests first, which is this one.`,
	Fix: "set resources.requests.memory to the container's typical working set",
	Example: `containers:
  - name: worker
    image: example/worker:2.0`,
	Good: `containers:
  - name: worker
    image: example/worker:2.0
    resources:
      requests:
        memory: 256Mi
      limits:
        memory: 512Mi`,
	Check: checkMemoryRequestMissing,
}

func checkMemoryRequestMissing(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	if c.Request.Set() {
		return nil
	}
	return []lint.Diagnostic{{
		Path:      c.Path.Keys("resources", "requests", "memory"),
		Container: c.Name,
		Message:   fmt.Sprintf("%s %q has no memory request: the scheduler reserves no memory for it and it is evicted first under memory pressure", c.Role, c.Name),
		Fix:       "set resources.requests.memory to the container's typical working set",
	}}
}

var memoryLimitBelowRequest = &lint.Rule{
	ID: "OOM103", Name: "memory-limit-below-request", Severity: lint.Error, Scope: lint.ContainerScope,
	Since:  "0.1.0",
	Family: "resources", Precision: lint.VeryHighPrecision,
	Summary: "memory limit is below the memory request",
	Doc: `The API server rejects a pod whose container asks for more memory than it
is allowed to use (requests.memory > limits.memory): the Deployment's
ReplicaSet never gets a pod, and the rollout hangs with a FailedCreate
event. When a value has a unit mistake (512M, 512m, bare bytes), that
mistake is reported instead (OOM107, OOM108), as the root cause.`,
	Fix: "raise limits.memory to at least requests.memory, or lower the request",
	Example: `resources:
  requests:
    memory: 1Gi
  limits:
    memory: 512Mi`,
	Good: `resources:
  requests:
    memory: 512Mi
  limits:
    memory: 1Gi`,
	Check: checkMemoryLimitBelowRequest,
}

func checkMemoryLimitBelowRequest(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	if !c.Limit.Usable() || !c.Request.Usable() || c.Limit.Bytes() >= c.Request.Bytes() {
		return nil
	}
	if c.Limit.Source == lint.LimitRangeDefault {
		return nil // a request above a LimitRange default is OOM401's
	}
	return []lint.Diagnostic{{
		Path:      c.Limit.Q.Path,
		Container: c.Name,
		Message: fmt.Sprintf("%s %s is below %s %s: the API server rejects the pod",
			c.Limit.Q.Field, c.Limit.Q.Raw, c.Request.Q.Field, c.Request.Q.Raw),
		Fix: fmt.Sprintf("raise %s to at least %s, or lower %s", c.Limit.Q.Field, c.Request.Q.Raw, c.Request.Q.Field),
	}}
}

var memoryLimitEqualsRequest = &lint.Rule{
	ID: "OOM104", Name: "memory-limit-equals-request", Severity: lint.Info, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "resources",
	Summary: "memory limit equals the memory request, leaving no room for spikes",
	Doc: `When limits.memory equals requests.memory (or only a limit is set, which the
API server copies into the request) the container has no burst room: any
spike above its steady working set (a large request, a GC cycle, a cache
warm-up) reaches the limit and the container is OOM-killed (exit 137).
Equal values are right for Guaranteed QoS on purpose; teams with that
policy turn this rule off.`,
	Fix: "set the limit above the request (e.g. 1.25×–2×), or keep them equal on purpose and disable OOM104",
	Example: `resources:
  limits:
    memory: 512Mi`,
	Good: `resources:
  requests:
    memory: 512Mi
  limits:
    memory: 768Mi`,
	Check: checkMemoryLimitEqualsRequest,
}

func checkMemoryLimitEqualsRequest(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	if !c.Limit.Usable() || !c.Request.Usable() || c.Limit.Bytes() != c.Request.Bytes() || c.Limit.Bytes() < p.Settings.MinMemory {
		return nil // a limit below minMemory is OOM109's
	}
	msg := fmt.Sprintf("%s %s equals %s %s: any spike above the request is OOM-killed",
		c.Limit.Q.Field, c.Limit.Q.Raw, c.Request.Q.Field, c.Request.Q.Raw)
	if c.Request.Q == c.Limit.Q { // the request was defaulted from this limit
		msg = fmt.Sprintf("%s is not set, so the API server sets it to %s %s: the container has no room above its request and any spike is OOM-killed",
			strings.Replace(c.Limit.Q.Field, "limits", "requests", 1), c.Limit.Q.Field, c.Limit.Q.Raw)
	}
	return []lint.Diagnostic{{
		Path:      c.Limit.Q.Path,
		Container: c.Name,
		Message:   msg,
		Fix: fmt.Sprintf("set %s above the request, e.g. %s (1.25×), or keep them equal for Guaranteed QoS and disable OOM104",
			c.Limit.Q.Field, roundUp(c.Limit.Bytes()*5/4)),
		About: []*lint.Quantity{c.Limit.Q, c.Request.Q},
	}}
}

var memoryLimitRequestRatio = &lint.Rule{
	ID: "OOM105", Name: "memory-limit-request-ratio", Severity: lint.Warning, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "resources",
	Summary: "memory limit is far above the memory request",
	Doc: `The scheduler packs nodes by requests, not limits. A container whose limit
is many times its request is promised memory the node does not have: when
several such pods grow toward their limits together, the node runs out,
and the kernel OOM-kills containers or the kubelet evicts pods, often ones
that stayed well inside their own limits. The allowed ratio is the
maxLimitRequestRatio setting (default 4).`,
	Fix: "raise requests.memory toward the real working set, or lower limits.memory",
	Example: `resources:
  requests:
    memory: 128Mi
  limits:
    memory: 2Gi`,
	Good: `resources:
  requests:
    memory: 768Mi
  limits:
    memory: 2Gi`,
	Check: checkMemoryLimitRequestRatio,
}

func checkMemoryLimitRequestRatio(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	if !c.Limit.Comparable() || !c.Request.Comparable() || c.Request.Bytes() <= 0 {
		return nil
	}
	ratio := float64(c.Limit.Bytes()) / float64(c.Request.Bytes())
	maxRatio := p.Settings.MaxLimitRequestRatio
	if ratio <= maxRatio {
		return nil
	}
	minRequest := int64(math.Ceil(float64(c.Limit.Bytes()) / maxRatio))
	return []lint.Diagnostic{{
		Path:      c.Request.Q.Path,
		Container: c.Name,
		Message: fmt.Sprintf("%s %s is %s× %s %s (max %s×): nodes are packed by requests, so pods growing toward their limits together run the node out of memory",
			c.Limit.Q.Field, c.Limit.Q.Raw, formatRatio(ratio, maxRatio), c.Request.Q.Field, c.Request.Q.Raw, strconv.FormatFloat(maxRatio, 'f', -1, 64)),
		Fix: fmt.Sprintf("raise %s to at least %s, or lower %s to %s",
			c.Request.Q.Field, roundUp(minRequest), c.Limit.Q.Field, quantity.Round(int64(float64(c.Request.Bytes())*maxRatio))),
		About: []*lint.Quantity{c.Limit.Q, c.Request.Q},
	}}
}

var memoryQuantityInvalid = &lint.Rule{
	ID: "OOM106", Name: "memory-quantity-invalid", Severity: lint.Error, Scope: lint.WorkloadScope,
	Since:  "0.1.0",
	Family: "resources", Precision: lint.VeryHighPrecision,
	Summary: "memory quantity does not parse",
	Doc: `Kubernetes quantities are a number with an optional suffix: binary Ki, Mi,
Gi, Ti, Pi, Ei, or decimal k, M, G, T, P, E. "512MB", "1GB", "1K", "2 Gi"
and empty values are not quantities: the API server rejects the object
(kubectl apply fails), or a GitOps controller keeps it out of sync.`,
	Fix: "write the value as a Kubernetes quantity with a binary suffix, e.g. 512Mi or 2Gi",
	Example: `resources:
  limits:
    memory: 512MB`,
	Good: `resources:
  limits:
    memory: 512Mi`,
	Check: checkMemoryQuantityInvalid,
}

func checkMemoryQuantityInvalid(p *lint.Pass) []lint.Diagnostic {
	var out []lint.Diagnostic
	for _, v := range declaredValues(p.Workload) {
		q := v.q
		if q.Valid() {
			continue
		}
		fix := "write a Kubernetes quantity such as 512Mi or 2Gi"
		if s := quantity.Suggest(q.Raw); s != "" {
			fix = "write " + s
		}
		what := fmt.Sprintf("%q is not a Kubernetes quantity", q.Raw)
		effect := "the API server rejects the object"
		switch {
		case q.Raw == "":
			what = "is empty"
		case q.Info != nil && errors.Is(q.Info.Err, quantity.ErrOutOfRange):
			what = fmt.Sprintf("%q is out of range", q.Raw)
			effect = "no memory size is beyond 2^63-1 bytes (8Ei), where the kubelet's 64-bit value wraps"
		}
		out = append(out, lint.Diagnostic{
			Path: q.Path, Container: v.container,
			Message: fmt.Sprintf("%s %s: %s", q.Field, what, effect),
			Fix:     fix,
		})
	}
	return out
}

var memoryMillibytes = &lint.Rule{
	ID: "OOM107", Name: "memory-millibytes", Severity: lint.Error, Scope: lint.WorkloadScope,
	Since:  "0.1.0",
	Family: "resources", Precision: lint.VeryHighPrecision,
	Summary: "memory quantity uses the lowercase m (milli) suffix",
	Doc: `In a Kubernetes quantity a lowercase m means milli (a thousandth), not
mega: memory: 512m is 0.512 bytes. Next to a larger request the API
server rejects the pod; otherwise it accepts it and the container cannot
start, or is OOM-killed at once, because no process fits in a byte. The
same holds for u (micro) and n (nano). This rule reports the unit mistake
instead of its consequences (limit below request, limit too small), which
are what you would see otherwise.`,
	Fix: "use Mi (mebibytes): 512m → 512Mi",
	Example: `resources:
  limits:
    memory: 512m`,
	Good: `resources:
  limits:
    memory: 512Mi`,
	Check: checkMemoryMillibytes,
}

func checkMemoryMillibytes(p *lint.Pass) []lint.Diagnostic {
	var out []lint.Diagnostic
	for _, v := range declaredValues(p.Workload) {
		q := v.q
		if !q.Valid() || q.Info.Class != quantity.SubByte {
			continue
		}
		suffixName := map[string]string{"m": "milli", "u": "micro", "n": "nano"}[q.Info.Suffix]
		suggest := quantity.Suggest(q.Raw)
		if suggest == "" { // u and n: mebibytes is as good a guess as any
			suggest = strings.TrimSuffix(strings.TrimSpace(q.Raw), q.Info.Suffix) + "Mi"
		}
		msg := fmt.Sprintf("%s %s is %s bytes — the lowercase %s suffix means %s",
			q.Field, q.Raw, quantity.Plain(q.Info.Quantity), q.Info.Suffix, suffixName)
		if r := rejected(v); r != "" {
			msg += ", " + strings.TrimPrefix(r, "that is ")
		}
		msg += "; write " + suggest
		out = append(out, lint.Diagnostic{
			Path: q.Path, Container: v.container,
			Message: msg,
			Fix:     "write " + suggest,
		})
	}
	return out
}

var memoryDecimalUnit = &lint.Rule{
	ID: "OOM108", Name: "memory-decimal-unit", Severity: lint.Info, Scope: lint.WorkloadScope,
	Since:   "0.1.0",
	Family:  "resources",
	Summary: "memory quantity uses a decimal unit or bare bytes where Mi or Gi was likely meant",
	Doc: `M, G and k are powers of ten: 512M is 512,000,000 bytes, about 488Mi, not
512Mi. Memory is measured in powers of two everywhere else (the kernel,
the JVM's -Xmx, dashboards), so a decimal limit is ~5% smaller than it
looks, and a bare number is bytes (memory: 512 is 512 bytes). When the
mistake pushes the limit below the request or below the minimum a process
needs, this finding is raised to error and says so: the unit is the root
cause, so OOM103 and OOM109 stay silent for that value.`,
	Fix: "write binary units: 512M → 512Mi, 1G → 1Gi, 536870912 → 512Mi",
	Example: `resources:
  limits:
    memory: 1G`,
	Good: `resources:
  limits:
    memory: 1Gi`,
	Check: checkMemoryDecimalUnit,
}

func checkMemoryDecimalUnit(p *lint.Pass) []lint.Diagnostic {
	var out []lint.Diagnostic
	for _, v := range declaredValues(p.Workload) {
		q := v.q
		if !q.Valid() || (q.Info.Class != quantity.Decimal && q.Info.Class != quantity.Bare) {
			continue
		}
		var msg, fix string
		exact := q.Info.Exact()
		switch {
		case q.Info.Class == quantity.Bare && exact < 1<<20:
			msg = fmt.Sprintf("%s %s is %s bytes: a bare number has no unit", q.Field, q.Raw, quantity.Plain(q.Info.Quantity))
			fix = "write " + q.Raw + "Mi if mebibytes were meant"
		case q.Info.Class == quantity.Bare:
			msg = fmt.Sprintf("%s %s is a bare byte count (%s)", q.Field, q.Raw, quantity.Format(exact))
			fix = "write " + quantity.Format(exact)
		default:
			msg = fmt.Sprintf("%s %s is %s bytes (%s)", q.Field, q.Raw, quantity.Plain(q.Info.Quantity), quantity.Format(exact))
			fix = "write " + quantity.Round(q.Info.Bytes())
			if s := quantity.Suggest(q.Raw); s != "" { // none for exponents (1e9)
				msg += ", not " + s
				fix = fmt.Sprintf("write %s (or %s to keep the same size)", s, quantity.Round(q.Info.Bytes()))
			}
		}
		d := lint.Diagnostic{Path: q.Path, Container: v.container, Message: msg, Fix: fix}
		if c := consequence(p, v); c != "" {
			d.Message += "; " + c
			d.Severity = lint.Error
		}
		out = append(out, d)
	}
	return out
}

var memoryTooSmall = &lint.Rule{
	ID: "OOM109", Name: "memory-too-small", Severity: lint.Error, Scope: lint.ContainerScope,
	Since:  "0.1.0",
	Family: "resources", Precision: lint.VeryHighPrecision,
	Summary: "memory limit is too small for any process to start",
	Doc: `Below a few megabytes no runtime can start: the container is OOM-killed
during start-up and the pod sits in CrashLoopBackOff. Such limits are
almost always a typo. The threshold is the minMemory setting (default
16Mi). A value with a unit mistake (512m, 64M, 512) is reported by OOM107
or OOM108 instead.`,
	Fix: "raise limits.memory to what the process needs (at least minMemory)",
	Example: `resources:
  limits:
    memory: 8Mi`,
	Good: `resources:
  limits:
    memory: 64Mi`,
	Check: checkMemoryTooSmall,
}

func checkMemoryTooSmall(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	if !c.Limit.Usable() || c.Limit.Bytes() >= p.Settings.MinMemory {
		return nil
	}
	return []lint.Diagnostic{{
		Path:      c.Limit.Q.Path,
		Container: c.Name,
		Message: fmt.Sprintf("%s %s is below the %s minimum: the process cannot start and is OOM-killed at start-up (CrashLoopBackOff)",
			c.Limit.Q.Field, c.Limit.Q.Raw, quantity.FormatBytes(p.Settings.MinMemory)),
		Fix: fmt.Sprintf("raise %s to at least %s", c.Limit.Q.Field, quantity.FormatBytes(p.Settings.MinMemory)),
	}}
}

// value is a declared memory quantity with the container it belongs to ("" for pod-level).
type value struct {
	q         *lint.Quantity
	container string
	limit     bool
	other     *lint.Quantity // the matching request for a limit, or limit for a request
}

// declaredValues lists every memory value written in the workload, pod-level
// first, so unit rules report each written value exactly once.
func declaredValues(w *lint.Workload) []value {
	var out []value
	if w.PodLimit != nil {
		out = append(out, value{q: w.PodLimit, limit: true, other: w.PodRequest})
	}
	if w.PodRequest != nil {
		out = append(out, value{q: w.PodRequest, other: w.PodLimit})
	}
	for _, c := range w.Containers {
		if c.DeclaredLimit != nil {
			out = append(out, value{q: c.DeclaredLimit, container: c.Name, limit: true, other: c.DeclaredRequest})
		}
		if c.DeclaredRequest != nil {
			out = append(out, value{q: c.DeclaredRequest, container: c.Name, other: c.Limit.Q})
		}
	}
	return out
}

// consequence says what a unit mistake does to the pod, when that is worse
// than the mistake itself: the reason OOM103 and OOM109 stay silent.
func consequence(p *lint.Pass, v value) string {
	if r := rejected(v); r != "" {
		return r
	}
	if v.limit && v.q.Info.Bytes() < p.Settings.MinMemory {
		return fmt.Sprintf("that is below the %s a process needs to start, so the container is OOM-killed at start-up", quantity.FormatBytes(p.Settings.MinMemory))
	}
	return ""
}

// rejected says when a value, as written, puts the limit below the request.
func rejected(v value) string {
	if !v.other.Valid() {
		return ""
	}
	q := v.q
	if v.limit && q.Info.Exact() < v.other.Info.Exact() {
		return fmt.Sprintf("that is below %s %s, so the API server rejects the pod", v.other.Field, v.other.Raw)
	}
	if !v.limit && q.Info.Exact() > v.other.Info.Exact() {
		return fmt.Sprintf("that is above %s %s, so the API server rejects the pod", v.other.Field, v.other.Raw)
	}
	return ""
}

// formatRatio renders a ratio above maxRatio with as many decimals as it
// takes to show that it is above: 4.02×, never 4× against a max of 4×.
func formatRatio(ratio, maxRatio float64) string {
	for prec := 1; prec <= 6; prec++ {
		s := strconv.FormatFloat(ratio, 'f', prec, 64)
		if v, _ := strconv.ParseFloat(s, 64); v > maxRatio {
			return strings.TrimSuffix(s, ".0")
		}
	}
	return strconv.FormatFloat(ratio, 'f', -1, 64)
}

// roundUp renders bytes rounded up to whole Mi.
func roundUp(bytes int64) string {
	const mi = 1 << 20
	return quantity.Round((bytes + mi - 1) / mi * mi)
}
