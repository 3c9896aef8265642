package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec" //nolint:depguard // runs the action's bash script, as the runner would
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// fakeRelease serves oomlint releases as GitHub does (the latest-release API
// and release assets), on loopback, and counts the requests per path.
type fakeRelease struct {
	latest string            // tag_name of the latest release
	assets map[string][]byte // "v1.2.3/oomlint_1.2.3_linux_amd64.tar.gz" → content

	mu    sync.Mutex
	hits  map[string]int
	auths []string // Authorization headers of API requests
}

func (f *fakeRelease) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits[r.URL.Path]++
	f.mu.Unlock()
	if r.URL.Path == "/api/repos/oomlint/oomlint/releases/latest" {
		f.mu.Lock()
		f.auths = append(f.auths, r.Header.Get("Authorization"))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, "{\n  \"url\": \"https://api.github.com/repos/oomlint/oomlint/releases/1\",\n  \"tag_name\": %q,\n  \"name\": %q\n}\n", f.latest, f.latest)
		return
	}
	if data, ok := f.assets[strings.TrimPrefix(r.URL.Path, "/download/")]; ok {
		_, _ = w.Write(data)
		return
	}
	http.NotFound(w, r)
}

func (f *fakeRelease) authorizations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.auths)
}

func (f *fakeRelease) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

// releaseTarGz is a goreleaser-style archive: the binary at the top with a
// README and LICENSE beside it.
func releaseTarGz(t *testing.T, bin []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{"LICENSE", 0o644, []byte("license\n")}, {"README.md", 0o644, []byte("readme\n")}, {"oomlint", 0o755, bin}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// TestActionInstall runs the action's install steps (resolve, then build)
// against a fake release on loopback: the archive holds a shell script that
// runs this test binary as oomlint.
func TestActionInstall(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake release binary is a shell script")
	}
	for _, tool := range []string{"bash", "tar", "curl", "gzip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	root := repoRoot(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	shim := []byte("#!/bin/sh\n" + asMainEnv + "=1 exec '" + self + "' \"$@\"\n")
	good := releaseTarGz(t, shim)
	tampered := releaseTarGz(t, append(shim, "# tampered\n"...))
	checksums := func(files map[string][]byte) []byte {
		var b strings.Builder
		for name, data := range files {
			fmt.Fprintf(&b, "%s  %s\n", sha256Hex(data), name)
		}
		fmt.Fprintf(&b, "%s  %s\n", sha256Hex([]byte("other")), "oomlint_x_windows_amd64.zip")
		return []byte(b.String())
	}
	rel := &fakeRelease{
		latest: "v9.8.7",
		hits:   map[string]int{},
		assets: map[string][]byte{
			"v9.8.7/oomlint_9.8.7_linux_amd64.tar.gz":  good,
			"v9.8.7/oomlint_9.8.7_darwin_arm64.tar.gz": good,
			"v9.8.7/checksums.txt": checksums(map[string][]byte{
				"oomlint_9.8.7_linux_amd64.tar.gz":  good,
				"oomlint_9.8.7_darwin_arm64.tar.gz": good,
			}),
			"v1.2.3/oomlint_1.2.3_linux_amd64.tar.gz": good,
			"v1.2.3/checksums.txt":                    checksums(map[string][]byte{"oomlint_1.2.3_linux_amd64.tar.gz": good}),
			// The archive differs from the one checksums.txt describes.
			"v6.6.6/oomlint_6.6.6_linux_amd64.tar.gz": tampered,
			"v6.6.6/checksums.txt":                    checksums(map[string][]byte{"oomlint_6.6.6_linux_amd64.tar.gz": good}),
			// No checksum for the archive.
			"v5.5.5/oomlint_5.5.5_linux_amd64.tar.gz": good,
			"v5.5.5/checksums.txt":                    checksums(nil),
		},
	}
	srv := httptest.NewServer(rel)
	t.Cleanup(srv.Close)

	type result struct {
		log     string
		code    int
		outputs map[string]string
	}
	// step runs one step of the action script with the runner's variables.
	step := func(t *testing.T, toolCache string, env map[string]string, args ...string) result {
		t.Helper()
		tmp := t.TempDir()
		outputs := filepath.Join(tmp, "outputs")
		cmd := exec.CommandContext(t.Context(), "bash", append([]string{filepath.Join(root, ".github", "oomlint-action.sh")}, args...)...)
		cmd.Dir = root
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + tmp,
			"GITHUB_WORKSPACE=" + root, "RUNNER_TEMP=" + tmp, "RUNNER_TOOL_CACHE=" + toolCache, "GITHUB_OUTPUT=" + outputs,
			"RUNNER_OS=Linux", "RUNNER_ARCH=X64", "GITHUB_TOKEN=job-token",
			"OOMLINT_RELEASE_URL=" + srv.URL + "/download", "OOMLINT_API_URL=" + srv.URL + "/api",
			"CI=true", "GITHUB_ACTIONS=true",
		}
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, err := cmd.CombinedOutput()
		r := result{log: string(out), outputs: map[string]string{}}
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			r.code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if data, err := os.ReadFile(outputs); err == nil {
			for line := range strings.Lines(string(data)) {
				k, v, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
				r.outputs[k] = v
			}
		}
		return r
	}
	// install runs resolve and then build as action.yml does, passing the
	// resolved version and directory on.
	install := func(t *testing.T, toolCache string, env map[string]string) (resolve, build result) {
		t.Helper()
		resolve = step(t, toolCache, env, "resolve")
		if resolve.code != 0 {
			return resolve, resolve
		}
		benv := map[string]string{"OOMLINT_VERSION": resolve.outputs["version"], "OOMLINT_INSTALL_DIR": resolve.outputs["dir"]}
		maps.Copy(benv, env)
		return resolve, step(t, toolCache, benv, "build")
	}

	t.Run("latest release resolved with the job token then verified and run", func(t *testing.T) {
		cache := t.TempDir()
		resolve, build := install(t, cache, map[string]string{"INPUT_PATH": "testdata/flux-repo", "INPUT_PULL_CHARTS": "true"})
		if build.code != 0 {
			t.Fatalf("exit %d:\n%s", build.code, build.log)
		}
		if got, want := resolve.outputs["version"], "9.8.7"; got != want {
			t.Errorf("version %q, want %q", got, want)
		}
		if got, want := resolve.outputs["cache-key"], "oomlint-bin-9.8.7-linux-amd64"; got != want {
			t.Errorf("cache-key %q, want %q", got, want)
		}
		wantBin := filepath.Join(cache, "oomlint", "9.8.7", "linux-amd64", "oomlint")
		if resolve.outputs["dir"] != filepath.Dir(wantBin) || build.outputs["bin"] != wantBin {
			t.Errorf("dir %q, bin %q; want the binary at %s", resolve.outputs["dir"], build.outputs["bin"], wantBin)
		}
		if data, err := os.ReadFile(wantBin); err != nil || !bytes.Equal(data, shim) {
			t.Errorf("installed binary: %v %q", err, data)
		}
		// The chart-cache key comes from `oomlint charts refs`: the installed binary ran.
		if !strings.HasPrefix(build.outputs["chart-key"], "oomlint-charts-Linux-") {
			t.Errorf("no chart-key from the installed binary: %v\n%s", build.outputs, build.log)
		}
		if !strings.Contains(build.log, "sha256 "+sha256Hex(good)) {
			t.Errorf("the log does not show the verified checksum:\n%s", build.log)
		}
		if auths := rel.authorizations(); len(auths) == 0 || auths[0] != "Bearer job-token" {
			t.Errorf("API requests' Authorization %q, want the job token", auths)
		}

		// The lint step runs the installed binary.
		sarif := filepath.Join(t.TempDir(), "oomlint.sarif")
		lint := step(t, cache, map[string]string{
			"OOMLINT_BIN": build.outputs["bin"], "INPUT_PATH": "examples", "INPUT_FAIL_ON": "none",
			"INPUT_SARIF_FILE": sarif, "INPUT_PULL_CHARTS": "false",
		})
		if lint.code != 0 || lint.outputs["exit-code"] != "0" {
			t.Fatalf("lint with the installed binary: exit %d, outputs %v:\n%s", lint.code, lint.outputs, lint.log)
		}
		if _, err := os.Stat(sarif); err != nil {
			t.Errorf("no SARIF from the installed binary: %v", err)
		}

		// A cached binary (actions/cache restored the directory) is not downloaded again.
		archive := "/download/v9.8.7/oomlint_9.8.7_linux_amd64.tar.gz"
		before := rel.count(archive)
		_, again := install(t, cache, map[string]string{"INPUT_PULL_CHARTS": "false"})
		if again.code != 0 || again.outputs["bin"] != wantBin {
			t.Fatalf("second install: exit %d, outputs %v:\n%s", again.code, again.outputs, again.log)
		}
		if n := rel.count(archive); n != before {
			t.Errorf("the cached binary was downloaded again (%d → %d requests)", before, n)
		}
	})

	t.Run("pinned version skips the API", func(t *testing.T) {
		api := rel.count("/api/repos/oomlint/oomlint/releases/latest")
		for _, v := range []string{"1.2.3", "v1.2.3"} {
			cache := t.TempDir()
			resolve, build := install(t, cache, map[string]string{"INPUT_VERSION": v, "INPUT_PULL_CHARTS": "false"})
			if build.code != 0 {
				t.Fatalf("version %s: exit %d:\n%s", v, build.code, build.log)
			}
			if resolve.outputs["version"] != "1.2.3" || build.outputs["bin"] != filepath.Join(cache, "oomlint", "1.2.3", "linux-amd64", "oomlint") {
				t.Errorf("version %s: outputs %v, %v", v, resolve.outputs, build.outputs)
			}
		}
		if n := rel.count("/api/repos/oomlint/oomlint/releases/latest"); n != api {
			t.Errorf("a pinned version asked the API for the latest release")
		}
	})

	t.Run("runner OS and architecture pick the asset", func(t *testing.T) {
		cache := t.TempDir()
		_, build := install(t, cache, map[string]string{"RUNNER_OS": "macOS", "RUNNER_ARCH": "ARM64", "INPUT_PULL_CHARTS": "false"})
		if build.code != 0 || build.outputs["bin"] != filepath.Join(cache, "oomlint", "9.8.7", "darwin-arm64", "oomlint") {
			t.Errorf("exit %d, outputs %v:\n%s", build.code, build.outputs, build.log)
		}
		if rel.count("/download/v9.8.7/oomlint_9.8.7_darwin_arm64.tar.gz") == 0 {
			t.Errorf("the darwin/arm64 archive was not downloaded")
		}
	})

	failures := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"wrong checksum", map[string]string{"INPUT_VERSION": "6.6.6"},
			"checksum mismatch for oomlint_6.6.6_linux_amd64.tar.gz: sha256 " + sha256Hex(tampered) + " does not match " + sha256Hex(good)},
		{"no checksum", map[string]string{"INPUT_VERSION": "5.5.5"}, "checksums.txt of v5.5.5 has no entry for oomlint_5.5.5_linux_amd64.tar.gz"},
		{"no such release", map[string]string{"INPUT_VERSION": "4.4.4"}, "cannot download " + srv.URL + "/download/v4.4.4/checksums.txt"},
		{"unsupported architecture", map[string]string{"RUNNER_ARCH": "X86"}, "no oomlint release for runner architecture X86; use install: source"},
		{"bad version", map[string]string{"INPUT_VERSION": "1.2.3; rm -rf /"}, "is not a release version"},
		{"bad install", map[string]string{"INPUT_INSTALL": "docker"}, "install is docker; want download or source"},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			cache := t.TempDir()
			env := map[string]string{"INPUT_PULL_CHARTS": "false"}
			maps.Copy(env, tt.env)
			_, build := install(t, cache, env)
			if build.code != 2 {
				t.Errorf("exit %d, want 2:\n%s", build.code, build.log)
			}
			if !strings.Contains(build.log, "::error title=oomlint action::") || !strings.Contains(build.log, tt.want) {
				t.Errorf("log lacks %q:\n%s", tt.want, build.log)
			}
			if build.outputs["bin"] != "" {
				t.Errorf("bin output %q after a failed install", build.outputs["bin"])
			}
			var installed []string
			_ = filepath.WalkDir(cache, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					installed = append(installed, p)
				}
				return nil
			})
			if len(installed) > 0 {
				t.Errorf("files installed after a failed install: %v", installed)
			}
		})
	}
}

// TestActionInstallMetadata checks how action.yml installs oomlint: the
// release binary by default with no setup-go (so later steps keep their Go),
// cached under the resolved version, OS and architecture; setup-go only with
// install: source.
func TestActionInstallMetadata(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]struct{ Default string }
		Runs   struct {
			Steps []struct {
				ID, If, Run, Uses string
				Env               map[string]string
				With              map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	if d := action.Inputs["version"].Default; d != "latest" {
		t.Errorf("version default %q, want latest", d)
	}
	if d := action.Inputs["install"].Default; d != "download" {
		t.Errorf("install default %q, want download", d)
	}
	const source = "${{ inputs.install == 'source' }}"
	const download = "${{ inputs.install != 'source' }}"
	var setupGo, binCache, resolve, build bool
	for _, s := range action.Runs.Steps {
		switch {
		case strings.HasPrefix(s.Uses, "actions/setup-go@"):
			setupGo = true
			if s.If != source {
				t.Errorf("setup-go runs if %q, want only %s", s.If, source)
			}
		case s.ID == "resolve":
			resolve = true
			if s.If != download || !strings.HasSuffix(s.Run, "oomlint-action.sh\" resolve") || s.Env["GITHUB_TOKEN"] != "${{ github.token }}" {
				t.Errorf("resolve step: %+v", s)
			}
		case strings.HasPrefix(s.Uses, "actions/cache@") && s.With["key"] == "${{ steps.resolve.outputs.cache-key }}":
			binCache = true
			if s.If != download || s.With["path"] != "${{ steps.resolve.outputs.dir }}" {
				t.Errorf("binary cache step: %+v", s)
			}
		case s.ID == "build":
			build = true
			if !resolve || !binCache {
				t.Errorf("the build step comes before the resolve or binary cache step")
			}
			for k, v := range map[string]string{
				"INPUT_INSTALL": "${{ inputs.install }}", "OOMLINT_VERSION": "${{ steps.resolve.outputs.version }}",
				"OOMLINT_INSTALL_DIR": "${{ steps.resolve.outputs.dir }}",
			} {
				if s.Env[k] != v {
					t.Errorf("build step env %s = %q, want %q", k, s.Env[k], v)
				}
			}
		}
	}
	if !setupGo || !binCache || !resolve || !build {
		t.Errorf("steps missing: setup-go %v, binary cache %v, resolve %v, build %v", setupGo, binCache, resolve, build)
	}
}
