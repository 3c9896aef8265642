package lint

import (
	"strconv"
	"strings"
	"sync"
)

// HPAFor returns the HorizontalPodAutoscaler of the namespace whose
// scaleTargetRef names o (kind, name, and API group when the reference
// gives an apiVersion), the one with the largest maxReplicas when several
// do (the first of them on a tie), and that maxReplicas. The quota rules
// and the policy facts read this one matcher, once per workload, so the
// namespace's HPAs are indexed by target on the first call.
func (ns *Namespace) HPAFor(o *Object) (*Object, int64) {
	if ns == nil {
		return nil, 0
	}
	var best *Object
	var most int64
	for _, h := range ns.hpas.get(ns.HPAs)[targetKey{o.Kind, o.Name}] {
		if !h.valid || (h.apiVersion != "" && APIGroup(h.apiVersion) != APIGroup(o.APIVersion)) {
			continue
		}
		if best == nil || h.max > most {
			best, most = h.obj, h.max
		}
	}
	return best, most
}

// hpaIndex is a namespace's HPAs by the kind and name of their
// scaleTargetRef, in the namespace's order.
type hpaIndex struct {
	once  sync.Once
	n     int // len(Namespace.HPAs) when built
	built map[targetKey][]hpaTarget
}

type targetKey struct{ kind, name string }

// hpaTarget is what HPAFor reads of one HPA.
type hpaTarget struct {
	obj        *Object
	apiVersion string // of the scaleTargetRef
	max        int64
	valid      bool // maxReplicas is a non-negative integer
}

// get returns the index of hpas, built once; rules run in parallel, so
// building is guarded. HPAs added after the first call (only tests do)
// get a fresh index.
func (x *hpaIndex) get(hpas []*Object) map[targetKey][]hpaTarget {
	x.once.Do(func() { x.built, x.n = indexHPAs(hpas), len(hpas) })
	if x.n != len(hpas) {
		return indexHPAs(hpas)
	}
	return x.built
}

func indexHPAs(hpas []*Object) map[targetKey][]hpaTarget {
	t := map[targetKey][]hpaTarget{}
	for _, h := range hpas {
		kind, name := h.Str("spec", "scaleTargetRef", "kind"), h.Str("spec", "scaleTargetRef", "name")
		if kind == "" || name == "" {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(h.Str("spec", "maxReplicas")), 10, 64)
		k := targetKey{kind, name}
		t[k] = append(t[k], hpaTarget{obj: h, apiVersion: h.Str("spec", "scaleTargetRef", "apiVersion"), max: n, valid: err == nil && n >= 0})
	}
	return t
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
