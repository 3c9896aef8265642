package helm

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHelmAliasedDependencies resolves dependencies by their chart name,
// through charts.search and file://, and renders them under their
// aliases as helm does: one library chart twice under two aliases, and
// the version a constraint asks for among several in the search folder.
func TestHelmAliasedDependencies(t *testing.T) {
	helmOffline(t)
	repo := t.TempDir()
	deploy := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Chart.Name }}-{{ .Chart.Version }}\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          resources:\n            {{- toYaml .Values.resources | nindent 12 }}\n"
	writeChart(t, repo, map[string]string{
		"apps/shop/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 1.0.0\ndependencies:\n" +
			"  - name: worker\n    alias: queue\n    version: 1.x.x\n    repository: https://charts.example.com\n" +
			"  - name: worker\n    alias: mailer\n    version: ^2.0.0\n    repository: https://charts.example.com\n" +
			"  - name: cache\n    alias: redis\n    version: 1.0.0\n    repository: file://../../charts/cache\n",
		"apps/shop/values.yaml":                 "queue:\n  resources:\n    limits:\n      memory: 1Gi\nmailer:\n  resources:\n    limits:\n      memory: 2Gi\n",
		"charts/worker-1/Chart.yaml":            "apiVersion: v2\nname: worker\nversion: 1.4.0\n",
		"charts/worker-1/values.yaml":           "resources:\n  limits:\n    memory: 64Mi\n",
		"charts/worker-1/templates/deploy.yaml": deploy,
		"charts/worker-2/Chart.yaml":            "apiVersion: v2\nname: worker\nversion: 2.1.0\n",
		"charts/worker-2/values.yaml":           "resources:\n  limits:\n    memory: 64Mi\n",
		"charts/worker-2/templates/deploy.yaml": deploy,
		"charts/cache/Chart.yaml":               "apiVersion: v2\nname: cache\nversion: 1.0.0\n",
		"charts/cache/values.yaml":              "resources:\n  limits:\n    memory: 32Mi\n",
		"charts/cache/templates/deploy.yaml":    deploy,
	})
	opt := helmOptions(t)
	opt.WorkDir, opt.RepoRoot = repo, repo
	opt.ChartSearch = []string{filepath.Join(repo, "charts")}
	r := renderChart(t, opt, filepath.Join(repo, "apps", "shop"), "")
	for _, p := range r.Problems {
		t.Errorf("problem: %s:%d: %s", p.File, p.Line, p.Message)
	}
	var names []string
	for name, want := range map[string]string{
		"queue-1.4.0":  "apps/shop/values.yaml:4",
		"mailer-2.1.0": "apps/shop/values.yaml:8",
		"redis-1.0.0":  "charts/cache/values.yaml:3",
	} {
		names = append(names, name)
		loc := findChartObject(t, r, "Deployment", name).Locate(helmPath("spec.template.spec.containers[0].resources.limits.memory"))
		if got := fmt.Sprintf("%s:%d", loc.File, loc.Line); got != want {
			t.Errorf("%s: limits.memory at %s, want %s", name, got, want)
		}
	}
	slices.Sort(names)
	if diff := cmp.Diff(3, len(r.Docs)); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
}
