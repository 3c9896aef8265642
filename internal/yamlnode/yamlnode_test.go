package yamlnode

import (
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func parse(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	return &n
}

func TestGet(t *testing.T) {
	root := parse(t, `
base: &base {memory: 512Mi, cpu: ~}
spec:
  resources: *base
  list: [a, b]
  empty:
`)
	if got := Str(root, "spec", "resources", "memory"); got != "512Mi" {
		t.Errorf("through an alias: %q", got)
	}
	if got := Str(root, "spec", "resources", "cpu"); got != "" {
		t.Errorf("null scalar: %q", got)
	}
	if !IsNull(Get(root, "spec", "empty")) || !IsNull(Get(root, "spec", "missing")) {
		t.Error("empty and missing values are null")
	}
	if got := len(Seq(root, "spec", "list")); got != 2 {
		t.Errorf("Seq: %d items", got)
	}
	if Get(nil, "a") != nil || Str(nil) != "" || Seq(root, "spec", "resources") != nil {
		t.Error("nil-safe lookups and kind checks")
	}
	if k, _ := Lookup(root, "spec"); k == nil || k.Line != 3 {
		t.Errorf("Lookup key line: %+v", k)
	}
}

func TestDerefStopsOnCycles(t *testing.T) {
	a := &yaml.Node{Kind: yaml.AliasNode}
	b := &yaml.Node{Kind: yaml.AliasNode, Alias: a}
	a.Alias = b
	if Deref(a) != nil || Get(a, "x") != nil {
		t.Error("a cyclic alias derefs to nil")
	}
}

func TestLookupReadsAsKubernetes(t *testing.T) {
	root := parse(t, `
defaults: &defaults
  limits: {memory: 1Gi}
  requests: {memory: 512Mi}
more: &more {requests: {memory: 1Mi}, extra: x}
merged:
  <<: *defaults
  requests: {memory: 256Mi}
list:
  <<: [*more, *defaults]
nested:
  <<: {<<: *defaults}
quoted:
  "<<": *defaults
twice:
  memory: 1Gi
  memory: 2Gi
`)
	for _, tc := range []struct {
		keys []string
		want string
		line int
	}{
		{[]string{"merged", "limits", "memory"}, "1Gi", 3},
		{[]string{"merged", "requests", "memory"}, "256Mi", 8}, // explicit keys win
		{[]string{"list", "requests", "memory"}, "1Mi", 5},     // the first merged mapping wins
		{[]string{"list", "limits", "memory"}, "1Gi", 3},       // later ones fill the gaps
		{[]string{"nested", "limits", "memory"}, "1Gi", 3},     // merges of merges
		{[]string{"quoted", "limits", "memory"}, "", 0},        // a quoted << is a plain key
		{[]string{"twice", "memory"}, "2Gi", 17},               // the last occurrence counts
	} {
		if got := Str(root, tc.keys...); got != tc.want {
			t.Errorf("%v = %q, want %q", tc.keys, got, tc.want)
		}
		parent := Get(root, tc.keys[:len(tc.keys)-1]...)
		if k, _ := Lookup(parent, tc.keys[len(tc.keys)-1]); tc.line > 0 && (k == nil || k.Line != tc.line) {
			t.Errorf("%v: key at %+v, want line %d", tc.keys, k, tc.line)
		}
	}
}

func TestPairs(t *testing.T) {
	root := parse(t, `
base: &base {a: 1, b: 2, c: 3}
m:
  b: x
  <<: *base
  d: y
  b: z
`)
	var got []string
	Pairs(Get(root, "m"), func(k, v *yaml.Node) bool {
		got = append(got, k.Value+"="+v.Value)
		return true
	})
	want := []string{"d=y", "b=z", "a=1", "c=3"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Pairs: %v, want %v", got, want)
	}
	n := 0
	Pairs(Get(root, "m"), func(_, _ *yaml.Node) bool { n++; return false })
	if n != 1 {
		t.Errorf("Pairs went on after yield returned false: %d calls", n)
	}
}

func TestPairsLargeMapping(t *testing.T) {
	var b strings.Builder
	for i := range 100 {
		fmt.Fprintf(&b, "k%d: %d\n", i%60, i)
	}
	got := map[string]string{}
	Pairs(parse(t, b.String()), func(k, v *yaml.Node) bool {
		if _, dup := got[k.Value]; dup {
			t.Errorf("key %s yielded twice", k.Value)
		}
		got[k.Value] = v.Value
		return true
	})
	if len(got) != 60 || got["k0"] != "60" || got["k59"] != "59" {
		t.Errorf("Pairs over a large mapping: %d keys, k0=%s k59=%s", len(got), got["k0"], got["k59"])
	}
}

func TestMergeCycleStops(t *testing.T) {
	m := &yaml.Node{Kind: yaml.MappingNode}
	alias := &yaml.Node{Kind: yaml.AliasNode, Alias: m}
	m.Content = []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!merge", Value: "<<"}, alias}
	if k, _ := Lookup(m, "x"); k != nil {
		t.Error("a mapping that merges itself has no x")
	}
	Pairs(m, func(_, _ *yaml.Node) bool { return true })
}

// TestMergeFanOut: mappings that merge the one before eight times over,
// thirty deep, are read once each, not 8^30 times.
func TestMergeFanOut(t *testing.T) {
	var b strings.Builder
	b.WriteString("m0: &m0 {k0: v}\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "m%d: &m%d {<<: [%s], k%d: v}\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*m%d, ", i-1), 8), ", "), i)
	}
	b.WriteString("top: {<<: [*m30, *m30, *m30], self: &s {<<: *m30}}\n")
	root := parse(t, b.String())
	top := Get(root, "top")
	if Str(top, "k0") != "v" || Get(top, "missing") != nil {
		t.Error("lookups through merges")
	}
	n := 0
	Pairs(top, func(_, _ *yaml.Node) bool { n++; return true })
	if n != 32 { // self and k0…k30
		t.Errorf("Pairs yielded %d keys, want 32", n)
	}
}
