package lint

import (
	"cmp"
	"strings"
)

// IDs of the findings the engine itself emits (documented in rules/meta.go).
const (
	RenderErrorID        = "OOM900"
	ParseErrorID         = "OOM901"
	PolicyErrorID        = "OOM902"
	SuppressionInvalidID = "OOM903"
	SuppressionUnusedID  = "OOM904"
)

// Finding is one positioned problem, ready to report.
type Finding struct {
	Rule      string
	Name      string
	Severity  Severity
	Message   string
	Fix       string
	File      string
	Line      int
	Column    int
	Object    *ObjectRef
	Container string
	Path      string
	Related   []Related
	// Units names the rendered units (chart renders, kustomize builds,
	// controller objects) whose objects gave the finding, sorted: several
	// when a base or values file they share holds the mistake. Nil for
	// plain files.
	Units []string
}

// Summary counts what a run saw and found.
type Summary struct {
	Files   int
	Objects int
	Units   int
	Skipped int // documents that are not Kubernetes objects
	Error   int
	Warning int
	Info    int
	// Baselined counts findings left out because a baseline lists them
	// (Result.ApplyBaseline); they are not in Error, Warning or Info.
	Baselined int
	// NotBuilt counts units that did not build because of another source
	// they include (a kustomize base that fails): each has a finding too.
	NotBuilt int
}

// Result is the outcome of a run.
type Result struct {
	Findings []Finding
	Summary  Summary
	Rules    []*Rule  // the rules that ran, with configured severities
	Files    []string // every file read, as displayed (relative to the working directory), sorted
}

// compareFindings orders findings by file, line, column, rule, then the rest,
// so output never depends on scheduling.
func compareFindings(a, b Finding) int {
	return cmp.Or(
		strings.Compare(a.File, b.File),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Column, b.Column),
		strings.Compare(a.Rule, b.Rule),
		compareRefs(a.Object, b.Object),
		strings.Compare(a.Container, b.Container),
		strings.Compare(a.Path, b.Path),
		strings.Compare(a.Message, b.Message),
	)
}

func compareRefs(a, b *ObjectRef) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Kind, b.Kind),
		strings.Compare(a.Name, b.Name), strings.Compare(a.APIVersion, b.APIVersion))
}
