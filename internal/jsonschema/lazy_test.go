package jsonschema

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

// The metaschemas compile on first use: a schema that breaks its draft's
// metaschema must still be refused, from any number of goroutines at once.
func TestLazyDrafts(t *testing.T) {
	drafts := map[string]string{
		"draft-04":  "http://json-schema.org/draft-04/schema#",
		"draft-07":  "http://json-schema.org/draft-07/schema#",
		"2020-12":   "https://json-schema.org/draft/2020-12/schema",
		"2019-09":   "https://json-schema.org/draft/2019-09/schema",
		"(default)": "",
	}
	var wg sync.WaitGroup
	for name, url := range drafts {
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				doc := `{"type": 5}`
				if url != "" {
					doc = `{"$schema": "` + url + `", "type": 5}`
				}
				sch, err := UnmarshalJSON(strings.NewReader(doc))
				if err != nil {
					t.Error(err)
					return
				}
				c := NewCompiler()
				if err := c.AddResource("mem:///s.json", sch); err != nil {
					t.Error(err)
					return
				}
				_, err = c.Compile("mem:///s.json")
				var sve *SchemaValidationError
				if !errors.As(err, &sve) {
					t.Errorf("%s: compile of an invalid schema: %v, want a SchemaValidationError", name, err)
				}
			}()
		}
	}
	wg.Wait()
	for _, d := range []*Draft{Draft4, Draft6, Draft7, Draft2019, Draft2020} {
		if d.sch == nil {
			t.Errorf("%s: metaschema not compiled", d.url)
		}
	}
}
