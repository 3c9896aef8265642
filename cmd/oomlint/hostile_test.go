package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec" //nolint:depguard // each hostile case runs oomlint in its own process: a stack overflow or OOM kill cannot be recovered in-process
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The hostile set: repositories an untrusted pull request could contain,
// built at test time (symlinks and FIFOs cannot be committed portably, and
// bombs are better generated than stored). Each runs the real command in
// its own process, because a stack overflow or an out-of-memory kill
// cannot be recovered in-process. Every case must end within
// hostileTimeout, stay under hostileMemory, not crash, and print nothing
// from outside the repository.

const (
	hostileTimeout = 10 * time.Second
	hostileMemory  = 512 << 20
	// outsideSecret is in every file outside the linted repository; no
	// output may contain it.
	outsideSecret = "outside-secret-7c1f"
)

type hostileCase struct {
	name  string
	build func(t *testing.T, repo, outside string)
	args  []string // after "lint", before the repository; --format is added
	// want is a substring every format's output must contain (the finding
	// that says what was refused), checked in the JSON output; empty skips.
	want string
}

func hostileDeployment(name, memory string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  namespace: hostile
spec:
  replicas: 1
  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
      containers:
        - name: %[1]s
          image: nginx:1.27
          resources:
            requests: {memory: %[2]s}
            limits: {memory: %[2]s}
`, name, memory)
}

// secretDeployment fires findings whose messages name the container, so a
// leak shows in every format.
var secretDeployment = hostileDeployment(outsideSecret, "1Mi")

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlinks: %v", err)
	}
}

func fifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

// aliasBomb nests levels of ten aliases: 10^levels nodes once expanded.
func aliasBomb(levels int) string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < levels; i++ {
		ref := fmt.Sprintf("*a%d", i-1)
		fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(ref+", ", 10), ", "))
	}
	return b.String()
}

// envBomb doubles a kubelet $(VAR) reference n times.
func envBomb(n int) string {
	var b strings.Builder
	b.WriteString("            - {name: V0, value: xxxxxxxx}\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "            - {name: V%d, value: \"$(V%d)$(V%d)\"}\n", i, i-1, i-1)
	}
	fmt.Fprintf(&b, "            - {name: JAVA_TOOL_OPTIONS, value: \"-Xmx$(V%d)\"}\n", n)
	return b.String()
}

const denyAllPolicy = `package hostile

import rego.v1

deny contains msg if {
	msg := sprintf("token %v", [data.token])
}
`

var hostileCases = []hostileCase{
	{name: "plain file symlinked outside", build: func(t *testing.T, repo, outside string) {
		t.Helper()
		writeFiles(t, outside, map[string]string{"secret.yaml": secretDeployment})
		writeFiles(t, repo, map[string]string{"ok.yaml": hostileDeployment("ok", "256Mi")})
		symlink(t, filepath.Join(outside, "secret.yaml"), filepath.Join(repo, "leak.yaml"))
	}, want: "leak.yaml"},
	{name: "directory symlinked outside", build: func(t *testing.T, repo, outside string) {
		t.Helper()
		writeFiles(t, outside, map[string]string{"apps/secret.yaml": secretDeployment})
		symlink(t, filepath.Join(outside, "apps"), filepath.Join(repo, "apps"))
	}},
	{name: "relative symlink chain leaving the root", build: func(t *testing.T, repo, outside string) {
		t.Helper()
		writeFiles(t, outside, map[string]string{"secret.yaml": secretDeployment})
		symlink(t, "../"+filepath.Base(outside)+"/secret.yaml", filepath.Join(repo, "hop.yaml"))
		symlink(t, "hop.yaml", filepath.Join(repo, "leak.yaml"))
	}},
	{name: "config paths outside the repository", build: func(t *testing.T, repo, outside string) {
		t.Helper()
		writeFiles(t, outside, map[string]string{
			"secret.json":        `{"token": "` + outsideSecret + `"}`,
			"policies/leak.rego": denyAllPolicy,
			"values.yaml":        "name: " + outsideSecret + "\n",
		})
		writeFiles(t, repo, map[string]string{
			".oomlint.yaml": fmt.Sprintf("policies: [%s]\npolicyData: [%s]\ncharts:\n  values:\n    chart: [%s]\n",
				filepath.Join(outside, "policies"), filepath.Join(outside, "secret.json"), filepath.Join(outside, "values.yaml")),
			"ok.yaml": hostileDeployment("ok", "256Mi"),
		})
	}, want: ".oomlint.yaml"},
	{name: "rego schema references to files", build: func(t *testing.T, repo, outside string) {
		t.Helper()
		writeFiles(t, outside, map[string]string{"schema.json": `{"type": "string", "title": "` + outsideSecret + `"}`})
		writeFiles(t, repo, map[string]string{
			".oomlint.yaml": "policies: [policies]\n",
			"policies/ref.rego": fmt.Sprintf(`package hostile

import rego.v1

deny contains msg if {
	r := json.verify_schema({"$ref": "file://%s"})
	msg := sprintf("%%v", [r])
}

deny contains msg if {
	r := json.match_schema("x", {"$ref": "file:///dev/zero"})
	msg := sprintf("%%v", [r])
}
`, filepath.Join(outside, "schema.json")),
			"ok.yaml": hostileDeployment("ok", "256Mi"),
		})
	}},
	{name: "chart templates through a symlinked directory", build: func(t *testing.T, repo, outside string) {
		t.Helper()
		writeFiles(t, outside, map[string]string{"x.yaml": secretDeployment, "file.txt": outsideSecret})
		writeFiles(t, repo, map[string]string{
			"chart/Chart.yaml":            "apiVersion: v2\nname: web\nversion: 1.0.0\n",
			"chart/values.yaml":           "memory: 256Mi\n",
			"chart/templates/deploy.yaml": hostileDeployment("web", "{{ .Values.memory }}"),
			"chart/templates/files.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: files}\ndata:\n  x: {{ .Files.Get \"files/leak.txt\" | quote }}\n",
			"shared/ok.yaml":              hostileDeployment("shared", "256Mi"),
		})
		symlink(t, "../../shared", filepath.Join(repo, "chart", "templates", "sub"))
		symlink(t, filepath.Join(outside, "x.yaml"), filepath.Join(repo, "shared", "leak.yaml"))
		symlink(t, filepath.Join(outside, "file.txt"), filepath.Join(repo, "chart", "files", "leak.txt"))
	}},
	{name: "chart dependency outside the repository", build: func(t *testing.T, repo, outside string) {
		t.Helper()
		writeFiles(t, outside, map[string]string{
			"dep/Chart.yaml":          "apiVersion: v2\nname: dep\nversion: 1.0.0\n",
			"dep/templates/leak.yaml": secretDeployment,
		})
		writeFiles(t, repo, map[string]string{
			"chart/Chart.yaml": fmt.Sprintf("apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n  - name: dep\n    version: 1.0.0\n    repository: file://%s\n",
				filepath.Join(outside, "dep")),
			"chart/templates/deploy.yaml": hostileDeployment("web", "256Mi"),
		})
	}},
	{name: "kustomization reaching outside", build: func(t *testing.T, repo, outside string) {
		t.Helper()
		writeFiles(t, outside, map[string]string{
			"base/kustomization.yaml":         "resources: [" + outsideSecret + ".yaml]\n",
			"base/" + outsideSecret + ".yaml": secretDeployment,
		})
		rel, err := filepath.Rel(filepath.Join(repo, "overlay"), filepath.Join(outside, "base"))
		if err != nil {
			t.Fatal(err)
		}
		writeFiles(t, repo, map[string]string{"overlay/kustomization.yaml": "resources: [" + rel + "]\n"})
	}},
	{name: "kustomize helmCharts reaching outside", build: func(t *testing.T, repo, outside string) {
		t.Helper()
		writeFiles(t, outside, map[string]string{
			"chart/Chart.yaml":            "apiVersion: v2\nname: web\nversion: 1.0.0\n",
			"chart/templates/deploy.yaml": secretDeployment,
			"values.yaml":                 "name: " + outsideSecret + "\n",
		})
		writeFiles(t, repo, map[string]string{
			"app/kustomization.yaml": fmt.Sprintf("helmCharts:\n  - name: web\n    valuesFile: %s\n  - name: far\n    valuesFile: ../values.yaml\n"+
				"helmGlobals:\n  chartHome: %s\n", filepath.Join(outside, "values.yaml"), "charts"),
			"app/charts/far/Chart.yaml":            "apiVersion: v2\nname: far\nversion: 1.0.0\n",
			"app/charts/far/templates/deploy.yaml": hostileDeployment("far", "256Mi"),
		})
		symlink(t, filepath.Join(outside, "chart"), filepath.Join(repo, "app", "charts", "web"))
		symlink(t, filepath.Join(outside, "values.yaml"), filepath.Join(repo, "values.yaml"))
	}},
	{name: "cyclic alias with a policy", build: func(t *testing.T, repo, _ string) {
		t.Helper()
		writeFiles(t, repo, map[string]string{
			".oomlint.yaml":     "policies: [policies]\n",
			"policies/p.rego":   "package hostile\n\nimport rego.v1\n\ndeny contains \"x\" if input.data.x\n",
			"cycle.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: &a {x: *a}\n",
			"deploy.yaml":       hostileDeployment("ok", "256Mi"),
			"other/cycle2.yaml": "x: &a {y: *a}\n",
		})
	}, want: "cycle.yaml"},
	{name: "cyclic alias in a kustomize resource", build: func(t *testing.T, repo, _ string) {
		t.Helper()
		writeFiles(t, repo, map[string]string{
			"k/kustomization.yaml": "resources: [cm.yaml, deploy.yaml]\n",
			"k/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nx: &a {y: *a}\n",
			"k/deploy.yaml":        hostileDeployment("ok", "256Mi"),
		})
	}},
	{name: "alias bomb with a policy", build: func(t *testing.T, repo, _ string) {
		t.Helper()
		writeFiles(t, repo, map[string]string{
			".oomlint.yaml":   "policies: [policies]\n",
			"policies/p.rego": "package hostile\n\nimport rego.v1\n\ndeny contains \"x\" if count(input.data) > 1000000\n",
			"bomb.yaml":       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n" + indent(aliasBomb(9), "  "),
		})
	}, want: "bomb.yaml"},
	{name: "alias bomb in a kustomize resource", build: func(t *testing.T, repo, _ string) {
		t.Helper()
		writeFiles(t, repo, map[string]string{
			"k/kustomization.yaml": "resources: [bomb.yaml]\n",
			"k/bomb.yaml":          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n" + indent(aliasBomb(9), "  "),
		})
	}},
	{name: "kubelet variable expansion bomb", build: func(t *testing.T, repo, _ string) {
		t.Helper()
		writeFiles(t, repo, map[string]string{"env.yaml": strings.Replace(hostileDeployment("env", "256Mi"),
			"          resources:", "          env:\n"+envBomb(40)+"          resources:", 1)})
	}},
	{name: "shell expansion bomb", build: func(t *testing.T, repo, _ string) {
		t.Helper()
		script := `X=xxxxxxxx; for i in 1; do :; done; ` + strings.Repeat(`X=$X$X; `, 40) + `Y=${X//x/$X}; exec java -Xmx$Y -jar app.jar`
		writeFiles(t, repo, map[string]string{"sh.yaml": strings.Replace(hostileDeployment("sh", "256Mi"),
			"          resources:", "          command: [sh, -c, '"+script+"']\n          resources:", 1)})
	}},
	{name: "helm range over a billion", build: func(t *testing.T, repo, _ string) {
		t.Helper()
		writeFiles(t, repo, map[string]string{
			"chart/Chart.yaml":          "apiVersion: v2\nname: big\nversion: 1.0.0\n",
			"chart/templates/many.yaml": "{{ range until 1000000000 }}# {{ . }}\n{{ end }}",
		})
	}, want: "chart"},
	{name: "helm tpl recursion", build: func(t *testing.T, repo, _ string) {
		t.Helper()
		writeFiles(t, repo, map[string]string{
			"chart/Chart.yaml":       "apiVersion: v2\nname: rec\nversion: 1.0.0\n",
			"chart/values.yaml":      "loop: '{{ tpl .Values.loop . }}'\n",
			"chart/templates/x.yaml": "x: {{ tpl .Values.loop . }}\n",
		})
	}, want: "chart"},
	{name: "helm include recursion", build: func(t *testing.T, repo, _ string) {
		t.Helper()
		writeFiles(t, repo, map[string]string{
			"chart/Chart.yaml":       "apiVersion: v2\nname: inc\nversion: 1.0.0\n",
			"chart/templates/_h.tpl": `{{ define "loop" }}{{ include "loop" . }}{{ end }}`,
			"chart/templates/x.yaml": `x: {{ include "loop" . }}` + "\n",
		})
	}, want: "chart"},
	{name: "huge quantity exponents", build: func(t *testing.T, repo, _ string) {
		t.Helper()
		deploy := strings.Replace(hostileDeployment("q", "1e400"), "          resources:",
			"          env:\n            - name: GOMEMLIMIT\n              valueFrom:\n                resourceFieldRef: {resource: limits.memory, divisor: 1e-99999999}\n          resources:", 1)
		writeFiles(t, repo, map[string]string{"q.yaml": deploy})
	}},
	{name: "FIFO manifest", build: func(t *testing.T, repo, _ string) {
		t.Helper()
		writeFiles(t, repo, map[string]string{"ok.yaml": hostileDeployment("ok", "256Mi")})
		fifo(t, filepath.Join(repo, "x.yaml"))
	}, want: "x.yaml"},
	{name: "FIFO config", build: func(t *testing.T, repo, _ string) {
		t.Helper()
		writeFiles(t, repo, map[string]string{"ok.yaml": hostileDeployment("ok", "256Mi")})
		fifo(t, filepath.Join(repo, ".oomlint.yaml"))
	}},
	{name: "FIFO in a chart", build: func(t *testing.T, repo, _ string) {
		t.Helper()
		writeFiles(t, repo, map[string]string{
			"chart/Chart.yaml":            "apiVersion: v2\nname: web\nversion: 1.0.0\n",
			"chart/templates/deploy.yaml": hostileDeployment("web", "256Mi"),
		})
		fifo(t, filepath.Join(repo, "chart", "templates", "x.yaml"))
	}},
	{name: "FIFO in a kustomization", build: func(t *testing.T, repo, _ string) {
		t.Helper()
		writeFiles(t, repo, map[string]string{
			"k/kustomization.yaml": "resources: [deploy.yaml, x.yaml]\n",
			"k/deploy.yaml":        hostileDeployment("ok", "256Mi"),
		})
		fifo(t, filepath.Join(repo, "k", "x.yaml"))
	}},
	{name: "Flux Kustomization path with a link out and a FIFO", build: func(t *testing.T, repo, outside string) {
		t.Helper()
		writeFiles(t, outside, map[string]string{"secret.yaml": secretDeployment})
		writeFiles(t, repo, map[string]string{
			"clusters/prod/apps.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\n" +
				"spec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n",
			"apps/ok.yaml": hostileDeployment("ok", "256Mi"),
		})
		symlink(t, filepath.Join(outside, "secret.yaml"), filepath.Join(repo, "apps", "leak.yaml"))
		fifo(t, filepath.Join(repo, "apps", "pipe.yaml"))
	}},
	{name: "Argo CD directory source with a link out and a FIFO", build: func(t *testing.T, repo, outside string) {
		t.Helper()
		writeFiles(t, outside, map[string]string{"secret.yaml": secretDeployment})
		writeFiles(t, repo, map[string]string{
			"argocd/web.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web, namespace: argocd}\n" +
				"spec:\n  project: default\n  source: {repoURL: https://example.com/repo.git, path: apps, targetRevision: HEAD}\n" +
				"  destination: {server: https://kubernetes.default.svc, namespace: web}\n",
			"apps/ok.yaml": hostileDeployment("ok", "256Mi"),
		})
		symlink(t, filepath.Join(outside, "secret.yaml"), filepath.Join(repo, "apps", "leak.yaml"))
		fifo(t, filepath.Join(repo, "apps", "pipe.yaml"))
	}},
	{name: "workflow command in a name", build: func(t *testing.T, repo, _ string) {
		t.Helper()
		writeFiles(t, repo, map[string]string{"inject.yaml": hostileDeployment(`"x\n::error file=README.md,line=1::INJECTED\r\n::add-mask::x"`, "1Mi")})
	}},
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "") + "\n"
}

func TestHostileRepositories(t *testing.T) {
	if testing.Short() {
		t.Skip("runs oomlint in a process per case")
	}
	for _, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			repo, outside := filepath.Join(dir, "repo"), filepath.Join(dir, "outside")
			for _, d := range []string{repo, outside} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			tc.build(t, repo, outside)
			// One process writes every format, each to its own file.
			formats := []string{"text", "github", "sarif", "junit", "checkstyle"}
			args := []string{"lint", "--format", "json", "--color", "always"}
			for _, f := range formats {
				args = append(args, "--output", f+"="+filepath.Join(dir, "out."+f))
			}
			outputs := map[string]string{"json": runHostile(t, repo, append(args, tc.args...))}
			for _, f := range formats {
				data, err := os.ReadFile(filepath.Join(dir, "out."+f))
				if err != nil {
					t.Fatalf("--output %s: %v", f, err)
				}
				outputs[f] = string(data)
			}
			for format, out := range outputs {
				if strings.Contains(strings.ToLower(out), outsideSecret) {
					t.Errorf("--format %s printed a file from outside the repository:\n%.1500s", format, out)
				}
				checkNoInjectedCommands(t, format, out)
			}
			if tc.want != "" && !strings.Contains(outputs["json"], tc.want) {
				t.Errorf("--format json says nothing about %s:\n%.1500s", tc.want, outputs["json"])
			}
		})
	}
}

// runHostile runs oomlint (this test binary as main) in repo and returns
// its standard output and error; it fails the test on a crash, a timeout
// or a peak RSS over the budget.
func runHostile(t *testing.T, repo string, args []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hostileTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], append(args, ".")...)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), asMainEnv+"=1", "HOME="+repo, "XDG_CACHE_HOME="+filepath.Join(repo, ".cache-none"),
		"GITHUB_ACTIONS=", "GITHUB_STEP_SUMMARY=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	out := stdout.String() + stderr.String()
	if ctx.Err() != nil {
		t.Fatalf("oomlint %s ran past %s", strings.Join(args, " "), hostileTimeout)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("oomlint %s: %v", strings.Join(args, " "), err)
	}
	for _, crash := range []string{"panic:", "fatal error:", "goroutine 1 [", "runtime: goroutine stack exceeds"} {
		if strings.Contains(stderr.String(), crash) {
			t.Fatalf("oomlint %s crashed after %s:\n%.2000s", strings.Join(args, " "), took, stderr.String())
		}
	}
	if code := cmd.ProcessState.ExitCode(); code > 2 || code < 0 {
		t.Fatalf("oomlint %s exited %d:\n%.2000s", strings.Join(args, " "), code, out)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss*1024 > hostileMemory {
		t.Errorf("oomlint %s peaked at %d MiB, over %d MiB", strings.Join(args, " "), ru.Maxrss>>10, hostileMemory>>20)
	}
	return out
}

// checkNoInjectedCommands fails when a line oomlint did not write itself
// would be read as a GitHub Actions workflow command: the runner trims
// leading white space, then looks for "::".
func checkNoInjectedCommands(t *testing.T, format, out string) {
	t.Helper()
	for line := range strings.SplitSeq(strings.ReplaceAll(out, "\r", "\n"), "\n") {
		l := strings.TrimLeft(line, " \t")
		if !strings.HasPrefix(l, "::") {
			continue
		}
		cmd, _, _ := strings.Cut(strings.TrimPrefix(l, "::"), " ")
		cmd, _, _ = strings.Cut(cmd, "::")
		switch cmd {
		case "error", "warning", "notice", "group", "endgroup":
			if strings.Contains(l, "INJECTED") && !strings.Contains(l, "%0A") {
				t.Errorf("--format %s: a user string starts a workflow command: %q", format, line)
			}
		default:
			t.Errorf("--format %s: line reads as workflow command %q: %q", format, cmd, line)
		}
	}
}
