package charts

import (
	"bytes"
	"cmp"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"
)

// Found is a chart reference and where a repository makes it.
type Found struct {
	Ref  Ref
	File string // as walked from Scan's root, with /
	Line int
}

// Scan reads every .yaml/.yml file under root (skipping .git, node_modules,
// vendor and hidden directories) and returns the chart references found,
// sorted by reference, file and line, and de-duplicated. root may also be a
// single file. A document that does not parse, a reference to a source
// that is not under root, and a field with a template ({{) are skipped:
// Scan never fails on a repository's content, only on reading it.
//
// It understands Flux HelmReleases (a chart from a HelmRepository, or a
// chartRef to an OCIRepository), Argo CD Applications and
// ApplicationSets (sources with chart:), kustomizations' helmCharts, and
// the dependencies of Chart.yaml files that name an http(s):// or oci://
// repository.
func Scan(root string) ([]Found, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && skipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := filepath.Ext(path); ext == ".yaml" || ext == ".yml" {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var s scan
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		s.file(filepath.ToSlash(path), filepath.Base(path) == "Chart.yaml", data)
	}
	return s.resolve(), nil
}

func skipDir(name string) bool {
	return name == "node_modules" || name == "vendor" || (strings.HasPrefix(name, ".") && name != "." && name != "..")
}

// scan collects the objects of one Scan: references are resolved against
// the sources once every file is read, since a HelmRepository may live in
// any file.
type scan struct {
	found    []Found
	releases []release
	helmRepo map[string][]helmRepository // by name
	ociRepo  map[string][]ociRepository  // by name
}

// release is a Flux HelmRelease waiting for its source.
type release struct {
	file      string
	line      int
	kind      string // sourceRef or chartRef kind
	name      string
	namespace string // of the source: sourceRef's, else the release's
	chart     string // "" for a chartRef
	version   string
}

type helmRepository struct {
	namespace, url string // url is oci:// for an OCI repository
}

type ociRepository struct {
	namespace, url, version string
}

func (s *scan) file(name string, chartYAML bool, data []byte) {
	for _, d := range splitDocuments(data) {
		var doc yaml.Node
		if err := yaml.Unmarshal(d.text, &doc); err != nil || len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode {
			continue
		}
		if chartYAML {
			s.chartDependencies(name, d.line, root)
			continue
		}
		if base := filepath.Base(name); base == "kustomization.yaml" || base == "kustomization.yml" {
			s.kustomizationCharts(name, d.line, root)
			continue
		}
		s.object(name, d.line, root)
	}
}

// object records what one Kubernetes object contributes. offset is the
// number of lines before its document.
func (s *scan) object(file string, offset int, obj *yaml.Node) {
	apiVersion, kind := scalar(obj, "apiVersion"), scalar(obj, "kind")
	group, _, _ := strings.Cut(apiVersion, "/")
	name, namespace := scalar(obj, "metadata", "name"), scalar(obj, "metadata", "namespace")
	switch {
	case group == "source.toolkit.fluxcd.io" && kind == "HelmRepository":
		u := scalar(obj, "spec", "url")
		if u == "" || name == "" {
			return
		}
		if scalar(obj, "spec", "type") == "oci" && !strings.HasPrefix(u, "oci://") {
			u = "oci://" + u
		}
		s.addHelmRepository(name, helmRepository{namespace: namespace, url: trimURL(u)})
	case group == "source.toolkit.fluxcd.io" && kind == "OCIRepository":
		u := scalar(obj, "spec", "url")
		if u == "" || name == "" {
			return
		}
		// Flux's precedence: digest, then semver, then tag; latest by default.
		version := cmp.Or(scalar(obj, "spec", "ref", "digest"), scalar(obj, "spec", "ref", "semver"),
			scalar(obj, "spec", "ref", "tag"), "latest")
		if s.ociRepo == nil {
			s.ociRepo = map[string][]ociRepository{}
		}
		s.ociRepo[name] = append(s.ociRepo[name], ociRepository{namespace: namespace, url: trimURL(u), version: version})
	case group == "helm.toolkit.fluxcd.io" && kind == "HelmRelease":
		s.helmRelease(file, offset, namespace, obj)
	case group == "argoproj.io" && kind == "Application":
		s.argoSources(file, offset, yamlnode.Get(obj, "spec"))
	case group == "argoproj.io" && kind == "ApplicationSet":
		s.argoSources(file, offset, yamlnode.Get(obj, "spec", "template", "spec"))
	}
}

func (s *scan) addHelmRepository(name string, r helmRepository) {
	if s.helmRepo == nil {
		s.helmRepo = map[string][]helmRepository{}
	}
	s.helmRepo[name] = append(s.helmRepo[name], r)
}

func (s *scan) helmRelease(file string, offset int, namespace string, obj *yaml.Node) {
	if ref := yamlnode.Get(obj, "spec", "chartRef"); ref != nil {
		name := yamlnode.Get(ref, "name")
		if name == nil || scalar(ref, "kind") != "OCIRepository" {
			return // a HelmChart is an object in the cluster
		}
		s.releases = append(s.releases, release{
			file: file, line: offset + name.Line, kind: "OCIRepository", name: name.Value,
			namespace: cmp.Or(scalar(ref, "namespace"), namespace),
		})
		return
	}
	spec := yamlnode.Get(obj, "spec", "chart", "spec")
	chart := yamlnode.Get(spec, "chart")
	if chart == nil || chart.Value == "" {
		return
	}
	s.releases = append(s.releases, release{
		file: file, line: offset + chart.Line, chart: chart.Value,
		kind:      scalar(spec, "sourceRef", "kind"),
		name:      scalar(spec, "sourceRef", "name"),
		namespace: cmp.Or(scalar(spec, "sourceRef", "namespace"), namespace),
		version:   cmp.Or(scalar(spec, "version"), "*"),
	})
}

// argoSources records the chart sources of an Application spec (source
// and sources).
func (s *scan) argoSources(file string, offset int, spec *yaml.Node) {
	sources := []*yaml.Node{yamlnode.Get(spec, "source")}
	if list := yamlnode.Get(spec, "sources"); list != nil && list.Kind == yaml.SequenceNode {
		sources = append(sources, list.Content...)
	}
	for _, src := range sources {
		chart := yamlnode.Get(src, "chart")
		if chart == nil || chart.Value == "" {
			continue
		}
		u := scalar(src, "repoURL")
		if u == "" {
			continue
		}
		if !strings.Contains(u, "://") {
			u = "oci://" + u // Argo CD's Helm OCI sources name the registry without a scheme
		}
		s.add(file, offset+chart.Line, Ref{RepoURL: u, Chart: chart.Value, Version: scalar(src, "targetRevision")})
	}
}

// kustomizationCharts records the helmCharts of a kustomization that come
// from a repository by URL and are not vendored in its chart home.
func (s *scan) kustomizationCharts(file string, offset int, k *yaml.Node) {
	home := cmp.Or(scalar(k, "helmGlobals", "chartHome"), "charts")
	if !filepath.IsAbs(home) {
		home = filepath.Join(filepath.Dir(filepath.FromSlash(file)), home)
	}
	for _, entry := range yamlnode.Seq(k, "helmCharts") {
		name, repo := yamlnode.Get(entry, "name"), scalar(entry, "repo")
		if name == nil || name.Value == "" || !strings.HasPrefix(repo, "https://") && !strings.HasPrefix(repo, "http://") && !strings.HasPrefix(repo, "oci://") {
			continue
		}
		dir := KustomizeChartDir(home, name.Value, repo, scalar(entry, "version"))
		if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err == nil {
			continue // vendored: kustomize and oomlint render it from there
		}
		s.add(file, offset+name.Line, Ref{RepoURL: repo, Chart: name.Value, Version: scalar(entry, "version")})
	}
}

// KustomizeChartDir is where kustomize's HelmChartInflationGenerator reads
// (and pulls) a helmCharts entry's chart: <home>/<name>, or
// <home>/<name>-<version>/<name> when the entry names a repo and a version.
func KustomizeChartDir(home, name, repo, version string) string {
	if version != "" && repo != "" {
		home = filepath.Join(home, name+"-"+version)
	}
	return filepath.Join(home, name)
}

// chartDependencies records the dependencies of a Chart.yaml that come
// from a repository by URL; file:// and @alias ones are not fetched.
func (s *scan) chartDependencies(file string, offset int, chart *yaml.Node) {
	deps := yamlnode.Get(chart, "dependencies")
	if deps == nil || deps.Kind != yaml.SequenceNode {
		return
	}
	for _, dep := range deps.Content {
		name, repository := yamlnode.Get(dep, "name"), scalar(dep, "repository")
		if name == nil || name.Value == "" {
			continue
		}
		if !strings.HasPrefix(repository, "https://") && !strings.HasPrefix(repository, "http://") && !strings.HasPrefix(repository, "oci://") {
			continue
		}
		s.add(file, offset+name.Line, Ref{RepoURL: repository, Chart: name.Value, Version: scalar(dep, "version")})
	}
}

// add records a reference unless a field is a template.
func (s *scan) add(file string, line int, ref Ref) {
	if strings.Contains(ref.RepoURL+ref.Chart+ref.Version, "{{") {
		return
	}
	ref.RepoURL = trimURL(ref.RepoURL)
	s.found = append(s.found, Found{Ref: ref, File: file, Line: line})
}

// resolve turns the HelmReleases into references against the sources
// read, and sorts the lot.
func (s *scan) resolve() []Found {
	for _, r := range s.releases {
		switch r.kind {
		case "HelmRepository":
			repo, ok := pick(s.helmRepo[r.name], r.namespace,
				func(h helmRepository) string { return h.namespace }, func(h helmRepository) string { return h.url })
			if ok {
				s.add(r.file, r.line, Ref{RepoURL: repo.url, Chart: r.chart, Version: r.version})
			}
		case "OCIRepository":
			repo, ok := pick(s.ociRepo[r.name], r.namespace,
				func(o ociRepository) string { return o.namespace }, func(o ociRepository) string { return o.url + " " + o.version })
			if !ok {
				continue
			}
			i := strings.LastIndex(repo.url, "/")
			if i < 0 || !strings.HasPrefix(repo.url, "oci://") || i < len("oci://") {
				continue
			}
			s.add(r.file, r.line, Ref{RepoURL: repo.url[:i], Chart: repo.url[i+1:], Version: repo.version})
		}
		// A GitRepository or Bucket source keeps the chart in a repository
		// that is linted in place.
	}
	slices.SortFunc(s.found, func(a, b Found) int {
		return cmp.Or(compareRefs(a.Ref, b.Ref), strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	return slices.Compact(s.found)
}

func compareRefs(a, b Ref) int {
	return cmp.Or(strings.Compare(a.RepoURL, b.RepoURL), strings.Compare(a.Chart, b.Chart), strings.Compare(a.Version, b.Version))
}

// pick finds the source a reference means: the one in its namespace, else,
// since GitOps repositories often leave namespaces to kustomize, the source
// of that name when all of that name point at the same place.
func pick[T any](candidates []T, namespace string, ns, target func(T) string) (T, bool) {
	var zero T
	for _, c := range candidates {
		if ns(c) == namespace {
			return c, true
		}
	}
	if len(candidates) == 0 {
		return zero, false
	}
	for _, c := range candidates[1:] {
		if target(c) != target(candidates[0]) {
			return zero, false
		}
	}
	return candidates[0], true
}

// document is one YAML document of a file and the number of lines before it.
type document struct {
	text []byte
	line int
}

// splitDocuments cuts a file at its --- lines, so a document that does not
// parse leaves the others readable (a yaml.v3 Decoder stops at the first
// error).
func splitDocuments(data []byte) []document {
	var docs []document
	start, startLine, line := 0, 0, 0
	for i := 0; i <= len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		if end < 0 {
			end = len(data) - i
		}
		text := data[i : i+end]
		if bytes.HasPrefix(text, []byte("---")) && (len(text) == 3 || text[3] == ' ' || text[3] == '\t' || text[3] == '\r') {
			docs = append(docs, document{text: data[start:i], line: startLine})
			// The marker line itself stays out; a document's first line is
			// the one after it.
			start, startLine = i+end+1, line+1
			if start > len(data) {
				start = len(data)
			}
		}
		i += end + 1
		line++
	}
	if start < len(data) {
		docs = append(docs, document{text: data[start:], line: startLine})
	}
	return docs
}

// scalar is the string value at keys, "" when absent or not a scalar.
func scalar(n *yaml.Node, keys ...string) string {
	return strings.TrimSpace(yamlnode.Str(n, keys...))
}

// trimURL is how repository URLs compare: without a trailing /.
func trimURL(u string) string {
	return strings.TrimRight(strings.TrimSpace(u), "/")
}
