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
	// helm and kustomize report deprecations through the standard logger;
	// oomlint reports what matters as findings, so keep the output clean.
	log.SetOutput(io.Discard)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
