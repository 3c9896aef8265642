package helmutil

import (
	"reflect"
	"runtime"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
)

func TestDefaultCapabilitiesMatchHelm(t *testing.T) {
	sameCapabilities(t, chartutil.DefaultCapabilities, DefaultCapabilities)
	sameCapabilities(t, chartutil.DefaultCapabilities.Copy(), DefaultCapabilities.Copy())
	// helm's version.Get() blanks GoVersion inside its own tests only; at
	// package initialisation, when DefaultCapabilities is built, it is set.
	if DefaultCapabilities.HelmVersion.GoVersion != runtime.Version() {
		t.Errorf("GoVersion %q, want %q", DefaultCapabilities.HelmVersion.GoVersion, runtime.Version())
	}
	if DefaultCapabilities.HelmVersion.Version != "v3.22" {
		t.Errorf("HelmVersion.Version %q, want v3.22", DefaultCapabilities.HelmVersion.Version)
	}
	c := DefaultCapabilities.Copy()
	if c == DefaultCapabilities || !reflect.DeepEqual(*c, *DefaultCapabilities) {
		t.Error("Copy is not an equal copy")
	}
}

func TestParseKubeVersionMatchesHelm(t *testing.T) {
	for _, in := range []string{
		"v1.16.0", "1.16.0", "v1.28+", "v1.34", "1.34", "v1.30.2-eks-1234", "v1.31.0+k3s1", "v1.29.3-gke.1093000",
		"v2", "1", "", "x", "v1.2.3.4", "v01.02.03", " v1.20.0", "v1.20.0 ", "v1.x", "v1.-2", "V1.20.0",
	} {
		hkv, herr := chartutil.ParseKubeVersion(in)
		okv, oerr := ParseKubeVersion(in)
		sameStrings(t, "ParseKubeVersion("+in+") errors", errString(herr), errString(oerr))
		if (hkv == nil) != (okv == nil) {
			t.Errorf("ParseKubeVersion(%q): helm %v, ours %v", in, hkv, okv)
			continue
		}
		if hkv == nil {
			continue
		}
		if hkv.Version != okv.Version || hkv.Major != okv.Major || hkv.Minor != okv.Minor || hkv.String() != okv.String() {
			t.Errorf("ParseKubeVersion(%q): helm %+v, ours %+v", in, *hkv, *okv)
		}
		hgv := hkv.GitVersion() //nolint:staticcheck // the deprecated method is kept, and compared
		ogv := okv.GitVersion()
		if hgv != ogv {
			t.Errorf("GitVersion of %q: helm %q, ours %q", in, hgv, ogv)
		}
	}
}

func TestVersionSetHasMatchesHelm(t *testing.T) {
	for _, v := range []string{"v1", "apps/v1", "apps/v1beta1", "apiextensions.k8s.io/v1", "example.com/v1", "", "V1"} {
		if h, o := chartutil.DefaultVersionSet.Has(v), DefaultVersionSet.Has(v); h != o {
			t.Errorf("Has(%q): helm %v, ours %v", v, h, o)
		}
	}
	if VersionSet(nil).Has("v1") {
		t.Error("nil set has v1")
	}
}
