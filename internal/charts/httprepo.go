package charts

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"sigs.k8s.io/yaml"
)

// A chart repository over HTTP, read the way helm's repo and getter
// packages read it, without them: they bring helm's Kubernetes client into
// every build of oomlint, for an index file and two downloads.

// repoEntry is an entry of helm's repositories.yaml.
type repoEntry struct {
	Name               string `json:"name"`
	URL                string `json:"url"`
	Username           string `json:"username"`
	Password           string `json:"password"`
	CertFile           string `json:"certFile"`
	KeyFile            string `json:"keyFile"`
	CAFile             string `json:"caFile"`
	Insecure           bool   `json:"insecure_skip_tls_verify"`
	PassCredentialsAll bool   `json:"pass_credentials_all"`
}

type repoFile struct {
	Repositories []*repoEntry `json:"repositories"`
}

// loadRepoFile reads a repositories.yaml.
func loadRepoFile(path string) (*repoFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f repoFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &f, nil
}

// chartVersion is one version of a chart in an index.yaml.
type chartVersion struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	URLs    []string `json:"urls"`
	Digest  string   `json:"digest"`
}

type indexFile struct {
	APIVersion string                     `json:"apiVersion"`
	Entries    map[string][]*chartVersion `json:"entries"`
}

var errNoChartName = errors.New("no chart name found")

// parseIndex reads an index.yaml, each chart's versions newest first.
func parseIndex(data []byte) (*indexFile, error) {
	var idx indexFile
	if err := yaml.Unmarshal(data, &idx); err != nil {
		return nil, err
	}
	if idx.APIVersion == "" {
		return nil, errors.New("no API version")
	}
	for _, vs := range idx.Entries {
		slices.SortStableFunc(vs, func(a, b *chartVersion) int {
			va, ea := semver.NewVersion(a.Version)
			vb, eb := semver.NewVersion(b.Version)
			switch {
			case ea != nil && eb != nil:
				return 0
			case ea != nil:
				return 1
			case eb != nil:
				return -1
			}
			return vb.Compare(va)
		})
	}
	return &idx, nil
}

// get picks a version as helm's IndexFile.Get does: an exact match of
// what was asked, else the newest version meeting it as a constraint.
func (idx *indexFile) get(name, version string) (*chartVersion, error) {
	vs, ok := idx.Entries[name]
	if !ok || len(vs) == 0 {
		return nil, errNoChartName
	}
	if version != "" {
		for _, v := range vs {
			if v != nil && v.Version == version {
				return v, nil
			}
		}
	}
	c, err := semver.NewConstraint(cmpOr(version, "*"))
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if v == nil {
			continue
		}
		if sv, err := semver.NewVersion(v.Version); err == nil && c.Check(sv) {
			return v, nil
		}
	}
	return nil, fmt.Errorf("no chart version found for %s-%s", name, version)
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// resolveURL is a chart's URL in an index relative to the repository's, as
// helm resolves it: the repository URL is a directory.
func resolveURL(repoURL, ref string) (string, error) {
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	if r.IsAbs() {
		return ref, nil
	}
	base, err := url.Parse(repoURL)
	if err != nil {
		return "", err
	}
	base.Path = strings.TrimSuffix(base.Path, "/") + "/"
	base.RawPath = ""
	return base.ResolveReference(r).String(), nil
}

// repoClient downloads from one chart repository with its entry's
// credentials and TLS files.
type repoClient struct {
	entry  *repoEntry
	client *http.Client
}

func newRepoClient(e *repoEntry) (*repoClient, error) {
	cfg := &tls.Config{InsecureSkipVerify: e.Insecure} //nolint:gosec // the user's insecure_skip_tls_verify
	if e.CertFile != "" && e.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(e.CertFile, e.KeyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if e.CAFile != "" {
		pem, err := os.ReadFile(e.CAFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no certificates", e.CAFile)
		}
		cfg.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	return &repoClient{entry: e, client: &http.Client{Transport: tr, Timeout: requestTimeout}}, nil
}

// get downloads u. Credentials go only to the repository's own host
// unless pass_credentials_all says otherwise, as with helm.
func (c *repoClient) get(u string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, u, http.NoBody)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "oomlint")
	if c.entry.Username != "" || c.entry.Password != "" {
		if c.entry.PassCredentialsAll || sameHost(c.entry.URL, u) {
			req.SetBasicAuth(c.entry.Username, c.entry.Password)
		}
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("failed to fetch %s : %s", u, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Host == ub.Host && ua.Scheme == ub.Scheme
}
