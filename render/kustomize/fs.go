package kustomize

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// errKustOutsideRepo is returned for any path outside the repository, so a
// hostile kustomization cannot read the rest of the machine.
var errKustOutsideRepo = errors.New("outside the repository: refused")

// errKustNotRegular is returned for reading anything but a regular file or
// directory: a FIFO in a hostile repository would block the read forever.
var errKustNotRegular = errors.New("not a regular file: refused")

// errKustReadOnly is returned for writes: a build never changes the disk.
var errKustReadOnly = errors.New("oomlint never writes while building: refused")

// kBuildMetadata is what krusty needs to keep origins on every object.
var kBuildMetadata = []string{types.OriginAnnotations, types.TransformerAnnotations}

// kFS is the real disk, read-only, confined to the repository, and (with
// meta) with buildMetadata added to the top kustomization as krusty reads it.
// One kFS serves one build.
type kFS struct {
	disk filesys.FileSystem
	repo string // absolute, symlinks resolved
	top  string // the top kustomization file, absolute
	meta bool   // add buildMetadata to the top kustomization

	// virtual is a kustomization that exists only in memory, in a
	// directory that does not exist either; nil when there is none.
	virtual *kfile

	// rewrites are kustomization files read with other text: without
	// the plugin entries the build leaves out (see kSkips).
	rewrites map[string][]byte

	// charts are files in memory beside a kustomization: the output of its
	// helmCharts entries, rendered in process, by path.
	charts map[string]*kChart

	mu   sync.Mutex
	dirs map[string]string // directory → symlinks resolved ("" when it does not resolve)
}

// isVirtual reports whether p is the virtual kustomization (or a file in
// memory beside it) or its directory.
func (f *kFS) isVirtual(p string) (file, dir bool) {
	if f.virtual == nil {
		return false, false
	}
	p = filepath.Clean(p)
	if _, ok := f.virtual.files[filepath.Base(p)]; ok && filepath.Dir(p) == f.virtual.dir {
		return true, false
	}
	return p == f.virtual.file, p == f.virtual.dir
}

// virtualData is the text of a file in memory.
func (f *kFS) virtualData(p string) []byte {
	p = filepath.Clean(p)
	if p == f.virtual.file {
		return f.virtual.data
	}
	return f.virtual.files[filepath.Base(p)]
}

func newKFS(repo, top string) *kFS {
	if r, err := filepath.EvalSymlinks(repo); err == nil {
		repo = r
	}
	return &kFS{disk: filesys.MakeFsOnDisk(), repo: repo, top: filepath.Clean(top), meta: true, dirs: map[string]string{}}
}

// withMeta sets whether the top kustomization gets buildMetadata.
func (f *kFS) withMeta(meta bool) *kFS {
	f.meta = meta
	return f
}

// check refuses p when it, or what its symlinks point to, leaves the repository.
func (f *kFS) check(p string) error {
	abs, err := filepath.Abs(p)
	if err != nil {
		return err
	}
	if !kWithin(f.repo, f.resolve(abs)) {
		return fmt.Errorf("%s: %w", p, errKustOutsideRepo)
	}
	return nil
}

// checkRead is check, and refuses p when it is neither a regular file nor
// a directory. What does not exist is left to the read to report.
func (f *kFS) checkRead(p string) error {
	if err := f.check(p); err != nil {
		return err
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return err
	}
	if st, err := os.Stat(f.resolve(abs)); err == nil && !st.Mode().IsRegular() && !st.IsDir() {
		return fmt.Errorf("%s: %w", p, errKustNotRegular)
	}
	return nil
}

// resolve is filepath.EvalSymlinks(abs), or abs when that fails, with each
// directory resolved once per build: only the last element is lstat'ed.
func (f *kFS) resolve(abs string) string {
	dir, base := filepath.Split(abs)
	if base == "" { // the root
		return abs
	}
	rdir := f.resolveDir(filepath.Clean(dir))
	if rdir == "" {
		return abs // a directory missing: EvalSymlinks fails
	}
	full := filepath.Join(rdir, base)
	st, err := os.Lstat(full)
	switch {
	case err != nil:
		return abs
	case st.Mode()&fs.ModeSymlink != 0:
		r, err := filepath.EvalSymlinks(full)
		if err != nil {
			return abs
		}
		return r
	}
	return full
}

func (f *kFS) resolveDir(dir string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.dirs[dir]
	if !ok {
		r, _ = filepath.EvalSymlinks(dir)
		f.dirs[dir] = r
	}
	return r
}

func (f *kFS) Create(string) (filesys.File, error) { return nil, errKustReadOnly }
func (f *kFS) Mkdir(string) error                  { return errKustReadOnly }
func (f *kFS) MkdirAll(string) error               { return errKustReadOnly }
func (f *kFS) RemoveAll(string) error              { return errKustReadOnly }
func (f *kFS) WriteFile(string, []byte) error      { return errKustReadOnly }

func (f *kFS) Open(p string) (filesys.File, error) {
	if file, dir := f.isVirtual(p); file || dir {
		return nil, fmt.Errorf("%s: %w", p, fs.ErrInvalid)
	}
	if _, ok := f.chartData(p); ok {
		return nil, fmt.Errorf("%s: %w", p, fs.ErrInvalid)
	}
	if err := f.checkRead(p); err != nil {
		return nil, err
	}
	return f.disk.Open(p)
}

// chartData is the text of a chart's output file in memory.
func (f *kFS) chartData(p string) ([]byte, bool) {
	c, ok := f.charts[filepath.Clean(p)]
	if !ok {
		return nil, false
	}
	return c.data, true
}

func (f *kFS) IsDir(p string) bool {
	if _, dir := f.isVirtual(p); dir {
		return true
	}
	return f.check(p) == nil && f.disk.IsDir(p)
}

func (f *kFS) Exists(p string) bool {
	if file, dir := f.isVirtual(p); file || dir {
		return true
	}
	if _, ok := f.chartData(p); ok {
		return true
	}
	return f.check(p) == nil && f.disk.Exists(p)
}

func (f *kFS) ReadDir(p string) ([]string, error) {
	if _, dir := f.isVirtual(p); dir {
		names := []string{filepath.Base(f.virtual.file)}
		for n := range f.virtual.files {
			names = append(names, n)
		}
		slices.Sort(names)
		return names, nil
	}
	if err := f.check(p); err != nil {
		return nil, err
	}
	return f.disk.ReadDir(p)
}

func (f *kFS) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	if file, dir := f.isVirtual(p); dir {
		return filesys.ConfirmedDir(f.virtual.dir), "", nil
	} else if file {
		return filesys.ConfirmedDir(f.virtual.dir), filepath.Base(p), nil
	}
	if _, ok := f.chartData(p); ok {
		return filesys.ConfirmedDir(filepath.Dir(filepath.Clean(p))), filepath.Base(p), nil
	}
	if err := f.check(p); err != nil {
		return "", "", err
	}
	return f.disk.CleanedAbs(p)
}

func (f *kFS) Glob(pattern string) ([]string, error) {
	if err := f.check(filepath.Dir(pattern)); err != nil {
		return nil, err
	}
	matches, err := f.disk.Glob(pattern)
	return slices.DeleteFunc(matches, func(m string) bool { return f.check(m) != nil }), err
}

func (f *kFS) Walk(p string, fn filepath.WalkFunc) error {
	if err := f.check(p); err != nil {
		return err
	}
	return f.disk.Walk(p, fn)
}

func (f *kFS) ReadFile(p string) ([]byte, error) {
	var data []byte
	if c, ok := f.chartData(p); ok {
		return c, nil
	}
	if file, _ := f.isVirtual(p); file {
		data = f.virtualData(p)
	} else {
		if err := f.checkRead(p); err != nil {
			return nil, err
		}
		var err error
		if data, err = f.disk.ReadFile(p); err != nil {
			return nil, err
		}
		// Kustomize expands every alias it reads: refuse alias cycles and bombs first.
		if err := yamlnode.CheckFile(p, data); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	if r, ok := f.rewrites[filepath.Clean(p)]; ok {
		data = r
	}
	if !f.meta || filepath.Clean(p) != f.top {
		return data, nil
	}
	return kWithBuildMetadata(data), nil
}

// kWithBuildMetadata adds originAnnotations and transformerAnnotations to a
// kustomization's buildMetadata. A file that does not parse is returned as
// is, for krusty to report.
func kWithBuildMetadata(data []byte) []byte {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return data
	}
	m := doc.Content[0]
	_, v := yamlnode.Lookup(m, "buildMetadata")
	if v == nil && m.Style&yaml.FlowStyle == 0 && !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		// Appending keeps the user's lines, so krusty's errors still name them.
		out := append(bytes.TrimRight(slices.Clone(data), "\n"), '\n')
		return append(out, "buildMetadata: [originAnnotations, transformerAnnotations]\n"...)
	}
	if v == nil || v.Kind != yaml.SequenceNode {
		if v != nil {
			return data // malformed buildMetadata: krusty reports it
		}
		v = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "buildMetadata"}, v)
	}
	for _, want := range kBuildMetadata {
		if !slices.ContainsFunc(v.Content, func(n *yaml.Node) bool { return n.Value == want }) {
			v.Content = append(v.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: want})
		}
	}
	out, err := yaml.Marshal(m)
	if err != nil {
		return data
	}
	return out
}
