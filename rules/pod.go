package rules

import (
	"cmp"
	"fmt"
	"math"
	"path"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/quantity"
	"github.com/oomlint/oomlint/internal/runtimeflags"
	"github.com/oomlint/oomlint/lint"
)

// The OOM30x family: the pod as a whole. In-memory volumes that share a
// container's memory limit, sidecars (declared or injected by a mesh), the
// pod's total request against a node, and what an OOM kill leaves behind.

const tmpfsDoc = `An emptyDir with medium: Memory is a tmpfs. Every byte written to it is
page cache that cannot be dropped, and the kernel charges it to the memory
cgroup of the container that wrote it: a file in /cache takes memory from
the same limits.memory as the process's heap. With sizeLimit set, the
kubelet mounts the tmpfs with that size (Kubernetes 1.22+), so a write past
it fails with ENOSPC, which the application can handle; without it the tmpfs
is as large as the pod's memory limit (or the node's allocatable memory), and
the first thing to stop the writes is the kernel's OOM killer (exit 137).`

var tmpfsSizeLimitMissing = &lint.Rule{
	ID: "OOM301", Name: "tmpfs-size-limit-missing", Severity: lint.Warning, Scope: lint.WorkloadScope,
	Since:   "0.1.0",
	Family:  "tmpfs",
	Summary: "in-memory emptyDir volume without a sizeLimit",
	Doc: tmpfsDoc + `

This rule fires for every emptyDir with medium: Memory and no sizeLimit, and
points at the medium: line. The suggested size is a quarter of the smallest
memory limit among the containers that mount the volume.`,
	Fix: "set emptyDir.sizeLimit to the most the volume should hold, well below the memory limit of the containers that write it",
	Example: `containers:
  - name: api
    image: example/api:1.4
    volumeMounts:
      - name: cache
        mountPath: /cache
    resources:
      limits:
        memory: 1Gi
volumes:
  - name: cache
    emptyDir:
      medium: Memory`,
	Good: `containers:
  - name: api
    image: example/api:1.4
    volumeMounts:
      - name: cache
        mountPath: /cache
    resources:
      limits:
        memory: 1Gi
volumes:
  - name: cache
    emptyDir:
      medium: Memory
      sizeLimit: 256Mi`,
	Check: checkTmpfsSizeLimitMissing,
}

func checkTmpfsSizeLimitMissing(p *lint.Pass) []lint.Diagnostic {
	w := p.Workload
	var out []lint.Diagnostic
	for _, v := range memoryVolumes(w) {
		if v.size != nil {
			continue
		}
		var users []string
		var smallest *lint.Container
		for _, c := range w.Containers {
			if !mounts(c, v.name) {
				continue
			}
			users = append(users, fmt.Sprintf("%q", c.Name))
			if c.Limit.Usable() && c.Limit.Bytes() > 0 && (smallest == nil || c.Limit.Bytes() < smallest.Limit.Bytes()) {
				smallest = c
			}
		}
		who := "the container that writes them"
		if len(users) > 0 {
			who = "the container that writes them (mounted by " + strings.Join(users, ", ") + ")"
		}
		fix := "set emptyDir.sizeLimit to the most the volume should hold, well below the memory limit of the containers that write it"
		if smallest != nil {
			fix = fmt.Sprintf("set emptyDir.sizeLimit: %s (a quarter of %q's %s %s), and raise the limit if the volume needs more",
				quantity.Round(max(smallest.Limit.Bytes()/4>>20<<20, 1<<20)), smallest.Name, smallest.Limit.Q.Field, smallest.Limit.Q.Raw)
		}
		out = append(out, lint.Diagnostic{
			Path: v.path.Keys("emptyDir", "medium"),
			Message: fmt.Sprintf("emptyDir volume %q is in memory (medium: Memory) with no sizeLimit: files written to it count against the memory limit of %s, with no cap short of an OOM kill",
				v.name, who),
			Fix: fix,
		})
	}
	return out
}

var tmpfsExceedsLimit = &lint.Rule{
	ID: "OOM302", Name: "tmpfs-exceeds-limit", Severity: lint.Error, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "tmpfs",
	Summary: "in-memory emptyDir sizeLimit at or above the memory limit of a container that mounts it",
	Doc: tmpfsDoc + `

A sizeLimit at or above the effective memory limit of a container that
mounts the volume (volumeMounts by name) caps nothing: the container is
OOM-killed before the tmpfs is full, and the process itself needs memory
too. Each mounting container is compared on its own; the limit is its
effective one (its own, pod-level, or a LimitRange default).`,
	Fix: "lower the sizeLimit well below limits.memory, or raise limits.memory by the volume's size",
	Example: `containers:
  - name: api
    image: example/api:1.4
    volumeMounts:
      - name: scratch
        mountPath: /scratch
    resources:
      limits:
        memory: 1Gi
volumes:
  - name: scratch
    emptyDir:
      medium: Memory
      sizeLimit: 1Gi`,
	Good: `containers:
  - name: api
    image: example/api:1.4
    volumeMounts:
      - name: scratch
        mountPath: /scratch
    resources:
      limits:
        memory: 2Gi
volumes:
  - name: scratch
    emptyDir:
      medium: Memory
      sizeLimit: 1Gi`,
	Check: checkTmpfsExceedsLimit,
}

func checkTmpfsExceedsLimit(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	if !c.Limit.Usable() || c.Limit.Bytes() <= 0 {
		return nil
	}
	limit := c.Limit.Bytes()
	var out []lint.Diagnostic
	for _, v := range memoryVolumes(p.Workload) {
		if !v.sized() || !mounts(c, v.name) || v.bytes() < limit {
			continue
		}
		out = append(out, lint.Diagnostic{
			Path: v.size.Path, Container: c.Name,
			Message: fmt.Sprintf("in-memory emptyDir %q has sizeLimit %s, %s of %s %q's %s %s: the tmpfs can fill the whole limit, so writing to it OOM-kills the container (exit 137) before the sizeLimit is reached",
				v.name, v.size.Raw, quantity.Percent(float64(v.bytes()), float64(limit)), c.Role, c.Name, c.Limit.Q.Field, c.Limit.Q.Raw),
			Fix: fmt.Sprintf("lower sizeLimit to %s (a quarter of %s %s) or raise %s to %s (the process's current %s plus the volume's %s)",
				quantity.Round(max(limit/4>>20<<20, 1<<20)), c.Limit.Q.Field, c.Limit.Q.Raw,
				strings.TrimPrefix(c.Limit.Q.Field, "defaulted "), sizeText(roundUpMi(limit+v.bytes())), c.Limit.Q.Raw, v.size.Raw),
			Related: comparedWithLimit(p),
		})
	}
	return out
}

var memoryBudgetExceeded = &lint.Rule{
	ID: "OOM303", Name: "memory-budget-exceeded", Severity: lint.Error, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "tmpfs",
	Summary: "max heap plus mounted in-memory volumes at or above the container memory limit",
	Doc: tmpfsDoc + `

A runtime's max heap (-Xmx or MaxRAMPercentage of the limit for a JVM,
--max-old-space-size for Node.js, GOMEMLIMIT for Go, GCHeapHardLimit or
GCHeapHardLimitPercent for .NET: what the OOM20x-OOM24x rules read, from the
same places) and the files in the container's in-memory volumes share one
limit, and neither knows about the other: the runtime grows its heap up to
its maximum no matter how full /cache is. When the heap and the sizeLimits
of the in-memory emptyDirs the container mounts add up to the limit or
more, the container is OOM-killed (exit 137) once both fill, with the heap
never reporting an out-of-memory error of its own.

The rule speaks only when the container has both an explicit heap setting
and at least one mounted in-memory volume with a sizeLimit, and when
neither alone reaches the limit: a heap at or above the limit is OOM201,
OOM211, OOM221 or OOM241's finding, a sizeLimit at or above it OOM302's,
and a volume without a sizeLimit OOM301's. The fix keeps the heap within
the runtime's share (heapFraction, or goMemLimitFraction for Go, less five
points) of what the volumes leave.`,
	Fix: "raise limits.memory to the volumes' sizeLimits plus the heap and its headroom, or lower the heap to fit beside the volumes",
	Example: `containers:
  - name: api
    image: eclipse-temurin:21
    command: ["java", "-Xmx768m", "-jar", "/app.jar"]
    volumeMounts:
      - name: cache
        mountPath: /cache
    resources:
      limits:
        memory: 1Gi
volumes:
  - name: cache
    emptyDir:
      medium: Memory
      sizeLimit: 512Mi`,
	Good: `containers:
  - name: api
    image: eclipse-temurin:21
    command: ["java", "-Xmx768m", "-jar", "/app.jar"]
    volumeMounts:
      - name: cache
        mountPath: /cache
    resources:
      limits:
        memory: 1536Mi
volumes:
  - name: cache
    emptyDir:
      medium: Memory
      sizeLimit: 512Mi`,
	Check: checkMemoryBudgetExceeded,
}

func checkMemoryBudgetExceeded(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	if !c.Limit.Usable() || c.Limit.Bytes() <= 0 {
		return nil
	}
	limit := c.Limit.Bytes()
	var vols []memVolume
	var tmpfs int64
	for _, v := range memoryVolumes(p.Workload) {
		if !v.sized() || !mounts(c, v.name) {
			continue
		}
		if v.bytes() >= limit {
			return nil // OOM302's
		}
		vols = append(vols, v)
		tmpfs += v.bytes()
	}
	if len(vols) == 0 {
		return nil
	}
	h, ok := maxHeap(p)
	if !ok || h.bytes >= limit || h.bytes+tmpfs < limit {
		return nil // no heap, or a heap at the limit on its own (the runtime rule's)
	}
	parts := []string{h.text}
	for _, v := range vols {
		parts = append(parts, fmt.Sprintf("tmpfs %s %s", v.name, v.size.Raw))
	}
	field := strings.TrimPrefix(c.Limit.Q.Field, "defaulted ")
	share := heapShare(p, h.fraction)
	raise := roundUpMi(tmpfs + int64(math.Ceil(float64(h.bytes)/share)))
	fix := fmt.Sprintf("raise %s to %s or lower the sizeLimits", field, sizeText(raise))
	if room := limit - tmpfs; room > 0 {
		target := int64(float64(room)*share) >> 20 << 20
		if target > 0 {
			fix = fmt.Sprintf("raise %s to %s or %s (%s of the %s the volumes leave)",
				field, sizeText(raise), h.with(target), sharePercent(share), sizeText(room))
		}
	}
	d := lint.Diagnostic{
		Path: h.at.Path, Container: c.Name,
		Message: fmt.Sprintf("%s = %s ≥ %s %s: files in the in-memory volumes count against the same limit as the heap, so once both fill the container is OOM-killed (exit 137)",
			strings.Join(parts, " + "), sizeText(h.bytes+tmpfs), c.Limit.Q.Field, c.Limit.Q.Raw),
		Fix: fix,
	}
	if h.at.Object != nil && h.at.Object != p.Object {
		d.In = h.at.Object
	}
	for _, v := range vols {
		l := p.Object.Origin.Locate(v.size.Path)
		d.Related = append(d.Related, lint.Related{File: l.File, Line: l.Line, Column: l.Column,
			Message: fmt.Sprintf("emptyDir %q sizeLimit %s, in memory", v.name, v.size.Raw)})
	}
	d.Related = append(d.Related, comparedWithLimit(p)...)
	return []lint.Diagnostic{d}
}

// heap is a runtime's max heap as a container's settings give it.
type heap struct {
	text     string // "-Xmx768m", "NODE_OPTIONS --max-old-space-size=768 (768Mi)"
	bytes    int64
	at       lint.Place
	fraction float64            // the share of the limit the runtime's rules allow: heapFraction or goMemLimitFraction
	with     func(int64) string // the setting rewritten for another heap size
}

// maxHeap returns the largest max heap the runtime rules read for the
// container: JVM, Node.js, Go and .NET.
func maxHeap(p *lint.Pass) (heap, bool) {
	var hs []heap
	if h, ok := jvmHeap(p); ok {
		hs = append(hs, h)
	}
	for _, s := range p.Container.Process.NodeHeap() {
		if s.Heap.Valid {
			hs = append(hs, heap{text: nodeWhat(s), bytes: s.Heap.Bytes(), at: s.At, fraction: p.Settings.HeapFraction,
				with: func(b int64) string { return fmt.Sprintf("set --max-old-space-size=%d", b>>20) }})
		}
	}
	for _, s := range p.Container.GoMemLimit() {
		if b, ok := s.Bytes(p.Container); ok {
			hs = append(hs, heap{text: goMemLimitWhat(s, p.Container), bytes: b, at: s.At, fraction: p.Settings.GoMemLimitFraction,
				with: func(b int64) string { return "set GOMEMLIMIT=" + runtimeflags.FormatGoMemLimit(b) }})
		}
	}
	if h, ok := dotnetHeap(p); ok {
		hs = append(hs, h)
	}
	if len(hs) == 0 {
		return heap{}, false
	}
	return slices.MaxFunc(hs, func(a, b heap) int { return cmp.Compare(a.bytes, b.bytes) }), true
}

// jvmHeap is the JVM's max heap: -Xmx, else MaxRAMPercentage or
// MaxRAMFraction of the limit. The JVM's default (a quarter of the limit)
// is not an explicit setting and is left out.
func jvmHeap(p *lint.Pass) (heap, bool) {
	j := readJVM(p)
	if j == nil {
		return heap{}, false
	}
	limit := p.Container.Limit.Bytes()
	frac := heapFraction(p)
	if s := j.Settings.MaxHeap; s != nil {
		return heap{text: heapText(s), bytes: heapOf(s), at: j.Place(s), fraction: frac,
			with: func(b int64) string { return "set " + s.With(b/int64(max(s.JVMs, 1))>>20<<20) }}, true
	}
	pctFix := func(b int64) string {
		return fmt.Sprintf("set -XX:MaxRAMPercentage=%d", int64(math.Floor(float64(b)*100/float64(limit))))
	}
	if s := j.Settings.MaxRAMPercentage; s != nil {
		b := int64(float64(limit) * s.Percent / 100)
		return heap{text: fmt.Sprintf("%s (%s)", s.Text, sizeText(b)), bytes: b, at: j.Place(s), fraction: frac, with: pctFix}, true
	}
	if s := j.Settings.MaxRAMFraction; s != nil && s.Divisor > 0 {
		b := limit / s.Divisor
		return heap{text: fmt.Sprintf("%s (%s)", s.Text, sizeText(b)), bytes: b, at: j.Place(s), fraction: frac, with: pctFix}, true
	}
	return heap{}, false
}

// dotnetHeap is DOTNET_GCHeapHardLimit, else GCHeapHardLimitPercent of the
// limit, as OOM241 reads them.
func dotnetHeap(p *lint.Pass) (heap, bool) {
	c := p.Container
	if c.Process == nil {
		return heap{}, false
	}
	if v, name, ok := c.Process.DotnetSetting("GCHeapHardLimit"); ok {
		n, parsed := runtimeflags.ParseDotnetHex(v.Value)
		if !v.Known || !parsed || n == 0 || n > math.MaxInt64 {
			return heap{}, false
		}
		return heap{text: fmt.Sprintf("%s=%s (%s)", name, v.Value, sizeText(int64(n))), bytes: int64(n), at: v.At, fraction: p.Settings.HeapFraction,
			with: func(b int64) string { return fmt.Sprintf("set %s=0x%X", name, b) }}, true
	}
	v, name, ok := c.Process.DotnetSetting("GCHeapHardLimitPercent")
	if !ok || !v.Known {
		return heap{}, false
	}
	pct, parsed := runtimeflags.ParseDotnetHex(v.Value)
	if !parsed || pct == 0 || pct >= 100 {
		return heap{}, false
	}
	limit := c.Limit.Bytes()
	b := int64(pct) * limit / 100
	return heap{text: fmt.Sprintf("%s=%s (%d%%, %s)", name, v.Value, pct, sizeText(b)), bytes: b, at: v.At, fraction: p.Settings.HeapFraction,
		with: func(t int64) string { return fmt.Sprintf("set %s=0x%X", name, t*100/limit) }}, true
}

// heapShare is the share of the room a fix gives the heap: five points
// below the runtime's allowed fraction, as the runtime rules suggest.
func heapShare(p *lint.Pass, fraction float64) float64 {
	if fraction <= 0 || fraction > 1 {
		fraction = heapFraction(p)
	}
	_, share := heapTarget(1<<30, fraction)
	return share
}

// memVolume is an emptyDir volume with medium: Memory.
type memVolume struct {
	name string
	path lint.Path      // spec.template.spec.volumes[i]
	size *lint.Quantity // emptyDir.sizeLimit, nil when absent
}

// sized reports whether the volume has a sizeLimit that means what its
// bytes say.
func (v memVolume) sized() bool {
	return v.size.Valid() && v.size.Info.Class != quantity.SubByte && v.size.Info.Bytes() > 0
}

func (v memVolume) bytes() int64 { return v.size.Info.Bytes() }

// memoryVolumes lists the pod's in-memory emptyDir volumes.
func memoryVolumes(w *lint.Workload) []memVolume {
	out := make([]memVolume, len(w.MemoryVolumes))
	for i, v := range w.MemoryVolumes {
		out[i] = memVolume{name: v.Name, path: v.Path, size: v.SizeLimit}
	}
	return out
}

// mounts reports whether a container mounts the named volume.
func mounts(c *lint.Container, volume string) bool { return c.Mounts(volume) }

var sidecarMemoryLimitMissing = &lint.Rule{
	ID: "OOM304", Name: "sidecar-memory-limit-missing", Severity: lint.Warning, Scope: lint.WorkloadScope,
	Since:  "0.1.0",
	Family: "pod", Precision: lint.MediumPrecision,
	Summary: "sidecar container, declared or injected by a mesh, without a memory limit",
	Doc: `A sidecar runs for the pod's whole life beside the application: a proxy
buffers requests and holds a connection table, a log shipper buffers what it
cannot send yet. Without a memory limit, a sidecar that grows under load
(a slow backend, a log burst, a large xDS config) takes the node's memory
until the kernel OOM-kills it, the application container, or a neighbour,
and a dead proxy takes the pod's traffic with it.

Sidecars are native sidecars (init containers with restartPolicy: Always),
proxies a mesh injects, and regular containers whose name or image matches
a known sidecar: istio-proxy (istio/proxyv2), envoy, linkerd-proxy
(linkerd/proxy), cloud-sql-proxy (cloudsql-proxy, gce-proxy), datadog-agent
(datadoghq/agent), fluentd, fluent-bit, vector, otel-collector
(opentelemetry-collector, otel-agent), vault-agent, oauth2-proxy, filebeat,
promtail, jaeger-agent, consul-dataplane and aws-xray-daemon, plus the names
in the sidecars setting, as long as it is not the pod's main container. The
main container is the one the workload is named after (container api of
Deployment api; promtail of loki-promtail, the name being a dash-separated
part of the workload's), else the first container that matches no known
sidecar, else the first container; a pod's only container is always its
main one. A promtail DaemonSet or a standalone OpenTelemetry collector
Deployment runs the agent as its workload, not beside one, so a missing
limit there is OOM101's. A sidecar with a limit of its own, a pod-level
limit or a LimitRange default is silent.

Injected proxies: a pod template with sidecar.istio.io/inject: "true"
(annotation or label) or linkerd.io/inject: enabled gets a proxy container at
admission, which the manifest does not show. Its memory limit comes from
sidecar.istio.io/proxyMemoryLimit or config.linkerd.io/proxy-memory-limit on
the pod template, else from the mesh's installation: Istio's
global.proxy.resources, Linkerd's proxy.resources. This rule fires at the
inject annotation when no proxy memory limit annotation is set, the
manifest has no proxy container already, and no mesh installation in the
repository sets the limit for every proxy: the values in a rendered
istio-sidecar-injector ConfigMap (any revision) or linkerd-config
ConfigMap, an IstioOperator's spec.values, or the values of a Flux
HelmRelease or an Argo CD Application of the istiod or
linkerd-control-plane chart. Injection enabled by a namespace label is not
seen.

A sidecar without a limit is reported here rather than by OOM101, which
covers every other container, the main one included: this rule names the
sidecar and the injection. Turning OOM304 off leaves such sidecars
unreported.`,
	Fix: "set resources.limits.memory on the sidecar, or the mesh's proxy memory limit annotation on the pod template (or the proxy default in the mesh installation's values)",
	Example: `metadata:
  annotations:
    sidecar.istio.io/inject: "true"
spec:
  containers:
    - name: api
      image: example/api:1.4
      resources:
        limits:
          memory: 1Gi
    - name: fluent-bit
      image: fluent/fluent-bit:3.0`,
	Good: `metadata:
  annotations:
    sidecar.istio.io/inject: "true"
    sidecar.istio.io/proxyMemory: 128Mi
    sidecar.istio.io/proxyMemoryLimit: 256Mi
spec:
  containers:
    - name: api
      image: example/api:1.4
      resources:
        limits:
          memory: 1Gi
    - name: fluent-bit
      image: fluent/fluent-bit:3.0
      resources:
        requests:
          memory: 64Mi
        limits:
          memory: 128Mi`,
	Check: checkSidecarMemoryLimitMissing,
}

func checkSidecarMemoryLimitMissing(p *lint.Pass) []lint.Diagnostic {
	var out []lint.Diagnostic
	for _, c := range p.Workload.Containers {
		why := sidecarReason(p.Settings, p.Workload, c)
		if why == "" || c.Limit.Set() {
			continue
		}
		fix := "set resources.limits.memory (and requests.memory) from the sidecar's observed peak plus headroom"
		if c.Request.Usable() {
			fix = fmt.Sprintf("set resources.limits.memory, e.g. %s (2× the %s request)", quantity.Round(2*c.Request.Bytes()), c.Request.Q.Raw)
		}
		out = append(out, lint.Diagnostic{
			Path: c.Path.Keys("resources", "limits", "memory"), Container: c.Name,
			Message: fmt.Sprintf("sidecar %q (%s) has no memory limit: it runs beside the application for the pod's whole life, and when it grows under load it takes the node's memory until the kernel OOM-kills it, the application or a neighbour",
				c.Name, why),
			Fix: fix,
		})
	}
	for _, m := range injectedProxies(p) {
		if m.limit != nil || m.declared || meshSetsLimit(p.Workload, m.mesh) {
			continue
		}
		fix := fmt.Sprintf("add the annotation %s: 256Mi (or what the proxy's observed peak needs) to the pod template, or set %s for every proxy", m.mesh.limitKey, m.mesh.global)
		if m.request.Valid() {
			fix = fmt.Sprintf("add the annotation %s: %s (2× the %s request) to the pod template, or set %s for every proxy",
				m.mesh.limitKey, quantity.Round(2*m.request.Info.Bytes()), m.request.Raw, m.mesh.global)
		}
		out = append(out, lint.Diagnostic{
			Path: m.at,
			Message: fmt.Sprintf("%s: %q has the mesh inject the %s container at admission, and neither the %s annotation nor a mesh installation in the repository (%s) sets its memory limit: the proxy gets whatever the cluster's installation gives it, which may be none",
				m.key, m.value, m.mesh.container, m.mesh.limitKey, m.mesh.global),
			Fix: fix,
		})
	}
	return out
}

// sidecarNames are the container or image names of well-known sidecars. An
// entry with a slash matches the end of an image repository; one without
// matches a container name, or an image's last path element (also with a
// suffix: opentelemetry-collector-contrib).
var sidecarNames = []string{
	"istio-proxy", "istio/proxyv2", "envoy", "linkerd-proxy", "linkerd/proxy",
	"cloud-sql-proxy", "cloudsql-proxy", "gce-proxy", "datadog-agent", "datadoghq/agent", "datadog/agent",
	"fluentd", "fluent-bit", "fluentbit", "vector", "otel-collector", "opentelemetry-collector", "otel-agent",
	"vault-agent", "oauth2-proxy", "filebeat", "promtail", "jaeger-agent", "consul-dataplane", "aws-xray-daemon",
}

// sidecarReason says why a container is a sidecar ("a native sidecar",
// "image fluent/fluent-bit:3.0, a known sidecar, beside \"api\""), or ""
// when it is not one. Regular init containers never are, and neither is the
// pod's main container (mainContainer), whatever it runs: a promtail
// DaemonSet or a standalone OpenTelemetry collector is the workload, not a
// sidecar of it. A nil workload (a container seen alone) leaves only the
// name and image to go by.
func sidecarReason(s lint.Settings, w *lint.Workload, c *lint.Container) string {
	switch c.Role {
	case lint.Sidecar:
		return "a native sidecar: an init container with restartPolicy: Always"
	case lint.Init:
		return ""
	case lint.Regular:
	}
	why := knownSidecar(s, c)
	if why == "" || w == nil {
		return why
	}
	main := mainContainer(s, w)
	if main == nil || main == c {
		return ""
	}
	return fmt.Sprintf("%s, beside the main container %q", why, main.Name)
}

// knownSidecar says why a container's name or image is a well-known
// sidecar's, or "".
func knownSidecar(s lint.Settings, c *lint.Container) string {
	image, _, _ := strings.Cut(c.Image, "@") // for messages: without the digest
	repo := strings.ToLower(image)
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo = repo[:i]
	}
	last := path.Base(repo)
	name := strings.ToLower(c.Name)
	for _, list := range [][]string{s.Sidecars, sidecarNames} {
		for _, e := range list {
			e = strings.ToLower(strings.TrimSpace(e))
			switch {
			case e == "":
			case strings.Contains(e, "/"):
				if repo == e || strings.HasSuffix(repo, "/"+e) {
					return "image " + image + ", a known sidecar"
				}
			case name == e:
				return "a known sidecar by name"
			case repo != "" && (last == e || strings.HasPrefix(last, e+"-")):
				return "image " + image + ", a known sidecar"
			}
		}
	}
	return ""
}

// mainContainer is the container a pod runs for: of its regular
// containers, the one the workload is named after (a Deployment api's
// container api, loki-promtail's promtail), else the first that is not a
// known sidecar, else the first. A lone container is always the main one.
func mainContainer(s lint.Settings, w *lint.Workload) *lint.Container {
	var regular []*lint.Container
	for _, c := range w.Containers {
		if c.Role == lint.Regular {
			regular = append(regular, c)
		}
	}
	if len(regular) == 0 {
		return nil
	}
	var byName, plain *lint.Container
	for _, c := range regular {
		switch named := namedAfter(w.Object.Name, c.Name); {
		case named == exactName:
			return c
		case named == partName && byName == nil:
			byName = c
		}
		if plain == nil && knownSidecar(s, c) == "" {
			plain = c
		}
	}
	return cmp.Or(byName, plain, regular[0])
}

// How a workload's name relates to a container's.
const (
	otherName = iota
	partName  // the container's name is a dash- or dot-separated part of it: loki-promtail, promtail
	exactName // the same
)

// namedAfter says whether a workload is named after a container.
func namedAfter(workload, container string) int {
	workload, container = strings.ToLower(workload), strings.ToLower(container)
	if container == "" {
		return otherName
	}
	if workload == container {
		return exactName
	}
	for i := 0; i+len(container) <= len(workload); i++ {
		end := i + len(container)
		if workload[i:end] == container && (i == 0 || isNameSep(workload[i-1])) && (end == len(workload) || isNameSep(workload[end])) {
			return partName
		}
	}
	return otherName
}

func isNameSep(b byte) bool { return b == '-' || b == '.' || b == '_' }

// mesh describes a service mesh's injection and proxy resource annotations.
type mesh struct {
	container  string   // the injected container
	inject     string   // the annotation (or, for Istio, label) that turns injection on
	on         []string // its values that inject
	labels     bool     // the inject key also works as a pod label
	requestKey string
	limitKey   string
	global     string // where the mesh's installation sets every proxy's limit, for messages
}

// meshSetsLimit reports whether a mesh installation in the run (its
// injector's ConfigMap, an IstioOperator, the mesh chart's values) gives
// the proxies it injects a memory limit.
func meshSetsLimit(w *lint.Workload, m mesh) bool {
	if w.Namespace == nil {
		return false
	}
	d, ok := w.Namespace.Mesh.ProxyLimit(m.container)
	return ok && d.Limit.Valid()
}

var meshes = []mesh{
	{container: "istio-proxy", inject: "sidecar.istio.io/inject", on: []string{"true"}, labels: true,
		requestKey: "sidecar.istio.io/proxyMemory", limitKey: "sidecar.istio.io/proxyMemoryLimit",
		global: "global.proxy.resources.limits.memory in istiod's values"},
	{container: "linkerd-proxy", inject: "linkerd.io/inject", on: []string{"enabled", "ingress"},
		requestKey: "config.linkerd.io/proxy-memory-request", limitKey: "config.linkerd.io/proxy-memory-limit",
		global: "proxy.resources.memory.limit in linkerd-control-plane's values"},
}

// injected is a proxy a mesh adds to the pod at admission.
type injected struct {
	mesh       mesh
	key, value string    // the inject annotation or label as written
	at         lint.Path // where it is written
	declared   bool      // the manifest already has the proxy container (rendered after injection)
	request    *lint.Quantity
	limit      *lint.Quantity
}

// podMetadata is where a workload keeps its pod template's metadata.
func podMetadata(w *lint.Workload) []string {
	switch w.Object.Kind {
	case "Pod":
		return []string{"metadata"}
	case "PodTemplate":
		return []string{"template", "metadata"}
	case "CronJob":
		return []string{"spec", "jobTemplate", "spec", "template", "metadata"}
	}
	return []string{"spec", "template", "metadata"}
}

// injectedProxies lists the proxies the pod template's annotations (or
// labels) have a mesh inject.
func injectedProxies(p *lint.Pass) []injected {
	w := p.Workload
	meta := podMetadata(w)
	annotations := p.Object.Get(append(slices.Clone(meta), "annotations")...)
	labels := p.Object.Get(append(slices.Clone(meta), "labels")...)
	var out []injected
	for _, m := range meshes {
		var in injected
		switch v := yamlnode.Get(annotations, m.inject); {
		case v != nil && slices.Contains(m.on, strings.ToLower(strings.TrimSpace(v.Value))):
			in = injected{mesh: m, key: m.inject, value: v.Value, at: lint.Root.Keys(meta...).Keys("annotations", m.inject)}
		case v != nil: // an explicit "false" on the annotation wins over a label
			continue
		default:
			l := yamlnode.Get(labels, m.inject)
			if !m.labels || l == nil || !slices.Contains(m.on, strings.ToLower(strings.TrimSpace(l.Value))) {
				continue
			}
			in = injected{mesh: m, key: m.inject, value: l.Value, at: lint.Root.Keys(meta...).Keys("labels", m.inject)}
		}
		in.declared = slices.ContainsFunc(w.Containers, func(c *lint.Container) bool { return c.Name == m.container })
		read := func(key string) *lint.Quantity {
			v := yamlnode.Get(annotations, key)
			if v == nil || v.Kind != yaml.ScalarNode {
				return nil
			}
			return &lint.Quantity{Path: lint.Root.Keys(meta...).Keys("annotations", key), Field: key, Raw: v.Value, Info: quantity.Shared(v.Value)}
		}
		in.request, in.limit = read(m.requestKey), read(m.limitKey)
		out = append(out, in)
	}
	return out
}

var podExceedsNodeMemory = &lint.Rule{
	ID: "OOM305", Name: "pod-exceeds-node-memory", Severity: lint.Error, Scope: lint.WorkloadScope,
	Since:   "0.1.0",
	Family:  "pod",
	Summary: "the pod's total memory request is more than a node has",
	Doc: `The scheduler places a pod only on a node whose allocatable memory, minus
what the pods already there request, covers the pod's total request. A pod
that requests more than a whole node has is never scheduled: it stays
Pending with "FailedScheduling: Insufficient memory", and a Deployment's
rollout hangs. The node size is the nodeMemory setting (a node's allocatable
memory, e.g. 15Gi for a 16Gi node after system reservations); the rule is
off when it is not set.

The pod's request is computed as Kubernetes does: the larger of the sum of
the app containers and native sidecars, and each init container's request
plus the native sidecars that start before it (init containers run one at a
time, sidecars keep running); a pod-level requests.memory replaces the
container sum. Proxies a mesh injects (sidecar.istio.io/inject,
linkerd.io/inject) add the request of their sidecar.istio.io/proxyMemory or
config.linkerd.io/proxy-memory-request annotation; without it their request
is unknown and left out. The pod overhead of the RuntimeClass named by
spec.runtimeClassName (overhead.podFixed.memory) is added when that
RuntimeClass is in the repository.
Requests defaulted by a LimitRange count. The finding points at the
largest contributor's request, with the others in related.`,
	Fix: "lower the largest requests so the pod fits a node, or schedule it on larger nodes (and raise nodeMemory)",
	Example: `# .oomlint.yaml: settings: {nodeMemory: 4Gi}
containers:
  - name: api
    image: example/api:1.4
    resources:
      requests:
        memory: 3Gi
  - name: worker
    image: example/worker:1.4
    resources:
      requests:
        memory: 2Gi`,
	Good: `# .oomlint.yaml: settings: {nodeMemory: 4Gi}
containers:
  - name: api
    image: example/api:1.4
    resources:
      requests:
        memory: 2Gi
  - name: worker
    image: example/worker:1.4
    resources:
      requests:
        memory: 1Gi`,
	Check: checkPodExceedsNodeMemory,
}

// contributor is one part of a pod's total request.
type contributor struct {
	what  string // `"api"`, `injected istio-proxy`, `pod-level requests.memory`
	field string // what a fix lowers: `"api"'s requests.memory`
	bytes int64
	q     *lint.Quantity
	in    *lint.Object // the object q is in, when not the workload (a RuntimeClass)
}

// overhead is the pod overhead of the workload's RuntimeClass, which the
// scheduler adds to the pod's request.
func overhead(w *lint.Workload) (contributor, bool) {
	rc := w.RuntimeClass
	if rc == nil {
		return contributor{}, false
	}
	raw := rc.Str("overhead", "podFixed", "memory")
	info := quantity.Classify(raw)
	if raw == "" || info.Class == quantity.Invalid || info.Class == quantity.SubByte {
		return contributor{}, false
	}
	q := &lint.Quantity{Path: lint.Root.Keys("overhead", "podFixed", "memory"), Field: "overhead.podFixed.memory", Raw: raw, Info: &info}
	return contributor{what: fmt.Sprintf("RuntimeClass %s overhead", rc.Name), field: fmt.Sprintf("RuntimeClass %s's overhead", rc.Name),
		bytes: info.Bytes(), q: q, in: rc}, true
}

func checkPodExceedsNodeMemory(p *lint.Pass) []lint.Diagnostic {
	node := p.Settings.NodeMemory
	if node <= 0 {
		return nil
	}
	parts, note := podRequest(p)
	if oh, ok := overhead(p.Workload); ok && len(parts) > 0 {
		parts = append(parts, oh)
	}
	var total int64
	for _, c := range parts {
		total += c.bytes
	}
	if total <= node || len(parts) == 0 {
		return nil
	}
	sorted := slices.Clone(parts)
	slices.SortStableFunc(sorted, func(a, b contributor) int { return cmp.Compare(b.bytes, a.bytes) })
	top := sorted[0]
	terms := make([]string, len(parts))
	for i, c := range parts {
		terms[i] = c.what + " " + sizeText(c.bytes)
	}
	sum := strings.Join(terms, " + ")
	if len(parts) > 1 {
		sum += " = " + sizeText(total)
	}
	fix := fmt.Sprintf("schedule the pod on nodes with at least %s allocatable (and set nodeMemory)", sizeText(roundUpMi(total)))
	if want := top.bytes - (total - node); want > 0 {
		fix = fmt.Sprintf("lower %s to %s or less, or %s", top.field, sizeText(want>>20<<20), fix)
	}
	d := lint.Diagnostic{
		Path: top.q.Path,
		In:   top.in,
		Message: fmt.Sprintf("the pod requests %s of memory (%s%s), more than the %s a node has (nodeMemory): no node can take it, so it stays Pending (FailedScheduling: Insufficient memory)",
			sizeText(total), note, sum, sizeText(node)),
		Fix: fix,
	}
	for _, c := range sorted[1:] {
		l := p.Object.Origin.Locate(c.q.Path)
		if c.in != nil {
			l = c.in.Origin.Locate(c.q.Path)
		}
		d.Related = append(d.Related, lint.Related{File: l.File, Line: l.Line, Column: l.Column,
			Message: fmt.Sprintf("%s requests %s (%s %s)", c.what, sizeText(c.bytes), c.q.Field, c.q.Raw)})
	}
	return []lint.Diagnostic{d}
}

// podRequest returns the contributors to the pod's memory request, by
// Kubernetes' rule: max(app containers + native sidecars, each init
// container + the sidecars started before it), plus injected proxies. The
// note says which side was taken when init containers win.
func podRequest(p *lint.Pass) ([]contributor, string) {
	w := p.Workload
	request := func(c *lint.Container) (contributor, bool) {
		if !c.Request.Comparable() || c.Request.Bytes() <= 0 {
			return contributor{}, false
		}
		return contributor{what: fmt.Sprintf("%q", c.Name), field: fmt.Sprintf("%q's %s", c.Name, strings.TrimPrefix(c.Request.Q.Field, "defaulted ")),
			bytes: c.Request.Bytes(), q: c.Request.Q}, true
	}
	if q := w.PodRequest; q.Valid() && q.Info.Class != quantity.SubByte {
		return []contributor{{what: "pod-level requests.memory", field: "pod-level requests.memory", bytes: q.Info.Bytes(), q: q}}, ""
	}
	var app, sidecars []contributor
	var initPeak []contributor
	var initTotal int64
	initName := ""
	for _, c := range w.Containers {
		r, ok := request(c)
		switch c.Role {
		case lint.Sidecar:
			if ok {
				sidecars = append(sidecars, r)
			}
		case lint.Init:
			if !ok {
				continue
			}
			cand := append(slices.Clone(sidecars), r)
			var sum int64
			for _, x := range cand {
				sum += x.bytes
			}
			if sum > initTotal {
				initTotal, initPeak, initName = sum, cand, c.Name
			}
		case lint.Regular:
			if ok {
				app = append(app, r)
			}
		}
	}
	app = append(slices.Clone(sidecars), app...)
	for _, in := range injectedProxies(p) {
		if in.declared || !in.request.Valid() || in.request.Info.Class == quantity.SubByte {
			continue
		}
		app = append(app, contributor{what: "injected " + in.mesh.container, field: "the " + in.mesh.requestKey + " annotation",
			bytes: in.request.Info.Bytes(), q: in.request})
	}
	var appTotal int64
	for _, c := range app {
		appTotal += c.bytes
	}
	if initTotal > appTotal {
		return initPeak, fmt.Sprintf("while init container %q runs, more than the app containers' %s: ", initName, sizeText(appTotal))
	}
	return app, ""
}

var terminationMessagePolicy = &lint.Rule{
	ID: "OOM306", Name: "termination-message-policy", Severity: lint.Info, Scope: lint.ContainerScope, Off: true,
	Since:   "0.1.0",
	Family:  "pod",
	Summary: "container without terminationMessagePolicy: FallbackToLogsOnError",
	Doc: `When the kernel OOM-kills a container, the process gets SIGKILL and writes
no termination message. kubectl describe pod then shows only "OOMKilled,
exit code 137"; with terminationMessagePolicy: FallbackToLogsOnError the
kubelet puts the last lines of the container's log (up to 80 lines, 2 KiB)
in the status instead, which often show what the process was doing when it
ran out of memory, even after the log itself has rotated away or the pod is
gone. It applies to every container, init containers and sidecars included:
an init container's OOM kill is just as opaque.

Off by default, since it fires on most containers: enable it with
--enable OOM306 or rules.enable in .oomlint.yaml. The finding points at an
explicit terminationMessagePolicy (File), else at the container's name.`,
	Fix: "set terminationMessagePolicy: FallbackToLogsOnError on the container",
	Example: `containers:
  - name: api
    image: example/api:1.4`,
	Good: `containers:
  - name: api
    image: example/api:1.4
    terminationMessagePolicy: FallbackToLogsOnError`,
	Check: checkTerminationMessagePolicy,
}

func checkTerminationMessagePolicy(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	v := yamlnode.Get(c.Node, "terminationMessagePolicy")
	if v != nil && v.Value == "FallbackToLogsOnError" {
		return nil
	}
	at, now := c.Path.Key("name"), "no terminationMessagePolicy"
	if v != nil {
		at, now = c.Path.Key("terminationMessagePolicy"), "terminationMessagePolicy: "+v.Value
	}
	return []lint.Diagnostic{{
		Path: at, Container: c.Name,
		Message: fmt.Sprintf("%s %q has %s: when it is OOM-killed, kubectl describe shows only OOMKilled (exit 137), not its last log lines",
			c.Role, c.Name, now),
		Fix: "set terminationMessagePolicy: FallbackToLogsOnError",
	}}
}

// sizeText renders bytes exactly: whole or half Gi, else whole Mi (1.5Gi,
// 1280Mi, never a rounded 1.2Gi), else rounded.
func sizeText(b int64) string {
	switch {
	case b >= 1<<30 && b%(1<<30) == 0:
		return fmt.Sprintf("%dGi", b>>30)
	case b >= 1<<30 && b%(1<<29) == 0:
		return fmt.Sprintf("%d.5Gi", b>>30)
	case b >= 1<<20 && b%(1<<20) == 0:
		return fmt.Sprintf("%dMi", b>>20)
	}
	return quantity.FormatBytes(b)
}

// roundUpMi rounds bytes up to whole Mi.
func roundUpMi(b int64) int64 {
	const mi = 1 << 20
	return (b + mi - 1) / mi * mi
}
