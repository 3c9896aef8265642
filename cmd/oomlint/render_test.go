package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// renderedObject is what a test reads from one document `oomlint render`
// printed: which object, where it traces back to, which unit produced it,
// and the first container's memory limit, to see the values or patch applied.
type renderedObject struct {
	Kind, Name, Namespace string
	Origin                string // the file of oomlint.io/origin
	Unit                  string // oomlint.io/unit
	Memory                string // the first container's resources.limits.memory
}

// TestRender runs `oomlint render` in testdata/render: a chart (values
// through toYaml | nindent and a helper include), a kustomize overlay with
// a strategic-merge patch and a namespace, plain files, and a chart whose
// `required` fails.
func TestRender(t *testing.T) {
	var (
		chartDeployment = renderedObject{Kind: "Deployment", Name: "release-name-web", Origin: "ok/chart/templates/deployment.yaml", Unit: "ok/chart", Memory: "512Mi"}
		chartService    = renderedObject{Kind: "Service", Name: "release-name-web", Origin: "ok/chart/templates/service.yaml", Unit: "ok/chart"}
		overlayAPI      = renderedObject{Kind: "Deployment", Name: "api", Namespace: "prod", Origin: "ok/kustomize/base/deployment.yaml", Unit: "ok/kustomize/overlay", Memory: "384Mi"}
		plainPod        = renderedObject{Kind: "Pod", Name: "batch", Origin: "ok/plain/pod.yaml", Memory: "128Mi"}
	)
	withUnit := func(o renderedObject, unit string) renderedObject { o.Unit = unit; return o }
	requiredLine := lineOf(t, "testdata/render/required/templates/pod.yaml", "required")

	tests := []struct {
		name     string
		args     []string
		wantExit int
		want     []renderedObject
		stderr   *regexp.Regexp // every stderr line must match it (exit 1); nil: no stderr
		usage    string         // substring of the one stderr line (exit 2)
	}{
		{
			name: "chart, overlay and plain file", args: []string{"render", "ok"},
			want: []renderedObject{chartDeployment, chartService, overlayAPI, withUnit(plainPod, "ok")},
		},
		{name: "chart", args: []string{"render", "ok/chart"}, want: []renderedObject{chartDeployment, chartService}},
		{name: "overlay", args: []string{"render", "ok/kustomize/overlay"}, want: []renderedObject{overlayAPI}},
		{name: "plain file", args: []string{"render", "ok/plain/pod.yaml"}, want: []renderedObject{withUnit(plainPod, "ok/plain/pod.yaml")}},
		{name: "plain directory", args: []string{"render", "ok/plain"}, want: []renderedObject{withUnit(plainPod, "ok/plain")}},
		{name: "flags after paths", args: []string{"render", "ok/plain", "-n", "batch"}, want: []renderedObject{withUnit(plainPod, "ok/plain")}},
		{
			name: "failing required beside a plain file", args: []string{"render", "required", "ok/plain"}, wantExit: 1,
			want:   []renderedObject{withUnit(plainPod, "ok/plain")},
			stderr: regexp.MustCompile(`^required/templates/pod\.yaml:` + strconv.Itoa(requiredLine) + `:\d+: OOM900 .*set \.Values\.memory$`),
		},
		{
			name: "failing required alone", args: []string{"render", "required"}, wantExit: 1,
			stderr: regexp.MustCompile(`^required/templates/pod\.yaml:` + strconv.Itoa(requiredLine) + `:\d+: OOM900 .*set \.Values\.memory$`),
		},
		{name: "missing path", args: []string{"render", "nope"}, wantExit: 2, usage: "nope: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chdir(t, "render")
			r := oomlint(t, nil, tt.args...)
			if r.code != tt.wantExit {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantExit, r.stdout, r.stderr)
			}
			if tt.wantExit == exitUsage {
				checkStreams(t, r)
				if !strings.Contains(r.stderr, tt.usage) {
					t.Errorf("stderr = %q, want it to contain %q", r.stderr, tt.usage)
				}
				return
			}
			checkRenderStderr(t, r.stderr, tt.stderr)
			if strings.Contains(r.stdout, "#oomlint:") {
				t.Errorf("stdout has line markers left:\n%s", r.stdout)
			}
			got := parseRendered(t, r.stdout)
			slices.SortFunc(got, func(a, b renderedObject) int {
				return strings.Compare(a.Origin+"\x00"+a.Kind, b.Origin+"\x00"+b.Kind)
			})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rendered objects (-want +got):\n%s\nstdout:\n%s", diff, r.stdout)
			}
		})
	}
}

// checkRenderStderr checks that stderr is empty when pattern is nil, and
// else one or more lines, each matching pattern.
func checkRenderStderr(t *testing.T, stderr string, pattern *regexp.Regexp) {
	t.Helper()
	if pattern == nil {
		if stderr != "" {
			t.Errorf("stderr = %q, want none", stderr)
		}
		return
	}
	if !strings.HasSuffix(stderr, "\n") {
		t.Fatalf("stderr = %q, want lines matching %s", stderr, pattern)
	}
	for line := range strings.SplitSeq(strings.TrimSuffix(stderr, "\n"), "\n") {
		if !pattern.MatchString(line) {
			t.Errorf("stderr line %q does not match %s", line, pattern)
		}
	}
}

// parseRendered decodes the YAML stream on stdout. Every object must carry
// oomlint.io/origin "file:line", with the line in that file being the
// object's kind, and oomlint.io/unit, and no annotation of kustomize's
// origin tracking.
func parseRendered(t *testing.T, stdout string) []renderedObject {
	t.Helper()
	var out []renderedObject
	dec := yaml.NewDecoder(strings.NewReader(stdout))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("stdout is not a YAML stream: %v\n%s", err, stdout)
		}
		if doc == nil {
			continue
		}
		meta, _ := doc["metadata"].(map[string]any)
		ann, _ := meta["annotations"].(map[string]any)
		o := renderedObject{Kind: str(doc["kind"]), Name: str(meta["name"]), Namespace: str(meta["namespace"]),
			Unit: str(ann["oomlint.io/unit"]), Memory: limitMemory(doc)}
		for k := range ann {
			if strings.Contains(k, "config.kubernetes.io/") {
				t.Errorf("%s %s: kustomize annotation %s left", o.Kind, o.Name, k)
			}
		}
		o.Origin = checkOrigin(t, o.Kind, str(ann["oomlint.io/origin"]))
		out = append(out, o)
	}
}

// checkOrigin splits an oomlint.io/origin value and checks that its line
// holds the object's kind. It returns the file.
func checkOrigin(t *testing.T, kind, origin string) string {
	t.Helper()
	i := strings.LastIndexByte(origin, ':')
	if i < 0 {
		t.Errorf("%s: origin %q is not file:line", kind, origin)
		return origin
	}
	file := origin[:i]
	line, err := strconv.Atoi(origin[i+1:])
	if err != nil {
		t.Errorf("%s: origin %q is not file:line", kind, origin)
		return file
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Errorf("%s: origin %q: %v", kind, origin, err)
		return file
	}
	lines := strings.Split(string(data), "\n")
	if line < 1 || line > len(lines) || strings.TrimSpace(lines[line-1]) != "kind: "+kind {
		t.Errorf("%s: origin %q: line %d is not the object's kind line", kind, origin, line)
	}
	return file
}

// limitMemory is the first container's memory limit in a Pod or a workload's pod template.
func limitMemory(doc map[string]any) string {
	spec, _ := doc["spec"].(map[string]any)
	if tmpl, ok := spec["template"].(map[string]any); ok {
		spec, _ = tmpl["spec"].(map[string]any)
	}
	containers, _ := spec["containers"].([]any)
	if len(containers) == 0 {
		return ""
	}
	c, _ := containers[0].(map[string]any)
	res, _ := c["resources"].(map[string]any)
	limits, _ := res["limits"].(map[string]any)
	return str(limits["memory"])
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// lineOf is the 1-based line of the first occurrence of s in file.
func lineOf(t *testing.T, file, s string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(file))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		t.Fatalf("%s has no %q", file, s)
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}
