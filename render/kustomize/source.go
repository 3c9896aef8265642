package kustomize

import (
	"os"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/resmap"
)

// A build with buildMetadata costs krusty an annotation rewrite of every
// object after every transformer. Most kustomizations need none of it: each
// object comes from one document of a resource file, or one generator entry,
// and keeps its kind and the name written there, at most with prefixes,
// suffixes and a hash added. For those, the object's source is found by
// matching the plain build against the sources the kustomizations list, and
// the build with buildMetadata runs only when the match is not certain.

// kPlainTraceable reports whether every object of the build comes from a
// resource file or a builtin ConfigMap/Secret generator entry of chain, with
// its kind and source name kept: no plugins, replacements, vars, renaming
// patches or generators merging into a base's.
func kPlainTraceable(top *kfile, chain []*kfile) bool {
	if len(top.k.BuildMetadata) > 0 {
		return false // the user's own buildMetadata: the build annotates anyway
	}
	return !slices.ContainsFunc(chain, func(kf *kfile) bool { return !kf.plainTraceable() })
}

// plainTraceable is kPlainTraceable for one kustomization.
func (kf *kfile) plainTraceable() bool {
	if kf.root == nil || kf.err != nil {
		return false
	}
	for _, f := range []string{"generators", "transformers", "validators", "replacements", "vars",
		"helmCharts", "helmChartInflationGenerator", "helmGlobals"} {
		if k, _ := yamlnode.Lookup(kf.root, f); k != nil {
			return false
		}
	}
	for _, p := range kf.k.Patches {
		if p.Options != nil && (p.Options.AllowNameChange || p.Options.AllowKindChange) {
			return false
		}
	}
	for _, f := range []string{"configMapGenerator", "secretGenerator"} {
		for _, n := range yamlnode.Seq(kf.root, f) {
			if b := yamlnode.Str(n, "behavior"); yamlnode.Str(n, "name") == "" || (b != "" && b != "create") {
				return false
			}
		}
	}
	return true
}

// kSrcKey is a source of objects: a resource file's documents of one kind
// and name, or a generator entry.
type kSrcKey struct {
	file, kind, name, generator string
}

// plainSources finds each object's source in a build without buildMetadata:
// its kind, and the longest source name its name contains. It fails, for a
// build with buildMetadata, when a source is ambiguous or unknown, or when
// sources and objects do not pair off one to one: then some object came
// from elsewhere, or some source was dropped or renamed. When they do pair
// off, the pairing is the build's: a wrong pair would give some object a
// source name strictly longer than its own, and the pairs could no longer
// add up.
func (tr *kTracer) plainSources(m resmap.ResMap) ([]kSource, bool) {
	want := map[kSrcKey]int{}
	if !tr.listSources(tr.top, want, 0) {
		return nil, false
	}
	for _, kf := range tr.k.graph.reachable(tr.top) {
		if slices.ContainsFunc(tr.ownPatches(kf), kRenames) {
			return nil, false
		}
	}
	byKind := map[string][]kSrcKey{}
	// A source named exactly as the object is the longest name it can
	// contain: found by name, so a build without prefixes or suffixes is
	// not a scan of every source per object.
	exact := map[[2]string][]kSrcKey{}
	for key := range want {
		byKind[key.kind] = append(byKind[key.kind], key)
		exact[[2]string{key.kind, key.name}] = append(exact[[2]string{key.kind, key.name}], key)
	}
	got := map[kSrcKey]int{}
	srcs := make([]kSource, m.Size())
	for i, res := range m.Resources() {
		src := tr.sourceOf(res)
		var best kSrcKey
		bestLen, tie := -1, false
		candidates := byKind[src.kind]
		if same := exact[[2]string{src.kind, src.name}]; len(same) > 0 {
			candidates = same
		}
		for _, key := range candidates {
			switch {
			case !strings.Contains(src.name, key.name) || len(key.name) < bestLen:
			case len(key.name) == bestLen:
				tie = true
			default:
				best, bestLen, tie = key, len(key.name), false
			}
		}
		if bestLen < 0 || tie {
			return nil, false
		}
		got[best]++
		src.file, src.generator = best.file, best.generator
		srcs[i] = src
	}
	if len(got) != len(want) {
		return nil, false
	}
	for key, n := range want {
		if got[key] != n {
			return nil, false
		}
	}
	return srcs, true
}

// kRenames reports whether a JSON6902 patch may change a kind or name: an
// op on the whole object, its kind, its metadata or its name.
func kRenames(p *kPatch) bool {
	if !p.json {
		return false
	}
	for _, op := range p.doc.Content {
		t := kPointer(yamlnode.Str(op, "path"))
		if len(t) == 0 || t[0] == "" || t[0] == "kind" || (t[0] == "metadata" && (len(t) == 1 || t[1] == "name")) {
			return true
		}
	}
	return false
}

// listSources counts the sources of kf's objects, once per inclusion: its
// resource files' documents, its kustomizations' and its generator entries.
func (tr *kTracer) listSources(kf *kfile, out map[kSrcKey]int, depth int) bool {
	if depth > 64 {
		return false
	}
	for _, e := range kf.entries {
		switch e.field {
		case "resources", "bases", "components":
		default:
			continue
		}
		if e.abs == "" {
			return false
		}
		st, err := os.Stat(e.abs)
		if err != nil {
			return false
		}
		if st.IsDir() {
			c := tr.k.graph.load(e.abs)
			if c == nil || !tr.listSources(c, out, depth+1) {
				return false
			}
			continue
		}
		for _, doc := range tr.parse(e.abs) {
			if doc.Kind == yaml.ScalarNode && doc.Tag == "!!null" {
				continue // an empty document: no object
			}
			kind, name := yamlnode.Str(doc, "kind"), yamlnode.Str(yamlnode.Get(doc, "metadata"), "name")
			if doc.Kind != yaml.MappingNode || kind == "" || name == "" || strings.HasSuffix(kind, "List") {
				return false
			}
			out[kSrcKey{file: e.abs, kind: kind, name: name}]++
		}
	}
	for _, g := range []struct{ field, kind, generator string }{
		{"configMapGenerator", "ConfigMap", "ConfigMapGenerator"},
		{"secretGenerator", "Secret", "SecretGenerator"},
	} {
		for _, n := range yamlnode.Seq(kf.root, g.field) {
			out[kSrcKey{file: kf.file, kind: g.kind, name: yamlnode.Str(n, "name"), generator: g.generator}]++
		}
	}
	return true
}
