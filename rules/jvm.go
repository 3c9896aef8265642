package rules

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/oomlint/oomlint/internal/jvmflags"
	"github.com/oomlint/oomlint/internal/quantity"
	"github.com/oomlint/oomlint/lint"
)

// The OOM20x family: JVM heap settings against the container's effective
// memory limit.

// jvmRuntime is the runtime-behaviour text every JVM rule's explain shares.
const jvmRuntime = `
Where the settings come from, in the order the JVM reads them (for each
setting the last occurrence wins; -Xmx and -XX:MaxHeapSize= are one
setting, -Xms and -XX:InitialHeapSize= another):

  1. JAVA_TOOL_OPTIONS, read by the VM itself before the command line;
  2. JDK_JAVA_OPTIONS, put in front of the command line by the java
     launcher (JDK 9 and later; ignored by JDK 8 images);
  3. the command line: the container's command and args when they run
     java (also inside sh -c / bash -c scripts, with $(VAR) and $VAR
     expanded from the container's env), else the variables the image's
     start script puts on it (table below), in the table's order;
  4. _JAVA_OPTIONS, read by the VM after the command line: it overrides
     everything, including the command line.

Only options before the main class, -jar FILE or -m MODULE are JVM
options; what follows belongs to the application. Values may be literal
env values or keys of ConfigMaps in the same chart, overlay or directory
(env valueFrom.configMapKeyRef, envFrom); a ConfigMap that is not in the
repository is not guessed at.

Start-script variables (read when the container does not run java itself):

%s`

// jvmVarTable renders jvmflags.Vars for the explain text.
func jvmVarTable() string {
	var b strings.Builder
	syntax := map[jvmflags.Syntax]string{jvmflags.Options: "JVM options", jvmflags.Size: "JVM size (4G, 1024m)", jvmflags.MiB: "MiB number (1024)"}
	for _, v := range jvmflags.Vars {
		if v.Phase != jvmflags.CommandLine {
			continue
		}
		fmt.Fprintf(&b, "    %-24s %-21s %s\n", v.Name, syntax[v.Syntax], v.App)
	}
	return b.String()
}

var jvmDoc = fmt.Sprintf(jvmRuntime, jvmVarTable())

var jvmHeapExceedsLimit = &lint.Rule{
	ID: "OOM201", Name: "jvm-heap-exceeds-limit", Severity: lint.Error, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "jvm",
	Summary: "JVM max or initial heap at or above the container memory limit",
	Doc: `The kernel kills a container (exit 137, OOMKilled) as soon as its memory
reaches limits.memory. The heap is only part of a JVM's memory: metaspace
(loaded classes), a stack per thread (1 MiB each by default), the JIT's
code cache (up to 240 MiB), GC bookkeeping and direct/NIO buffers all come
on top of it. A JVM whose -Xmx equals the limit therefore starts fine and
runs for a while, then is killed once the heap fills up under load — not
with an OutOfMemoryError the application could log, but with SIGKILL. An
-Xms at or above the limit commits that much heap up front and is killed
sooner. The limit compared is the container's effective one (its own,
pod-level, or a LimitRange default); with no limit this rule is silent
(OOM101 reports that).
` + jvmDoc,
	Fix: "keep -Xmx at or below 75% of limits.memory, or raise the limit",
	Example: `containers:
  - name: api
    image: eclipse-temurin:17
    command: ["java", "-Xmx1g", "-jar", "/app.jar"]
    resources:
      limits:
        memory: 1Gi`,
	Good: `containers:
  - name: api
    image: eclipse-temurin:17
    command: ["java", "-Xmx768m", "-jar", "/app.jar"]
    resources:
      limits:
        memory: 1Gi`,
	Check: checkJVMHeapExceedsLimit,
}

func checkJVMHeapExceedsLimit(p *lint.Pass) []lint.Diagnostic {
	j := readJVM(p)
	if j == nil || !p.Container.Limit.Usable() {
		return nil
	}
	limit := p.Container.Limit.Bytes()
	for _, s := range []*jvmflags.Setting{j.Settings.MaxHeap, j.Settings.InitialHeap} {
		if s == nil || heapOf(s) < limit {
			continue
		}
		return []lint.Diagnostic{jvmDiagnostic(p, j, s,
			fmt.Sprintf("%s is %s of %s: the JVM needs room for metaspace, thread stacks, code cache and direct buffers on top of the heap, so it is OOM-killed (exit 137) once the heap fills",
				heapText(s), quantity.Percent(float64(heapOf(s)), float64(limit)), limitText(p)),
			heapFix(p, s))}
	}
	return nil
}

var jvmHeapHeadroom = &lint.Rule{
	ID: "OOM202", Name: "jvm-heap-headroom", Severity: lint.Warning, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "jvm",
	Summary: "JVM max heap leaves too little of the memory limit for the rest of the JVM",
	Doc: `A JVM uses memory beyond its heap: metaspace, one stack per thread, the JIT
code cache, GC structures and direct buffers — typically 150–400 MiB for a
service, more with many threads or Netty/NIO. When -Xmx takes more than
heapFraction of limits.memory (default 0.8, set in .oomlint.yaml), what is
left is too little for that, and the container is OOM-killed (exit 137)
under load even though the heap itself never overflows. A common rule of
thumb is a heap of 70–75% of the limit.
` + cgroupV1Note + jvmDoc,
	Fix: "lower -Xmx to about 75% of limits.memory, or raise the limit",
	Example: `env:
  - name: JAVA_OPTS
    value: "-Xmx900m"
resources:
  limits:
    memory: 1Gi`,
	Good: `env:
  - name: JAVA_OPTS
    value: "-Xmx768m"
resources:
  limits:
    memory: 1Gi`,
	Check: checkJVMHeapHeadroom,
}

func checkJVMHeapHeadroom(p *lint.Pass) []lint.Diagnostic {
	j := readJVM(p)
	if j == nil || !p.Container.Limit.Usable() || j.Settings.MaxHeap == nil {
		return nil
	}
	s, limit, frac := j.Settings.MaxHeap, p.Container.Limit.Bytes(), headroomFraction(p)
	heap := heapOf(s)
	if heap >= limit || float64(heap) <= frac*float64(limit) {
		return nil // at or above the limit is OOM201's
	}
	return []lint.Diagnostic{jvmDiagnostic(p, j, s,
		fmt.Sprintf("%s is %s of %s, above the %s heap share%s: only %s is left for metaspace, thread stacks, code cache and direct buffers, so the container is OOM-killed under load",
			heapText(s), quantity.Percent(float64(heap), float64(limit)), limitText(p),
			quantity.Percent(frac, 1), onCgroupV1(p), quantity.FormatBytes(limit-heap)),
		heapFix(p, s))}
}

var jvmRAMPercentageHigh = &lint.Rule{
	ID: "OOM203", Name: "jvm-ram-percentage-high", Severity: lint.Warning, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "jvm",
	Summary: "JVM MaxRAMPercentage or InitialRAMPercentage leaves too little of the memory limit",
	Doc: `-XX:MaxRAMPercentage sizes the max heap as a share of the memory the JVM
sees, which in a container is limits.memory (JDK 8u191+, 10+). Above
heapFraction (default 80%) the rest of the JVM — metaspace, thread stacks,
code cache, direct buffers — no longer fits beside a full heap, and the
container is OOM-killed (exit 137) under load. -XX:MaxRAMFraction=1 (heap
= all of the memory) is the older spelling of the same mistake; any value
below 2 fires. -XX:InitialRAMPercentage above the threshold commits that
much heap at start. An explicit -Xmx (or -Xms) overrides the percentage,
so the percentage is then not reported. Without a limit the percentage
applies to the node's memory.
` + cgroupV1Note + jvmDoc,
	Fix: "use -XX:MaxRAMPercentage=75 or lower",
	Example: `env:
  - name: JAVA_TOOL_OPTIONS
    value: "-XX:MaxRAMPercentage=90"`,
	Good: `env:
  - name: JAVA_TOOL_OPTIONS
    value: "-XX:MaxRAMPercentage=75"`,
	Check: checkJVMRAMPercentageHigh,
}

func checkJVMRAMPercentageHigh(p *lint.Pass) []lint.Diagnostic {
	j := readJVM(p)
	if j == nil {
		return nil
	}
	maxPct := headroomFraction(p) * 100
	rec := strconv.FormatFloat(math.Round(targetShare(p)*1e4)/100, 'f', -1, 64)
	var out []lint.Diagnostic
	report := func(s *jvmflags.Setting, pct float64, what, fix string) {
		share := "of the container's memory limit (of the node's memory when there is none)"
		if p.Container.Limit.Usable() {
			limit := p.Container.Limit.Bytes()
			share = fmt.Sprintf("of %s (%s)", limitText(p), quantity.Round(int64(float64(limit)*pct/100)))
		}
		out = append(out, jvmDiagnostic(p, j, s,
			fmt.Sprintf("%s lets the %s take %s %s, above %s%s: metaspace, thread stacks, code cache and direct buffers do not fit beside it, so the container is OOM-killed under load",
				s.Text, what, quantity.Percent(pct, 100), share, quantity.Percent(maxPct, 100), onCgroupV1(p)), fix))
	}
	if j.Settings.MaxHeap == nil {
		switch s := j.Settings.MaxRAMPercentage; {
		case s != nil:
			if s.Percent > maxPct {
				report(s, s.Percent, "max heap", "set -XX:MaxRAMPercentage="+rec)
			}
		case j.Settings.MaxRAMFraction != nil:
			s = j.Settings.MaxRAMFraction
			if pct := 100 / float64(s.Divisor); pct > maxPct {
				report(s, pct, "max heap", fmt.Sprintf("replace %s with -XX:MaxRAMPercentage=%s (MaxRAMFraction is deprecated; 2 is 50%%)", s.Text, rec))
			}
		}
	}
	if s := j.Settings.InitialRAMPercentage; s != nil && j.Settings.InitialHeap == nil && s.Percent > maxPct {
		report(s, s.Percent, "initial heap", "set -XX:InitialRAMPercentage to at most "+rec)
	}
	return out
}

var jvmNotContainerAware = &lint.Rule{
	ID: "OOM204", Name: "jvm-not-container-aware", Severity: lint.Error, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "jvm",
	Summary: "JVM does not read the container memory limit",
	Doc: `A JVM that does not read the container's memory limit sizes its default
heap (1/4 of memory), GC threads and buffers from the node's memory. On a
64 GiB node that is a 16 GiB heap in a container limited to 1 GiB: it is
OOM-killed (exit 137) as soon as the heap grows. This rule fires for
-XX:-UseContainerSupport, and, when no explicit max heap (-Xmx or
-XX:MaxHeapSize) is set, for images whose tag names a JDK that cannot see
the limit:

  cgroup v1    JDK 10 and 8u191 made the JVM container-aware
               (-XX:+UseContainerSupport, on by default); older JDKs
               (openjdk:8u181-jre, JDK 7, JDK 9) are not, unless
               -XX:+UseCGroupMemoryLimitForHeap (8u131–8u190) is set.
  cgroup v2    the default on current distributions and managed
               clusters. HotSpot reads a cgroup v2 limit from JDK 15
               (JDK-8230305), and from 11.0.16 (July 2022) and 8u372
               (April 2023), which carry the backport; JDK 10–14,
               11.0.0–11.0.15 and 8u191–8u371 fall back to the node's
               memory. IBM Semeru (OpenJ9): 8u382, 11.0.20, 17.0.8 and
               21 or later. -XX:+UseCGroupMemoryLimitForHeap reads only
               cgroup v1 files and does not help.

Nodes are taken to run cgroup v2 unless .oomlint.yaml says cluster.cgroup:
v1. A tag that names only the major version (eclipse-temurin:11,
amazoncorretto:8) runs the newest build of that line, which has the
backport, so it does not fire; except the deprecated Docker library
openjdk image, whose last builds are 8u342 and 11.0.16 (openjdk:8-jre
fires on cgroup v2, openjdk:11 does not). Tags that name no version
(latest) never fire. With no memory limit this rule is silent (OOM101
reports that).
` + jvmDoc,
	Fix: "use a JDK 17+, 11.0.16+ or 8u372+ image, remove -XX:-UseContainerSupport, or set -Xmx to 75% of limits.memory",
	Example: `containers:
  - name: legacy
    image: openjdk:8u181-jre
    resources:
      limits:
        memory: 1Gi`,
	Good: `containers:
  - name: legacy
    image: eclipse-temurin:8u402-b06-jre
    resources:
      limits:
        memory: 1Gi`,
	Check: checkJVMNotContainerAware,
}

func checkJVMNotContainerAware(p *lint.Pass) []lint.Diagnostic {
	j := readJVM(p)
	c := p.Container
	if j == nil || !c.Limit.Usable() {
		return nil
	}
	if s := j.Settings.ContainerSupport; s != nil && !s.On {
		msg := fmt.Sprintf("%s makes the JVM ignore %s: it sizes its default heap (1/4 of memory), GC threads and buffers from the node's memory, so it grows past the limit and is OOM-killed", s.Text, limitText(p))
		if m := j.Settings.MaxHeap; m != nil {
			msg = fmt.Sprintf("%s makes the JVM ignore %s: %s caps the heap, but GC threads, code cache and buffers are still sized for the node's memory and CPUs", s.Text, limitText(p), m.Text)
		}
		return []lint.Diagnostic{jvmDiagnostic(p, j, s, msg, "remove "+s.Text+" (container support is on by default since JDK 10 and 8u191)")}
	}
	if j.Settings.MaxHeap != nil {
		return nil
	}
	heap := fmt.Sprintf("set -Xmx%s (%s of the limit), e.g. in JAVA_TOOL_OPTIONS", jvmflags.FormatSize(target(p, c.Limit.Bytes())), quantity.Percent(targetShare(p), 1))
	diag := func(msg, fix string) []lint.Diagnostic {
		return []lint.Diagnostic{{Path: c.Path.Key("image"), Container: c.Name, Message: msg, Fix: fix, Related: limitRelated(p)}}
	}
	cgroupFlag := j.Settings.CgroupMemoryLimit != nil && j.Settings.CgroupMemoryLimit.On
	if aware, known := j.Version.ContainerAware(); known && !aware && !cgroupFlag {
		upgrade := "move to a JDK 8u191+ image"
		if !cgroupV1(p) {
			upgrade = "move to a JDK 17+, 11.0.16+ or 8u372+ image (older ones do not read a cgroup v2 limit)"
		}
		return diag(fmt.Sprintf("%s runs JDK %s, which does not read the container's memory limit (JDK 8u191 and 10 do): the JVM ignores %s and sizes its default heap as 1/4 of the node's memory, so it grows past the limit and is OOM-killed",
			c.Image, j.Version, limitText(p)), heap+", or "+upgrade)
	}
	if cgroupV1(p) {
		return nil
	}
	v2 := jvmflags.CgroupV2(c.Image)
	if !v2.Known || v2.Aware {
		return nil
	}
	runs := "JDK " + v2.Version.String()
	if v2.Frozen {
		runs += " (the last build of the deprecated openjdk image)"
	}
	since := "HotSpot reads it from 8u372, 11.0.16 and 15"
	if v2.OpenJ9 {
		since = "Semeru reads it from 8u382, 11.0.20, 17.0.8 and 21"
	}
	return diag(fmt.Sprintf("%s runs %s, which does not read a cgroup v2 memory limit (%s): on cgroup v2 nodes the JVM ignores %s and sizes its default heap as 1/4 of the node's memory, so it grows past the limit and is OOM-killed",
		c.Image, runs, since, limitText(p)),
		heap+", or move to a JDK 17+, 11.0.16+ or 8u372+ image (cluster.cgroup: v1 in .oomlint.yaml if the nodes still run cgroup v1)")
}

// readJVM is the container's JVM, as the engine reads it for rules and
// policies alike.
func readJVM(p *lint.Pass) *lint.JVM { return p.Container.JVM() }

// diagnostic points at the flag of s, with the limit it was compared to.
func jvmDiagnostic(p *lint.Pass, j *lint.JVM, s *jvmflags.Setting, msg, fix string) lint.Diagnostic {
	at := j.Place(s)
	d := lint.Diagnostic{Path: at.Path, Container: p.Container.Name, Message: msg, Fix: fix}
	if at.Object != nil && at.Object != p.Object {
		d.In = at.Object
	}
	if p.Container.Limit.Usable() {
		d.Related = limitRelated(p)
		d.About = []*lint.Quantity{p.Container.Limit.Q}
	}
	return d
}

// limitRelated is the line of the limit a finding compares with: the
// container's or pod's field, or the LimitRange that supplied a default.
func limitRelated(p *lint.Pass) []lint.Related {
	q := p.Container.Limit.Q
	if p.Container.Limit.Source == lint.LimitRangeDefault && len(q.Trace) > 0 {
		return slices.Clone(q.Trace)
	}
	loc := p.Object.Origin.Locate(q.Path)
	return []lint.Related{{File: loc.File, Line: loc.Line, Column: loc.Column, Message: fmt.Sprintf("%s %s, the limit the heap is compared with", q.Field, q.Raw)}}
}

func limitText(p *lint.Pass) string {
	q := p.Container.Limit.Q
	return q.Field + " " + q.Raw
}

// heapOf is the heap a setting gives all the JVMs it applies to.
func heapOf(s *jvmflags.Setting) int64 {
	if s.JVMs > 1 && s.Bytes <= math.MaxInt64/int64(s.JVMs) {
		return s.Bytes * int64(s.JVMs)
	}
	return s.Bytes
}

func heapText(s *jvmflags.Setting) string {
	if s.JVMs > 1 {
		return fmt.Sprintf("%s (%d JVMs, %s of heap in all)", s.Text, s.JVMs, quantity.FormatBytes(heapOf(s)))
	}
	return s.Text
}

func heapFraction(p *lint.Pass) float64 {
	if f := p.Settings.HeapFraction; f > 0 && f <= 1 {
		return f
	}
	return lint.DefaultSettings().HeapFraction
}

// Cgroup v1 nodes (cluster.cgroup: v1) leave a heap less room: the v1
// memory controller throttles dirty page cache only machine-wide (per-cgroup
// writeback is a v2 feature) and accounts kernel memory apart from the
// usage the runtimes read, so page cache and kernel allocations crowd the
// limit sooner. Every heap share is this much lower there.
const v1Tightening = 0.05

// cgroupV1Note is the explain text of the runtime rules whose thresholds
// tighten on cgroup v1 nodes.
const cgroupV1Note = `
On cgroup v1 nodes (cluster.cgroup: v1 in .oomlint.yaml) the share is five
points lower (0.75 by default) and fixes aim five points lower too: the v1
memory controller throttles dirty page cache only machine-wide (per-cgroup
writeback is a cgroup v2 feature) and accounts kernel memory apart from
the usage a runtime reads, so page cache and kernel allocations take more
of the limit before the kernel reclaims them.
`

// cgroupV1 reports whether the configured nodes run cgroup v1; the default
// is v2, what current distributions and managed clusters run.
func cgroupV1(p *lint.Pass) bool { return p.Settings.Cgroup == "v1" }

// onCgroupV1 is the note a message adds when a share was tightened.
func onCgroupV1(p *lint.Pass) string {
	if cgroupV1(p) {
		return " (cgroup v1 nodes)"
	}
	return ""
}

// tighten lowers a share on cgroup v1 nodes.
func tighten(p *lint.Pass, f float64) float64 {
	if cgroupV1(p) && f > 2*v1Tightening {
		f -= v1Tightening
	}
	return math.Round(f*1e4) / 1e4
}

// headroomFraction is the share of the limit a heap may take: heapFraction,
// lower on cgroup v1 nodes.
func headroomFraction(p *lint.Pass) float64 { return tighten(p, heapFraction(p)) }

// targetShare is the share of the limit a JVM fix suggests: 75%, or
// heapFraction when that is lower, and lower again on cgroup v1 nodes.
func targetShare(p *lint.Pass) float64 { return tighten(p, math.Min(0.75, heapFraction(p))) }

// target is the heap a fix suggests: targetShare of the limit, rounded
// down to whole MiB.
func target(p *lint.Pass, limit int64) int64 {
	return int64(float64(limit)*targetShare(p)) >> 20 << 20
}

// heapFix computes both ways out: a heap that fits, or a limit that fits the heap.
func heapFix(p *lint.Pass, s *jvmflags.Setting) string {
	limit := p.Container.Limit.Bytes()
	f := targetShare(p)
	heap := target(p, limit) / int64(max(s.JVMs, 1)) >> 20 << 20
	need := int64(math.Ceil(float64(heapOf(s)) / f))
	return fmt.Sprintf("set %s (%s of the limit) or raise %s to %s",
		s.With(heap), quantity.Percent(f, 1), strings.TrimPrefix(p.Container.Limit.Q.Field, "defaulted "), roundUp(need))
}
