package helmutil

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
)

// manifestFiles are rendered templates with documents of every kind of
// InstallOrder, unknown kinds, hooks of each event with weights, delete and
// output log policies, unknown hooks, partials, empty files and separators
// in odd places.
func manifestFiles() map[string]string {
	files := map[string]string{
		"chart/templates/_helpers.tpl": "kind: Secret\nmetadata:\n  name: partial\n",
		"chart/templates/empty.yaml":   "  \n\n",
		"chart/templates/hooks.yaml": `apiVersion: batch/v1
kind: Job
metadata:
  name: pre
  annotations:
    "helm.sh/hook": pre-install,pre-upgrade
    "helm.sh/hook-weight": "-5"
    "helm.sh/hook-delete-policy": before-hook-creation, Hook-Succeeded
---
apiVersion: v1
kind: Pod
metadata:
  name: test
  annotations:
    helm.sh/hook: test-success
    helm.sh/hook-output-log-policy: hook-succeeded,hook-failed
---
apiVersion: v1
kind: Pod
metadata:
  name: test2
  annotations:
    helm.sh/hook: " TEST "
    helm.sh/hook-weight: "x"
---
kind: ConfigMap
apiVersion: v1
metadata:
  name: unknown-hook
  annotations:
    helm.sh/hook: post-install,no-such-hook
---
kind: ConfigMap
apiVersion: v1
metadata:
  name: not-a-hook
  annotations:
    other: x
---
kind: Secret
metadata:
  name: delete-hooks
  annotations:
    helm.sh/hook: pre-delete,post-delete,pre-rollback,post-rollback,post-upgrade
    helm.sh/hook-weight: "10"
`,
		"chart/templates/zz.yaml":             "---\nkind: Widget\nmetadata: {name: w1}\n---\n---\nkind: Gadget\nmetadata: {name: g1}\n--- # comment\nkind: Widget\nmetadata: {name: w2}\n",
		"chart/templates/nometa.yaml":         "kind: Service\napiVersion: v1\n---\napiVersion: v1\n---\n# only a comment\n",
		"chart/templates/sub/a.yaml":          "kind: Deployment\nmetadata:\n  name: d\n  annotations: {}\n---\nkind: Namespace\nmetadata:\n  name: n\n  annotations:\n    helm.sh/hook-weight: \"1\"\n",
		"chart/charts/sub/templates/crd.yaml": "kind: CustomResourceDefinition\nmetadata:\n  name: crd\n",
	}
	for i, k := range slices.Backward(InstallOrder) {
		files[fmt.Sprintf("chart/templates/kinds/%02d.yaml", i)] = fmt.Sprintf("kind: %s\napiVersion: v1\nmetadata:\n  name: k%d\n---\nkind: %s\nmetadata:\n  name: k%db\n  annotations:\n    helm.sh/hook: post-install\n", k, i, k, i)
	}
	return files
}

func TestSortManifestsMatchesHelm(t *testing.T) {
	if !reflect.DeepEqual([]string(InstallOrder), []string(releaseutil.InstallOrder)) {
		t.Errorf("InstallOrder differs from helm's: %v", InstallOrder)
	}
	if !reflect.DeepEqual([]string(UninstallOrder), []string(releaseutil.UninstallOrder)) {
		t.Errorf("UninstallOrder differs from helm's: %v", UninstallOrder)
	}
	orders := []struct {
		name       string
		helm, ours KindSortOrder
	}{
		{"install", KindSortOrder(releaseutil.InstallOrder), InstallOrder},
		{"uninstall", KindSortOrder(releaseutil.UninstallOrder), UninstallOrder},
		{"none", nil, nil},
		{"custom", KindSortOrder{"Widget", "Pod"}, KindSortOrder{"Widget", "Pod"}},
	}
	cases := map[string]map[string]string{
		"all":    manifestFiles(),
		"empty":  {},
		"bad":    {"a.yaml": "kind: Pod\n", "b.yaml": "kind: Secret\n---\n- a list\n", "c.yaml": "kind: Job\n"},
		"tabs":   {"a.yaml": "kind: Pod\nmetadata:\n\tname: x\n"},
		"string": {"a.yaml": "just text"},
	}
	for name, files := range cases {
		for _, o := range orders {
			var (
				hh         []*release.Hook
				hm         []releaseutil.Manifest
				oh         []*Hook
				om         []Manifest
				herr, oerr error
			)
			hlog := captureLog(func() {
				hh, hm, herr = releaseutil.SortManifests(deepCopy(t, files), chartutil.DefaultVersionSet, releaseutil.KindSortOrder(o.helm))
			})
			olog := captureLog(func() { oh, om, oerr = SortManifests(deepCopy(t, files), DefaultVersionSet, o.ours) })
			sameStrings(t, name+" "+o.name+": log", hlog, olog)
			sameSorted(t, hh, hm, herr, oh, om, oerr)
			if name == "all" && (len(oh) < 40 || len(om) < 40) {
				t.Errorf("%s: only %d hooks and %d manifests", o.name, len(oh), len(om))
			}
			if t.Failed() {
				t.Fatalf("case %s, order %s", name, o.name)
			}
		}
	}
}

func TestHookConstantsMatchHelm(t *testing.T) {
	for _, p := range [][2]string{
		{string(release.HookPreInstall), string(HookPreInstall)}, {string(release.HookPostInstall), string(HookPostInstall)},
		{string(release.HookPreDelete), string(HookPreDelete)}, {string(release.HookPostDelete), string(HookPostDelete)},
		{string(release.HookPreUpgrade), string(HookPreUpgrade)}, {string(release.HookPostUpgrade), string(HookPostUpgrade)},
		{string(release.HookPreRollback), string(HookPreRollback)}, {string(release.HookPostRollback), string(HookPostRollback)},
		{string(release.HookTest), string(HookTest)},
		{string(release.HookSucceeded), string(HookSucceeded)}, {string(release.HookFailed), string(HookFailed)},
		{string(release.HookBeforeHookCreation), string(HookBeforeHookCreation)},
		{string(release.HookOutputOnSucceeded), string(HookOutputOnSucceeded)}, {string(release.HookOutputOnFailed), string(HookOutputOnFailed)},
		{release.HookAnnotation, HookAnnotation}, {release.HookWeightAnnotation, HookWeightAnnotation},
		{release.HookDeleteAnnotation, HookDeleteAnnotation}, {release.HookOutputLogAnnotation, HookOutputLogAnnotation},
		{release.HookTest.String(), HookTest.String()}, {release.HookSucceeded.String(), HookSucceeded.String()},
		{release.HookOutputOnFailed.String(), HookOutputOnFailed.String()},
	} {
		if p[0] != p[1] {
			t.Errorf("helm %q, ours %q", p[0], p[1])
		}
	}
}

func TestSplitManifestsMatchesHelm(t *testing.T) {
	for _, in := range []string{
		"", "---", "a: 1", "a: 1\n---\nb: 2", "---\na: 1\n---\n", "a: 1\n---   \nb: 2\n---\n\n---\nc: 3",
		"a: |\n  x\n  ---\n  y\n", "a: 1\n--- # c\nb: 2", "a: 1\n----\nb: 2", "  ---\na: 1", strings.Repeat("x: 1\n---\n", 12),
	} {
		h, o := releaseutil.SplitManifests(in), SplitManifests(in)
		if !reflect.DeepEqual(h, o) {
			t.Errorf("SplitManifests(%q): helm %q, ours %q", in, h, o)
		}
		hk, ok := slices.Collect(maps.Keys(h)), slices.Collect(maps.Keys(o))
		sort.Sort(releaseutil.BySplitManifestsOrder(hk))
		sort.Sort(BySplitManifestsOrder(ok))
		if !reflect.DeepEqual(hk, ok) {
			t.Errorf("SplitManifests(%q): order helm %v, ours %v", in, hk, ok)
		}
	}
}
