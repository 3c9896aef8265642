package yamlnode

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// aliasBomb is nine anchors of ten aliases each: 10^9 nodes expanded.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\n")
	b.WriteString("a: &a [x, x, x, x, x, x, x, x, x, x]\n")
	prev := "a"
	for _, c := range "bcdefghi" {
		fmt.Fprintf(&b, "%c: &%c [%s]\n", c, c, strings.TrimSuffix(strings.Repeat("*"+prev+", ", 10), ", "))
		prev = string(c)
	}
	return b.String()
}

func checkText(t *testing.T, src string) error {
	t.Helper()
	var b Budget
	return b.Check(parse(t, src))
}

func TestCheckLimits(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      error
		line      int
	}{
		{"shared values", "base: &b {memory: 1Gi}\nx: *b\ny: *b\n", nil, 0},
		{"cycle in a mapping", "apiVersion: v1\nkind: Pod\ndata: &a {x: *a}\n", ErrAliasCycle, 3},
		{"cycle through a sequence", "x: &a\n  - y: [*a]\n", ErrAliasCycle, 2},
		{"alias bomb", aliasBomb(), ErrAliasBomb, 0},
		{"cycle through a merge key", "x: &a\n  <<: *a\n", ErrAliasCycle, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			err := checkText(t, tc.src)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Check = %v, want %v", err, tc.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Check took %v", d)
			}
			var le *LimitError
			if tc.want != nil && (!errors.As(err, &le) || (tc.line > 0 && le.Line != tc.line)) {
				t.Errorf("Check = %#v, want a LimitError at line %d", err, tc.line)
			}
		})
	}
}

// TestCheckMatchesKubernetes checks the ratio rule against go.yaml.in/yaml's
// own decoder: a document it refuses for excessive aliasing, Check refuses
// too, and one it decodes, Check accepts (below MaxAliasNodes).
func TestCheckMatchesKubernetes(t *testing.T) {
	seen := map[bool]int{}
	for _, width := range []int{2, 5, 10, 50} {
		for _, plain := range []int{0, 1000, 20000} {
			for depth := 1; depth <= 4; depth++ {
				src := ratioDoc(width, depth, plain)
				var v any
				decErr := yaml.Unmarshal([]byte(src), &v)
				refused := decErr != nil && strings.Contains(decErr.Error(), "excessive aliasing")
				var b Budget
				err := b.Check(parse(t, src))
				if errors.Is(err, ErrAliasBomb) && !refused && b.aliased > MaxAliasNodes {
					continue // over this package's own cap, not the ratio
				}
				seen[refused]++
				if got := errors.Is(err, ErrAliasBomb); got != refused {
					t.Errorf("width %d depth %d plain %d: Check = %v, decoder = %v", width, depth, plain, err, decErr)
				}
			}
		}
	}
	if seen[true] == 0 || seen[false] == 0 {
		t.Errorf("cases the decoder refused and accepted: %v; want both", seen)
	}
}

// ratioDoc has plain scalar nodes, then anchors nested depth deep, each
// level width aliases of the one before.
func ratioDoc(width, depth, plain int) string {
	var b strings.Builder
	b.WriteString("plain: [")
	for i := range plain {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("p")
	}
	b.WriteString("]\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for d := 1; d <= depth; d++ {
		fmt.Fprintf(&b, "l%d: &l%d [%s]\n", d, d, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", d-1), width), ", "))
	}
	return b.String()
}

func TestCheckCapsAFile(t *testing.T) {
	// Each document is within the ratio; together they pass MaxAliasNodes.
	doc := "a: &a [" + strings.Repeat("x, ", 999) + "x]\nb: [" + strings.Repeat("*a, ", 49) + "*a]\n"
	var b Budget
	var err error
	n := 0
	for ; n < 10 && err == nil; n++ {
		err = b.Check(parse(t, doc))
	}
	if !errors.Is(err, ErrAliasBomb) || n != 3 {
		t.Errorf("after %d documents: %v, want an alias bomb at the third", n, err)
	}
}

func TestCheckDepth(t *testing.T) {
	// 20 anchors, each a 900-deep sequence around an alias of the previous:
	// written nesting stays under the parser's limit, expanded it does not.
	var b strings.Builder
	b.WriteString("a0: &a0 x\n")
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&b, "a%d: &a%d %s*a%d%s\n", i, i, strings.Repeat("[", 900), i-1, strings.Repeat("]", 900))
	}
	if err := checkText(t, b.String()); !errors.Is(err, ErrTooDeep) {
		t.Errorf("Check = %v, want ErrTooDeep", err)
	}
}

func TestCheckAliases(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      error
	}{
		{"no alias", "a: 1\n---\nb: 2\n", nil},
		{"a star in a string", "schedule: '*/5 * * * *'\n", nil},
		{"cycle in the second document", "a: 1\n---\nx: &a {y: *a}\n", ErrAliasCycle},
		{"bomb", aliasBomb(), ErrAliasBomb},
		{"not YAML", "a: *nope\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckAliases([]byte(tc.src)); !errors.Is(err, tc.want) {
				t.Errorf("CheckAliases = %v, want %v", err, tc.want)
			}
		})
	}
	err := CheckAliases([]byte("a: 1\n---\nx: &a {y: *a}\n"))
	if want := "yaml: line 3: YAML aliases form a cycle: *a is inside its own anchor"; err == nil || err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

func TestDuplicates(t *testing.T) {
	small := parse(t, "a: 1\nb: 2\na: 3\n<<: {}\n<<: {}\nb: 4\na: 5\n")
	var big strings.Builder
	for i := range 40 {
		fmt.Fprintf(&big, "k%d: %d\n", i%30, i)
	}
	for name, m := range map[string]*yaml.Node{"small": Deref(small), "big": Deref(parse(t, big.String()))} {
		dups := Duplicates(m)
		var got []string
		for _, d := range dups {
			got = append(got, fmt.Sprintf("%s:%d-%d×%d", d.Last.Value, d.First.Line, d.Last.Line, d.Count))
		}
		want := map[string]string{
			"small": "[b:2-6×2 a:1-7×3]",
			"big":   "[k0:1-31×2 k1:2-32×2 k2:3-33×2 k3:4-34×2 k4:5-35×2 k5:6-36×2 k6:7-37×2 k7:8-38×2 k8:9-39×2 k9:10-40×2]",
		}[name]
		if fmt.Sprint(got) != want {
			t.Errorf("%s: %v, want %s", name, got, want)
		}
	}
}
