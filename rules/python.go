package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/shell"

	"github.com/oomlint/oomlint/internal/runtimeflags"
	"github.com/oomlint/oomlint/lint"
)

// The OOM23x family: Python application servers.
//
// Only worker recycling is checked. Counting gunicorn's --workers times a
// per-worker memory floor against the limit was considered and left out: a
// worker's footprint depends entirely on the application (a small Flask app
// needs ~40Mi, a Django app with pandas loaded 400Mi or more, and --preload
// shares much of it copy-on-write), the worker count often comes from
// WEB_CONCURRENCY, a config file or the CPU count at run time, and any fixed
// floor would either never fire or fire on healthy deployments.

var gunicornMaxRequestsMissing = &lint.Rule{
	ID: "OOM231", Name: "gunicorn-max-requests-missing", Severity: lint.Info, Scope: lint.ContainerScope,
	Family:  "python",
	Summary: "gunicorn runs without --max-requests, so workers are never recycled",
	Doc: `gunicorn keeps each worker process alive forever unless --max-requests is
set (its default, 0, turns recycling off). A slow leak in the application or
a library (a growing cache, fragmentation in the C allocator, objects kept
by a global) then grows every worker until the container reaches
limits.memory and the kernel OOM-kills it (exit 137), taking every worker and
in-flight request with it. --max-requests restarts a worker gracefully after
that many requests, and --max-requests-jitter spreads the restarts so the
workers do not all restart at once. The flag is looked for in the gunicorn
command line, a shell script that starts it, and GUNICORN_CMD_ARGS; a
command line with -c/--config is left alone, since the file may set
max_requests. gunicorn also reads ./gunicorn.conf.py when present, which a
manifest cannot show: when it sets max_requests, disable this rule.`,
	Fix: "add --max-requests 1000 --max-requests-jitter 100 to the gunicorn command or GUNICORN_CMD_ARGS",
	Example: `containers:
  - name: web
    image: example/django-app:3.1
    command: ["gunicorn", "app.wsgi", "--workers", "4", "--bind", "0.0.0.0:8000"]`,
	Good: `containers:
  - name: web
    image: example/django-app:3.1
    command: ["gunicorn", "app.wsgi", "--workers", "4", "--bind", "0.0.0.0:8000",
              "--max-requests", "1000", "--max-requests-jitter", "100"]`,
	Check: checkGunicornMaxRequestsMissing,
}

// pythonProgram matches python, python3 and python3.12.
var pythonProgram = regexp.MustCompile(`^python(\d+(\.\d+)?)?$`)

func checkGunicornMaxRequestsMissing(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	if c.Process == nil {
		return nil
	}
	var (
		starts []lint.Word // the word that starts each gunicorn
		args   runtimeflags.GunicornArgs
	)
	for _, cmd := range c.Process.Commands {
		at, rest, ok := gunicornCommand(cmd)
		if !ok {
			continue
		}
		starts = append(starts, at)
		a := runtimeflags.ScanGunicorn(wordValues(rest))
		if a.HasMaxRequests {
			args.HasMaxRequests, args.MaxRequests = true, a.MaxRequests
		}
		args.Config = args.Config || a.Config
	}
	env, hasEnv := c.Process.Lookup("GUNICORN_CMD_ARGS")
	if hasEnv && !env.Known {
		return nil // from a ConfigMap or Secret we cannot see: say nothing rather than guess
	}
	if hasEnv {
		words, err := shell.Fields(env.Value, func(string) string { return "" })
		if err != nil {
			return nil
		}
		// GUNICORN_CMD_ARGS is read before the command line, which overrides it.
		if a := runtimeflags.ScanGunicorn(words); a.HasMaxRequests && !args.HasMaxRequests {
			args.HasMaxRequests, args.MaxRequests = true, a.MaxRequests
		}
		args.Config = args.Config || runtimeflags.ScanGunicorn(words).Config
	}
	if (len(starts) == 0 && !hasEnv) || args.Recycles() || args.Config || unresolvedEnvFrom(c) {
		return nil
	}
	at := env.At
	if len(starts) > 0 {
		at = starts[0].At
	}
	why := "gunicorn runs without --max-requests"
	if args.HasMaxRequests {
		why = fmt.Sprintf("gunicorn runs with --max-requests %s, which turns recycling off", args.MaxRequests)
	}
	limit := "the memory limit"
	if c.Limit.Usable() {
		limit = fmt.Sprintf("%s %s", c.Limit.Q.Field, c.Limit.Q.Raw)
	}
	return []lint.Diagnostic{{
		Path: at.Path, In: at.Object, Container: c.Name,
		Message: fmt.Sprintf("%s: its workers are never recycled, so a slow leak grows them until the container reaches %s and is OOM-killed with every worker", why, limit),
		Fix:     "add --max-requests 1000 --max-requests-jitter 100 to the gunicorn command or GUNICORN_CMD_ARGS",
	}}
}

// gunicornCommand reports whether cmd starts gunicorn (gunicorn …, or
// python -m gunicorn …), with the word that names it and gunicorn's own
// arguments.
func gunicornCommand(cmd lint.Command) (lint.Word, []lint.Word, bool) {
	prog, rest := cmd.Program()
	if prog == "" {
		return lint.Word{}, nil, false
	}
	start := cmd[len(cmd)-len(rest)-1]
	if prog == "gunicorn" {
		return start, rest, true
	}
	if !pythonProgram.MatchString(prog) {
		return lint.Word{}, nil, false
	}
	for i, w := range rest {
		switch {
		case w.Value == "-m" && i+1 < len(rest) && rest[i+1].Value == "gunicorn":
			return rest[i+1], rest[i+2:], true
		case w.Value == "-mgunicorn":
			return w, rest[i+1:], true
		case !strings.HasPrefix(w.Value, "-") || slices.Contains([]string{"-c", "-m"}, w.Value):
			return lint.Word{}, nil, false // a script or another module runs
		}
	}
	return lint.Word{}, nil, false
}
