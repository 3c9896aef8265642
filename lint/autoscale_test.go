package lint

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// hpaForScan is HPAFor as a scan of every HPA: the matcher the index
// replaced, kept here as its specification.
func hpaForScan(ns *Namespace, o *Object) (*Object, int64) {
	var best *Object
	var most int64
	for _, h := range ns.HPAs {
		if !RefersTo(h.Str("spec", "scaleTargetRef", "apiVersion"), h.Str("spec", "scaleTargetRef", "kind"), h.Str("spec", "scaleTargetRef", "name"), o) {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(h.Str("spec", "maxReplicas")), 10, 64)
		if err != nil || n < 0 {
			continue
		}
		if best == nil || n > most {
			best, most = h, n
		}
	}
	return best, most
}

func TestHPAForIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	for range 200 {
		ns := &Namespace{Name: "ns"}
		for i := range rng.IntN(8) {
			src := fmt.Sprintf(`kind: HorizontalPodAutoscaler
metadata: {name: h%d}
spec:
  scaleTargetRef: {apiVersion: %q, kind: %q, name: %q}
  maxReplicas: %s
`, i, pick("", "apps/v1", "extensions/v1beta1", "argoproj.io/v1alpha1"), pick("Deployment", "Rollout", ""),
				pick("api", "web", ""), pick("3", "5", "5", "-1", "x", ""))
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
				t.Fatal(err)
			}
			ns.HPAs = append(ns.HPAs, &Object{Kind: "HorizontalPodAutoscaler", Name: fmt.Sprintf("h%d", i), Node: doc.Content[0]})
		}
		for range 4 {
			o := &Object{APIVersion: pick("apps/v1", "argoproj.io/v1alpha1", "v1"), Kind: pick("Deployment", "Rollout"), Name: pick("api", "web", "")}
			gh, gn := ns.HPAFor(o)
			wh, wn := hpaForScan(ns, o)
			if gh != wh || gn != wn {
				t.Fatalf("HPAFor(%s %s %s) = %v %d, scan = %v %d", o.APIVersion, o.Kind, o.Name, gh, gn, wh, wn)
			}
		}
	}
	// HPAs added after the first call are seen.
	ns := &Namespace{}
	o := &Object{APIVersion: "apps/v1", Kind: "Deployment", Name: "api"}
	if h, _ := ns.HPAFor(o); h != nil {
		t.Fatal("an HPA in an empty namespace")
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("spec: {scaleTargetRef: {kind: Deployment, name: api}, maxReplicas: 4}"), &doc); err != nil {
		t.Fatal(err)
	}
	ns.HPAs = append(ns.HPAs, &Object{Kind: "HorizontalPodAutoscaler", Node: doc.Content[0]})
	if _, n := ns.HPAFor(o); n != 4 {
		t.Errorf("HPAFor after an append: maxReplicas %d, want 4", n)
	}
}
