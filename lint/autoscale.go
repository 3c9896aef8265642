package lint

import (
	"strconv"
	"strings"
)

// HPAFor returns the HorizontalPodAutoscaler of the namespace whose
// scaleTargetRef names o (kind, name, and API group when the reference
// gives an apiVersion), the one with the largest maxReplicas when several
// do, and that maxReplicas. The quota rules and the policy facts read this
// one matcher.
func (ns *Namespace) HPAFor(o *Object) (*Object, int64) {
	if ns == nil {
		return nil, 0
	}
	var best *Object
	var most int64
	for _, h := range ns.HPAs {
		if !RefersTo(h.Str("spec", "scaleTargetRef", "apiVersion"), h.Str("spec", "scaleTargetRef", "kind"), h.Str("spec", "scaleTargetRef", "name"), o) {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(h.Str("spec", "maxReplicas")), 10, 64)
		if err != nil || n < 0 {
			continue
		}
		if best == nil || n > most {
			best, most = h, n
		}
	}
	return best, most
}

// RefersTo reports whether a reference (an autoscaler's target) names o:
// the same kind and name, and the same API group unless the reference
// gives no apiVersion.
func RefersTo(apiVersion, kind, name string, o *Object) bool {
	return kind != "" && name != "" && kind == o.Kind && name == o.Name &&
		(apiVersion == "" || APIGroup(apiVersion) == APIGroup(o.APIVersion))
}

// APIGroup is the API group of an apiVersion: "apps" of apps/v1, "" of v1.
// extensions is where Deployments and ReplicaSets lived before apps.
func APIGroup(apiVersion string) string {
	g, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return ""
	}
	if g == "extensions" {
		return "apps"
	}
	return g
}
