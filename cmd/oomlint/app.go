package main

import (
	"context"
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

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/render"
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
	return []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "output format: " + strings.Join(report.Names(), ", ")},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the report to `FILE` instead of standard output"},
		&cli.StringFlag{Name: "fail-on", Value: "warning", Usage: "exit 1 when a finding is at or above this severity: error, warning, info or none"},
		&cli.StringSliceFlag{Name: "enable", Usage: "turn on rules by `ID`, name or glob (repeatable, comma-separated)"},
		&cli.StringSliceFlag{Name: "disable", Usage: "turn off rules by `ID`, name or glob (repeatable, comma-separated)"},
		&cli.StringFlag{Name: "namespace", Aliases: []string{"n"}, Usage: "namespace for objects without metadata.namespace", DefaultText: "default"},
		&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "parallel workers", DefaultText: "number of CPUs"},
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "config `FILE` (default: .oomlint.yaml in the working directory or the first PATH)"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print findings only, no summary"},
		&cli.BoolFlag{Name: "no-color", Usage: "no colour in text output (also NO_COLOR)"},
		&cli.BoolFlag{Name: "verbose", Usage: "print each rendered unit with its time, and totals, on standard error"},
		&cli.StringSliceFlag{Name: "values", Usage: "values `FILE` for every chart, after its values.yaml (repeatable)"},
		&cli.StringFlag{Name: "kube-version", Usage: "Kubernetes version charts see in .Capabilities.KubeVersion", DefaultText: render.DefaultKubeVersion},
	}
}

func newApp(stdout, stderr io.Writer, getenv func(string) string) *cli.App {
	lintCmd := func(c *cli.Context) error { return lintAction(c, stdout, stderr, getenv) }
	app := &cli.App{
		Name:            "oomlint",
		Usage:           "find Kubernetes manifests whose memory settings get containers OOMKilled, evicted or rejected",
		UsageText:       "oomlint [lint] [flags] [PATH...]\n   oomlint render [flags] [PATH...]\n   oomlint rules [--format text|markdown]\n   oomlint explain ID|NAME\n   oomlint version\n   oomlint help [COMMAND]",
		Version:         buildVersion(),
		HideVersion:     true,
		HideHelpCommand: true, // normalizeArgs turns `help X` into `X --help`
		Writer:          stdout,
		ErrWriter:       stderr,
		Flags:           lintFlags(),
		Action:          lintCmd,
		ExitErrHandler:  func(*cli.Context, error) {}, // run maps errors to exit codes
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
				Flags: []cli.Flag{&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "text or markdown"}},
				Action: func(c *cli.Context) error {
					if c.NArg() > 0 {
						return fmt.Errorf("rules takes no arguments, got %q", c.Args().First())
					}
					return listRules(stdout, c.String("format"))
				},
			},
			{
				Name: "explain", Usage: "explain a rule: what happens at run time, why, how to fix", ArgsUsage: "ID|NAME",
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return errors.New("explain takes one rule ID or name, e.g. oomlint explain OOM107")
					}
					return explain(stdout, c.Args().First())
				},
			},
			{
				Name: "version", Usage: "print the version",
				Action: func(c *cli.Context) error {
					if c.NArg() > 0 {
						return fmt.Errorf("version takes no arguments, got %q", c.Args().First())
					}
					_, err := fmt.Fprintf(stdout, "oomlint %s\n", buildVersion())
					return err
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
	write, err := report.Lookup(c.String("format"))
	if err != nil {
		return fmt.Errorf("--format: %w", err)
	}
	failOn, err := parseFailOn(c.String("fail-on"))
	if err != nil {
		return fmt.Errorf("--fail-on: %w", err)
	}
	cfg, fc, err := runConfig(c)
	if err != nil {
		return err
	}
	if fc != nil && fc.FailOn != "" && !c.IsSet("fail-on") {
		if failOn, err = parseFailOn(fc.FailOn); err != nil {
			return fmt.Errorf("%s: failOn: %w", fc.Path(), err)
		}
	}
	if c.Bool("verbose") || (!c.Bool("quiet") && isTerminal(stderr) && getenv("CI") == "") {
		p := newProgressReporter(stderr, c.Bool("verbose"), isTerminal(stderr))
		cfg.Progress = p.report
		defer p.finish()
	}
	res, err := lint.Run(c.Context, cfg, rules.All)
	if err != nil {
		return err
	}

	opt := report.Options{Quiet: c.Bool("quiet")}
	if name := c.String("output"); name != "" && name != "-" {
		if err := writeFile(name, write, res, opt); err != nil {
			return fmt.Errorf("--output: %w", err)
		}
	} else {
		opt.Color = useColor(c.Bool("no-color"), getenv, isTerminal(stdout))
		if err := write(stdout, res, opt); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	if failOn != 0 && slices.ContainsFunc(res.Findings, func(f lint.Finding) bool { return f.Severity >= failOn }) {
		return errFindings
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

// useColor decides whether text output is coloured: only on a terminal, and
// never with --no-color, NO_COLOR (https://no-color.org) or TERM=dumb.
func useColor(noColorFlag bool, getenv func(string) string, terminal bool) bool {
	return terminal && !noColorFlag && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// runConfig builds the engine's config from .oomlint.yaml and the flags
// that lint and render share.
func runConfig(c *cli.Context) (lint.Config, *lint.FileConfig, error) {
	wd, err := os.Getwd()
	if err != nil {
		return lint.Config{}, nil, err
	}
	cfg := lint.Config{Paths: c.Args().Slice(), WorkDir: wd, Jobs: c.Int("jobs")}
	fc, err := loadConfig(c.String("config"), wd, cfg.Paths)
	if err != nil {
		return cfg, nil, err
	}
	if fc != nil {
		fc.Apply(&cfg)
	}
	cfg.Enable = append(cfg.Enable, c.StringSlice("enable")...)
	cfg.Disable = append(cfg.Disable, c.StringSlice("disable")...)
	if c.IsSet("namespace") {
		cfg.Namespace = c.String("namespace")
	}
	ropt, err := renderOptions(c, fc, wd, cfg.Namespace)
	if err != nil {
		return cfg, fc, err
	}
	cfg.Renderers = render.Renderers(ropt)
	return cfg, fc, nil
}

// renderAction prints the objects oomlint sees, each with the file and line
// it traces back to: `oomlint render` is for debugging positions.
func renderAction(c *cli.Context, stdout, stderr io.Writer) error {
	cfg, _, err := runConfig(c)
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
func renderOptions(c *cli.Context, fc *lint.FileConfig, wd, namespace string) (render.Options, error) {
	opt := render.Options{WorkDir: wd, RepoRoot: render.RepoRoot(wd), Namespace: namespace}
	opt.ApplyConfig(fc)
	if c.IsSet("kube-version") {
		opt.KubeVersion = c.String("kube-version")
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
// else in the first PATH.
func loadConfig(explicit, wd string, paths []string) (*lint.FileConfig, error) {
	if explicit != "" {
		return lint.LoadConfigFile(explicit)
	}
	dirs := []string{wd}
	if len(paths) > 0 {
		p := paths[0]
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			p = filepath.Dir(p)
		}
		dirs = append(dirs, p)
	}
	for _, d := range dirs {
		if p := lint.FindConfigFile(d); p != "" {
			if rel, err := filepath.Rel(wd, p); err == nil {
				p = rel
			}
			return lint.LoadConfigFile(p)
		}
	}
	return nil, nil
}

func listRules(w io.Writer, format string) error {
	switch format {
	case "text":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSEVERITY\tSUMMARY")
		for _, r := range rules.All {
			sev := r.Severity.String()
			if r.Off {
				sev += " (off)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Name, sev, r.Summary)
		}
		return tw.Flush()
	case "markdown":
		return rules.Markdown(w, rules.All)
	}
	return fmt.Errorf("rules --format: unknown format %q (valid: text, markdown)", format)
}

func explain(w io.Writer, name string) error {
	for _, r := range rules.All {
		if strings.EqualFold(name, r.ID) || name == r.Name {
			return rules.Explain(w, r)
		}
	}
	return fmt.Errorf("explain: unknown rule %q (see oomlint rules)", name)
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
