package lint

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func baselineFinding() Finding {
	return Finding{
		Rule: "OOM201", Name: "jvm-heap-exceeds-limit", Severity: Error, Message: "-Xmx1g is 100% of 1Gi",
		File: "apps/api.yaml", Line: 31, Column: 15,
		Object:    &ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "prod", Name: "api"},
		Container: "api", Path: "spec.template.spec.containers[0].env[0].value",
	}
}

func TestFingerprint(t *testing.T) {
	base := baselineFinding()
	fp := Fingerprint(base, "")
	same := []func(*Finding){
		func(f *Finding) { f.Line, f.Column = 90, 3 },                    // lines moved
		func(f *Finding) { f.Message = "-Xmx1g is 99% of 1030Mi" },       // numbers reworded
		func(f *Finding) { f.Related = []Related{{File: "x", Line: 1}} }, // chain changed
		func(f *Finding) { f.Severity = Warning },                        // config changed
	}
	for i, change := range same {
		f := base
		change(&f)
		if got := Fingerprint(f, ""); got != fp {
			t.Errorf("change %d altered the fingerprint", i)
		}
	}
	differ := []func(*Finding){
		func(f *Finding) { f.Rule = "OOM202" },
		func(f *Finding) { f.File = "apps/other.yaml" },
		func(f *Finding) {
			f.Object = &ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "prod", Name: "web"}
		},
		func(f *Finding) { f.Container = "sidecar" },
		func(f *Finding) { f.Path = "spec.template.spec.containers[1].env[0].value" },
	}
	for i, change := range differ {
		f := base
		change(&f)
		if Fingerprint(f, "") == fp {
			t.Errorf("change %d kept the fingerprint", i)
		}
	}
	// The same file seen from the root and from a subdirectory.
	sub := base
	sub.File = "api.yaml"
	if Fingerprint(sub, "apps") != fp {
		t.Error("a run from apps/ does not match a run from the root")
	}
	// Object-less findings (parse errors) are told apart by message.
	p1 := Finding{Rule: ParseErrorID, File: "a.yaml", Line: 3, Message: "invalid YAML: x"}
	p2 := p1
	p2.Message = "invalid YAML: y"
	if Fingerprint(p1, "") == Fingerprint(p2, "") {
		t.Error("two different parse errors share a fingerprint")
	}
}

func TestRepoPath(t *testing.T) {
	for _, tt := range []struct{ dir, file, want string }{
		{"", "a/b.yaml", "a/b.yaml"},
		{".", "./a/b.yaml", "a/b.yaml"},
		{"k8s", "a.yaml", "k8s/a.yaml"},
		{"k8s/prod", "../base/a.yaml", "k8s/base/a.yaml"},
		{"k8s", "../../out.yaml", "../out.yaml"},
	} {
		if got := RepoPath(tt.dir, tt.file); got != tt.want {
			t.Errorf("RepoPath(%q, %q) = %q, want %q", tt.dir, tt.file, got, tt.want)
		}
	}
}

func TestBaselineRoundTrip(t *testing.T) {
	f := baselineFinding()
	other := f
	other.Container, other.Path = "sidecar", "spec.template.spec.containers[1].resources.limits.memory"
	b := NewBaseline([]Finding{other, f, f}, "")
	var buf bytes.Buffer
	if err := b.Write(&buf); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := NewBaseline([]Finding{f, other, f}, "").Write(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Errorf("baseline depends on finding order:\n%s\n%s", buf.String(), again.String())
	}
	read, err := ReadBaseline(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b, read); diff != "" {
		t.Errorf("round trip (-wrote +read):\n%s", diff)
	}

	// Three findings, two of them recorded twice: a third identical one is new.
	moved := f
	moved.Line += 10
	res := &Result{Findings: []Finding{f, moved, other, f}, Summary: Summary{Error: 4}}
	res.ApplyBaseline(read, "")
	if len(res.Findings) != 1 || res.Summary.Baselined != 3 || res.Summary.Error != 1 {
		t.Errorf("after the baseline: %d findings, summary %+v; want 1 new, 3 baselined", len(res.Findings), res.Summary)
	}
}

func TestReadBaselineErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"version": 2, "findings": []}`, "unsupported baseline version 2"},
		{`{"version": 1, "findings": [], "extra": 1}`, "not an oomlint baseline"},
		{`[]`, "not an oomlint baseline"},
	} {
		_, err := ReadBaseline(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadBaseline(%s) = %v, want %q", tt.in, err, tt.want)
		}
	}
	_, err := ReadBaseline(strings.NewReader(`{"version": 9, "findings": []}`))
	if !errors.Is(err, ErrBaselineVersion) {
		t.Errorf("err = %v, want ErrBaselineVersion", err)
	}
}

func TestKeepFiles(t *testing.T) {
	inValues := baselineFinding()
	inValues.File = "charts/api/values.yaml"
	viaLimitRange := Finding{Rule: "OOM201", Severity: Error, File: "apps/api.yaml", Line: 3,
		Related: []Related{{File: "ns/limits.yaml", Line: 10}}}
	elsewhere := Finding{Rule: "OOM101", Severity: Warning, File: "apps/web.yaml", Line: 8}
	res := &Result{Findings: []Finding{viaLimitRange, elsewhere, inValues}}
	res.KeepFiles([]string{"./ns/limits.yaml", "charts/api/values.yaml"})
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.File)
	}
	if diff := cmp.Diff([]string{"apps/api.yaml", "charts/api/values.yaml"}, got); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if res.Summary.Error != 2 || res.Summary.Warning != 0 {
		t.Errorf("summary not recounted: %+v", res.Summary)
	}
}
