package policy

import (
	"math"
	"strconv"
	"strings"

	"github.com/oomlint/oomlint/internal/jvmflags"
	"github.com/oomlint/oomlint/internal/runtimeflags"
	"github.com/oomlint/oomlint/lint"
)

// Facts returns what oomlint resolved about one object, as policies see it
// at data.oomlint.facts: JSON-shaped (maps, slices, strings, int64, float64,
// bools, nil). Sizes are in bytes. docs/rego.md documents every field.
func Facts(o *lint.Object, ns *lint.Namespace) map[string]any {
	loc := o.Origin.Locate(lint.Root)
	src := map[string]any{"file": loc.File, "line": int64(loc.Line)}
	if u := o.Unit; u != nil {
		src["unit"] = u.Name
		src["unitKind"] = u.Kind
		if u.Variant != "" {
			src["variant"] = u.Variant
		}
	}
	f := map[string]any{
		"unit":      "bytes",
		"object":    map[string]any{"apiVersion": o.APIVersion, "kind": o.Kind, "namespace": o.Namespace, "name": o.Name},
		"source":    src,
		"namespace": namespaceFacts(ns, o.Namespace),
		"workload":  nil,
	}
	if w := o.Workload; w != nil {
		f["workload"] = workloadFacts(w, ns)
	}
	return f
}

func workloadFacts(w *lint.Workload, ns *lint.Namespace) map[string]any {
	o := w.Object
	replicas := replicasOf(w)
	hpa := hpaFor(o, ns)
	maxReplicas := replicas
	if hpa != nil {
		if m, ok := hpa["maxReplicas"].(int64); ok {
			maxReplicas = m
		}
	}
	vols := memoryVolumes(w)
	containers := make([]any, 0, len(w.Containers))
	for _, c := range w.Containers {
		containers = append(containers, containerFacts(c, w, vols))
	}
	volList := make([]any, 0, len(vols))
	for _, v := range vols {
		var by []any
		for _, c := range w.Containers {
			if mounts(c, v.name) {
				by = append(by, c.Name)
			}
		}
		vv := v.fact()
		vv["mountedBy"] = orEmpty(by)
		volList = append(volList, vv)
	}
	out := map[string]any{
		"podPath":       w.PodPath.String(),
		"replicas":      nilIfNeg(replicas),
		"hpa":           nilMap(hpa),
		"maxReplicas":   nilIfNeg(maxReplicas),
		"podLimit":      quantityFact(w.PodLimit, ""),
		"podRequest":    quantityFact(w.PodRequest, ""),
		"containers":    containers,
		"memoryVolumes": volList,
	}
	return out
}

func nilIfNeg(n int64) any {
	if n < 0 {
		return nil
	}
	return n
}

func nilMap(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}

func orEmpty(s []any) []any {
	if s == nil {
		return []any{}
	}
	return s
}

// replicasOf is Workload.Replicas, or -1 when the kind has no replica
// count.
func replicasOf(w *lint.Workload) int64 {
	if n, ok := w.Replicas(); ok {
		return n
	}
	return -1
}

// hpaFor is the HorizontalPodAutoscaler of the namespace that targets o.
// hpaFor serializes the HPA the quota rules count for o (lint's one
// matcher).
func hpaFor(o *lint.Object, ns *lint.Namespace) map[string]any {
	h, most := ns.HPAFor(o)
	if h == nil {
		return nil
	}
	out := map[string]any{"name": h.Name, "minReplicas": int64(1), "maxReplicas": most}
	if n, err := strconv.ParseInt(h.Str("spec", "minReplicas"), 10, 64); err == nil {
		out["minReplicas"] = n
	}
	return out
}

func containerFacts(c *lint.Container, w *lint.Workload, vols []memVolume) map[string]any {
	var mounted []any
	var total int64
	for _, v := range vols {
		if mounts(c, v.name) {
			mounted = append(mounted, v.fact())
			if v.size.Valid() {
				total += v.size.Info.Bytes()
			}
		}
	}
	return map[string]any{
		"name":                c.Name,
		"role":                roleName(c.Role),
		"path":                c.Path.String(),
		"image":               c.Image,
		"limit":               effectiveFact(c.Limit, c.Path.Keys("resources", "limits", "memory"), true),
		"request":             effectiveFact(c.Request, c.Path.Keys("resources", "requests", "memory"), false),
		"heap":                heapFacts(c),
		"memoryVolumes":       orEmpty(mounted),
		"memoryVolumeBytes":   total,
		"declaredLimitPath":   c.Path.Keys("resources", "limits", "memory").String(),
		"declaredRequestPath": c.Path.Keys("resources", "requests", "memory").String(),
		"podLevelLimit":       w.PodLimit != nil,
	}
}

func roleName(r lint.Role) string {
	switch r {
	case lint.Init:
		return "init"
	case lint.Sidecar:
		return "sidecar"
	case lint.Regular:
	}
	return "container"
}

func sourceName(s lint.Source) string {
	switch s {
	case lint.Declared:
		return "declared"
	case lint.FromLimit:
		return "from-limit"
	case lint.PodLevel:
		return "pod-level"
	case lint.LimitRangeDefault:
		return "limitrange-default"
	case lint.Unset:
	}
	return "unset"
}

// quantityFact is a memory value: its text, bytes (nil when it does not
// parse) and where it is written.
func quantityFact(q *lint.Quantity, source string) any {
	if q == nil {
		return nil
	}
	f := map[string]any{"raw": q.Raw, "valid": q.Valid(), "bytes": nil, "path": q.Path.String()}
	if q.Valid() {
		f["bytes"] = q.Info.Bytes()
		f["unitMistake"] = q.UnitMistake()
	}
	if source != "" {
		f["source"] = source
	}
	return f
}

func effectiveFact(e lint.Effective, at lint.Path, limit bool) any {
	if !e.Set() {
		return nil
	}
	f := quantityFact(e.Q, sourceName(e.Source)).(map[string]any)
	f["path"] = at.String()
	if it := e.LimitRange; it != nil {
		v := it.DefaultRequest
		if limit {
			v = it.Default
		}
		f["limitRange"] = it.Object.Name
		f["limitRangePath"] = v.Path.String()
	}
	return f
}

// heapFacts are the runtime heap settings oomlint reads from the
// container's command line and environment.
func heapFacts(c *lint.Container) map[string]any {
	return map[string]any{
		"jvm":    jvmFacts(c),
		"node":   nodeFacts(c.Process),
		"go":     goFacts(c),
		"dotnet": dotnetFacts(c.Process),
	}
}

// jvmFacts serializes the container's JVM as the rules read it.
func jvmFacts(c *lint.Container) any {
	j := c.JVM()
	if j == nil {
		return nil
	}
	return jvmSettingsFacts(c, j.Settings, func(st *jvmflags.Setting) string { return j.Place(st).Path.String() })
}

// jvmSettingsFacts reports the winning JVM settings, each with its text,
// value and the field it was written in.
func jvmSettingsFacts(c *lint.Container, s jvmflags.Settings, path func(*jvmflags.Setting) string) map[string]any {
	setting := func(st *jvmflags.Setting, value any) any {
		if st == nil {
			return nil
		}
		return map[string]any{"text": st.Text, "value": value, "path": path(st)}
	}
	out := map[string]any{
		"maxHeap":              nil,
		"initialHeap":          nil,
		"maxRAMPercentage":     nil,
		"initialRAMPercentage": nil,
		"maxRAMFraction":       nil,
		"containerSupport":     nil,
		"maxHeapBytes":         nil,
	}
	if st := s.MaxHeap; st != nil {
		out["maxHeap"] = setting(st, st.Bytes)
		out["maxHeapBytes"] = st.Bytes
	}
	if st := s.InitialHeap; st != nil {
		out["initialHeap"] = setting(st, st.Bytes)
	}
	if st := s.MaxRAMPercentage; st != nil {
		out["maxRAMPercentage"] = setting(st, st.Percent)
		if l := c.Limit; l.Comparable() && s.MaxHeap == nil {
			out["maxHeapBytes"] = int64(float64(l.Bytes()) * st.Percent / 100)
		}
	}
	if st := s.InitialRAMPercentage; st != nil {
		out["initialRAMPercentage"] = setting(st, st.Percent)
	}
	if st := s.MaxRAMFraction; st != nil {
		out["maxRAMFraction"] = setting(st, st.Divisor)
		if l := c.Limit; l.Comparable() && s.MaxHeap == nil && s.MaxRAMPercentage == nil && st.Divisor > 0 {
			out["maxHeapBytes"] = l.Bytes() / st.Divisor
		}
	}
	if st := s.ContainerSupport; st != nil {
		out["containerSupport"] = setting(st, st.On)
	}
	return out
}

// nodeFacts serializes the Node.js heap setting the rules read: the first
// command line's, else NODE_OPTIONS.
func nodeFacts(proc *lint.Process) any {
	hs := proc.NodeHeap()
	if len(hs) == 0 {
		return nil
	}
	from := "command"
	if hs[0].Source != "" {
		from = hs[0].Source
	}
	return nodeHeap(hs[0].Heap, hs[0].At.Path.String(), from)
}

func nodeHeap(h runtimeflags.NodeHeap, path, from string) map[string]any {
	f := map[string]any{"maxOldSpaceSize": h.Raw, "valid": h.Valid, "bytes": nil, "path": path, "from": from}
	if h.Valid {
		f["bytes"] = h.Bytes()
	}
	return f
}

// goFacts serializes the GOMEMLIMIT the rules read: the first command
// line's inline one, else the environment variable's.
func goFacts(c *lint.Container) any {
	gs := c.GoMemLimit()
	if len(gs) == 0 {
		return nil
	}
	g := gs[0]
	f := map[string]any{"memLimit": g.Raw, "bytes": nil, "valid": false, "off": false, "path": g.At.Path.String()}
	if g.Field != "" {
		f["resourceField"] = g.Field
		if b, ok := g.Bytes(c); ok {
			f["bytes"], f["valid"] = b, true
		}
		return f
	}
	b, off, err := runtimeflags.ParseGoMemLimit(g.Raw)
	f["valid"], f["off"] = err == nil, off
	if err == nil && !off {
		f["bytes"] = b
	}
	return f
}

// dotnetFacts serializes the .NET GC heap limits the rules read.
func dotnetFacts(proc *lint.Process) any {
	out := map[string]any{}
	for _, name := range []string{"GCHeapHardLimit", "GCHeapHardLimitPercent"} {
		v, full, ok := proc.DotnetSetting(name)
		if !ok || !v.Known {
			continue
		}
		n, parsed := runtimeflags.ParseDotnetHex(v.Value)
		f := map[string]any{"variable": full, "raw": v.Value, "value": nil, "path": v.At.Path.String()}
		if parsed && n <= math.MaxInt64 {
			f["value"] = int64(n)
		}
		out[strings.ToLower(name[:1])+name[1:]] = f
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// memVolume is an emptyDir with medium: Memory.
type memVolume struct {
	name string
	path lint.Path
	size *lint.Quantity
}

func (v memVolume) fact() map[string]any {
	f := map[string]any{"name": v.name, "path": v.path.String(), "sizeLimit": nil, "sizeLimitBytes": nil}
	if v.size != nil {
		f["sizeLimit"] = v.size.Raw
		if v.size.Valid() {
			f["sizeLimitBytes"] = v.size.Info.Bytes()
		}
	}
	return f
}

func memoryVolumes(w *lint.Workload) []memVolume {
	out := make([]memVolume, len(w.MemoryVolumes))
	for i, v := range w.MemoryVolumes {
		out[i] = memVolume{name: v.Name, path: v.Path, size: v.SizeLimit}
	}
	return out
}

func mounts(c *lint.Container, volume string) bool { return c.Mounts(volume) }

// namespaceFacts are the namespace's LimitRanges, ResourceQuotas and
// autoscalers.
func namespaceFacts(ns *lint.Namespace, name string) map[string]any {
	out := map[string]any{"name": name, "limitRanges": []any{}, "resourceQuotas": []any{}, "hpas": []any{}, "vpas": []any{}}
	if ns == nil {
		return out
	}
	var lrs []any
	for _, o := range ns.LimitRangeObjects {
		var items []any
		for _, it := range ns.LimitRanges {
			if it.Object != o {
				continue
			}
			items = append(items, map[string]any{
				"path":           it.Path.String(),
				"max":            quantityFact(it.Max, ""),
				"min":            quantityFact(it.Min, ""),
				"default":        quantityFact(it.Default, ""),
				"defaultRequest": quantityFact(it.DefaultRequest, ""),
			})
		}
		lrs = append(lrs, map[string]any{"name": o.Name, "file": o.Origin.Locate(lint.Root).File, "containerItems": orEmpty(items), "applied": len(items) > 0})
	}
	out["limitRanges"] = orEmpty(lrs)
	var quotas []any
	for _, o := range ns.ResourceQuotas {
		hard := map[string]any{}
		for _, h := range lint.QuotaHards(o) {
			hard[h.Resource] = quantityFact(h.Q, "")
		}
		quotas = append(quotas, map[string]any{"name": o.Name, "file": o.Origin.Locate(lint.Root).File, "hard": hard})
	}
	out["resourceQuotas"] = orEmpty(quotas)
	var hpas, vpas []any
	for _, o := range ns.HPAs {
		hpas = append(hpas, map[string]any{"name": o.Name, "targetKind": o.Str("spec", "scaleTargetRef", "kind"), "targetName": o.Str("spec", "scaleTargetRef", "name")})
	}
	for _, o := range ns.VPAs {
		vpas = append(vpas, map[string]any{"name": o.Name, "targetKind": o.Str("spec", "targetRef", "kind"), "targetName": o.Str("spec", "targetRef", "name"), "updateMode": o.Str("spec", "updatePolicy", "updateMode")})
	}
	out["hpas"], out["vpas"] = orEmpty(hpas), orEmpty(vpas)
	return out
}
