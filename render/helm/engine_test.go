package helm

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"

	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/engine"

	"github.com/oomlint/oomlint/internal/helmutil"

	"github.com/oomlint/oomlint/lint"
)

// TestEngineMatchesHelm renders every chart of helm's own test data with
// helm's engine and with this one: where no template calls a function
// that fixed.go replaces, the output, or the error, is the same.
func TestEngineMatchesHelm(t *testing.T) {
	if testing.Short() {
		t.Skip("renders every chart of the helm module")
	}
	mod := helmModuleDir(t)
	var roots []string
	err := filepath.WalkDir(mod, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && fileExists(filepath.Join(p, "Chart.yaml")) {
			roots = append(roots, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fixed := slices.Collect(func(yield func(string) bool) {
		for name := range (&fixedFuncs{}).funcs() {
			if !yield(name) {
				return
			}
		}
	})
	compared := 0
	for _, root := range roots {
		ch, err := loader.Load(root)
		if err != nil || ch.Metadata.Type == "library" || usesAny(ch, fixed) {
			continue
		}
		if helmutil.ProcessDependenciesWithMerge(ch, map[string]any{}) != nil {
			continue
		}
		top, err := helmutil.ToRenderValues(ch, map[string]any{}, helmutil.ReleaseOptions{Name: "rel", Namespace: "ns", IsInstall: true}, helmutil.DefaultCapabilities)
		if err != nil {
			continue
		}
		htop, err := chartutil.ToRenderValues(ch, map[string]any{}, chartutil.ReleaseOptions{Name: "rel", Namespace: "ns", IsInstall: true}, chartutil.DefaultCapabilities)
		if err != nil {
			t.Errorf("%s: helm's values fail where oomlint's do not: %v", root, err)
			continue
		}
		want, wantErr := engine.Engine{}.Render(ch, htop)
		got, gotErr := newTemplateEngine("seed").Render(ch, top)
		rel, _ := filepath.Rel(mod, root)
		if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
			t.Errorf("%s: error %v, helm's %v", rel, gotErr, wantErr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: output differs from helm's (-helm +oomlint):\n%s", rel, diff)
		}
		compared++
	}
	if compared < 40 {
		t.Errorf("compared %d charts, want the helm test data", compared)
	}
}

// usesAny reports whether a template of the chart or its dependencies
// names one of funcs.
func usesAny(ch *chart.Chart, funcs []string) bool {
	for _, f := range ch.Templates {
		for _, name := range funcs {
			if bytes.Contains(f.Data, []byte(name)) {
				return true
			}
		}
	}
	return slices.ContainsFunc(ch.Dependencies(), func(d *chart.Chart) bool { return usesAny(d, funcs) })
}

// TestRenderDeterministic renders a chart that names objects with random
// and time functions twice, byte for byte the same; another release name
// gives other names.
func TestRenderDeterministic(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "chart-random-names")
	opt := helmOptions(t)
	texts := func(releaseName string) []string {
		o := opt
		o.ReleaseName = releaseName
		r := renderChart(t, o, dir, "")
		if len(r.Problems) > 0 {
			t.Fatalf("problems: %v", r.Problems)
		}
		var out []string
		for _, d := range r.Docs {
			out = append(out, d.Name+"\n"+string(d.Data))
		}
		return out
	}
	first, second := texts("web"), texts("web")
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("two renders differ (-first +second):\n%s", diff)
	}
	all := strings.Join(first, "\n")
	// now is 2000-01-01T00:00:00Z (Unix 946684800); genPrivateKey "rsa" is
	// an RSA PEM block, here base64 encoded.
	for _, want := range []string{`deployed-at: "2000-01-01T00:00:00Z"`, "-946684800\n", "tls.key: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVkt"} {
		if !strings.Contains(all, want) {
			t.Errorf("rendered chart lacks %q:\n%s", want, all)
		}
	}
	if other := texts("api"); slices.Equal(first, other) {
		t.Error("release names web and api rendered the same random names")
	}
}

// TestFixedFuncs runs each replaced function in a template.
func TestFixedFuncs(t *testing.T) {
	tests := []struct {
		tmpl string
		want string // a regexp the whole output matches
	}{
		{`{{ randAlphaNum 12 }}`, `[A-Za-z0-9]{12}`},
		{`{{ randAlpha 7 }}`, `[A-Za-z]{7}`},
		{`{{ randNumeric 5 }}`, `[0-9]{5}`},
		{`{{ randAscii 9 | len }}`, `9`},
		{`{{ randAlphaNum 0 }}`, ``},
		{`{{ randInt 3 5 }}`, `[34]`},
		{`{{ randBytes 6 | b64dec | len }}`, `6`},
		{`{{ shuffle "abc" | len }}`, `3`},
		{`{{ uuidv4 }}`, `[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`},
		{`{{ now | date "2006-01-02 15:04" }}`, `2000-01-01 00:00`},
		{`{{ now | unixEpoch }}`, `946684800`},
		{`{{ date "2006" "not a date" }}`, `2000`},
		{`{{ htmlDate 0 }}`, `1970-01-01`},
		{`{{ dateInZone "15:04" now "UTC" }}`, `00:00`},
		{`{{ now | dateModify "-24h" | htmlDate }}`, `1999-12-31`},
		{`{{ ago now }}`, `0s`},
		{`{{ genPrivateKey "ecdsa" | trim }}`, `(?s)-----BEGIN EC PRIVATE KEY-----\n.*-----END EC PRIVATE KEY-----`},
		{`{{ genPrivateKey "x" }}`, `Unknown type x`},
		{`{{ $ca := genCA "ca" 365 }}{{ $c := genSignedCert "a" nil (list "a.example") 365 $ca }}{{ $c.Cert | trim }}`, `(?s)-----BEGIN CERTIFICATE-----\n.*-----END CERTIFICATE-----`},
		{`{{ (genSelfSignedCertWithKey "a" nil nil 1 "KEY").Key }}`, `KEY`},
		{`{{ htpasswd "admin" "pw" }}`, `admin:\$2a\$10\$[./A-Za-z0-9]{53}`},
		{`{{ encryptAES "key" "plain" | decryptAES "key" }}`, `plain`},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl, func(t *testing.T) {
			run := func() string {
				e := newTemplateEngine("chart\x00release")
				tpl := template.New("t")
				e.initFunMap(tpl)
				if _, err := tpl.Parse(tt.tmpl); err != nil {
					t.Fatal(err)
				}
				e.fixed.start("t")
				var b strings.Builder
				if err := tpl.Execute(&b, nil); err != nil {
					t.Fatal(err)
				}
				return b.String()
			}
			got := run()
			if !regexp.MustCompile(`^(?:` + tt.want + `)$`).MatchString(got) {
				t.Errorf("got %q, want a match of %s", got, tt.want)
			}
			if again := run(); again != got {
				t.Errorf("second run %q, first %q", again, got)
			}
		})
	}
}

// TestHelmTestHooks leaves helm test hooks out, as helm template
// --skip-tests does, for a chart on disk and for a release a controller
// object renders; IncludeTests keeps them.
func TestHelmTestHooks(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "chart-test-hooks"))
	if err != nil {
		t.Fatal(err)
	}
	for _, include := range []bool{false, true} {
		opt := helmOptions(t)
		opt.IncludeTests = include
		h := New(opt)
		u := &lint.Unit{Name: "chart-test-hooks", Kind: Name, Dir: dir}
		for name, r := range map[string]*lint.Rendered{
			"chart":   h.Render(t.Context(), u),
			"release": h.RenderRelease(t.Context(), u, Release{Dir: dir, Name: "web", Namespace: "shop", By: "HelmRelease shop/web"}),
		} {
			var kinds []string
			for _, d := range r.Docs {
				if bytes.Contains(d.Data, []byte("kind: Pod\n")) {
					kinds = append(kinds, "Pod")
				}
				if bytes.Contains(d.Data, []byte("kind: Deployment\n")) {
					kinds = append(kinds, "Deployment")
				}
			}
			slices.Sort(kinds)
			want := []string{"Deployment"}
			if include {
				want = []string{"Deployment", "Pod"}
			}
			if diff := cmp.Diff(want, kinds); diff != "" {
				t.Errorf("%s, IncludeTests %v: kinds (-want +got):\n%s", name, include, diff)
			}
		}
	}
}
