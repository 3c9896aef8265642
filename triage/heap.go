package triage

import (
	"fmt"
	"math"

	"github.com/oomlint/oomlint/internal/jvmflags"
	"github.com/oomlint/oomlint/internal/quantity"
	"github.com/oomlint/oomlint/internal/runtimeflags"
	"github.com/oomlint/oomlint/lint"
)

// heapLine is a runtime's heap setting of a container, where it is written
// and what it should become with the suggested limit.
type heapLine struct {
	at  lint.Location
	msg string // "JAVA_TOOL_OPTIONS sets -Xmx1g, 100% of limits.memory 1Gi"
	fix string // "-Xmx1152m (75% of 1536Mi)"; "" when it follows the limit or no limit is suggested
}

// heapShares are the shares of a limit the heap fixes suggest, as the
// runtime rules' fixes do: a JVM heap at 75% (or heapFraction when lower),
// Node.js and .NET heaps five points below heapFraction (75%), GOMEMLIMIT
// five points below goMemLimitFraction (85%).
func heapShares(s lint.Settings) (jvm, heap, goMem float64) {
	def := lint.DefaultSettings()
	hf, gf := s.HeapFraction, s.GoMemLimitFraction
	if hf <= 0 || hf > 1 {
		hf = def.HeapFraction
	}
	if gf <= 0 || gf > 1 {
		gf = def.GoMemLimitFraction
	}
	return math.Min(0.75, hf), share(hf), share(gf)
}

func share(fraction float64) float64 {
	s := math.Round((fraction-0.05)*1e4) / 1e4
	if s <= 0 {
		return fraction
	}
	return s
}

// heapLines finds the heap settings of a container (JVM, Node.js, Go,
// .NET) with what each should be at limit bytes (0: no limit suggested).
func heapLines(o *lint.Object, c *lint.Container, s lint.Settings, limit int64) []heapLine {
	jvm, heap, goMem := heapShares(s)
	var out []heapLine
	now := ""
	if c.Limit.Usable() {
		now = c.Limit.Q.Raw
	}
	pct := func(b int64) string {
		if now == "" {
			return ""
		}
		return fmt.Sprintf(", %s of limits.memory %s", quantity.Percent(float64(b), float64(c.Limit.Bytes())), now)
	}
	of := func(share float64) string {
		return fmt.Sprintf("%s of %s", quantity.Percent(share, 1), quantity.Round(limit))
	}
	if j := c.JVM(); j != nil {
		out = append(out, jvmLines(o, c, j, jvm, limit, pct, of)...)
	}
	for _, h := range c.Process.NodeHeap() {
		if !h.Heap.Valid {
			continue
		}
		l := heapLine{at: locate(o, h.At), msg: fmt.Sprintf("%s sets --max-old-space-size=%d%s", orCommand(h.Source), h.Heap.MiB, pct(h.Heap.Bytes()))}
		if limit > 0 {
			l.fix = fmt.Sprintf("--max-old-space-size=%d (%s)", int64(float64(limit)*heap)>>20, of(heap))
		}
		out = append(out, l)
	}
	for _, g := range c.GoMemLimit() {
		v, ok := g.Bytes(c)
		l := heapLine{at: locate(o, g.At)}
		switch {
		case g.Field != "":
			l.msg = fmt.Sprintf("GOMEMLIMIT is the container's %s (a resourceFieldRef): it follows the limit, with no headroom for memory Go does not count", g.Field)
		case ok:
			l.msg = fmt.Sprintf("GOMEMLIMIT=%s%s", g.Raw, pct(v))
		default:
			l.msg = fmt.Sprintf("GOMEMLIMIT=%s", g.Raw)
		}
		if limit > 0 {
			l.fix = fmt.Sprintf("GOMEMLIMIT=%s (%s)", runtimeflags.FormatGoMemLimit(int64(float64(limit)*goMem)>>20<<20), of(goMem))
		}
		out = append(out, l)
	}
	if v, name, ok := c.Process.DotnetSetting("GCHeapHardLimit"); ok && v.Known {
		l := heapLine{at: locate(o, v.At), msg: fmt.Sprintf("%s=%s", name, v.Value)}
		if n, parsed := runtimeflags.ParseDotnetHex(v.Value); parsed && n > 0 && n < math.MaxInt64 {
			l.msg += fmt.Sprintf(" (%s)%s", quantity.FormatBytes(int64(n)), pct(int64(n)))
		}
		if limit > 0 {
			l.fix = fmt.Sprintf("%s=0x%X (%s)", name, int64(float64(limit)*heap)>>20<<20, of(heap))
		}
		out = append(out, l)
	}
	return out
}

// jvmLines describes a JVM's max heap: -Xmx and its kin, else
// MaxRAMPercentage, which follows the limit.
func jvmLines(o *lint.Object, c *lint.Container, j *lint.JVM, share float64, limit int64, pct func(int64) string, of func(float64) string) []heapLine {
	if s := j.Settings.MaxHeap; s != nil {
		jvms := int64(max(s.JVMs, 1))
		l := heapLine{at: locate(o, j.Place(s)), msg: fmt.Sprintf("%s sets %s%s", jvmSource(c, j, s), s.Text, pct(s.Bytes*jvms))}
		if limit > 0 {
			l.fix = fmt.Sprintf("%s (%s)", s.With(int64(float64(limit)*share)/jvms>>20<<20), of(share))
		}
		return []heapLine{l}
	}
	s := j.Settings.MaxRAMPercentage
	if s == nil {
		return nil
	}
	l := heapLine{at: locate(o, j.Place(s)), msg: fmt.Sprintf("%s sets %s: the heap follows the limit", jvmSource(c, j, s), s.Text)}
	if limit > 0 {
		l.msg += fmt.Sprintf(" (%s of %s)", quantity.Round(int64(float64(limit)*s.Percent/100)), quantity.Round(limit))
		if s.Percent > share*100 {
			l.fix = fmt.Sprintf("-XX:MaxRAMPercentage=%s", trimFloat(share*100))
		}
	}
	return []heapLine{l}
}

// jvmSource names where a JVM flag is written: its variable, also when a
// script expanded it onto the java command line.
func jvmSource(c *lint.Container, j *lint.JVM, s *jvmflags.Setting) string {
	if src := j.Sources[s.Source]; src.Env != nil {
		return src.Env.Name
	}
	at := j.Place(s)
	for _, e := range c.Process.Env {
		if e.At.Object == at.Object && e.At.Path.String() == at.Path.String() {
			return e.Name
		}
	}
	return "the java command line"
}

func orCommand(source string) string {
	if source == "" {
		return "the command line"
	}
	return source
}

// locate finds where a runtime setting is written: in the object, or in the
// ConfigMap it was read from.
func locate(o *lint.Object, at lint.Place) lint.Location {
	if at.Object != nil && at.Object != o {
		return at.Object.Origin.Locate(at.Path)
	}
	return o.Origin.Locate(at.Path)
}

func trimFloat(f float64) string {
	return fmt.Sprintf("%g", math.Round(f*100)/100)
}
