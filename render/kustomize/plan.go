package kustomize

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/types"
	sigsyaml "sigs.k8s.io/yaml"
)

// kfile is one parsed kustomization file with the line of every path it names.
type kfile struct {
	dir, file string     // absolute
	root      *yaml.Node // the document's mapping node; nil when it does not parse
	k         types.Kustomization
	data      []byte            // the file's text
	entries   []kentry          // every path-like entry, in file order
	err       error             // why it did not parse (krusty reports it at build time)
	virtual   bool              // written in memory (a Flux Kustomization's), not on disk
	files     map[string][]byte // more files in memory beside a virtual kustomization
}

// kentry is one path a kustomization names: a resource, a patch file, a
// generator input.
type kentry struct {
	field string // resources, bases, components, patches, configMapGenerator, …
	value string // as written
	line  int
	col   int
	abs   string // the local path it names ("" when remote or inline)
	// inline is an inline patch of patchesStrategicMerge: text, not a path.
	inline bool
}

// isDirRef reports whether the entry can name a kustomization directory.
func (e kentry) isDirRef() bool {
	switch e.field {
	case "resources", "bases", "components", "generators", "transformers", "validators":
		return true
	}
	return false
}

// kgraph parses kustomization files once; Render runs in parallel.
type kgraph struct {
	mu    sync.Mutex
	repo  string            // the repository, symlinks resolved; "" reads anywhere
	files map[string]*kfile // by directory
}

// newKGraph returns a graph that reads no kustomization outside repo.
func newKGraph(repo string) *kgraph {
	if repo != "" {
		repo = kResolve(repo)
	}
	return &kgraph{repo: repo, files: map[string]*kfile{}}
}

// kustomizationFile returns the kustomization file in dir, or "". Only a
// regular file counts: reading a FIFO would block forever (krusty, reading
// through kFS, refuses it).
func kustomizationFile(dir string) string {
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// load returns the kustomization of dir, or nil when dir has none. A
// directory or kustomization file that resolves outside the repository is
// none: it is refused before it is read, so neither its text nor its
// entries reach a finding (refuse reports the entry that names it).
func (g *kgraph) load(dir string) *kfile {
	g.mu.Lock()
	defer g.mu.Unlock()
	if kf, ok := g.files[dir]; ok {
		return kf
	}
	var kf *kfile
	if g.inRepo(dir) {
		if file := kustomizationFile(dir); file != "" && g.inRepo(file) {
			kf = parseKustomization(dir, file)
		}
	}
	g.files[dir] = kf
	return kf
}

// inRepo reports whether p, every symlink on the way resolved, is inside
// the repository.
func (g *kgraph) inRepo(p string) bool {
	return g.repo == "" || kWithin(g.repo, kResolve(p))
}

// outside reports whether an entry's path, or the kustomization file of
// the directory it names, resolves outside the repository: krusty must not
// be given it.
func (g *kgraph) outside(p string) bool {
	if !g.inRepo(p) {
		return true
	}
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		if f := kustomizationFile(p); f != "" && !g.inRepo(f) {
			return true
		}
	}
	return false
}

// kResolve is p, made absolute, with every symlink resolved; when p does
// not exist, its deepest existing ancestor is resolved and the rest kept.
func kResolve(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	rest := ""
	for d := p; ; d = filepath.Dir(d) {
		if r, err := filepath.EvalSymlinks(d); err == nil {
			return filepath.Join(r, rest)
		}
		if filepath.Dir(d) == d {
			return p
		}
		rest = filepath.Join(filepath.Base(d), rest)
	}
}

// parseKustomization reads file leniently: unknown fields are krusty's to
// judge, and a file that does not parse still names itself.
func parseKustomization(dir, file string) *kfile {
	data, err := os.ReadFile(file)
	if err != nil {
		return &kfile{dir: dir, file: file, err: err}
	}
	return parseKustomizationData(dir, file, data)
}

// parseKustomizationData parses the text of a kustomization file, on disk or not.
func parseKustomizationData(dir, file string, data []byte) *kfile {
	kf := &kfile{dir: dir, file: file, data: data}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		kf.err = err
		return kf
	}
	if len(doc.Content) > 0 && doc.Content[0].Kind == yaml.MappingNode {
		kf.root = doc.Content[0]
	}
	if err := sigsyaml.Unmarshal(data, &kf.k); err != nil {
		kf.err = err
	}
	kf.collect()
	return kf
}

// collect lists the entries of every field that names a file or directory.
func (kf *kfile) collect() {
	for _, f := range []string{"resources", "bases", "components", "crds", "configurations",
		"generators", "transformers", "validators", "patchesStrategicMerge"} {
		for _, n := range yamlnode.Seq(kf.root, f) {
			if n.Kind == yaml.ScalarNode {
				kf.add(f, n)
			}
		}
	}
	for _, f := range []string{"patches", "patchesJson6902", "replacements"} {
		for _, n := range yamlnode.Seq(kf.root, f) {
			if _, v := yamlnode.Lookup(n, "path"); v != nil {
				kf.add(f, v)
			}
		}
	}
	for _, f := range []string{"configMapGenerator", "secretGenerator"} {
		for _, n := range yamlnode.Seq(kf.root, f) {
			for _, v := range append(yamlnode.Seq(n, "files"), yamlnode.Seq(n, "envs")...) {
				kf.add(f, v)
			}
			if _, v := yamlnode.Lookup(n, "env"); v != nil {
				kf.add(f, v)
			}
		}
	}
	if _, v := yamlnode.Lookup(kf.root, "openapi"); v != nil {
		if _, p := yamlnode.Lookup(v, "path"); p != nil {
			kf.add("openapi", p)
		}
	}
	for _, n := range yamlnode.Seq(kf.root, "helmCharts") {
		if _, v := yamlnode.Lookup(n, "valuesFile"); v != nil {
			kf.add("helmCharts", v)
		}
	}
}

func (kf *kfile) add(field string, n *yaml.Node) {
	if n.Kind != yaml.ScalarNode || n.Value == "" {
		return
	}
	e := kentry{field: field, value: n.Value, line: n.Line, col: n.Column}
	v := n.Value
	if field == "configMapGenerator" || field == "secretGenerator" {
		if _, p, ok := strings.Cut(v, "="); ok {
			v = p // key=path
		}
	}
	if field == "patchesStrategicMerge" && strings.Contains(v, "\n") {
		v, e.inline = "", true
	}
	if v != "" && !kIsRemote(v) && !filepath.IsAbs(v) {
		e.abs = filepath.Join(kf.dir, v)
	}
	kf.entries = append(kf.entries, e)
}

// children returns the kustomization directories kf includes, in order.
func (g *kgraph) children(kf *kfile) []*kfile {
	var out []*kfile
	for _, e := range kf.entries {
		if !e.isDirRef() || e.abs == "" {
			continue
		}
		if st, err := os.Stat(e.abs); err != nil || !st.IsDir() {
			continue
		}
		if c := g.load(e.abs); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// reachable returns kf and every kustomization it includes, each once,
// in depth-first order.
func (g *kgraph) reachable(kf *kfile) []*kfile {
	seen := map[string]bool{}
	var out []*kfile
	var walk func(*kfile)
	walk = func(k *kfile) {
		if seen[k.dir] {
			return
		}
		seen[k.dir] = true
		out = append(out, k)
		for _, c := range g.children(k) {
			walk(c)
		}
	}
	walk(kf)
	return out
}

// kConsumed is every local file kf reads: itself and its entries that are
// files (directories are kustomizations of their own).
func kConsumed(kf *kfile) []string {
	out := []string{kf.file}
	for _, e := range kf.entries {
		if e.abs == "" {
			continue
		}
		if st, err := os.Stat(e.abs); err == nil && !st.IsDir() {
			out = append(out, e.abs)
		}
	}
	// A chart a helmCharts entry inflates from the chart home is rendered
	// with the entry's values, not on its own with its defaults.
	for _, n := range yamlnode.Seq(kf.root, "helmCharts") {
		if name := yamlnode.Str(n, "name"); name != "" && !strings.ContainsAny(name, `/\`) {
			if dir := kChartDir(kf, n); kIsFile(filepath.Join(dir, "Chart.yaml")) {
				out = append(out, dir)
			}
		}
	}
	return out
}

// isComponent reports whether kf is a kind: Component (never built alone).
func (kf *kfile) isComponent() bool { return kf.k.Kind == types.ComponentKind }

// kIsRemote reports whether a kustomization entry names something krusty
// would fetch: a URL (http GET) or a git repository spec (git clone). It
// errs on the side of remote, mirroring krusty's git.NewRepoSpecFromURL:
// any scheme, scp-style user@host, a github.com path, or a ref query.
func kIsRemote(v string) bool {
	s := strings.ToLower(strings.TrimSpace(v))
	s = strings.TrimPrefix(s, "git::")
	if u, err := url.Parse(s); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		return true // krusty's IsRemoteFile: an http GET
	}
	switch {
	case strings.Contains(s, "://"):
		return true
	case strings.HasPrefix(s, "github.com"), strings.HasPrefix(s, "gitlab.com"), strings.HasPrefix(s, "bitbucket.org"):
		return true
	case strings.Contains(s, "?ref="), strings.Contains(s, "?version="), strings.Contains(s, "&ref="):
		return true
	}
	if host, _, ok := strings.Cut(s, "/"); ok || strings.Contains(s, ":") {
		if strings.Contains(host, "@") {
			return true // git@github.com:org/repo
		}
	}
	return strings.Contains(s, "_git/") || strings.Contains(s, ".git/") || strings.HasSuffix(s, ".git")
}

// kWithin reports whether p is dir or below it.
func kWithin(dir, p string) bool {
	r, err := filepath.Rel(dir, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, "../") && !filepath.IsAbs(r)
}

// kSorted returns the keys of a set, sorted.
func kSorted(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
