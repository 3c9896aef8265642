package rules_test

import (
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/renderers"
	"github.com/oomlint/oomlint/rules"
)

// A fixture line that must produce findings ends in `# want: OOM101 OOM104`.
// Files that cannot hold comments (JSON), and lines where a trailing comment
// would change what is tested (an oomlint:ignore directive), list their
// wants in a sidecar `<file>.want` instead: one `LINE OOMnnn [OOMnnn…]` per
// line. The walker only picks up .yaml, .yml and .json, so sidecars are
// never linted.
var (
	wantComment = regexp.MustCompile(`#\s*want:(.*)$`)
	wantIDs     = regexp.MustCompile(`^\s*(OOM\d{3}(?:\s+OOM\d{3})*)\s*$`)
)

const sidecarExt = ".want"

// untestable are the rules no fixture can fire yet. Keep it
// short: a rule listed here that a fixture wants fails the meta-check.
var untestable = map[string]string{
	lint.PolicyErrorID:  "no Rego policies yet",
	lint.OOMKilledID:    "reported by oomlint triage, not lint (cmd/oomlint/triage_test.go)",
	lint.ClusterDriftID: "reported by oomlint triage, not lint (cmd/oomlint/triage_test.go)",
	lint.NotInRepoID:    "reported by oomlint triage, not lint (cmd/oomlint/triage_test.go)",
}

// pos is a line of a fixture file, named as findings name it: relative to
// the module root, with /.
type pos struct {
	file string
	line int
}

// TestFixtures lints each entry of testdata/ on its own and compares the
// findings with its wants, the go/analysis analysistest way.
func TestFixtures(t *testing.T) {
	root := moduleRoot(t)
	for _, name := range fixtureNames(t, root) {
		t.Run(name, func(t *testing.T) {
			rel := "testdata/" + name
			wants := readWants(t, root, rel)
			for _, p := range compare(wants, lintFixture(t, root, rel).Findings) {
				t.Error(p)
			}
		})
	}
}

// TestStreamingMatchesBuffered checks that checking files as they are
// decoded and dropping their trees (the default) finds exactly what
// decoding everything first does, positions, messages and traces alike.
func TestStreamingMatchesBuffered(t *testing.T) {
	root := moduleRoot(t)
	for _, name := range append(fixtureNames(t, root), "../examples") {
		t.Run(name, func(t *testing.T) {
			rel := "testdata/" + name
			streamed, buffered := lintFixtureWith(t, root, rel, false), lintFixtureWith(t, root, rel, true)
			if d := gocmp.Diff(buffered.Findings, streamed.Findings); d != "" || buffered.Summary != streamed.Summary {
				t.Errorf("streamed run differs from buffered (-buffered +streamed):\n%s\nsummary %+v, buffered %+v", d, streamed.Summary, buffered.Summary)
			}
		})
	}
}

// TestNoFindingOnTemplateLineOne checks that no memory finding in any
// fixture sits on line 1 of a chart template: a field is traced to the
// values line that set it, else to the template line that writes it, and
// line 1 is where a lost trace ends.
func TestNoFindingOnTemplateLineOne(t *testing.T) {
	root := moduleRoot(t)
	for _, name := range append(fixtureNames(t, root), "../examples") {
		for _, f := range lintFixture(t, root, "testdata/"+name).Findings {
			if f.Line == 1 && strings.Contains(f.File, "/templates/") && f.Rule < "OOM900" {
				t.Errorf("%s: %s:%d: %s %s", name, f.File, f.Line, f.Rule, f.Message)
			}
		}
	}
}

// TestCatalogueHasFixtures checks that every want names a rule of the
// catalogue (a typo never passes silently) and every rule is wanted
// somewhere (a rule missing from rules.All never fires, so its fixtures fail).
func TestCatalogueHasFixtures(t *testing.T) {
	root := moduleRoot(t)
	known := map[string]bool{}
	for _, r := range rules.All {
		known[r.ID] = true
	}
	wanted := map[string]bool{}
	for _, name := range fixtureNames(t, root) {
		for p, ids := range readWants(t, root, "testdata/"+name) {
			for _, id := range ids {
				if !known[id] {
					t.Errorf("%s:%d: want %s: no such rule in rules.All", p.file, p.line, id)
				}
				wanted[id] = true
			}
		}
	}
	for _, r := range rules.All {
		_, skip := untestable[r.ID]
		switch {
		case !wanted[r.ID] && !skip:
			t.Errorf("%s %s: no fixture wants it; add one under testdata/", r.ID, r.Name)
		case wanted[r.ID] && skip:
			t.Errorf("%s %s: fixtures want it now; remove it from untestable", r.ID, r.Name)
		}
	}
}

// TestCompare makes sure the harness fails when it should: an extra finding,
// a second finding for one want, and a want nothing produced.
func TestCompare(t *testing.T) {
	const f = "testdata/x.yaml"
	wants := map[pos][]string{
		{f, 12}: {"OOM101"},
		{f, 14}: {"OOM101", "OOM102"},
	}
	findings := []lint.Finding{
		{Rule: "OOM101", Name: "memory-limit-missing", File: f, Line: 12, Message: "first"},
		{Rule: "OOM101", Name: "memory-limit-missing", File: f, Line: 12, Message: "second"},
		{Rule: "OOM102", Name: "memory-request-missing", File: f, Line: 14, Message: "wanted"},
		{Rule: "OOM105", Name: "memory-limit-request-ratio", File: f, Line: 3, Message: "not wanted"},
	}
	want := []string{
		"testdata/x.yaml:3: unexpected OOM105 memory-limit-request-ratio: not wanted",
		"testdata/x.yaml:12: unexpected OOM101 memory-limit-missing: second",
		"testdata/x.yaml:14: want OOM101, got none",
	}
	if diff := gocmp.Diff(want, compare(wants, findings)); diff != "" {
		t.Errorf("compare (-want +got):\n%s", diff)
	}
	if got := compare(wants, findings[:3]); len(got) != 2 {
		t.Errorf("compare consumed the caller's wants: second call got %q", got)
	}
	if got := compare(wants, findings[:1]); len(got) != 2 {
		t.Errorf("compare with missing findings = %q, want 2 problems", got)
	}
}

// TestScanWants checks the comment and sidecar syntax, malformed wants included.
func TestScanWants(t *testing.T) {
	yaml := "a: 1 # want: OOM101\nb: 2 #want:OOM101  OOM104 \nc: 3 # want: OOM1O4\nd: 4 # want: OOM101 because\ne: 5 # wanted: OOM101\n"
	got := map[pos][]string{}
	errs := scanWants("x.yaml", []byte(yaml), got)
	errs = append(errs, scanSidecar("x.json", []byte("3 OOM105\n\n7 OOM101 OOM102\nx OOM101\n9\n"), got)...)
	want := map[pos][]string{
		{"x.yaml", 1}: {"OOM101"},
		{"x.yaml", 2}: {"OOM101", "OOM104"},
		{"x.json", 3}: {"OOM105"},
		{"x.json", 7}: {"OOM101", "OOM102"},
	}
	if diff := gocmp.Diff(want, got, gocmp.AllowUnexported(pos{})); diff != "" {
		t.Errorf("wants (-want +got):\n%s", diff)
	}
	var msgs []string
	for _, err := range errs {
		msgs = append(msgs, err.Error())
	}
	wantErrs := []string{
		`x.yaml:3: malformed want comment "# want: OOM1O4"`,
		`x.yaml:4: malformed want comment "# want: OOM101 because"`,
		`x.json.want:4: malformed want line "x OOM101"`,
		`x.json.want:5: malformed want line "9"`,
	}
	if diff := gocmp.Diff(wantErrs, msgs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// fixtureNames lists the top-level entries of testdata/, each one lint run.
func fixtureNames(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), sidecarExt) {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		t.Fatal("no fixtures in testdata/")
	}
	return names
}

// lintFixture runs the linter on one fixture the way the CLI would, with
// the fixture directory's .oomlint.yaml if it has one.
func lintFixture(t *testing.T, root, rel string) *lint.Result {
	t.Helper()
	return lintFixtureWith(t, root, rel, false)
}

func lintFixtureWith(t *testing.T, root, rel string, buffered bool) *lint.Result {
	t.Helper()
	abs := filepath.Join(root, rel)
	cfg := lint.Config{Paths: []string{abs}, WorkDir: root, Jobs: 2, Buffered: buffered}
	ropt := render.Options{WorkDir: root, RepoRoot: root}
	if st, err := os.Stat(abs); err == nil && st.IsDir() {
		if p := lint.FindConfigFile(abs); p != "" {
			fc, err := lint.LoadConfigFile(p)
			if err != nil {
				t.Fatal(err)
			}
			fc.Apply(&cfg)
			ropt.ApplyConfig(fc)
		}
	}
	ropt.Namespace = cfg.Namespace
	cfg.Renderers = renderers.All(ropt)
	res, err := lint.Run(t.Context(), cfg, rules.All)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// readWants collects the wants of every file of a fixture, sidecars included.
func readWants(t *testing.T, root, rel string) map[pos][]string {
	t.Helper()
	wants := map[pos][]string{}
	err := filepath.WalkDir(filepath.Join(root, rel), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		display, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		display = filepath.ToSlash(display)
		var errs []error
		if name, ok := strings.CutSuffix(display, sidecarExt); ok {
			errs = scanSidecar(name, data, wants)
		} else {
			errs = scanWants(display, data, wants)
		}
		for _, err := range errs {
			t.Error(err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sidecar, err := os.ReadFile(filepath.Join(root, rel) + sidecarExt); err == nil {
		for _, err := range scanSidecar(rel, sidecar, wants) {
			t.Error(err)
		}
	}
	return wants
}

// scanWants adds the `# want:` comments of file to wants. A comment that
// starts like a want but does not parse is an error, so a typo such as
// OOM1O4 cannot make a want vanish.
func scanWants(file string, data []byte, wants map[pos][]string) []error {
	var errs []error
	for i, line := range strings.Split(string(data), "\n") {
		m := wantComment.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil {
			continue
		}
		ids := wantIDs.FindStringSubmatch(m[1])
		if ids == nil {
			errs = append(errs, fmt.Errorf("%s:%d: malformed want comment %q", file, i+1, m[0]))
			continue
		}
		p := pos{file, i + 1}
		wants[p] = append(wants[p], strings.Fields(ids[1])...)
	}
	return errs
}

// scanSidecar adds the `LINE OOMnnn…` lines of file's sidecar to wants.
func scanSidecar(file string, data []byte, wants map[pos][]string) []error {
	var errs []error
	for i, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		num, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		n, err := strconv.Atoi(num)
		ids := wantIDs.FindStringSubmatch(rest)
		if err != nil || n < 1 || ids == nil {
			errs = append(errs, fmt.Errorf("%s%s:%d: malformed want line %q", file, sidecarExt, i+1, line))
			continue
		}
		p := pos{file, n}
		wants[p] = append(wants[p], strings.Fields(ids[1])...)
	}
	return errs
}

// compare matches findings against wants: each finding consumes one want
// of its rule on its line. It returns the leftovers on both sides, sorted
// by file and line.
func compare(wants map[pos][]string, findings []lint.Finding) []string {
	left := make(map[pos][]string, len(wants))
	for p, ids := range wants {
		left[p] = slices.Clone(ids)
	}
	type problem struct {
		pos
		msg string
	}
	var probs []problem
	for _, f := range findings {
		p := pos{f.File, f.Line}
		if i := slices.Index(left[p], f.Rule); i >= 0 {
			left[p] = slices.Delete(left[p], i, i+1)
			continue
		}
		probs = append(probs, problem{p, fmt.Sprintf("unexpected %s %s: %s", f.Rule, f.Name, f.Message)})
	}
	for p, ids := range left {
		for _, id := range ids {
			probs = append(probs, problem{p, fmt.Sprintf("want %s, got none", id)})
		}
	}
	slices.SortFunc(probs, func(a, b problem) int {
		return cmp.Or(strings.Compare(a.file, b.file), cmp.Compare(a.line, b.line), strings.Compare(a.msg, b.msg))
	})
	out := make([]string, len(probs))
	for i, p := range probs {
		out[i] = fmt.Sprintf("%s:%d: %s", p.file, p.line, p.msg)
	}
	return out
}
