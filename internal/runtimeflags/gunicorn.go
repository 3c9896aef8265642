package runtimeflags

import "strings"

// GunicornArgs is what a gunicorn command line (or GUNICORN_CMD_ARGS) says
// about worker recycling.
type GunicornArgs struct {
	MaxRequests      string // the --max-requests value as written; "" when absent
	MaxRequestsIndex int    // the word that holds it
	HasMaxRequests   bool
	Config           bool // -c/--config: a config file that may set max_requests
}

// ScanGunicorn reads gunicorn's options from words. --max-requests takes
// its value as --max-requests=N or --max-requests N; the last one wins, as
// with argparse. --max-requests-jitter is a different option.
func ScanGunicorn(words []string) GunicornArgs {
	var g GunicornArgs
	for i := 0; i < len(words); i++ {
		name, value, hasValue := strings.Cut(words[i], "=")
		switch {
		case name == "--max-requests":
			g.HasMaxRequests, g.MaxRequestsIndex = true, i
			if !hasValue && i+1 < len(words) {
				i++
				value, g.MaxRequestsIndex = words[i], i
			}
			g.MaxRequests = value
		case name == "-c" || name == "--config" || (strings.HasPrefix(words[i], "-c") && len(words[i]) > 2 && !strings.HasPrefix(words[i], "--")):
			g.Config = true
		}
	}
	return g
}

// Recycles reports whether the arguments make gunicorn restart workers: a
// --max-requests above 0 (0, gunicorn's default, turns recycling off).
func (g GunicornArgs) Recycles() bool {
	if !g.HasMaxRequests {
		return false
	}
	v := strings.TrimLeft(strings.TrimSpace(g.MaxRequests), "+")
	return strings.Trim(v, "0") != "" || v == ""
}
