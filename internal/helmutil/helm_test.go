package helmutil

// Helpers for the tests that run this package and helm's chartutil and
// releaseutil on the same input and compare the results.

import (
	"bytes"
	"encoding/json"
	"go/build"
	"log"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mitchellh/copystructure"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
)

// captureLog runs f with the standard logger writing to a buffer, and
// returns the lines it logged, sorted (coalescing warns in map order).
func captureLog(f func()) []string {
	var buf bytes.Buffer
	flags, w := log.Flags(), log.Writer()
	log.SetFlags(0)
	log.SetOutput(&buf)
	defer func() {
		log.SetFlags(flags)
		log.SetOutput(w)
	}()
	f()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	slices.Sort(lines)
	return lines
}

// errString is err's message, or "<nil>".
func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// normalize turns helm's and this package's Values, at any depth, into
// map[string]any, so that results of the two can be compared.
func normalize(v any) any {
	switch v := v.(type) {
	case chartutil.Values:
		return normalize(map[string]any(v))
	case Values:
		return normalize(map[string]any(v))
	case map[string]any:
		if v == nil {
			return map[string]any(nil)
		}
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = normalize(x)
		}
		return out
	case []any:
		if v == nil {
			return []any(nil)
		}
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalize(x)
		}
		return out
	default:
		return v
	}
}

// deepCopy copies values so that each implementation gets its own.
func deepCopy[T any](t *testing.T, v T) T {
	t.Helper()
	c, err := copystructure.Copy(v)
	if err != nil {
		t.Fatal(err)
	}
	if c == nil {
		var zero T
		return zero
	}
	return c.(T)
}

// sameValues reports a difference between two values trees.
func sameValues(t *testing.T, what string, helm, ours any) {
	t.Helper()
	h, o := normalize(helm), normalize(ours)
	if !reflect.DeepEqual(h, o) {
		t.Errorf("%s differ (-helm +ours):\n%s", what, cmp.Diff(h, o))
	}
}

// sameStrings reports a difference between two string lists (errors, logs).
func sameStrings[T any](t *testing.T, what string, helm, ours T) {
	t.Helper()
	if diff := cmp.Diff(helm, ours); diff != "" {
		t.Errorf("%s differ (-helm +ours):\n%s", what, diff)
	}
}

// sameCharts compares two charts and their dependency trees.
func sameCharts(t *testing.T, path string, helm, ours *chart.Chart) {
	t.Helper()
	if (helm == nil) != (ours == nil) {
		t.Errorf("%s: chart nil: helm %v, ours %v", path, helm == nil, ours == nil)
		return
	}
	if helm == nil {
		return
	}
	if diff := cmp.Diff(helm.Metadata, ours.Metadata); diff != "" {
		t.Errorf("%s: metadata differs (-helm +ours):\n%s", path, diff)
	}
	sameValues(t, path+": values", helm.Values, ours.Values)
	if !reflect.DeepEqual(helm.Lock, ours.Lock) || !reflect.DeepEqual(helm.Templates, ours.Templates) ||
		!reflect.DeepEqual(helm.Files, ours.Files) || !reflect.DeepEqual(helm.Schema, ours.Schema) ||
		!reflect.DeepEqual(helm.Raw, ours.Raw) {
		t.Errorf("%s: lock, templates, files, schema or raw files differ", path)
	}
	if (helm.Parent() == nil) != (ours.Parent() == nil) {
		t.Errorf("%s: parent differs", path)
	}
	hd, od := helm.Dependencies(), ours.Dependencies()
	if len(hd) != len(od) {
		t.Errorf("%s: %d dependencies with helm, %d with ours", path, len(hd), len(od))
		return
	}
	for i := range hd {
		sameCharts(t, path+"/"+hd[i].Name(), hd[i], od[i])
	}
}

// sameCapabilities compares helm's capabilities with ours, as JSON and
// field by field.
func sameCapabilities(t *testing.T, helm *chartutil.Capabilities, ours *Capabilities) {
	t.Helper()
	hj, err := json.Marshal(helm)
	if err != nil {
		t.Fatal(err)
	}
	oj, err := json.Marshal(ours)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hj, oj) {
		t.Errorf("capabilities differ as JSON:\nhelm %s\nours %s", hj, oj)
	}
	sameStruct(t, "Capabilities", reflect.ValueOf(*helm), reflect.ValueOf(*ours))
}

// sameStruct compares two structs field by field: names, tags, and values
// (of the same kind, slices element by element).
func sameStruct(t *testing.T, path string, helm, ours reflect.Value) {
	t.Helper()
	ht, ot := helm.Type(), ours.Type()
	if ht.NumField() != ot.NumField() {
		t.Errorf("%s: %d fields in helm's %s, %d in ours", path, ht.NumField(), ht, ot.NumField())
		return
	}
	for i := range ht.NumField() {
		hf, of := ht.Field(i), ot.Field(i)
		p := path + "." + hf.Name
		if hf.Name != of.Name || hf.Tag != of.Tag || hf.Type.Kind() != of.Type.Kind() {
			t.Errorf("%s: helm's field %s %s `%s`, ours %s %s `%s`", p, hf.Name, hf.Type, hf.Tag, of.Name, of.Type, of.Tag)
			continue
		}
		hv, ov := helm.Field(i), ours.Field(i)
		switch hf.Type.Kind() {
		case reflect.Struct:
			sameStruct(t, p, hv, ov)
		case reflect.Slice:
			if !reflect.DeepEqual(hv.Convert(reflect.TypeFor[[]string]()).Interface(), ov.Convert(reflect.TypeFor[[]string]()).Interface()) {
				t.Errorf("%s: helm %v, ours %v", p, hv, ov)
			}
		default:
			if hv.String() != ov.String() {
				t.Errorf("%s: helm %q, ours %q", p, hv.String(), ov.String())
			}
		}
	}
	for _, m := range []string{"String", "GitVersion", "Has", "Copy"} {
		_, hm := reflect.PointerTo(ht).MethodByName(m)
		_, om := reflect.PointerTo(ot).MethodByName(m)
		if hm != om {
			t.Errorf("%s: method %s: helm has it %v, ours %v", path, m, hm, om)
		}
	}
}

// sameSorted compares the results of helm's and our SortManifests. A
// document that is not a map fails to decode into "Go value of type
// helmutil.SimpleHead" where helm says releaseutil.SimpleHead.
func sameSorted(t *testing.T, hh []*release.Hook, hm []releaseutil.Manifest, herr error, oh []*Hook, om []Manifest, oerr error) {
	t.Helper()
	sameStrings(t, "SortManifests errors", errString(herr), strings.ReplaceAll(errString(oerr), "type helmutil.SimpleHead", "type releaseutil.SimpleHead"))
	hj, err := json.Marshal(hh)
	if err != nil {
		t.Fatal(err)
	}
	oj, err := json.Marshal(oh)
	if err != nil {
		t.Fatal(err)
	}
	// helm's Hook also has LastRun, always zero from SortManifests.
	var hooks []map[string]any
	if err := json.Unmarshal(hj, &hooks); err != nil {
		t.Fatal(err)
	}
	for i, h := range hooks {
		if !reflect.DeepEqual(h["last_run"], map[string]any{"started_at": "", "completed_at": "", "phase": ""}) {
			t.Errorf("helm hook %d has LastRun %v", i, h["last_run"])
		}
		delete(h, "last_run")
	}
	var ourHooks []map[string]any
	if err := json.Unmarshal(oj, &ourHooks); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(hooks, ourHooks); diff != "" {
		t.Errorf("hooks differ (-helm +ours):\n%s", diff)
	}
	for i := range hh {
		if i < len(oh) && (hh[i].Events == nil) != (oh[i].Events == nil) {
			t.Errorf("hook %d: events nil: helm %v, ours %v", i, hh[i].Events == nil, oh[i].Events == nil)
		}
	}
	hmj, err := json.Marshal(hm)
	if err != nil {
		t.Fatal(err)
	}
	omj, err := json.Marshal(om)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hmj, omj) {
		t.Errorf("manifests differ:\nhelm %s\nours %s", hmj, omj)
	}
}

// helmDir is the directory of the helm.sh/helm/v3 module this package is
// built with, in the module cache.
func helmDir(t *testing.T) string {
	t.Helper()
	dir, err := helmDirOnce()
	if err != nil {
		t.Fatalf("finding helm's source: %v", err)
	}
	return dir
}

var helmDirOnce = sync.OnceValues(func() (string, error) {
	p, err := build.Default.Import("helm.sh/helm/v3/pkg/chartutil", ".", build.FindOnly)
	if err != nil {
		return "", err
	}
	return filepath.Dir(filepath.Dir(p.Dir)), nil
})
