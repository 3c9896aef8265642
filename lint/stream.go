package lint

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"
	"golang.org/x/sync/errgroup"
)

// Streaming. Most files of a large repo hold only workloads and objects
// no other object depends on (Services, RBAC). Such a file is decoded,
// resolved against the namespace facts and checked in one go once those
// facts are known, and its YAML trees are dropped before the next file:
// what stays is the compact workload facts the namespace rules sum up.
// Files with anything another object reads (LimitRanges, quotas,
// autoscalers, ConfigMaps, GitOps controller objects, anything unknown)
// are decoded first, as every rendered unit is.

// streamKinds are the kinds no other object reads: a file of only these is
// streamed. Everything else is decoded up front.
var streamKinds = func() map[string]bool {
	m := map[string]bool{
		"Service": true, "ServiceAccount": true, "Ingress": true, "NetworkPolicy": true,
		"PodDisruptionBudget": true, "PersistentVolumeClaim": true,
		"Role": true, "RoleBinding": true, "ClusterRole": true, "ClusterRoleBinding": true,
		"ServiceMonitor": true, "PodMonitor": true, "HTTPRoute": true,
	}
	for _, k := range WorkloadKinds {
		m[k.Name] = true
	}
	return m
}()

// streamParts reads a file's documents from its bytes alone: whether the
// file can be split (YAML with no template action, every document with a
// top-level kind: line or none at all), and if so whether it has
// documents to stream and documents to decode first.
func streamParts(data []byte, isJSON bool) (stream, first, ok bool) {
	if isJSON || len(data) == 0 || bytes.Contains(data, []byte("{{")) || bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0 {
		return false, false, false
	}
	data = bytes.TrimPrefix(data, bom)
	for _, doc := range splitDocuments(data, false) {
		kind, ok := topKind(doc.text)
		switch {
		case !ok:
			return false, false, false
		case streamKinds[kind]:
			stream = true
		case kind != "":
			first = true
		}
	}
	return stream, first, true
}

// topKind finds a document's kind: line at column 0. A document without
// one is streamable only when it holds nothing but comments and markers.
func topKind(doc []byte) (string, bool) {
	// Most documents have one kind: line at column 0: find it directly.
	at := bytes.Index(doc, []byte("\nkind:"))
	if bytes.HasPrefix(doc, []byte("kind:")) {
		at = -1
	} else if at < 0 {
		return scanKind(doc)
	}
	rest := doc[at+1:]
	if bytes.Contains(rest[5:], []byte("\nkind:")) || bytes.HasPrefix(doc, []byte("kind:")) {
		return scanKind(doc)
	}
	line, _, _ := bytes.Cut(rest[5:], []byte("\n"))
	return kindValue(line), true
}

// kindValue is the value of a kind: line, without quotes or a comment.
func kindValue(v []byte) string {
	if i := bytes.Index(v, []byte(" #")); i >= 0 {
		v = v[:i]
	}
	return strings.Trim(strings.TrimSpace(string(v)), `"'`)
}

// scanKind reads a document line by line: no kind: line, or more than one.
func scanKind(doc []byte) (string, bool) {
	kind, content := "", false
	for line := range bytes.Lines(doc) {
		t := bytes.TrimRight(line, "\r\n")
		if v, ok := bytes.CutPrefix(t, []byte("kind:")); ok {
			if kind != "" {
				return "", false // two kinds: not a manifest the scan understands
			}
			kind = kindValue(v)
			continue
		}
		s := bytes.TrimSpace(t)
		if len(s) > 0 && s[0] != '#' && !isMarker(line) {
			content = true
		}
	}
	if kind == "" {
		return "", !content
	}
	return kind, true
}

// late is a plain file left for streaming.
type late struct {
	index int // in the run's sources, for a stable order
	src   source
	// split is a file whose other documents were decoded first: that part
	// reports the file's ignore comments.
	split bool
	// data is the file as the first read found it, while keepBytes
	// allowed; nil: read it again.
	data []byte
}

// keepBytes bounds the streamed files kept in memory between the read
// that finds their kinds and their decoding: reading a file twice costs
// a few percent of a run, keeping every file costs memory in proportion
// to the repository.
const keepBytes = 64 << 20

// keepBudget is the bytes still to keep; take is safe from many goroutines.
type keepBudget struct{ left atomic.Int64 }

func (b *keepBudget) take(n int) bool {
	if b.left.Add(-int64(n)) >= 0 {
		return true
	}
	b.left.Add(int64(n))
	return false
}

// lateResult is what a streamed file leaves behind.
type lateResult struct {
	findings  []Finding
	workloads []*Workload // facts kept for the namespace rules, trees dropped
	objects   int
	skipped   int
	dropped   []*Object // rendered objects this file's objects stand for (dedupe)
}

// stream decodes, resolves and checks each late file, keeping only the
// facts of its workloads. A streamed object identical to a rendered one
// keeps it as Also, as dedupe does with plain objects before units.
func (c *checker) stream(ctx context.Context, l *loaded) ([]lateResult, error) {
	out := make([]lateResult, len(l.late))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.cfg.Jobs)
	for i, lf := range l.late {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			start := time.Now()
			var d *decoded
			if lf.data != nil {
				d = decodeRead(lf.data, nil, lf.src.abs, lf.src.display, c.cfg.Namespace, lateDocs)
				l.late[i].data = nil
			} else {
				d = decodeFile(lf.src.abs, lf.src.display, c.cfg.Namespace, c.cfg.MaxFileSize, lateDocs)
			}
			defer l.progress.done(lf.src.display, PlainUnit, len(d.objects), start)
			r := &out[i]
			for _, o := range d.objects {
				o.Unit = lf.src.unit
				o.Workload = buildWorkload(o)
				if w := o.Workload; w != nil {
					l.env.resolveWorkload(w)
				}
				if f := l.rendered.twin(o); f != nil {
					o.Also = append([]*Object{f}, f.Also...)
					r.dropped = append(r.dropped, f)
				}
			}
			d.splitPart = lf.split
			r.findings = c.checkFile(d)
			r.objects, r.skipped = len(d.objects), d.skipped
			for _, o := range d.objects {
				if o.Workload != nil && o.Workload.Namespace.Relates() {
					o.freeze(lf.src.abs, &l.docs)
					r.workloads = append(r.workloads, o.Workload)
				}
			}
			return nil
		})
	}
	return out, g.Wait()
}

// twins indexes the rendered objects a streamed plain object may stand for.
type twins map[objectID]*Object

type objectID struct{ apiVersion, kind, namespace, name string }

func idOf(o *Object) objectID { return objectID{o.APIVersion, o.Kind, o.Namespace, o.Name} }

// twin returns the rendered object with o's identity and content, or nil.
func (t twins) twin(o *Object) *Object {
	if o.Name == "" {
		return nil
	}
	f := t[idOf(o)]
	if f == nil || f.Unit == o.Unit || contentHash(f.Node, 0) != contentHash(o.Node, 0) {
		return nil
	}
	return f
}

// reparsedOrigin locates paths in a streamed object whose tree was
// dropped: the few objects a namespace rule reports on have their document
// parsed again, which costs less than keeping every tree.
type reparsedOrigin struct {
	abs  string
	at   nodeOrigin // without its root
	docs *docCache
}

func (r *reparsedOrigin) Locate(p Path) Location {
	o := r.at
	if o.root = r.docs.root(r.abs, o.lineOffset); o.root == nil {
		return Location{File: o.file, Line: o.lineOffset + 1, Column: 1}
	}
	return o.Locate(p)
}

// freeze drops an object's YAML trees and the facts only its own checks
// read (processes) once those checks ran.
func (o *Object) freeze(abs string, docs *docCache) {
	n, ok := o.Origin.(nodeOrigin)
	if !ok || n.inList {
		return // only a plain file's document can be parsed again
	}
	n.root = nil
	o.Origin = &reparsedOrigin{abs: abs, at: n, docs: docs}
	o.Node = nil
	if w := o.Workload; w != nil {
		for _, c := range w.Containers {
			c.Node, c.Process, c.jvm, c.Volumes = nil, nil, nil, nil
		}
		w.Pod = nil
	}
}

// freezeConfigMaps drops the trees of the ConfigMaps of plain files once
// the units are planned: containers read their Data, and with no rule
// that reads any object (a Rego policy) nothing needs the rest.
func (l *loaded) freezeConfigMaps(active []*Rule) {
	if slices.ContainsFunc(active, func(r *Rule) bool { return r.Scope == ObjectScope }) {
		return
	}
	for _, d := range l.decs {
		if d.abs == "" {
			continue
		}
		for _, o := range d.objects {
			if o.Kind == "ConfigMap" {
				o.freeze(d.abs, &l.docs)
			}
		}
	}
}

// docCache holds the files parsed again for reparsedOrigin, a bounded
// number at a time; findings locate streamed objects in file order, so a
// file parsed once serves its neighbours.
type docCache struct {
	mu    sync.Mutex
	files map[string]map[int]*yaml.Node // by document line offset
	order []string
}

const cachedFiles = 64

func (c *docCache) root(abs string, offset int) *yaml.Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	if docs, ok := c.files[abs]; ok {
		return docs[offset]
	}
	docs := map[int]*yaml.Node{}
	if data, err := os.ReadFile(abs); err == nil {
		for _, doc := range splitDocuments(bytes.TrimPrefix(data, bom), false) {
			var n yaml.Node
			if yaml.Unmarshal(doc.text, &n) == nil {
				docs[doc.offset] = yamlnode.Deref(&n)
			}
		}
	}
	if c.files == nil {
		c.files = map[string]map[int]*yaml.Node{}
	}
	if len(c.order) == cachedFiles {
		delete(c.files, c.order[0])
		c.order = c.order[1:]
	}
	c.files[abs], c.order = docs, append(c.order, abs)
	return docs[offset]
}

// env is what resolving a workload needs from the whole run: namespace
// facts, ConfigMaps and RuntimeClasses. Streamed files resolve against it
// in parallel; a namespace first met there is added under the lock.
type env struct {
	mu             sync.Mutex
	namespaces     map[string]*Namespace
	configMaps     map[configMapKey]*Object
	runtimeClasses map[string]*Object
	mesh           MeshDefaults // every namespace's Mesh
}

func newEnv(objects []*Object) *env {
	e := &env{namespaces: namespaces(objects), configMaps: indexConfigMaps(objects), runtimeClasses: map[string]*Object{}, mesh: meshDefaults(objects)}
	for _, ns := range e.namespaces {
		ns.Mesh = e.mesh
	}
	for _, o := range objects {
		if o.Kind == "RuntimeClass" && e.runtimeClasses[o.Name] == nil {
			e.runtimeClasses[o.Name] = o
		}
	}
	return e
}

// resolve gathers the facts of the objects decoded up front and resolves
// their workloads against them.
func resolve(objects []*Object) *env {
	e := newEnv(objects)
	for _, o := range objects {
		if o.Workload != nil {
			e.resolveWorkload(o.Workload)
		}
	}
	return e
}

// namespace returns the facts of a namespace, empty when nothing set any.
func (e *env) namespace(name string) *Namespace {
	e.mu.Lock()
	defer e.mu.Unlock()
	ns := e.namespaces[name]
	if ns == nil {
		ns = &Namespace{Name: name, Mesh: e.mesh}
		e.namespaces[name] = ns
	}
	return ns
}

// resolveWorkload applies what only the whole run knows to one workload:
// LimitRange defaults, its RuntimeClass, the ConfigMaps it reads.
func (e *env) resolveWorkload(w *Workload) {
	o := w.Object
	w.Namespace = e.namespace(o.Namespace)
	if w.RuntimeClassName != "" {
		w.RuntimeClass = e.runtimeClasses[w.RuntimeClassName]
	}
	applyLimitRanges(w, w.Namespace)
	for _, c := range w.Containers {
		c.Process = buildProcess(o, c, e.configMaps)
	}
}

// addWorkloads gives each namespace its workloads in the run's order: the
// order key of each is its file's (sources, then units) and its position.
func (e *env) addWorkloads(ordered [][]*Workload) {
	for _, ws := range ordered {
		for _, w := range ws {
			ns := e.namespace(w.Object.Namespace)
			ns.Workloads = append(ns.Workloads, w)
		}
	}
}

// sorted lists the namespaces by name.
func (e *env) sorted() []*Namespace {
	out := make([]*Namespace, 0, len(e.namespaces))
	for _, ns := range e.namespaces {
		out = append(out, ns)
	}
	slices.SortFunc(out, func(a, b *Namespace) int { return strings.Compare(a.Name, b.Name) })
	return out
}
