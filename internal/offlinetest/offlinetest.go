// Package offlinetest makes a test fail on any network use: the proof that
// lint and render never leave the machine.
package offlinetest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"testing"
)

// Guard fails t on any HTTP request or DNS lookup made through the default
// transport and resolver until the test ends, and points helm's and
// kustomize's cache, config and plugin directories at empty ones.
func Guard(tb testing.TB) {
	tb.Helper()
	oldTransport, oldResolver := http.DefaultTransport, net.DefaultResolver
	http.DefaultTransport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		tb.Errorf("network request attempted: %s %s", r.Method, r.URL)
		return nil, errors.New("offline")
	})
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(_ context.Context, network, addr string) (net.Conn, error) {
		tb.Errorf("network dial attempted: %s %s", network, addr)
		return nil, errors.New("offline")
	}}
	tb.Cleanup(func() { http.DefaultTransport, net.DefaultResolver = oldTransport, oldResolver })
	for _, v := range []string{"HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME", "HOME", "KUSTOMIZE_PLUGIN_HOME", "XDG_CONFIG_HOME"} {
		tb.Setenv(v, tb.TempDir())
	}
	tb.Setenv("HELM_REPOSITORY_CONFIG", filepath.Join(tb.TempDir(), "repositories.yaml"))
	tb.Setenv("HELM_REPOSITORY_CACHE", tb.TempDir())
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
