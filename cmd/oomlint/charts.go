package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/oomlint/oomlint/internal/charts"
	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/renderers"
)

// chartCacheFlag is --chart-cache, shared by charts pull, charts list and
// (wired elsewhere) lint.
func chartCacheFlag() cli.Flag {
	return &cli.StringFlag{Name: "chart-cache", Usage: "chart cache `DIR`", DefaultText: "the user cache directory/oomlint/charts"}
}

// chartsCommand is `oomlint charts pull [PATH...]` and `oomlint charts list`.
func chartsCommand(stdout, stderr io.Writer) *cli.Command {
	cmd := &cli.Command{
		Name: "charts", Usage: "fill and list the cache of charts that come from chart repositories and OCI registries (lint never fetches)",
		Subcommands: []*cli.Command{
			{
				Name: "pull", ArgsUsage: "[PATH...]",
				Usage: "find the remote charts the manifests under PATH deploy (Flux HelmRelease, Argo CD Application, Chart.yaml dependencies) and download them into the chart cache",
				Flags: []cli.Flag{
					chartCacheFlag(),
					&cli.StringFlag{Name: "repository-config", Usage: "helm repositories.yaml `FILE` with chart repository credentials", DefaultText: "helm's"},
					&cli.StringFlag{Name: "registry-config", Usage: "helm registry config.json `FILE` with OCI registry credentials", DefaultText: "helm's, then Docker's"},
					&cli.BoolFlag{Name: "plain-http", Usage: "talk to OCI registries over http"},
				},
				Action: func(c *cli.Context) error { return chartsPull(c, stdout, stderr) },
			},
			{
				Name: "refs", ArgsUsage: "[PATH...]",
				Usage:  "print the remote charts the manifests under PATH name, one per line (repository, chart, version): what pull fetches, and a cache key for CI",
				Action: func(c *cli.Context) error { return chartsRefs(c, stdout) },
			},
			{
				Name: "list", Usage: "list the charts in the cache: chart, version, repository, digest",
				Flags: []cli.Flag{chartCacheFlag()},
				Action: func(c *cli.Context) error {
					if c.NArg() > 0 {
						return fmt.Errorf("charts list takes no arguments, got %q", c.Args().First())
					}
					return chartsList(c, stdout)
				},
			},
		},
	}
	for _, sub := range cmd.Subcommands {
		sub.OnUsageError = onUsageError
		sub.HideHelpCommand = true
	}
	return cmd
}

func chartCache(c *cli.Context) (charts.Cache, error) {
	dir := c.String("chart-cache")
	if dir == "" {
		// charts.cache in .oomlint.yaml, as lint reads it.
		if wd, err := os.Getwd(); err == nil {
			if fc, err := loadConfig("", wd, c.Args().Slice()); err == nil && fc != nil && fc.Charts.Cache != "" {
				dir = fc.Abs(fc.Charts.Cache)
			}
		}
	}
	if dir == "" {
		var err error
		if dir, err = charts.DefaultDir(); err != nil {
			return charts.Cache{}, fmt.Errorf("chart cache: %w (set --chart-cache)", err)
		}
	}
	return charts.Cache{Dir: dir}, nil
}

// chartsPull pulls every chart the paths reference, one line each on
// stdout; a chart that fails is a line on stderr at each reference to it,
// and exit 2.
func chartsPull(c *cli.Context, stdout, stderr io.Writer) error {
	cache, err := chartCache(c)
	if err != nil {
		return err
	}
	opt := charts.PullOptions{
		RepositoryConfig: c.String("repository-config"), RegistryConfig: c.String("registry-config"),
		PlainHTTP: c.Bool("plain-http"), Out: stdout,
	}
	for _, flag := range []string{"repository-config", "registry-config"} {
		if file := c.String(flag); file != "" {
			if _, err := os.Stat(file); err != nil {
				return fmt.Errorf("--%s: %w", flag, err)
			}
		}
	}
	paths, groups, err := scanPaths(c)
	if err != nil {
		return fmt.Errorf("charts pull: %w", err)
	}
	p := &puller{c: c, cache: cache, opt: opt, tried: map[charts.Ref]bool{}}
	for _, g := range groups {
		if err := p.pull(g[0].Ref, func(err error) {
			for _, f := range g {
				fmt.Fprintf(stderr, "%s:%d: %v\n", f.File, f.Line, err)
			}
		}); err != nil {
			return err
		}
	}
	// What the files name is not all: an overlay may patch a HelmRelease's
	// chart version, a substitution may choose it. Render the repository
	// as lint does, offline, and pull what the rendered objects still miss.
	for round := 0; round < 2 && p.failed == 0; round++ {
		missing, err := renderedMisses(c, cache, paths)
		if err != nil {
			return fmt.Errorf("charts pull: %w", err)
		}
		missing = slices.DeleteFunc(missing, func(r charts.Ref) bool { return p.tried[normalRef(r)] })
		if len(missing) == 0 {
			break
		}
		for _, ref := range missing {
			if err := p.pull(ref, func(err error) {
				fmt.Fprintf(stderr, "%s (named by a rendered object): %v\n", ref, err)
			}); err != nil {
				return err
			}
		}
	}
	switch {
	case p.failed > 0:
		return fmt.Errorf("charts pull: %d of %d charts could not be pulled", p.failed, len(p.tried))
	case len(p.tried) == 0:
		_, err := fmt.Fprintf(stdout, "no chart from a chart repository or OCI registry is referenced under %s\n", strings.Join(paths, ", "))
		return err
	}
	return nil
}

// puller pulls charts into the cache and counts what failed.
type puller struct {
	c      *cli.Context
	cache  charts.Cache
	opt    charts.PullOptions
	tried  map[charts.Ref]bool
	failed int
}

// pull fetches ref unless it was tried; a failure is reported by report.
// The error is only for a cancelled run.
func (p *puller) pull(ref charts.Ref, report func(error)) error {
	p.tried[normalRef(ref)] = true
	if _, err := p.cache.Pull(p.c.Context, ref, p.opt); err != nil {
		if p.c.Err() != nil {
			return p.c.Err()
		}
		p.failed++
		report(err)
	}
	return nil
}

// renderedMisses renders the paths as lint does, offline, with the cache,
// and returns the charts the rendered objects name that the cache lacks.
func renderedMisses(c *cli.Context, cache charts.Cache, paths []string) ([]charts.Ref, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	seen := map[charts.Ref]bool{}
	var missing []charts.Ref
	root := runRoot(wd, paths)
	ropt := render.Options{WorkDir: wd, RepoRoot: root, ChartCache: cache.Dir,
		MissingChart: func(ref charts.Ref) {
			mu.Lock()
			defer mu.Unlock()
			if !seen[ref] && ref.RepoURL != "" {
				seen[ref] = true
				missing = append(missing, ref)
			}
		}}
	cfg := lint.Config{Paths: paths, WorkDir: wd, Root: root}
	fc, err := loadConfig("", wd, paths)
	if err != nil {
		return nil, err
	}
	if fc != nil {
		fc.Apply(&cfg)
		ropt.ApplyConfig(fc)
	}
	cfg.Renderers = renderers.All(ropt)
	if _, _, err := lint.Objects(c.Context, cfg); err != nil {
		return nil, err
	}
	slices.SortFunc(missing, compareRef)
	return missing, nil
}

// normalRef is a reference as two objects naming the same chart write it.
func normalRef(r charts.Ref) charts.Ref {
	r.RepoURL = strings.TrimSuffix(strings.TrimSpace(r.RepoURL), "/")
	return r
}

func compareRef(a, b charts.Ref) int {
	return cmp.Or(strings.Compare(a.RepoURL, b.RepoURL), strings.Compare(a.Chart, b.Chart), strings.Compare(a.Version, b.Version))
}

// chartsRefs prints every chart reference under the paths, once each.
func chartsRefs(c *cli.Context, stdout io.Writer) error {
	_, groups, err := scanPaths(c)
	if err != nil {
		return fmt.Errorf("charts refs: %w", err)
	}
	for _, g := range groups {
		r := g[0].Ref
		if _, err := fmt.Fprintf(stdout, "%s %s %s\n", r.RepoURL, r.Chart, cmp.Or(r.Version, "*")); err != nil {
			return err
		}
	}
	return nil
}

// scanPaths reads the chart references under the command's paths (default
// .), grouped by chart version.
func scanPaths(c *cli.Context) ([]string, [][]charts.Found, error) {
	paths := c.Args().Slice()
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var found []charts.Found
	for _, p := range paths {
		f, err := charts.Scan(p)
		if err != nil {
			return nil, nil, err
		}
		found = append(found, f...)
	}
	return paths, groupByRef(found), nil
}

// groupByRef sorts references and groups the places of each chart.
func groupByRef(found []charts.Found) [][]charts.Found {
	slices.SortFunc(found, func(a, b charts.Found) int {
		return cmp.Or(strings.Compare(a.Ref.RepoURL, b.Ref.RepoURL), strings.Compare(a.Ref.Chart, b.Ref.Chart),
			strings.Compare(a.Ref.Version, b.Ref.Version), strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	found = slices.Compact(found)
	var groups [][]charts.Found
	for i, f := range found {
		if i > 0 && f.Ref == found[i-1].Ref {
			groups[len(groups)-1] = append(groups[len(groups)-1], f)
			continue
		}
		groups = append(groups, []charts.Found{f})
	}
	return groups
}

func chartsList(c *cli.Context, stdout io.Writer) error {
	cache, err := chartCache(c)
	if err != nil {
		return err
	}
	entries, err := cache.List()
	if err != nil {
		return fmt.Errorf("charts list: %w", err)
	}
	if len(entries) == 0 {
		_, err := fmt.Fprintf(stdout, "no charts in %s\n", cache.Dir)
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHART\tVERSION\tREPOSITORY\tDIGEST")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Chart, e.Version, e.RepoURL, e.Digest)
	}
	return tw.Flush()
}
