package helm

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/Masterminds/semver/v3"
	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/oomlint/oomlint/internal/yamlnode"
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
		ch, err = loader.LoadFile(r.rel.Archive)
		rootSrc = &chartSrc{tgz: r.rel.Archive}
	} else {
		ch, err = loader.LoadDir(r.dir)
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
			m, err := chartutil.LoadChartfile(filepath.Join(p, "Chart.yaml"))
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
		sub, err := loader.LoadDir(dir)
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
	return want == "" || chartutil.IsCompatibleRange(want, version)
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
		cands := []string{s, filepath.Join(s, req.Name)}
		entries, _ := os.ReadDir(s)
		for _, e := range entries {
			if e.IsDir() && e.Name() != req.Name {
				cands = append(cands, filepath.Join(s, e.Name()))
			}
		}
		for _, p := range cands {
			v := chartVersion(p, req.Name)
			if v == nil || !r.inRepo(p) {
				continue
			}
			if fallback == "" {
				fallback = p
			}
			if versionMeets(req.Version, v.Original()) && (bestVersion == nil || v.GreaterThan(bestVersion)) {
				best, bestVersion = p, v
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
	m, err := chartutil.LoadChartfile(filepath.Join(dir, "Chart.yaml"))
	if err != nil || m.Name != name {
		return nil
	}
	v, err := semver.NewVersion(m.Version)
	if err != nil {
		return semver.New(0, 0, 0, "", "")
	}
	return v
}

// inRepo reports whether p, symlinks resolved, is inside the repository.
func (r *chartRender) inRepo(p string) bool {
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		return false
	}
	root, err := filepath.EvalSymlinks(r.opt.RepoRoot)
	if err != nil {
		root = r.opt.RepoRoot
	}
	rel, err := filepath.Rel(root, resolved)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// escapingLink is a symlink under dir that leads outside the repository,
// which helm's loader would follow.
func (r *chartRender) escapingLink(dir string) string {
	var bad string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err // the loader reports what it cannot read
		}
		if d.Type()&fs.ModeSymlink != 0 && !r.inRepo(p) {
			bad = p
			return filepath.SkipAll
		}
		return nil
	})
	return bad
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
		data, err := os.ReadFile(p)
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
var fileIncludeRE = regexp.MustCompile(`Template\.BasePath|(?:include|template)\s+"[^"]*/templates/`)

// includesFile runs fileIncludeRE only on a template holding one of the
// literals a match needs: most hold neither, and the regexp is slow.
func includesFile(data []byte) bool {
	return (bytes.Contains(data, []byte("Template.BasePath")) || bytes.Contains(data, []byte("/templates/"))) && fileIncludeRE.Match(data)
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
