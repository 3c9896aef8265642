// Package runtimeflags reads the memory settings of language runtimes and
// application servers the way each one reads them: Node.js's
// --max-old-space-size (V8's flag syntax), Go's GOMEMLIMIT
// (runtime.parseByteCount), .NET's GCHeapHardLimit and
// GCHeapHardLimitPercent (hexadecimal, as the CLR reads its environment),
// gunicorn's --max-requests, uWSGI's options (command line, UWSGI_*
// variables, ini and YAML files) and Celery's worker options (command line
// and click's CELERY_WORKER_* variables); and the Node.js and .NET
// versions an image tag names, which decide whether the runtime can see a
// cgroup v2 memory limit.
package runtimeflags
