package rules

import (
	"errors"
	"fmt"
	"math"

	"github.com/oomlint/oomlint/internal/quantity"
	"github.com/oomlint/oomlint/internal/runtimeflags"
	"github.com/oomlint/oomlint/lint"
)

// The OOM22x family: Go's GOMEMLIMIT against the container's effective
// memory limit. Only containers that set GOMEMLIMIT are looked at: a Go
// program without it ignores the cgroup limit entirely, but nothing in a
// manifest says that a container runs Go.

const goMemLimitDoc = `GOMEMLIMIT (Go 1.19+) is a soft limit on the memory the Go runtime
manages: heap, goroutine stacks and runtime metadata, not cgo or other
non-Go memory. As the total nears it the garbage collector runs more often,
but it never refuses an allocation: a live heap larger than the limit simply
grows past it. Set at or near limits.memory, the GC starts working hard only
when the kernel is about to OOM-kill the container (exit 137), and anything
outside the Go runtime's count (cgo, mmapped files, the binary) is already
over. Leave headroom: about 85–90% of the limit.`

var goMemLimitExceedsLimit = &lint.Rule{
	ID: "OOM221", Name: "go-memlimit-exceeds-limit", Severity: lint.Error, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "go",
	Summary: "GOMEMLIMIT at or above the container memory limit",
	Doc: goMemLimitDoc + `

GOMEMLIMIT from valueFrom.resourceFieldRef with resource: limits.memory
and no divisor is exactly the limit, on purpose: OOM222 reports it, as a
warning. A resourceFieldRef on requests.memory is compared like a literal.`,
	Fix: "set GOMEMLIMIT to about 85% of limits.memory as a literal (e.g. 870MiB for 1Gi)",
	Example: `containers:
  - name: api
    image: example/go-api:1.2
    env:
      - name: GOMEMLIMIT
        value: 1GiB
    resources:
      requests:
        memory: 512Mi
      limits:
        memory: 1Gi`,
	Good: `containers:
  - name: api
    image: example/go-api:1.2
    env:
      - name: GOMEMLIMIT
        value: 870MiB
    resources:
      requests:
        memory: 512Mi
      limits:
        memory: 1Gi`,
	Check: checkGoMemLimitExceedsLimit,
}

func checkGoMemLimitExceedsLimit(p *lint.Pass) []lint.Diagnostic {
	return checkGoMemLimit(p, func(s lint.GoMemLimit, v, limit int64) bool { return v >= limit && !wholeLimit(s) },
		"%s is %s of %s %s: GOMEMLIMIT is a soft limit, so the GC only works hard once memory is already at the container's limit, and the kernel OOM-kills it first")
}

var goMemLimitHeadroom = &lint.Rule{
	ID: "OOM222", Name: "go-memlimit-headroom", Severity: lint.Warning, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "go",
	Summary: "GOMEMLIMIT leaves little of the memory limit for memory Go does not count",
	Doc: goMemLimitDoc + `

This rule fires above goMemLimitFraction (default 0.9) of the limit.

It also takes GOMEMLIMIT from valueFrom.resourceFieldRef with resource:
limits.memory and no divisor, a pattern several upstream charts use on
purpose: the kubelet writes the whole limit in bytes, so the GC keeps the
heap from doubling past the limit (better than no GOMEMLIMIT), but starts
working hard only when the container is already at its limit, and memory
Go does not count (cgo, mmapped files, the binary) is over it by then. A
divisor on GOMEMLIMIT itself cannot take a share: the only memory divisors
Kubernetes accepts are units (1Mi, 1Gi, …), and Go reads the result (1024
for 1Gi with divisor 1Mi) as bytes. Write a literal at 85–90% of the limit,
or, to follow the limit, read it in MiB into another variable (divisor:
1Mi) and compute the share with a unit in the command.`,
	Fix: "set GOMEMLIMIT to about 85% of limits.memory",
	Example: `env:
  - name: GOMEMLIMIT
    value: 980MiB
resources:
  limits:
    memory: 1Gi`,
	Good: `env:
  - name: GOMEMLIMIT
    value: 870MiB
resources:
  limits:
    memory: 1Gi`,
	Check: checkGoMemLimitHeadroom,
}

func checkGoMemLimitHeadroom(p *lint.Pass) []lint.Diagnostic {
	frac := p.Settings.GoMemLimitFraction
	return checkGoMemLimit(p, func(s lint.GoMemLimit, v, limit int64) bool {
		return (v < limit || wholeLimit(s)) && float64(v) > frac*float64(limit)
	},
		"%s is %s of %s %s (above goMemLimitFraction "+trimFloat(frac)+"): GOMEMLIMIT is a soft limit that does not count cgo or other non-Go memory, so the container can reach its limit before the GC reacts")
}

// wholeLimit reports a GOMEMLIMIT from a resourceFieldRef on limits.memory
// without a divisor: the whole limit, a deliberate pattern OOM222 reports
// rather than OOM221.
func wholeLimit(s lint.GoMemLimit) bool {
	return s.Field == "limits.memory" && (s.Divisor == "" || s.Divisor == "1")
}

// checkGoMemLimit compares the container's GOMEMLIMIT with its limit;
// format takes the setting, the percentage and the limit's field and value.
func checkGoMemLimit(p *lint.Pass, fires func(s lint.GoMemLimit, v, limit int64) bool, format string) []lint.Diagnostic {
	c := p.Container
	if !c.Limit.Usable() || c.Limit.Bytes() <= 0 {
		return nil
	}
	limit := c.Limit.Bytes()
	var out []lint.Diagnostic
	for _, s := range c.GoMemLimit() {
		v, ok := s.Bytes(c)
		if !ok || !fires(s, v, limit) {
			continue
		}
		target, share := heapTarget(limit, p.Settings.GoMemLimitFraction)
		pct := quantity.Percent(float64(v), float64(limit))
		msg := fmt.Sprintf(format, goMemLimitWhat(s, c), pct, c.Limit.Q.Field, c.Limit.Q.Raw)
		fix := fmt.Sprintf("set GOMEMLIMIT=%s (%s of %s %s) or raise the limit to %s",
			runtimeflags.FormatGoMemLimit(target), sharePercent(share), c.Limit.Q.Field, c.Limit.Q.Raw, raiseTo(v, share))
		switch {
		case wholeLimit(s):
			msg = fmt.Sprintf("%s is %s of %s %s: the GC starts working hard only when the container is already at its limit, and memory Go does not count (cgo, mmapped files, the binary) is over it by then",
				goMemLimitWhat(s, c), pct, c.Limit.Q.Field, c.Limit.Q.Raw)
			fix = fmt.Sprintf("replace the resourceFieldRef with value: %s (%s of %s %s), or, to follow the limit, read it in MiB into another variable (resourceFieldRef divisor: 1Mi) and set GOMEMLIMIT=$((LIMIT_MIB*%d/100))MiB in the command: a divisor on GOMEMLIMIT itself gives a number Go reads as bytes",
				runtimeflags.FormatGoMemLimit(target), sharePercent(share), c.Limit.Q.Field, c.Limit.Q.Raw, int(math.Round(share*100)))
		case s.Field != "":
			fix = fmt.Sprintf("replace the resourceFieldRef with value: %s (%s of %s %s): a resourceFieldRef gives the whole value and cannot take a share of it",
				runtimeflags.FormatGoMemLimit(target), sharePercent(share), c.Limit.Q.Field, c.Limit.Q.Raw)
		}
		out = append(out, lint.Diagnostic{
			Path: s.At.Path, In: s.At.Object, Container: c.Name,
			Message: msg, Fix: fix,
			Related: comparedWithLimit(p),
		})
	}
	return out
}

var goMemLimitInvalid = &lint.Rule{
	ID: "OOM223", Name: "go-memlimit-invalid", Severity: lint.Error, Scope: lint.ContainerScope,
	Since:  "0.1.0",
	Family: "go", Precision: lint.VeryHighPrecision,
	Summary: "GOMEMLIMIT in a syntax the Go runtime rejects",
	Doc: `The Go runtime reads GOMEMLIMIT at start-up and aborts with "malformed
GOMEMLIMIT; see go doc runtime/debug.SetMemoryLimit" when it does not parse,
so the container crash-loops before main runs. Go accepts "off", or a whole,
non-negative number of bytes with an optional suffix B, KiB, MiB, GiB or TiB
(1024-based, case-sensitive). Kubernetes quantities (512Mi, 1Gi), decimal
units (512MB, 2G), fractions (1.5GiB), lowercase units (512mib) and spaces
(512 MiB) are all rejected.`,
	Fix: "write GOMEMLIMIT as a whole number with B, KiB, MiB, GiB or TiB: 512Mi → 512MiB, 2G → 2GiB, 1.5GiB → 1536MiB",
	Example: `env:
  - name: GOMEMLIMIT
    value: 512Mi`,
	Good: `env:
  - name: GOMEMLIMIT
    value: 512MiB`,
	Check: checkGoMemLimitInvalid,
}

func checkGoMemLimitInvalid(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	var out []lint.Diagnostic
	for _, s := range c.GoMemLimit() {
		if s.Field != "" {
			continue // the kubelet writes a plain integer
		}
		_, _, err := runtimeflags.ParseGoMemLimit(s.Raw)
		if !errors.Is(err, runtimeflags.ErrGoMemLimit) {
			continue
		}
		fix := "write a whole number with B, KiB, MiB, GiB or TiB (e.g. 512MiB), or off"
		if sug := runtimeflags.SuggestGoMemLimit(s.Raw); sug != "" {
			fix = "write GOMEMLIMIT=" + sug + " (Go accepts a whole number with B, KiB, MiB, GiB or TiB, or off)"
			if b, _, err := runtimeflags.ParseGoMemLimit(sug); err == nil && c.Limit.Usable() && c.Limit.Bytes() > 0 &&
				float64(b) > p.Settings.GoMemLimitFraction*float64(c.Limit.Bytes()) {
				target, share := heapTarget(c.Limit.Bytes(), p.Settings.GoMemLimitFraction)
				fix += fmt.Sprintf("; %s is %s of %s %s, so use %s (%s)", sug,
					quantity.Percent(float64(b), float64(c.Limit.Bytes())), c.Limit.Q.Field, c.Limit.Q.Raw,
					runtimeflags.FormatGoMemLimit(target), sharePercent(share))
			}
		}
		out = append(out, lint.Diagnostic{
			Path: s.At.Path, In: s.At.Object, Container: c.Name,
			Message: fmt.Sprintf("GOMEMLIMIT=%s is not in Go's syntax: the Go runtime aborts at start with \"malformed GOMEMLIMIT\" and the container crash-loops", s.Raw),
			Fix:     fix,
		})
	}
	return out
}

// goMemLimitWhat names a GOMEMLIMIT and how Go reads it.
func goMemLimitWhat(s lint.GoMemLimit, c *lint.Container) string {
	if s.Field == "" {
		return "GOMEMLIMIT=" + s.Raw
	}
	v, _ := s.Bytes(c)
	if s.Divisor == "" || s.Divisor == "1" {
		return fmt.Sprintf("GOMEMLIMIT from resourceFieldRef %s (%d bytes: the whole value)", s.Field, v)
	}
	return fmt.Sprintf("GOMEMLIMIT from resourceFieldRef %s with divisor %s (%d, read by Go as bytes)", s.Field, s.Divisor, v)
}
