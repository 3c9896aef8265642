package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/oomlint/oomlint/lint"
)

func TestVerbose(t *testing.T) {
	chdir(t, "")
	r := oomlint(t, nil, "--verbose", "--quiet", "findings")
	if r.code != exitFindings {
		t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, exitFindings, r.stderr)
	}
	for _, want := range []string{"decoded ", " plain files in ", "linted in "} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "linted in") {
		t.Errorf("timings belong on stderr, got them on stdout:\n%s", r.stdout)
	}
}

func TestProgressReporter(t *testing.T) {
	var buf bytes.Buffer
	p := newProgressReporter(&buf, true, false)
	p.report(lint.Progress{Done: 1, Total: 2, Name: "charts/api", Kind: "helm", Objects: 3, Elapsed: 12 * time.Millisecond})
	p.report(lint.Progress{Done: 2, Total: 2, Name: "a.yaml", Kind: lint.PlainUnit, Objects: 1, Elapsed: time.Millisecond})
	p.finish()
	got := buf.String()
	for _, want := range []string{"rendered helm charts/api in 12ms (3 objects)\n", "decoded 1 plain files in 1ms of work\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

func TestNoProgressWithoutTerminal(t *testing.T) {
	chdir(t, "")
	// Standard error here is a buffer, not a terminal: no bar, nothing on stderr.
	if r := oomlint(t, nil, "findings"); r.stderr != "" {
		t.Errorf("stderr = %q, want empty", r.stderr)
	}
}
