package yamlnode

import (
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
