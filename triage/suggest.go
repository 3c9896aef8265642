package triage

import (
	"fmt"
	"math"

	"github.com/oomlint/oomlint/internal/quantity"
)

// Margins of the suggested limit over what was measured.
const (
	vpaMargin   = 1.20 // VPA upperBound + 20%
	peakMargin  = 1.25 // observed peak + 25%
	guessFactor = 1.5  // 1.5 × the limit that was killed, without data
)

// Suggestion is the limit triage proposes and why.
type Suggestion struct {
	Bytes int64  // 0 when there is nothing to base a number on
	Basis string // "VPA shop/checkout upperBound 1.1Gi + 20%"
	Guess bool   // no measurement behind it
}

// Value is the suggested limit as a person writes it: 1536Mi, 2Gi.
func (s Suggestion) Value() string {
	if s.Bytes <= 0 {
		return ""
	}
	return quantity.Round(s.Bytes)
}

// suggest proposes a limit for a group: VPA's upperBound + 20% when a VPA
// recommends one for the container, else the peak usage seen + 25%, else
// 1.5 × the limit the container was killed at (a guess). A measured value
// that is not above the killed limit cannot be right, so the guess wins.
func suggest(g *Group, c *Cluster, killedAt int64) Suggestion {
	var measured []Suggestion
	if rec, vpa, ok := vpaUpperBound(c, g); ok {
		measured = append(measured, Suggestion{Bytes: roundUpMi(float64(rec) * vpaMargin),
			Basis: fmt.Sprintf("VPA %s/%s upperBound %s + 20%%", g.Namespace, vpa, quantity.FormatBytes(rec))})
	}
	if peak, src, ok := peakUsage(c, g); ok {
		measured = append(measured, Suggestion{Bytes: roundUpMi(float64(peak) * peakMargin),
			Basis: fmt.Sprintf("peak usage %s (%s) + 25%%", quantity.FormatBytes(peak), src)})
	}
	var below []string
	for _, s := range measured {
		if killedAt <= 0 || s.Bytes > killedAt {
			return s
		}
		below = append(below, s.Basis+" is "+s.Value())
	}
	if killedAt <= 0 {
		return Suggestion{Guess: true, Basis: "no limit and no VPA recommendation or usage data to size one from"}
	}
	s := Suggestion{Bytes: roundUpMi(float64(killedAt) * guessFactor), Guess: true,
		Basis: fmt.Sprintf("1.5 × %s, a guess: no VPA recommendation or usage data", quantity.FormatBytes(killedAt))}
	if len(below) > 0 {
		s.Basis = fmt.Sprintf("1.5 × %s, a guess: %s, not above the limit the container was killed at", quantity.FormatBytes(killedAt), below[0])
	}
	return s
}

// vpaUpperBound finds the memory upperBound a VPA recommends for the
// group's container: a VPA in the namespace whose targetRef names one of
// the workloads the pods may belong to.
func vpaUpperBound(c *Cluster, g *Group) (int64, string, bool) {
	for _, v := range c.VPAs {
		if v.Metadata.Namespace != g.Namespace || !refersTo(v, g.Refs) {
			continue
		}
		for _, r := range v.Status.Recommendation.ContainerRecommendations {
			if r.ContainerName != g.Container {
				continue
			}
			if b, ok := parseBytes(r.UpperBound["memory"]); ok && b > 0 {
				return b, v.Metadata.Name, true
			}
		}
	}
	return 0, "", false
}

func refersTo(v VPA, refs []Ref) bool {
	for _, r := range refs {
		if v.Spec.TargetRef.Kind == r.Kind && v.Spec.TargetRef.Name == r.Name {
			return true
		}
	}
	return false
}

// peakUsage is the highest memory sample of the group's container in its
// pods: kubectl top rows (a pod total counts for a pod of one container)
// and eviction messages.
func peakUsage(c *Cluster, g *Group) (int64, string, bool) {
	pods := map[string]*Pod{}
	for _, name := range g.Pods() {
		for i := range c.Pods {
			if p := &c.Pods[i]; p.Metadata.Name == name && p.Metadata.Namespace == g.Namespace {
				pods[name] = p
			}
		}
	}
	var peak int64
	src := ""
	for _, u := range c.Usage {
		p := pods[u.Pod]
		if p == nil || (u.Namespace != "" && u.Namespace != g.Namespace) {
			continue
		}
		switch {
		case u.Container == g.Container:
		case u.Container == "" && !g.Init && len(p.Spec.Containers) == 1 && len(p.Spec.InitContainers) == 0:
		default:
			continue
		}
		if u.Bytes > peak {
			peak, src = u.Bytes, u.Source
		}
	}
	return peak, src, peak > 0
}

// roundUpMi rounds a byte count up to whole MiB.
func roundUpMi(b float64) int64 {
	const mi = 1 << 20
	return int64(math.Ceil(b/mi)) * mi
}
