// Command oomlint finds the Kubernetes manifests whose memory settings get
// containers OOMKilled, evicted or rejected at admission.
package main

import (
	"context"
	"io"
	"log"
	"os"
	"os/signal"
)

func main() {
	// helm and kustomize report deprecations through the standard logger,
	// and kustomize also straight to os.Stderr, once per kustomization per
	// build. oomlint's own messages go to the real standard error passed to
	// run; what the libraries print is dropped (a crash still reaches file
	// descriptor 2, which the Go runtime writes to directly).
	log.SetOutput(io.Discard)
	stderr := os.Stderr
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		os.Stderr = null
	}
	stdin = os.Stdin
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args, os.Stdout, stderr, os.Getenv)
	stop()
	os.Exit(code)
}
