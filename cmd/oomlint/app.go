package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/mattn/go-isatty"
	"github.com/urfave/cli/v2"

	"github.com/oomlint/oomlint/internal/charts"
	"github.com/oomlint/oomlint/internal/lazyre"
	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
	"github.com/oomlint/oomlint/render/renderers"
	"github.com/oomlint/oomlint/report"
	"github.com/oomlint/oomlint/rules"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise the module version from go install is used.
var version = ""

// Exit codes.
const (
	exitOK       = 0
	exitFindings = 1
	exitUsage    = 2
)

// errFindings makes lint exit 1 without printing anything more.
var errFindings = errors.New("findings at or above --fail-on")

// run is the whole program: it parses args, runs the command and maps the
// outcome to an exit code. Nothing here exits or touches os.Std*; every
// error is one line on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	app := newApp(stdout, stderr, getenv)
	app.Setup()
	args, err := normalizeArgs(app, args)
	if err == nil {
		err = app.RunContext(ctx, args)
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errFindings):
		return exitFindings
	default:
		msg := strings.TrimSpace(strings.ReplaceAll(err.Error(), "\n", " "))
		fmt.Fprintf(stderr, "oomlint: %s\n", msg)
		return exitUsage
	}
}

func lintFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "output format: " + strings.Join(report.Names(), ", ")},
		&cli.StringSliceFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the --format report to `FILE` instead of standard output, or FORMAT=FILE another format (repeatable: --output sarif=oomlint.sarif --output github=-; - is standard output)"},
		&cli.StringFlag{Name: "sarif-category", Usage: "write `NAME`/ as SARIF's automationDetails.id (off by default: upload-sarif's category input decides)"},
		&cli.StringFlag{Name: "baseline", Usage: "report only findings not recorded in baseline `FILE` (written by --write-baseline)"},
		&cli.StringFlag{Name: "write-baseline", Usage: "record today's findings in baseline `FILE` and exit 0"},
		&cli.StringSliceFlag{Name: "only-files", Usage: "lint as usual, then keep only findings located in or related to `FILE` (repeatable; after --only-files every further file argument is such a file, a directory or - is a path to lint; a missing FILE is an error)"},
		&cli.StringFlag{Name: "fail-on", Value: "warning", Usage: "exit 1 when a finding is at or above this severity: error, warning, info or none"},
		&cli.StringSliceFlag{Name: "enable", Usage: "turn on rules by `ID`, name or glob (repeatable, comma-separated)"},
		&cli.StringSliceFlag{Name: "disable", Usage: "turn off rules by `ID`, name or glob (repeatable, comma-separated)"},
		&cli.StringFlag{Name: "namespace", Aliases: []string{"n"}, Usage: "namespace for objects without metadata.namespace", DefaultText: "default"},
		&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "parallel workers (0: the number of CPUs; negative is an error)", DefaultText: "number of CPUs"},
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "config `FILE` (default: .oomlint.yaml in the working directory or the first PATH)"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print findings only, no summary"},
		&cli.BoolFlag{Name: "no-color", Usage: "no colour in text output (also NO_COLOR); as --color never"},
		&cli.StringFlag{Name: "color", Value: "auto", Usage: "colour in text output: auto (on a terminal, unless NO_COLOR or TERM=dumb; FORCE_COLOR forces it), always or never"},
		&cli.BoolFlag{Name: "version", Usage: "print the version (as oomlint version)"},
		&cli.BoolFlag{Name: "verbose", Usage: "print each rendered unit with its time, and totals, on standard error"},
		&cli.StringSliceFlag{Name: "values", Usage: "values `FILE` for every chart, after its values.yaml (repeatable)"},
		&cli.DurationFlag{Name: "render-timeout", Usage: "stop rendering a Helm chart (also one a HelmRelease or Application names) that takes longer than this: one OOM900, the run goes on (renderTimeout in .oomlint.yaml)", DefaultText: render.DefaultRenderTimeout.String()},
		&cli.StringFlag{Name: "kube-version", Usage: "Kubernetes version charts see in .Capabilities.KubeVersion", DefaultText: render.DefaultKubeVersion},
		&cli.StringFlag{Name: "chart-cache", Usage: "the chart cache `DIR` that `oomlint charts pull` fills (read only; lint never downloads)", DefaultText: "the user cache directory/oomlint/charts"},
		&cli.BoolFlag{Name: "standalone", Usage: "also lint the charts and directories Flux and Argo CD objects deploy on their own, with their defaults"},
		&cli.BoolFlag{Name: "include-tests", Usage: "also lint helm test hooks (helm.sh/hook: test), which helm does not install with a release and oomlint leaves out by default, as helm template --skip-tests"},
		&cli.BoolFlag{Name: "include-generated", Usage: "report findings in files that say they are generated (DO NOT EDIT in their first lines, as flux bootstrap writes gotk-components.yaml)"},
	}, policyFlags()...)
}

func newApp(stdout, stderr io.Writer, getenv func(string) string) *cli.App {
	lintCmd := func(c *cli.Context) error { return lintAction(c, stdout, stderr, getenv) }
	app := &cli.App{
		Name:            "oomlint",
		Usage:           "find Kubernetes manifests whose memory settings get containers OOMKilled, evicted or rejected",
		UsageText:       "oomlint [lint] [flags] [PATH...]   (PATH - is standard input)\n   oomlint render [flags] [PATH...]\n   oomlint charts pull [flags] [PATH...]\n   oomlint charts refs [PATH...]\n   oomlint charts list\n   oomlint rules [--format text|markdown|json]\n   oomlint explain ID|NAME\n   oomlint version (or --version)\n   oomlint help [COMMAND]",
		Version:         buildVersion(),
		HideVersion:     true,
		HideHelpCommand: true, // normalizeArgs turns `help X` into `X --help`
		// File flags keep commas (a path may hold one); rule lists split
		// them themselves (commaList).
		DisableSliceFlagSeparator: true,
		Writer:                    stdout,
		ErrWriter:                 stderr,
		Flags:                     lintFlags(),
		Action:                    lintCmd,
		ExitErrHandler:            func(*cli.Context, error) {}, // run maps errors to exit codes
		Commands: []*cli.Command{
			{
				Name: "lint", Usage: "lint manifests (the default command)", ArgsUsage: "[PATH...]",
				Flags: lintFlags(), Action: lintCmd,
			},
			{
				Name: "render", Usage: "print the rendered objects with the file:line each traces back to (debug)", ArgsUsage: "[PATH...]",
				Flags:  lintFlags(),
				Action: func(c *cli.Context) error { return renderAction(c, stdout, stderr) },
			},
			{
				Name: "rules", Usage: "list the rules: ID, name, severity, summary",
				Flags: append([]cli.Flag{&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "text, markdown or json"},
					&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "config `FILE`"}}, policyFlags()...),
				Action: func(c *cli.Context) error {
					if c.NArg() > 0 {
						return fmt.Errorf("rules takes no arguments, got %q", c.Args().First())
					}
					all, err := cliCatalogue(c)
					if err != nil {
						return err
					}
					return listRules(stdout, c.String("format"), all)
				},
			},
			{
				Name: "explain", Usage: "explain a rule: what happens at run time, why, how to fix", ArgsUsage: "ID|NAME",
				Flags: append([]cli.Flag{&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "config `FILE`"}}, policyFlags()...),
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return errors.New("explain takes one rule ID or name, e.g. oomlint explain OOM107")
					}
					all, err := cliCatalogue(c)
					if err != nil {
						return err
					}
					return explain(stdout, c.Args().First(), all)
				},
			},
			policyCommand(),
			chartsCommand(stdout, stderr),
			triageCommand(stdout, stderr, getenv),
			{
				Name: "version", Usage: "print the version",
				Action: func(c *cli.Context) error {
					if c.NArg() > 0 {
						return fmt.Errorf("version takes no arguments, got %q", c.Args().First())
					}
					return printVersion(stdout)
				},
			},
		},
	}
	// Without OnUsageError urfave/cli prints "Incorrect Usage" and the whole
	// help to stdout; a usage error is one line on stderr instead.
	app.OnUsageError = onUsageError
	for _, c := range app.Commands {
		c.OnUsageError = onUsageError
		c.HideHelpCommand = true
	}
	return app
}

func lintAction(c *cli.Context, stdout, stderr io.Writer, getenv func(string) string) error {
	if c.Bool("version") {
		return printVersion(stdout)
	}
	colorMode, err := parseColor(c)
	if err != nil {
		return err
	}
	outputs, err := parseOutputs(c.String("format"), c.StringSlice("output"))
	if err != nil {
		return err
	}
	onlyFiles, err := checkOnlyFiles(c.StringSlice("only-files"))
	if err != nil {
		return err
	}
	failOn, err := parseFailOn(c.String("fail-on"))
	if err != nil {
		return fmt.Errorf("--fail-on: %w", err)
	}
	cfg, fc, cleanup, err := runConfig(c)
	defer cleanup()
	if err != nil {
		return err
	}
	cfg.Ignore = append(cfg.Ignore, ownFiles(c, outputs)...)
	if fc != nil && fc.FailOn != "" && !c.IsSet("fail-on") {
		if failOn, err = parseFailOn(fc.FailOn); err != nil {
			return fmt.Errorf("%s: failOn: %w", fc.Path(), err)
		}
	}
	var baseline *lint.Baseline
	if name := c.String("baseline"); name != "" {
		if baseline, err = readBaseline(name); err != nil {
			return fmt.Errorf("--baseline: %w", err)
		}
	}
	if c.Bool("verbose") || (!c.Bool("quiet") && isTerminal(stderr) && getenv("CI") == "") {
		p := newProgressReporter(stderr, c.Bool("verbose"), isTerminal(stderr))
		cfg.Progress = p.report
		defer p.finish()
	}
	all, problems, err := catalogue(c, fc, cfg.WorkDir)
	if err != nil {
		return err
	}
	cfg.Extra = append(cfg.Extra, problems...)
	res, err := lint.Run(c.Context, cfg, all)
	if err != nil {
		return err
	}

	dir := repoDir(cfg.WorkDir, getenv)
	if name := c.String("write-baseline"); name != "" {
		if err := writeBaseline(name, lint.NewBaseline(res.Findings, dir)); err != nil {
			return fmt.Errorf("--write-baseline: %w", err)
		}
		failOn = 0 // today's findings are accepted
	}
	if baseline != nil {
		res.ApplyBaseline(baseline, dir)
	}
	if files := onlyFiles; len(files) > 0 {
		res.KeepFiles(displayPaths(cfg.WorkDir, files))
	}

	opt := report.Options{
		Quiet: c.Bool("quiet"), RepoDir: dir, Version: buildVersion(),
		SARIFCategory: c.String("sarif-category"), FailOn: failOn, Warnings: stderr,
	}
	for _, o := range outputs {
		if err := writeOutput(o, res, opt, colorMode, stdout, getenv); err != nil {
			return err
		}
	}
	if failOn != 0 && slices.ContainsFunc(res.Findings, func(f lint.Finding) bool { return f.Severity >= failOn }) {
		return errFindings
	}
	return nil
}

// ownFiles are the files oomlint reads or writes besides the manifests
// (--baseline, --write-baseline, --output): never linted as inputs when they
// sit in the linted tree, as absolute paths for lint.Config.Ignore. A path
// argument naming one still lints it.
func ownFiles(c *cli.Context, outputs []output) []string {
	names := []string{c.String("baseline"), c.String("write-baseline")}
	for _, o := range outputs {
		names = append(names, o.file)
	}
	var abs []string
	for _, n := range names {
		if n == "" || n == "-" {
			continue
		}
		if a, err := filepath.Abs(n); err == nil {
			abs = append(abs, a)
		}
	}
	return abs
}

// checkOnlyFiles returns the --only-files values; each must exist, as
// any path oomlint is given.
func checkOnlyFiles(files []string) ([]string, error) {
	for _, f := range files {
		if f == noFiles {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("--only-files %s: %w", f, errors.Unwrap(err))
		}
	}
	return files, nil
}

// output is one report of a run: a format and where it goes ("-" is
// standard output).
type output struct {
	format string
	write  report.Writer
	file   string
}

// parseOutputs reads --format and the --output values. FORMAT=FILE writes
// that format to FILE; a plain FILE takes the --format report. Unless a
// report goes to standard output already, or a plain FILE takes it, the
// --format report is printed there.
func parseOutputs(format string, values []string) ([]output, error) {
	write, err := report.Lookup(format)
	if err != nil {
		return nil, fmt.Errorf("--format: %w", err)
	}
	var outs []output
	plain := false
	for _, v := range values {
		if name, file, ok := strings.Cut(v, "="); ok && isFormatName(name) {
			w, err := report.Lookup(name)
			if err != nil {
				return nil, fmt.Errorf("--output: %w", err)
			}
			if file == "" {
				return nil, fmt.Errorf("--output %s: no file after = (use %s=- for standard output)", v, name)
			}
			outs = append(outs, output{format: name, write: w, file: file})
			continue
		}
		if v == "" {
			return nil, errors.New("--output: empty file name")
		}
		plain = true
		outs = append(outs, output{format: format, write: write, file: v})
	}
	toStdout := 0
	for _, o := range outs {
		if o.file == "-" {
			toStdout++
		}
	}
	if toStdout == 0 && !plain {
		outs = append([]output{{format: format, write: write, file: "-"}}, outs...)
		toStdout++
	}
	if toStdout > 1 {
		return nil, errors.New("--output: more than one report to standard output")
	}
	return outs, nil
}

// isFormatName reports whether s looks like the FORMAT of FORMAT=FILE: a
// lower-case word, so "dir/a=b.json" stays a file name. An unknown word is
// still an error from Lookup.
func isFormatName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '-' {
			return false
		}
	}
	return true
}

func writeOutput(o output, res *lint.Result, opt report.Options, colorMode string, stdout io.Writer, getenv func(string) string) error {
	if o.format == "github" {
		if name := getenv("GITHUB_STEP_SUMMARY"); name != "" {
			f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
			if err != nil {
				return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
			}
			defer f.Close()
			opt.StepSummary = f
		}
	}
	if o.file == "-" {
		opt.Color = o.format == "text" && useColor(colorMode, getenv, isTerminal(stdout))
		if err := o.write(stdout, res, opt); err != nil {
			return fmt.Errorf("write %s report: %w", o.format, err)
		}
		return nil
	}
	if err := writeFile(o.file, o.write, res, opt); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	return nil
}

// writeFile writes the report to a file, never in colour; a failed write
// or close is an error, since the file would be truncated.
func writeFile(name string, write report.Writer, res *lint.Result, opt report.Options) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f, res, opt); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func readBaseline(name string) (*lint.Baseline, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := lint.ReadBaseline(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

func writeBaseline(name string, b *lint.Baseline) error {
	return writeFile(name, func(w io.Writer, _ *lint.Result, _ report.Options) error { return b.Write(w) }, nil, report.Options{})
}

// repoDir is the working directory relative to the repository root, with
// /, "" at the root: the enclosing git work tree (a .git directory or
// file), else $GITHUB_WORKSPACE when the working directory is inside it,
// else the working directory itself. Symlinks are resolved first, so
// `oomlint k8s/` from the root and `cd k8s && oomlint .` agree.
func repoDir(wd string, getenv func(string) string) string {
	wd = realPath(wd)
	root := realPath(render.RepoRoot(wd))
	if _, err := os.Lstat(filepath.Join(root, ".git")); err != nil {
		root = wd
		if ws := getenv("GITHUB_WORKSPACE"); ws != "" {
			if ws = realPath(ws); within(ws, wd) {
				root = ws
			}
		}
	}
	rel, err := filepath.Rel(root, wd)
	if err != nil || rel == "." {
		return ""
	}
	return filepath.ToSlash(rel)
}

func realPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	if resolved, err := filepath.EvalSymlinks(p); err == nil {
		return resolved
	}
	return p
}

func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// displayPaths makes --only-files arguments look like findings' paths:
// relative to the working directory, with /.
func displayPaths(wd string, files []string) []string {
	out := make([]string, 0, len(files))
	for _, f := range files {
		abs := f
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(wd, f)
		}
		if rel, err := filepath.Rel(wd, abs); err == nil {
			f = rel
		}
		out = append(out, filepath.ToSlash(f))
	}
	return out
}

// Colour modes of --color.
const (
	colorAuto   = "auto"
	colorAlways = "always"
	colorNever  = "never"
)

// parseColor reads --color and --no-color (which is --color never).
func parseColor(c *cli.Context) (string, error) {
	mode := c.String("color")
	switch mode {
	case colorAuto, colorAlways, colorNever:
	default:
		return "", fmt.Errorf("--color: unknown value %q (valid: auto, always, never)", mode)
	}
	if c.Bool("no-color") {
		if c.IsSet("color") && mode != colorNever {
			return "", fmt.Errorf("--no-color and --color %s contradict each other", mode)
		}
		mode = colorNever
	}
	return mode, nil
}

// useColor decides whether text output on standard output is coloured:
// always or never as --color says; with auto, when FORCE_COLOR is set (CI
// logs that render ANSI), else only on a terminal, and never with NO_COLOR
// (https://no-color.org) or TERM=dumb.
func useColor(mode string, getenv func(string) string, terminal bool) bool {
	switch mode {
	case colorAlways:
		return true
	case colorNever:
		return false
	}
	if force := getenv("FORCE_COLOR"); force != "" && force != "0" && force != "false" {
		return true
	}
	return terminal && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

func printVersion(stdout io.Writer) error {
	_, err := fmt.Fprintf(stdout, "oomlint %s\n", buildVersion())
	return err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// runConfig builds the engine's config from .oomlint.yaml and the flags
// that lint and render share.
// The cleanup function removes what reading standard input left behind.
func runConfig(c *cli.Context) (lint.Config, *lint.FileConfig, func(), error) {
	cleanup := func() {}
	wd, err := os.Getwd()
	if err != nil {
		return lint.Config{}, nil, cleanup, err
	}
	jobs, err := parseJobs(c)
	if err != nil {
		return lint.Config{}, nil, cleanup, err
	}
	cfg := lint.Config{Paths: c.Args().Slice(), WorkDir: wd, Jobs: jobs}
	cfg.Root = runRoot(wd, cfg.Paths)
	fc, err := loadConfig(c.String("config"), wd, cfg.Paths)
	if err != nil {
		return cfg, nil, cleanup, err
	}
	if cfg.Paths, cleanup, err = readStdinArg(cfg.Paths); err != nil {
		return cfg, nil, cleanup, err
	}
	cfg, fc, err = applyFlags(c, cfg, fc, wd)
	return cfg, fc, cleanup, err
}

// parseJobs reads --jobs: 0, or unset, is the number of CPUs.
func parseJobs(c *cli.Context) (int, error) {
	jobs := c.Int("jobs")
	if jobs < 0 {
		return 0, fmt.Errorf("--jobs: %d is negative (0 or unset: the number of CPUs)", jobs)
	}
	return jobs, nil
}

// stdin is what the path argument "-" reads: main sets it to the process's
// standard input; nil reads as empty.
var stdin io.Reader

// readStdinArg copies standard input into a temporary file when a path is
// "-", and lints that file in its place, named <stdin> in findings.
func readStdinArg(paths []string) ([]string, func(), error) {
	i := slices.Index(paths, stdinArg)
	if i < 0 {
		return paths, func() {}, nil
	}
	if slices.Contains(paths[i+1:], stdinArg) {
		return paths, func() {}, errors.New("- (standard input) given more than once")
	}
	dir, err := os.MkdirTemp("", "oomlint-stdin-")
	if err != nil {
		return paths, func() {}, fmt.Errorf("standard input: %w", err)
	}
	removeDir := func() { _ = os.RemoveAll(dir) }
	name := filepath.Join(dir, "stdin.yaml")
	f, err := os.Create(name)
	if err == nil {
		in := stdin
		if in == nil {
			in = strings.NewReader("")
		}
		_, err = io.Copy(f, in)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		removeDir()
		return paths, func() {}, fmt.Errorf("standard input: %w", err)
	}
	forget := lint.MarkStdin(name)
	paths = slices.Clone(paths)
	paths[i] = name
	return paths, func() { forget(); removeDir() }, nil
}

// applyFlags lays the flags lint and render share over the config file's settings.
func applyFlags(c *cli.Context, cfg lint.Config, fc *lint.FileConfig, wd string) (lint.Config, *lint.FileConfig, error) {
	if fc != nil {
		fc.Apply(&cfg)
	}
	cfg.Enable = append(cfg.Enable, commaList(c.StringSlice("enable"))...)
	cfg.Disable = append(cfg.Disable, commaList(c.StringSlice("disable"))...)
	if c.IsSet("namespace") {
		cfg.Namespace = c.String("namespace")
	}
	ropt, err := renderOptions(c, fc, wd, cfg.Root, cfg.Namespace)
	if err != nil {
		return cfg, fc, err
	}
	cfg.Renderers = renderers.All(ropt)
	if c.Bool("standalone") {
		cfg.Standalone = true
	}
	if c.Bool("include-generated") {
		cfg.IncludeGenerated = true
	}
	return cfg, fc, nil
}

// renderAction prints the objects oomlint sees, each with the file and line
// it traces back to: `oomlint render` is for debugging positions.
func renderAction(c *cli.Context, stdout, stderr io.Writer) error {
	if c.Bool("version") {
		return printVersion(stdout)
	}
	cfg, _, cleanup, err := runConfig(c)
	defer cleanup()
	if err != nil {
		return err
	}
	objects, problems, err := lint.Objects(c.Context, cfg)
	if err != nil {
		return err
	}
	if err := report.Objects(stdout, objects); err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintf(stderr, "%s:%d:%d: %s %s\n", p.File, p.Line, p.Column, p.Rule, p.Message)
	}
	if len(problems) > 0 {
		return errFindings
	}
	return nil
}

// renderOptions merges chart settings from the config file and flags.
func renderOptions(c *cli.Context, fc *lint.FileConfig, wd, root, namespace string) (render.Options, error) {
	opt := render.Options{WorkDir: wd, RepoRoot: root, Namespace: namespace}
	if c.IsSet("chart-cache") {
		abs, err := filepath.Abs(c.String("chart-cache"))
		if err != nil {
			return opt, fmt.Errorf("--chart-cache: %w", err)
		}
		opt.ChartCache = abs
	}
	opt.ApplyConfig(fc)
	if opt.ChartCache == "" {
		if dir, err := charts.DefaultDir(); err == nil {
			opt.ChartCache = dir
		}
	}
	if c.IsSet("kube-version") {
		opt.KubeVersion = c.String("kube-version")
	}
	if c.IsSet("render-timeout") {
		if opt.RenderTimeout = c.Duration("render-timeout"); opt.RenderTimeout <= 0 {
			return opt, fmt.Errorf("--render-timeout %s: want a positive duration", opt.RenderTimeout)
		}
	}
	if c.Bool("include-tests") {
		opt.IncludeTests = true
	}
	for _, f := range c.StringSlice("values") {
		abs, err := filepath.Abs(f)
		if err != nil {
			return opt, fmt.Errorf("--values: %w", err)
		}
		if _, err := os.Stat(abs); err != nil {
			return opt, fmt.Errorf("--values %s: %w", f, errors.Unwrap(err))
		}
		opt.Values = append(opt.Values, abs)
	}
	return opt, nil
}

// parseFailOn reads --fail-on; "none" is 0, which nothing reaches.
func parseFailOn(s string) (lint.Severity, error) {
	if s == "none" {
		return 0, nil
	}
	sev, err := lint.ParseSeverity(s)
	if err != nil {
		return 0, fmt.Errorf("unknown value %q (valid: error, warning, info, none)", s)
	}
	return sev, nil
}

// loadConfig reads --config, else .oomlint.yaml in the working directory,
// else in the first PATH. A config file inside a repository (the git work
// tree of the working directory or of a PATH) is the repository's, so
// untrusted: it may only name paths inside that repository. Only a
// --config file outside every such repository is the user's own.
func loadConfig(explicit, wd string, paths []string) (*lint.FileConfig, error) {
	if explicit != "" {
		roots := []string{render.RepoRoot(wd)}
		for _, p := range paths {
			if p != stdinArg {
				roots = append(roots, render.RepoRoot(argDir(p)))
			}
		}
		for _, root := range roots {
			if inRepo(root, explicit) {
				return lint.LoadRepoConfigFile(explicit, root)
			}
		}
		return lint.LoadConfigFile(explicit)
	}
	dirs := []string{wd}
	if len(paths) > 0 {
		dirs = append(dirs, argDir(paths[0]))
	}
	for _, d := range dirs {
		if p := lint.FindConfigFile(d); p != "" {
			root := render.RepoRoot(d)
			if rel, err := filepath.Rel(wd, p); err == nil {
				p = rel
			}
			return lint.LoadRepoConfigFile(p, root)
		}
	}
	return nil, nil
}

// runRoot is the repository a run reads and renders, confined to it: the
// git work tree of the working directory (else the working directory);
// or, when no PATH lies inside that, the work tree of the first PATH (its
// directory when it is in none), so `oomlint ../other-repo` builds that
// repository's kustomizations and charts instead of linting their files
// as plain YAML.
func runRoot(wd string, paths []string) string {
	root := render.RepoRoot(wd)
	first := ""
	for _, p := range paths {
		if p == stdinArg {
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		if within(realPath(root), realPath(abs)) {
			return root
		}
		if first == "" {
			first = abs
		}
	}
	if first == "" {
		return root
	}
	return render.RepoRoot(argDir(first))
}

// argDir is the directory of a path argument: itself, or a file's directory.
func argDir(p string) string {
	if st, err := os.Stat(p); err == nil && !st.IsDir() {
		return filepath.Dir(p)
	}
	return p
}

// inRepo reports whether p lies in the repository at root, as written or
// with symlinks resolved.
func inRepo(root, p string) bool {
	abs, err := filepath.Abs(p)
	if err != nil {
		return false
	}
	rootAbs, err := filepath.Abs(root)
	if err != nil {
		return false
	}
	return within(rootAbs, abs) || within(realPath(rootAbs), realPath(abs))
}

func listRules(w io.Writer, format string, all []*lint.Rule) error {
	switch format {
	case "text":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSEVERITY\tSUMMARY")
		for _, r := range all {
			sev := r.Severity.String()
			if r.Off {
				sev += " (off)"
			}
			// Policy rules carry text from the repository's Rego metadata.
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", report.Printable(r.ID), report.Printable(r.Name), sev, report.Printable(r.Summary))
		}
		return tw.Flush()
	case "markdown":
		return rules.Markdown(w, all)
	case "json":
		return rulesJSON(w, all)
	}
	return fmt.Errorf("rules --format: unknown format %q (valid: text, markdown, json)", format)
}

// ruleJSON is one rule in `rules --format json`.
type ruleJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Severity string `json:"severity"`
	Enabled  bool   `json:"enabled"`
	Summary  string `json:"summary"`
	// Family, precision and since are the rule's metadata, as SARIF and
	// docs/rules.md show it; since is empty for user policies.
	Family    string `json:"family,omitempty"`
	Precision string `json:"precision"`
	Since     string `json:"since,omitempty"`
}

// rulesJSON writes the catalogue as {"version": 1, "rules": [...]}, for tooling.
func rulesJSON(w io.Writer, all []*lint.Rule) error {
	doc := struct {
		Version int        `json:"version"`
		Rules   []ruleJSON `json:"rules"`
	}{Version: 1, Rules: make([]ruleJSON, 0, len(all))}
	for _, r := range all {
		doc.Rules = append(doc.Rules, ruleJSON{
			ID: r.ID, Name: r.Name, Severity: r.Severity.String(), Enabled: !r.Off, Summary: r.Summary,
			Family: r.Family, Precision: r.Precision.String(), Since: r.Since,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func explain(w io.Writer, name string, all []*lint.Rule) error {
	for _, r := range all {
		if strings.EqualFold(name, r.ID) || name == r.Name {
			// A policy rule's doc comes from the repository's Rego metadata:
			// no line of it may read as a CI workflow command.
			var b strings.Builder
			if err := rules.Explain(&b, r); err != nil {
				return err
			}
			_, err := io.WriteString(w, report.GuardLines(b.String()))
			return err
		}
	}
	return fmt.Errorf("explain: unknown rule %q (see oomlint rules)", name)
}

func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	return versionFrom(bi)
}

// versionFrom is the module version of a `go install`ed build; for a local
// `go build` in a git checkout, the VCS revision (short, "-dirty" when the
// tree had changes) unless the checkout is exactly at a tag; "dev" when
// neither is known (-buildvcs=false, as .ci sets, or no git).
func versionFrom(bi *debug.BuildInfo) string {
	var rev string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	v := bi.Main.Version
	known := v != "" && v != "(devel)"
	// Go 1.24+ stamps local builds with a pseudo-version (+dirty when
	// modified); the revision says the same, shorter.
	if known && (rev == "" || (!pseudoVersion().MatchString(v) && !strings.HasSuffix(v, "+dirty"))) {
		return v
	}
	if rev == "" {
		return "dev"
	}
	rev = rev[:min(len(rev), 12)]
	if dirty {
		rev += "-dirty"
	}
	return rev
}

// pseudoVersion matches the time-and-revision part of a Go pseudo-version.
var pseudoVersion = lazyre.New(`\d{14}-[0-9a-f]{12}(\+|$)`)

// commaList splits each of a repeatable flag's values at commas: rule
// lists are written --disable OOM104,OOM306.
func commaList(vs []string) []string {
	var out []string
	for _, v := range vs {
		for s := range strings.SplitSeq(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}
