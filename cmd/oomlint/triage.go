package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/report"
	"github.com/oomlint/oomlint/rules"
	"github.com/oomlint/oomlint/triage"
)

// triageCommand is `oomlint triage [flags] DUMP [PATH...]`: from saved
// kubectl output of OOM-killed pods to the repository line to change.
func triageCommand(stdout, stderr io.Writer, getenv func(string) string) *cli.Command {
	return &cli.Command{
		Name:      "triage",
		Usage:     "trace the containers a cluster OOM-killed (kubectl get pods -A -o json) to the repository line that sets their memory limit, with a value to set",
		ArgsUsage: "DUMP [PATH...]   (DUMP - is standard input; PATH default: .)",
		Flags:     triageFlags(),
		Action:    func(c *cli.Context) error { return triageAction(c, stdout, stderr, getenv) },
	}
}

// triageFlags are the dump flags and the lint flags that make sense when
// tracing: output, failure, rendering and config.
func triageFlags() []cli.Flag {
	shared := map[string]bool{
		"output": true, "sarif-category": true, "fail-on": true, "enable": true, "disable": true,
		"namespace": true, "jobs": true, "config": true, "quiet": true, "no-color": true, "color": true,
		"values": true, "kube-version": true, "render-timeout": true, "chart-cache": true, "standalone": true, "include-tests": true,
	}
	flags := []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "output format: " + strings.Join(triage.Formats, ", ")},
		&cli.StringSliceFlag{Name: "dump", Usage: "another kubectl dump `FILE`: pods, VPAs or events as JSON or YAML, or kubectl top text, told apart by content (repeatable)"},
		&cli.StringSliceFlag{Name: "vpa", Usage: "`FILE` of kubectl get vpa -A -o json: suggest the VPA upperBound + 20% (repeatable)"},
		&cli.StringSliceFlag{Name: "top", Usage: "`FILE` of kubectl top pods -A --containers: suggest the peak usage + 25% (repeatable)"},
		&cli.StringSliceFlag{Name: "events", Usage: "`FILE` of kubectl get events -A -o json: OOM kill and eviction events as evidence (repeatable)"},
	}
	for _, f := range lintFlags() {
		if shared[f.Names()[0]] {
			flags = append(flags, f)
		}
	}
	return flags
}

func triageAction(c *cli.Context, stdout, stderr io.Writer, getenv func(string) string) error {
	args := c.Args().Slice()
	if len(args) == 0 {
		return errors.New("triage needs a dump: oomlint triage [flags] DUMP [PATH...] (kubectl get pods -A -o json | oomlint triage - .)")
	}
	if slices.Contains(args[1:], stdinArg) {
		return errors.New("triage: - (standard input) can only be the dump, the first argument")
	}
	colorMode, err := parseColor(c)
	if err != nil {
		return err
	}
	outputs, err := triageOutputs(c)
	if err != nil {
		return err
	}
	failOn, err := parseFailOn(c.String("fail-on"))
	if err != nil {
		return fmt.Errorf("--fail-on: %w", err)
	}
	dumps, err := readDumps(c, args[0])
	if err != nil {
		return err
	}
	cluster, err := triage.Read(dumps)
	if err != nil {
		return err
	}
	cfg, fc, err := triageConfig(c, args[1:])
	if err != nil {
		return err
	}
	// Dumps and reports saved inside the repository are not manifests.
	for _, d := range dumps {
		if a, err := filepath.Abs(d.Name); err == nil && d.Name != lint.StdinName {
			cfg.Ignore = append(cfg.Ignore, a)
		}
	}
	cfg.Ignore = append(cfg.Ignore, ownFiles(c, outputs)...)
	if fc != nil && fc.FailOn != "" && !c.IsSet("fail-on") {
		if failOn, err = parseFailOn(fc.FailOn); err != nil {
			return fmt.Errorf("%s: failOn: %w", fc.Path(), err)
		}
	}
	rep, err := triage.Run(c.Context, cfg, cluster, rules.All)
	if err != nil {
		return err
	}
	opt := report.Options{
		Quiet: c.Bool("quiet"), RepoDir: repoDir(cfg.WorkDir, getenv), Version: buildVersion(),
		SARIFCategory: c.String("sarif-category"), FailOn: failOn, Warnings: stderr,
	}
	for _, o := range outputs {
		o.write = func(w io.Writer, _ *lint.Result, opt report.Options) error {
			return triage.Write(w, o.format, rep, opt)
		}
		if err := writeOutput(o, rep.Result, opt, colorMode, stdout, getenv); err != nil {
			return err
		}
	}
	if failOn != 0 && rep.Severity() >= failOn {
		return errFindings
	}
	return nil
}

// triageOutputs reads --format and --output as lint does, for the formats
// triage writes.
func triageOutputs(c *cli.Context) ([]output, error) {
	outputs, err := parseOutputs(c.String("format"), c.StringSlice("output"))
	if err != nil {
		return nil, err
	}
	for _, o := range outputs {
		if !slices.Contains(triage.Formats, o.format) {
			return nil, fmt.Errorf("triage: format %s is not supported (valid: %s)", o.format, strings.Join(triage.Formats, ", "))
		}
	}
	return outputs, nil
}

// triageConfig builds the engine's config as lint does, for the
// repository paths (default .).
func triageConfig(c *cli.Context, paths []string) (lint.Config, *lint.FileConfig, error) {
	wd, err := os.Getwd()
	if err != nil {
		return lint.Config{}, nil, err
	}
	jobs, err := parseJobs(c)
	if err != nil {
		return lint.Config{}, nil, err
	}
	// Checked here too: with no kill in the dumps nothing is rendered.
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return lint.Config{}, nil, fmt.Errorf("%s: %w", p, unwrapPath(err))
		}
	}
	// As runConfig builds it for lint and render, with the repository paths.
	cfg := lint.Config{Paths: paths, WorkDir: wd, Root: runRoot(wd, paths), Jobs: jobs}
	fc, err := loadConfig(c.String("config"), wd, cfg.Paths)
	if err != nil {
		return cfg, nil, err
	}
	return applyFlags(c, cfg, fc, wd)
}

// readDumps reads the pods dump and every --dump, --vpa, --top and
// --events file; - is standard input, read once.
func readDumps(c *cli.Context, first string) ([]triage.Dump, error) {
	type named struct {
		flag, name string
		want       triage.Kind
	}
	all := []named{{"", first, triage.Any}}
	for _, f := range []struct {
		flag string
		want triage.Kind
	}{{"dump", triage.Any}, {"vpa", triage.VPAs}, {"top", triage.Top}, {"events", triage.Events}} {
		for _, n := range c.StringSlice(f.flag) {
			all = append(all, named{f.flag, n, f.want})
		}
	}
	var out []triage.Dump
	seen := map[string]bool{}
	stdinRead := false
	for _, n := range all {
		what := strings.TrimSpace(flagName(n.flag) + " " + n.name)
		if n.name == stdinArg {
			if stdinRead {
				return nil, errors.New("- (standard input) given more than once")
			}
			stdinRead = true
			in := stdin
			if in == nil {
				in = strings.NewReader("")
			}
			data, err := io.ReadAll(in)
			if err != nil {
				return nil, fmt.Errorf("standard input: %w", err)
			}
			out = append(out, triage.Dump{Name: lint.StdinName, Flag: flagName(n.flag), Data: data, Want: n.want})
			continue
		}
		abs, err := filepath.Abs(n.name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if seen[abs] && n.want == triage.Any {
			continue // the same file named twice is read once
		}
		seen[abs] = true
		data, err := os.ReadFile(n.name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, unwrapPath(err))
		}
		out = append(out, triage.Dump{Name: n.name, Flag: flagName(n.flag), Data: data, Want: n.want})
	}
	return out, nil
}

func flagName(name string) string {
	if name == "" {
		return ""
	}
	return "--" + name
}

// unwrapPath drops the path an *os.PathError repeats.
func unwrapPath(err error) error {
	if e := errors.Unwrap(err); e != nil {
		return e
	}
	return err
}
