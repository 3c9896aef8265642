// Package runtimeflags reads the memory settings of language runtimes the
// way each runtime itself reads them: Node.js's --max-old-space-size (V8's
// flag syntax), Go's GOMEMLIMIT (runtime.parseByteCount), .NET's
// GCHeapHardLimit and GCHeapHardLimitPercent (hexadecimal, as the CLR reads
// its environment) and gunicorn's --max-requests.
package runtimeflags
