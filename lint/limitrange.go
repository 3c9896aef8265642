package lint

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

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
	// (file, then position), for namespace rules. Workloads are kept only
	// where there is something to relate them to (Relates): a streamed
	// workload of any other namespace is dropped once checked.
	Workloads         []*Workload
	LimitRangeObjects []*Object
	ResourceQuotas    []*Object
	HPAs              []*Object // HorizontalPodAutoscaler
	VPAs              []*Object // VerticalPodAutoscaler
	hpas              hpaIndex  // HPAFor's index (autoscale.go)

	// Mesh is the run's mesh proxy defaults (lint/mesh.go): run-wide, the
	// same value in every namespace, read here by the rules that see a
	// workload's namespace.
	Mesh MeshDefaults
}

// QuotaHard is one memory entry of a ResourceQuota's spec.hard.
type QuotaHard struct {
	Object   *Object
	Resource string    // requests.memory, memory (the same) or limits.memory
	Q        *Quantity // as written; may not parse
}

// Limits reports whether the entry caps limits rather than requests.
func (h QuotaHard) Limits() bool { return h.Resource == "limits.memory" }

// QuotaHards reads the memory entries of a ResourceQuota's spec.hard, for
// the quota rules and the policy facts alike.
func QuotaHards(o *Object) []QuotaHard {
	var out []QuotaHard
	for _, r := range []string{"requests.memory", "memory", "limits.memory"} {
		v := yamlnode.Get(o.Node, "spec", "hard", r)
		if v == nil || v.Kind != yaml.ScalarNode {
			continue
		}
		out = append(out, QuotaHard{Object: o, Resource: r,
			Q: &Quantity{Path: Root.Keys("spec", "hard", r), Field: "hard " + r, Raw: v.Value, Info: quantity.Shared(v.Value)}})
	}
	return out
}

// Relates reports whether the namespace has objects the namespace rules
// relate its workloads to: a ResourceQuota they must fit in, an autoscaler
// that must find its target.
func (ns *Namespace) Relates() bool {
	return ns != nil && len(ns.ResourceQuotas)+len(ns.HPAs)+len(ns.VPAs) > 0
}

// LimitRangeItem is the memory part of one item of a LimitRange's
// spec.limits: the values as written, and for type Container items the
// defaults as the API server stores them (SetDefaults_LimitRangeItem): a
// missing default takes max, a missing defaultRequest takes default, else
// min. It is read once, for the engine's defaulting and the LimitRange
// rules alike.
type LimitRangeItem struct {
	Object         *Object
	Path           Path   // spec.limits[i]
	Type           string // Container, Pod, PersistentVolumeClaim
	Max, Min       *Quantity
	Ratio          *Quantity // maxLimitRequestRatio.memory
	Default        *Quantity // as stored: written, else max
	DefaultRequest *Quantity // as stored: written, else default, else min
	// WrittenDefault and WrittenDefaultRequest are the values as written.
	WrittenDefault, WrittenDefaultRequest *Quantity
	// DefaultKey and DefaultRequestKey say whether default and
	// defaultRequest are set for any resource (a type Pod item may not).
	DefaultKey, DefaultRequestKey bool
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
		switch o.Kind {
		case "LimitRange":
			get().LimitRangeObjects = append(get().LimitRangeObjects, o)
			items := LimitRangeItems(o)
			// The API server refuses a LimitRange that contradicts
			// itself (OOM402), so it defaults nothing.
			if !slices.ContainsFunc(items, func(it *LimitRangeItem) bool { return len(it.Contradictions()) > 0 }) {
				for _, it := range items {
					if it.Type == "Container" && (it.Default != nil || it.DefaultRequest != nil || it.Max != nil || it.Min != nil) {
						ns.LimitRanges = append(ns.LimitRanges, it)
					}
				}
			}
		case "ResourceQuota":
			get().ResourceQuotas = append(get().ResourceQuotas, o)
		case "HorizontalPodAutoscaler":
			get().HPAs = append(get().HPAs, o)
		case "VerticalPodAutoscaler":
			get().VPAs = append(get().VPAs, o)
		}
	}
	return out
}

// LimitRangeItems reads every item of a LimitRange's spec.limits. A value
// that does not parse is left out: the API server would refuse it.
func LimitRangeItems(o *Object) []*LimitRangeItem {
	seq := yamlnode.Get(o.Node, "spec", "limits")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	var out []*LimitRangeItem
	for i, n := range seq.Content {
		n = yamlnode.Deref(n)
		at := Root.Keys("spec", "limits").Index(i)
		it := &LimitRangeItem{Object: o, Path: at, Type: yamlnode.Str(n, "type")}
		read := func(key string) *Quantity {
			v := yamlnode.Get(n, key, "memory")
			if v == nil || v.Kind != yaml.ScalarNode {
				return nil
			}
			q := &Quantity{Path: at.Keys(key, "memory"), Field: key + ".memory", Raw: v.Value, Info: quantity.Shared(v.Value)}
			if !q.Valid() {
				return nil
			}
			return q
		}
		it.Max, it.Min, it.Ratio = read("max"), read("min"), read("maxLimitRequestRatio")
		it.WrittenDefault, it.WrittenDefaultRequest = read("default"), read("defaultRequest")
		it.Default = cmpOr(it.WrittenDefault, it.Max)
		it.DefaultRequest = cmpOr(it.WrittenDefaultRequest, it.Default, it.Min)
		it.DefaultKey = nonEmptyMap(yamlnode.Get(n, "default"))
		it.DefaultRequestKey = nonEmptyMap(yamlnode.Get(n, "defaultRequest"))
		out = append(out, it)
	}
	return out
}

func nonEmptyMap(n *yaml.Node) bool {
	n = yamlnode.Deref(n)
	return n != nil && n.Kind == yaml.MappingNode && len(n.Content) > 0
}

// Contradiction is one reason the API server rejects a LimitRange item.
type Contradiction struct {
	At    Path      // the value a person edits
	Other *Quantity // the value it contradicts, nil when none
	Msg   string
	Fix   string
}

// Contradictions lists what ValidateLimitRange rejects in an item, for
// memory. Pairs of written values suffice: each check against a value the
// API server filled in (default ← max, defaultRequest ← default or min)
// fails exactly when a check between written values fails too.
func (it *LimitRangeItem) Contradictions() []Contradiction {
	var out []Contradiction
	gt := func(a, b *Quantity) bool { return a != nil && b != nil && a.Info.Exact() > b.Info.Exact() }
	add := func(at, other *Quantity, rel, fix string) {
		out = append(out, Contradiction{At: at.Path, Other: other,
			Msg: fmt.Sprintf("%s %s is %s %s %s", at.Field, at.Raw, rel, other.Field, other.Raw), Fix: fix})
	}
	if it.Type == "Pod" {
		for _, k := range []struct {
			on  bool
			key string
		}{{it.DefaultKey, "default"}, {it.DefaultRequestKey, "defaultRequest"}} {
			if k.on {
				out = append(out, Contradiction{At: it.Path.Key(k.key),
					Msg: k.key + " may not be set on a type Pod item (pods are not defaulted, only containers)",
					Fix: "move " + k.key + " to a type Container item"})
			}
		}
	}
	def, defReq := it.WrittenDefault, it.WrittenDefaultRequest
	if gt(it.Min, it.Max) {
		// The root cause: every default is then below min or above max.
		add(it.Min, it.Max, "above", "lower min.memory to at most "+it.Max.Raw+", or raise max.memory")
		return out
	}
	if gt(it.Min, defReq) {
		add(defReq, it.Min, "below", "raise defaultRequest.memory to at least "+it.Min.Raw)
	}
	if gt(defReq, it.Max) {
		add(defReq, it.Max, "above", "lower defaultRequest.memory to at most "+it.Max.Raw)
	}
	if gt(defReq, def) {
		add(defReq, def, "above", fmt.Sprintf("lower defaultRequest.memory to at most %s, or raise default.memory to at least %s", def.Raw, defReq.Raw))
	}
	if gt(it.Min, def) {
		add(def, it.Min, "below", "raise default.memory to at least "+it.Min.Raw)
	}
	if gt(def, it.Max) {
		add(def, it.Max, "above", fmt.Sprintf("lower default.memory to at most %s, or raise max.memory", it.Max.Raw))
	}
	return append(out, it.ratioContradictions()...)
}

func (it *LimitRangeItem) ratioContradictions() []Contradiction {
	if it.Ratio == nil {
		return nil
	}
	r := it.Ratio.Info.Exact()
	switch {
	case r < 1:
		return []Contradiction{{At: it.Ratio.Path, Msg: fmt.Sprintf("maxLimitRequestRatio.memory %s is below 1 (a limit is never below its request)", it.Ratio.Raw), Fix: "set maxLimitRequestRatio.memory to 1 or more"}}
	case it.Min != nil && it.Max != nil && it.Min.Info.Exact() > 0 && r > it.Max.Info.Exact()/it.Min.Info.Exact():
		most := it.Max.Info.Exact() / it.Min.Info.Exact()
		return []Contradiction{{At: it.Ratio.Path, Other: it.Max,
			Msg: fmt.Sprintf("maxLimitRequestRatio.memory %s is above max / min = %s / %s = %s", it.Ratio.Raw, it.Max.Raw, it.Min.Raw, strconv.FormatFloat(most, 'f', -1, 64)),
			Fix: "lower maxLimitRequestRatio.memory to at most " + strconv.FormatFloat(math.Floor(most*100)/100, 'f', -1, 64)}}
	}
	return nil
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
			c.Limit = Effective{Q: defaulted(c, "limits", limit, ns, func(it *LimitRangeItem) *Quantity { return it.Default }), Source: LimitRangeDefault, LimitRange: limit}
		}
		if !c.Request.Set() && request != nil {
			c.Request = Effective{Q: defaulted(c, "requests", request, ns, func(it *LimitRangeItem) *Quantity { return it.DefaultRequest }), Source: LimitRangeDefault, LimitRange: request}
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
