package helm

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/Masterminds/semver/v3"
	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/ignore"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/oomlint/oomlint/internal/helmutil"
	"github.com/oomlint/oomlint/internal/lazyre"

	"github.com/oomlint/oomlint/internal/yamlnode"
	"github.com/oomlint/oomlint/render"
)

// chartSrc is where one chart of the tree lives on disk.
type chartSrc struct {
	dir    string    // chart directory, "" inside a .tgz
	tgz    string    // the archive holding it, "" for a directory
	parent *chartSrc // nil for the chart being linted
	name   string    // the chart's name in the parent's Chart.yaml (before aliasing)
}

// values is the chart's own values.yaml on disk, "" when there is none or it is archived.
func (s *chartSrc) values() string {
	if s.dir == "" {
		return ""
	}
	p := filepath.Join(s.dir, "values.yaml")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// chartFile is the file that lists the chart's dependencies and metadata.
func (s *chartSrc) chartFile() string {
	if s.dir == "" {
		return s.tgz
	}
	return filepath.Join(s.dir, "Chart.yaml")
}

// tree is a loaded chart with its on-disk sources and scanned templates.
type tree struct {
	root             *chart.Chart
	srcs             map[*chart.Chart]*chartSrc
	tmpls            map[*chart.File]*tmplFile
	ordered          []*tmplFile
	basePathIncludes bool // a template includes another template file by name
}

// loadTree loads the chart at dir with helm's loader, finds where each
// subchart lives, and (when mark is set) swaps in marked templates.
func (r *chartRender) loadTree(mark bool) (*tree, error) {
	var ch *chart.Chart
	var err error
	rootSrc := &chartSrc{dir: r.dir}
	if r.dir == "" {
		if err := regularFile(r.rel.Archive); err != nil {
			return nil, err
		}
		ch, err = loader.LoadFile(r.rel.Archive)
		rootSrc = &chartSrc{tgz: r.rel.Archive}
	} else {
		ch, err = r.loadChartDir(r.dir)
	}
	if err != nil {
		return nil, err
	}
	t := &tree{root: ch, srcs: map[*chart.Chart]*chartSrc{}, tmpls: map[*chart.File]*tmplFile{}}
	t.srcs[ch] = rootSrc
	r.addLocalDeps(t, ch, rootSrc)
	t.locate(ch, rootSrc)
	t.scan(mark, r.scans)
	return t, nil
}

// locate matches the subcharts helm loaded from charts/ to their directories
// or archives, recursively.
func (t *tree) locate(c *chart.Chart, src *chartSrc) {
	for _, dep := range c.Dependencies() {
		if _, ok := t.srcs[dep]; ok {
			continue // added from file:// or a search directory
		}
		sub := &chartSrc{parent: src, name: dep.Name()}
		if src.dir == "" {
			sub.tgz = src.tgz // inside an archive, all of it is the archive
		} else {
			sub.dir, sub.tgz = findSubchart(src.dir, dep.Metadata)
		}
		t.srcs[dep] = sub
		t.locate(dep, sub)
	}
}

// findSubchart finds the directory or archive under dir/charts holding the
// chart named by md.
func findSubchart(dir string, md *chart.Metadata) (subdir, tgz string) {
	charts := filepath.Join(dir, "charts")
	entries, _ := os.ReadDir(charts)
	var anyTgz, anyDir string
	for _, e := range entries {
		p := filepath.Join(charts, e.Name())
		switch {
		case e.IsDir():
			m, err := loadChartfile(filepath.Join(p, "Chart.yaml"))
			if err == nil && m.Name == md.Name && m.Version == md.Version {
				return p, ""
			}
			if err == nil && m.Name == md.Name {
				anyDir = p
			}
		case e.Name() == md.Name+"-"+md.Version+".tgz":
			return "", p
		case strings.HasPrefix(e.Name(), md.Name+"-") && strings.HasSuffix(e.Name(), ".tgz"):
			anyTgz = p
		}
	}
	switch {
	case anyDir != "":
		return anyDir, ""
	case anyTgz == "":
		anyTgz = filepath.Join(dir, "Chart.yaml") // not found: findings go to the parent
	}
	return "", anyTgz
}

// scan reads every template of the tree and, when mark is set, replaces
// its data with the marked copy (in memory; the files do not change).
func (t *tree) scan(mark bool, cache *scanCache) {
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		src := t.srcs[c]
		for _, f := range c.Templates {
			var tf *tmplFile
			if c == t.root || cache == nil {
				tf = scanTemplate(len(t.ordered), f.Name, string(f.Data))
				tf.includesFile = includesFile(f.Data)
			} else {
				tf = cache.scan(len(t.ordered), f.Name, f.Data)
			}
			tf.src = src
			if src.dir != "" {
				tf.disk = filepath.Join(src.dir, filepath.FromSlash(f.Name))
			}
			if tf.includesFile {
				t.basePathIncludes = true
			}
			t.tmpls[f] = tf
			t.ordered = append(t.ordered, tf)
			if mark {
				f.Data = []byte(tf.markedSource())
			}
		}
		for _, d := range c.Dependencies() {
			walk(d)
		}
	}
	walk(t.root)
}

// addLocalDeps loads dependencies missing from charts/ that the repository
// has: file:// repositories, and charts of the configured search directories.
func (r *chartRender) addLocalDeps(t *tree, c *chart.Chart, src *chartSrc) {
	if src.dir == "" || c.Metadata == nil {
		return
	}
	for _, req := range c.Metadata.Dependencies {
		if req == nil || hasCompatible(c, req) {
			continue // vendored in charts/, or added for another alias
		}
		dir := r.localDep(src.dir, req)
		if dir == "" {
			continue
		}
		sub, err := r.loadChartDir(dir)
		if err != nil {
			continue // reported as missing
		}
		c.AddDependency(sub)
		ssrc := &chartSrc{dir: dir, parent: src, name: req.Name}
		t.srcs[sub] = ssrc
		r.addLocalDeps(t, sub, ssrc)
	}
}

func hasDependency(c *chart.Chart, name string) bool {
	return slices.ContainsFunc(c.Dependencies(), func(d *chart.Chart) bool { return d.Name() == name })
}

// hasCompatible reports whether c already holds a chart that satisfies req
// as helm matches them: by chart name (not alias) and version range.
func hasCompatible(c *chart.Chart, req *chart.Dependency) bool {
	return slices.ContainsFunc(c.Dependencies(), func(d *chart.Chart) bool {
		return d.Name() == req.Name && versionMeets(req.Version, d.Metadata.Version)
	})
}

// versionMeets reports whether a chart version satisfies a dependency's
// version range; no range is any version.
func versionMeets(want, version string) bool {
	return want == "" || helmutil.IsCompatibleRange(want, version)
}

// localDep is the directory satisfying req inside the repository: its
// file:// path, else the chart named req.Name (an alias renames it only
// once loaded, as in helm) in a search directory, the highest version that
// meets req.Version first. A search directory is a folder of charts; one
// that is itself a chart is searched too (the config reports it, OOM903).
func (r *chartRender) localDep(chartDir string, req *chart.Dependency) string {
	if p, ok := strings.CutPrefix(req.Repository, "file://"); ok {
		if !filepath.IsAbs(p) {
			p = filepath.Join(chartDir, p)
		}
		if r.inRepo(p) && chartVersion(p, req.Name) != nil {
			return filepath.Clean(p)
		}
		return ""
	}
	var best, fallback string
	var bestVersion *semver.Version
	for _, s := range r.opt.ChartSearch {
		// In helm's order of candidates: the folder itself, the folder
		// named as the dependency, then the others.
		charts := r.search.charts(s, r.roots())
		for _, pass := range []func(searchChart) bool{
			func(c searchChart) bool { return c.path == s },
			func(c searchChart) bool { return c.path == filepath.Join(s, req.Name) },
			func(c searchChart) bool { return c.path != s && c.path != filepath.Join(s, req.Name) },
		} {
			for _, c := range charts {
				if c.name != req.Name || !pass(c) {
					continue
				}
				if fallback == "" {
					fallback = c.path
				}
				if versionMeets(req.Version, c.version.Original()) && (bestVersion == nil || c.version.GreaterThan(bestVersion)) {
					best, bestVersion = c.path, c.version
				}
			}
		}
	}
	if best != "" {
		return best
	}
	return fallback // helm reports the version mismatch as a missing chart
}

// chartVersion is the version of the chart named name at dir; nil when dir
// holds no such chart. A version that is not semver reads as 0.0.0.
func chartVersion(dir, name string) *semver.Version {
	m, err := loadChartfile(filepath.Join(dir, "Chart.yaml"))
	if err != nil || m.Name != name {
		return nil
	}
	v, err := semver.NewVersion(m.Version)
	if err != nil {
		return semver.New(0, 0, 0, "", "")
	}
	return v
}

// A chart comes from an untrusted repository: the loader reads nothing
// outside roots, follows no symlink out of them (helm's loader follows
// every one, and logs where it leads), and reads only regular files (a
// FIFO would block the read forever).

// inRepo reports whether p, symlinks resolved, is inside the repository
// (or another root charts may be read from).
func (r *chartRender) inRepo(p string) bool {
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		return false
	}
	return inRoots(r.roots(), resolved)
}

// roots are the directories charts may be read from, symlinks resolved:
// the repository; a chart's own repository when the user named a chart
// outside it on the command line; and the charts.search directories,
// which a repository's config may only set inside the repository (the
// user's own config may set them anywhere). The chart cache holds
// archives, which are read whole and never follow links.
func (r *chartRender) roots() []string {
	r.rootsOnce.Do(func() { r.rootDirs = r.findRoots() })
	return r.rootDirs
}

func (r *chartRender) findRoots() []string {
	repo := r.opt.RepoRoot
	if repo == "" {
		repo = r.opt.WorkDir
	}
	out := []string{realDir(repo)}
	if r.dir != "" && !render.Within(repo, r.dir) {
		out = append(out, realDir(render.RepoRoot(r.dir)))
	}
	for _, s := range r.opt.ChartSearch {
		out = append(out, realDir(s))
	}
	return out
}

func realDir(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

func inRoots(roots []string, p string) bool {
	return slices.ContainsFunc(roots, func(root string) bool { return render.Within(root, p) })
}

// escapingLink is a symlink under dir that leads outside the repository,
// which helm's loader would follow; through symlinked directories inside
// it too (templates/sub -> ../../shared holding a link out).
func (r *chartRender) escapingLink(dir string) string {
	var esc *escapeError
	if err := chartWalk(dir, r.roots(), func(string, string, fs.FileInfo) error { return nil }); errors.As(err, &esc) {
		return esc.path
	}
	return ""
}

// escapeError is a path whose symlinks lead outside the roots.
type escapeError struct{ path string }

func (e *escapeError) Error() string {
	return e.path + ": symlink resolves outside the repository root; not read"
}

// chartWalk visits every file and directory below top as helm's loader
// does, in lexical order and following symlinks, each entry named through
// the link: p on disk, rel in the chart (with /). A link that resolves
// outside roots is an *escapeError, never read; a directory that holds
// itself through a link is an error rather than an endless walk. fn may
// return filepath.SkipDir for a directory.
func chartWalk(top string, roots []string, fn func(p, rel string, fi fs.FileInfo) error) error {
	top, err := filepath.Abs(top)
	if err != nil {
		return err
	}
	resolved, err := filepath.EvalSymlinks(top)
	if err != nil {
		return err
	}
	if !inRoots(roots, resolved) {
		return &escapeError{top}
	}
	w := &chartWalker{roots: roots, fn: fn}
	return w.walk(top, "", resolved, []string{resolved})
}

// chartWalker is one chartWalk.
type chartWalker struct {
	roots []string
	fn    func(p, rel string, fi fs.FileInfo) error
	seen  int // entries so far: links to one directory from several places multiply them
}

// walk visits the entries of dir (rel in the chart, target on disk with
// symlinks resolved); stack holds the directories above it, resolved.
func (w *chartWalker) walk(dir, rel, target string, stack []string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if w.seen += len(entries); w.seen > maxChartEntries {
		return fmt.Errorf("cannot load %s: more than %d files and directories, links followed", path.Join(rel, "."), maxChartEntries)
	}
	for _, e := range entries {
		p, n := filepath.Join(dir, e.Name()), path.Join(rel, e.Name())
		fi, at, err := w.stat(p, n, filepath.Join(target, e.Name()))
		if err != nil {
			return err
		}
		err = w.fn(p, n, fi)
		switch {
		case errors.Is(err, filepath.SkipDir) && fi.IsDir():
			continue
		case err != nil:
			return err
		case !fi.IsDir():
			continue
		case slices.Contains(stack, at):
			return fmt.Errorf("cannot load %s: a symlink loop leads back to a directory above it", n)
		}
		if err := w.walk(p, n, at, append(stack, at)); err != nil {
			return err
		}
	}
	return nil
}

// stat is what p (n in the chart, at on disk) is, through a symlink: a
// link must resolve inside the roots.
func (w *chartWalker) stat(p, n, at string) (fs.FileInfo, string, error) {
	fi, err := os.Lstat(p)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return fi, at, err
	}
	if at, err = filepath.EvalSymlinks(p); err != nil {
		return nil, "", fmt.Errorf("cannot load %s: %w", n, unwrapPath(err))
	}
	if !inRoots(w.roots, at) {
		return nil, "", &escapeError{p}
	}
	fi, err = os.Stat(at)
	return fi, at, err
}

// maxChartEntries bounds a chart's walk: real charts hold hundreds.
const maxChartEntries = 100_000

func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// loadChartDir loads the chart at dir as helm's loader.LoadDir does
// (.helmignore, the same size limits), from chartWalk's confined walk.
func (r *chartRender) loadChartDir(dir string) (*chart.Chart, error) {
	top, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	roots := r.roots()
	rules := ignore.Empty()
	if data, err := readRegular(filepath.Join(top, ignore.HelmIgnore)); err == nil {
		if rules, err = ignore.Parse(bytes.NewReader(data)); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cannot load %s: %w", ignore.HelmIgnore, err)
	}
	rules.AddDefaults()
	var files []*loader.BufferedFile
	var total int64
	err = chartWalk(top, roots, func(p, rel string, fi fs.FileInfo) error {
		if rules.Ignore(rel, fi) {
			if fi.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if fi.IsDir() {
			return nil
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("cannot load %s: %s", rel, notRegular(fi.Mode()))
		}
		if fi.Size() > loader.MaxDecompressedFileSize {
			return fmt.Errorf("cannot load %s: larger than the maximum file size %d", rel, loader.MaxDecompressedFileSize)
		}
		if total += fi.Size(); total > loader.MaxDecompressedChartSize {
			return fmt.Errorf("cannot load %s: the chart is larger than the maximum size %d", rel, loader.MaxDecompressedChartSize)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("cannot load %s: %w", rel, unwrapPath(err))
		}
		files = append(files, &loader.BufferedFile{Name: rel, Data: bytes.TrimPrefix(data, utf8BOM)})
		return nil
	})
	if esc, ok := errors.AsType[*escapeError](err); ok {
		rel, rerr := filepath.Rel(top, esc.path)
		if rerr != nil || !filepath.IsLocal(rel) {
			rel = filepath.Base(esc.path)
		}
		return nil, fmt.Errorf("cannot load %s: symlink resolves outside the repository root; not read", filepath.ToSlash(rel))
	}
	if err != nil {
		return nil, err
	}
	return loader.LoadFiles(files)
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// notRegular says what a file that is not regular is, and that it is not read.
func notRegular(m fs.FileMode) string {
	kind := "a special file"
	switch {
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		kind = "a device"
	}
	return kind + ", not a regular file; not read (oomlint reads only regular files)"
}

// valuesReadable refuses a values file of the repository (by its path as
// written) that resolves outside the roots or is not a regular file; one
// outside the repository was given on the command line, the user's own.
func (r *chartRender) valuesReadable(p string) error {
	repo := r.opt.RepoRoot
	if repo == "" {
		repo = r.opt.WorkDir
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return err
	}
	if !render.Within(repo, abs) {
		return nil
	}
	if resolved, err := filepath.EvalSymlinks(abs); err == nil && !inRoots(r.roots(), resolved) {
		return fmt.Errorf("%s: symlink resolves outside the repository root; not read", p)
	}
	return regularFile(p)
}

// regularFile refuses p when it exists and is not a regular file.
func regularFile(p string) error {
	st, err := os.Stat(p)
	if err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("%s: %s", p, notRegular(st.Mode()))
	}
	return nil
}

// readRegular reads p when it is a regular file of at most helm's file
// size limit.
func readRegular(p string) ([]byte, error) {
	st, err := os.Stat(p)
	switch {
	case err != nil:
		return nil, err
	case !st.Mode().IsRegular():
		return nil, errors.New(notRegular(st.Mode()))
	case st.Size() > loader.MaxDecompressedFileSize:
		return nil, fmt.Errorf("larger than the maximum file size %d", loader.MaxDecompressedFileSize)
	}
	return os.ReadFile(p)
}

// loadChartfile is helmutil.LoadChartfile, reading only a regular file.
func loadChartfile(p string) (*chart.Metadata, error) {
	data, err := readRegular(p)
	if err != nil {
		return nil, err
	}
	m := new(chart.Metadata)
	if err := sigsyaml.Unmarshal(data, m); err != nil {
		return nil, err
	}
	return m, nil
}

// missingDep is an enabled dependency that is not vendored.
type missingDep struct {
	src *chartSrc
	dep *chart.Dependency
}

// missingDeps lists the enabled dependencies with no chart, after helm
// dropped the disabled ones (ProcessDependencies).
func (t *tree) missingDeps() []missingDep {
	var out []missingDep
	var walk func(c *chart.Chart, src *chartSrc)
	walk = func(c *chart.Chart, src *chartSrc) {
		for _, req := range c.Metadata.Dependencies {
			if req != nil && req.Enabled && !hasDependency(c, req.Name) {
				out = append(out, missingDep{src, req})
			}
		}
		for _, d := range c.Dependencies() {
			s := t.srcOf(d)
			if s == nil {
				s = src
			}
			walk(d, s)
		}
	}
	walk(t.root, t.srcs[t.root])
	return out
}

// srcOf finds the source of a processed chart: helm copies aliased charts,
// and the copies share the original's templates.
func (t *tree) srcOf(c *chart.Chart) *chartSrc {
	if s, ok := t.srcs[c]; ok {
		return s
	}
	for orig, s := range t.srcs {
		if sameBacking(c.Templates, orig.Templates) || sameBacking(c.Raw, orig.Raw) || sameBacking(c.Files, orig.Files) {
			return s
		}
	}
	return nil
}

func sameBacking(a, b []*chart.File) bool { return len(a) > 0 && len(b) > 0 && &a[0] == &b[0] }

// templateRef is a template as helm names it after processing, with the
// values prefix of the chart it belongs to.
type templateRef struct {
	file   *tmplFile
	prefix []string // keys of the parent values holding this chart's values
	chain  []*chartSrc
}

// byFullName maps helm's template names (chart/charts/sub/templates/x.yaml)
// to the scanned templates, for the processed chart.
func (t *tree) byFullName() map[string]*templateRef {
	out := map[string]*templateRef{}
	var walk func(c *chart.Chart, prefix []string, chain []*chartSrc)
	walk = func(c *chart.Chart, prefix []string, chain []*chartSrc) {
		full := c.ChartFullPath()
		for _, f := range c.Templates {
			if tf := t.tmpls[f]; tf != nil {
				out[path.Join(full, f.Name)] = &templateRef{file: tf, prefix: prefix, chain: chain}
			}
		}
		for _, d := range c.Dependencies() {
			s := t.srcOf(d)
			if s == nil {
				s = &chartSrc{tgz: chain[len(chain)-1].chartFile()}
			}
			walk(d, concat(prefix, []string{d.Name()}), append(slices.Clone(chain), s))
		}
	}
	walk(t.root, nil, []*chartSrc{t.srcs[t.root]})
	return out
}

// dependencyLine is the line of the dependency named name (or aliased so)
// in the chart's Chart.yaml, else requirements.yaml, else 1.
func dependencyLine(dir, name string) (file string, line int) {
	for _, f := range []string{"Chart.yaml", "requirements.yaml"} {
		p := filepath.Join(dir, f)
		data, err := readRegular(p)
		if err != nil {
			continue
		}
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
			continue
		}
		_, deps := yamlnode.Lookup(doc.Content[0], "dependencies")
		if deps == nil || deps.Kind != yaml.SequenceNode {
			continue
		}
		for _, item := range deps.Content {
			for _, k := range []string{"alias", "name"} {
				if kn, v := yamlnode.Lookup(item, k); kn != nil && v.Value == name {
					nk, _ := yamlnode.Lookup(item, "name")
					return p, nk.Line
				}
			}
		}
		return p, deps.Line
	}
	return filepath.Join(dir, "Chart.yaml"), 1
}

func depDescription(d *chart.Dependency) string {
	s := d.Name
	if d.Version != "" {
		s += " " + d.Version
	}
	if d.Repository != "" {
		s += fmt.Sprintf(" from %s", d.Repository)
	}
	return s
}

// fileIncludeRE finds a template that includes a template file's output by
// its name, as checksum annotations do.
var fileIncludeRE = lazyre.New(`Template\.BasePath|(?:include|template)\s+"[^"]*/templates/`)

// includesFile runs fileIncludeRE only on a template holding one of the
// literals a match needs: most hold neither, and the regexp is slow.
func includesFile(data []byte) bool {
	return (bytes.Contains(data, []byte("Template.BasePath")) || bytes.Contains(data, []byte("/templates/"))) && fileIncludeRE().Match(data)
}

// scanCache keeps the scans of dependency templates for a run: a library
// chart that every chart of a collection depends on is scanned once, not
// once per chart and pass. A scan depends only on the template's name and
// text; each use gets a copy with its own id and place.
type scanCache struct {
	mu    sync.Mutex
	scans map[string]*tmplFile
}

func (c *scanCache) scan(id int, name string, data []byte) *tmplFile {
	key := name + "\x00" + string(data)
	c.mu.Lock()
	s, ok := c.scans[key]
	c.mu.Unlock()
	if !ok {
		s = scanTemplate(0, name, string(data))
		s.includesFile = includesFile(data)
		c.mu.Lock()
		if c.scans == nil {
			c.scans = map[string]*tmplFile{}
		}
		c.scans[key] = s
		c.mu.Unlock()
	}
	tf := *s
	tf.id = id
	return &tf
}
