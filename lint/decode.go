package lint

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/oomlint/oomlint/internal/lazyre"
	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"
)

// decoded is what one file yields: its objects and any problem with the file.
type decoded struct {
	file string // display path
	abs  string // absolute path of a plain file; "" for a unit's output
	// splitPart is the streamed part of a split file: the part decoded
	// first reports the file's ignore comments.
	splitPart  bool
	objects    []*Object
	problems   []Finding // OOM901 parse errors, raw (not yet filtered or suppressed)
	skipped    int       // documents that are not Kubernetes objects
	template   int       // line of the first "{{" when the file is a Go template; 0 otherwise
	directives directives
	// dups are the keys written twice in an object (see objectNotes).
	dups map[*Object][]dupKey
}

var bom = []byte("\xef\xbb\xbf")

// decodeFile reads and parses one file. It never fails: every problem with
// the file becomes a finding, so one bad file never hides the others.
func decodeFile(abs, display, defaultNamespace string, maxSize int64, part docPart) *decoded {
	data, err := readFile(abs, maxSize)
	return decodeRead(data, err, abs, display, defaultNamespace, part)
}

// decodeRead decodes what reading a file gave. It never fails: every
// problem with the file becomes a finding.
func decodeRead(data []byte, err error, abs, display, defaultNamespace string, part docPart) (d *decoded) {
	defer func() {
		if r := recover(); r != nil {
			d = &decoded{file: display}
			d.problems = append(d.problems, fileProblem(display, 1, 1, fmt.Sprintf("oomlint could not decode this file (internal error: %v); please report it", r)))
		}
	}()
	if err != nil {
		return &decoded{file: display, problems: []Finding{fileProblem(display, 1, 1, err.Error())}}
	}
	d = decodeDocs(data, display, isJSONFile(abs), defaultNamespace, part, true)
	d.abs = abs
	return d
}

func isJSONFile(path string) bool { return strings.HasSuffix(strings.ToLower(path), ".json") }

// docPart says which documents of a file to decode: all of them, or, for a
// file split for streaming, those other objects read (decoded first) or
// the rest (streamed).
type docPart int

const (
	allDocs docPart = iota
	earlyDocs
	lateDocs
)

// decodeBytes parses the contents of one file into objects.
func decodeBytes(data []byte, display string, isJSON bool, defaultNamespace string) *decoded {
	return decodeDocs(data, display, isJSON, defaultNamespace, allDocs, false)
}

// decodeDocs parses data into objects. For a file of the repository
// (plain), a document that does not parse and was not meant as a
// Kubernetes object (see meantAsManifest) is skipped, not an error.
func decodeDocs(data []byte, display string, isJSON bool, defaultNamespace string, part docPart, plain bool) *decoded {
	d := &decoded{file: display}
	if i := bytes.IndexByte(data[:min(len(data), 8000)], 0); i >= 0 {
		d.problems = append(d.problems, fileProblem(display, 1, 1, "binary file (NUL byte at offset "+strconv.Itoa(i)+"); not a YAML or JSON manifest"))
		return d
	}
	data = bytes.TrimPrefix(data, bom)
	d.directives = scanDirectives(data)
	tmpl := templateLine(data)
	for _, doc := range splitDocuments(data, isJSON) {
		if part != allDocs {
			kind, _ := topKind(doc.text)
			if streamKinds[kind] != (part == lateDocs) {
				continue
			}
		}
		var root yaml.Node
		err := yaml.Unmarshal(doc.text, &root)
		if tmpl > 0 && (err != nil || hasTemplateAction(&root)) {
			d.objects, d.problems, d.skipped = nil, nil, 0
			if plain && !meantAsManifest(display, data, isJSON) {
				d.skipped = 1
				return d
			}
			d.template = tmpl
			return d
		}
		if err != nil && plain && !meantAsManifest(display, doc.text, isJSON) {
			d.skipped++
			continue
		}
		if err != nil {
			line := doc.offset + errorLine(err)
			if strings.HasSuffix(err.Error(), tabIndentProblem) {
				line = tabLine(data, line)
			}
			d.problems = append(d.problems, fileProblem(display, line, firstColumn(data, line), yamlMessage(err)))
			continue
		}
		// Each document has its own cap: a file streamed in two parts
		// must read as it does whole.
		var aliases *yamlnode.Budget
		if bytes.IndexByte(doc.text, '*') >= 0 {
			aliases = new(yamlnode.Budget)
		}
		d.addDocument(&root, doc.offset, defaultNamespace, aliases)
	}
	return d
}

// addDocument adds the objects of one parsed document. A document whose
// aliases form a cycle or expand past the limits (yamlnode.Budget) is an
// OOM901 and is not read: checked here, once, nothing downstream (a
// policy's input, a controller object's plan) ever expands it. aliases is
// nil for a document without an alias.
func (d *decoded) addDocument(root *yaml.Node, offset int, defaultNamespace string, aliases *yamlnode.Budget) {
	top := yamlnode.Deref(root)
	if top == nil || top.Kind == 0 || (top.Kind == yaml.ScalarNode && top.Tag == "!!null") {
		return // an empty document or one holding only comments
	}
	apiVersion, kind := yamlnode.Str(top, "apiVersion"), yamlnode.Str(top, "kind")
	if top.Kind != yaml.MappingNode || apiVersion == "" || kind == "" {
		d.skipped++
		return
	}
	if aliases != nil {
		if err := aliases.Check(root); err != nil {
			d.problems = append(d.problems, aliasProblem(d.file, top, offset, err))
			return
		}
	}
	if items := yamlnode.Get(top, "items"); strings.HasSuffix(kind, "List") && items != nil && items.Kind == yaml.SequenceNode {
		for _, item := range items.Content {
			item = yamlnode.Deref(item)
			if item.Kind != yaml.MappingNode || yamlnode.Str(item, "apiVersion") == "" || yamlnode.Str(item, "kind") == "" {
				d.skipped++
				continue
			}
			o := newObject(item, d.file, offset, defaultNamespace)
			if n, ok := o.Origin.(nodeOrigin); ok {
				n.inList = true
				o.Origin = n
			}
			d.add(o)
		}
		return
	}
	d.add(newObject(top, d.file, offset, defaultNamespace))
}

func (d *decoded) add(o *Object) {
	d.objects = append(d.objects, o)
	var dups []dupKey
	duplicateKeys(o.Node, make([]dupStep, 0, 16), &dups)
	if len(dups) > 0 {
		if d.dups == nil {
			d.dups = map[*Object][]dupKey{}
		}
		d.dups[o] = dups
	}
}

// aliasProblem is the OOM901 of a document refused by yamlnode.Budget, at
// the document's first line.
func aliasProblem(file string, top *yaml.Node, offset int, err error) Finding {
	msg := "invalid YAML: " + err.Error()
	if le, ok := errors.AsType[*yamlnode.LimitError](err); ok {
		at := le.Line + offset
		switch {
		case errors.Is(err, yamlnode.ErrAliasCycle):
			msg = fmt.Sprintf("YAML aliases form a cycle at line %d (*%s inside its own anchor); document not read", at, le.Alias)
		case errors.Is(err, yamlnode.ErrAliasBomb):
			msg = fmt.Sprintf("YAML aliases expand the document to %s nodes (an alias bomb, at line %d); document not read", yamlnode.NodeCount(le.Nodes), at)
		default:
			msg = fmt.Sprintf("YAML nesting is deeper than %d levels with aliases expanded, at line %d; document not read", yamlnode.MaxDepth, at)
		}
	}
	return fileProblem(file, top.Line+offset, top.Column, msg)
}

// dupKey is a key written more than once in one mapping of an object:
// Kubernetes reads the last value (sigs.k8s.io/yaml keeps it, so kubectl
// sends only it), and so do the rules (yamlnode.Lookup).
type dupKey struct {
	key   string
	path  Path // to the key, as the rules read it
	first int  // line of the first occurrence in the parsed document
	count int
}

// duplicateKeys walks n as written, aliases not followed (an anchored
// mapping is walked where it is written), and adds every key written twice
// in one mapping. The values a later key overrides are not walked: nothing
// reads them.
func duplicateKeys(n *yaml.Node, steps []dupStep, out *[]dupKey) {
	switch {
	case n == nil:
	case n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			duplicateKeys(c, append(steps, dupStep{index: i}), out)
		}
	case n.Kind == yaml.MappingNode:
		dups := yamlnode.Duplicates(n)
		for _, dup := range dups {
			*out = append(*out, dupKey{key: dup.Last.Value, path: dupPath(append(steps, dupStep{key: dup.Last.Value, index: -1})), first: dup.First.Line, count: dup.Count})
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			switch {
			case yamlnode.IsMerge(k): // the merged mappings' keys are this mapping's
				v, items := n.Content[i+1], n.Content[i+1:i+2]
				if v.Kind == yaml.SequenceNode {
					items = v.Content
				}
				for _, it := range items {
					if it.Kind == yaml.MappingNode {
						duplicateKeys(it, steps, out)
					}
				}
			case k.Kind != yaml.ScalarNode || overridden(dups, k):
			default:
				duplicateKeys(n.Content[i+1], append(steps, dupStep{key: k.Value, index: -1}), out)
			}
		}
	}
}

type dupStep struct {
	key   string
	index int // -1 for a key
}

func dupPath(steps []dupStep) Path {
	p := Root
	for _, s := range steps {
		if s.index >= 0 {
			p = p.Index(s.index)
		} else {
			p = p.Key(s.key)
		}
	}
	return p
}

// overridden reports whether key node k is an occurrence a later one hides.
func overridden(dups []yamlnode.Duplicate, k *yaml.Node) bool {
	for _, d := range dups {
		if d.Last.Value == k.Value {
			return d.Last != k
		}
	}
	return false
}

func newObject(n *yaml.Node, file string, offset int, defaultNamespace string) *Object {
	o := &Object{
		APIVersion: yamlnode.Str(n, "apiVersion"),
		Kind:       yamlnode.Str(n, "kind"),
		Name:       yamlnode.Str(n, "metadata", "name"),
		Namespace:  yamlnode.Str(n, "metadata", "namespace"),
		Node:       n,
		Origin:     nodeOrigin{file: file, root: n, lineOffset: offset},
	}
	if o.Namespace == "" {
		o.Namespace = defaultNamespace
	}
	if o.Kind == "ConfigMap" {
		o.Data = readData(n)
	}
	if ann := yamlnode.Get(n, "metadata", "annotations"); ann != nil && ann.Kind == yaml.MappingNode {
		o.Annotations = make(map[string]string, len(ann.Content)/2)
		yamlnode.Pairs(ann, func(k, v *yaml.Node) bool {
			o.Annotations[k.Value] = v.Value
			return true
		})
	}
	return o
}

// ErrTooLarge reports a file over the size cap.
var ErrTooLarge = errors.New("file too large")

func readFile(path string, maxSize int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read file: %w", unwrapPathError(err))
	}
	defer f.Close()
	// Size the buffer from Stat, as os.ReadFile does: io.ReadAll's doubling
	// costs twice the allocation. The limit still holds if the file grows.
	var size int64
	if st, err := f.Stat(); err == nil {
		size = min(st.Size(), maxSize)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, maxSize+1)); err != nil {
		return nil, fmt.Errorf("cannot read file: %w", unwrapPathError(err))
	}
	data := buf.Bytes()
	if int64(len(data)) > maxSize {
		return nil, fmt.Errorf("%w: over the %d-byte limit (raise maxFileSize in .oomlint.yaml or ignore the file)", ErrTooLarge, maxSize)
	}
	return data, nil
}

func unwrapPathError(err error) error {
	if pe, ok := errors.AsType[*os.PathError](err); ok {
		return pe.Err
	}
	return err
}

type document struct {
	text   []byte
	offset int // lines before the document starts
}

// splitDocuments cuts a YAML stream at its "---" markers so each document is
// parsed on its own: a broken document does not hide the ones after it.
// Markers are only recognised at column 0, where YAML forbids them inside
// content, so the split never cuts a block scalar.
func splitDocuments(data []byte, isJSON bool) []document {
	if isJSON {
		return []document{{text: data}}
	}
	var docs []document
	start, startLine, line := 0, 0, 0
	for pos := 0; pos < len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		if pos > start && isMarker(data[pos:next]) {
			docs = append(docs, document{text: data[start:pos], offset: startLine})
			start, startLine = pos, line
		}
		pos = next
		line++
	}
	return append(docs, document{text: data[start:], offset: startLine})
}

func isMarker(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := line[3:]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r'
}

var yamlLine = lazyre.New(`line (\d+):?`)

// parserProblems are yaml.v3's parser errors, as opposed to its scanner
// errors: it prints their line 0-based (go-yaml/yaml#205). The line is
// that of the construct being parsed ("while parsing a block mapping"),
// or of the problem when that construct starts on the first line.
var parserProblems = []string{
	"did not find expected key", "did not find expected node content",
	"did not find expected '-' indicator", "did not find expected ',' or ']'",
	"did not find expected ',' or '}'", "did not find expected <document start>",
	"did not find expected <stream-start>", "found undefined tag handle",
	"found duplicate %YAML directive", "found duplicate %TAG directive",
	"found incompatible YAML document",
}

// errorLine is the 1-based line yaml.v3 names in err, or 1.
func errorLine(err error) int {
	msg := err.Error()
	m := yamlLine().FindStringSubmatch(msg)
	if m == nil {
		return 1
	}
	n, convErr := strconv.Atoi(m[1])
	if convErr != nil {
		return 1
	}
	if slices.ContainsFunc(parserProblems, func(p string) bool { return strings.HasSuffix(msg, p) }) {
		n++
	}
	return max(n, 1)
}

// tabIndentProblem is yaml.v3's error for a tab in indentation, which it
// places at the scalar before the tab, not at the tab's line.
const tabIndentProblem = "found a tab character that violates indentation"

// tabLine is the first line from line on whose indentation holds a tab,
// else line.
func tabLine(data []byte, line int) int {
	for n, l := range bytes.Split(data, []byte("\n")) {
		if n+1 < line {
			continue
		}
		if indent := l[:len(l)-len(bytes.TrimLeft(l, " \t"))]; bytes.IndexByte(indent, '\t') >= 0 {
			return n + 1
		}
	}
	return line
}

// yamlMessage trims the parser's "yaml: line N:" prefix: the position is shown separately.
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = yamlLine().ReplaceAllString(msg, "")
	msg = strings.TrimSpace(strings.ReplaceAll(msg, "\n", " "))
	return "invalid YAML: " + msg
}

// firstColumn is the column of the first non-blank character of line, or 1.
func firstColumn(data []byte, line int) int {
	for n := 1; len(data) > 0; n++ {
		end := bytes.IndexByte(data, '\n')
		if end < 0 {
			end = len(data)
		}
		if n == line {
			trimmed := bytes.TrimLeft(data[:end], " \t")
			if len(trimmed) == 0 {
				return 1
			}
			return end - len(trimmed) + 1
		}
		if end == len(data) {
			break
		}
		data = data[end+1:]
	}
	return 1
}

// hasTemplateAction reports whether n holds an unquoted {{ … }}, which YAML
// reads as a flow mapping keyed by a flow mapping: no manifest has one.
func hasTemplateAction(n *yaml.Node) bool {
	if n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle != 0 && len(n.Content) > 0 && n.Content[0].Kind == yaml.MappingNode {
		return true
	}
	return slices.ContainsFunc(n.Content, hasTemplateAction)
}

// templateLine is the line of the first "{{" in data, or 0.
func templateLine(data []byte) int {
	before, _, found := bytes.Cut(data, []byte("{{"))
	if !found {
		return 0
	}
	return bytes.Count(before, []byte("\n")) + 1
}

func fileProblem(file string, line, col int, msg string) Finding {
	return Finding{Rule: ParseErrorID, File: file, Line: max(line, 1), Column: max(col, 1), Message: msg}
}

// ciConfigs are the file names of CI systems' configurations: YAML that is
// never a Kubernetes object.
var ciConfigs = map[string]bool{
	".gitlab-ci.yml": true, ".travis.yml": true, ".drone.yml": true, ".woodpecker.yml": true,
	"azure-pipelines.yml": true, "azure-pipelines.yaml": true, "bitbucket-pipelines.yml": true,
	"appveyor.yml": true, "cloudbuild.yaml": true, "cloudbuild.yml": true, "buildspec.yml": true,
	"codecov.yml": true, ".pre-commit-config.yaml": true, ".goreleaser.yaml": true, ".goreleaser.yml": true,
}

// The apiVersion and kind keys of a manifest: at column 0 in YAML,
// anywhere in JSON.
var (
	yamlAPIVersion = lazyre.New(`(?m)^apiVersion\s*:`)
	yamlKind       = lazyre.New(`(?m)^kind\s*:`)
	jsonAPIVersion = lazyre.New(`"apiVersion"\s*:`)
	jsonKind       = lazyre.New(`"kind"\s*:`)
)

// meantAsManifest reports whether text, which does not parse (or is a Go
// template), was meant as a Kubernetes object, so that its parse error is
// worth a finding: it has apiVersion and kind keys at column 0, and its
// file is not documentation (under docs/), a template by name
// (*.template.yaml) or a CI system's configuration. Anything else is
// YAML nobody meant oomlint to read.
func meantAsManifest(display string, text []byte, isJSON bool) bool {
	dirs := strings.Split(display, "/")
	lower := strings.ToLower(dirs[len(dirs)-1])
	dirs = dirs[:len(dirs)-1]
	if ciConfigs[lower] || strings.HasSuffix(lower, ".template.yaml") || strings.HasSuffix(lower, ".template.yml") ||
		slices.Contains(dirs, "docs") {
		return false
	}
	if isJSON {
		return jsonAPIVersion().Match(text) && jsonKind().Match(text)
	}
	return yamlAPIVersion().Match(text) && yamlKind().Match(text)
}

// objectNotes are OOM901 warnings about how an object was read, placed
// through its origin: keys written twice (the last counts), about the
// file like any parse problem, and values of a container whose expansion
// passed a limit (Process.Cuts). ignore is the object's ignore annotation.
func (c *checker) objectNotes(o *Object, d *decoded, ignore []string) []Finding {
	i := slices.IndexFunc(c.active, func(r *Rule) bool { return r.ID == ParseErrorID })
	if i < 0 || listCovers(ignore, c.active[i]) {
		return nil
	}
	var out []Finding
	add := func(f Finding) {
		f.Rule, f.Severity = ParseErrorID, Warning
		if !c.suppressedIn(f, d) {
			out = append(out, f)
		}
	}
	for _, k := range d.dups[o] {
		loc := o.Origin.Locate(k.path)
		times, others := "twice", "the other"
		if k.count > 2 {
			times, others = strconv.Itoa(k.count)+" times", "the others"
		}
		f := Finding{File: loc.File, Line: loc.Line, Column: loc.Column, Path: k.path.String(), Related: loc.Related,
			Message: fmt.Sprintf("key %q is written %s in one mapping: Kubernetes keeps the last value, this one, and ignores %s", k.key, times, others),
			Fix:     "remove the occurrences Kubernetes ignores, or merge them into this one"}
		if no, ok := plainOrigin(o); ok {
			f.Related = append(f.Related, Related{File: no.file, Line: k.first + no.lineOffset, Message: "the first occurrence, ignored"})
		}
		add(f)
	}
	if o.Workload != nil {
		ref := o.Ref()
		for _, ct := range o.Workload.Containers {
			for _, f := range cutFindings(o, ct) {
				f.Object = &ref
				add(f)
			}
		}
	}
	return out
}

// plainOrigin is the origin of an object of a plain file, its tree kept
// or dropped: lines of its parsed document are lines of the file.
func plainOrigin(o *Object) (nodeOrigin, bool) {
	switch no := o.Origin.(type) {
	case nodeOrigin:
		return no, true
	case *reparsedOrigin:
		return no.at, true
	}
	return nodeOrigin{}, false
}
