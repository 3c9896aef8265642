package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/oomlint/oomlint/lint"
)

// Output that may reach a CI log carries strings from the repository being
// linted: object and container names, paths, values quoted in messages. A
// pull request controls them, and a CI runner acts on some log lines: on
// GitHub a line that starts with "::" once leading whitespace is trimmed, or
// that holds "##[" anywhere, is a workflow command; "##vso[" is Azure
// Pipelines'; a bare CR ends a line for the runner; ANSI escapes drive
// terminals and GitLab's collapsible sections. So every user string is made
// printable before it is written, and every log-facing format is guarded
// line by line before it leaves the package.

// Printable returns s with everything a terminal or a CI log acts on made
// visible: line breaks and other control characters as Go escapes (\n, \r,
// \x1b), C1 controls, line separators and bidirectional overrides as \u
// escapes, and bytes that are not UTF-8 as \xff. Tabs stay. A user string
// so stays on its line and shows what it holds.
func Printable(s string) string {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unprintable(r) || (r == utf8.RuneError && size == 1) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !unprintable(r):
			b.WriteString(s[i : i+size])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// unprintable reports whether Printable escapes a (valid) rune.
func unprintable(r rune) bool {
	switch {
	case r == '\t':
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	case r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true // bidirectional controls, which reorder what a reader sees
	}
	return false
}

// safeFinding is f with every string made printable, for text-like formats.
func safeFinding(f lint.Finding) lint.Finding {
	f.Rule, f.Name = Printable(f.Rule), Printable(f.Name)
	f.Message, f.Fix = Printable(f.Message), Printable(f.Fix)
	f.File, f.Container, f.Path = Printable(f.File), Printable(f.Container), Printable(f.Path)
	if f.Object != nil {
		o := *f.Object
		o.APIVersion, o.Kind = Printable(o.APIVersion), Printable(o.Kind)
		o.Namespace, o.Name = Printable(o.Namespace), Printable(o.Name)
		f.Object = &o
	}
	if f.Related != nil {
		rel := make([]lint.Related, len(f.Related))
		for i, r := range f.Related {
			r.File, r.Message = Printable(r.File), Printable(r.Message)
			rel[i] = r
		}
		f.Related = rel
	}
	if f.Units != nil {
		units := make([]string, len(f.Units))
		for i, u := range f.Units {
			units[i] = Printable(u)
		}
		f.Units = units
	}
	return f
}

// safeResult is r with every finding and file name made printable; the
// counts and rules are shared.
func safeResult(r *lint.Result) *lint.Result {
	out := *r
	out.Findings = make([]lint.Finding, len(r.Findings))
	for i, f := range r.Findings {
		out.Findings[i] = safeFinding(f)
	}
	out.Files = make([]string, len(r.Files))
	for i, f := range r.Files {
		out.Files[i] = Printable(f)
	}
	return &out
}

// safeOptions makes the path prefix printable too: it is a directory name.
func safeOptions(opt Options) Options {
	opt.RepoDir = Printable(opt.RepoDir)
	return opt
}

// GuardLines keeps text from acting on a CI runner: a line that starts
// with "::" after leading whitespace gets its first colon written \x3a, and
// "##[" or "##vso[" anywhere gets its second # written \x23. Text that
// oomlint writes itself never looks like either, so only user strings
// change. A CR (which ends a runner's line) is written \r.
func GuardLines(s string) string {
	if !needsGuard(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for line := range strings.Lines(strings.ReplaceAll(s, "\r", `\r`)) {
		body := trimLead(line)
		if strings.HasPrefix(body, "::") {
			b.WriteString(line[:len(line)-len(body)])
			b.WriteString(`\x3a`)
			line = body[1:]
		}
		writeHashes(&b, line, `\x23`)
	}
	return b.String()
}

func needsGuard(s string) bool {
	return strings.Contains(s, "##") || strings.Contains(s, "::") || strings.Contains(s, "\r")
}

// trimLead drops what may come before a command on a line: whitespace,
// and the colour escapes of --color (oomlint's own, at a line's start).
func trimLead(line string) string {
	for {
		line = strings.TrimLeftFunc(line, isRunnerSpace)
		rest, ok := strings.CutPrefix(line, "\x1b[")
		if !ok {
			return line
		}
		end := strings.IndexFunc(rest, func(r rune) bool { return r != ';' && (r < '0' || r > '9') })
		if end < 0 || rest[end] != 'm' {
			return line
		}
		line = rest[end+1:]
	}
}

// isRunnerSpace is what .NET's TrimStart removes, and a little more.
func isRunnerSpace(r rune) bool {
	return unicode.IsSpace(r) || r == 0x180e || r == 0x200b || r == 0xfeff
}

// writeHashes writes s with the second # of each runner command prefix
// ("##[", "##vso[" in any case) replaced by esc.
func writeHashes(b *strings.Builder, s, esc string) {
	for {
		i := commandPrefix(s)
		if i < 0 {
			b.WriteString(s)
			return
		}
		b.WriteString(s[:i+1])
		b.WriteString(esc)
		s = s[i+2:]
	}
}

// commandPrefix is the index of the first "##[" or "##vso[" in s, or -1.
func commandPrefix(s string) int {
	for off := 0; ; {
		i := strings.Index(s[off:], "##")
		if i < 0 {
			return -1
		}
		i += off
		rest := s[i+2:]
		if strings.HasPrefix(rest, "[") || (len(rest) >= 4 && strings.EqualFold(rest[:4], "vso[")) {
			return i
		}
		off = i + 1
	}
}

// guardJSON writes the # of "##[" and "##vso[" as \u0023 in encoded JSON,
// and what Printable would escape that encoding/json leaves (DEL, C1
// controls, bidirectional controls) as \u escapes. Outside strings JSON
// has neither, so the document decodes to the same values, and a log that
// shows it holds no runner command. encoding/json itself escapes control
// characters and U+2028/9 and replaces invalid UTF-8.
func guardJSON(data []byte) []byte {
	s := string(data)
	if !strings.Contains(s, "##") && !strings.ContainsFunc(s, unprintableInLine) {
		return data
	}
	var b strings.Builder
	writeHashes(&b, uEscape(s), `\u0023`)
	return []byte(b.String())
}

// uEscape writes what Printable escapes, but for line feeds, as \u
// escapes, which JSON strings and YAML double-quoted scalars read back as
// the same characters.
func uEscape(s string) string {
	if !strings.ContainsFunc(s, unprintableInLine) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unprintableInLine(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unprintableInLine(r rune) bool { return r != '\n' && unprintable(r) }
