package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// contractManifest is a clean Deployment: every flag runs against it.
const contractManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: example/api:1.0
          resources:
            requests:
              memory: 256Mi
            limits:
              memory: 256Mi
`

// contractFixture writes a tiny repository into a temporary directory,
// moves there, and returns a valid value for every value-taking flag name.
func contractFixture(t *testing.T) map[string]string {
	t.Helper()
	policies, err := filepath.Abs(filepath.Join("..", "..", "examples", "policies"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	writeTestFile(t, filepath.Join(dir, "app.yaml"), contractManifest)
	writeTestFile(t, filepath.Join(dir, "values.yaml"), "memory: 256Mi\n")
	writeTestFile(t, filepath.Join(dir, "config.yaml"), "failOn: warning\n")
	writeTestFile(t, filepath.Join(dir, "data", "limits.yaml"), "limits: {}\n")
	writeTestFile(t, filepath.Join(dir, "helm", "repositories.yaml"), "apiVersion: \"\"\nrepositories: []\n")
	writeTestFile(t, filepath.Join(dir, "helm", "config.json"), "{}\n")
	writeTriageDumps(t, filepath.Join(dir, "triage"), ".out")
	if err := os.MkdirAll(filepath.Join(dir, "cache"), 0o755); err != nil {
		t.Fatal(err)
	}
	if r := oomlint(t, nil, "--write-baseline", "baseline.json", "app.yaml"); r.code != exitOK {
		t.Fatalf("writing the baseline: exit %d, stderr %s", r.code, r.stderr)
	}
	return map[string]string{
		"format":            "json",
		"output":            "out.json",
		"sarif-category":    "oomlint",
		"baseline":          "baseline.json",
		"write-baseline":    "new-baseline.json",
		"only-files":        "app.yaml",
		"fail-on":           "error",
		"enable":            "OOM101",
		"disable":           "OOM108",
		"namespace":         "prod",
		"jobs":              "2",
		"config":            "config.yaml",
		"color":             "never",
		"values":            "values.yaml",
		"kube-version":      "v1.30.0",
		"render-timeout":    "20s",
		"chart-cache":       "cache",
		"policy":            policies,
		"data":              "data",
		"rego-version":      "v1",
		"policy-timeout":    "5s",
		"run":               "test_",
		"repository-config": filepath.Join("helm", "repositories.yaml"),
		"registry-config":   filepath.Join("helm", "config.json"),
		"dump":              filepath.Join("triage", "top.txt"),
		"vpa":               filepath.Join("triage", "vpa.out"),
		"top":               filepath.Join("triage", "top.txt"),
		"events":            filepath.Join("triage", "events.out"),
	}
}

// contractArgs are the positional arguments each command runs with.
func contractArgs(policies string) map[string][]string {
	return map[string][]string{
		"oomlint":     {"app.yaml"},
		"lint":        {"app.yaml"},
		"render":      {"app.yaml"},
		"explain":     {"OOM101"},
		"policy test": {policies},
		"charts pull": {"."},
		"charts refs": {"."},
		"charts list": nil,
		"rules":       nil,
		"version":     nil,
		"triage":      {filepath.Join("triage", "pods.out"), "app.yaml"},
	}
}

// command is one command of the tree with the words that run it.
type command struct {
	words []string
	flags []cli.Flag
}

// commandTree lists the root (lint without its name) and every command and
// subcommand, depth first.
func commandTree(app *cli.App) []command {
	all := []command{{words: nil, flags: app.Flags}}
	var walk func(prefix []string, cmds []*cli.Command)
	walk = func(prefix []string, cmds []*cli.Command) {
		for _, c := range cmds {
			if c.Hidden || c.Name == "help" {
				continue
			}
			words := append(slices.Clone(prefix), c.Name)
			all = append(all, command{words: words, flags: c.Flags})
			walk(words, c.Subcommands)
		}
	}
	walk(nil, app.Commands)
	return all
}

// TestFlagContract runs every flag of every command, by each of its names,
// with a valid value against a tiny fixture, before and after the
// command's arguments: none may be rejected as unknown, and the run must
// succeed (exit 0 or 1).
func TestFlagContract(t *testing.T) {
	values := contractFixture(t)
	commandArgs := contractArgs(values["policy"])
	app := newApp(nil, nil, nil)
	app.Setup()
	for _, cmd := range commandTree(app) {
		name := strings.Join(cmd.words, " ")
		if name == "" {
			name = "oomlint"
		}
		if len(cmd.flags) == 0 {
			continue
		}
		args, ok := commandArgs[name]
		if !ok {
			t.Errorf("%s: no arguments to run it with; add it to contractArgs", name)
			continue
		}
		for _, f := range cmd.flags {
			_, isBool := f.(*cli.BoolFlag)
			value, known := values[f.Names()[0]]
			if !isBool && !known {
				t.Errorf("%s --%s: no valid value; add one to contractFixture", name, f.Names()[0])
				continue
			}
			for _, n := range f.Names() {
				flag := []string{dashes(n) + n}
				if !isBool {
					flag = append(flag, value)
				}
				for _, line := range [][]string{
					concat(cmd.words, flag, args),
					concat(cmd.words, args, flag),
				} {
					r := oomlint(t, nil, line...)
					if r.code != exitOK && r.code != exitFindings || unknownFlag.MatchString(r.stderr) {
						t.Errorf("oomlint %s: exit %d, stderr %s", strings.Join(line, " "), r.code, r.stderr)
					}
				}
			}
		}
	}
}

// TestFlagsBeforeCommand checks that a flag given before a command is the
// command's, and one it lacks is a clear error, never a path.
func TestFlagsBeforeCommand(t *testing.T) {
	values := contractFixture(t)
	if r := oomlint(t, nil, "-f", "json", "rules"); r.code != exitOK || !strings.HasPrefix(r.stdout, "{") {
		t.Errorf("-f json rules: exit %d, stdout %.80q, stderr %s", r.code, r.stdout, r.stderr)
	}
	if r := oomlint(t, nil, "--policy", values["policy"], "rules"); r.code != exitOK || !strings.Contains(r.stdout, "ACME-") {
		t.Errorf("--policy DIR rules: exit %d, stderr %s", r.code, r.stderr)
	}
	r := oomlint(t, nil, "--baseline", "baseline.json", "rules")
	checkStreams(t, r)
	if r.code != exitUsage || !strings.Contains(r.stderr, "rules: unknown flag --baseline") {
		t.Errorf("--baseline before rules: exit %d, stderr %s", r.code, r.stderr)
	}
}

// TestFlagsDocumented keeps README.md's flag table and lint's flags in
// step: every flag in the table exists, and every flag is in the table.
func TestFlagsDocumented(t *testing.T) {
	checkFlagTable(t, "README.md", "### Flags", "lint", lintFlags())
}

// checkFlagTable checks the flag table under heading in doc (relative to
// the module root) against a command's flags, both ways.
func checkFlagTable(t *testing.T, doc, heading, command string, flags []cli.Flag) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(doc)))
	if err != nil {
		t.Fatal(err)
	}
	level, _, _ := strings.Cut(heading, " ")
	_, section, _ := strings.Cut(string(data), "\n"+heading+"\n")
	section, _, _ = strings.Cut(section, "\n"+level+" ")
	documented := map[string]bool{}
	for line := range strings.SplitSeq(section, "\n") {
		cell, ok := strings.CutPrefix(line, "| `")
		if !ok {
			continue
		}
		cell, _, _ = strings.Cut(cell, " |")
		for _, m := range tableFlag.FindAllStringSubmatch(cell, -1) {
			documented[m[1]] = true
		}
	}
	if len(documented) == 0 {
		t.Fatalf("no flags found under %s in %s", heading, doc)
	}
	defined := map[string]bool{}
	for _, f := range flags {
		for _, n := range f.Names() {
			defined[n] = true
		}
		if !documented[f.Names()[0]] {
			t.Errorf("--%s is not in %s's flag table", f.Names()[0], doc)
		}
	}
	for n := range documented {
		if !defined[n] {
			t.Errorf("%s documents %s%s, which %s does not have", doc, dashes(n), n, command)
		}
	}
}

// tableFlag matches a flag name in the first column of the flag table.
var tableFlag = regexp.MustCompile("`?--?([a-z][a-z0-9-]*)")

// unknownFlag matches the errors of a flag a command does not define.
var unknownFlag = regexp.MustCompile(`unknown flag|flag provided but not defined`)

func dashes(name string) string {
	if len(name) == 1 {
		return "-"
	}
	return "--"
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
