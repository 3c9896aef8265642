package runtimeflags

import (
	"strconv"
	"strings"

	"github.com/oomlint/oomlint/internal/lazyre"
)

// Version is a runtime version an image tag names: node:20.2.0 is
// {20, 2, 0}. Parts the tag leaves out are -1: node:18-alpine is
// {18, -1, -1}, a floating tag that runs the newest 18.x.
type Version struct {
	Major, Minor, Patch int
}

func (v Version) String() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(v.Major))
	for _, n := range []int{v.Minor, v.Patch} {
		if n < 0 {
			break
		}
		b.WriteString("." + strconv.Itoa(n))
	}
	return b.String()
}

// before reports whether v is certainly older than major.minor.patch: a
// floating tag runs the newest release of the parts it names, so it is
// older only when that release is.
func (v Version) before(major, minor, patch int) bool {
	switch {
	case v.Major != major:
		return v.Major < major
	case v.Minor < 0 || v.Minor != minor:
		return v.Minor >= 0 && v.Minor < minor
	}
	return v.Patch >= 0 && v.Patch < patch
}

// imageParts splits an image reference into its repository path (lower
// case, without registry host or digest) and its tag.
func imageParts(ref string) (repo, tag string) {
	ref = strings.TrimSpace(ref)
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		ref, tag = ref[:i], ref[i+1:]
	}
	parts := strings.Split(strings.ToLower(ref), "/")
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") {
		parts = parts[1:]
	}
	if len(parts) > 1 && parts[0] == "library" {
		parts = parts[1:]
	}
	return strings.Join(parts, "/"), strings.ToLower(tag)
}

var (
	// 20, 20.2, 20.2.0, v16.20.2, 18-alpine, 20.11.1-bookworm-slim
	reTagVersion = lazyre.New(`^v?(\d{1,3})(?:\.(\d{1,3}))?(?:\.(\d{1,4}))?(?:[^.\d]|$)`)
	// the major version in a repository name: nodejs-18, nodejs18
	reRepoNode = lazyre.New(`^nodejs-?(\d{1,2})$`)
)

// nodeCodenames are the LTS codenames the node image tags (node:hydrogen).
var nodeCodenames = map[string]int{
	"argon": 4, "boron": 6, "carbon": 8, "dubnium": 10, "erbium": 12, "fermium": 14,
	"gallium": 16, "hydrogen": 18, "iron": 20, "jod": 22, "krypton": 24,
}

// NodeImageVersion returns the Node.js version an image names: node:18-alpine,
// node:16.20.2, bitnami/node:18, cgr.dev/chainguard/node:20, node:hydrogen,
// registry.access.redhat.com/ubi9/nodejs-18. Tags such as lts, current or
// latest name no version.
func NodeImageVersion(ref string) (Version, bool) {
	repo, tag := imageParts(ref)
	name := repo[strings.LastIndexByte(repo, '/')+1:]
	if m := reRepoNode().FindStringSubmatch(name); m != nil {
		n, _ := strconv.Atoi(m[1])
		return Version{n, -1, -1}, true // ubi images tag their own build, not Node.js's
	}
	if name != "node" && name != "nodejs" {
		return Version{}, false
	}
	codename, _, _ := strings.Cut(tag, "-")
	if n, ok := nodeCodenames[codename]; ok {
		return Version{n, -1, -1}, true
	}
	return tagVersion(tag)
}

// DotnetImageVersion returns the .NET version an image names:
// mcr.microsoft.com/dotnet/aspnet:3.1, mcr.microsoft.com/dotnet/core/runtime:3.1-buster-slim,
// microsoft/dotnet:2.2-aspnetcore-runtime, bitnami/aspnet-core:6.0. The
// runtime-deps images carry no runtime (a self-contained app brings its
// own), so they name none.
func DotnetImageVersion(ref string) (Version, bool) {
	repo, tag := imageParts(ref)
	switch {
	case strings.HasSuffix(repo, "runtime-deps"), strings.Contains(repo, "framework"):
		return Version{}, false // no runtime of their own; .NET Framework is Windows
	case strings.HasPrefix(repo, "dotnet/"), strings.HasPrefix(repo, "microsoft/dotnet"), repo == "microsoft/aspnetcore",
		repo == "bitnami/dotnet", repo == "bitnami/aspnet-core", repo == "bitnami/dotnet-sdk":
		return tagVersion(tag)
	}
	return Version{}, false
}

func tagVersion(tag string) (Version, bool) {
	m := reTagVersion().FindStringSubmatch(tag)
	if m == nil {
		return Version{}, false
	}
	v := Version{-1, -1, -1}
	for i, s := range m[1:] {
		if s == "" {
			continue
		}
		n, _ := strconv.Atoi(s)
		switch i {
		case 0:
			v.Major = n
		case 1:
			v.Minor = n
		default:
			v.Patch = n
		}
	}
	return v, v.Major > 0
}

// NodeReadsCgroupV2 reports whether a Node.js version sizes its default
// heap from a cgroup v2 memory limit: Node.js reads the limit through
// libuv's uv_get_constrained_memory, which learned cgroup v2 in libuv
// 1.45.0 (libuv#3744), first shipped in Node.js 20.3.0; the 18 line never
// did (nodejs/node#47259). A floating tag (node:20) runs the newest 20.x.
func NodeReadsCgroupV2(v Version) bool { return !v.before(20, 3, 0) }

// DotnetReadsCgroupV2 reports whether a .NET version reads a cgroup v2
// memory limit: .NET 5 and later (dotnet/runtime#34334); .NET Core 3.1
// and older read only cgroup v1.
func DotnetReadsCgroupV2(v Version) bool { return v.Major >= 5 }
