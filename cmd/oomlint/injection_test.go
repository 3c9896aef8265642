package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// TestOutputInjection lints a repository whose names, values and file
// names try to write GitHub workflow commands into the CI log, and checks
// the text and github outputs as the Actions runner reads them: every
// command line is one oomlint wrote, nothing holds a legacy "##[" command
// or a control character, and the step summary stays one table.
func TestOutputInjection(t *testing.T) {
	dir := t.TempDir()
	deployment := func(name, container, env string) string {
		return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ` + name + `
  namespace: "\e[31mred"
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
      containers:
        - name: ` + container + `
          image: eclipse-temurin:21
          env:
            - {name: JAVA_TOOL_OPTIONS, value: ` + env + `}
          resources:
            requests: {memory: 256Mi}
`
	}
	files := map[string]string{
		"deploy.yaml": deployment(`"x\n::error file=README.md,line=1::INJECTED"`, `"c\r::warning::CR ##[add-mask]Failed"`,
			`"-Xmx1g ##[add-mask]Failed %0A::error::data"`),
		"::error::named.yaml":          deployment("plain", "app", `"-Xmx64m"`),
		"##[error]x\n::notice::y.yaml": deployment("other", "app", `"-Xmx64m"`),
		"  ::warning::indented.yaml":   deployment("third", "app", `"-Xmx64m"`),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	summary := filepath.Join(t.TempDir(), "summary.md")
	env := map[string]string{"GITHUB_STEP_SUMMARY": summary}

	text := oomlint(t, env, "--fail-on", "none", ".")
	checkStreams(t, text)
	checkRunnerLog(t, "text", text.stdout, false)
	for _, want := range []string{`x\n::error file=README.md,line=1::INJECTED`, `c\r::warning::CR #\x23[add-mask]Failed`, `\x1b[31mred`} {
		if !strings.Contains(text.stdout, want) {
			t.Errorf("text output does not show %q escaped:\n%s", want, text.stdout)
		}
	}

	gh := oomlint(t, env, "--format", "github", "--fail-on", "none", ".")
	checkStreams(t, gh)
	if n := checkRunnerLog(t, "github", gh.stdout, true); n < len(files) {
		t.Errorf("%d annotations, want at least %d:\n%s", n, len(files), gh.stdout)
	}
	md, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(md)) {
		if strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "|") && !strings.HasPrefix(line, "## ") && !strings.Contains(line, " in ") {
			t.Errorf("step summary line not oomlint's: %q", line)
		}
		if strings.ContainsAny(line, "\r\x1b\x00") {
			t.Errorf("step summary holds a control character: %q", line)
		}
	}
}

// checkRunnerLog reads output as the runner does (lines end at CR or LF)
// and returns how many annotations it holds. With commands, the lines
// oomlint writes as workflow commands are allowed; any other line that
// starts with "::" after leading whitespace is an injected command.
func checkRunnerLog(t *testing.T, format, out string, commands bool) int {
	t.Helper()
	annotations := 0
	lines := strings.FieldsFunc(out, func(r rune) bool { return r == '\n' || r == '\r' })
	if strings.Contains(out, "\r") {
		t.Errorf("%s: a CR in the output", format)
	}
	for _, line := range lines {
		body := strings.TrimLeftFunc(line, unicode.IsSpace)
		if cmd, ok := strings.CutPrefix(body, "::"); ok {
			name, _, _ := strings.Cut(cmd, "::")
			name, props, _ := strings.Cut(name, " ")
			switch {
			case !commands || body != line:
				t.Errorf("%s: a user string starts a workflow command: %q", format, line)
			case name == "group" || name == "endgroup":
			case name == "error" || name == "warning" || name == "notice":
				annotations++
				if strings.Contains(props, "README.md") {
					t.Errorf("%s: an injected property: %q", format, line)
				}
			default:
				t.Errorf("%s: an unexpected command: %q", format, line)
			}
		}
		if strings.Contains(line, "##[") || strings.Contains(strings.ToLower(line), "##vso[") {
			t.Errorf("%s: a legacy runner command: %q", format, line)
		}
		if strings.ContainsFunc(line, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }) {
			t.Errorf("%s: a control character in %q", format, line)
		}
	}
	return annotations
}
