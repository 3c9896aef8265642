package kustomize_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/renderers"
	"github.com/oomlint/oomlint/rules"
)

// BenchmarkJSONPatches lints one overlay of n Deployments with one JSON6902
// patch each: build and origin tracing must grow linearly with n.
func BenchmarkJSONPatches(b *testing.B) {
	for _, n := range []int{1000, 3000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			dir := b.TempDir()
			writePatched(b, dir, n)
			cfg := lint.Config{Paths: []string{dir}, WorkDir: dir,
				Renderers: renderers.All(render.Options{WorkDir: dir, RepoRoot: dir})}
			var res *lint.Result
			for b.Loop() {
				var err error
				if res, err = lint.Run(b.Context(), cfg, rules.All); err != nil {
					b.Fatal(err)
				}
			}
			// Every patched limit equals its request (OOM104), at the patch.
			at := 0
			for _, f := range res.Findings {
				if f.Rule == "OOM104" && f.File == "overlay/kustomization.yaml" {
					at++
				}
			}
			if at != n {
				b.Fatalf("%d OOM104 findings at the patches, want %d", at, n)
			}
		})
	}
}

// writePatched writes base/ with n Deployments and overlay/ with one
// inline JSON6902 patch per Deployment, targeted by name.
func writePatched(tb testing.TB, dir string, n int) {
	tb.Helper()
	var base, overlay bytes.Buffer
	overlay.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../base\npatches:\n")
	for i := range n {
		fmt.Fprintf(&base, `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-%[1]d
  namespace: prod
spec:
  replicas: 2
  selector:
    matchLabels:
      app: app-%[1]d
  template:
    metadata:
      labels:
        app: app-%[1]d
    spec:
      containers:
      - name: app
        image: example/app:1
        resources:
          requests: {memory: 256Mi}
          limits: {memory: 512Mi}
`, i)
		fmt.Fprintf(&overlay, `- target:
    kind: Deployment
    name: app-%d
  patch: |-
    - op: replace
      path: /spec/template/spec/containers/0/resources/limits/memory
      value: 256Mi
`, i)
	}
	files := map[string][]byte{
		"base/kustomization.yaml":    []byte("resources:\n- deployments.yaml\n"),
		"base/deployments.yaml":      base.Bytes(),
		"overlay/kustomization.yaml": overlay.Bytes(),
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}
