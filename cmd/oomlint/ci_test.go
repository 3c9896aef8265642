package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec" //nolint:depguard // TestAction runs the action's bash script, as the runner would
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// asMainEnv makes the test binary behave as oomlint itself, so TestAction
// can run the action's script against it without building oomlint.
const asMainEnv = "OOMLINT_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		stdin = os.Stdin                                                             //nolint:forbidigo // the test binary stands in for main
		os.Exit(run(context.Background(), os.Args, os.Stdout, os.Stderr, os.Getenv)) //nolint:forbidigo // the test binary stands in for main
	}
	os.Exit(m.Run()) //nolint:forbidigo // TestMain must exit with the tests' status
}

// repoRoot is the root of this repository (cmd/oomlint/../..).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

type sarifURIs struct {
	Runs []struct {
		AutomationDetails *struct{ ID string } `json:"automationDetails"`
		Results           []struct {
			RuleID    string `json:"ruleId"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI string } `json:"artifactLocation"`
				} `json:"physicalLocation"`
			} `json:"locations"`
		} `json:"results"`
	} `json:"runs"`
}

func readSARIF(t *testing.T, path string) ([]string, *sarifURIs) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var log sarifURIs
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var uris []string
	for _, r := range log.Runs[0].Results {
		uris = append(uris, r.RuleID+" "+r.Locations[0].PhysicalLocation.ArtifactLocation.URI)
	}
	return uris, &log
}

// TestOutputs: one run writes several reports; SARIF and annotation paths
// are relative to the repository root wherever oomlint runs.
func TestOutputs(t *testing.T) {
	dir := t.TempDir()
	sarif, junit, summary := filepath.Join(dir, "o.sarif"), filepath.Join(dir, "j.xml"), filepath.Join(dir, "summary.md")
	sub, err := filepath.Abs(filepath.Join("testdata", "findings"))
	if err != nil {
		t.Fatal(err)
	}
	chdir(t, "")
	env := map[string]string{"GITHUB_STEP_SUMMARY": summary}
	r := oomlint(t, env, "--output", "sarif="+sarif, "--output", "junit="+junit, "--output", "github=-", "findings")
	checkStreams(t, r)
	if r.code != exitFindings {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "::group::oomlint: ") ||
		!strings.Contains(r.stdout, "::error file=cmd/oomlint/testdata/findings/app.yaml,line=20,") {
		t.Errorf("stdout is not the github report with repository paths:\n%s", r.stdout)
	}
	fromRoot, _ := readSARIF(t, sarif)
	if len(fromRoot) == 0 || !strings.HasSuffix(fromRoot[0], " cmd/oomlint/testdata/findings/app.yaml") {
		t.Errorf("SARIF URIs %v, want them relative to the repository root", fromRoot)
	}
	if data, _ := os.ReadFile(junit); !bytes.Contains(data, []byte(`<testsuite name="cmd/oomlint/testdata/findings/app.yaml"`)) {
		t.Errorf("junit report:\n%s", data)
	}
	if data, _ := os.ReadFile(summary); !bytes.Contains(data, []byte("| error | OOM107 memory-millibytes | `cmd/oomlint/testdata/findings/app.yaml:20` |")) {
		t.Errorf("step summary:\n%s", data)
	}

	// From the subdirectory: the same URIs, and text on stdout by default.
	t.Chdir(sub)
	r = oomlint(t, nil, "--output", "sarif="+sarif, "--sarif-category", "k8s", ".")
	if r.code != exitFindings || !strings.Contains(r.stdout, "app.yaml:20:") {
		t.Errorf("exit %d, stdout:\n%s", r.code, r.stdout)
	}
	fromSub, log := readSARIF(t, sarif)
	if diff := cmp.Diff(fromRoot, fromSub); diff != "" {
		t.Errorf("SARIF from the root and from a subdirectory differ (-root +sub):\n%s", diff)
	}
	if ad := log.Runs[0].AutomationDetails; ad == nil || ad.ID != "k8s/" {
		t.Errorf("automationDetails = %+v, want k8s/", ad)
	}
}

func TestOutputErrors(t *testing.T) {
	chdir(t, "")
	dir := t.TempDir()
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"--output", "xml=" + filepath.Join(dir, "x")}, `--output: unknown format "xml"`},
		{[]string{"--output", "sarif="}, "no file after ="},
		{[]string{"--output", "github=-", "--output", "json=-"}, "more than one report to standard output"},
		{[]string{"--baseline", filepath.Join(dir, "missing.json")}, "--baseline: open "},
	}
	for _, tt := range tests {
		r := oomlint(t, nil, append(tt.args, "findings")...)
		checkStreams(t, r)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, r.code, r.stderr, tt.stderr)
		}
	}
}

func TestParseOutputs(t *testing.T) {
	tests := []struct {
		format string
		values []string
		want   []string // format:file
	}{
		{"text", nil, []string{"text:-"}},
		{"json", []string{"out.json"}, []string{"json:out.json"}},
		{"text", []string{"sarif=o.sarif"}, []string{"text:-", "sarif:o.sarif"}},
		{"text", []string{"sarif=o.sarif", "github=-"}, []string{"sarif:o.sarif", "github:-"}},
		{"json", []string{"dir/a=b.json"}, []string{"json:dir/a=b.json"}},
		{"text", []string{"report.txt", "sarif=o.sarif"}, []string{"text:report.txt", "sarif:o.sarif"}},
	}
	for _, tt := range tests {
		outs, err := parseOutputs(tt.format, tt.values)
		if err != nil {
			t.Errorf("%v: %v", tt.values, err)
			continue
		}
		var got []string
		for _, o := range outs {
			got = append(got, o.format+":"+o.file)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseOutputs(%q, %q) (-want +got):\n%s", tt.format, tt.values, diff)
		}
	}
}

// writeRepo writes files into a new directory and moves there.
func writeRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	return dir
}

const (
	jvmApp = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: team
spec:
  template:
    spec:
      containers:
        - name: api
          image: eclipse-temurin:21
          env:
            - name: JAVA_TOOL_OPTIONS
              value: "-Xmx2g"
`
	limitRange = `apiVersion: v1
kind: LimitRange
metadata:
  name: mem
  namespace: team
spec:
  limits:
    - type: Container
      default:
        memory: 1Gi
      defaultRequest:
        memory: 512Mi
`
	lonelyPod = `apiVersion: v1
kind: Pod
metadata:
  name: lonely
  namespace: other
spec:
  containers:
    - name: c
      image: busybox
`
)

// TestBaseline: a baseline hides today's findings even after lines move,
// counts them in the summary, and lets a new finding through.
func TestBaseline(t *testing.T) {
	dir := writeRepo(t, map[string]string{"app.yaml": jvmApp, "limits.yaml": limitRange, "pod.yaml": lonelyPod})
	r := oomlint(t, nil, "--write-baseline", "baseline.json", "-q", ".")
	checkStreams(t, r)
	if r.code != exitOK || !strings.Contains(r.stdout, "OOM201") {
		t.Fatalf("--write-baseline: exit %d, stdout:\n%s", r.code, r.stdout)
	}
	data, err := os.ReadFile(filepath.Join(dir, "baseline.json"))
	if err != nil || !bytes.Contains(data, []byte(`"rule": "OOM201"`)) {
		t.Fatalf("baseline %v:\n%s", err, data)
	}

	// Lines move: a comment block on top of every file.
	for _, name := range []string{"app.yaml", "pod.yaml"} {
		old, _ := os.ReadFile(name)
		if err := os.WriteFile(name, append([]byte("# moved\n# down\n# three lines\n"), old...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r = oomlint(t, nil, "--baseline", "baseline.json", ".")
	// baseline.json is not linted: 3 files.
	checkStreams(t, r)
	if r.code != exitOK || !strings.Contains(r.stdout, "0 errors, 0 warnings, 0 info in 3 files, 3 objects (3 baselined not shown)") {
		t.Errorf("after moving lines: exit %d, stdout:\n%s", r.code, r.stdout)
	}

	// A new mistake is reported.
	if err := os.WriteFile("pod2.yaml", []byte(strings.ReplaceAll(lonelyPod, "lonely", "second")), 0o644); err != nil {
		t.Fatal(err)
	}
	r = oomlint(t, nil, "--baseline", "baseline.json", ".")
	if r.code != exitFindings || !strings.Contains(r.stdout, "pod2.yaml") || strings.Contains(r.stdout, "pod.yaml:") {
		t.Errorf("new finding: exit %d, stdout:\n%s", r.code, r.stdout)
	}

	// Run from elsewhere with the same repository root: still baselined.
	if err := os.Mkdir(".git", 0o755); err != nil {
		t.Fatal(err)
	}
	r = oomlint(t, nil, "--write-baseline", "baseline.json", ".")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if err := os.Mkdir("sub", 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(dir, "sub"))
	r = oomlint(t, nil, "--baseline", "../baseline.json", "..")
	if r.code != exitOK || !strings.Contains(r.stdout, "(5 baselined not shown)") {
		t.Errorf("from a subdirectory: exit %d, stdout:\n%s", r.code, r.stdout)
	}

	if err := os.WriteFile("bad.json", []byte(`{"version": 9, "findings": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := oomlint(t, nil, "--baseline", "bad.json", ".."); r.code != exitUsage || !strings.Contains(r.stderr, "unsupported baseline version 9") {
		t.Errorf("bad baseline: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestOnlyFiles: the whole repository is linted, and a finding stays when
// its location or a related location is among the files: editing the
// LimitRange surfaces the Deployment it defaults.
func TestOnlyFiles(t *testing.T) {
	writeRepo(t, map[string]string{"app.yaml": jvmApp, "limits.yaml": limitRange, "pod.yaml": lonelyPod})
	tests := []struct {
		args      []string
		want, not []string
		code      int
	}{
		{[]string{"--only-files", "limits.yaml"}, []string{"app.yaml:14:22: error OOM201", "limits.yaml:10:"}, []string{"pod.yaml"}, exitFindings},
		{[]string{".", "--only-files", "pod.yaml", "--fail-on", "error"}, []string{"pod.yaml:8:7: warning OOM101"}, []string{"OOM201"}, exitOK},
		{[]string{"--only-files=pod.yaml"}, []string{"pod.yaml"}, []string{"OOM201"}, exitFindings},
		{[]string{"--only-files"}, []string{"0 errors, 0 warnings, 0 info in 3 files"}, []string{"OOM"}, exitOK},
		{[]string{"--only-files", "other.yaml"}, nil, []string{"OOM"}, exitUsage}, // a missing file is an error, as any path
	}
	for _, tt := range tests {
		r := oomlint(t, nil, append([]string{"lint"}, tt.args...)...)
		checkStreams(t, r)
		if r.code != tt.code {
			t.Errorf("%v: exit %d, want %d\n%s%s", tt.args, r.code, tt.code, r.stdout, r.stderr)
		}
		for _, s := range tt.want {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("%v: stdout lacks %q:\n%s", tt.args, s, r.stdout)
			}
		}
		for _, s := range tt.not {
			if strings.Contains(r.stdout, s) {
				t.Errorf("%v: stdout has %q:\n%s", tt.args, s, r.stdout)
			}
		}
	}
}

func TestNormalizeOnlyFiles(t *testing.T) {
	app := newApp(&bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" })
	app.Setup()
	tests := []struct{ in, want []string }{
		{[]string{"lint", "--only-files", "a.yaml", "b.yaml"},
			[]string{"lint", "--only-files=a.yaml", "--only-files=b.yaml"}},
		{[]string{"lint", "k8s", "--only-files", "--config", "c.yaml", "a.yaml"},
			[]string{"lint", "--config", "c.yaml", "--only-files=a.yaml", "--", "k8s"}},
		{[]string{"--only-files", "a.yaml", "--", "k8s"},
			[]string{"lint", "--only-files=a.yaml", "--", "k8s"}},
		{[]string{"lint", "--only-files"}, []string{"lint", "--only-files=" + noFiles}},
	}
	for _, tt := range tests {
		got, err := normalizeArgs(app, append([]string{"oomlint"}, tt.in...))
		if err != nil {
			t.Errorf("%v: %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(append([]string{"oomlint"}, tt.want...), got); diff != "" {
			t.Errorf("normalizeArgs(%v) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestVersionFrom(t *testing.T) {
	setting := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"go install", debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{"go install pseudo-version", debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261125120000-0123456789ab"}}, "v0.0.0-20261125120000-0123456789ab"},
		{"local build", debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: setting("vcs.revision", "0123456789abcdef0123", "vcs.modified", "false")}, "0123456789ab"},
		{"local build, dirty", debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: setting("vcs.revision", "0123456789abcdef0123", "vcs.modified", "true")}, "0123456789ab-dirty"},
		{"local build, Go 1.24+ pseudo-version", debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261125235027-a54734963ed9+dirty"},
			Settings: setting("vcs.revision", "a54734963ed9c7b60bc7", "vcs.modified", "true")}, "a54734963ed9-dirty"},
		{"local build at a tag", debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"},
			Settings: setting("vcs.revision", "a54734963ed9c7b60bc7", "vcs.modified", "false")}, "v1.2.3"},
		{"-buildvcs=false", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"no main version", debug.BuildInfo{}, "dev"},
	}
	for _, tt := range tests {
		if got := versionFrom(&tt.bi); got != tt.want {
			t.Errorf("%s: versionFrom = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestAction runs the action's script as the runner would, against
// examples/, with this test binary standing in for the built oomlint.
func TestAction(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	root := repoRoot(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	outputs, summary := filepath.Join(tmp, "outputs"), filepath.Join(tmp, "summary.md")
	runAction := func(t *testing.T, inputs map[string]string, args ...string) (string, int) {
		t.Helper()
		for _, f := range []string{outputs, summary} {
			_ = os.Remove(f)
		}
		cmd := exec.CommandContext(t.Context(), "bash", append([]string{filepath.Join(root, ".github", "oomlint-action.sh")}, args...)...)
		cmd.Dir = root
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + tmp, asMainEnv + "=1", "OOMLINT_BIN=" + self,
			"GITHUB_WORKSPACE=" + root, "RUNNER_TEMP=" + tmp, "GITHUB_OUTPUT=" + outputs, "GITHUB_STEP_SUMMARY=" + summary,
			"CI=true", "GITHUB_ACTIONS=true",
		}
		for k, v := range inputs {
			cmd.Env = append(cmd.Env, "INPUT_"+strings.ToUpper(strings.ReplaceAll(k, "-", "_"))+"="+v)
		}
		out, err := cmd.CombinedOutput()
		code := 0
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	readOutputs := func(t *testing.T) map[string]string {
		t.Helper()
		data, err := os.ReadFile(outputs)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for line := range strings.Lines(string(data)) {
			k, v, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
			m[k] = v
		}
		return m
	}

	t.Run("build step keys the chart cache on chart references", func(t *testing.T) {
		key := func(path string) string {
			t.Helper()
			log, code := runAction(t, map[string]string{"path": path, "pull-charts": "true"}, "build")
			if code != 0 {
				t.Fatalf("build step exit %d:\n%s", code, log)
			}
			out := readOutputs(t)
			if out["bin"] != self || !strings.HasPrefix(out["chart-key"], "oomlint-charts-") {
				t.Fatalf("outputs %v", out)
			}
			return out["chart-key"]
		}
		if flux, examples := key("testdata/flux-repo"), key("examples"); flux == examples {
			t.Errorf("the same chart-cache key %s for repositories with different chart references", flux)
		}
		if a, b := key("testdata/flux-repo"), key("testdata/flux-repo"); a != b {
			t.Errorf("chart-cache key not stable: %s, %s", a, b)
		}
	})

	t.Run("defaults", func(t *testing.T) {
		sarif := filepath.Join(tmp, "results", "oomlint.sarif")
		log, code := runAction(t, map[string]string{"path": "examples", "fail-on": "warning", "sarif-file": sarif, "annotations": "true"})
		if code != 1 {
			t.Fatalf("exit %d, want 1 (the examples have findings):\n%s", code, log)
		}
		out := readOutputs(t)
		if out["exit-code"] != "1" || out["sarif-file"] != sarif || out["errors"] == "0" || out["errors"] == "" {
			t.Errorf("outputs %v", out)
		}
		if !regexp.MustCompile(`(?m)^::error file=examples/[^,]+,line=\d+,col=\d+,title=OOM\d{3} `).MatchString(log) {
			t.Errorf("no annotation with a repository path in the log:\n%s", log)
		}
		uris, _ := readSARIF(t, sarif)
		if len(uris) == 0 || !strings.Contains(uris[0], " examples/") {
			t.Errorf("SARIF URIs %v", uris)
		}
		if data, _ := os.ReadFile(summary); !bytes.HasPrefix(data, []byte("## oomlint\n")) || !bytes.Contains(data, []byte("| Severity |")) {
			t.Errorf("job summary:\n%s", data)
		}
	})

	t.Run("working-directory, no annotations, fail-on none", func(t *testing.T) {
		log, code := runAction(t, map[string]string{
			"working-directory": "examples", "path": "apps", "fail-on": "none", "annotations": "false",
			"sarif-file": "", "args": "--disable OOM104 --quiet",
		})
		if code != 0 {
			t.Fatalf("exit %d, want 0:\n%s", code, log)
		}
		if strings.Contains(log, "::error ") || !strings.Contains(log, "apps/") {
			t.Errorf("log:\n%s", log)
		}
		if out := readOutputs(t); out["exit-code"] != "0" || out["sarif-file"] != "" {
			t.Errorf("outputs %v", out)
		}
		if _, err := os.Stat(summary); err == nil {
			t.Errorf("a job summary without annotations")
		}
	})

	t.Run("oomlint cannot run", func(t *testing.T) {
		log, code := runAction(t, map[string]string{"path": "no-such-dir", "sarif-file": ""})
		if code != 2 || !strings.Contains(log, "::error title=oomlint::oomlint could not run (exit 2)") {
			t.Errorf("exit %d:\n%s", code, log)
		}
		if out := readOutputs(t); out["exit-code"] != "2" {
			t.Errorf("outputs %v", out)
		}
	})
}

// TestActionMetadata checks action.yml against INTEGRATIONS.md §3: every
// input documented and passed through env (never ${{ }} inside a script),
// shell: bash on run steps, outputs wired to the step.
func TestActionMetadata(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs  map[string]struct{ Description, Default string }
		Outputs map[string]struct{ Description, Value string }
		Runs    struct {
			Using string
			Steps []struct {
				ID, Shell, Run, Uses string
				Env                  map[string]string
				With                 map[string]string
			}
		}
		Branding struct{ Icon, Color string }
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	if action.Runs.Using != "composite" {
		t.Errorf("runs.using %q", action.Runs.Using)
	}
	wantInputs := []string{"annotations", "args", "config", "fail-on", "install", "kube-version", "path", "policy", "pull-charts", "sarif-file", "values", "version", "working-directory"}
	var inputs []string
	for name, in := range action.Inputs {
		inputs = append(inputs, name)
		if in.Description == "" {
			t.Errorf("input %s has no description", name)
		}
	}
	slices.Sort(inputs)
	if diff := cmp.Diff(wantInputs, inputs); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
	if action.Inputs["fail-on"].Default != "warning" || action.Inputs["sarif-file"].Default != "oomlint.sarif" {
		t.Errorf("defaults: %+v", action.Inputs)
	}
	passed := map[string]bool{}
	for _, s := range action.Runs.Steps {
		if s.Run != "" {
			if s.Shell != "bash" {
				t.Errorf("step %q: shell %q, want bash", s.ID, s.Shell)
			}
			if strings.Contains(s.Run, "${{") {
				t.Errorf("step %q puts an expression inside its script:\n%s", s.ID, s.Run)
			}
		}
		for k, v := range s.Env {
			if m := regexp.MustCompile(`^\$\{\{ inputs\.([a-z-]+) \}\}$`).FindStringSubmatch(v); m != nil {
				passed[m[1]] = true
				if want := "INPUT_" + strings.ToUpper(strings.ReplaceAll(m[1], "-", "_")); k != want {
					t.Errorf("input %s passed as %s, want %s", m[1], k, want)
				}
			}
		}
		if strings.HasPrefix(s.Uses, "actions/setup-go@") && !strings.HasSuffix(s.With["cache-dependency-path"], "/go.sum") {
			t.Errorf("setup-go caches on %q, want the action's go.sum", s.With["cache-dependency-path"])
		}
	}
	for _, in := range wantInputs {
		if !passed[in] {
			t.Errorf("input %s is not passed to the script through env", in)
		}
	}
	for _, out := range []string{"sarif-file", "exit-code", "errors", "warnings", "infos"} {
		if v := action.Outputs[out].Value; v != "${{ steps.lint.outputs."+out+" }}" {
			t.Errorf("output %s = %q", out, v)
		}
	}
	if !slices.Contains([]string{"white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"}, action.Branding.Color) {
		t.Errorf("branding color %q", action.Branding.Color)
	}
}

// TestPreCommitHooks checks .pre-commit-hooks.yaml against INTEGRATIONS.md
// §4: whole-repository hooks triggered by every file kind oomlint reads.
func TestPreCommitHooks(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), ".pre-commit-hooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var hooks []struct {
		ID, Name, Entry, Language, Files string
		PassFilenames                    *bool `yaml:"pass_filenames"`
		RequireSerial                    bool  `yaml:"require_serial"`
		Stages                           []string
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&hooks); err != nil {
		t.Fatal(err)
	}
	byID := map[string]int{}
	for i, h := range hooks {
		byID[h.ID] = i
		if h.Name == "" || !h.RequireSerial || h.PassFilenames == nil || len(h.Stages) > 0 {
			t.Errorf("hook %s: name, require_serial, pass_filenames or stages wrong: %+v", h.ID, h)
		}
		re, err := regexp.Compile(h.Files)
		if err != nil {
			t.Errorf("hook %s: files: %v", h.ID, err)
			continue
		}
		for _, f := range []string{"a.yaml", "k/b.yml", "c.json", "charts/x/templates/_helpers.tpl", "charts/x/charts/y-1.0.0.tgz",
			"policy/p.rego", "overlays/prod/Kustomization", "charts/x/.helmignore"} {
			if !re.MatchString(f) {
				t.Errorf("hook %s does not run for %s", h.ID, f)
			}
		}
		for _, f := range []string{"main.go", "README.md", "notKustomization"} {
			if re.MatchString(f) {
				t.Errorf("hook %s runs for %s", h.ID, f)
			}
		}
	}
	want := map[string]struct {
		lang, entry string
		pass        bool
	}{
		"oomlint":         {"golang", "oomlint lint", false},
		"oomlint-changed": {"golang", "oomlint lint --only-files", true},
		"oomlint-system":  {"system", "oomlint lint", false},
	}
	for id, w := range want {
		i, ok := byID[id]
		if !ok {
			t.Errorf("no hook %s", id)
			continue
		}
		h := hooks[i]
		if h.Language != w.lang || h.Entry != w.entry || *h.PassFilenames != w.pass {
			t.Errorf("hook %s: language %s, entry %q, pass_filenames %v; want %s, %q, %v", id, h.Language, h.Entry, *h.PassFilenames, w.lang, w.entry, w.pass)
		}
	}
}
