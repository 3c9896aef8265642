package kustomize

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"
)

// names are short, overlapping names, so prefixes, suffixes and substrings
// meet often.
var indexNames = []string{"", "a", "b", "ab", "ba", "aba", "api", "p-api", "api-s", "p-api-s", "x", "app"}

func randName(rng *rand.Rand) string { return indexNames[rng.IntN(len(indexNames))] }

func mustNode(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

// TestDocIndexFind checks the indexed source document lookup against a
// scan of every document, the lookup it replaces.
func TestDocIndexFind(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		x := &kDocIndex{first: map[kKindName]int{}, kind: map[string]int{}, nKind: map[string]int{}}
		for i := range rng.IntN(8) {
			kind := []string{"Deployment", "Service"}[rng.IntN(2)]
			name := randName(rng)
			doc := mustNode(t, fmt.Sprintf("kind: %s\nmetadata: {name: %q}\nn: %d\n", kind, name, i))
			x.docs = append(x.docs, doc)
			k := kKindName{kind, name}
			if _, ok := x.first[k]; !ok {
				x.first[k] = i
			}
			if _, ok := x.kind[kind]; !ok {
				x.kind[kind] = i
			}
			x.nKind[kind]++
			x.maxLen = max(x.maxLen, len(name))
		}
		for _, name := range append(slices.Clone(indexNames), "p-api-s-x", "zz-aba-zz") {
			if got, want := x.find("Deployment", name), x.scan("Deployment", name); got != want {
				t.Fatalf("find(%q) = %v, scan = %v", name, got, want)
			}
		}
	}
}

// TestPatchIndexApplying checks the patches an object meets through the
// index against every patch of the kustomization, latest first.
func TestPatchIndexApplying(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		x := &kPatchIndex{byName: map[string][]int{}}
		for i := range rng.IntN(10) {
			p := &kPatch{}
			switch rng.IntN(3) {
			case 0: // strategic merge, by its document's name
				p.doc = mustNode(t, fmt.Sprintf("kind: Deployment\nmetadata: {name: %q}\n", randName(rng)))
			case 1: // a target by name, a regex, or none
				p.json = true
				p.doc = mustNode(t, "[]")
				name := []string{randName(rng), "a.*", "(api|ab)", ""}[rng.IntN(4)]
				p.sel = &types.Selector{ResId: resid.ResId{Gvk: resid.Gvk{Kind: "Deployment"}, Name: name}}
			default: // JSON6902 without a target: applies to nothing
				p.json = true
				p.doc = mustNode(t, "[]")
			}
			if p.sel != nil {
				p.selRegex, _ = types.NewSelectorRegex(p.sel)
			}
			x.all = append(x.all, p)
			if name, ok := p.literalName(); ok {
				x.byName[name] = append(x.byName[name], i)
			} else {
				x.any = append(x.any, i)
			}
		}
		for range 5 {
			srcName := randName(rng)
			name := []string{"", "p-", "pp-"}[rng.IntN(3)] + srcName + []string{"", "-s", "-s-x"}[rng.IntN(3)]
			src := kSource{kind: "Deployment", name: name, gvk: resid.Gvk{Group: "apps", Version: "v1", Kind: "Deployment"}}
			var want []*kPatch
			for _, p := range slices.Backward(x.all) {
				if p.matches(src, srcName) {
					want = append(want, p)
				}
			}
			if got := x.applying(src, srcName); !slices.Equal(got, want) {
				t.Fatalf("applying(%q, %q): %d patches, want %d", name, srcName, len(got), len(want))
			}
		}
	}
}

// TestPatchIndexBetweenBound checks that a name with many ways to hold the
// source name falls back to every patch instead of a quadratic lookup.
func TestPatchIndexBetweenBound(t *testing.T) {
	x := &kPatchIndex{all: make([]*kPatch, 3), byName: map[string][]int{"aa": {1}}}
	if got := x.between(strings.Repeat("a", 200), "a"); len(got) != 3 {
		t.Errorf("between: %d candidates, want all 3", len(got))
	}
	if got := x.between("p-aa", "aa"); !slices.Equal(got, []int{1}) {
		t.Errorf("between(p-aa, aa) = %v, want [1]", got)
	}
}
