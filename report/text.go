package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/fatih/color"

	"github.com/oomlint/oomlint/lint"
)

// Styles. Colour is decided by the caller (Options.Color): each colour is
// switched on or off explicitly, so fatih/color's own view of the terminal
// and the environment never decides the output.
var (
	sgrBold   = []color.Attribute{color.Bold}
	sgrFaint  = []color.Attribute{color.Faint}
	sgrRed    = []color.Attribute{color.Bold, color.FgRed}
	sgrYellow = []color.Attribute{color.Bold, color.FgYellow}
	sgrCyan   = []color.Attribute{color.FgCyan}
)

var severityStyle = map[lint.Severity][]color.Attribute{
	lint.Error:   sgrRed,
	lint.Warning: sgrYellow,
	lint.Info:    sgrCyan,
}

// Text writes findings as path:line:col: severity RULE message, with the
// object, related locations and fix beneath, then a summary line. User
// strings are made printable and the lines guarded (escape.go): the text
// often lands in a CI log.
func Text(w io.Writer, r *lint.Result, opt Options) error {
	r = safeResult(r)
	var b strings.Builder
	paint := func(attrs []color.Attribute, s string) string {
		c := color.New(attrs...)
		if opt.Color {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c.Sprint(s)
	}
	for _, f := range r.Findings {
		sev, ok := severityStyle[f.Severity]
		if !ok {
			sev = sgrFaint
		}
		fmt.Fprintf(&b, "%s %s %s %s\n", paint(sgrBold, fmt.Sprintf("%s:%d:%d:", f.File, f.Line, f.Column)),
			paint(sev, f.Severity.String()), paint(sgrFaint, f.Rule), f.Message)
		if where := describeObject(f); where != "" {
			fmt.Fprintf(&b, "    %s\n", paint(sgrFaint, where))
		}
		for _, rel := range f.Related {
			fmt.Fprintf(&b, "    %s\n", paint(sgrFaint, fmt.Sprintf("%s:%d: %s", rel.File, rel.Line, rel.Message)))
		}
		if f.Fix != "" {
			fmt.Fprintf(&b, "    fix: %s\n", f.Fix)
		}
	}
	if !opt.Quiet {
		if len(r.Findings) > 0 {
			b.WriteString("\n")
		}
		b.WriteString(summaryLine(r.Summary) + "\n")
	}
	_, err := io.WriteString(w, GuardLines(b.String()))
	return err
}

func describeObject(f lint.Finding) string {
	if f.Object == nil {
		if f.Name != "" {
			return "(" + f.Name + ")"
		}
		return ""
	}
	var b strings.Builder
	b.WriteString(f.Object.Kind)
	b.WriteByte(' ')
	if f.Object.Namespace != "" {
		b.WriteString(f.Object.Namespace)
		b.WriteByte('/')
	}
	b.WriteString(f.Object.Name)
	if f.Container != "" {
		fmt.Fprintf(&b, ", container %s", f.Container)
	}
	if f.Name != "" {
		fmt.Fprintf(&b, " (%s)", f.Name)
	}
	return b.String()
}

func summaryLine(s lint.Summary) string {
	line := fmt.Sprintf("%s, %s, %d info in %s, %s",
		plural(s.Error, "error"), plural(s.Warning, "warning"), s.Info, plural(s.Files, "file"), plural(s.Objects, "object"))
	if s.Baselined > 0 {
		line += fmt.Sprintf(" (%d baselined not shown)", s.Baselined)
	}
	if s.Skipped > 0 {
		line += fmt.Sprintf(" (%s skipped: not Kubernetes objects)", plural(s.Skipped, "document"))
	}
	if s.NotBuilt > 0 {
		line += fmt.Sprintf(" (%s not built)", plural(s.NotBuilt, "kustomization"))
	}
	return line
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
