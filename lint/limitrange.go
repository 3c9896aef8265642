package lint

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/quantity"
)

// Namespace holds the facts of one namespace gathered from every object
// of the run, whichever unit built them: GitOps repos keep LimitRanges and
// quotas in a cluster-scope tree and workloads elsewhere.
type Namespace struct {
	Name        string
	LimitRanges []*LimitRangeItem // type Container items with a memory setting

	// The namespace's objects by role, in the engine's stable order
	// (file, then position), for namespace rules.
	Workloads         []*Workload
	LimitRangeObjects []*Object
	ResourceQuotas    []*Object
	HPAs              []*Object // HorizontalPodAutoscaler
	VPAs              []*Object // VerticalPodAutoscaler
}

// LimitRangeItem is the memory part of one `type: Container` item of a
// LimitRange, with the gaps the API server fills when it stores it
// (SetDefaults_LimitRangeItem): a missing default takes max, a missing
// defaultRequest takes default, else min.
type LimitRangeItem struct {
	Object         *Object
	Path           Path      // spec.limits[i]
	Max, Min       *Quantity // as written
	Default        *Quantity // as stored: written, else max
	DefaultRequest *Quantity // as stored: written, else default, else min
}

// namespaces gathers the facts of every namespace from all objects.
func namespaces(objects []*Object) map[string]*Namespace {
	out := map[string]*Namespace{}
	for _, o := range objects {
		var ns *Namespace
		get := func() *Namespace {
			if ns = out[o.Namespace]; ns == nil {
				ns = &Namespace{Name: o.Namespace}
				out[o.Namespace] = ns
			}
			return ns
		}
		switch {
		case o.Workload != nil:
			get().Workloads = append(get().Workloads, o.Workload)
		case o.Kind == "LimitRange":
			get().LimitRangeObjects = append(get().LimitRangeObjects, o)
			items := limitRangeItems(o)
			// The API server refuses a LimitRange that contradicts
			// itself (OOM402), so it defaults nothing.
			if !slices.ContainsFunc(items, (*LimitRangeItem).contradicts) {
				ns.LimitRanges = append(ns.LimitRanges, items...)
			}
		case o.Kind == "ResourceQuota":
			get().ResourceQuotas = append(get().ResourceQuotas, o)
		case o.Kind == "HorizontalPodAutoscaler":
			get().HPAs = append(get().HPAs, o)
		case o.Kind == "VerticalPodAutoscaler":
			get().VPAs = append(get().VPAs, o)
		}
	}
	return out
}

// sortedNamespaces lists namespaces by name, for a stable order.
func sortedNamespaces(m map[string]*Namespace) []*Namespace {
	out := make([]*Namespace, 0, len(m))
	for _, ns := range m {
		out = append(out, ns)
	}
	slices.SortFunc(out, func(a, b *Namespace) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func limitRangeItems(o *Object) []*LimitRangeItem {
	seq := get(o.Node, "spec", "limits")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	var out []*LimitRangeItem
	for i, n := range seq.Content {
		n = deref(n)
		if str(n, "type") != "Container" {
			continue
		}
		at := Root.Keys("spec", "limits").Index(i)
		it := &LimitRangeItem{Object: o, Path: at}
		read := func(key string) *Quantity {
			v := get(n, key, "memory")
			if v == nil || v.Kind != yaml.ScalarNode {
				return nil
			}
			q := &Quantity{Path: at.Keys(key, "memory"), Field: key + ".memory", Raw: v.Value, Info: quantity.Classify(v.Value)}
			if !q.Valid() {
				return nil // a LimitRange the API server would refuse defaults nothing
			}
			return q
		}
		it.Max, it.Min = read("max"), read("min")
		it.Default = cmpOr(read("default"), it.Max)
		it.DefaultRequest = cmpOr(read("defaultRequest"), it.Default, it.Min)
		if it.Default != nil || it.DefaultRequest != nil || it.Max != nil || it.Min != nil {
			out = append(out, it)
		}
	}
	return out
}

// contradicts reports the pairs the API server's validation refuses:
// min ≤ defaultRequest ≤ default ≤ max must hold where set.
func (it *LimitRangeItem) contradicts() bool {
	less := func(a, b *Quantity) bool { return a != nil && b != nil && a.Info.Exact() < b.Info.Exact() }
	return less(it.Max, it.Min) || less(it.Default, it.DefaultRequest) || less(it.Max, it.Default) ||
		less(it.DefaultRequest, it.Min) || less(it.Max, it.DefaultRequest) || less(it.Default, it.Min)
}

func cmpOr(qs ...*Quantity) *Quantity {
	for _, q := range qs {
		if q != nil {
			return q
		}
	}
	return nil
}

// applyLimitRanges fills the limits and requests a container lacks from the
// namespace's LimitRange defaults, as the LimitRanger admission plugin does
// after API defaulting. When several LimitRanges set defaults, the strictest
// (smallest) one is used and the trace says so.
func applyLimitRanges(w *Workload, ns *Namespace) {
	if ns == nil || len(ns.LimitRanges) == 0 {
		return
	}
	limit := strictest(ns.LimitRanges, func(it *LimitRangeItem) *Quantity { return it.Default })
	request := strictest(ns.LimitRanges, func(it *LimitRangeItem) *Quantity { return it.DefaultRequest })
	for _, c := range w.Containers {
		if !c.Limit.Set() && limit != nil {
			c.Limit = Effective{Q: defaulted(c, "limits", limit, ns, func(it *LimitRangeItem) *Quantity { return it.Default }), Source: LimitRangeDefault}
		}
		if !c.Request.Set() && request != nil {
			c.Request = Effective{Q: defaulted(c, "requests", request, ns, func(it *LimitRangeItem) *Quantity { return it.DefaultRequest }), Source: LimitRangeDefault}
		}
	}
}

func strictest(items []*LimitRangeItem, value func(*LimitRangeItem) *Quantity) *LimitRangeItem {
	var best *LimitRangeItem
	for _, it := range items {
		q := value(it)
		if q == nil {
			continue
		}
		if best == nil || q.Info.Exact() < value(best).Info.Exact() {
			best = it
		}
	}
	return best
}

// defaulted is the value a LimitRange gives a container, placed at the
// container's missing field, with the LimitRange line in its trace.
func defaulted(c *Container, section string, it *LimitRangeItem, ns *Namespace, value func(*LimitRangeItem) *Quantity) *Quantity {
	src := value(it)
	loc := it.Object.Origin.Locate(src.Path)
	msg := fmt.Sprintf("%s.memory %s defaulted by LimitRange %s/%s (%s)", section, src.Raw, it.Object.Namespace, it.Object.Name, src.Path)
	var others []string
	for _, o := range ns.LimitRanges {
		if o != it && value(o) != nil {
			others = append(others, o.Object.Name)
		}
	}
	if len(others) > 0 {
		slices.Sort(others)
		msg += fmt.Sprintf("; the strictest of the LimitRanges in namespace %s (also %s)", ns.Name, strings.Join(others, ", "))
	}
	return &Quantity{
		Path:  c.Path.Keys("resources", section, "memory"),
		Field: "defaulted " + section + ".memory",
		Raw:   src.Raw,
		Info:  src.Info,
		Trace: []Related{{File: loc.File, Line: loc.Line, Column: loc.Column, Message: msg}},
	}
}
