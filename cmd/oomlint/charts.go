package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/oomlint/oomlint/internal/charts"
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
	paths := c.Args().Slice()
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var found []charts.Found
	for _, p := range paths {
		f, err := charts.Scan(p)
		if err != nil {
			return fmt.Errorf("charts pull: %w", err)
		}
		found = append(found, f...)
	}
	groups := groupByRef(found)
	if len(groups) == 0 {
		_, err := fmt.Fprintf(stdout, "no chart from a chart repository or OCI registry is referenced under %s\n", strings.Join(paths, ", "))
		return err
	}
	failed := 0
	for _, g := range groups {
		if _, err := cache.Pull(c.Context, g[0].Ref, opt); err != nil {
			if c.Err() != nil {
				return c.Err()
			}
			failed++
			for _, f := range g {
				fmt.Fprintf(stderr, "%s:%d: %v\n", f.File, f.Line, err)
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("charts pull: %d of %d charts could not be pulled", failed, len(groups))
	}
	return nil
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
