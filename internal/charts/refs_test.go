package charts

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScan(t *testing.T) {
	got, err := Scan("testdata/repo")
	if err != nil {
		t.Fatal(err)
	}
	const (
		releases = "testdata/repo/flux/releases.yaml"
		apps     = "testdata/repo/argo/apps.yml"
		chart    = "testdata/repo/charts/app/Chart.yaml"
		kust     = "testdata/repo/kustomize/redis/kustomization.yaml"
		ghcr     = "oci://ghcr.io/stefanprodan/charts"
	)
	want := []Found{
		{Ref{"https://charts.bitnami.com/bitnami", "postgresql", "15.x.x"}, chart, 5},
		{Ref{"https://charts.bitnami.com/bitnami", "redis", "19.0.0"}, kust, 3},                 // kustomization helmCharts (a vendored one is not pulled)
		{Ref{"https://charts.example.com", "api", "2.x"}, apps, 46},                             // ApplicationSet without templates
		{Ref{"https://kubernetes.github.io/ingress-nginx", "ingress-nginx", "4.10.0"}, apps, 9}, // Application source
		{Ref{"https://stefanprodan.github.io/podinfo", "podinfo", "6.5.x"}, releases, 9},        // HelmRelease + HelmRepository in its namespace
		{Ref{ghcr, "podinfo", "*"}, releases, 37},                                               // HelmRelease + OCI HelmRepository, version defaulted
		{Ref{ghcr, "podinfo", "6.5.0"}, chart, 8},                                               // Chart.yaml OCI dependency
		{Ref{ghcr, "podinfo", ">=6.0.0"}, releases, 27},                                         // HelmRelease chartRef + OCIRepository
		{Ref{"oci://registry-1.docker.io/bitnamicharts", "redis", ">=18 <19"}, apps, 22},        // Application sources, OCI without scheme
		{Ref{"oci://registry-1.docker.io/bitnamicharts", "valkey", ""}, kust, 7},                // kustomization helmCharts from OCI
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Scan (-want +got):\n%s", diff)
	}
}

func TestScanFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "app.yaml")
	doc := "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  source:\n    repoURL: https://charts.example.com/\n    chart: api\n"
	if err := os.WriteFile(name, []byte(doc+"---\n"+doc), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Scan(name)
	if err != nil {
		t.Fatal(err)
	}
	ref := Ref{RepoURL: "https://charts.example.com", Chart: "api"}
	file := filepath.ToSlash(name)
	if diff := cmp.Diff([]Found{{ref, file, 6}, {ref, file, 13}}, got); diff != "" {
		t.Errorf("Scan of one file (-want +got):\n%s", diff)
	}
	if _, err := Scan(filepath.Join(dir, "missing")); err == nil {
		t.Error("Scan of a missing path: no error")
	}
}

func TestSplitDocuments(t *testing.T) {
	tests := []struct {
		in   string
		want []document
	}{
		{"a: 1\n", []document{{[]byte("a: 1\n"), 0}}},
		{"---\na: 1\n", []document{{[]byte{}, 0}, {[]byte("a: 1\n"), 1}}},
		{"a: 1\n---\nb: 2\n--- # c\nc: 3", []document{{[]byte("a: 1\n"), 0}, {[]byte("b: 2\n"), 2}, {[]byte("c: 3"), 4}}},
		{"a: |\n  ---x\n----\n", []document{{[]byte("a: |\n  ---x\n----\n"), 0}}},
		{"a: 1\n---", []document{{[]byte("a: 1\n"), 0}}},
	}
	for _, tt := range tests {
		got := splitDocuments([]byte(tt.in))
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(document{})); diff != "" {
			t.Errorf("splitDocuments(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// FuzzScanFile: any file content is read without panicking, and every
// reference has a line.
func FuzzScanFile(f *testing.F) {
	for _, name := range []string{"flux/releases.yaml", "flux/sources.yaml", "argo/apps.yml", "charts/app/Chart.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", "repo", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, name == "charts/app/Chart.yaml")
	}
	f.Fuzz(func(t *testing.T, data []byte, chartYAML bool) {
		var s scan
		s.file("f.yaml", chartYAML, data)
		for _, found := range s.resolve() {
			if found.Line < 1 {
				t.Errorf("%v at line %d", found.Ref, found.Line)
			}
		}
	})
}
