package render

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/yamlnode"
	"github.com/oomlint/oomlint/lint"
)

// What a kustomize build over a chart's output needs: a HelmRelease's
// post-renderers and a kustomization's helmCharts both read the chart's
// rendered objects as one file and patch them.

// ChartStream joins a chart's rendered documents into one YAML stream and
// keeps each object's origin by ObjectKey.
func ChartStream(chart *lint.Rendered) (map[string]lint.Origin, []byte) {
	pre := map[string]lint.Origin{}
	var stream strings.Builder
	for _, d := range chart.Docs {
		var doc yaml.Node
		if yaml.Unmarshal(d.Data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		n := doc.Content[0]
		if d.Origin != nil {
			if _, dup := pre[ObjectKey(n)]; !dup {
				pre[ObjectKey(n)] = d.Origin(n)
			}
		}
		stream.WriteString("---\n")
		stream.Write(d.Data)
		if !strings.HasSuffix(string(d.Data), "\n") {
			stream.WriteByte('\n')
		}
	}
	return pre, []byte(stream.String())
}

// ObjectKey is an object's kind and name ("Deployment/api"): how a chart
// object is found again in the build over it.
func ObjectKey(n *yaml.Node) string {
	return yamlnode.Scalar(yamlnode.Get(n, "kind")) + "/" + yamlnode.Scalar(yamlnode.Get(yamlnode.Get(n, "metadata"), "name"))
}

// PatchedOrigin locates a field of a chart object a kustomize build went
// over: on the patch that set it, else where the chart set it.
type PatchedOrigin struct {
	Kust     lint.Origin   // the build's origin; nil when unknown
	Chart    lint.Origin   // the chart's origin for the same object; nil when unknown
	Rendered string        // the display path the chart's output was read under
	Fallback lint.Location // where a field goes that neither locates
	Patched  string        // the trace line for the chart's value under a patch
}

// Locate implements lint.Origin.
func (o PatchedOrigin) Locate(p lint.Path) lint.Location {
	var pre *lint.Location
	if o.Chart != nil {
		l := o.Chart.Locate(p)
		pre = &l
	}
	if o.Kust != nil {
		if loc := o.Kust.Locate(p); loc.File != o.Rendered {
			// A patch set it: the patch line, then what the chart had
			// there and how the chart was rendered.
			var rel []lint.Related
			for _, r := range loc.Related {
				switch {
				case r.File != o.Rendered:
					rel = append(rel, r)
				case pre != nil:
					rel = append(rel, lint.Related{File: pre.File, Line: pre.Line, Column: pre.Column, Message: o.Patched})
				}
			}
			if pre != nil {
				rel = append(rel, pre.Related...)
			}
			loc.Related = rel
			return loc
		}
	}
	if pre != nil {
		return *pre
	}
	return o.Fallback
}
