// Package charts keeps the local cache of the Helm charts a GitOps
// repository deploys from chart repositories and OCI registries, finds the
// references to them (Scan), fetches them (Pull, the only code in oomlint
// that opens connections, run by `oomlint charts pull`) and looks them up
// offline (Find, for rendering).
//
// The cache is a directory with one subdirectory per repository URL:
//
//	<Dir>/<repo>/<chart>-<version>.tgz   the chart archive, as downloaded
//	<Dir>/<repo>/<chart>-<version>.json  its record: url, chart, version,
//	                                     tag, digest (sha256 of the .tgz), pulled
//
// <repo> is the URL without its scheme, every character other than a
// letter, a digit, '.', '-' or '_' replaced by '_', then '-' and the first
// 8 hex digits of the SHA-256 of the URL: oci://ghcr.io/org/charts is
// ghcr.io_org_charts-<hash>. URLs compare after trimming a trailing '/'.
// The tag is recorded only for an OCI chart pulled by a tag that is not a
// version (latest) or by digest, so that the same reference finds it again.
// Each file is written to a temporary name and renamed, so a reader never
// sees half a chart.
package charts

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
)

// Ref names one chart version a repository deploys.
type Ref struct {
	RepoURL string // https://charts.example.com, or oci://ghcr.io/org/charts (the chart name is appended for OCI)
	Chart   string // chart name
	Version string // exact version or a semver constraint ("1.2.3", ">=1.0.0 <2", "6.x", "*" or "" = any); for OCI also a tag or a sha256: digest
}

// String is "podinfo 6.5.0 from https://stefanprodan.github.io/podinfo".
func (r Ref) String() string {
	return fmt.Sprintf("%s %s from %s", r.Chart, cmp.Or(r.Version, "*"), trimURL(r.RepoURL))
}

// Entry is one chart in the cache.
type Entry struct {
	RepoURL string
	Chart   string
	Version string // the chart's version
	Digest  string // "sha256:<hex>" of the archive
	File    string // the archive
}

// record is an Entry as stored beside its archive.
type record struct {
	URL     string    `json:"url"`
	Chart   string    `json:"chart"`
	Version string    `json:"version"`
	Tag     string    `json:"tag,omitempty"`
	Digest  string    `json:"digest"`
	Pulled  time.Time `json:"pulled"`
}

// DefaultDir is os.UserCacheDir()/oomlint/charts.
func DefaultDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "oomlint", "charts"), nil
}

// Cache is a chart cache directory.
type Cache struct{ Dir string }

// Find returns the path of the cached chart archive (.tgz) for ref: the
// highest cached version that satisfies ref.Version. It never touches the
// network. ok is false when nothing matches.
func (c Cache) Find(ref Ref) (path, version string, ok bool) {
	e, ok := c.find(ref)
	return e.File, e.Version, ok
}

func (c Cache) find(ref Ref) (Entry, bool) {
	if !validName(ref.Chart) {
		return Entry{}, false
	}
	url := trimURL(ref.RepoURL)
	dir := c.repoDir(url)
	if st, err := os.Lstat(dir); err != nil || !st.IsDir() {
		return Entry{}, false // pull makes real directories, never links
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return Entry{}, false
	}
	var candidates []record
	for _, de := range des {
		name := de.Name()
		if !strings.HasPrefix(name, ref.Chart+"-") || !strings.HasSuffix(name, ".json") {
			continue
		}
		r, err := readRecord(filepath.Join(dir, name))
		if err != nil || r.Chart != ref.Chart || trimURL(r.URL) != url {
			continue
		}
		if !regular(r.entry(dir).File) {
			continue
		}
		candidates = append(candidates, r)
	}
	r, ok := best(candidates, ref.Version)
	if !ok {
		return Entry{}, false
	}
	return r.entry(dir), true
}

// best picks the record for a version: an exact version or tag, else the
// highest version that meets it as a constraint ("" is any). As in helm,
// a constraint without a pre-release part skips pre-releases.
func best(rs []record, version string) (record, bool) {
	var hit *record
	var hitVersion *semver.Version
	consider := func(r *record) {
		v, err := semver.NewVersion(r.Version)
		if err != nil {
			if hit == nil {
				hit = r
			}
			return
		}
		if hitVersion == nil || v.GreaterThan(hitVersion) {
			hit, hitVersion = r, v
		}
	}
	if version != "" {
		for i := range rs {
			if rs[i].Version == version || rs[i].Tag == version {
				consider(&rs[i])
			}
		}
		if hit != nil {
			return *hit, true
		}
	}
	constraint, err := semver.NewConstraint(cmp.Or(version, "*"))
	if err != nil {
		return record{}, false
	}
	for i := range rs {
		if v, err := semver.NewVersion(rs[i].Version); err == nil && constraint.Check(v) {
			consider(&rs[i])
		}
	}
	if hit == nil {
		return record{}, false
	}
	return *hit, true
}

// List returns every chart in the cache, by URL, chart and version.
func (c Cache) List() ([]Entry, error) {
	repos, err := os.ReadDir(c.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var entries []Entry
	for _, repo := range repos {
		if !repo.IsDir() {
			continue
		}
		dir := filepath.Join(c.Dir, repo.Name())
		files, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if !strings.HasSuffix(f.Name(), ".json") {
				continue
			}
			r, err := readRecord(filepath.Join(dir, f.Name()))
			if err != nil {
				return nil, err
			}
			entries = append(entries, r.entry(dir))
		}
	}
	slices.SortFunc(entries, func(a, b Entry) int {
		return cmp.Or(strings.Compare(a.RepoURL, b.RepoURL), strings.Compare(a.Chart, b.Chart), compareVersions(a.Version, b.Version))
	})
	return entries, nil
}

// compareVersions orders semantic versions by precedence, others by text.
func compareVersions(a, b string) int {
	va, errA := semver.NewVersion(a)
	vb, errB := semver.NewVersion(b)
	if errA == nil && errB == nil {
		if c := va.Compare(vb); c != 0 {
			return c
		}
	}
	return strings.Compare(a, b)
}

// maxRecordSize bounds a record: a few hundred bytes of JSON.
const maxRecordSize = 64 << 10

func readRecord(name string) (record, error) {
	if !regular(name) {
		return record{}, fmt.Errorf("%s: not a regular file", name)
	}
	f, err := os.Open(name)
	if err != nil {
		return record{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRecordSize))
	if err != nil {
		return record{}, err
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return record{}, fmt.Errorf("%s: %w", name, err)
	}
	if !validName(r.Chart) || !validName(r.Version) {
		return record{}, fmt.Errorf("%s: bad chart name or version", name)
	}
	return r, nil
}

// regular reports whether name is a regular file itself, not a link: pull
// writes nothing else, and a cache a repository's config places inside
// the repository must not lead elsewhere (a link) or block (a FIFO).
func regular(name string) bool {
	st, err := os.Lstat(name)
	return err == nil && st.Mode().IsRegular()
}

func (r record) entry(dir string) Entry {
	return Entry{
		RepoURL: trimURL(r.URL), Chart: r.Chart, Version: r.Version, Digest: r.Digest,
		File: filepath.Join(dir, r.Chart+"-"+r.Version+".tgz"),
	}
}

// store writes a chart archive and its record into the cache. tag is the
// OCI tag or digest it was pulled by when that is not a version.
func (c Cache) store(url, chart, version, tag string, archive []byte) (Entry, error) {
	if !validName(chart) || !validName(version) {
		return Entry{}, fmt.Errorf("chart %q version %q: not a safe file name", chart, version)
	}
	url = trimURL(url)
	dir := c.repoDir(url)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Entry{}, err
	}
	sum := sha256.Sum256(archive)
	r := record{
		URL: url, Chart: chart, Version: version, Tag: tag,
		Digest: "sha256:" + hex.EncodeToString(sum[:]), Pulled: time.Now().UTC().Truncate(time.Second),
	}
	meta, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return Entry{}, err
	}
	base := filepath.Join(dir, chart+"-"+version)
	// The archive first: a record is only ever written beside its archive.
	if err := writeFileAtomic(base+".tgz", archive); err != nil {
		return Entry{}, err
	}
	if err := writeFileAtomic(base+".json", append(meta, '\n')); err != nil {
		return Entry{}, err
	}
	return r.entry(dir), nil
}

// writeFileAtomic writes data to a temporary file beside name (mode 0600,
// as os.CreateTemp makes it) and renames it into place.
func writeFileAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// repoDir is the cache directory of a repository URL (trimmed).
func (c Cache) repoDir(url string) string {
	return filepath.Join(c.Dir, escapeURL(url))
}

// escapeURL makes a repository URL one safe directory name: host and path
// with every other character replaced by '_', and a short hash of the
// whole URL against collisions (https vs oci, a/b vs a_b).
func escapeURL(url string) string {
	sum := sha256.Sum256([]byte(url))
	_, rest, ok := strings.Cut(url, "://")
	if !ok {
		rest = url
	}
	name := []byte(rest)
	for i, b := range name {
		if !isNameByte(b) {
			name[i] = '_'
		}
	}
	const maxLen = 80
	if len(name) > maxLen {
		name = name[:maxLen]
	}
	if len(name) > 0 && name[0] == '.' {
		name[0] = '_' // not a hidden directory
	}
	return string(name) + "-" + hex.EncodeToString(sum[:4])
}

// validName reports whether s can be part of a file name in the cache:
// chart names and versions only use these characters.
func validName(s string) bool {
	if s == "" || s == "." || s == ".." || s[0] == '.' || s[0] == '-' {
		return false
	}
	for i := range len(s) {
		if !isNameByte(s[i]) && s[i] != '+' {
			return false
		}
	}
	return true
}

func isNameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '-' || b == '_'
}
