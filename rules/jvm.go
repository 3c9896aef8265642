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
	Family:  "jvm",
	Summary: "JVM max heap leaves too little of the memory limit for the rest of the JVM",
	Doc: `A JVM uses memory beyond its heap: metaspace, one stack per thread, the JIT
code cache, GC structures and direct buffers — typically 150–400 MiB for a
service, more with many threads or Netty/NIO. When -Xmx takes more than
heapFraction of limits.memory (default 0.8, set in .oomlint.yaml), what is
left is too little for that, and the container is OOM-killed (exit 137)
under load even though the heap itself never overflows. A common rule of
thumb is a heap of 70–75% of the limit.
` + jvmDoc,
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
	s, limit, frac := j.Settings.MaxHeap, p.Container.Limit.Bytes(), heapFraction(p)
	heap := heapOf(s)
	if heap >= limit || float64(heap) <= frac*float64(limit) {
		return nil // at or above the limit is OOM201's
	}
	return []lint.Diagnostic{jvmDiagnostic(p, j, s,
		fmt.Sprintf("%s is %s of %s, above the %s heap share: only %s is left for metaspace, thread stacks, code cache and direct buffers, so the container is OOM-killed under load",
			heapText(s), quantity.Percent(float64(heap), float64(limit)), limitText(p),
			quantity.Percent(frac, 1), quantity.FormatBytes(limit-heap)),
		heapFix(p, s))}
}

var jvmRAMPercentageHigh = &lint.Rule{
	ID: "OOM203", Name: "jvm-ram-percentage-high", Severity: lint.Warning, Scope: lint.ContainerScope,
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
` + jvmDoc,
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
	maxPct := heapFraction(p) * 100
	rec := strconv.FormatFloat(math.Min(75, maxPct), 'f', -1, 64)
	var out []lint.Diagnostic
	report := func(s *jvmflags.Setting, pct float64, what, fix string) {
		share := "of the container's memory limit (of the node's memory when there is none)"
		if p.Container.Limit.Usable() {
			limit := p.Container.Limit.Bytes()
			share = fmt.Sprintf("of %s (%s)", limitText(p), quantity.Round(int64(float64(limit)*pct/100)))
		}
		out = append(out, jvmDiagnostic(p, j, s,
			fmt.Sprintf("%s lets the %s take %s %s, above %s: metaspace, thread stacks, code cache and direct buffers do not fit beside it, so the container is OOM-killed under load",
				s.Text, what, quantity.Percent(pct, 100), share, quantity.Percent(maxPct, 100)), fix))
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
	Family:  "jvm",
	Summary: "JVM does not read the container memory limit",
	Doc: `A JVM that does not read the container's memory limit sizes its default
heap (1/4 of memory), GC threads and buffers from the node's memory. On a
64 GiB node that is a 16 GiB heap in a container limited to 1 GiB: it is
OOM-killed (exit 137) as soon as the heap grows. JDK 10 and 8u191 made
the JVM container-aware (-XX:+UseContainerSupport, on by default). This
rule fires for -XX:-UseContainerSupport, and for images whose tag names a
JDK older than 8u191 (openjdk:8u181-jre, JDK 7, JDK 9) when no explicit
max heap (-Xmx) is set; -XX:+UseCGroupMemoryLimitForHeap (8u131–8u190)
counts as container-aware. Tags that name no update (openjdk:8-jre,
latest) never fire. Not checked: JDKs before 8u372 / 11.0.16 / 15 do not
understand cgroup v2, the default on current nodes — keep JDKs updated.
With no memory limit this rule is silent (OOM101 reports that).
` + jvmDoc,
	Fix: "use a JDK 8u191+ or 11+ image, remove -XX:-UseContainerSupport, or set -Xmx to 75% of limits.memory",
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
	aware, known := j.Version.ContainerAware()
	if !known || aware || j.Settings.MaxHeap != nil || (j.Settings.CgroupMemoryLimit != nil && j.Settings.CgroupMemoryLimit.On) {
		return nil
	}
	limit := c.Limit.Bytes()
	return []lint.Diagnostic{{
		Path:      c.Path.Key("image"),
		Container: c.Name,
		Message: fmt.Sprintf("%s runs JDK %s, which does not read the container's memory limit (JDK 8u191 and 10 do): the JVM ignores %s and sizes its default heap as 1/4 of the node's memory, so it grows past the limit and is OOM-killed",
			c.Image, j.Version, limitText(p)),
		Fix:     fmt.Sprintf("set -Xmx%s (75%% of the limit), e.g. in JAVA_TOOL_OPTIONS, or move to a JDK 8u191+ image", jvmflags.FormatSize(target(p, limit))),
		Related: limitRelated(p),
	}}
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

// target is the heap a fix suggests: 75% of the limit, or heapFraction
// when that is lower, rounded down to whole MiB.
func target(p *lint.Pass, limit int64) int64 {
	f := math.Min(0.75, heapFraction(p))
	return int64(float64(limit)*f) >> 20 << 20
}

// heapFix computes both ways out: a heap that fits, or a limit that fits the heap.
func heapFix(p *lint.Pass, s *jvmflags.Setting) string {
	limit := p.Container.Limit.Bytes()
	f := math.Min(0.75, heapFraction(p))
	heap := target(p, limit) / int64(max(s.JVMs, 1)) >> 20 << 20
	need := int64(math.Ceil(float64(heapOf(s)) / f))
	return fmt.Sprintf("set %s (%s of the limit) or raise %s to %s",
		s.With(heap), quantity.Percent(f, 1), strings.TrimPrefix(p.Container.Limit.Q.Field, "defaulted "), roundUp(need))
}
