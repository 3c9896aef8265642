package kustomize

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/oomlint/oomlint/internal/lazyre"
	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/lint"
)

// buildError places krusty's message at the most precise place it names:
// a line of a resource file, a patch that matched nothing, an unknown
// kustomization field, a refused plugin, the entry it mentions; else line 1
// of the top kustomization. Absolute paths in the message are shortened.
func (k *Kustomize) buildError(top *kfile, chain []*kfile, err error) lint.Finding {
	msg := k.shorten(err.Error())
	at := func(file string, n *yaml.Node, extra string) lint.Finding {
		return k.problem(file, n.Line, n.Column, "kustomize build failed: "+msg+extra)
	}
	for _, kf := range chain {
		if kf.err != nil && kf.root == nil { // not YAML: our parser's line
			return at(kf.file, &yaml.Node{Line: yamlErrLine(kf.err.Error()), Column: 1}, "")
		}
	}
	if kf, e, ok := kPluginEntry(chain, msg); ok {
		return at(kf.file, &yaml.Node{Line: e.line, Column: e.col},
			" (oomlint runs only kustomize's built-in generators and transformers, never exec or KRM function plugins)")
	}
	if kf, n := unknownField(chain, msg); n != nil {
		return at(kf.file, n, "")
	}
	if file, n := unmatchedPatch(chain, msg); n != nil {
		return at(file, n, "")
	}
	kf, e, ok := mentionedEntry(chain, msg)
	if in, rest := innermost(chain, err.Error()); in != nil {
		// krusty names each kustomization it recursed into: the entry is
		// the innermost one's, whatever the outer ones' paths say.
		if ikf, ie, iok := mentionedEntry([]*kfile{in}, k.shorten(rest)); iok {
			kf, e, ok = ikf, ie, iok
		}
	}
	if !ok {
		return at(top.file, &yaml.Node{Line: 1, Column: 1}, "")
	}
	if line := yamlErrLine(msg); line > 0 && e.abs != "" && kIsFile(e.abs) {
		return at(e.abs, &yaml.Node{Line: line, Column: 1}, "")
	}
	return at(kf.file, &yaml.Node{Line: e.line, Column: e.col}, "")
}

// shorten replaces absolute paths inside the repository with display paths.
func (k *Kustomize) shorten(msg string) string {
	root := filepath.Clean(k.opt.RepoRoot)
	if root == "" || root == "." || root == string(filepath.Separator) {
		return msg
	}
	re := regexp.MustCompile(regexp.QuoteMeta(root) + `(/[^\s'":,]*)?`)
	return re.ReplaceAllStringFunc(msg, func(p string) string { return k.display(p) })
}

// mentionedEntry is the entry whose value the message names (the longest).
func mentionedEntry(chain []*kfile, msg string) (*kfile, kentry, bool) {
	var bestKf *kfile
	var best kentry
	for _, kf := range chain {
		for _, e := range kf.entries {
			if len(e.value) > len(best.value) && strings.Contains(msg, e.value) {
				bestKf, best = kf, e
			}
		}
	}
	return bestKf, best, bestKf != nil
}

// kRecursed is how krusty prefixes an error from a kustomization it recursed into.
var kRecursed = lazyre.New(`recursed (?:accumulation of|merging from) path '([^']+)'`)

// innermost is the kustomization of chain the last recursion in msg
// names, and the message from there on; nil when there is none.
func innermost(chain []*kfile, msg string) (*kfile, string) {
	all := kRecursed().FindAllStringSubmatchIndex(msg, -1)
	if len(all) == 0 {
		return nil, ""
	}
	m := all[len(all)-1]
	dir := filepath.Clean(msg[m[2]:m[3]])
	for _, kf := range chain {
		if kf.dir == dir {
			return kf, msg[m[1]:]
		}
	}
	return nil, ""
}

var yamlLine = lazyre.New(`yaml: line (\d+):`)

// yamlErrLine is the line a YAML parse error names, or 0.
func yamlErrLine(msg string) int {
	m := yamlLine().FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

var unknownFieldRe = lazyre.New(`unknown field "([^"]+)"`)

// unknownField is the key krusty does not know, in the first kustomization
// of the chain that has it.
func unknownField(chain []*kfile, msg string) (*kfile, *yaml.Node) {
	m := unknownFieldRe().FindStringSubmatch(msg)
	if m == nil {
		return nil, nil
	}
	for _, kf := range chain {
		if k, _ := yamlnode.Lookup(kf.root, m[1]); k != nil {
			return kf, k
		}
	}
	return nil, nil
}

// unmatchedRe reads the id of a patch that matched nothing, as
// "Kind.version.group/name.namespace" (the name may hold dots):
// no resource matches strategic merge patch "Deployment.[noVer].[noGrp]/nope.[noNs]",
// failed to find unique target for patch Deployment.v1.apps/nope.[noNs].
var unmatchedRe = lazyre.New(`patch "?([A-Za-z0-9]+)\.[^/"\s]*/([^"\s;]+)`)

// unmatchedPatch is the name: line of the strategic-merge patch document
// that matched no object.
func unmatchedPatch(chain []*kfile, msg string) (string, *yaml.Node) {
	m := unmatchedRe().FindStringSubmatch(msg)
	if m == nil {
		return "", nil
	}
	tr := &kTracer{patches: map[string][]*kPatch{}}
	for _, kf := range chain {
		for _, p := range tr.ownPatches(kf) {
			name := yamlnode.Str(yamlnode.Get(p.doc, "metadata"), "name")
			if p.json || name == "" || yamlnode.Str(p.doc, "kind") != m[1] || !strings.HasPrefix(m[2], name+".") {
				continue
			}
			k, _ := yamlnode.Lookup(yamlnode.Get(p.doc, "metadata"), "name")
			line, col := (&kPatchHit{p: p, node: k}).pos()
			return p.file, &yaml.Node{Line: line, Column: col}
		}
	}
	return "", nil
}

// kPluginQuoted finds the plugin kind krusty names: unable to load external plugin 'Evil'.
var kPluginQuoted = lazyre.New(`plugin '([^']+)'`)

// kPluginEntry is the generators/transformers/validators entry whose file
// configures the plugin krusty refused.
func kPluginEntry(chain []*kfile, msg string) (*kfile, kentry, bool) {
	m := kPluginQuoted().FindStringSubmatch(msg)
	if m == nil {
		return nil, kentry{}, false
	}
	for _, kf := range chain {
		for _, e := range kf.entries {
			if e.abs == "" || (e.field != "generators" && e.field != "transformers" && e.field != "validators") {
				continue
			}
			for _, doc := range kParseDocs(kReadOrNil(e.abs)) {
				if yamlnode.Str(doc, "kind") == m[1] {
					return kf, e, true
				}
			}
		}
	}
	return nil, kentry{}, false
}

func kReadOrNil(p string) []byte {
	if !kIsFile(p) {
		return nil // a FIFO would block the read forever
	}
	data, _ := os.ReadFile(p)
	return data
}

func kIsFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
