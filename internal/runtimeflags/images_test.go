package runtimeflags

import "testing"

func TestNodeImageVersion(t *testing.T) {
	tests := []struct {
		image string
		want  Version
		ok    bool
	}{
		{"node:18-alpine", Version{18, -1, -1}, true},
		{"node:16.20.2", Version{16, 20, 2}, true},
		{"node:20.2.0-bookworm-slim", Version{20, 2, 0}, true},
		{"docker.io/library/node:20@sha256:0123", Version{20, -1, -1}, true},
		{"registry.example.com:5000/mirror/node:18.19", Version{18, 19, -1}, true},
		{"bitnami/node:18", Version{18, -1, -1}, true},
		{"cgr.dev/chainguard/node:20", Version{20, -1, -1}, true},
		{"node:hydrogen-alpine", Version{18, -1, -1}, true},
		{"node:iron", Version{20, -1, -1}, true},
		{"registry.access.redhat.com/ubi9/nodejs-18:1-70", Version{18, -1, -1}, true},
		{"node:lts-alpine", Version{}, false},
		{"node:latest", Version{}, false},
		{"node", Version{}, false},
		{"example/node-app:18", Version{}, false},
		{"nginx:1.25", Version{}, false},
	}
	for _, tt := range tests {
		got, ok := NodeImageVersion(tt.image)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NodeImageVersion(%q) = %+v, %v; want %+v, %v", tt.image, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNodeReadsCgroupV2(t *testing.T) {
	for v, want := range map[Version]bool{
		{16, 20, 2}:  false,
		{18, -1, -1}: false,
		{20, -1, -1}: true, // floating: the newest 20.x
		{20, 2, 0}:   false,
		{20, 2, -1}:  false,
		{20, 3, -1}:  true,
		{20, 3, 0}:   true,
		{20, 11, 1}:  true,
		{22, -1, -1}: true,
		{21, 0, 0}:   true,
	} {
		if got := NodeReadsCgroupV2(v); got != want {
			t.Errorf("NodeReadsCgroupV2(%v) = %v, want %v", v, got, want)
		}
	}
}

func TestDotnetImageVersion(t *testing.T) {
	tests := []struct {
		image string
		want  Version
		ok    bool
	}{
		{"mcr.microsoft.com/dotnet/aspnet:3.1", Version{3, 1, -1}, true},
		{"mcr.microsoft.com/dotnet/core/aspnet:3.1-buster-slim", Version{3, 1, -1}, true},
		{"mcr.microsoft.com/dotnet/runtime:6.0.25-alpine3.18", Version{6, 0, 25}, true},
		{"mcr.microsoft.com/dotnet/aspnet:8.0@sha256:0123", Version{8, 0, -1}, true},
		{"microsoft/dotnet:2.2-aspnetcore-runtime", Version{2, 2, -1}, true},
		{"bitnami/aspnet-core:6.0", Version{6, 0, -1}, true},
		{"mcr.microsoft.com/dotnet/runtime-deps:6.0", Version{}, false},
		{"mcr.microsoft.com/dotnet/framework/aspnet:4.8", Version{}, false},
		{"mcr.microsoft.com/dotnet/aspnet:latest", Version{}, false},
		{"example/dotnet-app:3.1", Version{}, false},
	}
	for _, tt := range tests {
		got, ok := DotnetImageVersion(tt.image)
		if got != tt.want || ok != tt.ok {
			t.Errorf("DotnetImageVersion(%q) = %+v, %v; want %+v, %v", tt.image, got, ok, tt.want, tt.ok)
		}
		if ok && DotnetReadsCgroupV2(got) != (got.Major >= 5) {
			t.Errorf("DotnetReadsCgroupV2(%v) wrong", got)
		}
	}
}
