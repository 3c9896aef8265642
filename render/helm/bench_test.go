package helm

import (
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
)

// BenchmarkHelmTemplate renders the chart BenchmarkHelmRender renders, with
// helm's own install action as `helm template` does: no markers, no
// origins. Rendering with origins is meant to take at most 1.2 times this.
func BenchmarkHelmTemplate(b *testing.B) {
	dir, err := chartutil.Create("bench", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	kv, err := chartutil.ParseKubeVersion(render.DefaultKubeVersion)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ch, err := loader.Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		vals, err := (&values.Options{}).MergeValues(nil)
		if err != nil {
			b.Fatal(err)
		}
		inst := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
		inst.DryRun, inst.DryRunOption, inst.ClientOnly, inst.Replace = true, "true", true, true
		inst.ReleaseName, inst.Namespace, inst.KubeVersion = render.DefaultReleaseName, lint.DefaultNamespace, kv
		rel, err := inst.RunWithContext(b.Context(), ch, vals)
		if err != nil || rel.Manifest == "" {
			b.Fatal("nothing rendered:", err)
		}
	}
}

// BenchmarkScanTemplates scans the templates of the `helm create` chart as
// a marked render does, to tell the scanner's share of BenchmarkHelmRender.
func BenchmarkScanTemplates(b *testing.B) {
	dir, err := chartutil.Create("bench", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ch, err := loader.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for _, f := range ch.Templates {
			scanTemplate(0, f.Name, string(f.Data))
		}
	}
}
