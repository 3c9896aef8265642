package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/fatih/color"

	"github.com/oomlint/oomlint/lint"
)

// Text writes findings as path:line:col: severity RULE message, with the
// object and fix beneath, and a summary line.
func Text(w io.Writer, r *lint.Result, opt Options) error {
	bw := bufio.NewWriter(w)
	paint := func(c *color.Color) *color.Color {
		if opt.Color {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	sevColor := map[lint.Severity]*color.Color{
		lint.Error:   paint(color.New(color.FgRed, color.Bold)),
		lint.Warning: paint(color.New(color.FgYellow, color.Bold)),
		lint.Info:    paint(color.New(color.FgCyan)),
	}
	pos := paint(color.New(color.Bold))
	dim := paint(color.New(color.Faint))
	for _, f := range r.Findings {
		sev := sevColor[f.Severity]
		if sev == nil {
			sev = dim
		}
		fmt.Fprintf(bw, "%s %s %s %s\n", pos.Sprintf("%s:%d:%d:", f.File, f.Line, f.Column), sev.Sprint(f.Severity), dim.Sprint(f.Rule), f.Message)
		if where := describeObject(f); where != "" {
			fmt.Fprintf(bw, "    %s\n", dim.Sprint(where))
		}
		for _, rel := range f.Related {
			fmt.Fprintf(bw, "    %s\n", dim.Sprintf("%s:%d: %s", rel.File, rel.Line, rel.Message))
		}
		if f.Fix != "" {
			fmt.Fprintf(bw, "    fix: %s\n", f.Fix)
		}
	}
	if !opt.Quiet {
		if len(r.Findings) > 0 {
			fmt.Fprintln(bw)
		}
		fmt.Fprintln(bw, summaryLine(r.Summary))
	}
	return bw.Flush()
}

func describeObject(f lint.Finding) string {
	if f.Object == nil {
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
	if s.Skipped > 0 {
		line += fmt.Sprintf(" (%s skipped: not Kubernetes objects)", plural(s.Skipped, "document"))
	}
	return line
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
