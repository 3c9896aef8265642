package lint

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// baselineVersion is the version of the baseline file's schema.
const baselineVersion = 1

// Baseline is a recorded set of findings that a team has accepted for now:
// with a baseline, a run reports only findings that are not in it. Entries
// are keyed by a fingerprint that leaves out the line and column, so moving
// an object inside its file, or editing lines above it, keeps it baselined.
type Baseline struct {
	Version  int             `json:"version"`
	Findings []BaselineEntry `json:"findings"`
}

// BaselineEntry is one accepted finding. Only Fingerprint is compared; the
// other fields make the file reviewable in a pull request.
type BaselineEntry struct {
	Fingerprint string `json:"fingerprint"`
	Rule        string `json:"rule"`
	File        string `json:"file"`
	Object      string `json:"object,omitempty"`
	Container   string `json:"container,omitempty"`
	Path        string `json:"path,omitempty"`
}

// Fingerprint identifies a finding across line moves: rule, file (relative
// to the repository root), object, container and field path. For a
// rendered object (Finding.Units set), only its kind: its name and
// namespace change with the overlay or variant. A finding about no object
// (a parse error) adds its message, which names no line.
// dir is the working directory relative to the repository root ("" when it
// is the root), so a baseline written from the root still matches a run
// from a subdirectory.
func Fingerprint(f Finding, dir string) string {
	h := sha256.New()
	for _, part := range fingerprintParts(f, dir) {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

func fingerprintParts(f Finding, dir string) []string {
	obj := describeRef(f.Object)
	if len(f.Units) > 0 && f.Object != nil {
		// A render names the object after the overlay, variant or release
		// (namePrefix, namespace), and a finding shared by several units
		// names one of them: the kind stays, so adding or removing an
		// overlay keeps the finding baselined.
		obj = f.Object.APIVersion + "/" + f.Object.Kind
	}
	parts := []string{"oomlint/v1", f.Rule, RepoPath(dir, f.File), obj, f.Container, f.Path}
	if f.Object == nil && f.Path == "" {
		parts = append(parts, f.Message)
	}
	return parts
}

// RepoPath joins a path relative to the working directory onto dir, the
// working directory relative to the repository root: the path relative to
// the repository root, with /.
func RepoPath(dir, file string) string {
	if dir == "" || dir == "." {
		return path.Clean(file)
	}
	return path.Join(dir, file)
}

func describeRef(r *ObjectRef) string {
	if r == nil {
		return ""
	}
	return r.APIVersion + "/" + r.Kind + " " + r.Namespace + "/" + r.Name
}

// NewBaseline records findings; dir is as for Fingerprint.
func NewBaseline(findings []Finding, dir string) *Baseline {
	b := &Baseline{Version: baselineVersion, Findings: make([]BaselineEntry, 0, len(findings))}
	for _, f := range findings {
		e := BaselineEntry{
			Fingerprint: Fingerprint(f, dir), Rule: f.Rule, File: RepoPath(dir, f.File),
			Container: f.Container, Path: f.Path,
		}
		if f.Object != nil {
			e.Object = f.Object.Kind + " " + f.Object.Namespace + "/" + f.Object.Name
		}
		b.Findings = append(b.Findings, e)
	}
	slices.SortFunc(b.Findings, func(x, y BaselineEntry) int {
		return strings.Compare(x.File+"\x00"+x.Rule+"\x00"+x.Object+"\x00"+x.Container+"\x00"+x.Path+"\x00"+x.Fingerprint,
			y.File+"\x00"+y.Rule+"\x00"+y.Object+"\x00"+y.Container+"\x00"+y.Path+"\x00"+y.Fingerprint)
	})
	return b
}

// Write writes the baseline as indented JSON, byte-identical between runs.
func (b *Baseline) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(b)
}

// ErrBaselineVersion means a baseline file was written by a newer oomlint.
var ErrBaselineVersion = errors.New("unsupported baseline version")

// ReadBaseline reads a file written by Baseline.Write.
func ReadBaseline(r io.Reader) (*Baseline, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b Baseline
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("not an oomlint baseline: %w", err)
	}
	if b.Version != baselineVersion {
		return nil, fmt.Errorf("%w %d (this oomlint reads %d)", ErrBaselineVersion, b.Version, baselineVersion)
	}
	return &b, nil
}

// ApplyBaseline drops the findings the baseline lists and counts them in
// Summary.Baselined. A fingerprint recorded n times hides at most n
// findings, so a second identical mistake is still new.
func (r *Result) ApplyBaseline(b *Baseline, dir string) {
	left := map[string]int{}
	for _, e := range b.Findings {
		left[e.Fingerprint]++
	}
	r.Keep(func(f Finding) bool {
		fp := Fingerprint(f, dir)
		if left[fp] > 0 {
			left[fp]--
			r.Summary.Baselined++
			return false
		}
		return true
	})
}

// KeepFiles keeps the findings whose location or any related location is
// in one of files (paths as displayed: relative to the working directory,
// with /). Editing a values file, a base or a LimitRange thus keeps the
// findings it causes in other files.
func (r *Result) KeepFiles(files []string) {
	set := map[string]bool{}
	for _, f := range files {
		set[path.Clean(f)] = true
	}
	r.Keep(func(f Finding) bool {
		if set[path.Clean(f.File)] {
			return true
		}
		return slices.ContainsFunc(f.Related, func(rel Related) bool { return set[path.Clean(rel.File)] })
	})
}

// Keep keeps the findings for which keep is true and recounts the summary.
func (r *Result) Keep(keep func(Finding) bool) {
	r.Findings = slices.DeleteFunc(r.Findings, func(f Finding) bool { return !keep(f) })
	r.Summary.Error, r.Summary.Warning, r.Summary.Info = 0, 0, 0
	for _, f := range r.Findings {
		switch f.Severity {
		case Error:
			r.Summary.Error++
		case Warning:
			r.Summary.Warning++
		case Info:
			r.Summary.Info++
		}
	}
}
