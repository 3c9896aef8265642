package lint

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// dirPlanner is a renderer of directory units that build other
// directories, as kustomize's are.
type dirPlanner struct{ opaque bool }

func (dirPlanner) Name() string                                  { return "dirs" }
func (dirPlanner) Render(context.Context, *Unit) *Rendered       { return &Rendered{} }
func (dirPlanner) RootFiles() []string                           { return []string{"build.yaml"} }
func (p dirPlanner) Opaque() bool                                { return p.opaque }
func (dirPlanner) Plan([]string) (units []*Unit, files []string) { return nil, nil }

func TestMergeShared(t *testing.T) {
	dev := &Unit{Name: "app/overlays/dev", Kind: "dirs", Dir: "/r/app/overlays/dev"}
	prod := &Unit{Name: "app/overlays/prod", Kind: "dirs", Dir: "/r/app/overlays/prod"}
	chart := &Unit{Name: "chart", Kind: "charts", Dir: "/r/chart"}
	chartProd := &Unit{Name: "chart (values-prod.yaml)", Kind: "charts", Dir: "/r/chart", Variant: "values-prod.yaml"}
	ref := func(ns, name string) *ObjectRef {
		return &ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: name}
	}
	built := func(u *Unit) Related {
		return Related{File: u.Name + "/build.yaml", Line: 1, Message: "built " + u.Name}
	}
	at := func(rule string, line int, obj *ObjectRef, sev Severity, u *Unit) Finding {
		f := Finding{Rule: rule, Severity: sev, Message: "m", File: "app/base/d.yaml", Line: line, Column: 3,
			Object: obj, Container: "c", Path: "spec.x"}
		if u != nil {
			f.Related = []Related{{File: "app/base/d.yaml", Line: 1, Message: "base"}, built(u)}
		}
		return f
	}
	c := &checker{cfg: &Config{Renderers: []Renderer{dirPlanner{}}}}

	t.Run("overlays", func(t *testing.T) {
		all := []Finding{
			at("OOM101", 9, ref("prod", "prod-api"), Warning, prod),
			at("OOM101", 9, ref("dev", "dev-api"), Warning, dev),
			at("OOM102", 9, ref("dev", "dev-api"), Warning, dev), // another rule: its own finding
		}
		got := c.mergeShared(all, [][]*Unit{{prod}, {dev}, {dev}})
		want := at("OOM101", 9, ref("dev", "dev-api"), Warning, dev)
		want.Message = "m (in 2 overlays: overlays/dev, overlays/prod)"
		want.Units = []string{"app/overlays/dev", "app/overlays/prod"}
		p := built(prod)
		p.Message = "Deployment prod/prod-api: " + p.Message
		want.Related = append(want.Related, p)
		other := at("OOM102", 9, ref("dev", "dev-api"), Warning, dev)
		other.Units = []string{"app/overlays/dev"}
		if d := cmp.Diff([]Finding{want, other}, got); d != "" {
			t.Errorf("mergeShared (-want +got):\n%s", d)
		}
	})

	t.Run("two objects of one unit stay apart", func(t *testing.T) {
		all := []Finding{
			at("OOM101", 9, ref("dev", "dev-a"), Warning, dev),
			at("OOM101", 9, ref("dev", "dev-b"), Warning, dev),
			at("OOM101", 9, ref("prod", "prod-a"), Error, prod),
			at("OOM101", 9, ref("prod", "prod-b"), Warning, prod),
		}
		got := c.mergeShared(all, [][]*Unit{{dev}, {dev}, {prod}, {prod}})
		if len(got) != 2 {
			t.Fatalf("%d findings, want 2 (one per object of the unit)", len(got))
		}
		if got[0].Object.Name != "prod-a" || got[0].Severity != Error || got[1].Object.Name != "dev-b" {
			t.Errorf("kept %s (%v) and %s, want prod-a (the error) and dev-b", got[0].Object.Name, got[0].Severity, got[1].Object.Name)
		}
	})

	t.Run("variants and plain files", func(t *testing.T) {
		plain := at("OOM101", 4, ref("dev", "a"), Warning, nil)
		all := []Finding{
			at("OOM101", 9, ref("default", "r"), Warning, chart),
			at("OOM101", 9, ref("default", "r"), Warning, chartProd),
			plain, plain, // identical plain findings are left to Run's compaction
		}
		got := c.mergeShared(all, [][]*Unit{{chart}, {chartProd}, nil, nil})
		if len(got) != 3 || got[2].Message != "m (in 2 variants: default, values-prod.yaml)" || got[0].Units != nil {
			t.Errorf("got %d findings: %+v", len(got), got)
		}
	})

	t.Run("problems keep their message", func(t *testing.T) {
		p := Finding{Rule: RenderErrorID, Message: "bad", File: "app/base/d.yaml", Line: 2, Column: 1}
		got := c.mergeShared([]Finding{p, p}, [][]*Unit{{dev}, {prod}})
		if len(got) != 2 || got[0].Message != "bad" {
			t.Errorf("got %+v", got)
		}
	})
}

func TestUnitsNote(t *testing.T) {
	var us []*Unit
	for _, n := range []string{"g", "f", "e", "d", "c", "b", "a"} {
		us = append(us, &Unit{Name: "k/overlays/" + n, Kind: "dirs", Dir: "/r/k/overlays/" + n})
	}
	c := &checker{cfg: &Config{Renderers: []Renderer{dirPlanner{}}}}
	want := "(in 7 overlays: overlays/a, overlays/b, overlays/c, overlays/d, overlays/e, and 2 more)"
	if got := c.unitsNote("k/base/d.yaml", us); got != want {
		t.Errorf("unitsNote = %q, want %q", got, want)
	}
	c.cfg.Renderers = []Renderer{dirPlanner{opaque: true}}
	if got := c.unitsNote("k/base/d.yaml", us[:2]); got != "(in 2 charts: overlays/f, overlays/g)" {
		t.Errorf("unitsNote for charts = %q", got)
	}
	flux := &Unit{Name: "Kustomization flux-system/apps", Kind: "flux", Source: &Object{}}
	if got := c.unitsNote("k/base/d.yaml", []*Unit{us[0], flux}); !strings.HasPrefix(got, "(in 2 units: ") {
		t.Errorf("unitsNote for mixed units = %q", got)
	}
}

// TestFingerprintRendered: a rendered object's name and namespace follow
// the overlay or variant, so they are not part of the fingerprint.
func TestFingerprintRendered(t *testing.T) {
	f := baselineFinding()
	f.Units = []string{"overlays/dev"}
	g := f
	g.Object = &ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "aaa", Name: "aaa-api"}
	g.Units = []string{"overlays/aaa", "overlays/dev"}
	g.Message += " (in 2 overlays: overlays/aaa, overlays/dev)"
	if Fingerprint(f, "") != Fingerprint(g, "") {
		t.Error("adding an overlay changed the fingerprint")
	}
	g.Object.Kind = "StatefulSet"
	if Fingerprint(f, "") == Fingerprint(g, "") {
		t.Error("another kind kept the fingerprint")
	}
	if plain := baselineFinding(); Fingerprint(plain, "") == Fingerprint(f, "") {
		t.Error("a plain file's finding lost its object name")
	}
}
