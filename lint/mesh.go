package lint

import (
	"slices"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/quantity"
)

// Mesh proxy defaults. A pod template that asks a service mesh to inject
// its proxy (sidecar.istio.io/inject, linkerd.io/inject) gets the proxy's
// resources from the mesh's installation unless an annotation on the pod
// template overrides them. When the repository installs the mesh too, the
// objects it renders say what that default is: it is read once per run,
// from every object decoded up front (ConfigMaps and GitOps controller
// objects always are), and shared with every namespace's facts.

// MeshProxy is the memory limit a mesh installation gives the proxies it
// injects.
type MeshProxy struct {
	Limit *Quantity // as written; Path is in Object
	// Object is where it is set: the injector's ConfigMap, an
	// IstioOperator, a HelmRelease or Application of the mesh's chart.
	Object *Object
	// Key is the value's place inside Object, for messages:
	// "values global.proxy.resources.limits.memory".
	Key string
}

// MeshDefaults are the proxy memory limits the run's mesh installations
// set, by the container the mesh injects ("istio-proxy",
// "linkerd-proxy"). A nil MeshDefaults knows of none.
type MeshDefaults map[string]MeshProxy

// ProxyLimit returns the memory limit a mesh installation in the run gives
// the injected container, if one sets it.
func (m MeshDefaults) ProxyLimit(container string) (MeshProxy, bool) {
	p, ok := m[container]
	return p, ok
}

// meshChart is where a mesh chart's values set the proxy memory limit.
type meshChart struct {
	container string
	charts    []string // chart names whose values these are
	limit     []string // the key path of the limit in the chart's values
}

var meshCharts = []meshChart{
	{"istio-proxy", []string{"istiod", "istio-discovery"}, []string{"global", "proxy", "resources", "limits", "memory"}},
	{"linkerd-proxy", []string{"linkerd-control-plane", "linkerd2"}, []string{"proxy", "resources", "memory", "limit"}},
}

// meshDefaults reads the proxy memory limits that the mesh installations
// among objects set. The first one met, in the run's order, wins.
func meshDefaults(objects []*Object) MeshDefaults {
	var out MeshDefaults
	for _, o := range objects {
		for _, mc := range meshCharts {
			if _, ok := out[mc.container]; ok {
				continue
			}
			if p, ok := meshProxy(o, mc); ok {
				if out == nil {
					out = MeshDefaults{}
				}
				out[mc.container] = p
			}
		}
	}
	return out
}

// meshProxy reads the proxy memory limit an object of a mesh installation
// sets: the values a chart rendered into its ConfigMap
// (istio-sidecar-injector's values, a JSON document; linkerd-config's
// values, YAML), an IstioOperator's spec.values, or the values of a Flux
// HelmRelease or Argo CD Application of the mesh's chart.
func meshProxy(o *Object, mc meshChart) (MeshProxy, bool) {
	key := strings.Join(mc.limit, ".")
	type values struct {
		root *yaml.Node
		at   Path // of the limit, or of the string that holds the values
		key  string
	}
	var in []values
	inNode := func(keys ...string) values {
		return values{o.Get(keys...), Root.Keys(keys...).Keys(mc.limit...), strings.Join(keys, ".") + "." + key}
	}
	switch o.Kind {
	case "ConfigMap":
		if v, ok := o.DataValue("values"); ok && meshConfigMap(mc.container, o.Name) {
			in = append(in, values{parseValues(v), Root.Keys("data", "values"), "values " + key})
		}
	case "IstioOperator":
		if mc.container == "istio-proxy" {
			in = append(in, inNode("spec", "values"))
		}
	case "HelmRelease":
		if chartIs(o.Str("spec", "chart", "spec", "chart"), mc.charts) {
			in = append(in, inNode("spec", "values"))
		}
	case "Application":
		if chartIs(o.Str("spec", "source", "chart"), mc.charts) {
			in = append(in, inNode("spec", "source", "helm", "valuesObject"),
				values{parseValues(o.Str("spec", "source", "helm", "values")), Root.Keys("spec", "source", "helm", "values"), "spec.source.helm.values " + key})
		}
	}
	for _, v := range in {
		if raw := yamlnode.Str(v.root, mc.limit...); raw != "" {
			return MeshProxy{Limit: &Quantity{Path: v.at, Field: v.key, Raw: raw, Info: quantity.Shared(raw)}, Object: o, Key: v.key}, true
		}
	}
	return MeshProxy{}, false
}

// meshConfigMap reports whether a ConfigMap is where a mesh's chart keeps
// the values its injector reads: istio-sidecar-injector (with a revision
// suffix for a revisioned install) or linkerd-config.
func meshConfigMap(container, name string) bool {
	switch container {
	case "istio-proxy":
		return name == "istio-sidecar-injector" || strings.HasPrefix(name, "istio-sidecar-injector-")
	case "linkerd-proxy":
		return name == "linkerd-config"
	}
	return false
}

// chartIs reports whether a chart reference (a name, or a path or OCI
// reference ending in one) names one of the charts.
func chartIs(ref string, charts []string) bool {
	ref = strings.TrimSuffix(ref, "/")
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		ref = ref[i+1:]
	}
	return slices.Contains(charts, ref)
}

// parseValues parses a values document kept as a string (JSON or YAML); nil
// when it does not parse.
func parseValues(s string) *yaml.Node {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var n yaml.Node
	if yaml.Unmarshal([]byte(s), &n) != nil {
		return nil
	}
	return yamlnode.Deref(&n)
}
