package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/oomlint/oomlint/lint"
	"github.com/oomlint/oomlint/policy"
	"github.com/oomlint/oomlint/rules"
)

// policyFlags are the Rego flags of lint, rules and explain.
func policyFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "policy", Usage: "Rego policy `DIR` (repeatable): conftest deny/violation/warn rules over every object, with oomlint's facts at data.oomlint.facts"},
		&cli.StringSliceFlag{Name: "data", Usage: "`DIR` or file of JSON/YAML data documents for the policies (repeatable)"},
		&cli.StringFlag{Name: "rego-version", Usage: "Rego syntax of the policies: v1 or v0", DefaultText: "v1"},
		&cli.DurationFlag{Name: "policy-timeout", Usage: "stop a policy rule set that runs longer than this on one object", DefaultText: policy.DefaultTimeout.String()},
	}
}

// policyOptions merges the policy settings of .oomlint.yaml and the flags:
// flags add directories to the file's and win for single values.
func policyOptions(c *cli.Context, fc *lint.FileConfig, wd string) (policy.Options, error) {
	opts := policy.Options{WorkDir: wd, Builtins: rules.All}
	if fc != nil {
		for _, p := range fc.Policies {
			opts.Policies = append(opts.Policies, fc.Abs(p))
		}
		for _, p := range fc.PolicyData {
			opts.Data = append(opts.Data, fc.Abs(p))
		}
		opts.Packages = fc.PolicyPackages
		opts.RegoVersion = fc.RegoVersion
		if fc.PolicyTimeout != "" {
			opts.Timeout, _ = time.ParseDuration(fc.PolicyTimeout) // checked when the file was read
		}
	}
	for _, p := range c.StringSlice("policy") {
		abs, err := filepath.Abs(p)
		if err != nil {
			return opts, fmt.Errorf("--policy: %w", err)
		}
		opts.Policies = append(opts.Policies, abs)
	}
	for _, p := range c.StringSlice("data") {
		abs, err := filepath.Abs(p)
		if err != nil {
			return opts, fmt.Errorf("--data: %w", err)
		}
		opts.Data = append(opts.Data, abs)
	}
	if c.IsSet("rego-version") {
		opts.RegoVersion = c.String("rego-version")
	}
	if c.IsSet("policy-timeout") {
		opts.Timeout = c.Duration("policy-timeout")
	}
	return opts, nil
}

// catalogue is rules.All plus the policy rules, and the policies' load
// problems (OOM902) for lint.Config.Extra. Without policies it loads no OPA
// machinery at all.
func catalogue(c *cli.Context, fc *lint.FileConfig, wd string) ([]*lint.Rule, []lint.Finding, error) {
	all, problems, err := loadCatalogue(c, fc, wd)
	if err == nil && fc != nil {
		// A rule the config file names that does not exist, at its line.
		err = fc.CheckRules(all)
	}
	return all, problems, err
}

func loadCatalogue(c *cli.Context, fc *lint.FileConfig, wd string) ([]*lint.Rule, []lint.Finding, error) {
	opts, err := policyOptions(c, fc, wd)
	if err != nil || len(opts.Policies) == 0 {
		return rules.All, nil, err
	}
	prs, problems, err := policy.Load(c.Context, opts)
	if err != nil {
		return nil, nil, err // a missing directory or a bad --rego-version: exit 2
	}
	if err := lint.ValidateUser(rules.All, prs); err != nil {
		return nil, nil, fmt.Errorf("policy: %w", err) // Load reports and skips bad IDs, so this is a bug
	}
	return append(slices.Clone(rules.All), prs...), problems, nil
}

// policyCommand is `oomlint policy test [DIR...]`.
func policyCommand() *cli.Command {
	return &cli.Command{
		Name: "policy", Usage: "work with Rego policies",
		Subcommands: []*cli.Command{{
			Name: "test", Usage: "run the Rego unit tests (test_* rules in _test.rego files), like opa test", ArgsUsage: "[DIR...]",
			Flags: []cli.Flag{
				&cli.StringSliceFlag{Name: "data", Usage: "`DIR` or file of data documents (repeatable)"},
				&cli.StringFlag{Name: "rego-version", Usage: "v1 or v0", DefaultText: "v1"},
				&cli.StringFlag{Name: "run", Aliases: []string{"r"}, Usage: "only tests whose name matches `REGEX`"},
				&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "list every test, with print output"},
				&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "config `FILE`"},
			},
			Action: func(c *cli.Context) error {
				wd, err := os.Getwd()
				if err != nil {
					return err
				}
				fc, err := loadConfig(c.String("config"), wd, c.Args().Slice())
				if err != nil {
					return err
				}
				opts := policy.TestOptions{Paths: c.Args().Slice(), Data: c.StringSlice("data"), WorkDir: wd,
					RegoVersion: c.String("rego-version"), Run: c.String("run"), Verbose: c.Bool("verbose")}
				if fc != nil {
					if len(opts.Paths) == 0 {
						for _, p := range fc.Policies {
							opts.Paths = append(opts.Paths, fc.Abs(p))
						}
					}
					if len(opts.Data) == 0 {
						for _, p := range fc.PolicyData {
							opts.Data = append(opts.Data, fc.Abs(p))
						}
					}
					if !c.IsSet("rego-version") {
						opts.RegoVersion = fc.RegoVersion
					}
				}
				switch policy.RunTests(c.Context, opts, c.App.Writer, c.App.ErrWriter) {
				case policy.TestsPassed:
					return nil
				case policy.TestsFailed:
					return errFindings // exit 1, as conftest verify
				}
				return errPoliciesBroken // exit 2; the problems are on stderr already
			},
		}},
	}
}

var errPoliciesBroken = errors.New("policy test: the policies or data did not load")

// cliCatalogue is the catalogue for rules and explain: the built-in rules
// and those of --policy / policies:.
func cliCatalogue(c *cli.Context) ([]*lint.Rule, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	fc, err := loadConfig(c.String("config"), wd, nil)
	if err != nil {
		return nil, err
	}
	all, _, err := catalogue(c, fc, wd)
	return all, err
}
