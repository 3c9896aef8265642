package helmutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chartutil"
)

func TestReadValuesMatchesHelm(t *testing.T) {
	for _, in := range []string{
		"", "# just a comment", "poet: Coleridge", "a: {b: [1, 2.5, x, null, true]}\nc: ~\n",
		"- a\n- b\n", "just a string", "a: b: c", "a: 1\na: 2\n", "{", "\t- x", "n: 123456789012345678901234567890\nf: 1e400\n",
		"anchors: &x {a: 1}\nref: *x\n", "date: 2024-01-01\nbin: !!binary aGVsbG8=\n", "key: \"\\u00e9\"\n",
	} {
		hv, herr := chartutil.ReadValues([]byte(in))
		ov, oerr := ReadValues([]byte(in))
		sameStrings(t, "ReadValues("+in+") errors", errString(herr), typeNameAsHelm(oerr))
		sameValues(t, "ReadValues("+in+")", hv, ov)
		if (hv == nil) != (ov == nil) {
			t.Errorf("ReadValues(%q): nil: helm %v, ours %v", in, hv == nil, ov == nil)
		}
	}
}

// typeNameAsHelm is err's message with this package's name for Values
// replaced by helm's: YAML that is not a map fails to decode into "Go value
// of type helmutil.Values" where helm says chartutil.Values.
func typeNameAsHelm(err error) string {
	return strings.ReplaceAll(errString(err), "type helmutil.Values", "type chartutil.Values")
}

func TestReadValuesFileMatchesHelm(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("a: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(dir, "list.yaml")
	if err := os.WriteFile(list, []byte("- a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	files := []string{bad, list, filepath.Join(dir, "missing.yaml"), dir}
	for _, pattern := range []string{"pkg/chartutil/testdata/*.yaml", "cmd/helm/testdata/testcharts/*/values.yaml", "pkg/chartutil/testdata/*/values.yaml"} {
		m, err := filepath.Glob(filepath.Join(helmDir(t), pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("only %d values files", len(files))
	}
	for _, f := range files {
		hv, herr := chartutil.ReadValuesFile(f)
		ov, oerr := ReadValuesFile(f)
		sameStrings(t, "ReadValuesFile("+f+") errors", errString(herr), typeNameAsHelm(oerr))
		sameValues(t, "ReadValuesFile("+f+")", hv, ov)
	}
}

func TestTableAndPathValueMatchHelm(t *testing.T) {
	doc := `
a:
  b:
    c: 1
    d: [1, 2]
    e: null
  f: x
g: null
h: {}
"i.j": 2
`
	hv, err := chartutil.ReadValues([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	ov, err := ReadValues([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	// A Values (not a map[string]any) nested in values, as helm sees in the wild.
	hv["k"], ov["k"] = chartutil.Values{"l": 1}, Values{"l": 1}
	for _, p := range []string{"", "a", "a.b", "a.b.c", "a.b.d", "a.b.e", "a.f", "a.f.x", "g", "h", "h.x", "i.j", "i", "k", "k.l", "x", "a..b", "."} {
		ht, herr := hv.Table(p)
		ot, oerr := ov.Table(p)
		sameStrings(t, "Table("+p+") errors", errString(herr), errString(oerr))
		sameValues(t, "Table("+p+")", ht, ot)
		if _, ok := herr.(chartutil.ErrNoTable); ok != isNoTable(oerr) { //nolint:errorlint // helm returns the type unwrapped
			t.Errorf("Table(%q): helm error %T, ours %T", p, herr, oerr)
		}
		hp, herr := hv.PathValue(p)
		op, oerr := ov.PathValue(p)
		sameStrings(t, "PathValue("+p+") errors", errString(herr), errString(oerr))
		sameValues(t, "PathValue("+p+")", hp, op)
		if _, ok := herr.(chartutil.ErrNoValue); ok != isNoValue(oerr) { //nolint:errorlint // helm returns the type unwrapped
			t.Errorf("PathValue(%q): helm error %T, ours %T", p, herr, oerr)
		}
	}
	hy, herr := hv.YAML()
	oy, oerr := ov.YAML()
	if hy != oy || errString(herr) != errString(oerr) {
		t.Errorf("YAML: helm %q %v, ours %q %v", hy, herr, oy, oerr)
	}
	sameValues(t, "AsMap", chartutil.Values(nil).AsMap(), Values(nil).AsMap())
	if Values(nil).AsMap() == nil {
		t.Error("AsMap of nil Values is nil")
	}
}

func isNoTable(err error) bool {
	_, ok := err.(NoTableError) //nolint:errorlint // the type itself is returned
	return ok
}

func isNoValue(err error) bool {
	_, ok := err.(NoValueError) //nolint:errorlint // the type itself is returned
	return ok
}

func TestIsCompatibleRangeMatchesHelm(t *testing.T) {
	for _, tt := range [][2]string{
		{"v2.0.0-alpha.4", "v2.0.0-alpha.4"}, {"v2.0.0-alpha.3", "v2.0.0-alpha.4"}, {"v2.0.0", "v2.0.0-alpha.4"},
		{"v2.0.0-alpha.4", "v2.0.0"}, {"~v2.0.0", "v2.0.1"}, {"v2", "v2.0.0"}, {">2.0.0", "v2.1.1"}, {"v2.1.*", "v2.1.1"},
		{">=1.20.0-0", "v1.20.0"}, {">=1.20.0", "v1.20.0-eks-1"}, {">= 1.19.0-0 < 1.35.0-0", "v1.34.0"}, {"^1.2.3", "1.9.9"},
		{"1.2.3 || 2.x", "2.5.0"}, {"", "1.0.0"}, {"garbage", "1.0.0"}, {"1.0.0", "garbage"}, {"*", "0.0.1"}, {"~1", "1.5.0"},
	} {
		if h, o := chartutil.IsCompatibleRange(tt[0], tt[1]), IsCompatibleRange(tt[0], tt[1]); h != o {
			t.Errorf("IsCompatibleRange(%q, %q): helm %v, ours %v", tt[0], tt[1], h, o)
		}
	}
}

func TestValidateReleaseNameMatchesHelm(t *testing.T) {
	for _, name := range []string{
		"", "foo", "foo.bar1234baz.seventyone", "FOO", "123baz", "foo.BAR.baz", "one-two", "-two", "one_two", "a..b",
		"%^&#$%*@^*@&#^", "example:com", "example%%com", "a1111111111111111111111111111111111111111111111111111111111z",
		"a2345678901234567890123456789012345678901234567890123", "a23456789012345678901234567890123456789012345678901234", "a.", "x-",
	} {
		sameStrings(t, "ValidateReleaseName("+name+")", errString(chartutil.ValidateReleaseName(name)), errString(ValidateReleaseName(name)))
	}
}

func TestLoadChartfileMatchesHelm(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(helmDir(t), "pkg", "chartutil", "testdata", "*", "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob(filepath.Join(helmDir(t), "cmd", "helm", "testdata", "testcharts", "*", "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, more...)
	files = append(files, filepath.Join(helmDir(t), "pkg", "chartutil", "testdata", "chartfiletest.yaml"), filepath.Join(t.TempDir(), "missing.yaml"), t.TempDir())
	for _, f := range files {
		hm, herr := chartutil.LoadChartfile(f)
		om, oerr := LoadChartfile(f)
		sameStrings(t, "LoadChartfile("+f+") errors", errString(herr), errString(oerr))
		if diff := cmp.Diff(hm, om); diff != "" {
			t.Errorf("LoadChartfile(%s) differs (-helm +ours):\n%s", f, diff)
		}
	}
}
