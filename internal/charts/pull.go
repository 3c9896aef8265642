package charts

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/helmpath"
	"helm.sh/helm/v3/pkg/registry"
)

// PullOptions are the credentials and transport settings of Pull.
type PullOptions struct {
	// RepositoryConfig is a helm repositories.yaml whose entry with the
	// chart repository's URL gives credentials and TLS files. "" is helm's
	// default file, and then a missing file means no credentials.
	RepositoryConfig string
	// RegistryConfig is a helm registry config.json (as written by helm
	// registry login) for OCI credentials; "" is helm's default. Docker's
	// credentials are used after it, as helm does.
	RegistryConfig string
	PlainHTTP      bool      // OCI over http (tests, local registries)
	Out            io.Writer // one line per chart, cached or pulled; may be nil
}

// requestTimeout bounds each HTTP request to a chart repository, as helm's.
const requestTimeout = 120 * time.Second

// Pull fetches ref into the cache unless a matching version is already
// there, and returns what it recorded: a chart repository's index.yaml
// chooses the highest version meeting ref.Version (and its digest is
// checked), an OCI registry's tags do the same for oci:// URLs.
func (c Cache) Pull(ctx context.Context, ref Ref, opt PullOptions) (Entry, error) {
	ref.RepoURL = trimURL(ref.RepoURL)
	out := opt.Out
	if out == nil {
		out = io.Discard
	}
	if !validName(ref.Chart) {
		return Entry{}, fmt.Errorf("pull %s: bad chart name %q", ref, ref.Chart)
	}
	if e, ok := c.find(ref); ok {
		fmt.Fprintf(out, "cached %s %s\n", e.Chart, e.Version)
		return e, nil
	}
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	var (
		archive      []byte
		version, tag string
		err          error
	)
	switch scheme, _, _ := strings.Cut(ref.RepoURL, "://"); scheme {
	case "oci":
		archive, version, tag, err = pullOCI(ctx, ref, opt)
	case "http", "https":
		archive, version, err = c.pullHTTP(ctx, ref, opt)
	default:
		err = fmt.Errorf("unsupported repository URL %q (want https://, http:// or oci://)", ref.RepoURL)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("pull %s: %w", ref, err)
	}
	if _, ok := best([]record{{Version: version, Tag: tag}}, ref.Version); !ok {
		// A tag that names another version than the chart's own: record
		// it, so that the same reference finds the chart next time.
		tag = ref.Version
	}
	e, err := c.store(ref.RepoURL, ref.Chart, version, tag, archive)
	if err != nil {
		return Entry{}, fmt.Errorf("pull %s: %w", ref, err)
	}
	fmt.Fprintf(out, "pulled %s %s from %s (%s)\n", e.Chart, e.Version, e.RepoURL, shortDigest(e.Digest))
	return e, nil
}

// shortDigest is "sha256:" and 12 hex digits, as docker prints image IDs.
func shortDigest(d string) string {
	const n = len("sha256:") + 12
	if len(d) > n {
		return d[:n] + "…"
	}
	return d
}

// pullHTTP reads the repository's index.yaml, picks the version and
// downloads the archive it lists.
func (c Cache) pullHTTP(ctx context.Context, ref Ref, opt PullOptions) ([]byte, string, error) {
	entry, err := repositoryEntry(opt.RepositoryConfig, ref.RepoURL)
	if err != nil {
		return nil, "", err
	}
	g, err := newRepoClient(entry)
	if err != nil {
		return nil, "", err
	}
	indexURL, err := resolveURL(ref.RepoURL, "index.yaml")
	if err != nil {
		return nil, "", err
	}
	index, err := c.loadIndex(g, indexURL)
	if err != nil {
		return nil, "", err
	}
	cv, err := index.get(ref.Chart, ref.Version)
	if errors.Is(err, errNoChartName) {
		return nil, "", fmt.Errorf("no chart %s in %s", ref.Chart, indexURL)
	}
	if err != nil {
		return nil, "", fmt.Errorf("no version of %s in %s meets %q", ref.Chart, indexURL, cmp.Or(ref.Version, "*"))
	}
	if len(cv.URLs) == 0 {
		return nil, "", fmt.Errorf("%s %s has no download URL in %s", ref.Chart, cv.Version, indexURL)
	}
	chartURL, err := resolveURL(ref.RepoURL, cv.URLs[0])
	if err != nil {
		return nil, "", err
	}
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	archive, err := g.get(chartURL)
	if err != nil {
		return nil, "", err
	}
	if want := strings.TrimPrefix(cv.Digest, "sha256:"); want != "" {
		sum := sha256.Sum256(archive)
		if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, want) {
			return nil, "", fmt.Errorf("%s: digest sha256:%s, but the index says sha256:%s", chartURL, got, want)
		}
	}
	return archive, cv.Version, nil
}

// loadIndex downloads and reads an index.yaml.
func (c Cache) loadIndex(g *repoClient, indexURL string) (*indexFile, error) {
	data, err := g.get(indexURL)
	if err != nil {
		return nil, err
	}
	index, err := parseIndex(data)
	if err != nil {
		return nil, fmt.Errorf("%s: not a chart repository index: %w", indexURL, err)
	}
	return index, nil
}

// repositoryEntry is the repositories.yaml entry for url, or one with just
// the URL when there is none.
func repositoryEntry(file, url string) (*repoEntry, error) {
	explicit := file != ""
	if !explicit {
		file = helmpath.ConfigPath("repositories.yaml")
	}
	f, err := loadRepoFile(file)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return &repoEntry{URL: url}, nil
		}
		return nil, err
	}
	for _, e := range f.Repositories {
		if e != nil && trimURL(e.URL) == url {
			return e, nil
		}
	}
	return &repoEntry{URL: url}, nil
}

// pullOCI resolves ref to a tag or digest in its registry and pulls the
// chart layer.
func pullOCI(ctx context.Context, ref Ref, opt PullOptions) (archive []byte, version, tag string, err error) {
	options := []registry.ClientOption{
		registry.ClientOptWriter(io.Discard),
		// helm's client works on context.Background(); this transport
		// makes its requests stop when ctx does.
		registry.ClientOptHTTPClient(&http.Client{Transport: contextTransport{ctx: ctx, base: registry.NewTransport(false)}}),
	}
	if opt.RegistryConfig != "" {
		options = append(options, registry.ClientOptCredentialsFile(opt.RegistryConfig))
	}
	if opt.PlainHTTP {
		options = append(options, registry.ClientOptPlainHTTP())
	}
	client, err := registry.NewClient(options...)
	if err != nil {
		return nil, "", "", err
	}
	repository := strings.TrimPrefix(ref.RepoURL, "oci://") + "/" + ref.Chart
	target, tag, err := resolveOCI(client, repository, ref.Version)
	if err != nil {
		return nil, "", "", err
	}
	res, err := client.Pull(target)
	if err != nil {
		return nil, "", "", err
	}
	version = res.Chart.Meta.Version
	if version == "" {
		return nil, "", "", fmt.Errorf("%s: the chart has no version", target)
	}
	return res.Chart.Data, version, tag, nil
}

// resolveOCI turns a version into the reference to pull: a digest or an
// exact version as it is, a constraint through the registry's tags (the
// highest that meets it), anything else as a tag. tag is what the cache
// records to find a non-version reference again.
func resolveOCI(client *registry.Client, repository, version string) (target, tag string, err error) {
	if strings.HasPrefix(version, "sha256:") {
		return repository + "@" + version, version, nil
	}
	if _, err := semver.StrictNewVersion(version); err == nil {
		return repository + ":" + version, "", nil
	}
	if !isConstraint(cmp.Or(version, "*")) {
		return repository + ":" + version, version, nil // latest, stable, …
	}
	constraint, err := semver.NewConstraint(cmp.Or(version, "*"))
	if err != nil {
		return "", "", err
	}
	tags, err := client.Tags(repository)
	if err != nil {
		return "", "", err
	}
	for _, t := range tags { // highest first
		if v, err := semver.NewVersion(t); err == nil && constraint.Check(v) {
			return repository + ":" + t, "", nil
		}
	}
	return "", "", fmt.Errorf("no tag of %s meets %q (%d version tags)", repository, cmp.Or(version, "*"), len(tags))
}

func isConstraint(s string) bool {
	_, err := semver.NewConstraint(s)
	return err == nil
}

// contextTransport sends every request under ctx.
type contextTransport struct {
	ctx  context.Context // the registry client's calls take none
	base http.RoundTripper
}

func (t contextTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(req.WithContext(t.ctx))
}
