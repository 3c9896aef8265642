package rules

import (
	"slices"
	"strings"
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
		if got := sidecarReason(settings, nil, c) != ""; got != tt.want {
			t.Errorf("sidecarReason(%s, %s, %v) = %v, want %v", tt.name, tt.image, tt.role, got, tt.want)
		}
	}
}

// TestSidecarReasonMainContainer checks that a known sidecar's name or
// image makes a sidecar only beside the pod's main container.
func TestSidecarReasonMainContainer(t *testing.T) {
	tests := []struct {
		workload   string
		containers []string // "name image", "init:name image", "sidecar:name image"
		sidecars   []string // the names sidecarReason calls sidecars
	}{
		{"promtail", []string{"promtail grafana/promtail:3.0"}, nil},                       // a lone container
		{"agent", []string{"collector otel/opentelemetry-collector-contrib:0.100.0"}, nil}, // a lone container, named otherwise
		{"api", []string{"api example/api:1", "fluent-bit fluent/fluent-bit:3.0"}, []string{"fluent-bit"}},
		{"web", []string{"fluent-bit fluent/fluent-bit:3.0", "web example/web:1"}, []string{"fluent-bit"}}, // named after the workload, not first
		{"web", []string{"istio-proxy istio/proxyv2:1.22", "app example/web:1"}, []string{"istio-proxy"}},  // the first plain container is main
		{"loki-promtail", []string{"promtail grafana/promtail:3.0", "config-reloader example/reloader:1"}, nil},
		{"logging", []string{"vector timberio/vector:0.38", "fluent-bit fluent/fluent-bit:3.0"}, []string{"fluent-bit"}}, // all known: the first
		{"release-vector-agent", []string{"envoy envoyproxy/envoy:v1.30", "vector timberio/vector:0.38"}, []string{"envoy"}},
		{"api", []string{"init:migrate example/api:1", "sidecar:shipper example/forwarder:2", "api example/api:1"}, []string{"shipper"}},
		{"api", []string{"init:istio-proxy istio/proxyv2:1.22", "api example/api:1"}, nil}, // a run-to-completion init container
	}
	for _, tt := range tests {
		w := &lint.Workload{Object: &lint.Object{Kind: "Deployment", Name: tt.workload}}
		for _, spec := range tt.containers {
			nameImage, role := spec, lint.Regular
			if rest, ok := strings.CutPrefix(spec, "init:"); ok {
				nameImage, role = rest, lint.Init
			} else if rest, ok := strings.CutPrefix(spec, "sidecar:"); ok {
				nameImage, role = rest, lint.Sidecar
			}
			name, image, _ := strings.Cut(nameImage, " ")
			w.Containers = append(w.Containers, &lint.Container{Name: name, Image: image, Role: role})
		}
		var got []string
		for _, c := range w.Containers {
			if sidecarReason(lint.Settings{}, w, c) != "" {
				got = append(got, c.Name)
			}
		}
		if !slices.Equal(got, tt.sidecars) {
			t.Errorf("%s %v: sidecars %v, want %v", tt.workload, tt.containers, got, tt.sidecars)
		}
	}
}

func TestNamedAfter(t *testing.T) {
	for _, tt := range []struct {
		workload, container string
		want                int
	}{
		{"api", "api", exactName},
		{"loki-promtail", "promtail", partName},
		{"promtail-agent", "promtail", partName},
		{"my.vector.agent", "vector", partName},
		{"vectorizer", "vector", otherName},
		{"promtail2", "promtail", otherName},
		{"api", "", otherName},
		{"a-api-b", "api", partName},
		{"xapi-api", "api", partName},
	} {
		if got := namedAfter(tt.workload, tt.container); got != tt.want {
			t.Errorf("namedAfter(%q, %q) = %d, want %d", tt.workload, tt.container, got, tt.want)
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
