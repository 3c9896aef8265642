package policy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"go.yaml.in/yaml/v3"
)

func TestNodeValue(t *testing.T) {
	var n yaml.Node
	src := `
defaults: &d {memory: 512Mi, cpu: 1}
merged: {<<: *d, cpu: 2}
twice: {a: 1, a: 2}
list: [*d, *d]
empty:
`
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	got := nodeValue(&n).String()
	want := `{"defaults": {"cpu": 1, "memory": "512Mi"}, "empty": null, "list": [{"cpu": 1, "memory": "512Mi"}, {"cpu": 1, "memory": "512Mi"}], "merged": {"cpu": 2, "memory": "512Mi"}, "twice": {"a": 2}}`
	if got != want {
		t.Errorf("nodeValue:\n got %s\nwant %s", got, want)
	}
	if v := nodeValue(&yaml.Node{Kind: yaml.DocumentNode}); v.Compare(ast.NullValue) != 0 {
		t.Errorf("empty document = %v, want null", v)
	}
}

// TestNodeValueShares: an alias bomb the decoder would refuse still
// converts in what was written, its anchors shared; a cycle ends.
func TestNodeValueShares(t *testing.T) {
	var b strings.Builder
	b.WriteString("a: &a [x, x, x, x, x, x, x, x, x, x]\n")
	prev := "a"
	for _, c := range "bcdefghi" {
		fmt.Fprintf(&b, "%c: &%c [%s]\n", c, c, strings.TrimSuffix(strings.Repeat("*"+prev+", ", 10), ", "))
		prev = string(c)
	}
	b.WriteString("cycle: &c {self: *c, list: [*c, *c]}\n")
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(b.String()), &n); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	v := nodeValue(&n)
	if d := time.Since(start); d > time.Second {
		t.Errorf("conversion took %v", d)
	}
	obj, ok := v.(ast.Object)
	if !ok || obj.Get(ast.StringTerm("i")) == nil {
		t.Fatalf("nodeValue = %T", v)
	}
}
