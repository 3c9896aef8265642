// Package lint is oomlint's engine: it discovers manifests, decodes them with
// source positions, resolves each container's effective memory, runs the
// rules and turns their diagnostics into positioned, sorted findings.
package lint

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/internal/lazyre"
)

// Severity orders findings; the config can change a rule's default.
type Severity int

// Severities, lowest first.
const (
	Info Severity = iota + 1
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return "unknown"
}

// ParseSeverity reads "error", "warning" or "info".
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(s) {
	case "error":
		return Error, nil
	case "warning":
		return Warning, nil
	case "info":
		return Info, nil
	}
	return 0, fmt.Errorf("unknown severity %q (want error, warning or info)", s)
}

// Scope says what a rule's Check is given.
type Scope int

// Scopes.
const (
	ContainerScope Scope = iota + 1 // once per container, Pass.Container set
	WorkloadScope                   // once per workload, Pass.Container nil
	NamespaceScope                  // once per namespace, Pass.Namespace set, Pass.Object nil: diagnostics name their object in Diagnostic.In
	EngineScope                     // emitted by the engine itself (OOM9xx); no Check
	// ObjectScope runs once per object of any kind — workloads, LimitRanges,
	// quotas, autoscalers, ConfigMaps —: Pass.Object set, Pass.Workload when
	// the object runs pods, Pass.Namespace the facts of its namespace (may be
	// nil). User Rego policies run in this scope.
	ObjectScope
)

// Rule is one check: its identity, its documentation and its code.
type Rule struct {
	ID       string   // "OOM107": stable forever, never reused
	Name     string   // "memory-millibytes": kebab-case, also stable
	Severity Severity // default; config may override
	Scope    Scope
	Summary  string // one line, lower case, no period
	Doc      string // what happens at run time, and why
	Fix      string // the generic fix; a Diagnostic may carry a sharper one
	Example  string // YAML that fires, for explain
	Good     string // the same YAML fixed, for explain
	Off      bool   // runs only when enabled
	// Family groups rules for code scanning tags ("jvm", "quota"); user
	// policies are "custom".
	Family string
	// Precision is how often a finding is right, for code scanning's
	// sorting: parsing and admission arithmetic are certain, heuristics less.
	Precision Precision
	// Since is the first oomlint release with the rule ("0.1.0"); empty for
	// user policies. A new rule takes the version of the next release.
	Since string
	Check func(*Pass) []Diagnostic
}

// Precision is SARIF's precision of a rule.
type Precision int

// Precisions; the zero value is high.
const (
	HighPrecision Precision = iota
	VeryHighPrecision
	MediumPrecision
)

func (p Precision) String() string {
	switch p {
	case VeryHighPrecision:
		return "very-high"
	case MediumPrecision:
		return "medium"
	case HighPrecision:
	}
	return "high"
}

// Diagnostic is what a rule knows; the engine makes the Finding by mapping
// Path to a position.
type Diagnostic struct {
	Path      Path
	In        *Object // when set, Path is in this object (a ConfigMap the container reads), not the workload
	Container string
	Message   string
	Fix       string
	Severity  Severity // zero: the rule's; set when a finding is worse than the rule's default
	Related   []Related
	// About are the memory values the message talks about: the engine adds
	// where each came from when admission defaulted it (a LimitRange
	// default's line), as it does for the value at Path.
	About []*Quantity
	// Rule, when set, reports the finding under that engine rule instead of
	// the rule that ran (a Rego policy that failed to evaluate is
	// PolicyErrorID); its name and severity are the engine rule's.
	Rule string
	// At, when set, places the finding there (a policy file line) instead
	// of at Path in the object.
	At *Location
}

// Related is a further location behind a finding.
type Related struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

var (
	idPattern   = lazyre.New(`^OOM\d{3}$`)
	namePattern = lazyre.New(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	// sincePattern is a release version without the tag's "v".
	sincePattern = lazyre.New(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$`)
)

// UserIDPattern is what the ID of a user (Rego) rule must match: letters,
// digits, dots, dashes and underscores; IDs that start with OOM are
// oomlint's own.
var UserIDPattern = lazyre.New(`^[A-Za-z][A-Za-z0-9_.-]*$`)

// Validate checks a rule set: ID and name shape, uniqueness, severities,
// since-versions, docs and code present.
func Validate(rules []*Rule) error { return validate(rules, nil) }

// ValidateUser checks user rules (loaded Rego) beside the built-in ones:
// every user ID matches UserIDPattern and does not start with OOM, and IDs
// and names are unique across both sets.
func ValidateUser(builtins, user []*Rule) error {
	isUser := map[*Rule]bool{}
	for _, r := range user {
		isUser[r] = true
	}
	return validate(append(slices.Clone(builtins), user...), isUser)
}

// UserIDProblem says what is wrong with a user rule ID, or "".
func UserIDProblem(id string) string {
	switch {
	case len(id) >= 3 && strings.EqualFold(id[:3], "OOM"):
		return fmt.Sprintf("ID %q starts with OOM, which is reserved for oomlint's built-in rules", id)
	case !UserIDPattern().MatchString(id):
		return fmt.Sprintf("ID %q must match %s", id, UserIDPattern())
	}
	return ""
}

func validate(rules []*Rule, isUser map[*Rule]bool) error {
	var errs []error
	ids := map[string]bool{}
	names := map[string]bool{}
	for _, r := range rules {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("rule %s: %s", r.ID, fmt.Sprintf(format, args...)))
		}
		switch {
		case isUser[r]:
			if p := UserIDProblem(r.ID); p != "" {
				bad("%s", p)
			}
		case !idPattern().MatchString(r.ID):
			bad("ID must match %s", idPattern())
		case !sincePattern().MatchString(r.Since):
			bad("since %q must be the release that first has the rule, as 1.2.3", r.Since)
		}
		if !namePattern().MatchString(r.Name) {
			bad("name %q is not kebab-case", r.Name)
		}
		if ids[strings.ToUpper(r.ID)] {
			bad("duplicate ID")
		}
		if names[r.Name] {
			bad("duplicate name %q", r.Name)
		}
		ids[strings.ToUpper(r.ID)], names[r.Name] = true, true
		if r.Severity < Info || r.Severity > Error {
			bad("invalid severity %d", r.Severity)
		}
		if r.Summary == "" || r.Doc == "" || r.Fix == "" {
			bad("summary, doc and fix are all required")
		}
		if strings.HasSuffix(r.Summary, ".") {
			bad("summary ends with a period")
		}
		switch {
		case r.Scope == EngineScope && r.Check != nil:
			bad("engine-scope rules have no Check")
		case r.Scope != EngineScope && r.Check == nil:
			bad("Check is nil")
		case r.Scope < ContainerScope || r.Scope > ObjectScope:
			bad("invalid scope")
		}
	}
	return errors.Join(errs...)
}
