package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec" //nolint:depguard // the start-up benchmark runs the built binary, as a user or a hook does
	"path/filepath"
	"runtime"
	"testing"
)

const startupManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: registry.example.com/shop/web:1.4.0
          resources:
            requests:
              memory: 256Mi
            limits:
              memory: 512Mi
`

// BenchmarkStartup measures one run of the oomlint binary on a repository
// of one small Deployment, from process start to exit: what a pre-commit
// hook or an editor pays per call. BenchmarkStartupTrue is the floor, the
// cost of spawning a process that does nothing.
//
//	go test ./cmd/oomlint -run '^$' -bench 'Startup' -benchtime 20x -count 3
func BenchmarkStartup(b *testing.B) {
	bin := buildOomlint(b)
	repo := b.TempDir()
	if err := os.WriteFile(filepath.Join(repo, "deployment.yaml"), []byte(startupManifest), 0o644); err != nil {
		b.Fatal(err)
	}
	args := []string{repo, "--format", "json"}
	out, err := runSpawned(b, repo, bin, args...)
	if err != nil {
		b.Fatal(err)
	}
	if !json.Valid(out) {
		b.Fatalf("oomlint --format json printed no JSON:\n%s", out)
	}
	benchSpawn(b, repo, bin, args...)
}

// BenchmarkStartupTrue runs `true` the way BenchmarkStartup runs oomlint.
func BenchmarkStartupTrue(b *testing.B) {
	bin, err := exec.LookPath("true")
	if err != nil {
		bin = "/bin/true"
	}
	benchSpawn(b, b.TempDir(), bin)
}

func benchSpawn(b *testing.B, dir, bin string, args ...string) {
	b.Helper()
	for b.Loop() {
		if _, err := runSpawned(b, dir, bin, args...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/op")
}

// runSpawned runs bin in dir and returns its standard output. Exit status 1
// (findings) is success.
func runSpawned(b *testing.B, dir, bin string, args ...string) ([]byte, error) {
	b.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(b.Context(), bin, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &stdout, &stderr
	err := cmd.Run()
	if exitErr := (*exec.ExitError)(nil); errors.As(err, &exitErr) && exitErr.ExitCode() == exitFindings {
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", filepath.Base(bin), err, stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

// buildOomlint builds this command into a temporary directory, or skips b
// where there is no Go toolchain.
func buildOomlint(b *testing.B) string {
	b.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go") //nolint:staticcheck // the test binary's own toolchain, when go is not on PATH
		if _, err := os.Stat(goTool); err != nil {
			b.Skipf("no Go toolchain to build oomlint: %v", err)
		}
	}
	bin := filepath.Join(b.TempDir(), "oomlint")
	// Built as the releases are (.goreleaser.yaml): the binary users run.
	build := exec.CommandContext(b.Context(), goTool, "build", "-trimpath",
		"-tags", "urfave_cli_no_docs", "-ldflags", "-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
