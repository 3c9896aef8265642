package rules

import (
	"testing"

	"github.com/oomlint/oomlint/lint"
)

func TestVPAControlsMemory(t *testing.T) {
	w := &lint.Workload{Containers: []*lint.Container{{Name: "app"}, {Name: "proxy"}, {Name: "init", Role: lint.Init}}}
	cpuOnly := &containerPolicy{name: "*", controlled: []string{"cpu"}}
	tests := []struct {
		name      string
		v         *vpa
		w         *lint.Workload
		container string
		want      bool
	}{
		{"no policies, mode unset", &vpa{}, w, "", true},
		{"mode Off", &vpa{mode: "Off"}, w, "", false},
		{"star cpu only", &vpa{policies: []*containerPolicy{cpuOnly}}, w, "", false},
		{"star cpu only, app memory", &vpa{policies: []*containerPolicy{cpuOnly, {name: "app", controlled: []string{"memory"}}}}, w, "", true},
		{"star cpu only, app Off", &vpa{policies: []*containerPolicy{cpuOnly, {name: "app", mode: "Off"}}}, w, "", false},
		{"app Off, proxy uncovered", &vpa{policies: []*containerPolicy{{name: "app", mode: "Off"}}}, w, "", true},
		{"container metric on Off container", &vpa{policies: []*containerPolicy{{name: "app", mode: "Off"}}}, w, "app", false},
		{"container metric on uncovered container", &vpa{policies: []*containerPolicy{{name: "app", mode: "Off"}}}, w, "proxy", true},
		{"no workload, star cpu only", &vpa{policies: []*containerPolicy{cpuOnly}}, nil, "", false},
		{"no workload, named policy only", &vpa{policies: []*containerPolicy{{name: "app", mode: "Off"}}}, nil, "", true},
	}
	for _, tt := range tests {
		if got := tt.v.controlsMemory(tt.w, tt.container); got != tt.want {
			t.Errorf("%s: controlsMemory = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestTargetRefMatching(t *testing.T) {
	dep := &lint.Object{APIVersion: "apps/v1", Kind: "Deployment", Name: "api"}
	tests := []struct {
		ref  targetRef
		want bool
	}{
		{targetRef{ok: true, APIVersion: "apps/v1", Kind: "Deployment", Name: "api"}, true},
		{targetRef{ok: true, Kind: "Deployment", Name: "api"}, true},
		{targetRef{ok: true, APIVersion: "extensions/v1beta1", Kind: "Deployment", Name: "api"}, true},
		{targetRef{ok: true, APIVersion: "argoproj.io/v1alpha1", Kind: "Deployment", Name: "api"}, false},
		{targetRef{ok: true, APIVersion: "apps/v1", Kind: "StatefulSet", Name: "api"}, false},
		{targetRef{ok: true, APIVersion: "apps/v1", Kind: "Deployment", Name: "apy"}, false},
	}
	for _, tt := range tests {
		if got := tt.ref.refersTo(dep); got != tt.want {
			t.Errorf("%+v refersTo %s/%s = %v, want %v", tt.ref, dep.Kind, dep.Name, got, tt.want)
		}
	}
}

func TestClosestName(t *testing.T) {
	names := []string{"api", "metrics", "istio-proxy"}
	for in, want := range map[string]string{"apii": "api", "metric": "metrics", "istio-prxy": "istio-proxy", "worker": "", "": ""} {
		if got := closestName(in, names); got != want {
			t.Errorf("closestName(%q) = %q, want %q", in, got, want)
		}
	}
}
