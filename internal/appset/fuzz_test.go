package appset_test

import (
	"os"
	"path/filepath"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/oomlint/oomlint/internal/appset"
)

func FuzzExpand(f *testing.F) {
	for _, s := range []string{listFast, listGo, gitDirs, gitFiles} {
		f.Add(s)
	}
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	root := writeRepo(f, repoFiles)
	f.Fuzz(func(t *testing.T, src string) {
		var doc yaml.Node
		if yaml.Unmarshal([]byte(src), &doc) != nil || len(doc.Content) == 0 {
			return
		}
		for _, glob := range []bool{false, true} {
			apps, skipped, err := appset.Expand(doc.Content[0], appset.Options{RepoRoot: root, NewGitFileGlobbing: glob})
			if err != nil {
				continue
			}
			for _, a := range apps {
				checkOrigins(t, a)
			}
			for _, s := range skipped {
				if s.Node == nil {
					t.Errorf("skipped %s without a node", s.Generator)
				}
			}
		}
	})
}
