package rules

import (
	"testing"

	"github.com/oomlint/oomlint/lint"
)

func TestSidecarReason(t *testing.T) {
	settings := lint.Settings{Sidecars: []string{"acme-agent", "corp/mesh-proxy"}}
	tests := []struct {
		name, image string
		role        lint.Role
		want        bool
	}{
		{"istio-proxy", "example/whatever:1", lint.Regular, true},
		{"proxy", "docker.io/istio/proxyv2:1.22.0", lint.Regular, true},
		{"proxy", "cr.l5d.io/linkerd/proxy:stable-2.14", lint.Regular, true},
		{"agent", "gcr.io/datadoghq/agent:7", lint.Regular, true},
		{"logs", "fluent/fluent-bit:3.0@sha256:abc", lint.Regular, true},
		{"otel", "otel/opentelemetry-collector-contrib:0.100.0", lint.Regular, true},
		{"sql", "gcr.io/cloudsql-docker/gce-proxy:1.33", lint.Regular, true},
		{"Envoy", "example/x:1", lint.Regular, true},
		{"acme-agent", "example/x:1", lint.Regular, true},               // settings, by name
		{"mesh", "registry.corp/corp/mesh-proxy:2", lint.Regular, true}, // settings, by image path
		{"anything", "example/x:1", lint.Sidecar, true},                 // native sidecar
		{"istio-proxy", "example/x:1", lint.Init, false},                // a run-to-completion init container is no sidecar
		{"vectorizer", "example/vectorizer:1", lint.Regular, false},
		{"proxy", "example/proxy:1", lint.Regular, false},
		{"api", "example/agent:1", lint.Regular, false},
		{"registry", "registry:5000/vector", lint.Regular, true}, // a port is not a tag
	}
	for _, tt := range tests {
		c := &lint.Container{Name: tt.name, Image: tt.image, Role: tt.role}
		if got := sidecarReason(settings, c) != ""; got != tt.want {
			t.Errorf("sidecarReason(%s, %s, %v) = %v, want %v", tt.name, tt.image, tt.role, got, tt.want)
		}
	}
}

func TestSizeText(t *testing.T) {
	for in, want := range map[int64]string{
		1 << 30:       "1Gi",
		1536 << 20:    "1.5Gi",
		1280 << 20:    "1280Mi",
		512 << 20:     "512Mi",
		1<<20 + 1<<19: "1.5Mi",
		4608 << 20:    "4.5Gi",
		100:           "100",
	} {
		if got := sizeText(in); got != want {
			t.Errorf("sizeText(%d) = %q, want %q", in, got, want)
		}
	}
}
