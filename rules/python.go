package rules

import (
	"fmt"
	"math"
	"path"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/shell"

	"github.com/oomlint/oomlint/internal/lazyre"
	"github.com/oomlint/oomlint/internal/quantity"
	"github.com/oomlint/oomlint/internal/runtimeflags"
	"github.com/oomlint/oomlint/internal/yamlnode"
	"github.com/oomlint/oomlint/lint"
)

// The OOM23x family: Python application servers and workers: gunicorn,
// uWSGI and Celery.
//
// For gunicorn only worker recycling is checked. Counting gunicorn's --workers times a
// per-worker memory floor against the limit was considered and left out: a
// worker's footprint depends entirely on the application (a small Flask app
// needs ~40Mi, a Django app with pandas loaded 400Mi or more, and --preload
// shares much of it copy-on-write), the worker count often comes from
// WEB_CONCURRENCY, a config file or the CPU count at run time, and any fixed
// floor would either never fire or fire on healthy deployments. uWSGI and
// Celery are different: their recycling thresholds (reload-on-rss,
// max-memory-per-child) are per-process sizes the user wrote down, so
// workers × threshold against the limit compares numbers the manifest holds.

var gunicornMaxRequestsMissing = &lint.Rule{
	ID: "OOM231", Name: "gunicorn-max-requests-missing", Severity: lint.Info, Scope: lint.ContainerScope,
	Since:   "0.1.0",
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
var pythonProgram = lazyre.New(`^python(\d+(\.\d+)?)?$`)

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
	return moduleCommand(cmd, "gunicorn", func(prog string) bool { return prog == "gunicorn" })
}

// moduleCommand reports whether cmd starts a program isProgram accepts, or
// python -m module, with the word that names it and the arguments that
// are its own.
func moduleCommand(cmd lint.Command, module string, isProgram func(string) bool) (lint.Word, []lint.Word, bool) {
	prog, rest := cmd.Program()
	if prog == "" {
		return lint.Word{}, nil, false
	}
	start := cmd[len(cmd)-len(rest)-1]
	if isProgram(prog) {
		return start, rest, true
	}
	if !pythonProgram().MatchString(prog) {
		return lint.Word{}, nil, false
	}
	for i, w := range rest {
		switch {
		case w.Value == "-m" && i+1 < len(rest) && rest[i+1].Value == module:
			return rest[i+1], rest[i+2:], true
		case w.Value == "-m"+module:
			return w, rest[i+1:], true
		case !strings.HasPrefix(w.Value, "-") || slices.Contains([]string{"-c", "-m"}, w.Value):
			return lint.Word{}, nil, false // a script or another module runs
		}
	}
	return lint.Word{}, nil, false
}

// pyOpt is one option a Python server or worker is given, and where it
// was written. An opaque one stands for a source we cannot read (a config
// file outside the repository, a variable from a Secret), which may set
// any option.
type pyOpt struct {
	name, value string
	at          lint.Place
	opaque      bool
}

// pyOpts are the options in the order the process reads them; the last
// one of a name wins.
type pyOpts []pyOpt

// get returns the option that wins for name, whether it is set, and
// whether that is sure: no opaque source comes after it (or at all, when
// it is unset).
func (o pyOpts) get(name string) (opt pyOpt, set, sure bool) {
	for _, x := range slices.Backward(o) {
		switch {
		case x.opaque:
			return pyOpt{}, false, false
		case x.name == name:
			return x, true, true
		}
	}
	return pyOpt{}, false, true
}

// opaque reports whether any source could not be read.
func (o pyOpts) opaque() bool {
	return slices.ContainsFunc(o, func(x pyOpt) bool { return x.opaque })
}

// uwsgiNumber reads a uWSGI number option: its value, whether it is set, and
// whether both are sure.
func (o pyOpts) uwsgiNumber(name string) (int64, pyOpt, bool, bool) {
	x, set, sure := o.get(name)
	if !set || !sure {
		return 0, x, set, sure
	}
	n, ok := runtimeflags.ParseUWSGINumber(x.value)
	return n, x, true, ok
}

// envInOrder is the container's environment as the process sees it: each
// name once, with the value that wins, in the order first set.
func envInOrder(proc *lint.Process) []lint.EnvVar {
	if proc == nil {
		return nil
	}
	var out []lint.EnvVar
	seen := map[string]bool{}
	for _, e := range proc.Env {
		if seen[e.Name] {
			continue
		}
		seen[e.Name] = true
		v, _ := proc.Lookup(e.Name)
		out = append(out, v)
	}
	return out
}

// uwsgiProgram matches uwsgi and its builds: pyuwsgi, uwsgi_python3, uwsgi-core.
var uwsgiProgram = lazyre.New(`^(py)?uwsgi(_python\d*|-core)?$`)

// uwsgiRun is what a container's uWSGI is given.
type uwsgiRun struct {
	opts pyOpts
	at   lint.Place // the word that starts uwsgi, else the first UWSGI_ variable
}

// readUWSGI gathers a container's uWSGI options in the order uWSGI reads
// them: the UWSGI_* variables of its environment, then the command line,
// each config file (--ini, --yaml, --json, UWSGI_INI, a lone app.ini)
// read where it is named. It reports false when the container shows no
// uWSGI: neither a command that runs it nor a UWSGI_ variable oomlint reads.
func readUWSGI(p *lint.Pass) (uwsgiRun, bool) {
	c := p.Container
	var run uwsgiRun
	if c.Process == nil {
		return run, false
	}
	command := false
	for _, cmd := range c.Process.Commands {
		start, rest, ok := moduleCommand(cmd, "pyuwsgi", uwsgiProgram().MatchString)
		if !ok {
			continue
		}
		run.at, command = start.At, true
		for _, o := range runtimeflags.ScanUWSGI(wordValues(rest)) {
			run.opts = addUWSGI(p, run.opts, o.Name, o.Value, rest[o.At].At, 0)
		}
		break // the first uwsgi a container starts is the one it runs
	}
	var env pyOpts
	for _, e := range envInOrder(c.Process) {
		name, ok := runtimeflags.UWSGIEnv(e.Name)
		switch {
		case !ok:
		case !e.Known:
			env = append(env, pyOpt{at: e.At, opaque: true})
		default:
			env = addUWSGI(p, env, name, e.Value, e.At, 0)
		}
	}
	if !command {
		if len(env) == 0 || !entrypointHidden(c) {
			return run, false
		}
		run.at = env[0].at
	}
	run.opts = append(env, run.opts...)
	return run, true
}

// entrypointHidden reports whether the image's entrypoint runs, which the
// manifest does not show: only then do a server's variables alone say the
// container runs it (a web container may share a worker's ConfigMap).
func entrypointHidden(c *lint.Container) bool { return yamlnode.Get(c.Node, "command") == nil }

// addUWSGI appends an option; a config file adds the options it sets, or
// an opaque entry when it is not a ConfigMap file the container mounts.
func addUWSGI(p *lint.Pass, opts pyOpts, name, value string, at lint.Place, depth int) pyOpts {
	if !slices.Contains(runtimeflags.UWSGIConfigFiles, name) {
		return append(opts, pyOpt{name: name, value: value, at: at})
	}
	file, section, ok := runtimeflags.UWSGIConfigPath(value)
	f, found := lint.ConfigMapFile{}, false
	if ok && depth < 4 {
		f, found = mountedFile(p, file)
	}
	var read []runtimeflags.UWSGIOption
	switch {
	case !found:
	case name == "ini":
		read = runtimeflags.UWSGIIni(f.Value, section)
	case name == "yaml" || name == "json":
		var err error
		if read, err = runtimeflags.UWSGIYAML(f.Value, section); err != nil {
			found = false
		}
	default:
		found = false // XML is not read
	}
	if !found {
		return append(opts, pyOpt{at: at, opaque: true})
	}
	for _, o := range read {
		opts = addUWSGI(p, opts, o.Name, expandUWSGIEnv(p.Container.Process, o.Value), f.At, depth+1)
	}
	return opts
}

// expandUWSGIEnv fills $(VAR) in a config file value from the container's
// environment, as uWSGI does; a variable we cannot see is left as written,
// which makes the value unknown.
func expandUWSGIEnv(proc *lint.Process, s string) string {
	for {
		i := strings.Index(s, "$(")
		if i < 0 {
			return s
		}
		end := strings.IndexByte(s[i:], ')')
		if end < 0 {
			return s
		}
		v, ok := proc.Lookup(s[i+2 : i+end])
		if !ok || !v.Known {
			return s
		}
		s = s[:i] + v.Value + s[i+end+1:]
	}
}

// mountedFile is a file the container reads from a ConfigMap volume of
// its namespace, as the engine resolved it.
func mountedFile(p *lint.Pass, name string) (lint.ConfigMapFile, bool) {
	c := p.Container
	if !path.IsAbs(name) {
		wd := yamlnode.Str(c.Node, "workingDir")
		if wd == "" {
			return lint.ConfigMapFile{}, false // relative to the image's working directory
		}
		name = path.Join(wd, name)
	}
	return lint.MountedConfigMapFile(p.Workload, c, name, c.Process.ConfigMap)
}

// uwsgiProcesses is the number of workers: processes (also workers, -p),
// 1 when unset, as uWSGI starts.
func uwsgiProcesses(run uwsgiRun) (int64, pyOpt, bool) {
	n, at, set, ok := run.opts.uwsgiNumber("processes")
	switch {
	case !ok:
		return 0, at, false
	case !set || n < 1:
		return 1, at, true
	}
	return n, at, true
}

// limitField is the limit a message names: "limits.memory 1Gi".
func limitField(c *lint.Container) string { return c.Limit.Q.Field + " " + c.Limit.Q.Raw }

var uwsgiReloadOnRSSExceedsLimit = &lint.Rule{
	ID: "OOM232", Name: "uwsgi-reload-on-rss-exceeds-limit", Severity: lint.Error, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "python",
	Summary: "uWSGI workers × reload-on-rss at or above the container memory limit",
	Doc: `uWSGI's reload-on-rss (and evil-reload-on-rss) recycles a worker once its
resident memory passes that many megabytes: reload-on-rss is checked by the
worker after each request, evil-reload-on-rss by the master every few
seconds. It is meant to catch leaks before they hurt, but the threshold is
per worker: with processes workers each allowed to grow to the threshold,
the container may need processes × reload-on-rss before any worker is
recycled, plus the master. When that is at or above limits.memory, the
kernel OOM-kills the container (exit 137), every worker with it, instead
of uWSGI recycling one; on cgroup v2 nodes Kubernetes 1.28 and later kill
the whole container by default when any of its processes is chosen.

Options are read where uWSGI reads them: UWSGI_* environment variables
(UWSGI_RELOAD_ON_RSS, UWSGI_PROCESSES, UWSGI_INI), then the uwsgi command
line (also inside sh -c scripts; --processes, --workers and -p are one
option), with each config file read where it is named: an ini file's
[uwsgi] section (or the section after file:), a YAML or JSON file's uwsgi
key, when the file is a key of a ConfigMap of the pod's namespace the
container mounts (whole, by subPath, or through items). $(VAR) in a file
is filled from the environment. For each option the last one wins. Sizes
are whole megabytes (MiB). A config file oomlint cannot read may set anything,
so options it could override are not guessed at. When both thresholds are
set, the lower one is compared.`,
	Fix: "lower reload-on-rss so that processes × reload-on-rss stays below about 75% of limits.memory, or raise the limit",
	Example: `containers:
  - name: web
    image: example/flask-app:2
    command: ["uwsgi", "--module", "app:app", "--processes", "4", "--reload-on-rss", "300"]
    resources:
      limits:
        memory: 1Gi`,
	Good: `containers:
  - name: web
    image: example/flask-app:2
    command: ["uwsgi", "--module", "app:app", "--processes", "4", "--reload-on-rss", "192"]
    resources:
      limits:
        memory: 1Gi`,
	Check: checkUWSGIReloadOnRSSExceedsLimit,
}

func checkUWSGIReloadOnRSSExceedsLimit(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	run, found := readUWSGI(p)
	if !found || !c.Limit.Usable() || c.Limit.Bytes() <= 0 {
		return nil
	}
	procs, procAt, ok := uwsgiProcesses(run)
	if !ok {
		return nil
	}
	var threshold int64
	var at pyOpt
	for _, name := range []string{"reload-on-rss", "evil-reload-on-rss"} {
		n, x, set, sure := run.opts.uwsgiNumber(name)
		switch {
		case !sure:
			return nil
		case set && n > 0 && (threshold == 0 || n < threshold):
			threshold, at = n, x
		}
	}
	limit := c.Limit.Bytes()
	if threshold == 0 || threshold > math.MaxInt64>>21/procs || procs*threshold<<20 < limit {
		return nil
	}
	total := procs * threshold << 20
	workers := "1 worker (uWSGI's default)"
	if procAt.name != "" {
		workers = fmt.Sprintf("%d workers (processes %s)", procs, procAt.value)
	}
	share := targetShare(p)
	each := int64(float64(limit)*share) / procs >> 20
	return []lint.Diagnostic{{
		Path: at.at.Path, In: at.at.Object, Container: c.Name,
		Message: fmt.Sprintf("uWSGI recycles a worker only once its resident memory passes %s %s (%s): %s may each grow that far, %s in all, %s of %s, so the container is OOM-killed with every worker before uWSGI recycles one",
			at.name, at.value, quantity.FormatBytes(threshold<<20), workers, quantity.FormatBytes(total), quantity.Percent(float64(total), float64(limit)), limitField(c)),
		Fix: fmt.Sprintf("set %s %d (%d workers within %s of %s) or raise the limit to %s",
			at.name, each, procs, quantity.Percent(share, 1), limitField(c), raiseTo(total, share)),
		Related: comparedWithLimit(p),
	}}
}

var uwsgiLimitASIneffective = &lint.Rule{
	ID: "OOM233", Name: "uwsgi-limit-as-ineffective", Severity: lint.Warning, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "python",
	Summary: "uWSGI limit-as at or above the container memory limit, so it never takes effect",
	Doc: `uWSGI's limit-as caps the address space (virtual memory) of each process
at that many megabytes: an allocation beyond it fails, and Python raises
MemoryError, which the application can log and uWSGI survives. Resident
memory is never more than the address space, so a cap below limits.memory
keeps any single worker from filling the container. At or above the limit
the cap cannot fire first: a worker reaches the container's limit while its
address space is still under the cap, and the kernel OOM-kills the
container (exit 137) instead. The option is read from the command line,
UWSGI_LIMIT_AS and config files as OOM232 describes; it is in megabytes
(MiB). Address space counts reserved as well as used memory (thread
stacks, allocator arenas), so a cap close to a worker's resident size can
make it fail early: reload-on-rss, which measures resident memory, is the
gentler way to bound workers.`,
	Fix: "recycle workers with reload-on-rss below limits.memory divided by the workers, or set limit-as below limits.memory",
	Example: `containers:
  - name: web
    image: example/flask-app:2
    command: ["uwsgi", "--module", "app:app", "--limit-as", "2048"]
    resources:
      limits:
        memory: 1Gi`,
	Good: `containers:
  - name: web
    image: example/flask-app:2
    command: ["uwsgi", "--module", "app:app", "--limit-as", "768"]
    resources:
      limits:
        memory: 1Gi`,
	Check: checkUWSGILimitASIneffective,
}

func checkUWSGILimitASIneffective(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	run, found := readUWSGI(p)
	if !found || !c.Limit.Usable() || c.Limit.Bytes() <= 0 {
		return nil
	}
	n, x, set, sure := run.opts.uwsgiNumber("limit-as")
	limit := c.Limit.Bytes()
	if !set || !sure || n <= 0 || (n < math.MaxInt64>>21 && n<<20 < limit) {
		return nil
	}
	return []lint.Diagnostic{{
		Path: x.at.Path, In: x.at.Object, Container: c.Name,
		Message: fmt.Sprintf("limit-as %s caps each uWSGI process's address space at %s, at or above %s: a worker fills the container before the cap makes an allocation fail, so the kernel OOM-kills the container and the cap never takes effect",
			x.value, quantity.FormatBytes(min(n, math.MaxInt64>>21)<<20), limitField(c)),
		Fix:     fmt.Sprintf("bound workers with reload-on-rss (resident memory, below %s divided by the workers), or set limit-as below %d", limitField(c), limit>>20),
		Related: comparedWithLimit(p),
	}}
}

// uwsgiRecyclers are the options that make uWSGI replace a worker.
var uwsgiRecyclers = []string{"max-requests", "reload-on-rss", "evil-reload-on-rss", "max-worker-lifetime", "reload-on-as", "evil-reload-on-as"}

var uwsgiRecyclingMissing = &lint.Rule{
	ID: "OOM234", Name: "uwsgi-recycling-missing", Severity: lint.Info, Scope: lint.ContainerScope,
	Since:  "0.1.0",
	Family: "python", Precision: lint.MediumPrecision,
	Summary: "uWSGI runs several workers and never recycles them",
	Doc: `uWSGI keeps its workers alive forever unless an option recycles them:
max-requests (after that many requests), reload-on-rss or
evil-reload-on-rss (past a resident size), max-worker-lifetime (after that
many seconds), reload-on-as. A slow leak in the application or a library
then grows every worker until the container reaches limits.memory and the
kernel OOM-kills it (exit 137), every worker and in-flight request with it.
This rule fires only for two or more workers, where a leak multiplies, and
only when every source of options is visible (command line, UWSGI_*
variables, config files in ConfigMaps the container mounts); options are
read as OOM232 describes.`,
	Fix: "add max-requests = 1000 and reload-on-rss below limits.memory divided by the workers to the uWSGI options",
	Example: `containers:
  - name: web
    image: example/flask-app:2
    command: ["uwsgi", "--module", "app:app", "--processes", "4"]`,
	Good: `containers:
  - name: web
    image: example/flask-app:2
    command: ["uwsgi", "--module", "app:app", "--processes", "4", "--max-requests", "1000"]`,
	Check: checkUWSGIRecyclingMissing,
}

func checkUWSGIRecyclingMissing(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	run, found := readUWSGI(p)
	if !found || run.opts.opaque() || unresolvedEnvFrom(c) {
		return nil
	}
	procs, _, ok := uwsgiProcesses(run)
	if !ok || procs < 2 {
		return nil
	}
	for _, name := range uwsgiRecyclers {
		if n, _, set, sure := run.opts.uwsgiNumber(name); !sure || (set && n > 0) {
			return nil
		}
	}
	limit := "the memory limit"
	if c.Limit.Usable() {
		limit = limitField(c)
	}
	return []lint.Diagnostic{{
		Path: run.at.Path, In: run.at.Object, Container: c.Name,
		Message: fmt.Sprintf("uWSGI runs %d workers and nothing recycles them (no max-requests, reload-on-rss or max-worker-lifetime): a slow leak grows every worker until the container reaches %s and is OOM-killed with all of them", procs, limit),
		Fix:     "add --max-requests 1000 (and --reload-on-rss below the limit divided by the workers) to the uWSGI options",
	}}
}

// celeryRun is what a container's Celery worker is given.
type celeryRun struct {
	opts pyOpts
	at   lint.Place // the word that starts the worker, else the first variable
}

// readCelery gathers a Celery worker's pool options in the order they
// take effect: CELERYD_* variables (old setting names an application's
// config may map), then CELERY_WORKER_* variables (the celery command
// reads them), then the command line. It reports false when the container
// shows no Celery worker.
func readCelery(p *lint.Pass) (celeryRun, bool) {
	c := p.Container
	var run celeryRun
	if c.Process == nil {
		return run, false
	}
	command, other := false, false
	for _, cmd := range c.Process.Commands {
		start, rest, ok := moduleCommand(cmd, "celery", func(prog string) bool { return prog == "celery" })
		if !ok {
			continue
		}
		worker, opts := runtimeflags.ScanCelery(wordValues(rest))
		if !worker {
			other = true // beat, flower, …
			continue
		}
		run.at, command = start.At, true
		for _, o := range opts {
			run.opts = append(run.opts, pyOpt{name: o.Name, value: o.Value, at: rest[o.At].At})
		}
		break
	}
	var legacy, click pyOpts
	for _, e := range envInOrder(c.Process) {
		name, old, ok := runtimeflags.CeleryEnv(e.Name)
		if !ok {
			continue
		}
		o := pyOpt{name: name, value: e.Value, at: e.At, opaque: !e.Known}
		if old {
			legacy = append(legacy, o)
		} else {
			click = append(click, o)
		}
	}
	env := slices.Concat(legacy, click)
	if !command {
		if len(env) == 0 || other || !entrypointHidden(c) {
			return run, false
		}
		run.at = env[0].at
	}
	run.opts = append(env, run.opts...)
	return run, true
}

// celeryInt reads a whole-number worker option.
func (o pyOpts) celeryInt(name string) (int64, pyOpt, bool, bool) {
	x, set, sure := o.get(name)
	if !set || !sure {
		return 0, x, set, sure
	}
	n, ok := runtimeflags.ParseCeleryInt(x.value)
	return n, x, true, ok
}

// celeryForks reports whether the worker's pool is prefork, surely.
func celeryForks(run celeryRun) bool {
	x, _, sure := run.opts.get("pool")
	return sure && runtimeflags.CeleryForks(x.value)
}

var celeryChildMemoryExceedsLimit = &lint.Rule{
	ID: "OOM235", Name: "celery-child-memory-exceeds-limit", Severity: lint.Error, Scope: lint.ContainerScope,
	Since:   "0.1.0",
	Family:  "python",
	Summary: "Celery children × max-memory-per-child at or above the container memory limit",
	Doc: `Celery's --max-memory-per-child replaces a prefork child once its resident
memory passes that many kilobytes (KiB, not MB: 200000 is about 195 MiB),
checked after each task. The threshold is per child: with N children each
allowed to grow to it, the worker may need N × max-memory-per-child, plus
the main process, before any child is replaced. At or above limits.memory
the kernel OOM-kills the container (exit 137) with every child and their
tasks instead.

N is --autoscale's maximum when set, else --concurrency. Without either,
Celery starts one child per CPU of the machine: os.cpu_count(), which does
not see the container's CPU limit, so on a 64-CPU node it forks 64
children. The rule then counts the fewest children that can be: the
container's CPU request (else its limit) rounded up, or 1, and says so.

Options are read from the celery command line (celery -A app worker …,
python -m celery, also inside sh -c scripts), from the variables the
celery command reads (CELERY_WORKER_CONCURRENCY,
CELERY_WORKER_MAX_MEMORY_PER_CHILD, CELERY_WORKER_AUTOSCALE,
CELERY_WORKER_POOL), below the command line, and from the old setting names
CELERYD_CONCURRENCY and CELERYD_MAX_MEMORY_PER_CHILD, lowest, which an
application's config often maps from the environment. Settings in the
application's own config (worker_concurrency in celeryconfig.py or Django
settings) are not visible in a manifest. Only the prefork pool (the
default) forks children; solo, threads, gevent and eventlet are skipped.`,
	Fix: "lower --max-memory-per-child (KiB) so that children × max-memory-per-child stays below about 75% of limits.memory, set --concurrency, or raise the limit",
	Example: `containers:
  - name: worker
    image: example/django-app:3.1
    command: ["celery", "-A", "proj", "worker", "--concurrency", "4", "--max-memory-per-child", "300000"]
    resources:
      limits:
        memory: 1Gi`,
	Good: `containers:
  - name: worker
    image: example/django-app:3.1
    command: ["celery", "-A", "proj", "worker", "--concurrency", "4", "--max-memory-per-child", "190000"]
    resources:
      limits:
        memory: 1Gi`,
	Check: checkCeleryChildMemoryExceedsLimit,
}

func checkCeleryChildMemoryExceedsLimit(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	run, found := readCelery(p)
	if !found || !c.Limit.Usable() || c.Limit.Bytes() <= 0 || !celeryForks(run) {
		return nil
	}
	kib, at, set, ok := run.opts.celeryInt("max-memory-per-child")
	if !set || !ok || kib <= 0 || kib > math.MaxInt64>>20 {
		return nil
	}
	children, why, ok := celeryChildren(p, run)
	if !ok {
		return nil
	}
	limit := c.Limit.Bytes()
	if children > math.MaxInt64>>10/kib || children*kib<<10 < limit {
		return nil
	}
	total := children * kib << 10
	share := targetShare(p)
	each := int64(float64(limit)*share) / children >> 10
	return []lint.Diagnostic{{
		Path: at.at.Path, In: at.at.Object, Container: c.Name,
		Message: fmt.Sprintf("Celery replaces a child only once its resident memory passes %s %s KiB (%s): %s may each grow that far, %s in all, %s of %s, so the container is OOM-killed with every child before Celery replaces one",
			at.name, at.value, quantity.FormatBytes(kib<<10), why, quantity.FormatBytes(total), quantity.Percent(float64(total), float64(limit)), limitField(c)),
		Fix: fmt.Sprintf("set --max-memory-per-child=%d (KiB; %d children within %s of %s) or raise the limit to %s",
			each, children, quantity.Percent(share, 1), limitField(c), raiseTo(total, share)),
		Related: comparedWithLimit(p),
	}}
}

// celeryChildren is how many children the worker runs: --autoscale's
// maximum, else --concurrency, else at least the CPUs the container is
// given (Celery forks one per CPU of the node), with the words that say
// where the number came from.
func celeryChildren(p *lint.Pass, run celeryRun) (int64, string, bool) {
	if x, set, sure := run.opts.get("autoscale"); !sure {
		return 0, "", false
	} else if set {
		n, ok := runtimeflags.CeleryAutoscaleMax(x.value)
		return n, fmt.Sprintf("up to %d children (autoscale %s)", n, x.value), ok
	}
	n, x, set, ok := run.opts.celeryInt("concurrency")
	switch {
	case set && !ok:
		return 0, "", false
	case set && n > 0:
		return n, fmt.Sprintf("%d children (%s %s)", n, x.name, x.value), true
	}
	cpus, field := cpuFloor(p.Container)
	if field == "" {
		return 1, "with no --concurrency Celery forks one child per CPU of the node (os.cpu_count() ignores the container's limits), so at least 1 child", true
	}
	return cpus, fmt.Sprintf("with no --concurrency Celery forks one child per CPU of the node (os.cpu_count() ignores the container's limits), so at least %d children (%s)", cpus, field), true
}

// cpuFloor is the fewest CPUs the container's node has: its CPU request
// rounded up (the scheduler places it where that fits), else its CPU
// limit (the request defaults to it); field names the value.
func cpuFloor(c *lint.Container) (int64, string) {
	for _, f := range []string{"requests", "limits"} {
		raw := yamlnode.Str(c.Node, "resources", f, "cpu")
		if raw == "" {
			continue
		}
		q, err := quantity.Parse(raw)
		if err != nil || q.MilliValue() <= 0 {
			return 0, ""
		}
		return (q.MilliValue() + 999) / 1000, f + ".cpu " + raw
	}
	return 0, ""
}

var celeryRecyclingMissing = &lint.Rule{
	ID: "OOM236", Name: "celery-recycling-missing", Severity: lint.Info, Scope: lint.ContainerScope,
	Since:  "0.1.0",
	Family: "python", Precision: lint.MediumPrecision,
	Summary: "Celery prefork worker that never replaces its children",
	Doc: `A Celery prefork worker keeps each child process alive forever unless
--max-tasks-per-child (after that many tasks) or --max-memory-per-child
(past a resident size, in KiB) replaces it. A slow leak in a task or a
library then grows every child until the container reaches limits.memory
and the kernel OOM-kills it (exit 137), with every child and the tasks they
were running. Options are read as OOM235 describes; the application's own
config (worker_max_tasks_per_child in celeryconfig.py or Django settings)
is not visible in a manifest: when it sets recycling, disable this rule.`,
	Fix: "add --max-tasks-per-child 1000 (and --max-memory-per-child in KiB below the limit divided by the children) to the celery worker command",
	Example: `containers:
  - name: worker
    image: example/django-app:3.1
    command: ["celery", "-A", "proj", "worker", "--concurrency", "4"]`,
	Good: `containers:
  - name: worker
    image: example/django-app:3.1
    command: ["celery", "-A", "proj", "worker", "--concurrency", "4", "--max-tasks-per-child", "1000"]`,
	Check: checkCeleryRecyclingMissing,
}

func checkCeleryRecyclingMissing(p *lint.Pass) []lint.Diagnostic {
	c := p.Container
	run, found := readCelery(p)
	if !found || run.opts.opaque() || unresolvedEnvFrom(c) || !celeryForks(run) {
		return nil
	}
	for _, name := range []string{"max-tasks-per-child", "max-memory-per-child"} {
		if n, _, set, ok := run.opts.celeryInt(name); set && (!ok || n > 0) {
			return nil
		}
	}
	limit := "the memory limit"
	if c.Limit.Usable() {
		limit = limitField(c)
	}
	return []lint.Diagnostic{{
		Path: run.at.Path, In: run.at.Object, Container: c.Name,
		Message: fmt.Sprintf("the Celery worker never replaces its children (no --max-tasks-per-child or --max-memory-per-child): a slow leak grows every child until the container reaches %s and is OOM-killed with all of them", limit),
		Fix:     "add --max-tasks-per-child 1000 (and --max-memory-per-child in KiB) to the celery worker command or CELERY_WORKER_MAX_TASKS_PER_CHILD",
	}}
}
