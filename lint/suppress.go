package lint

import (
	"bytes"
	"regexp"
	"strings"
)

// IgnoreAnnotation suppresses rules on one object: "OOM104,OOM306" or "all".
const IgnoreAnnotation = "oomlint.io/ignore"

// directive is one `# oomlint:ignore RULES reason` comment.
type directive struct {
	line   int      // where the comment is
	target int      // the line it suppresses
	col    int      // column of the comment, for findings about the directive
	rules  []string // IDs, names or "all"
	reason string
}

// directives maps a target line to the directives that suppress it.
type directives map[int][]directive

// A directive is a comment that starts with oomlint:ignore: the # opens the
// comment (at the start of the line or after a blank), so a comment that
// quotes the syntax further on is not one.
var directivePattern = regexp.MustCompile(`(?:^|[ \t])(#\s*oomlint:ignore\b(.*))$`)

// scanDirectives finds ignore comments. A comment after a value applies to
// its own line; a comment on a line of its own applies to the next line that
// is not blank or a comment.
func scanDirectives(data []byte) directives {
	if !bytes.Contains(data, []byte("oomlint:ignore")) {
		return nil
	}
	lines := bytes.Split(data, []byte("\n"))
	ds := directives{}
	for i, raw := range lines {
		m := directivePattern.FindSubmatchIndex(raw)
		if m == nil {
			continue
		}
		if strings.Contains(string(raw[:m[2]]), " #") || bytes.HasPrefix(bytes.TrimSpace(raw[:m[2]]), []byte("#")) {
			continue // inside an earlier comment
		}
		d := directive{line: i + 1, target: i + 1, col: m[2] + 1}
		fields := strings.Fields(string(raw[m[4]:m[5]]))
		if len(fields) > 0 {
			d.rules = strings.FieldsFunc(fields[0], func(r rune) bool { return r == ',' })
			d.reason = strings.Join(fields[1:], " ")
		}
		if len(bytes.TrimSpace(raw[:m[2]])) == 0 {
			d.target = nextContentLine(lines, i+1)
		}
		ds[d.target] = append(ds[d.target], d)
	}
	return ds
}

func nextContentLine(lines [][]byte, from int) int {
	for j := from; j < len(lines); j++ {
		t := bytes.TrimSpace(lines[j])
		if len(t) > 0 && t[0] != '#' {
			return j + 1
		}
	}
	return from + 1
}

// ruleSet answers "does this list of IDs, names or all cover rule r".
func listCovers(list []string, r *Rule) bool {
	for _, s := range list {
		s = strings.TrimSpace(s)
		if strings.EqualFold(s, "all") || strings.EqualFold(s, r.ID) || s == r.Name {
			return true
		}
	}
	return false
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}
