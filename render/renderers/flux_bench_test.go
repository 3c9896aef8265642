package renderers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/rules"
)

// benchReleases is the size of BenchmarkFluxRepo's repository.
const benchReleases = 100

// BenchmarkFluxRepo measures a Flux repository: one Kustomization that
// builds apps/ (generated kustomization), holding benchReleases
// HelmReleases, each rendering an in-repo chart with inline values.
//
//   - lint: the whole run: the Kustomization, then every HelmRelease,
//     origins included, then the rules;
//   - render: the same without the rules (discover, render, decode);
//   - build-and-template: `kustomize build` of the path, then `helm
//     template` of every chart, as a script (or flux-local) would do it;
//   - helm-template: the same charts through helm's action.Install, as
//     `helm template` runs them, without origins.
//
// lint / helm-template is what Flux support costs over rendering alone.
//
//	go test ./render/renderers -run '^$' -bench BenchmarkFluxRepo -benchtime 3x -count 3
func BenchmarkFluxRepo(b *testing.B) {
	dir := b.TempDir()
	// The same HelmReleases with a kustomization listing them, outside the
	// linted tree: what `kustomize build` of the path reads.
	plainApps := b.TempDir()
	plainKust := "resources:\n"
	var chartDirs []string
	for i := range benchReleases {
		name := fmt.Sprintf("svc-%03d", i)
		d := filepath.Join(dir, "charts", name)
		benchWrite(b, d, benchChart(name, i))
		chartDirs = append(chartDirs, d)
		request, limit := benchMemory(i + 1)
		benchWrite(b, filepath.Join(dir, "apps"), map[string]string{name + ".yaml": fmt.Sprintf(`apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: %[1]s
  namespace: apps
spec:
  interval: 10m
  chart:
    spec:
      chart: ./charts/%[1]s
      sourceRef:
        kind: GitRepository
        name: flux-system
        namespace: flux-system
  values:
    resources:
      requests:
        memory: %[2]s
      limits:
        memory: %[3]s
`, name, request, limit)})
		plainKust += "- " + name + ".yaml\n"
	}
	for i := range benchReleases {
		name := fmt.Sprintf("svc-%03d", i)
		data, err := os.ReadFile(filepath.Join(dir, "apps", name+".yaml"))
		if err != nil {
			b.Fatal(err)
		}
		benchWrite(b, plainApps, map[string]string{name + ".yaml": string(data)})
	}
	benchWrite(b, plainApps, map[string]string{"kustomization.yaml": plainKust})
	benchWrite(b, filepath.Join(dir, "clusters", "prod"), map[string]string{"apps.yaml": `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  targetNamespace: apps
  sourceRef:
    kind: GitRepository
    name: flux-system
`})
	opt := render.Options{WorkDir: dir, RepoRoot: dir}

	b.Run("lint", func(b *testing.B) {
		for b.Loop() {
			cfg := lint.Config{Paths: []string{dir}, WorkDir: dir, Renderers: All(opt)}
			res, err := lint.Run(b.Context(), cfg, rules.All)
			if err != nil {
				b.Fatal(err)
			}
			// the Kustomization, every release, and the plain files
			if res.Summary.Units != benchReleases+2 {
				b.Fatalf("%d units, want %d", res.Summary.Units, benchReleases+2)
			}
			for _, f := range res.Findings {
				if f.Rule == lint.RenderErrorID {
					b.Fatalf("render error: %s:%d: %s", f.File, f.Line, f.Message)
				}
			}
		}
		b.ReportMetric(float64(benchReleases)*float64(b.N)/b.Elapsed().Seconds(), "releases/s")
	})
	b.Run("render", func(b *testing.B) {
		for b.Loop() {
			cfg := lint.Config{Paths: []string{dir}, WorkDir: dir, Renderers: All(opt)}
			if _, _, err := lint.Objects(b.Context(), cfg); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(benchReleases)*float64(b.N)/b.Elapsed().Seconds(), "releases/s")
	})
	b.Run("build-and-template", func(b *testing.B) {
		for b.Loop() {
			if _, err := plainKustomizeBuild(plainApps); err != nil {
				b.Fatal(err)
			}
			benchEach(b, len(chartDirs), func(ctx context.Context, i int) error {
				_, err := plainHelmTemplate(ctx, chartDirs[i])
				return err
			})
		}
		b.ReportMetric(float64(benchReleases)*float64(b.N)/b.Elapsed().Seconds(), "releases/s")
	})
	b.Run("helm-template", func(b *testing.B) {
		for b.Loop() {
			benchEach(b, len(chartDirs), func(ctx context.Context, i int) error {
				_, err := plainHelmTemplate(ctx, chartDirs[i])
				return err
			})
		}
		b.ReportMetric(float64(benchReleases)*float64(b.N)/b.Elapsed().Seconds(), "releases/s")
	})
}
