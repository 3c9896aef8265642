package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/oomlint/oomlint/internal/jsonschema"
)

// triageArgs runs triage on testdata/triage with every kind of dump: pods
// of a kustomize overlay, a StatefulSet, a CronJob, a DaemonSet whose
// cluster limit drifted, a LimitRange default, a container without a
// limit, a Flux HelmRelease, a chart under another release name, a pod
// the repository does not deploy and an injected sidecar.
var triageArgs = []string{"triage", "--vpa", "vpa.json", "--top", "top.txt", "--events", "events.json", "pods.json", "repo"}

func TestTriageGolden(t *testing.T) {
	chdir(t, "triage")
	for _, tc := range []struct {
		format, golden string
	}{{"text", "text.golden"}, {"json", "json.golden"}} {
		t.Run(tc.format, func(t *testing.T) {
			r := oomlint(t, nil, append(triageArgs, "--format", tc.format)...)
			checkStreams(t, r)
			if r.code != exitFindings {
				t.Fatalf("exit %d, want 1; stderr %s", r.code, r.stderr)
			}
			checkGolden(t, tc.golden, r.stdout)
		})
	}
}

// TestTriageFindings checks the places and numbers the scenarios are about,
// so a golden rewritten by mistake cannot hide a wrong line.
func TestTriageFindings(t *testing.T) {
	chdir(t, "triage")
	r := oomlint(t, nil, append(triageArgs, "--format", "json")...)
	var doc struct {
		Findings []struct {
			Rule, File, Fix, Message string
			Line                     int
			Related                  []struct {
				File    string
				Line    int
				Message string
			}
		}
		Incidents []struct {
			Workload   struct{ Kind, Name string }
			File       string
			Line       int
			Suggestion struct {
				Limit string
				Guess bool
			}
		}
		Unmatched []struct {
			Container, Reason string
		}
		Summary map[string]int
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	type place struct {
		rule, file string
		line       int
	}
	var got []place
	for _, f := range doc.Findings {
		got = append(got, place{f.Rule, f.File, f.Line})
	}
	want := []place{
		{"OOM950", "repo/apps/api/overlays/prod/limits.yaml", 13}, // the patch, not the base
		{"OOM950", "repo/data/postgres.yaml", 24},
		{"OOM950", "repo/jobs/nightly-report.yaml", 24},
		{"OOM950", "repo/platform/log-agent.yaml", 22},
		{"OOM951", "repo/platform/log-agent.yaml", 22},
		{"OOM950", "repo/tools/ingest.yaml", 16},   // no limit: the container
		{"OOM950", "repo/tools/limits.yaml", 12},   // the LimitRange default
		{"OOM950", "repo/web/storefront.yaml", 23}, // the HelmRelease values
		{"OOM950", "repo/worker/values.yaml", 6},   // the chart's values, under release name jobs
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(place{})); diff != "" {
		t.Errorf("finding places (-want +got):\n%s", diff)
	}
	limits := map[string]string{}
	for _, i := range doc.Incidents {
		limits[i.Workload.Kind+"/"+i.Workload.Name] = i.Suggestion.Limit
	}
	for w, l := range map[string]string{
		"Deployment/storefront":   "1080Mi", // VPA upperBound 900Mi + 20%
		"StatefulSet/postgres":    "1225Mi", // kubectl top 980Mi + 25%
		"Deployment/ingest":       "1504Mi", // kubectl top 1203Mi + 25%, no limit before
		"Deployment/pdf-renderer": "388Mi",  // eviction message 310Mi + 25%
		"Deployment/api":          "768Mi",  // top is below the killed limit: 1.5 × 512Mi
		"CronJob/nightly-report":  "1536Mi", // 1.5 × 1Gi
		"DaemonSet/log-agent":     "384Mi",  // 1.5 × the cluster's 256Mi
	} {
		if limits[w] != l {
			t.Errorf("%s: suggested %q, want %q", w, limits[w], l)
		}
	}
	heap := map[string]string{
		"repo/web/storefront.yaml":      "-Xmx810m",
		"repo/jobs/nightly-report.yaml": "--max-old-space-size=1152",
		"repo/tools/ingest.yaml":        "GOMEMLIMIT=1278MiB",
	}
	for _, f := range doc.Findings {
		if w, ok := heap[f.File]; ok && f.Rule == "OOM950" {
			if !strings.Contains(f.Fix, w) || !slices.ContainsFunc(f.Related, func(r struct {
				File    string
				Line    int
				Message string
			}) bool {
				return strings.Contains(r.Message, w)
			}) {
				t.Errorf("%s: fix %q and related lines do not both name %s", f.File, f.Fix, w)
			}
			delete(heap, f.File)
		}
	}
	if len(heap) > 0 {
		t.Errorf("no heap setting found for %v", heap)
	}
	var unmatched []string
	for _, u := range doc.Unmatched {
		unmatched = append(unmatched, u.Container)
	}
	if diff := cmp.Diff([]string{"billing", "istio-proxy"}, unmatched); diff != "" {
		t.Errorf("unmatched (-want +got):\n%s", diff)
	}
	if doc.Summary["error"] != 8 || doc.Summary["warning"] != 1 {
		t.Errorf("summary %v, want 8 errors and 1 warning", doc.Summary)
	}
}

// TestTriageSARIF validates the SARIF log against the SARIF 2.1.0 schema:
// the containers not in the repository are notifications of the run.
func TestTriageSARIF(t *testing.T) {
	chdir(t, "triage")
	schema := sarifSchema(t, "sarif-schema-2.1.0.json")
	r := oomlint(t, nil, append(triageArgs, "--format", "sarif", "--sarif-category", "triage")...)
	checkStreams(t, r)
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("SARIF does not validate: %v", err)
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct{ ID string }
				}
			}
			Invocations []struct {
				ToolExecutionNotifications []struct {
					Level          string
					AssociatedRule struct{ ID string }
				}
			}
			Results []struct{ RuleID string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	var ids []string
	for _, rule := range run.Tool.Driver.Rules {
		ids = append(ids, rule.ID)
	}
	if diff := cmp.Diff([]string{"OOM950", "OOM951", "OOM952"}, ids); diff != "" {
		t.Errorf("driver rules (-want +got):\n%s", diff)
	}
	if len(run.Results) != 9 {
		t.Errorf("%d results, want 9", len(run.Results))
	}
	if len(run.Invocations) != 1 || len(run.Invocations[0].ToolExecutionNotifications) != 2 {
		t.Fatalf("invocations %+v, want one with 2 notifications", run.Invocations)
	}
	for _, n := range run.Invocations[0].ToolExecutionNotifications {
		if n.Level != "note" || n.AssociatedRule.ID != "OOM952" {
			t.Errorf("notification %+v, want a note of OOM952", n)
		}
	}
}

func sarifSchema(t *testing.T, path string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	const url = "https://json.schemastore.org/sarif-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return schema
}

// TestTriageGitHub checks that unmatched containers are notices without a
// file, in the log and the job summary.
func TestTriageGitHub(t *testing.T) {
	chdir(t, "triage")
	summary := filepath.Join(t.TempDir(), "summary.md")
	r := oomlint(t, map[string]string{"GITHUB_STEP_SUMMARY": summary}, append(triageArgs, "--format", "github")...)
	checkStreams(t, r)
	var notices, errs int
	for line := range strings.Lines(r.stdout) {
		switch {
		case strings.HasPrefix(line, "::notice title=OOM952 not-in-repository::"):
			notices++
		case strings.HasPrefix(line, "::error file="):
			errs++
		}
	}
	if notices != 2 || errs != 8 {
		t.Errorf("%d notices and %d errors, want 2 and 8:\n%s", notices, errs, r.stdout)
	}
	data, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "### Not found in the repository") || !strings.Contains(string(data), "OOM950") {
		t.Errorf("step summary lacks the findings or the unmatched list:\n%s", data)
	}
}

// TestTriageStdin reads the pods from standard input, as
// `kubectl get pods -A -o json | oomlint triage - .` does.
func TestTriageStdin(t *testing.T) {
	chdir(t, "triage")
	pods, err := os.ReadFile("pods.json")
	if err != nil {
		t.Fatal(err)
	}
	old := stdin
	t.Cleanup(func() { stdin = old })
	stdin = bytes.NewReader(pods)
	r := oomlint(t, nil, "triage", "--quiet", "-", "repo")
	checkStreams(t, r)
	if r.code != exitFindings || !strings.Contains(r.stdout, "repo/web/storefront.yaml:23:17: error OOM950") {
		t.Errorf("exit %d, stdout:\n%s", r.code, r.stdout)
	}
	if strings.Contains(r.stdout, "killed containers in") {
		t.Errorf("--quiet printed the summary line:\n%s", r.stdout)
	}
}

// TestTriageDumpInRepository checks that a dump saved inside the
// repository is read as a dump, never linted as manifests, and that
// --dump tells dump kinds apart by content.
func TestTriageDumpInRepository(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeTestFile(t, filepath.Join(dir, "app.yaml"), contractManifest)
	writeTriageDumps(t, dir, ".json")
	r := oomlint(t, nil, "triage", "--format", "json", "--dump", "top.txt", "--dump", "vpa.json", "--events", "events.json", "pods.json", ".")
	checkStreams(t, r)
	var doc struct {
		Summary   struct{ Objects int }
		Incidents []struct {
			Suggestion struct{ Limit, Basis string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if doc.Summary.Objects != 1 {
		t.Errorf("%d objects, want 1: the dumps were read as manifests", doc.Summary.Objects)
	}
	if len(doc.Incidents) != 1 || doc.Incidents[0].Suggestion.Limit != "480Mi" {
		t.Errorf("incidents %+v, want one suggesting the VPA's 400Mi + 20%%", doc.Incidents)
	}
}

func TestTriageExitCodes(t *testing.T) {
	chdir(t, "triage")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"fail-on none", []string{"triage", "--fail-on", "none", "pods.json", "repo"}, exitOK, ""},
		{"fail-on error", []string{"triage", "-q", "--fail-on", "error", "pods.json", "repo"}, exitFindings, ""},
		{"drift off", []string{"triage", "--disable", "cluster-drift", "--fail-on", "warning", "pods.json", "repo"}, exitFindings, ""},
		{"only unmatched", []string{"triage", "--disable", "OOM950", "--disable", "OOM951", "--fail-on", "warning", "pods.json", "repo"}, exitOK, ""},
		{"unmatched is info", []string{"triage", "--disable", "OOM950", "--disable", "OOM951", "--fail-on", "info", "pods.json", "repo"}, exitFindings, ""},
		{"no dump", []string{"triage"}, exitUsage, "triage needs a dump"},
		{"missing dump", []string{"triage", "nope.json", "repo"}, exitUsage, "nope.json: no such file"},
		{"missing repo", []string{"triage", "pods.json", "nope"}, exitUsage, "nope"},
		{"no pods", []string{"triage", "vpa.json", "repo"}, exitUsage, "no Pods in the dumps"},
		{"wrong kind", []string{"triage", "--top", "vpa.json", "pods.json", "repo"}, exitUsage, "--top vpa.json"},
		{"not a dump", []string{"triage", "repo/worker/Chart.yaml", "repo"}, exitUsage, "not a Kubernetes object"},
		{"unknown format", []string{"triage", "-f", "junit", "pods.json", "repo"}, exitUsage, "format junit is not supported"},
		{"unknown rule", []string{"triage", "--disable", "OOM9O0", "pods.json", "repo"}, exitUsage, "unknown rule"},
		{"stdin as repo", []string{"triage", "pods.json", "-"}, exitUsage, "can only be the dump"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := oomlint(t, nil, tc.args...)
			checkStreams(t, r)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tc.code, tc.stderr)
			}
		})
	}
}

// TestTriageNothingKilled: a dump without kills renders nothing and exits 0.
func TestTriageNothingKilled(t *testing.T) {
	chdir(t, "triage")
	pods := t.TempDir() + "/pods.json"
	writeTestFile(t, pods, `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "x"},
 "status": {"containerStatuses": [{"name": "a", "restartCount": 0, "state": {"running": {}}}]}}`)
	r := oomlint(t, nil, "triage", pods, "repo")
	checkStreams(t, r)
	if r.code != exitOK || r.stdout != "no OOM-killed container in 1 pod\n" {
		t.Errorf("exit %d, stdout %q", r.code, r.stdout)
	}
	if r := oomlint(t, nil, "triage", pods, "nope"); r.code != exitUsage || !strings.Contains(r.stderr, "nope: no such file") {
		t.Errorf("a missing path: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestTriageNotReportedByLint: the triage rules never fire in lint, even
// enabled, and explain documents them.
func TestTriageNotReportedByLint(t *testing.T) {
	chdir(t, "triage")
	r := oomlint(t, nil, "--enable", "OOM95*", "--format", "json", "repo")
	if r.code == exitUsage || strings.Contains(r.stdout, `"OOM95`) {
		t.Errorf("lint: exit %d, stderr %s, stdout:\n%s", r.code, r.stderr, r.stdout)
	}
	for _, id := range []string{"OOM950", "cluster-drift", "OOM952"} {
		r := oomlint(t, nil, "explain", id)
		if r.code != exitOK || !strings.Contains(r.stdout, "oomlint triage") {
			t.Errorf("explain %s: exit %d, stdout %s", id, r.code, r.stdout)
		}
	}
}

const triageReadmeHeading = "## From an OOMKilled pod to the line"

// TestReadmeTriage checks that the README's triage sample is what
// `oomlint triage` prints for the example dump.
func TestReadmeTriage(t *testing.T) {
	t.Chdir("../..")
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n"+triageReadmeHeading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", triageReadmeHeading)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	m := sampleBlock.FindStringSubmatch(section)
	if m == nil {
		t.Fatalf("README.md %s: no ``` block starting with $ ./oomlint triage", triageReadmeHeading)
	}
	args := strings.Fields(m[1])
	r := oomlint(t, nil, args[1:]...)
	if r.code == exitUsage {
		t.Fatalf("oomlint %s: %s", m[1], r.stderr)
	}
	if diff := cmp.Diff(m[2], r.stdout); diff != "" {
		t.Errorf("README.md triage sample differs from `%s` (-README +real):\n%s", m[1], diff)
	}
}

// sampleBlock matches a fenced sample: the command after "$ ./", then its output.
var sampleBlock = regexp.MustCompile("(?s)```\n\\$ \\./(oomlint triage [^\n]*)\n(.*?\n)```")

// TestTriageFlagsDocumented keeps the flag table of docs/triage.md and
// triage's flags in step.
func TestTriageFlagsDocumented(t *testing.T) {
	checkFlagTable(t, "docs/triage.md", "## Flags", "triage", triageFlags())
}

// Small dumps for the flag contract and the tests above: one OOM-killed
// container of the contract's Deployment api (default namespace).
const (
	triagePods = `{"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": [
 {"apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "api-6d9f7c8b5d-x2k4m", "namespace": "default",
   "labels": {"pod-template-hash": "6d9f7c8b5d"},
   "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "api-6d9f7c8b5d", "controller": true}]},
  "spec": {"containers": [{"name": "api", "image": "example/api:1.0", "resources": {"limits": {"memory": "256Mi"}, "requests": {"memory": "256Mi"}}}]},
  "status": {"phase": "Running", "containerStatuses": [{"name": "api", "restartCount": 4, "state": {"running": {"startedAt": "2025-06-03T10:00:00Z"}},
   "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": "2025-06-03T09:00:00Z", "finishedAt": "2025-06-03T09:59:00Z"}}}]}}]}
`
	triageVPA = `{"apiVersion": "v1", "kind": "List", "items": [
 {"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler", "metadata": {"name": "api", "namespace": "default"},
  "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}},
  "status": {"recommendation": {"containerRecommendations": [{"containerName": "api", "target": {"memory": "300Mi"}, "upperBound": {"memory": "400Mi"}}]}}}]}
`
	triageTop = `NAMESPACE   POD                    NAME   CPU(cores)   MEMORY(bytes)
default     api-6d9f7c8b5d-x2k4m   api    3m           250Mi
`
	triageEvents = `{"apiVersion": "v1", "kind": "List", "items": [
 {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "api-6d9f7c8b5d-x2k4m.1", "namespace": "default"},
  "involvedObject": {"kind": "Pod", "name": "api-6d9f7c8b5d-x2k4m", "namespace": "default", "fieldPath": "spec.containers{api}"},
  "reason": "OOMKilling", "message": "Memory cgroup out of memory: Killed process 4242 (api)", "count": 2, "lastTimestamp": "2025-06-03T09:59:00Z"}]}
`
)

// writeTriageDumps writes pods, vpa and events (JSON, with extension ext)
// and top.txt into dir. Dumps saved as .out are no manifests to a
// directory walk, so other commands run beside them see no more files.
func writeTriageDumps(t *testing.T, dir, ext string) {
	t.Helper()
	for name, content := range map[string]string{"pods" + ext: triagePods, "vpa" + ext: triageVPA, "top.txt": triageTop, "events" + ext: triageEvents} {
		writeTestFile(t, filepath.Join(dir, name), content)
	}
}
