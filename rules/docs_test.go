package rules_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/oomlint/oomlint/rules"
)

var update = flag.Bool("update", false, "rewrite docs/rules.md from the rule catalogue")

// rulesDoc is the generated rule reference, relative to this package.
var rulesDoc = filepath.Join("..", "docs", "rules.md")

// TestDocs keeps docs/rules.md equal to what the catalogue generates, so the
// reference is never edited by hand and never goes stale. Run
// `go test ./rules -run TestDocs -update` after changing a rule.
func TestDocs(t *testing.T) {
	var buf bytes.Buffer
	if err := rules.Markdown(&buf, rules.All); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(rulesDoc, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	committed, err := os.ReadFile(rulesDoc)
	if err != nil {
		t.Fatalf("%v (run `go test ./rules -run TestDocs -update` to create it)", err)
	}
	if diff := gocmp.Diff(string(committed), buf.String()); diff != "" {
		t.Errorf("docs/rules.md is stale; run `go test ./rules -run TestDocs -update` (-committed +generated):\n%s", diff)
	}
}
