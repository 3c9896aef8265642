// Package report writes lint results: a familiar text format for people and
// a stable JSON document for tools.
package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/lint"
)

// Options are what a format needs besides the result.
type Options struct {
	Color bool // ANSI colour in text output
	Quiet bool // findings only: no summary line
}

// Writer writes a result in one format.
type Writer func(w io.Writer, r *lint.Result, opt Options) error

// Formats maps each --format name to its writer.
var Formats = map[string]Writer{
	"text": Text,
	"json": JSON,
}

// Names lists the format names, sorted, for usage messages.
func Names() []string {
	names := make([]string, 0, len(Formats))
	for n := range Formats {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Lookup returns the writer for a format name.
func Lookup(name string) (Writer, error) {
	if w, ok := Formats[name]; ok {
		return w, nil
	}
	return nil, fmt.Errorf("unknown format %q (valid: %s)", name, strings.Join(Names(), ", "))
}
