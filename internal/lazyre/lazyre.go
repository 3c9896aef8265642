// Package lazyre compiles a package-level regular expression on first use
// rather than at start-up: a run pays only for the expressions its input
// needs, and a one-file run starts without compiling dozens of them.
package lazyre

import (
	"regexp"
	"sync"
)

// New returns a function that compiles expr once, on its first call, and
// panics then if expr is invalid, as regexp.MustCompile does.
func New(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
