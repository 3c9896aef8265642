// Package render holds what every source renderer shares: the options of a
// render and the origin mechanism that traces a rendered field back to the
// values file, template, base, patch or controller object line that set it.
// The renderers themselves live in one subpackage per source (helm,
// kustomize, flux, argocd); package renderers lists them.
package render

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/oomlint/oomlint/internal/charts"
	"github.com/oomlint/oomlint/lint"
)

// DefaultKubeVersion is the Kubernetes version charts see in
// .Capabilities.KubeVersion when none is given: a current release, not the
// helm library's old built-in default, so charts with kubeVersion: >=1.23 render.
const DefaultKubeVersion = "v1.34.0"

// DefaultReleaseName is the release name charts see, as `helm template` uses.
const DefaultReleaseName = "release-name"

// FluxKustomizationKind is the unit kind of a Flux Kustomization, for the
// kustomize renderer to build what kustomize-controller builds: no
// helmCharts, which that controller never inflates.
const FluxKustomizationKind = "flux-kustomization"

// Bounds of one unit's render: charts come from untrusted pull requests,
// and a template can loop or grow without end.
const (
	DefaultRenderTimeout = 10 * time.Second // renderTimeout
	DefaultRenderBudget  = 64 << 20         // bytes of text one render of a unit may write
)

// Options configure both renderers.
type Options struct {
	WorkDir     string              // findings' paths are relative to it
	RepoRoot    string              // nothing is read outside it: the git work tree, else WorkDir
	Namespace   string              // the release namespace (--namespace); default "default"
	KubeVersion string              // .Capabilities.KubeVersion; default DefaultKubeVersion
	ReleaseName string              // .Release.Name; default DefaultReleaseName
	Values      []string            // --values files (absolute), applied to every chart after its values.yaml
	ChartValues map[string][]string // chart root (absolute) → its values files (absolute), from .oomlint.yaml
	ChartSearch []string            // directories (absolute) whose charts satisfy dependencies by name
	ChartCache  string              // the chart cache `oomlint charts pull` fills; "" for none
	// IncludeTests renders helm test hooks (helm.sh/hook: test) too; by
	// default they are left out, as helm template --skip-tests does, since
	// installing a release does not create them.
	IncludeTests bool
	// MissingChart, when set, hears of every chart a controller object
	// names that is neither searched nor cached (`charts pull` renders the
	// repository to find the versions overlays and substitutions choose).
	MissingChart func(charts.Ref)
	RepoURLs     []string // git URLs that name this repository (Argo CD repoURL), from .oomlint.yaml
	GitRemotes   []string // the checkout's git remote URLs; Normalize reads them when nil
	// RenderTimeout bounds the time one unit takes to render (renderTimeout);
	// 0 means DefaultRenderTimeout. A unit over it is one OOM900 finding.
	RenderTimeout time.Duration
	// RenderBudget bounds the bytes of text one render of a unit writes;
	// 0 means DefaultRenderBudget.
	RenderBudget int64
}

// ApplyConfig takes the chart settings of .oomlint.yaml (nil: none), with
// paths resolved against the file's directory.
func (opt *Options) ApplyConfig(fc *lint.FileConfig) {
	if fc == nil {
		return
	}
	if fc.KubeVersion != "" {
		opt.KubeVersion = fc.KubeVersion
	}
	if fc.IncludeTests {
		opt.IncludeTests = true
	}
	if fc.RenderTimeout != "" && opt.RenderTimeout == 0 {
		opt.RenderTimeout, _ = time.ParseDuration(fc.RenderTimeout) // checked when the file was read
	}
	if fc.Charts.ReleaseName != "" {
		opt.ReleaseName = fc.Charts.ReleaseName
	}
	for _, d := range fc.Charts.Search {
		opt.ChartSearch = append(opt.ChartSearch, fc.Abs(d))
	}
	if fc.Charts.Cache != "" && opt.ChartCache == "" {
		opt.ChartCache = fc.Abs(fc.Charts.Cache)
	}
	opt.RepoURLs = append(opt.RepoURLs, fc.RepoURLs...)
	for chart, files := range fc.Charts.Values {
		if opt.ChartValues == nil {
			opt.ChartValues = map[string][]string{}
		}
		for _, f := range files {
			opt.ChartValues[fc.Abs(chart)] = append(opt.ChartValues[fc.Abs(chart)], fc.Abs(f))
		}
	}
}

// Normalize fills the defaults of unset options.
func (opt *Options) Normalize() {
	if opt.Namespace == "" {
		opt.Namespace = lint.DefaultNamespace
	}
	if opt.KubeVersion == "" {
		opt.KubeVersion = DefaultKubeVersion
	}
	if opt.ReleaseName == "" {
		opt.ReleaseName = DefaultReleaseName
	}
	if opt.RenderTimeout <= 0 {
		opt.RenderTimeout = DefaultRenderTimeout
	}
	if opt.RenderBudget <= 0 {
		opt.RenderBudget = DefaultRenderBudget
	}
	if opt.RepoRoot == "" {
		opt.RepoRoot = opt.WorkDir
	}
	if abs, err := filepath.Abs(opt.RepoRoot); err == nil {
		opt.RepoRoot = abs
	}
	if opt.GitRemotes == nil {
		opt.GitRemotes = GitRemotes(opt.RepoRoot)
	}
}

// GitRemotes reads the remote URLs of the git work tree at root from its
// .git/config ([remote "…"] url = …); none when root has no .git directory.
func GitRemotes(root string) []string {
	data, err := os.ReadFile(filepath.Join(root, ".git", "config"))
	if err != nil {
		return []string{}
	}
	out := []string{}
	inRemote := false
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			inRemote = strings.HasPrefix(line, "[remote ")
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && inRemote && strings.TrimSpace(k) == "url" {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}

// RepoRoot is the enclosing git work tree of dir (a .git directory or, in
// worktrees and submodules, a .git file), else dir itself.
func RepoRoot(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return abs
		}
	}
}
