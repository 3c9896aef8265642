package kustomize

import (
	"errors"
	"fmt"
	"net/http" //nolint:depguard // only to replace http.DefaultTransport and prove no connection is made
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
)

const kustomizeTestdata = "testdata"

// offline makes any connection or plugin lookup fail the test.
func offline(t *testing.T) {
	t.Helper()
	old := http.DefaultTransport
	http.DefaultTransport = failTransport{t}
	t.Cleanup(func() { http.DefaultTransport = old })
	for _, v := range []string{"HOME", "KUSTOMIZE_PLUGIN_HOME", "XDG_CONFIG_HOME"} {
		t.Setenv(v, t.TempDir())
	}
}

type failTransport struct{ t *testing.T }

func (f failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Errorf("network connection attempted: %s %s", r.Method, r.URL)
	return nil, errors.New("offline")
}

func testdataKustomize(t *testing.T) (string, *Kustomize) {
	t.Helper()
	dir, err := filepath.Abs(kustomizeTestdata)
	if err != nil {
		t.Fatal(err)
	}
	return dir, New(render.Options{WorkDir: dir, RepoRoot: dir})
}

func build(t *testing.T, k *Kustomize, dir string) *lint.Rendered {
	t.Helper()
	return k.Render(t.Context(), &lint.Unit{Name: lint.DisplayPath(k.opt.WorkDir, dir), Kind: Name, Dir: dir})
}

func TestKustomizePlan(t *testing.T) {
	root, k := testdataKustomize(t)
	var roots []string
	for _, d := range []string{"base", "components/limits", "overlays/component", "overlays/generator",
		"overlays/json6902", "overlays/namespace", "overlays/smp"} {
		roots = append(roots, filepath.Join(root, d))
	}
	units, consumed := k.Plan(roots)
	var names []string
	for _, u := range units {
		names = append(names, u.Name)
		if u.Kind != Name || u.Dir != filepath.Join(root, u.Name) {
			t.Errorf("unit %+v: wrong kind or dir", u)
		}
	}
	want := []string{"overlays/component", "overlays/generator", "overlays/json6902", "overlays/namespace", "overlays/smp"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("leaves (-want +got):\n%s", diff)
	}
	var files []string
	for _, f := range consumed {
		files = append(files, lint.DisplayPath(root, f))
	}
	wantFiles := []string{
		"base/deployment.yaml", "base/kustomization.yaml", "base/service.yaml",
		"components/limits/kustomization.yaml", "components/limits/requests.yaml",
		"overlays/component/kustomization.yaml",
		"overlays/generator/app.properties", "overlays/generator/kustomization.yaml", "overlays/generator/vars.env",
		"overlays/json6902/kustomization.yaml", "overlays/json6902/ops.yaml",
		"overlays/namespace/kustomization.yaml",
		"overlays/smp/kustomization.yaml", "overlays/smp/memory.yaml",
	}
	if diff := cmp.Diff(wantFiles, files); diff != "" {
		t.Errorf("consumed (-want +got):\n%s", diff)
	}
}

// TestKustomizePlanBaseAlone builds a base nothing includes on its own.
func TestKustomizePlanBaseAlone(t *testing.T) {
	root, k := testdataKustomize(t)
	units, _ := k.Plan([]string{filepath.Join(root, "base")})
	if len(units) != 1 || units[0].Name != "base" {
		t.Errorf("Plan(base) = %v, want the base as its own unit", units)
	}
}

// TestKustomizePlanCycle builds kustomizations that include each other, so
// krusty reports the cycle instead of nothing being linted.
func TestKustomizePlanCycle(t *testing.T) {
	offline(t)
	repo := t.TempDir()
	writeTree(t, repo, map[string]string{"a/kustomization.yaml": "resources:\n  - ../b\n", "b/kustomization.yaml": "resources:\n  - ../a\n"})
	k := New(render.Options{WorkDir: repo, RepoRoot: repo})
	units, _ := k.Plan([]string{filepath.Join(repo, "a"), filepath.Join(repo, "b")})
	if len(units) != 2 {
		t.Fatalf("Plan = %d units, want both kustomizations of the cycle", len(units))
	}
	r := k.Render(t.Context(), units[0])
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0].Message, "cycle") {
		t.Errorf("problems = %v, want the cycle", r.Problems)
	}
}

// TestKustomizeFidelity checks that what rules see is what `kustomize build` prints.
func TestKustomizeFidelity(t *testing.T) {
	offline(t)
	root, k := testdataKustomize(t)
	for _, leaf := range []string{"base", "overlays/smp", "overlays/json6902", "overlays/component", "overlays/namespace", "overlays/generator"} {
		t.Run(leaf, func(t *testing.T) {
			dir := filepath.Join(root, leaf)
			r := build(t, k, dir)
			if len(r.Problems) > 0 {
				t.Fatalf("problems: %v", r.Problems)
			}
			var got []map[string]any
			for _, d := range r.Docs {
				got = append(got, objectsOf(t, d.Data)...)
			}
			m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := m.AsYaml()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(objectsOf(t, plain), got); diff != "" {
				t.Errorf("rendered objects differ from kustomize build (-want +got):\n%s", diff)
			}
			if strings.Contains(string(plain), "config.kubernetes.io/origin") {
				t.Error("the user's kustomization changed on disk: plain build has origins")
			}
		})
	}
}

func objectsOf(t *testing.T, data []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for doc := range strings.SplitSeq(string(data), "\n---\n") {
		var m map[string]any
		if err := sigsyaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

// TestKustomizeOrigins maps rendered fields to the base, patch or generator
// line that wrote them. Paths name list elements as [name=x], resolved
// against the rendered object, since strategic merge reorders containers.
func TestKustomizeOrigins(t *testing.T) {
	offline(t)
	root, k := testdataKustomize(t)
	const c = "spec.template.spec.containers"
	tests := []struct {
		leaf, kind, name, path string
		want                   string // file:line
	}{
		{"overlays/smp", "Deployment", "api", c + "[name=proxy].resources.limits.memory", "overlays/smp/memory.yaml:12"},
		{"overlays/smp", "Deployment", "api", c + "[name=api].resources.limits.memory", "base/deployment.yaml:24"},
		{"overlays/smp", "Deployment", "api", c + "[name=proxy].image", "base/deployment.yaml:26"},
		{"overlays/smp", "Deployment", "api", c + "[name=proxy].resources.requests.memory", "base/deployment.yaml:27"},
		{"overlays/smp", "Deployment", "api", "", "base/deployment.yaml:2"},
		{"overlays/json6902", "Deployment", "api", c + "[name=api].resources.limits.memory", "overlays/json6902/ops.yaml:3"},
		{"overlays/json6902", "Deployment", "api", c + "[name=api].env[name=JAVA_OPTS].value", "overlays/json6902/ops.yaml:8"},
		{"overlays/json6902", "Deployment", "api", c + "[name=api].resources.requests.memory", "base/deployment.yaml:22"},
		{"overlays/json6902", "Deployment", "api", c + "[name=proxy].resources.limits.memory", "overlays/json6902/kustomization.yaml:19"},
		{"overlays/component", "Deployment", "api", c + "[name=proxy].resources.requests.memory", "components/limits/requests.yaml:12"},
		{"overlays/component", "Deployment", "api", c + "[name=proxy].resources.limits.memory", "base/deployment.yaml:29"},
		{"overlays/namespace", "Deployment", "prod-api-v2", c + "[name=api].resources.limits.memory", "base/deployment.yaml:24"},
		{"overlays/namespace", "Deployment", "prod-api-v2", "metadata.namespace", "overlays/namespace/kustomization.yaml:3"},
		{"overlays/namespace", "Deployment", "prod-api-v2", "spec.replicas", "overlays/namespace/kustomization.yaml:13"},
		{"overlays/namespace", "Deployment", "prod-api-v2", c + "[name=api].image", "overlays/namespace/kustomization.yaml:9"},
		{"overlays/namespace", "Deployment", "prod-api-v2", c + "[name=proxy].image", "base/deployment.yaml:26"},
		{"overlays/namespace", "Deployment", "prod-api-v2", "metadata.labels.team", "base/deployment.yaml:5"},
		{"overlays/smp", "Deployment", "api", "spec.replicas", "base/deployment.yaml:8"},
		{"overlays/smp", "Deployment", "api", "metadata.namespace", "base/deployment.yaml:3"},
		{"overlays/namespace", "Service", "prod-api-v2", "spec.ports[0].port", "base/service.yaml:9"},
		{"overlays/generator", "Deployment", "api", c + "[name=api].resources.requests.memory", "overlays/generator/kustomization.yaml:28"},
		{"overlays/generator", "Deployment", "api", c + "[name=api].resources.limits.memory", "base/deployment.yaml:24"},
		{"overlays/generator", "ConfigMap", "api-env", "data.JAVA_OPTS", "overlays/generator/kustomization.yaml:8"},
		{"overlays/generator", "ConfigMap", "api-files", `data["app.properties"]`, "overlays/generator/kustomization.yaml:11"},
		{"overlays/generator", "ConfigMap", "api-files", "metadata.name", "overlays/generator/kustomization.yaml:9"},
		{"overlays/generator", "ConfigMap", "api-vars", "data.GOMEMLIMIT", "overlays/generator/vars.env:2"},
	}
	rendered := map[string]*lint.Rendered{}
	for _, tt := range tests {
		t.Run(tt.leaf+"/"+tt.kind+"/"+tt.path, func(t *testing.T) {
			r, ok := rendered[tt.leaf]
			if !ok {
				r = build(t, k, filepath.Join(root, tt.leaf))
				rendered[tt.leaf] = r
			}
			doc, obj := findObject(t, r, tt.kind, tt.name)
			loc := doc.Origin(obj).Locate(parsePath(t, obj, tt.path))
			if got := fmt.Sprintf("%s:%d", loc.File, loc.Line); got != tt.want {
				t.Errorf("Locate(%s) = %s, want %s", tt.path, got, tt.want)
			}
		})
	}
}

// TestKustomizeOriginRelated checks the chain behind a patched field.
func TestKustomizeOriginRelated(t *testing.T) {
	offline(t)
	root, k := testdataKustomize(t)
	r := build(t, k, filepath.Join(root, "overlays", "smp"))
	doc, obj := findObject(t, r, "Deployment", "api")
	loc := doc.Origin(obj).Locate(parsePath(t, obj, "spec.template.spec.containers[name=proxy].resources.limits.memory"))
	var got []string
	for _, rel := range loc.Related {
		got = append(got, fmt.Sprintf("%s:%d %s", rel.File, rel.Line, rel.Message))
	}
	want := []string{
		"base/deployment.yaml:29 base value, patched by overlays/smp/memory.yaml",
		"overlays/smp/kustomization.yaml:1 built from overlay overlays/smp",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("related (-want +got):\n%s", diff)
	}
	if doc.Name != "base/deployment.yaml" {
		t.Errorf("doc name = %q, want the origin file", doc.Name)
	}
	if strings.Contains(string(doc.Data), "config.kubernetes.io") {
		t.Errorf("origin annotations left in the data:\n%s", doc.Data)
	}
}

func findObject(t *testing.T, r *lint.Rendered, kind, name string) (lint.RenderedDoc, *yaml.Node) {
	t.Helper()
	if len(r.Problems) > 0 {
		t.Fatalf("problems: %v", r.Problems)
	}
	for _, d := range r.Docs {
		var doc yaml.Node
		if err := yaml.Unmarshal(d.Data, &doc); err != nil {
			t.Fatal(err)
		}
		obj := doc.Content[0]
		got := yamlnode.Str(yamlnode.Get(obj, "metadata"), "name")
		if yamlnode.Str(obj, "kind") == kind && (got == name || strings.HasPrefix(got, name+"-") && kind == "ConfigMap") {
			return d, obj
		}
	}
	t.Fatalf("no %s %s rendered", kind, name)
	return lint.RenderedDoc{}, nil
}

var pathStep = regexp.MustCompile(`([^.\[\]]+)|\[(\d+)\]|\[name=([^\]]+)\]|\["([^"]+)"\]`)

// parsePath builds a lint.Path from a.b[0].c[name=x]["k.y"], finding named
// elements in the rendered object.
func parsePath(t *testing.T, obj *yaml.Node, s string) lint.Path {
	t.Helper()
	p, cur := lint.Root, obj
	for _, m := range pathStep.FindAllStringSubmatch(s, -1) {
		switch {
		case m[1] != "" || m[4] != "":
			key := m[1] + m[4]
			p, cur = p.Key(key), yamlnode.Get(cur, key)
		case m[2] != "":
			i, _ := strconv.Atoi(m[2])
			p, cur = p.Index(i), cur.Content[i]
		default:
			i := 0
			for i < len(cur.Content) && yamlnode.Str(cur.Content[i], "name") != m[3] {
				i++
			}
			if i == len(cur.Content) {
				t.Fatalf("%s: no element named %s", s, m[3])
			}
			p, cur = p.Index(i), cur.Content[i]
		}
	}
	return p
}

// writeTree writes files (path → content) below dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: example/api:1
`

// TestKustomizeRefuses checks that nothing outside the repository is read
// or fetched, and each refusal is an OOM900 at the entry's line.
func TestKustomizeRefuses(t *testing.T) {
	offline(t)
	t.Setenv("PATH", t.TempDir()) // no git, no helm: a fetch attempt would fail, not hang
	tests := []struct {
		name  string
		files map[string]string
		want  string // file:line: message fragment
	}{{
		name: "remote https base",
		files: map[string]string{"app/kustomization.yaml": "resources:\n  - deployment.yaml\n  - https://github.com/org/repo//base?ref=v1\n",
			"app/deployment.yaml": deployment},
		want: "app/kustomization.yaml:3: is remote",
	}, {
		name: "remote github shorthand in a base",
		files: map[string]string{"app/kustomization.yaml": "resources:\n  - ../base\n",
			"base/kustomization.yaml": "resources:\n  - github.com/org/repo/base?ref=v1\n"},
		want: "base/kustomization.yaml:2: is remote",
	}, {
		name:  "remote ssh component",
		files: map[string]string{"app/kustomization.yaml": "components:\n  - git@github.com:org/repo.git//c\n"},
		want:  "app/kustomization.yaml:2: is remote",
	}, {
		name:  "remote patch file",
		files: map[string]string{"app/kustomization.yaml": "resources: [d.yaml]\npatches:\n  - path: http://example.com/p.yaml\n", "app/d.yaml": deployment},
		want:  "app/kustomization.yaml:3: is remote",
	}, {
		name:  "outside the repository",
		files: map[string]string{"a/b/kustomization.yaml": "resources:\n  - ../../../../etc\n"},
		want:  "a/b/kustomization.yaml:2: outside the repository",
	}, {
		name:  "missing resource",
		files: map[string]string{"app/kustomization.yaml": "resources:\n  - deployment.yaml\n  - nothere.yaml\n", "app/deployment.yaml": deployment},
		want:  "app/kustomization.yaml:3: nothere.yaml",
	}, {
		name: "inline patch with a URL is not remote",
		files: map[string]string{"app/kustomization.yaml": "resources: [d.yaml]\npatchesStrategicMerge:\n  - |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: nope\n      annotations:\n        docs: https://example.com\n",
			"app/d.yaml": deployment},
		want: "app/kustomization.yaml:7: no matches for Id",
	}, {
		name:  "malformed resource",
		files: map[string]string{"app/kustomization.yaml": "resources:\n  - d.yaml\n", "app/d.yaml": "kind: ConfigMap\nmetadata:\n  name: x\n data: [\n"},
		want:  "app/d.yaml:3: MalformedYAMLError",
	}, {
		name: "patch matches nothing",
		files: map[string]string{"app/kustomization.yaml": "resources: [d.yaml]\npatches:\n  - path: p.yaml\n", "app/d.yaml": deployment,
			"app/p.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nope\n"},
		want: "app/p.yaml:4: no resource matches",
	}, {
		name:  "unknown field",
		files: map[string]string{"app/kustomization.yaml": "resources: [d.yaml]\nresourcez:\n  - e.yaml\n", "app/d.yaml": deployment},
		want:  "app/kustomization.yaml:2: unknown field",
	}, {
		name:  "not yaml",
		files: map[string]string{"app/kustomization.yaml": "resources: [\n"},
		want:  "app/kustomization.yaml:1: did not find expected node",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := filepath.Join(t.TempDir(), "repo")
			writeTree(t, repo, tt.files)
			k := New(render.Options{WorkDir: repo, RepoRoot: repo})
			dir := filepath.Join(repo, filepath.Dir(firstKustomization(tt.files)))
			r := build(t, k, dir)
			if len(r.Docs) > 0 {
				t.Errorf("rendered %d docs, want none", len(r.Docs))
			}
			if len(r.Problems) == 0 {
				t.Fatal("no problem reported")
			}
			f := r.Problems[0]
			got := fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.Message)
			file, frag, _ := strings.Cut(tt.want, ": ")
			if f.Rule != lint.RenderErrorID || !strings.HasPrefix(got, file+": ") || !strings.Contains(f.Message, frag) {
				t.Errorf("problem = %s %s, want %s at %s", f.Rule, got, frag, file)
			}
		})
	}
}

// firstKustomization is the kustomization a test builds: app/ or a/b/.
func firstKustomization(files map[string]string) string {
	for _, p := range []string{"app/kustomization.yaml", "a/b/kustomization.yaml"} {
		if _, ok := files[p]; ok {
			return p
		}
	}
	return ""
}

// TestGuardFSSymlinkEscape follows a symlink out of the repository.
func TestGuardFSSymlinkEscape(t *testing.T) {
	offline(t)
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"kustomization.yaml": "resources: [d.yaml]\n", "d.yaml": deployment})
	repo := t.TempDir()
	writeTree(t, repo, map[string]string{"app/kustomization.yaml": "resources:\n  - ../link\n"})
	if err := os.Symlink(outside, filepath.Join(repo, "link")); err != nil {
		t.Skip("no symlinks:", err)
	}
	k := New(render.Options{WorkDir: repo, RepoRoot: repo})
	r := build(t, k, filepath.Join(repo, "app"))
	if len(r.Docs) > 0 || len(r.Problems) != 1 || !strings.Contains(r.Problems[0].Message, "outside the repository") {
		t.Errorf("docs %d, problems %v: want one refusal", len(r.Docs), r.Problems)
	}
	fs := newKFS(repo, filepath.Join(repo, "app", "kustomization.yaml"))
	if _, err := fs.ReadFile("/etc/passwd"); !errors.Is(err, errKustOutsideRepo) {
		t.Errorf("ReadFile(/etc/passwd) error = %v, want errKustOutsideRepo", err)
	}
	if err := fs.WriteFile(filepath.Join(repo, "x"), nil); !errors.Is(err, errKustReadOnly) {
		t.Errorf("WriteFile error = %v, want errKustReadOnly", err)
	}
}

func TestWithBuildMetadata(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"appended", "resources:\n  - a.yaml\n", "resources:\n  - a.yaml\nbuildMetadata: [originAnnotations, transformerAnnotations]\n"},
		{"merged", "buildMetadata: [managedByLabel]\n", "buildMetadata: [managedByLabel, originAnnotations, transformerAnnotations]\n"},
		{"kept", "buildMetadata: [originAnnotations]\n", "buildMetadata: [originAnnotations, transformerAnnotations]\n"},
		{"json", `{"resources": ["a.yaml"]}`, "{\"resources\": [\"a.yaml\"], buildMetadata: [originAnnotations, transformerAnnotations]}\n"},
		{"broken", "resources: [\n", "resources: [\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, string(kWithBuildMetadata([]byte(tt.in)))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestIsRemote(t *testing.T) {
	for in, want := range map[string]bool{
		"../base": false, "deployment.yaml": false, "base/": false, "../../../../etc": false,
		"https://github.com/org/repo//base?ref=v1": true, "github.com/org/repo/base": true,
		"git::https://example.com/r.git": true, "git@github.com:org/repo.git": true,
		"ssh://git@example.com/r": true, "file:///tmp/repo": true, "base?ref=main": true,
		"dev.azure.com/org/_git/repo": true, "HTTP:/x.yaml": true, "GitHub.com:org/repo": true,
	} {
		if got := kIsRemote(in); got != want {
			t.Errorf("kIsRemote(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestKustomizeParallel renders and locates from many goroutines, as the
// engine does; run with -race.
func TestKustomizeParallel(t *testing.T) {
	offline(t)
	root, k := testdataKustomize(t)
	leaves := []string{"overlays/smp", "overlays/json6902", "overlays/component", "overlays/namespace", "overlays/generator"}
	var wg sync.WaitGroup
	for i := range 4 * len(leaves) {
		wg.Go(func() {
			r := k.Render(t.Context(), &lint.Unit{Name: leaves[i%len(leaves)], Kind: Name, Dir: filepath.Join(root, leaves[i%len(leaves)])})
			if len(r.Problems) > 0 || len(r.Docs) == 0 {
				t.Errorf("%s: %d docs, problems %v", leaves[i%len(leaves)], len(r.Docs), r.Problems)
			}
			for _, d := range r.Docs {
				var doc yaml.Node
				if err := yaml.Unmarshal(d.Data, &doc); err != nil {
					t.Error(err)
					continue
				}
				o := d.Origin(doc.Content[0])
				for _, p := range []lint.Path{lint.Root, lint.Root.Keys("spec", "template", "spec", "containers").Index(0).Keys("resources", "limits", "memory")} {
					if loc := o.Locate(p); loc.Line < 1 || loc.File == "" {
						t.Errorf("%s: Locate(%s) = %+v", d.Name, p, loc)
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestKustomizeInlinePatchColumn maps a field of an inline patch to its
// column in the kustomization's literal block.
func TestKustomizeInlinePatchColumn(t *testing.T) {
	offline(t)
	root, k := testdataKustomize(t)
	r := build(t, k, filepath.Join(root, "overlays", "json6902"))
	doc, obj := findObject(t, r, "Deployment", "api")
	loc := doc.Origin(obj).Locate(parsePath(t, obj, "spec.template.spec.containers[name=proxy].resources.limits.memory"))
	if got, want := fmt.Sprintf("%s:%d:%d", loc.File, loc.Line, loc.Column), "overlays/json6902/kustomization.yaml:19:16"; got != want {
		t.Errorf("Locate = %s, want %s", got, want)
	}
}
