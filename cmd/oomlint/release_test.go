package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestPreCommitHooksReadme complements TestPreCommitHooks: the
// docker_image hook runs the release image with the lint subcommand, and
// every hook id the README's pre-commit section names is defined.
func TestPreCommitHooksReadme(t *testing.T) {
	root := repoRoot(t)
	var hooks []struct {
		ID, Entry, Language string
	}
	readYAML(t, filepath.Join(root, ".pre-commit-hooks.yaml"), &hooks)
	byID := map[string]bool{}
	for _, h := range hooks {
		if byID[h.ID] {
			t.Errorf("hook id %q is defined twice", h.ID)
		}
		byID[h.ID] = true
		if h.ID == "oomlint-docker" {
			image, args, _ := strings.Cut(h.Entry, " ")
			if h.Language != "docker_image" || !strings.HasPrefix(image, "ghcr.io/oomlint/oomlint:") || args != "lint" {
				t.Errorf("hook oomlint-docker: language %s, entry %q; want docker_image, ghcr.io/oomlint/oomlint:TAG lint", h.Language, h.Entry)
			}
		}
	}
	if !byID["oomlint-docker"] {
		t.Error("no hook oomlint-docker")
	}

	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "\n### pre-commit\n")
	section, _, _ = strings.Cut(section, "\n## ")
	section, _, _ = strings.Cut(section, "\n### ")
	ids := regexp.MustCompile(`(?m)^\s*(?:#\s*)?- id: (\S+)`).FindAllStringSubmatch(section, -1)
	if len(ids) == 0 {
		t.Fatal("README.md: no `- id:` lines in the pre-commit section")
	}
	for _, m := range ids {
		if _, ok := byID[m[1]]; !ok {
			t.Errorf("README.md pre-commit section names hook %q, which .pre-commit-hooks.yaml does not define", m[1])
		}
	}
}

// TestGoreleaserConfig checks what .goreleaser.yaml must keep in step with
// the code: it builds ./cmd/oomlint statically for linux, darwin and windows
// on amd64 and arm64, with -trimpath and -s -w, and its -X flag sets a
// package-level string variable that exists in package main.
func TestGoreleaserConfig(t *testing.T) {
	root := repoRoot(t)
	var cfg struct {
		Version int `yaml:"version"`
		Builds  []struct {
			ID      string   `yaml:"id"`
			Main    string   `yaml:"main"`
			Binary  string   `yaml:"binary"`
			Env     []string `yaml:"env"`
			Flags   []string `yaml:"flags"`
			Ldflags []string `yaml:"ldflags"`
			Goos    []string `yaml:"goos"`
			Goarch  []string `yaml:"goarch"`
		} `yaml:"builds"`
		Checksum  map[string]any `yaml:"checksum"`
		DockersV2 []struct {
			Dockerfile string   `yaml:"dockerfile"`
			Images     []string `yaml:"images"`
			Platforms  []string `yaml:"platforms"`
		} `yaml:"dockers_v2"`
	}
	readYAML(t, filepath.Join(root, ".goreleaser.yaml"), &cfg)
	if cfg.Version != 2 || len(cfg.Builds) != 1 || cfg.Checksum == nil || len(cfg.DockersV2) != 1 {
		t.Fatalf("want version: 2, one build, checksum and one dockers_v2 image; got %+v", cfg)
	}
	b := cfg.Builds[0]
	if b.Main != "./cmd/oomlint" || b.Binary != "oomlint" {
		t.Errorf("build main %q binary %q, want ./cmd/oomlint and oomlint", b.Main, b.Binary)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") || !slices.Contains(b.Flags, "-trimpath") {
		t.Errorf("build env %v flags %v, want CGO_ENABLED=0 and -trimpath", b.Env, b.Flags)
	}
	for _, c := range []struct{ got, want []string }{
		{b.Goos, []string{"darwin", "linux", "windows"}},
		{b.Goarch, []string{"amd64", "arm64"}},
	} {
		for _, w := range c.want {
			if !slices.Contains(c.got, w) {
				t.Errorf("build %v lacks %s", c.got, w)
			}
		}
	}
	ldflags := strings.Join(b.Ldflags, " ")
	fields := strings.Fields(ldflags)
	if !slices.Contains(fields, "-s") || !slices.Contains(fields, "-w") {
		t.Errorf("ldflags %q lack -s -w", ldflags)
	}
	m := regexp.MustCompile(`-X[= ]main\.(\w+)=`).FindStringSubmatch(ldflags)
	if m == nil {
		t.Fatalf("ldflags %q set no main.VAR with -X", ldflags)
	}
	if !isStringVar(t, filepath.Join(root, "cmd", "oomlint"), m[1]) {
		t.Errorf("ldflags set main.%s, but package main has no package-level string variable %s for -X to set", m[1], m[1])
	}

	d := cfg.DockersV2[0]
	if _, err := os.Stat(filepath.Join(root, d.Dockerfile)); err != nil {
		t.Errorf("dockers_v2 dockerfile: %v", err)
	}
	if !slices.Contains(d.Images, "ghcr.io/oomlint/oomlint") {
		t.Errorf("dockers_v2 images %v, want ghcr.io/oomlint/oomlint (the image the oomlint-docker hook runs)", d.Images)
	}
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		if !slices.Contains(d.Platforms, p) {
			t.Errorf("dockers_v2 platforms %v lack %s", d.Platforms, p)
		}
	}
}

// TestReleaseWorkflow checks that the release workflow runs goreleaser on v*
// tags with the permissions a release and a ghcr.io push need.
func TestReleaseWorkflow(t *testing.T) {
	var wf struct {
		On struct {
			Push struct {
				Tags []string `yaml:"tags"`
			} `yaml:"push"`
		} `yaml:"on"`
		Permissions map[string]string `yaml:"permissions"`
		Jobs        map[string]struct {
			Steps []struct {
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	readYAML(t, filepath.Join(repoRoot(t), ".github", "workflows", "release.yml"), &wf)
	if !slices.Contains(wf.On.Push.Tags, "v*") {
		t.Errorf("on.push.tags %v, want v*", wf.On.Push.Tags)
	}
	if wf.Permissions["contents"] != "write" || wf.Permissions["packages"] != "write" {
		t.Errorf("permissions %v, want contents: write and packages: write", wf.Permissions)
	}
	var found bool
	for _, j := range wf.Jobs {
		for _, s := range j.Steps {
			if strings.HasPrefix(s.Uses, "goreleaser/goreleaser-action@") {
				found = true
				if !strings.Contains(s.With["args"], "release") {
					t.Errorf("goreleaser-action args %q, want release", s.With["args"])
				}
			}
		}
	}
	if !found {
		t.Error("no goreleaser/goreleaser-action step")
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// isStringVar reports whether the non-test Go files in dir declare a
// package-level variable name that -X can set: of type string, or
// initialised with a string constant.
func isStringVar(t *testing.T, dir, name string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				vs, ok := spec.(*ast.ValueSpec)
				if !ok {
					continue
				}
				for i, n := range vs.Names {
					if n.Name != name {
						continue
					}
					if id, ok := vs.Type.(*ast.Ident); ok {
						return id.Name == "string"
					}
					if vs.Type == nil && i < len(vs.Values) {
						lit, ok := vs.Values[i].(*ast.BasicLit)
						if ok && lit.Kind == token.STRING {
							_, err := strconv.Unquote(lit.Value)
							return err == nil
						}
					}
					return false
				}
			}
		}
	}
	return false
}
