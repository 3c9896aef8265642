package policy

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
)

// reviewedNondeterministic are the built-ins OPA marks nondeterministic
// (the mark every built-in that reaches outside its arguments carries)
// that policies keep, and why they are safe.
var reviewedNondeterministic = map[string]string{
	"time.now_ns":            "the clock: no file, network or environment",
	"rand.intn":              "a random number",
	"uuid.rfc4122":           "a random UUID",
	"io.jwt.decode_verify":   "checks exp/nbf against the clock; keys come from the arguments, jku and x5u are never fetched",
	"io.jwt.encode_sign":     "signs with a key from the arguments",
	"io.jwt.encode_sign_raw": "signs with a key from the arguments",
}

// TestBuiltinsReviewed checks every built-in OPA marks nondeterministic
// is refused or reviewed, and lists the built-ins policies can call in
// testdata/builtins.golden, so an OPA upgrade that adds one shows in a
// diff to review (go test ./policy -run Builtins -update).
func TestBuiltinsReviewed(t *testing.T) {
	var allowed []string
	for _, b := range capabilities(ast.RegoV1).Builtins {
		if refused(b.Name) {
			t.Errorf("%s is refused but still in the capabilities", b.Name)
		}
		if _, ok := reviewedNondeterministic[b.Name]; b.Nondeterministic && !ok {
			t.Errorf("%s is nondeterministic: review whether it reads files, the network or the environment, then refuse it or list it in reviewedNondeterministic", b.Name)
		}
		allowed = append(allowed, b.Name)
	}
	for name := range refusedBuiltins {
		if !slices.ContainsFunc(ast.CapabilitiesForThisVersion().Builtins, func(b *ast.Builtin) bool { return b.Name == name }) {
			t.Errorf("refused built-in %s is not one of OPA's", name)
		}
	}
	slices.Sort(allowed)
	got := strings.Join(allowed, "\n") + "\n"
	golden := filepath.Join("testdata", "builtins.golden")
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile(golden, []byte(got), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("the built-ins policies can call changed (-golden +now); review each new one, then -update:\n%s", diff)
	}
}

// TestRefusedNotCallable compiles a call to each refused built-in: each is
// an OOM902 at the call that names it.
func TestRefusedNotCallable(t *testing.T) {
	caps := capabilities(ast.RegoV1)
	for name := range refusedBuiltins {
		src := "package p\n\nx := " + name + "(1)\n"
		if name == "opa.runtime" {
			src = "package p\n\nx := opa.runtime()\n"
		}
		m, err := ast.ParseModuleWithOpts("p.rego", src, ast.ParserOptions{RegoVersion: ast.RegoV1, Capabilities: caps})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_, problems := compile(map[string]*ast.Module{"p.rego": m}, caps, ast.RegoV1)
		if len(problems) != 1 || problems[0].Line != 3 || problems[0].Message != refusedWhy(name) {
			t.Errorf("%s: %+v", name, problems)
		}
	}
}
