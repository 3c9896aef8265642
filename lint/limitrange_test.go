package lint

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEffectiveMemoryDefaulting is the defaulting order as a table: a
// container spec and the namespace's LimitRanges in, the limit and request
// admission would store (with where each came from) out. Order: API
// defaulting (request = limit), pod-level resources, then the LimitRange
// defaults as the API server stored them (default ← max; defaultRequest ←
// default, else min), the strictest LimitRange winning per field.
func TestEffectiveMemoryDefaulting(t *testing.T) {
	const defaults = `
- type: Container
  default: {memory: 512Mi}
  defaultRequest: {memory: 256Mi}`
	tests := []struct {
		name        string
		resources   string   // the container's resources, flow YAML
		pod         string   // pod-level resources, flow YAML ("" for none)
		limitRanges []string // spec.limits of each LimitRange in the namespace
		limit       string   // "512Mi LimitRangeDefault", "" for none
		request     string
	}{
		{
			name:      "no LimitRange: nothing to default",
			resources: `{}`,
		},
		{
			name:        "limit only: request = limit, before any LimitRange",
			resources:   `{limits: {memory: 1Gi}}`,
			limitRanges: []string{defaults},
			limit:       "1Gi Declared", request: "1Gi FromLimit",
		},
		{
			name:        "request only: limit = default",
			resources:   `{requests: {memory: 128Mi}}`,
			limitRanges: []string{defaults},
			limit:       "512Mi LimitRangeDefault", request: "128Mi Declared",
		},
		{
			name:        "request above the default: still defaulted (OOM103 reports it)",
			resources:   `{requests: {memory: 1Gi}}`,
			limitRanges: []string{defaults},
			limit:       "512Mi LimitRangeDefault", request: "1Gi Declared",
		},
		{
			name:        "neither: default and defaultRequest",
			resources:   `{}`,
			limitRanges: []string{defaults},
			limit:       "512Mi LimitRangeDefault", request: "256Mi LimitRangeDefault",
		},
		{
			name:        "both set: LimitRange ignored",
			resources:   `{requests: {memory: 64Mi}, limits: {memory: 2Gi}}`,
			limitRanges: []string{defaults},
			limit:       "2Gi Declared", request: "64Mi Declared",
		},
		{
			name:        "max only: default = max, defaultRequest = default = max",
			resources:   `{}`,
			limitRanges: []string{"\n- type: Container\n  max: {memory: 2Gi}"},
			limit:       "2Gi LimitRangeDefault", request: "2Gi LimitRangeDefault",
		},
		{
			name:        "min only: defaultRequest = min, no default limit",
			resources:   `{}`,
			limitRanges: []string{"\n- type: Container\n  min: {memory: 64Mi}"},
			request:     "64Mi LimitRangeDefault",
		},
		{
			name:        "default only: defaultRequest = default",
			resources:   `{}`,
			limitRanges: []string{"\n- type: Container\n  default: {memory: 384Mi}"},
			limit:       "384Mi LimitRangeDefault", request: "384Mi LimitRangeDefault",
		},
		{
			name:        "default and min: defaultRequest takes default, not min",
			resources:   `{}`,
			limitRanges: []string{"\n- type: Container\n  default: {memory: 384Mi}\n  min: {memory: 64Mi}"},
			limit:       "384Mi LimitRangeDefault", request: "384Mi LimitRangeDefault",
		},
		{
			name:        "defaultRequest only: no default limit",
			resources:   `{}`,
			limitRanges: []string{"\n- type: Container\n  defaultRequest: {memory: 100Mi}"},
			request:     "100Mi LimitRangeDefault",
		},
		{
			name:        "written default wins over max",
			resources:   `{}`,
			limitRanges: []string{"\n- type: Container\n  default: {memory: 512Mi}\n  max: {memory: 4Gi}"},
			limit:       "512Mi LimitRangeDefault", request: "512Mi LimitRangeDefault",
		},
		{
			name:        "pod-level limit takes precedence over the LimitRange",
			resources:   `{}`,
			pod:         `{limits: {memory: 1Gi}}`,
			limitRanges: []string{defaults},
			limit:       "1Gi PodLevel", request: "1Gi PodLevel",
		},
		{
			name:        "container values take precedence over pod-level",
			resources:   `{limits: {memory: 768Mi}}`,
			pod:         `{limits: {memory: 1Gi}}`,
			limitRanges: []string{defaults},
			limit:       "768Mi Declared", request: "768Mi FromLimit",
		},
		{
			name:      "several LimitRanges: the strictest default wins",
			resources: `{}`,
			limitRanges: []string{
				"\n- type: Container\n  default: {memory: 1Gi}\n  defaultRequest: {memory: 512Mi}",
				"\n- type: Container\n  default: {memory: 128Mi}\n  defaultRequest: {memory: 64Mi}",
			},
			limit: "128Mi LimitRangeDefault", request: "64Mi LimitRangeDefault",
		},
		{
			name:      "several LimitRanges: strictest per field, even from different objects",
			resources: `{}`,
			limitRanges: []string{
				"\n- type: Container\n  default: {memory: 256Mi}",
				"\n- type: Container\n  default: {memory: 1Gi}\n  defaultRequest: {memory: 64Mi}",
			},
			limit: "256Mi LimitRangeDefault", request: "64Mi LimitRangeDefault",
		},
		{
			name:        "type Pod items default nothing",
			resources:   `{}`,
			limitRanges: []string{"\n- type: Pod\n  max: {memory: 4Gi}"},
		},
		{
			name:        "an invalid quantity defaults nothing",
			resources:   `{}`,
			limitRanges: []string{"\n- type: Container\n  default: {memory: 512MB}\n  defaultRequest: {memory: 128Mi}"},
			request:     "128Mi LimitRangeDefault",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var src strings.Builder
			for i, lr := range tt.limitRanges {
				fmt.Fprintf(&src, "apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: lr%d\n  namespace: ns\nspec:\n  limits:%s\n---\n", i, indentBy(lr, "  "))
			}
			pod := ""
			if tt.pod != "" {
				pod = "\n      resources: " + tt.pod
			}
			fmt.Fprintf(&src, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: ns
spec:
  template:
    spec:%s
      containers:
        - name: app
          resources: %s
`, pod, tt.resources)
			objects := decodeUnit(t, &Unit{Name: "ns.yaml"}, src.String())
			resolve(objects)
			c := objects[len(objects)-1].Workload.Containers[0]
			got := []string{effectiveString(c.Limit), effectiveString(c.Request)}
			if diff := cmp.Diff([]string{tt.limit, tt.request}, got); diff != "" {
				t.Errorf("[limit, request] (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDefaultedTrace checks where a defaulted value points and what its
// trace says: the container's missing field, and the LimitRange line.
func TestDefaultedTrace(t *testing.T) {
	const src = `apiVersion: v1
kind: LimitRange
metadata:
  name: wide
  namespace: ns
spec:
  limits:
    - type: Container
      default:
        memory: 1Gi
---
apiVersion: v1
kind: LimitRange
metadata:
  name: narrow
  namespace: ns
spec:
  limits:
    - type: Container
      default:
        memory: 256Mi
---
apiVersion: v1
kind: Pod
metadata:
  name: app
  namespace: ns
spec:
  initContainers:
    - name: sidecar
      restartPolicy: Always
  containers:
    - name: app
`
	objects := decodeUnit(t, &Unit{Name: "ns.yaml"}, src)
	resolve(objects)
	w := objects[2].Workload
	for _, c := range w.Containers {
		q := c.Limit.Q
		if q == nil || c.Limit.Source != LimitRangeDefault {
			t.Fatalf("%s: limit %+v, want a LimitRange default", c.Name, c.Limit)
		}
		if want := c.Path.Keys("resources", "limits", "memory").String(); q.Path.String() != want {
			t.Errorf("%s: defaulted limit at %s, want %s", c.Name, q.Path, want)
		}
		if q.Field != "defaulted limits.memory" || q.Raw != "256Mi" {
			t.Errorf("%s: field %q raw %q, want defaulted limits.memory 256Mi", c.Name, q.Field, q.Raw)
		}
		want := []Related{{File: "ns.yaml", Line: 21, Column: 17,
			Message: "limits.memory 256Mi defaulted by LimitRange ns/narrow (spec.limits[0].default.memory); the strictest of the LimitRanges in namespace ns (also wide)"}}
		if diff := cmp.Diff(want, q.Trace); diff != "" {
			t.Errorf("%s: trace (-want +got):\n%s", c.Name, diff)
		}
		// The request takes the defaulted limit (defaultRequest ← default).
		if c.Request.Source != LimitRangeDefault || c.Request.Q.Raw != "256Mi" {
			t.Errorf("%s: request %+v, want the 256Mi LimitRange default", c.Name, c.Request)
		}
	}
}

func effectiveString(e Effective) string {
	if !e.Set() {
		return ""
	}
	return e.Q.Raw + " " + sourceName(e.Source)
}

func sourceName(s Source) string {
	switch s {
	case Declared:
		return "Declared"
	case FromLimit:
		return "FromLimit"
	case PodLevel:
		return "PodLevel"
	case LimitRangeDefault:
		return "LimitRangeDefault"
	case Unset:
	}
	return "Unset"
}

func indentBy(s, prefix string) string {
	return strings.ReplaceAll(s, "\n", "\n"+prefix)
}
