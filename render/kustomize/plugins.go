package kustomize

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/lint"
)

// A generators, transformers or validators entry whose configuration is not
// one of kustomize's built-in plugins (apiVersion: builtin) runs a program:
// an exec or KRM function (KSOPS, a secret manager's generator), a container
// or a Go plugin. oomlint never runs one, so krusty would refuse the whole
// build and every object of the kustomization would go unlinted, its
// LimitRanges and quotas included. Instead the entry is left out of the
// kustomization krusty reads, the rest is built and linted, and the entry
// gets a finding of its own.

// kPluginFields are the kustomization fields that load plugins.
var kPluginFields = []string{"generators", "transformers", "validators"}

// kHelmFields are the kustomization fields that inflate Helm charts, which
// kustomize does by running the helm binary (with --enable-helm). They
// are left out as a whole, each chart with a warning, and the rest of the
// kustomization is built.
var kHelmFields = []string{"helmCharts", "helmChartInflationGenerator"}

// kFunctionAnnotations mark a KRM function's configuration (krusty's
// fnplugin.GetFunctionSpec reads both).
var kFunctionAnnotations = []string{"config.kubernetes.io/function", "config.k8s.io/function"}

// kSkip is one entry of a kustomization that names a plugin oomlint does not run.
type kSkip struct {
	kf    *kfile
	field string
	item  *yaml.Node // the sequence item
	what  string     // the plugin, described: `ksops (viaduct.ai/v1), an exec KRM function (ksops)`
}

// kSkips is what a build leaves out: the entries, and the text krusty reads
// instead of each kustomization that had them.
type kSkips struct {
	entries  []kSkip
	rewrites map[string][]byte // kustomization file → its text without the entries

	// helm are the helmCharts entries, which inflateCharts renders in
	// process or, failing that, moves to entries.
	helm []kSkip
	// charts are the ones rendered, by the path of their output in memory.
	charts map[string]*kChart
}

// dropCharts leaves every helmCharts entry out of the build, each with a
// warning, without rendering any.
func (s *kSkips) dropCharts() {
	s.inflated(nil, nil)
}

// inflated rewrites each kustomization with helmCharts entries: the
// entries out, the rendered charts' files (charts, by kustomization file)
// in its resources. Entries not rendered become skipped entries, unless
// said holds them (a finding already says why).
func (s *kSkips) inflated(charts map[string][]*kChart, said map[*yaml.Node]bool) {
	done := map[*kfile]bool{}
	rendered := map[*yaml.Node]bool{}
	for _, cs := range charts {
		for _, c := range cs {
			rendered[c.item] = true
		}
	}
	for _, e := range s.helm {
		if !rendered[e.item] && !said[e.item] {
			s.entries = append(s.entries, e)
		}
		if done[e.kf] {
			continue
		}
		done[e.kf] = true
		var keys []string
		for _, field := range kHelmFields {
			if yamlnode.Get(e.kf.root, field) != nil {
				keys = append(keys, field)
			}
		}
		var names []string
		for _, c := range charts[e.kf.file] {
			names = append(names, filepath.Base(c.file))
		}
		data, ok := s.rewrites[e.kf.file]
		if !ok {
			data = e.kf.data
		}
		if s.rewrites == nil {
			s.rewrites = map[string][]byte{}
		}
		s.rewrites[e.kf.file] = kWithCharts(data, keys, names)
	}
	s.helm = nil
}

// skipPlugins finds the plugin entries of every kustomization of chain.
func (k *Kustomize) skipPlugins(chain []*kfile) kSkips {
	var out kSkips
	for _, kf := range chain {
		var own []kSkip
		for _, field := range kPluginFields {
			for _, item := range yamlnode.Seq(kf.root, field) {
				if item.Kind != yaml.ScalarNode || item.Value == "" {
					continue
				}
				if what := k.externalPlugin(kf, item.Value); what != "" {
					own = append(own, kSkip{kf: kf, field: field, item: item, what: what})
				}
			}
		}
		for _, field := range kHelmFields {
			for _, item := range yamlnode.Seq(kf.root, field) {
				out.helm = append(out.helm, kSkip{kf: kf, field: field, item: item, what: kChartName(item)})
			}
		}
		if len(own) == 0 {
			continue
		}
		if out.rewrites == nil {
			out.rewrites = map[string][]byte{}
		}
		out.rewrites[kf.file] = kWithout(kf.data, own)
		out.entries = append(out.entries, own...)
	}
	return out
}

// kChartName is the chart a helmCharts (or legacy
// helmChartInflationGenerator) entry inflates.
func kChartName(item *yaml.Node) string {
	for _, key := range []string{"name", "chartName"} {
		if v := yamlnode.Str(item, key); v != "" {
			return v
		}
	}
	return "(unnamed)"
}

// findings are the skipped entries, one warning each at its line.
func (s kSkips) findings(k *Kustomize) []lint.Finding {
	out := make([]lint.Finding, 0, len(s.entries))
	for _, e := range s.entries {
		f := k.problem(e.kf.file, e.item.Line, e.item.Column, kSkipMessage(e))
		f.Severity = lint.Warning
		f.Fix = "nothing to change if it only makes Secrets or labels (say so with `# oomlint:ignore OOM900 <reason>` on this line); " +
			"if it sets memory, commit its output to the repository so it is linted"
		if slices.Contains(kHelmFields, e.field) {
			f.Fix = "write it as a helmCharts entry (`kustomize edit fix`), with the chart's name"
		}
		out = append(out, f)
	}
	return out
}

func kSkipMessage(e kSkip) string {
	switch e.field {
	case "helmChartInflationGenerator":
		return fmt.Sprintf("%s entry %q skipped: oomlint renders helmCharts entries, not this deprecated generator; "+
			"the rest of the kustomization is built and linted without the chart's objects", e.field, e.what)
	case "helmCharts":
		return fmt.Sprintf("%s entry %q skipped: kustomize refuses its name; "+
			"the rest of the kustomization is built and linted without the chart's objects", e.field, e.what)
	}
	name := fmt.Sprintf("%q", e.item.Value)
	if strings.Contains(e.item.Value, "\n") {
		name = "(inline)"
	}
	role, effect := "generator", "without the objects it generates"
	switch e.field {
	case "transformers":
		role, effect = "transformer", "as if it did not run"
	case "validators":
		role, effect = "validator", "without it"
	}
	return fmt.Sprintf("%s %s skipped: %s, and oomlint never runs plugins; the rest of the kustomization is built and linted %s",
		role, name, e.what, effect)
}

// externalPlugin describes the plugin an entry configures when it is not a
// built-in one, else "". The entry is inline YAML, a file, or a
// kustomization directory whose resource files hold the configurations.
func (k *Kustomize) externalPlugin(kf *kfile, value string) string {
	var docs []*yaml.Node
	switch p := filepath.Join(kf.dir, value); {
	case strings.Contains(value, "\n"):
		docs = kParseDocs([]byte(value))
	case kIsRemote(value) || filepath.IsAbs(value) || !kWithin(k.opt.RepoRoot, p):
		return "" // refused on its own
	case kIsFile(p):
		docs = kParseDocs(kReadOrNil(p))
	default:
		if c := k.graph.load(p); c != nil {
			for _, r := range k.graph.reachable(c) {
				for _, e := range r.entries {
					if e.field == "resources" && e.abs != "" && kIsFile(e.abs) {
						docs = append(docs, kParseDocs(kReadOrNil(e.abs))...)
					}
				}
			}
		}
	}
	for _, doc := range docs {
		if doc.Kind != yaml.MappingNode || yamlnode.Str(doc, "apiVersion") == "builtin" {
			continue
		}
		return kDescribePlugin(doc)
	}
	return ""
}

// kDescribePlugin names a plugin configuration and how it would run.
func kDescribePlugin(doc *yaml.Node) string {
	kind, api := yamlnode.Str(doc, "kind"), yamlnode.Str(doc, "apiVersion")
	id := kind
	if api != "" {
		id = fmt.Sprintf("%s (%s)", kind, api)
	}
	if kind == "" {
		id = "a configuration without a kind"
	}
	annotations := yamlnode.Get(doc, "metadata", "annotations")
	for _, a := range kFunctionAnnotations {
		spec := yamlnode.Str(annotations, a)
		if spec == "" {
			continue
		}
		var fn yaml.Node
		if yaml.Unmarshal([]byte(spec), &fn) != nil {
			return id + ", a KRM function"
		}
		switch {
		case yamlnode.Get(&fn, "exec") != nil:
			return fmt.Sprintf("%s, an exec KRM function (%s)", id, yamlnode.Str(&fn, "exec", "path"))
		case yamlnode.Get(&fn, "container") != nil:
			return fmt.Sprintf("%s, a container KRM function (%s)", id, yamlnode.Str(&fn, "container", "image"))
		}
		return id + ", a KRM function"
	}
	return id + ", an exec or Go plugin"
}

// kWithout is a kustomization's text without the skipped items. An item
// alone on its line in a block sequence is commented out, so every other
// line keeps its number and krusty's errors still name the user's lines;
// otherwise the document is written anew without them.
func kWithout(data []byte, skips []kSkip) []byte {
	lines := bytes.SplitAfter(data, []byte("\n"))
	inPlace := true
	for _, s := range skips {
		if !kCommentOut(lines, s.item) {
			inPlace = false
			break
		}
	}
	if inPlace {
		return bytes.Join(lines, nil)
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return data
	}
	for _, field := range kPluginFields {
		seq := yamlnode.Get(doc.Content[0], field)
		if seq == nil || seq.Kind != yaml.SequenceNode {
			continue
		}
		seq.Content = slices.DeleteFunc(seq.Content, func(n *yaml.Node) bool {
			return slices.ContainsFunc(skips, func(s kSkip) bool {
				return s.field == field && s.item.Line == n.Line && s.item.Column == n.Column
			})
		})
	}
	out, err := yaml.Marshal(doc.Content[0])
	if err != nil {
		return data
	}
	return out
}

// kWithCharts is a kustomization's text without the top-level keys named
// (its helmCharts), and with the files of the charts rendered in their
// place (names, beside it) added to its resources. The keys are commented
// out from their line to the next key, so every other line keeps its
// number, and the resources go on the first line taken out when the
// kustomization has none; otherwise the document is written anew.
func kWithCharts(data []byte, keys, names []string) []byte {
	if len(keys) == 0 {
		return data
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return data
	}
	m := doc.Content[0]
	if m.Style&yaml.FlowStyle == 0 && (len(names) == 0 || yamlnode.Get(m, "resources") == nil) {
		if out, ok := kCommentKeys(data, m, keys, names); ok {
			return out
		}
	}
	return kRewriteWithout(data, m, keys, names)
}

// kCommentKeys is kWithCharts in place; ok is false when a key's lines
// cannot be told apart.
func kCommentKeys(data []byte, m *yaml.Node, keys, names []string) ([]byte, bool) {
	lines := bytes.SplitAfter(data, []byte("\n"))
	// krusty refuses a kustomization with nothing left in it; one that
	// only inflated charts keeps a kind.
	empty := true
	for i := 0; i+1 < len(m.Content); i += 2 {
		empty = empty && slices.Contains(keys, m.Content[i].Value)
	}
	first := true
	for i := 0; i+1 < len(m.Content); i += 2 {
		key := m.Content[i]
		if !slices.Contains(keys, key.Value) {
			continue
		}
		end := len(lines) // one past the last line index of the key's block
		if i+2 < len(m.Content) {
			end = m.Content[i+2].Line - 1
		}
		if key.Line < 1 || end > len(lines) || key.Line > end {
			return nil, false
		}
		for l := key.Line - 1; l < end; l++ {
			if len(bytes.TrimSpace(lines[l])) > 0 {
				lines[l] = append([]byte("# "), lines[l]...)
			}
		}
		switch {
		case !first:
		case len(names) > 0:
			lines[key.Line-1] = append([]byte("resources: ["+strings.Join(names, ", ")+"] "), lines[key.Line-1]...)
		case empty:
			lines[key.Line-1] = append([]byte("kind: Kustomization "), lines[key.Line-1]...)
		}
		first = false
	}
	return bytes.Join(lines, nil), true
}

// kRewriteWithout is kWithCharts writing the document anew.
func kRewriteWithout(data []byte, m *yaml.Node, keys, names []string) []byte {
	kept := m.Content[:0:0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if !slices.Contains(keys, m.Content[i].Value) {
			kept = append(kept, m.Content[i], m.Content[i+1])
		}
	}
	m.Content = kept
	if len(names) > 0 {
		res := yamlnode.Get(m, "resources")
		if res == nil || res.Kind != yaml.SequenceNode {
			res = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "resources"}, res)
		}
		for _, n := range names {
			res.Content = append(res.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: n})
		}
	}
	if len(m.Content) == 0 {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "kind"}, &yaml.Node{Kind: yaml.ScalarNode, Value: "Kustomization"})
	}
	out, err := yaml.Marshal(m)
	if err != nil {
		return data
	}
	return out
}

// kCommentOut turns `  - item` into `  # item` in lines (each with its
// newline) when the item is a one-line scalar that starts a block sequence
// entry; it reports whether it could.
func kCommentOut(lines [][]byte, item *yaml.Node) bool {
	if item.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || strings.Contains(item.Value, "\n") ||
		item.Line < 1 || item.Line > len(lines) {
		return false
	}
	line := lines[item.Line-1]
	if item.Column-1 > len(line) {
		return false
	}
	before := bytes.TrimRight(line[:item.Column-1], " \t")
	if !bytes.HasSuffix(before, []byte("-")) || len(bytes.TrimSpace(before)) != 1 {
		return false // not `- item` with only indentation before the dash
	}
	c := slices.Clone(line)
	c[len(before)-1] = '#'
	lines[item.Line-1] = c
	return true
}
