/*
Copyright The Helm Authors.
Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Copied from helm.sh/helm/v3 v3.22.0 pkg/chartutil/capabilities.go and
// internal/version/version.go (Apache License 2.0); changes:
//   - DefaultVersionSet is the static list in versions.go instead of being
//     computed from client-go's scheme and apiextensions at start-up
//     (TestDefaultVersionSetMatchesHelm keeps the two equal);
//   - BuildInfo is a copy of helm's internal version.BuildInfo, and
//     helmBuildInfo returns what helm's version.Get returns when
//     DefaultCapabilities is initialised (helm's version "v3.22", no commit
//     or tree state set at build time, runtime.Version());
//   - the LDFLAGS-settable k8sVersionMajor/k8sVersionMinor are constants.

package helmutil

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"

	k8sversion "k8s.io/apimachinery/pkg/util/version"
)

const (
	k8sVersionMajor = "1"
	k8sVersionMinor = "20"

	// helmVersion is helm's internal/version.version for v3.22.0.
	helmVersion = "v3.22"
)

var (
	// DefaultVersionSet is the default version set: the group/versions
	// helm's DefaultVersionSet lists.
	DefaultVersionSet = defaultVersionSet

	// DefaultCapabilities is the default set of capabilities.
	DefaultCapabilities = &Capabilities{
		KubeVersion: KubeVersion{
			Version: fmt.Sprintf("v%s.%s.0", k8sVersionMajor, k8sVersionMinor),
			Major:   k8sVersionMajor,
			Minor:   k8sVersionMinor,
		},
		APIVersions: DefaultVersionSet,
		HelmVersion: helmBuildInfo(),
	}
)

// BuildInfo describes the compile time information.
type BuildInfo struct {
	// Version is the current semver.
	Version string `json:"version,omitempty"`
	// GitCommit is the git sha1.
	GitCommit string `json:"git_commit,omitempty"`
	// GitTreeState is the state of the git tree.
	GitTreeState string `json:"git_tree_state,omitempty"`
	// GoVersion is the version of the Go compiler used.
	GoVersion string `json:"go_version,omitempty"`
}

// helmBuildInfo is helm's version.Get() for an unmodified helm v3.22.0
// build, as DefaultCapabilities holds it.
func helmBuildInfo() BuildInfo {
	return BuildInfo{
		Version:   helmVersion,
		GoVersion: runtime.Version(),
	}
}

// Capabilities describes the capabilities of the Kubernetes cluster.
type Capabilities struct {
	// KubeVersion is the Kubernetes version.
	KubeVersion KubeVersion
	// APIVersions are supported Kubernetes API versions.
	APIVersions VersionSet
	// HelmVersion is the build information for this helm version
	HelmVersion BuildInfo
}

// Copy returns a shallow copy of the capabilities.
func (capabilities *Capabilities) Copy() *Capabilities {
	return &Capabilities{
		KubeVersion: capabilities.KubeVersion,
		APIVersions: capabilities.APIVersions,
		HelmVersion: capabilities.HelmVersion,
	}
}

// KubeVersion is the Kubernetes version.
type KubeVersion struct {
	Version string // Kubernetes version
	Major   string // Kubernetes major version
	Minor   string // Kubernetes minor version
}

// String implements fmt.Stringer
func (kv *KubeVersion) String() string { return kv.Version }

// GitVersion returns the Kubernetes version string.
//
// Deprecated: use KubeVersion.Version.
func (kv *KubeVersion) GitVersion() string { return kv.Version }

// ParseKubeVersion parses kubernetes version from string
func ParseKubeVersion(version string) (*KubeVersion, error) {
	// Based on the original k8s version parser.
	// https://github.com/kubernetes/kubernetes/blob/b266ac2c3e42c2c4843f81e20213d2b2f43e450a/staging/src/k8s.io/apimachinery/pkg/util/version/version.go#L137
	sv, err := k8sversion.ParseGeneric(version)
	if err != nil {
		return nil, err
	}
	return &KubeVersion{
		Version: "v" + sv.String(),
		Major:   strconv.FormatUint(uint64(sv.Major()), 10),
		Minor:   strconv.FormatUint(uint64(sv.Minor()), 10),
	}, nil
}

// VersionSet is a set of Kubernetes API versions.
type VersionSet []string

// Has returns true if the version string is in the set.
//
//	vs.Has("apps/v1")
func (v VersionSet) Has(apiVersion string) bool {
	return slices.Contains(v, apiVersion)
}
