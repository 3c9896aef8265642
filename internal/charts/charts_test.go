package charts

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	ggcr "github.com/google/go-containerregistry/pkg/registry"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"
)

// chartArchive builds a small chart's .tgz.
func chartArchive(t *testing.T, name, version string) []byte {
	t.Helper()
	c := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: version},
		Templates: []*chart.File{{Name: "templates/configmap.yaml",
			Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n")}},
	}
	path, err := chartutil.Save(c, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func sha(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// chartRepo is a chart repository served under /charts/ that counts its
// requests and, with a user, wants basic auth.
type chartRepo struct {
	URL            string
	files          map[string][]byte
	user, password string
	requests       atomic.Int32
}

func newChartRepo(t *testing.T, user, password string, versions map[string][]string) *chartRepo {
	t.Helper()
	r := &chartRepo{files: map[string][]byte{}, user: user, password: password}
	index := repo.NewIndexFile()
	for name, vs := range versions {
		for _, v := range vs {
			data := chartArchive(t, name, v)
			file := name + "-" + v + ".tgz"
			r.files[file] = data
			md := &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: v}
			if err := index.MustAdd(md, file, "", strings.TrimPrefix(sha(data), "sha256:")); err != nil {
				t.Fatal(err)
			}
		}
	}
	index.SortEntries()
	indexFile := filepath.Join(t.TempDir(), "index.yaml")
	if err := index.WriteFile(indexFile, 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(indexFile)
	if err != nil {
		t.Fatal(err)
	}
	r.files["index.yaml"] = data
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		if u, p, _ := req.BasicAuth(); r.user != "" && (u != r.user || p != r.password) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		data, ok := r.files[strings.TrimPrefix(req.URL.Path, "/charts/")]
		if !ok {
			http.NotFound(w, req)
			return
		}
		_, _ = w.Write(data)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL + "/charts"
	return r
}

// repositoriesFile writes a helm repositories.yaml with one entry.
func repositoriesFile(t *testing.T, url, user, password string) string {
	t.Helper()
	f := repo.NewFile()
	f.Add(&repo.Entry{Name: "test", URL: url, Username: user, Password: password})
	name := filepath.Join(t.TempDir(), "repositories.yaml")
	if err := f.WriteFile(name, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestPullHTTP(t *testing.T) {
	r := newChartRepo(t, "ci", "s3cret", map[string][]string{
		"podinfo": {"6.4.0", "6.5.0", "6.6.0-rc.1", "7.0.0"},
		"redis":   {"18.1.0"},
	})
	// The entry's URL has a trailing /; the reference's has none.
	creds := repositoriesFile(t, r.URL+"/", "ci", "s3cret")
	tests := []struct {
		version, want, wantErr string
	}{
		{version: ">=6.0.0 <7", want: "6.5.0"},
		{version: "6.x", want: "6.5.0"},
		{version: "", want: "7.0.0"},
		{version: "*", want: "7.0.0"},
		{version: "6.4.0", want: "6.4.0"},
		{version: "6.6.0-rc.1", want: "6.6.0-rc.1"},
		{version: "~8", wantErr: `no version of podinfo in ` + r.URL + `/index.yaml meets "~8"`},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			c := Cache{Dir: t.TempDir()}
			ref := Ref{RepoURL: r.URL, Chart: "podinfo", Version: tt.version}
			var out strings.Builder
			e, err := c.Pull(t.Context(), ref, PullOptions{RepositoryConfig: creds, Out: &out})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Pull: error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			archive := r.files["podinfo-"+tt.want+".tgz"]
			want := Entry{RepoURL: r.URL, Chart: "podinfo", Version: tt.want, Digest: sha(archive),
				File: filepath.Join(c.Dir, escapeURL(r.URL), "podinfo-"+tt.want+".tgz")}
			if diff := cmp.Diff(want, e); diff != "" {
				t.Errorf("Pull (-want +got):\n%s", diff)
			}
			got, err := os.ReadFile(e.File)
			if err != nil || !bytes.Equal(got, archive) {
				t.Errorf("cached archive differs from the served one (err %v)", err)
			}
			if wantOut := "pulled podinfo " + tt.want + " from " + r.URL + " (" + e.Digest[:19] + "…)\n"; out.String() != wantOut {
				t.Errorf("output %q, want %q", out.String(), wantOut)
			}

			// Warm: Pull and Find answer from the cache alone.
			before := r.requests.Load()
			out.Reset()
			again, err := c.Pull(t.Context(), ref, PullOptions{RepositoryConfig: creds, Out: &out})
			if err != nil || again != e || out.String() != "cached podinfo "+tt.want+"\n" {
				t.Errorf("second Pull = %+v, %v, output %q; want the cached entry", again, err, out.String())
			}
			if path, version, ok := c.Find(ref); !ok || path != e.File || version != tt.want {
				t.Errorf("Find = %q, %q, %v; want %q, %q, true", path, version, ok, e.File, tt.want)
			}
			if n := r.requests.Load() - before; n != 0 {
				t.Errorf("%d requests with a warm cache, want none", n)
			}
		})
	}
}

func TestPullHTTPErrors(t *testing.T) {
	r := newChartRepo(t, "ci", "s3cret", map[string][]string{"podinfo": {"6.5.0"}})
	good := repositoriesFile(t, r.URL, "ci", "s3cret")
	tests := []struct {
		name    string
		ref     Ref
		opt     PullOptions
		corrupt bool
		wantErr string
	}{
		{name: "no credentials", ref: Ref{RepoURL: r.URL, Chart: "podinfo"},
			opt: PullOptions{RepositoryConfig: repositoriesFile(t, "https://elsewhere.example.com", "ci", "s3cret")}, wantErr: "401 Unauthorized"},
		{name: "wrong password", ref: Ref{RepoURL: r.URL, Chart: "podinfo"},
			opt: PullOptions{RepositoryConfig: repositoriesFile(t, r.URL, "ci", "guess")}, wantErr: "401 Unauthorized"},
		{name: "missing repositories file", ref: Ref{RepoURL: r.URL, Chart: "podinfo"},
			opt: PullOptions{RepositoryConfig: filepath.Join(t.TempDir(), "none.yaml")}, wantErr: "none.yaml"},
		{name: "unknown chart", ref: Ref{RepoURL: r.URL, Chart: "redis"},
			opt: PullOptions{RepositoryConfig: good}, wantErr: "no chart redis in " + r.URL + "/index.yaml"},
		{name: "digest mismatch", ref: Ref{RepoURL: r.URL, Chart: "podinfo"},
			opt: PullOptions{RepositoryConfig: good}, corrupt: true, wantErr: "but the index says sha256:"},
		{name: "scheme", ref: Ref{RepoURL: "git://example.com/charts", Chart: "podinfo"}, wantErr: "unsupported repository URL"},
		{name: "chart name", ref: Ref{RepoURL: r.URL, Chart: "../podinfo"}, wantErr: "bad chart name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.corrupt {
				saved := r.files["podinfo-6.5.0.tgz"]
				r.files["podinfo-6.5.0.tgz"] = []byte("not the archive the index describes")
				t.Cleanup(func() { r.files["podinfo-6.5.0.tgz"] = saved })
			}
			c := Cache{Dir: t.TempDir()}
			_, err := c.Pull(t.Context(), tt.ref, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Pull: error %v, want one containing %q", err, tt.wantErr)
			}
			if entries, err := c.List(); err != nil || len(entries) != 0 {
				t.Errorf("a failed pull left %v (%v) in the cache", entries, err)
			}
		})
	}
}

func TestPullOCI(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials from the machine
	var requests atomic.Int32
	reg := ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		requests.Add(1)
		reg.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	registryConfig := filepath.Join(t.TempDir(), "config.json")
	client, err := registry.NewClient(registry.ClientOptPlainHTTP(), registry.ClientOptWriter(io.Discard),
		registry.ClientOptCredentialsFile(registryConfig))
	if err != nil {
		t.Fatal(err)
	}
	archives := map[string][]byte{}
	var digest650 string
	for _, v := range []string{"6.5.0", "6.6.0", "7.0.0"} {
		archives[v] = chartArchive(t, "podinfo", v)
		res, err := client.Push(archives[v], host+"/charts/podinfo:"+v)
		if err != nil {
			t.Fatalf("push %s: %v", v, err)
		}
		if v == "6.5.0" {
			digest650 = res.Manifest.Digest
		}
	}
	// Tags that are not the chart's version: latest, and a version tag
	// on another version's chart.
	for tag, v := range map[string]string{"latest": "7.0.0", "5.0.0": "6.5.0"} {
		if _, err := client.Push(archives[v], host+"/charts/podinfo:"+tag, registry.PushOptStrictMode(false)); err != nil {
			t.Fatal(err)
		}
	}

	url := "oci://" + host + "/charts"
	tests := []struct {
		version, want, wantErr string
	}{
		{version: "6.x", want: "6.6.0"},
		{version: "6.5.0", want: "6.5.0"},
		{version: "", want: "7.0.0"},
		{version: ">=6.5.0 <7.0.0", want: "6.6.0"},
		{version: "latest", want: "7.0.0"},
		{version: "5.0.0", want: "6.5.0"},
		{version: "<6", want: "6.5.0"}, // the tag decides, as for helm pull
		{version: digest650, want: "6.5.0"},
		{version: "~9", wantErr: `no tag of ` + host + `/charts/podinfo meets "~9"`},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			c := Cache{Dir: t.TempDir()}
			ref := Ref{RepoURL: url, Chart: "podinfo", Version: tt.version}
			opt := PullOptions{RegistryConfig: registryConfig, PlainHTTP: true}
			e, err := c.Pull(t.Context(), ref, opt)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Pull: error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := Entry{RepoURL: url, Chart: "podinfo", Version: tt.want, Digest: sha(archives[tt.want]),
				File: filepath.Join(c.Dir, escapeURL(url), "podinfo-"+tt.want+".tgz")}
			if diff := cmp.Diff(want, e); diff != "" {
				t.Errorf("Pull (-want +got):\n%s", diff)
			}
			// The same reference, a tag or digest included, is found
			// offline, and a second Pull is answered from the cache.
			before := requests.Load()
			if path, version, ok := c.Find(ref); !ok || path != e.File || version != tt.want {
				t.Errorf("Find = %q, %q, %v; want %q, %q, true", path, version, ok, e.File, tt.want)
			}
			if again, err := c.Pull(t.Context(), ref, opt); err != nil || again != e {
				t.Errorf("second Pull = %+v, %v; want the cached entry", again, err)
			}
			if n := requests.Load() - before; n != 0 {
				t.Errorf("%d requests with a warm cache, want none", n)
			}
		})
	}
}

// warmCache stores api in these versions from https://charts.example.com.
func warmCache(t *testing.T, versions ...string) Cache {
	t.Helper()
	c := Cache{Dir: t.TempDir()}
	for _, v := range versions {
		if _, err := c.store("https://charts.example.com", "api", v, "", []byte("archive "+v)); err != nil {
			t.Fatal(err)
		}
	}
	// A chart whose name extends api's must not be taken for it.
	if _, err := c.store("https://charts.example.com", "api-gateway", "9.0.0", "", []byte("gateway")); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFind(t *testing.T) {
	c := warmCache(t, "1.0.0", "1.2.0", "1.10.0", "2.0.0", "2.1.0-rc.1")
	const url = "https://charts.example.com"
	tests := []struct {
		ref  Ref
		want string // "" is not found
	}{
		{Ref{url, "api", ""}, "2.0.0"},
		{Ref{url, "api", "*"}, "2.0.0"},
		{Ref{url, "api", "1.x"}, "1.10.0"},
		{Ref{url, "api", ">=1.0.0 <1.5"}, "1.2.0"},
		{Ref{url, "api", "~1.2"}, "1.2.0"},
		{Ref{url, "api", "1.2.0"}, "1.2.0"},
		{Ref{url, "api", "v1.2.0"}, "1.2.0"},
		{Ref{url, "api", "2.1.0-rc.1"}, "2.1.0-rc.1"},
		{Ref{url, "api", ">=2.1.0-0"}, "2.1.0-rc.1"},
		{Ref{url + "/", "api", "1.x"}, "1.10.0"},
		{Ref{url, "api-gateway", ""}, "9.0.0"},
		{Ref{url, "api", "3.x"}, ""},
		{Ref{url, "api", "~0.1"}, ""},
		{Ref{url, "api", "latest"}, ""},
		{Ref{url, "web", ""}, ""},
		{Ref{"https://charts.example.org", "api", ""}, ""},
		{Ref{"oci://charts.example.com", "api", ""}, ""},
		{Ref{url, "../api", ""}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.ref.String(), func(t *testing.T) {
			path, version, ok := c.Find(tt.ref)
			if tt.want == "" {
				if ok {
					t.Fatalf("Find = %q, %q; want nothing", path, version)
				}
				return
			}
			wantPath := filepath.Join(c.Dir, escapeURL(url), tt.ref.Chart+"-"+tt.want+".tgz")
			if !ok || version != tt.want || path != wantPath {
				t.Fatalf("Find = %q, %q, %v; want %q, %q, true", path, version, ok, wantPath, tt.want)
			}
		})
	}
}

func TestFindSkipsMissingArchive(t *testing.T) {
	c := warmCache(t, "1.0.0", "1.1.0")
	path, _, _ := c.Find(Ref{RepoURL: "https://charts.example.com", Chart: "api"})
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, version, ok := c.Find(Ref{RepoURL: "https://charts.example.com", Chart: "api"}); !ok || version != "1.0.0" {
		t.Errorf("Find = %q, %v; want 1.0.0, the version whose archive is there", version, ok)
	}
}

func TestList(t *testing.T) {
	c := warmCache(t, "1.10.0", "1.2.0", "2.0.0")
	entries, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Chart+" "+e.Version+" "+e.RepoURL+" "+e.Digest[:7])
	}
	want := []string{
		"api 1.2.0 https://charts.example.com sha256:",
		"api 1.10.0 https://charts.example.com sha256:",
		"api 2.0.0 https://charts.example.com sha256:",
		"api-gateway 9.0.0 https://charts.example.com sha256:",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if entries, err := (Cache{Dir: filepath.Join(t.TempDir(), "none")}).List(); err != nil || entries != nil {
		t.Errorf("List of a missing cache = %v, %v; want nothing", entries, err)
	}
}

func TestEscapeURL(t *testing.T) {
	tests := []struct{ url, prefix string }{
		{"https://stefanprodan.github.io/podinfo", "stefanprodan.github.io_podinfo-"},
		{"oci://ghcr.io/org/charts", "ghcr.io_org_charts-"},
		{"http://127.0.0.1:8080/charts", "127.0.0.1_8080_charts-"},
		{"https://example.com/a?b=c&d", "example.com_a_b_c_d-"},
		{"https://../..", "_._..-"},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		got := escapeURL(tt.url)
		if !strings.HasPrefix(got, tt.prefix) || len(got) != len(tt.prefix)+8 || strings.ContainsAny(got, `/\:`) {
			t.Errorf("escapeURL(%q) = %q, want %q and 8 hex digits", tt.url, got, tt.prefix)
		}
		seen[got] = tt.url
	}
	// The hash keeps apart URLs that escape alike.
	if a, b := escapeURL("https://a/b"), escapeURL("https://a_b"); a == b {
		t.Errorf("escapeURL gives %q for both https://a/b and https://a_b", a)
	}
	if a, b := escapeURL("https://ghcr.io/org"), escapeURL("oci://ghcr.io/org"); a == b {
		t.Errorf("escapeURL gives %q for both schemes", a)
	}
}

func TestRefString(t *testing.T) {
	for ref, want := range map[Ref]string{
		{RepoURL: "https://stefanprodan.github.io/podinfo/", Chart: "podinfo", Version: "6.5.0"}: "podinfo 6.5.0 from https://stefanprodan.github.io/podinfo",
		{RepoURL: "oci://ghcr.io/org/charts", Chart: "api"}:                                      "api * from oci://ghcr.io/org/charts",
	} {
		if got := ref.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
