package runtimeflags

import (
	"strconv"
	"strings"
)

// CeleryOption is one option of a Celery worker as written: its canonical
// name (the click parameter: "concurrency", "max-memory-per-child"), its
// value, and the index of the word that holds the value.
type CeleryOption struct {
	Name  string
	Value string
	At    int
}

// celeryWorkerNames maps the worker options oomlint reads, by every
// spelling Celery 4 and 5 accept, to their canonical names.
var celeryWorkerNames = map[string]string{
	"-c": "concurrency", "--concurrency": "concurrency",
	"-P": "pool", "--pool": "pool",
	"--autoscale":           "autoscale",
	"--max-tasks-per-child": "max-tasks-per-child", "--maxtasksperchild": "max-tasks-per-child",
	"--max-memory-per-child": "max-memory-per-child", "--maxmemperchild": "max-memory-per-child",
}

// celeryValued are the options of the celery command and of its worker
// subcommand that take a value, so that the value is not read as the
// subcommand or as an option.
var celeryValued = map[string]bool{
	"-A": true, "--app": true, "-b": true, "--broker": true, "--result-backend": true, "--loader": true,
	"--config": true, "--workdir": true, "-l": true, "--loglevel": true, "-Q": true, "--queues": true,
	"-X": true, "--exclude-queues": true, "-n": true, "--hostname": true, "-O": true, "-s": true,
	"--schedule": true, "-f": true, "--logfile": true, "--pidfile": true, "-S": true, "--statedb": true,
	"--time-limit": true, "--soft-time-limit": true, "--prefetch-multiplier": true, "-I": true,
	"--include": true, "--uid": true, "--gid": true, "--umask": true, "--executable": true,
}

// ScanCelery reads a celery command line (the words after the program):
// whether it starts a worker (celery -A proj worker …, or Celery 4's
// celery worker -A proj …), and the worker's pool options in order:
// -c 4, -c4, --concurrency=4, --concurrency 4.
func ScanCelery(words []string) (worker bool, opts []CeleryOption) {
	for i := 0; i < len(words); i++ {
		w := words[i]
		if !strings.HasPrefix(w, "-") || w == "-" {
			if !worker {
				if w != "worker" {
					return false, nil // another subcommand: beat, flower, multi, …
				}
				worker = true
			}
			continue
		}
		name, value, hasValue := strings.Cut(w, "=")
		if !hasValue && !strings.HasPrefix(w, "--") && len(w) > 2 {
			name, value, hasValue = w[:2], w[2:], true // -c4
		}
		canon, known := celeryWorkerNames[name]
		if !hasValue && (known || celeryValued[name]) && i+1 < len(words) {
			i++
			value, hasValue = words[i], true
		}
		if known && worker && hasValue {
			opts = append(opts, CeleryOption{Name: canon, Value: value, At: i})
		}
	}
	return worker, opts
}

// CeleryEnv returns the worker option an environment variable sets.
// CELERY_WORKER_* variables are read by the celery command itself (click's
// auto_envvar_prefix), below the command line. CELERYD_* are the old
// setting names (Celery 3), which Celery reads only when the application's
// config maps them from the environment: legacy is true for those.
func CeleryEnv(name string) (option string, legacy, ok bool) {
	rest, found := strings.CutPrefix(name, "CELERY_WORKER_")
	if !found {
		rest, legacy = strings.CutPrefix(name, "CELERYD_")
		if !legacy {
			return "", false, false
		}
	}
	canon, ok := celeryWorkerNames["--"+strings.ToLower(strings.ReplaceAll(rest, "_", "-"))]
	if !ok {
		return "", false, false
	}
	return canon, legacy, true
}

// ParseCeleryInt reads a whole-number option as click does: an optional
// sign and digits, nothing else.
func ParseCeleryInt(s string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil
}

// CeleryAutoscaleMax reads the most children --autoscale=MAX,MIN allows.
func CeleryAutoscaleMax(s string) (int64, bool) {
	most, _, _ := strings.Cut(s, ",")
	n, ok := ParseCeleryInt(most)
	return n, ok && n > 0
}

// CeleryForks reports whether a --pool value forks child processes, the
// only pool --max-memory-per-child and --max-tasks-per-child apply to
// (prefork, the default; processes is its old name).
func CeleryForks(pool string) bool {
	switch strings.TrimSpace(pool) {
	case "", "prefork", "processes":
		return true
	}
	return false
}
