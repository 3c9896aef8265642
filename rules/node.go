package rules

import (
	"fmt"
	"math"
	"path"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/quantity"
	"github.com/oomlint/oomlint/internal/runtimeflags"
	"github.com/oomlint/oomlint/lint"
)

// The OOM21x family: Node.js's --max-old-space-size against the
// container's effective memory limit.

var nodeHeapExceedsLimit = &lint.Rule{
	ID: "OOM211", Name: "node-heap-exceeds-limit", Severity: lint.Error, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "nodejs",
	Summary: "Node.js --max-old-space-size at or above the container memory limit",
	Doc: `--max-old-space-size caps V8's old generation, which is only part of a
Node.js process: the young generation (semi-spaces), code space, Buffers and
other off-heap memory, native addons, thread stacks and libuv's thread pool
come on top. With the old space allowed to grow to the memory limit, V8 never
feels pressure to collect before the kernel does: the container is
OOM-killed (exit 137) instead of failing with a JavaScript heap out of
memory error, and without a heap snapshot to tell why. The flag is read from
the node command line (before the script) and from NODE_OPTIONS; a flag on
the command line overrides NODE_OPTIONS, and the last one wins.`,
	Fix: "keep --max-old-space-size at or below 75% of limits.memory (in MiB)",
	Example: `containers:
  - name: web
    image: node:20-alpine
    command: ["node", "--max-old-space-size=1024", "server.js"]
    resources:
      requests:
        memory: 512Mi
      limits:
        memory: 1Gi`,
	Good: `containers:
  - name: web
    image: node:20-alpine
    command: ["node", "--max-old-space-size=768", "server.js"]
    resources:
      requests:
        memory: 512Mi
      limits:
        memory: 1Gi`,
	Check: checkNodeHeapExceedsLimit,
}

func checkNodeHeapExceedsLimit(p *lint.Pass) []lint.Diagnostic {
	return checkNodeHeap(p, func(heap, limit int64) bool { return heap >= limit },
		"%s is %s of %s %s: the old space alone may fill the container, and the rest of the process (young generation, Buffers, native memory) pushes it over the limit, so it is OOM-killed")
}

var nodeHeapHeadroom = &lint.Rule{
	ID: "OOM212", Name: "node-heap-headroom", Severity: lint.Warning, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "nodejs",
	Summary: "Node.js --max-old-space-size leaves little of the memory limit for the rest of the process",
	Doc: `--max-old-space-size caps only V8's old generation. The young generation,
code space, Buffers and ArrayBuffers (kept outside the JavaScript heap),
native addons and thread stacks need memory of their own, typically a few
hundred MiB under load. An old space above heapFraction (default 0.8) of the
memory limit leaves too little for them: under load the container reaches
the limit before V8 collects, and it is OOM-killed (exit 137).
` + cgroupV1Note,
	Fix: "keep --max-old-space-size at or below 75% of limits.memory (in MiB)",
	Example: `containers:
  - name: web
    image: node:20-alpine
    env:
      - name: NODE_OPTIONS
        value: --max-old-space-size=900
    resources:
      requests:
        memory: 512Mi
      limits:
        memory: 1Gi`,
	Good: `containers:
  - name: web
    image: node:20-alpine
    env:
      - name: NODE_OPTIONS
        value: --max-old-space-size=768
    resources:
      requests:
        memory: 512Mi
      limits:
        memory: 1Gi`,
	Check: checkNodeHeapHeadroom,
}

func checkNodeHeapHeadroom(p *lint.Pass) []lint.Diagnostic {
	frac := headroomFraction(p)
	return checkNodeHeap(p, func(heap, limit int64) bool {
		return heap < limit && float64(heap) > frac*float64(limit)
	}, "%s is %s of %s %s (above heapFraction "+trimFloat(frac)+onCgroupV1(p)+"): too little is left for the young generation, Buffers and native memory, so under load the container is OOM-killed")
}

// checkNodeHeap compares each --max-old-space-size that reaches a node
// process with the limit; format takes the flag, the percentage and the
// limit's field and value.
func checkNodeHeap(p *lint.Pass, fires func(heap, limit int64) bool, format string) []lint.Diagnostic {
	c := p.Container
	if !c.Limit.Usable() || c.Limit.Bytes() <= 0 {
		return nil
	}
	var out []lint.Diagnostic
	for _, s := range c.Process.NodeHeap() {
		if !s.Heap.Valid || !fires(s.Heap.Bytes(), c.Limit.Bytes()) {
			continue
		}
		limit := c.Limit.Bytes()
		target, share := heapTarget(limit, headroomFraction(p))
		out = append(out, lint.Diagnostic{
			Path: s.At.Path, In: s.At.Object, Container: c.Name,
			Message: fmt.Sprintf(format, nodeWhat(s), quantity.Percent(float64(s.Heap.Bytes()), float64(limit)), c.Limit.Q.Field, c.Limit.Q.Raw),
			Fix: fmt.Sprintf("set --max-old-space-size=%d (%s of %s %s) or raise the limit to %s",
				target>>20, sharePercent(share), c.Limit.Q.Field, c.Limit.Q.Raw, raiseTo(s.Heap.Bytes(), share)),
			Related: comparedWithLimit(p),
		})
	}
	return out
}

var nodeHeapUnset = &lint.Rule{
	ID: "OOM213", Name: "node-heap-unset", Severity: lint.Info, Scope: lint.ContainerScope,
	Since:  "0.1.0",
	Family: "nodejs", Precision: lint.MediumPrecision,
	Summary: "Node.js container with a memory limit and no --max-old-space-size",
	Doc: `Without --max-old-space-size, V8 picks the old-space limit itself. Node.js 12
and later size it from the memory they can see, the cgroup limit included,
but the old space is only part of the heap, and the default share differs
between Node.js versions: on some the old space alone may approach the
container limit, on others it is capped far below it, wasting the memory you
pay for. Either way the process does not know that Buffers, the young
generation and native memory share the same limit, so a heap that grows
meets the kernel's OOM killer (exit 137) rather than a JavaScript heap out
of memory error. Setting the flag at about 75% of limits.memory makes the
behaviour explicit and the same on every Node.js version. A container is
Node.js when a command runs node, nodejs, npm, npx, yarn or pnpm, or its
image is a node image (node:20-alpine, bitnami/node, …/node).`,
	Fix: "set --max-old-space-size to about 75% of limits.memory in MiB, in NODE_OPTIONS or on the node command line",
	Example: `containers:
  - name: web
    image: node:20-alpine
    command: ["node", "server.js"]
    resources:
      requests:
        memory: 512Mi
      limits:
        memory: 1Gi`,
	Good: `containers:
  - name: web
    image: node:20-alpine
    command: ["node", "server.js"]
    env:
      - name: NODE_OPTIONS
        value: --max-old-space-size=768
    resources:
      requests:
        memory: 512Mi
      limits:
        memory: 1Gi`,
	Check: checkNodeHeapUnset,
}

func checkNodeHeapUnset(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	if !c.Limit.Usable() || c.Limit.Bytes() <= 0 || len(c.Process.NodeHeap()) > 0 {
		return nil
	}
	if v, ok := c.Process.Lookup("NODE_OPTIONS"); ok && !v.Known {
		return nil // set from a ConfigMap we cannot see: say nothing rather than guess
	}
	at, what, ok := nodeEvidence(p)
	if !ok {
		return nil
	}
	if unresolvedEnvFrom(c) {
		return nil // NODE_OPTIONS may come from a ConfigMap or Secret we cannot see
	}
	if _, unaware := nodeCgroupV2Unaware(p); unaware {
		return nil // OOM214 reports the same container as an error
	}
	target, share := heapTarget(c.Limit.Bytes(), headroomFraction(p))
	return []lint.Diagnostic{{
		Path: at.Path, In: at.Object, Container: c.Name,
		Message: fmt.Sprintf("%s %q runs Node.js (%s) with %s %s and no --max-old-space-size: V8 sizes its old space on its own, which is only part of the process's memory",
			c.Role, c.Name, what, c.Limit.Q.Field, c.Limit.Q.Raw),
		Fix: fmt.Sprintf("set NODE_OPTIONS=--max-old-space-size=%d (%s of %s %s)",
			target>>20, sharePercent(share), c.Limit.Q.Field, c.Limit.Q.Raw),
		Related: comparedWithLimit(p),
	}}
}

var nodeNotContainerAware = &lint.Rule{
	ID: "OOM214", Name: "node-not-container-aware", Severity: lint.Error, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "nodejs",
	Summary: "Node.js version that cannot read a cgroup v2 memory limit, with no --max-old-space-size",
	Doc: `Without --max-old-space-size, Node.js tells V8 how much memory there is and
V8 sizes its heap from that. Node.js asks libuv (uv_get_constrained_memory),
which read only cgroup v1 until libuv 1.45.0 (libuv#3744), first shipped in
Node.js 20.3.0; the 18 line and older never read a cgroup v2 limit
(nodejs/node#47259; the Kubernetes cgroup v2 migration guide says the same).
On a cgroup v2 node, the default on current distributions and managed
clusters, such a Node.js sees the node's memory instead of limits.memory:
V8 allows a heap of 2–4 GiB in a container limited to far less, collects
late, and the kernel OOM-kills the container (exit 137) instead of V8
failing with a heap out of memory error.

The version comes from the image tag: node:18-alpine, node:16.20.2,
node:20.2.0, node:hydrogen, bitnami/node:18, ubi9/nodejs-18. A tag that
names only the major version runs the newest release of that line:
node:20 has the fix, node:18 never will. Tags such as lts or latest name
no version and never fire. An explicit --max-old-space-size (command line
or NODE_OPTIONS) makes the heap independent of what Node.js sees, so the
rule is then silent. Nodes are taken to run cgroup v2 unless .oomlint.yaml
says cluster.cgroup: v1, where Node.js 12 and later read the limit.`,
	Fix: "set NODE_OPTIONS=--max-old-space-size to about 75% of limits.memory in MiB, or move to Node.js 20.3.0 or later",
	Example: `containers:
  - name: web
    image: node:18-alpine
    command: ["node", "server.js"]
    resources:
      limits:
        memory: 512Mi`,
	Good: `containers:
  - name: web
    image: node:22-alpine
    command: ["node", "server.js"]
    resources:
      limits:
        memory: 512Mi`,
	Check: checkNodeNotContainerAware,
}

// nodeCgroupV2Unaware reports whether the container runs a Node.js that
// cannot see its cgroup v2 limit and nothing sets the heap: the image's
// version, and whether it falls short.
func nodeCgroupV2Unaware(p *lint.Pass) (runtimeflags.Version, bool) {
	c := p.Container
	if cgroupV1(p) || !c.Limit.Usable() || c.Limit.Bytes() <= 0 || len(c.Process.NodeHeap()) > 0 {
		return runtimeflags.Version{}, false
	}
	v, ok := runtimeflags.NodeImageVersion(c.Image)
	if !ok || runtimeflags.NodeReadsCgroupV2(v) {
		return v, false
	}
	if e, ok := c.Process.Lookup("NODE_OPTIONS"); (ok && !e.Known) || unresolvedEnvFrom(c) {
		return v, false // the flag may be set where we cannot see
	}
	return v, true
}

func checkNodeNotContainerAware(p *lint.Pass) []lint.Diagnostic {
	v, unaware := nodeCgroupV2Unaware(p)
	if !unaware {
		return nil
	}
	c := p.Container
	target, share := heapTarget(c.Limit.Bytes(), headroomFraction(p))
	return []lint.Diagnostic{{
		Path: c.Path.Key("image"), Container: c.Name,
		Message: fmt.Sprintf("%s runs Node.js %s, which does not read a cgroup v2 memory limit (Node.js 20.3.0 and later do): on cgroup v2 nodes V8 sizes its heap from the node's memory instead of %s %s, so the heap grows past the limit and the container is OOM-killed",
			c.Image, v, c.Limit.Q.Field, c.Limit.Q.Raw),
		Fix: fmt.Sprintf("set NODE_OPTIONS=--max-old-space-size=%d (%s of %s %s), or move to Node.js 20.3.0 or later (cluster.cgroup: v1 in .oomlint.yaml if the nodes still run cgroup v1)",
			target>>20, sharePercent(share), c.Limit.Q.Field, c.Limit.Q.Raw),
		Related: comparedWithLimit(p),
	}}
}

// nodeWhat names a --max-old-space-size and where it came from.
func nodeWhat(s lint.NodeHeap) string {
	flag := fmt.Sprintf("--max-old-space-size=%s (%s)", s.Heap.Raw, quantity.FormatBytes(s.Heap.Bytes()))
	if s.Source != "" {
		return s.Source + " " + flag
	}
	return flag
}

// nodeEvidence says why a container is Node.js and where to point: the
// command word that starts node, else the image.
func nodeEvidence(p *lint.Pass) (lint.Place, string, bool) {
	c := p.Container
	if c.Process != nil {
		for _, cmd := range c.Process.Commands {
			prog, rest := cmd.Program()
			if lint.IsNodeProgram(prog) {
				w := cmd[len(cmd)-len(rest)-1]
				return w.At, "its command runs " + prog, true
			}
		}
	}
	if isNodeImage(c.Image) {
		return lint.Place{Object: p.Object, Path: c.Path.Key("image")}, "image " + c.Image, true
	}
	return lint.Place{}, "", false
}

// isNodeImage reports whether an image reference names a Node.js image:
// node:20-alpine, docker.io/library/node, bitnami/node, cgr.dev/chainguard/node,
// registry.access.redhat.com/ubi9/nodejs-20.
func isNodeImage(image string) bool {
	name, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		name = name[:i]
	}
	last := path.Base(strings.ToLower(name))
	return last == "node" || last == "nodejs" || strings.HasPrefix(last, "nodejs-")
}

func wordValues(ws []lint.Word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Value
	}
	return out
}

// Shared by the runtime families (OOM21x, OOM22x, OOM24x).

// comparedWithLimit is the related location of the limit a heap setting is
// compared with: the limit's own line, or the LimitRange that defaulted it.
func comparedWithLimit(p *lint.Pass) []lint.Related {
	q := p.Container.Limit.Q
	msg := fmt.Sprintf("compared with %s %s", q.Field, q.Raw)
	if len(q.Trace) > 0 {
		t := q.Trace[0]
		return []lint.Related{{File: t.File, Line: t.Line, Column: t.Column, Message: msg}}
	}
	l := p.Object.Origin.Locate(q.Path)
	return []lint.Related{{File: l.File, Line: l.Line, Column: l.Column, Message: msg}}
}

// heapTarget is the heap size a fix suggests, and its share of the limit:
// five points below the allowed fraction (75% for heapFraction 0.8, 85% for
// Go's 0.9), rounded down to whole MiB.
func heapTarget(limit int64, fraction float64) (int64, float64) {
	share := math.Round((fraction-0.05)*1e4) / 1e4
	if share <= 0 {
		share = fraction
	}
	exact := int64(float64(limit) * share)
	if target := exact >> 20 << 20; target > 0 {
		return target, share
	}
	return exact, share
}

// sharePercent renders a share as a percentage: 75%, 85%.
func sharePercent(share float64) string {
	return quantity.Percent(math.Round(share*1e4)/100, 100)
}

// raiseTo is the limit at which heap would be share of it, rounded up to
// whole Mi.
func raiseTo(heap int64, share float64) string {
	return roundUp(int64(math.Ceil(float64(heap) / share)))
}

// unresolvedEnvFrom reports whether the container takes variables from a
// Secret or from a ConfigMap that is not in the repo: a runtime setting may
// hide there, so rules about a missing setting stay silent.
func unresolvedEnvFrom(c *lint.Container) bool {
	seq := yamlnode.Get(c.Node, "envFrom")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return false
	}
	var env []lint.EnvVar
	if c.Process != nil {
		env = c.Process.Env
	}
	for _, n := range seq.Content {
		if yamlnode.Get(n, "secretRef") != nil {
			return true
		}
		ref := yamlnode.Get(n, "configMapRef")
		if ref == nil {
			continue
		}
		name := ""
		if v := yamlnode.Get(ref, "name"); v != nil {
			name = v.Value
		}
		found := false
		for _, e := range env {
			if o := e.At.Object; o != nil && o.Kind == "ConfigMap" && o.Name == name {
				found = true
				break
			}
		}
		if !found {
			return true
		}
	}
	return false
}

// trimFloat renders a threshold as written in the config: 0.8, 0.9.
func trimFloat(f float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}
