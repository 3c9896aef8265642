package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/oomlint/oomlint/internal/quantity"
	"github.com/oomlint/oomlint/internal/runtimeflags"
	"github.com/oomlint/oomlint/lint"
)

// The OOM24x family: the .NET GC's heap hard limit.

var dotnetHeapLimitExceedsLimit = &lint.Rule{
	ID: "OOM241", Name: "dotnet-heap-limit-exceeds-limit", Severity: lint.Error, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "dotnet",
	Summary: ".NET GC heap hard limit at or above the container memory limit",
	Doc: `In a container with a memory limit the .NET GC (Core 3.0+) caps its heap at
75% of the limit by default, and throws OutOfMemoryException, which the
application can see and log, when a collection cannot get under it.
DOTNET_GCHeapHardLimit (a byte count) and DOTNET_GCHeapHardLimitPercent (a
share of the limit, used only when no byte count is set and only when it is
1–99) replace that cap. Set at or above limits.memory, or above 90% of it,
the GC heap may fill the container while the runtime itself, JIT-compiled
code, thread stacks and native allocations need memory too: the kernel
OOM-kills the process (exit 137) before the GC reports anything.

Both variables are hexadecimal, as the runtime reads every DOTNET_ and
COMPlus_ setting, with or without 0x: DOTNET_GCHeapHardLimit=0x40000000 and
=40000000 are both 1GiB, =1073741824 is 0x1073741824 (65.8GiB), and
DOTNET_GCHeapHardLimitPercent=5A is 90% while =90 is 0x90, 144, which the
runtime ignores. Reading stops at the first character that is not a hex
digit (1Gi reads as 1). DOTNET_ wins over the older COMPlus_ prefix.

On cgroup v1 nodes (cluster.cgroup: v1 in .oomlint.yaml) the percentage
may be at most 85, and fixes aim five points lower: the v1 memory
controller throttles dirty page cache only machine-wide and accounts kernel
memory apart from the usage the runtime reads, so more of the limit goes
to memory the GC does not see.`,
	Fix: "set DOTNET_GCHeapHardLimit to about 75% of limits.memory in hex (0x30000000 for 1Gi), or remove it and keep the 75% default",
	Example: `env:
  - name: DOTNET_GCHeapHardLimit
    value: "0x40000000"
resources:
  limits:
    memory: 1Gi`,
	Good: `env:
  - name: DOTNET_GCHeapHardLimit
    value: "0x30000000"
resources:
  limits:
    memory: 1Gi`,
	Check: checkDotnetHeapLimitExceedsLimit,
}

// dotnetMaxPercent is the highest DOTNET_GCHeapHardLimitPercent that leaves
// the runtime room outside the GC heap; five less on cgroup v1 nodes.
const dotnetMaxPercent = 90

func dotnetMaxPercentFor(p *lint.Pass) uint64 {
	if cgroupV1(p) {
		return dotnetMaxPercent - uint64(math.Round(v1Tightening*100))
	}
	return dotnetMaxPercent
}

func checkDotnetHeapLimitExceedsLimit(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	if c.Process == nil || !c.Limit.Usable() || c.Limit.Bytes() <= 0 {
		return nil
	}
	limit := c.Limit.Bytes()
	target, share := heapTarget(limit, headroomFraction(p))
	field := fmt.Sprintf("%s %s", c.Limit.Q.Field, c.Limit.Q.Raw)
	maxPercent := dotnetMaxPercentFor(p)
	if v, name, ok := c.Process.DotnetSetting("GCHeapHardLimit"); ok {
		if !v.Known {
			return nil // a byte count we cannot see overrides the percentage too
		}
		n, parsed := runtimeflags.ParseDotnetHex(v.Value)
		if !parsed || n == 0 {
			return nil // unset, as far as the runtime is concerned; the percentage does not apply either
		}
		if !atLeast(n, limit) {
			return nil // the percentage is ignored when a byte count is set
		}
		size := quantity.Format(float64(n))
		fix := fmt.Sprintf("set %s=0x%X (%s, %s of %s) or raise the limit to %s",
			name, target, quantity.Format(float64(target)), sharePercent(share), field, raiseTo(int64(min(n, 1<<62)), share))
		if d, ok := decimalReading(v.Value); ok && atLeast(d, limit/4) && !atLeast(d, limit) { // a plausible heap, had it been decimal
			fix = fmt.Sprintf("if %s bytes (%s) was meant, write it in hex: %s=0x%X; otherwise set %s=0x%X (%s, %s of %s)",
				strings.TrimSpace(v.Value), quantity.Format(float64(d)), name, d, name, target, quantity.Format(float64(target)), sharePercent(share), field)
		}
		return []lint.Diagnostic{{
			Path: v.At.Path, In: v.At.Object, Container: c.Name,
			Message: fmt.Sprintf("%s=%s%s is %s, %s of %s: the GC heap may fill the container and the runtime's own memory pushes it over, so it is OOM-killed",
				name, v.Value, hexNote(v.Value, n), size, quantity.Percent(float64(n), float64(limit)), field),
			Fix:     fix,
			Related: comparedWithLimit(p),
		}}
	}
	v, name, ok := c.Process.DotnetSetting("GCHeapHardLimitPercent")
	if !ok || !v.Known {
		return nil
	}
	pct, parsed := runtimeflags.ParseDotnetHex(v.Value)
	if !parsed || pct <= maxPercent || pct >= 100 {
		return nil // 0 and 100 or more are ignored: the 75% default applies
	}
	heap := int64(pct) * limit / 100
	fix := fmt.Sprintf("set %s=0x%X (%s) or remove it: the default in a container is 75%% of the limit",
		name, int(share*100), sharePercent(share))
	if d, ok := decimalReading(v.Value); ok && d > 0 && d <= maxPercent {
		fix = fmt.Sprintf("if %d%% was meant, write it in hex: %s=0x%X; otherwise set 0x%X (%s) or remove it (the default in a container is 75%% of the limit)",
			d, name, d, int(share*100), sharePercent(share))
	}
	return []lint.Diagnostic{{
		Path: v.At.Path, In: v.At.Object, Container: c.Name,
		Message: fmt.Sprintf("%s=%s%s is %d%% of %s (%s): above %d%%%s, the GC heap leaves too little for the runtime's own memory, so the container is OOM-killed",
			name, v.Value, hexNote(v.Value, pct), pct, field, quantity.Format(float64(heap)), maxPercent, onCgroupV1(p)),
		Fix:     fix,
		Related: comparedWithLimit(p),
	}}
}

var dotnetNotContainerAware = &lint.Rule{
	ID: "OOM242", Name: "dotnet-not-container-aware", Severity: lint.Error, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "dotnet",
	Summary: ".NET version that cannot read a cgroup v2 memory limit, with no GCHeapHardLimit",
	Doc: `The .NET GC sizes its heap from the memory it sees. .NET Core 3.x reads
the container's memory limit from cgroup v1 only: cgroup v2 support came in
.NET 5 (dotnet/runtime#34334) and was not backported to 3.1
(dotnet/runtime#75180). On a cgroup v2 node, the default on current
distributions and managed clusters, a .NET Core 3.1 or older process
therefore sees the node's memory: the GC sets no heap hard limit and lets
the heap grow far past limits.memory before collecting hard, and the
kernel OOM-kills the container (exit 137).

The version comes from the image tag: mcr.microsoft.com/dotnet/aspnet:3.1,
mcr.microsoft.com/dotnet/core/runtime:3.1-buster-slim,
microsoft/dotnet:2.2-aspnetcore-runtime, bitnami/aspnet-core. runtime-deps
images hold no runtime (a self-contained app brings its own) and never
fire. An explicit COMPlus_GCHeapHardLimit caps the heap whatever the GC
sees (.NET Core 3.0 and 3.1 read only the COMPlus_ prefix; DOTNET_ is
.NET 5 and later), so the rule is then silent for 3.x; .NET Core 2.x has
no heap hard limit at all. A limit set in runtimeconfig.json
(System.GC.HeapHardLimit) is inside the image where a manifest cannot show
it: suppress the finding there. Nodes are taken to run cgroup v2 unless
.oomlint.yaml says cluster.cgroup: v1.`,
	Fix: "move to .NET 6 or later, or set COMPlus_GCHeapHardLimit to about 75% of limits.memory in hex",
	Example: `containers:
  - name: api
    image: mcr.microsoft.com/dotnet/aspnet:3.1
    resources:
      limits:
        memory: 1Gi`,
	Good: `containers:
  - name: api
    image: mcr.microsoft.com/dotnet/aspnet:8.0
    resources:
      limits:
        memory: 1Gi`,
	Check: checkDotnetNotContainerAware,
}

func checkDotnetNotContainerAware(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	if cgroupV1(p) || !c.Limit.Usable() || c.Limit.Bytes() <= 0 {
		return nil
	}
	v, ok := runtimeflags.DotnetImageVersion(c.Image)
	if !ok || runtimeflags.DotnetReadsCgroupV2(v) || unresolvedEnvFrom(c) {
		return nil
	}
	limitVar, hasLimit := c.Process.Lookup("COMPlus_GCHeapHardLimit")
	if hasLimit && !limitVar.Known {
		return nil // set where we cannot see
	}
	if n, parsed := runtimeflags.ParseDotnetHex(limitVar.Value); hasLimit && parsed && n > 0 && v.Major >= 3 {
		return nil // a hard limit that does not depend on what the GC sees
	}
	target, share := heapTarget(c.Limit.Bytes(), headroomFraction(p))
	field := fmt.Sprintf("%s %s", c.Limit.Q.Field, c.Limit.Q.Raw)
	name := ".NET Core " + v.String()
	fix := fmt.Sprintf("move to .NET 6 or later, or set COMPlus_GCHeapHardLimit=0x%X (%s, %s of %s)", target, quantity.Format(float64(target)), sharePercent(share), field)
	if v.Major < 3 {
		fix = "move to .NET 6 or later: .NET Core " + v.String() + " has no heap hard limit"
	}
	if d, _, ok := c.Process.DotnetSetting("GCHeapHardLimit"); ok && d.Known && v.Major >= 3 && !hasLimit {
		fix = fmt.Sprintf(".NET Core %s ignores DOTNET_GCHeapHardLimit: name it COMPlus_GCHeapHardLimit, or move to .NET 6 or later", v)
	}
	return []lint.Diagnostic{{
		Path: c.Path.Key("image"), Container: c.Name,
		Message: fmt.Sprintf("%s runs %s, which reads the memory limit only under cgroup v1 (.NET 5 and later read cgroup v2): on cgroup v2 nodes the GC sizes its heap from the node's memory instead of %s, so the heap grows past the limit and the container is OOM-killed",
			c.Image, name, field),
		Fix:     fix,
		Related: comparedWithLimit(p),
	}}
}

// atLeast reports whether a value the runtime read as uint64 is at least
// limit bytes.
func atLeast(v uint64, limit int64) bool {
	if v > math.MaxInt64 {
		return true
	}
	return int64(v) >= limit
}

// decimalReading is what a hex value without 0x would be read as decimal:
// what the person who wrote it probably meant.
func decimalReading(raw string) (uint64, bool) {
	if !runtimeflags.HexWithoutPrefix(raw) {
		return 0, false
	}
	d, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(raw), "+"), 10, 64)
	return d, err == nil
}

// hexNote says how a value without 0x was read: " (hexadecimal 0x90 = 144)".
func hexNote(raw string, n uint64) string {
	if !runtimeflags.HexWithoutPrefix(raw) {
		return ""
	}
	return fmt.Sprintf(" (read as hexadecimal 0x%s = %d)", strings.TrimPrefix(strings.TrimSpace(raw), "+"), n)
}
