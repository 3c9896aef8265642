package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/oomlint/oomlint/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// result is what one in-process run of oomlint produced.
type result struct {
	code           int
	stdout, stderr string
}

// oomlint runs the command in the current directory with a fake environment.
func oomlint(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := run(t.Context(), append([]string{"oomlint"}, args...), &stdout, &stderr, getenv)
	return result{code, stdout.String(), stderr.String()}
}

// checkStreams enforces the contract of every run: an error (exit 2) is
// exactly one line on stderr, prefixed "oomlint: ", with nothing on stdout
// (no help dumped); any other exit leaves stderr empty.
func checkStreams(t *testing.T, r result) {
	t.Helper()
	if r.code != exitUsage {
		if r.stderr != "" {
			t.Errorf("exit %d with stderr %q, want none", r.code, r.stderr)
		}
		return
	}
	if !strings.HasPrefix(r.stderr, "oomlint: ") || !strings.HasSuffix(r.stderr, "\n") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("stderr = %q, want one line starting with \"oomlint: \"", r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("exit 2 with stdout:\n%s", r.stdout)
	}
}

// checkGolden compares got with the golden file at path, or rewrites it with -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/oomlint -update creates it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("stdout differs from %s (-want +got; -update rewrites it):\n%s", path, diff)
	}
}

// chdir moves into testdata/dir for the rest of the test: paths in the
// output are relative to the working directory, as for a user.
func chdir(t *testing.T, dir string) {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("testdata", dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(abs)
}

func TestCLI(t *testing.T) {
	goldenDir, err := filepath.Abs(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	validJSON := func(t *testing.T, stdout string) {
		t.Helper()
		var doc struct {
			Version  int
			Findings []struct{ Rule string }
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil || doc.Version != 1 || len(doc.Findings) == 0 {
			t.Errorf("not a JSON report with findings (%v):\n%s", err, stdout)
		}
	}
	var allIDs []string
	for _, r := range rules.All {
		allIDs = append(allIDs, r.ID+" ")
	}

	tests := []struct {
		name     string
		dir      string // working directory under testdata; "" is testdata
		env      map[string]string
		args     []string
		wantExit int
		golden   string                            // stdout compared with testdata/golden/<golden>
		stdout   []string                          // substrings stdout must contain
		not      []string                          // substrings stdout must not contain
		stderr   string                            // substring of the one stderr line (exit 2)
		check    func(t *testing.T, stdout string) // anything else about stdout
		skip     string                            // known bug: why the case is skipped
	}{
		// Lint and --fail-on.
		{name: "default lint", args: []string{"findings"}, wantExit: 1, golden: "findings.golden"},
		{name: "lint spelled out", args: []string{"lint", "findings"}, wantExit: 1, golden: "findings.golden"},
		{name: "clean", args: []string{"clean"}, wantExit: 0, stdout: []string{"0 errors, 0 warnings, 0 info in 1 file, 1 object\n"}},
		{name: "default path is .", dir: "clean", wantExit: 0, stdout: []string{"in 1 file, 1 object"}},
		{name: "default fail-on is warning", args: []string{"warn"}, wantExit: 1},
		{name: "info is below warning", args: []string{"info"}, wantExit: 0, stdout: []string{"OOM104"}},
		{name: "fail-on error with errors", args: []string{"--fail-on", "error", "findings"}, wantExit: 1},
		{name: "fail-on error with warnings", args: []string{"--fail-on", "error", "warn"}, wantExit: 0},
		{name: "fail-on warning", args: []string{"--fail-on=warning", "warn"}, wantExit: 1},
		{name: "fail-on info", args: []string{"--fail-on", "info", "info"}, wantExit: 1},
		{name: "fail-on none", args: []string{"--fail-on", "none", "findings"}, wantExit: 0, stdout: []string{"OOM107"}},
		{name: "fail-on invalid", args: []string{"--fail-on", "fatal", "findings"}, wantExit: 2, stderr: `--fail-on: unknown value "fatal" (valid: error, warning, info, none)`},

		// Flag placement.
		{name: "flags after paths", args: []string{"findings", "--format", "json"}, wantExit: 1, check: validJSON},
		{name: "flags between paths", args: []string{"clean", "-q", "warn", "--fail-on=error"}, wantExit: 0, stdout: []string{"warn/app.yaml"}, not: []string{"in 2 files"}},
		{name: "short flags with values", args: []string{"-j", "4", "findings", "-f", "json"}, wantExit: 1, check: validJSON},
		{name: "jobs with =", args: []string{"--jobs=8", "findings"}, wantExit: 1},
		{name: "after -- everything is a path", args: []string{"clean", "--", "--format"}, wantExit: 2, stderr: "--format: no such file or directory"},
		{name: "a path named like a command", args: []string{"--", "rules"}, wantExit: 2, stderr: "rules: no such file or directory"},
		{name: "flag value missing at the end", args: []string{"findings", "--format"}, wantExit: 2, stderr: "flag needs an argument: --format"},
		{name: "bad int", args: []string{"-j", "many", "findings"}, wantExit: 2, stderr: `invalid value "many" for flag -j`},

		// Usage errors.
		{name: "format json", args: []string{"--format", "json", "findings"}, wantExit: 1, check: validJSON},
		{name: "unknown format", args: []string{"--format", "xml", "findings"}, wantExit: 2, stderr: `--format: unknown format "xml" (valid: checkstyle, github, json, junit, sarif, text)`},
		{name: "unknown flag", args: []string{"--bogus", "findings"}, wantExit: 2, stderr: "unknown flag: --bogus"},
		{name: "unknown flag after path", args: []string{"findings", "--bogus"}, wantExit: 2, stderr: "unknown flag: --bogus"},
		{name: "unknown flag on rules", args: []string{"rules", "--bogus"}, wantExit: 2, stderr: "unknown flag: --bogus"},
		{name: "unknown flag on version", args: []string{"version", "--bogus"}, wantExit: 2, stderr: "unknown flag: --bogus"},
		{name: "missing path", args: []string{"nope"}, wantExit: 2, stderr: "nope: no such file or directory"},
		{name: "path through a file", args: []string{"clean/app.yaml/x"}, wantExit: 2, stderr: "clean/app.yaml/x: not a directory"},

		// Config.
		{name: "config unknown key", args: []string{"--config", "config/unknown-key.yaml", "clean"}, wantExit: 2, stderr: `config/unknown-key.yaml:3: unknown key "x"`},
		{
			name: "config nested unknown key", args: []string{"--config", "config/nested-key.yaml", "clean"}, wantExit: 2, stderr: `config/nested-key.yaml:3: unknown key "x"`,
		},
		{name: "config bad severity", args: []string{"--config", "config/bad-severity.yaml", "clean"}, wantExit: 2, stderr: `config/bad-severity.yaml:3: rules.severity.OOM101: unknown severity "fatal"`},
		{name: "config bad minMemory", args: []string{"--config", "config/bad-minmemory.yaml", "clean"}, wantExit: 2, stderr: `config/bad-minmemory.yaml:3: settings.minMemory "lots" is not a quantity`},
		{name: "config missing", args: []string{"--config", "config/none.yaml", "clean"}, wantExit: 2, stderr: "config/none.yaml: no such file or directory"},
		{name: "config file", args: []string{"--config", "config/error-only.yaml", "findings"}, wantExit: 0, stdout: []string{"OOM101", "OOM104"}, not: []string{"OOM107"}},
		{name: "config flag beats failOn", args: []string{"--config", "config/error-only.yaml", "--fail-on", "info", "findings"}, wantExit: 1},
		{name: "config in first path", args: []string{"withconfig"}, wantExit: 0, not: []string{"OOM101"}},
		{name: "config in working dir", dir: "withconfig", wantExit: 0, not: []string{"OOM101"}},
		{name: "--config replaces the found one", args: []string{"--config", "config/defaults.yaml", "withconfig"}, wantExit: 1, stdout: []string{"OOM101"}},
		{name: "bad config in first path", args: []string{"badconfig"}, wantExit: 2, stderr: `badconfig/.oomlint.yaml:3: unknown key "colour"`},

		// Rule selection.
		{name: "disable by ID", args: []string{"--disable", "OOM107", "findings"}, wantExit: 1, not: []string{"OOM107"}, stdout: []string{"OOM101"}},
		{name: "disable by name", args: []string{"--disable", "memory-limit-missing", "warn"}, wantExit: 0, not: []string{"OOM101"}},
		{name: "disable by glob", args: []string{"--disable", "OOM10*", "findings"}, wantExit: 0, stdout: []string{"0 errors, 0 warnings, 0 info"}},
		{name: "disable comma list", args: []string{"--disable", "OOM107,OOM101", "--disable", "OOM104", "findings"}, wantExit: 0, not: []string{"OOM1"}},
		{name: "disable unknown rule", args: []string{"--disable", "memory-leak", "findings"}, wantExit: 2, stderr: `unknown rule "memory-leak"`},
		{name: "enable by ID, name and glob", args: []string{"--enable", "OOM101", "--enable", "memory-millibytes", "--enable", "OOM10*", "findings"}, wantExit: 1},
		{name: "enable unknown rule", args: []string{"--enable", "OOM999", "findings"}, wantExit: 2, stderr: `unknown rule "OOM999"`},

		// Output options.
		{name: "namespace default", args: []string{"findings"}, wantExit: 1, stdout: []string{"Deployment default/api"}},
		{name: "namespace flag", args: []string{"--namespace", "team-a", "findings"}, wantExit: 1, stdout: []string{"Deployment team-a/api", "Pod team-a/batch"}, not: []string{"default/"}},
		{name: "quiet", args: []string{"--quiet", "findings"}, wantExit: 1, stdout: []string{"OOM107"}, not: []string{"in 1 file"}},
		{name: "no-color", args: []string{"--no-color", "findings"}, wantExit: 1, not: []string{"\x1b["}},
		{name: "NO_COLOR", env: map[string]string{"NO_COLOR": "1"}, args: []string{"findings"}, wantExit: 1, not: []string{"\x1b["}},
		{name: "not a terminal", args: []string{"findings"}, wantExit: 1, not: []string{"\x1b["}},

		// Other commands.
		{name: "rules", args: []string{"rules"}, stdout: append([]string{"ID  ", "NAME  ", "SEVERITY  ", "SUMMARY\n"}, allIDs...), check: aligned},
		{name: "rules markdown", args: []string{"rules", "--format", "markdown"}, stdout: []string{"| ID | name | severity | since | summary |", "## OOM107 memory-millibytes", "```yaml"}},
		{name: "rules json", args: []string{"rules", "--format", "json"}, check: rulesMetadata},
		{name: "rules unknown format", args: []string{"rules", "--format", "html"}, wantExit: 2, stderr: `unknown format "html" (valid: text, markdown, json)`},
		{name: "rules extra argument", args: []string{"rules", "OOM107"}, wantExit: 2, stderr: "rules takes no arguments"},
		{name: "explain ID", args: []string{"explain", "OOM107"}, stdout: explainOOM107},
		{name: "explain lower-case ID", args: []string{"explain", "oom107"}, stdout: explainOOM107},
		{name: "explain name", args: []string{"explain", "memory-millibytes"}, stdout: explainOOM107},
		{name: "explain unknown", args: []string{"explain", "NOPE"}, wantExit: 2, stderr: `explain: unknown rule "NOPE"`},
		{name: "explain nothing", args: []string{"explain"}, wantExit: 2, stderr: "explain takes one rule ID or name"},
		{name: "explain two", args: []string{"explain", "OOM107", "OOM108"}, wantExit: 2, stderr: "explain takes one rule ID or name"},
		{name: "version", args: []string{"version"}, stdout: []string{"oomlint "}, check: oneLine},
		{name: "help", args: []string{"help"}, stdout: []string{"USAGE:", "oomlint explain ID|NAME"}},
		{name: "--help", args: []string{"--help"}, stdout: []string{"USAGE:", "--fail-on"}},
		{name: "help lint", args: []string{"help", "lint"}, stdout: []string{"oomlint lint", "--fail-on"}},
		{name: "help unknown", args: []string{"help", "nope"}, wantExit: 2, stderr: `help: unknown command "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip != "" {
				t.Skip(tt.skip)
			}
			chdir(t, tt.dir)
			r := oomlint(t, tt.env, tt.args...)
			if r.code != tt.wantExit {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantExit, r.stdout, r.stderr)
			}
			checkStreams(t, r)
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", r.stderr, tt.stderr)
			}
			if tt.golden != "" {
				checkGolden(t, filepath.Join(goldenDir, tt.golden), r.stdout)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout has no %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(r.stdout, s) {
					t.Errorf("stdout has %q:\n%s", s, r.stdout)
				}
			}
			if tt.check != nil {
				tt.check(t, r.stdout)
			}
		})
	}
}

// explainOOM107 is what `oomlint explain` must show: the doc, the fix and
// the example before and after.
var explainOOM107 = []string{"OOM107 memory-millibytes (error, since 0.1.0)", "0.512 bytes", "Fix: ", "Fires on:", "memory: 512m\n", "Fixed:", "memory: 512Mi\n"}

// aligned checks that every row of a table starts its columns where the
// header's do.
func aligned(t *testing.T, stdout string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	var cols []int
	for _, h := range []string{"NAME", "SEVERITY", "SUMMARY"} {
		cols = append(cols, strings.Index(lines[0], h))
	}
	for _, l := range lines[1:] {
		for _, c := range cols {
			if len(l) <= c || l[c-1] != ' ' || l[c] == ' ' {
				t.Errorf("row not aligned with the header at column %d:\n%s\n%s", c, lines[0], l)
				break
			}
		}
	}
}

// rulesMetadata checks that `rules --format json` carries every rule's
// family, precision and since.
func rulesMetadata(t *testing.T, stdout string) {
	t.Helper()
	var doc struct {
		Rules []struct{ ID, Family, Precision, Since string }
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("rules --format json: %v\n%s", err, stdout)
	}
	if len(doc.Rules) != len(rules.All) {
		t.Errorf("%d rules, want %d", len(doc.Rules), len(rules.All))
	}
	for i, r := range doc.Rules {
		if i >= len(rules.All) {
			break
		}
		want := rules.All[i]
		if r.ID != want.ID || r.Family != want.Family || r.Precision != want.Precision.String() || r.Since != want.Since || r.Since == "" {
			t.Errorf("rule %d: %+v, want %s family %q precision %s since %q", i, r, want.ID, want.Family, want.Precision, want.Since)
		}
	}
}

func oneLine(t *testing.T, stdout string) {
	t.Helper()
	if strings.Count(stdout, "\n") != 1 || !strings.HasSuffix(stdout, "\n") {
		t.Errorf("want one line, got %q", stdout)
	}
}

func TestOutputFile(t *testing.T) {
	chdir(t, "")
	dir := t.TempDir()

	out := filepath.Join(dir, "report.json")
	r := oomlint(t, nil, "findings", "--output", out, "--format", "json")
	checkStreams(t, r)
	if r.code != exitFindings || r.stdout != "" {
		t.Errorf("exit %d, stdout %q; want 1 and nothing on stdout", r.code, r.stdout)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(data) || !bytes.Contains(data, []byte(`"OOM107"`)) {
		t.Errorf("%s is not the JSON report:\n%s", out, data)
	}

	// The file is never coloured, and "-" is standard output.
	text := filepath.Join(dir, "report.txt")
	if r := oomlint(t, nil, "-o", text, "findings"); r.code != exitFindings {
		t.Errorf("exit %d, want 1: %s", r.code, r.stderr)
	}
	if data, _ := os.ReadFile(text); bytes.Contains(data, []byte("\x1b[")) || !bytes.Contains(data, []byte("OOM107")) {
		t.Errorf("text report file:\n%s", data)
	}
	if r := oomlint(t, nil, "-o", "-", "findings"); !strings.Contains(r.stdout, "OOM107") {
		t.Errorf("-o - wrote nothing to stdout")
	}
	// A path may hold a comma: it is one file, not two.
	comma := filepath.Join(dir, "a,b.sarif")
	if r := oomlint(t, nil, "--output", "sarif="+comma, "findings"); r.code != exitFindings {
		t.Errorf("--output with a comma in the path: exit %d: %s", r.code, r.stderr)
	}
	if data, err := os.ReadFile(comma); err != nil || !bytes.Contains(data, []byte("OOM107")) {
		t.Errorf("%s: %v", comma, err)
	}
	// Rule lists still split at commas.
	if r := oomlint(t, nil, "--disable", "OOM107,OOM101", "findings"); strings.Contains(r.stdout, "OOM107") {
		t.Errorf("--disable OOM107,OOM101 still reports OOM107:\n%s", r.stdout)
	}

	for _, bad := range []string{filepath.Join(dir, "missing", "report.json"), dir} {
		r := oomlint(t, nil, "--output", bad, "findings")
		checkStreams(t, r)
		if r.code != exitUsage || !strings.HasPrefix(r.stderr, "oomlint: --output: ") {
			t.Errorf("--output %s: exit %d, stderr %q; want 2 and an --output error", bad, r.code, r.stderr)
		}
	}
}

// TestUnreadableFile needs permissions to stop a read, which they do not
// for root; "path through a file" in TestCLI covers an unreadable path
// argument for every user.
func TestUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: file permissions do not stop reads")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "secret.yaml")
	if err := os.WriteFile(path, []byte("kind: Pod\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	r := oomlint(t, nil, path)
	checkStreams(t, r)
	if r.code != exitUsage || !strings.Contains(r.stderr, "permission denied") {
		t.Errorf("exit %d, stderr %q; want 2 and permission denied", r.code, r.stderr)
	}
}

func TestUseColor(t *testing.T) {
	tests := []struct {
		name     string
		mode     string
		env      map[string]string
		terminal bool
		want     bool
	}{
		{"terminal", colorAuto, nil, true, true},
		{"not a terminal", colorAuto, nil, false, false},
		{"--no-color", colorNever, nil, true, false},
		{"--color never", colorNever, map[string]string{"FORCE_COLOR": "1"}, true, false},
		{"--color always", colorAlways, map[string]string{"NO_COLOR": "1"}, false, true},
		{"NO_COLOR", colorAuto, map[string]string{"NO_COLOR": "1"}, true, false},
		{"NO_COLOR empty", colorAuto, map[string]string{"NO_COLOR": ""}, true, true},
		{"TERM=dumb", colorAuto, map[string]string{"TERM": "dumb"}, true, false},
		{"FORCE_COLOR in CI", colorAuto, map[string]string{"FORCE_COLOR": "1"}, false, true},
		{"FORCE_COLOR=0", colorAuto, map[string]string{"FORCE_COLOR": "0"}, false, false},
	}
	for _, tt := range tests {
		getenv := func(k string) string { return tt.env[k] }
		if got := useColor(tt.mode, getenv, tt.terminal); got != tt.want {
			t.Errorf("%s: useColor = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNormalizeArgs(t *testing.T) {
	tests := []struct {
		in, want []string
	}{
		{nil, nil},
		{[]string{"."}, []string{"lint", "--", "."}},
		{[]string{"a", "--format", "json", "b"}, []string{"lint", "--format", "json", "--", "a", "b"}},
		{[]string{"a", "--format=json", "-q", "-j", "4"}, []string{"lint", "--format=json", "-q", "-j", "4", "--", "a"}},
		{[]string{"a", "--", "-b", "--"}, []string{"lint", "--", "a", "-b", "--"}},
		{[]string{"lint", "a", "-n", "prod"}, []string{"lint", "-n", "prod", "--", "a"}},
		{[]string{"explain", "OOM107", "--bogus"}, []string{"explain", "--bogus", "--", "OOM107"}},
		{[]string{"rules", "--format", "markdown"}, []string{"rules", "--format", "markdown"}},
		{[]string{"--help"}, []string{"--help"}},
		{[]string{"help"}, []string{"--help"}},
		{[]string{"help", "rules"}, []string{"rules", "--help"}},
		{[]string{"-f", "json", "rules"}, []string{"rules", "-f", "json"}},
		{[]string{"--policy", "p", "rules", "-c", "x"}, []string{"rules", "--policy", "p", "-c", "x"}},
		{[]string{"--verbose", "policy", "test", "d"}, []string{"policy", "test", "--verbose", "--", "d"}},
		{[]string{"policy", "test", "d", "-v", "--run", "x", "--data", "e", "-c", "f"}, []string{"policy", "test", "-v", "--run", "x", "--data", "e", "-c", "f", "--", "d"}},
		{[]string{"-f", "json", "--", "rules"}, []string{"lint", "-f", "json", "--", "rules"}},
		{[]string{"-"}, []string{"lint", "--", "-"}},
		{[]string{"--only-files", "a.yaml", "version"}, []string{"lint", "--only-files=a.yaml", "--only-files=version"}},
		{[]string{"--only-files", "a.yaml", "b.yaml"}, []string{"lint", "--only-files=a.yaml", "--only-files=b.yaml"}},
		{[]string{"--only-files", "a.yaml", "testdata", "b.yaml"}, []string{"lint", "--only-files=a.yaml", "--only-files=b.yaml", "--", "testdata"}},
	}
	for _, tt := range tests {
		app := newApp(nil, nil, nil)
		app.Setup()
		got, err := normalizeArgs(app, append([]string{"oomlint"}, tt.in...))
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(append([]string{"oomlint"}, tt.want...), got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.in, diff)
		}
	}
}
