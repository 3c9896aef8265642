package helmutil

// Not copied from helm: helm's ValidateAgainstSchema loads $ref targets
// from files and http(s) URLs. This one validates with the same library
// and messages, offline.

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/oomlint/oomlint/internal/jsonschema"
)

// ValidateAgainstSchema is helm's schema validation (same messages) that
// reads nothing but the schema: helm's follows a $ref
// to any file or http(s) URL, so a chart's values.schema.json could make
// the lint read the runner's files, hang on /dev/zero or call a server. A
// $ref that leaves the schema allows anything, as if that part of the
// schema were not there.
func ValidateAgainstSchema(ch *chart.Chart, vals map[string]any) error {
	var sb strings.Builder
	validateChartValues(&sb, ch, vals)
	if sb.Len() > 0 {
		return errors.New(sb.String())
	}
	return nil
}

func validateChartValues(sb *strings.Builder, ch *chart.Chart, vals map[string]any) {
	if ch.Schema != nil {
		if err := validateSchema(vals, ch.Schema); err != nil {
			fmt.Fprintf(sb, "%s:\n%s", ch.Name(), err.Error())
		}
	}
	for _, sub := range ch.Dependencies() {
		raw, ok := vals[sub.Name()]
		if !ok || raw == nil {
			continue
		}
		subVals, ok := raw.(map[string]any)
		if !ok {
			fmt.Fprintf(sb, "%s:\ninvalid type for values: expected object (map), got %T\n", sub.Name(), raw)
			continue
		}
		validateChartValues(sb, sub, subVals)
	}
}

func validateSchema(vals map[string]any, schemaJSON []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unable to validate schema: %s", r)
		}
	}()
	schema, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return err
	}
	ids := map[string]bool{}
	walkSchema(schema, func(m map[string]any) {
		if id, ok := m["$id"].(string); ok {
			ids[id] = true
		}
	})
	walkSchema(schema, func(m map[string]any) {
		for _, k := range []string{"$ref", "$dynamicRef"} {
			if ref, ok := m[k].(string); ok {
				if doc, _, _ := strings.Cut(ref, "#"); doc != "" && !ids[doc] {
					delete(m, k)
				}
			}
		}
	})
	c := jsonschema.NewCompiler()
	c.UseLoader(noRefs{})
	if err := c.AddResource("file:///values.schema.json", schema); err != nil {
		return err
	}
	v, err := c.Compile("file:///values.schema.json")
	if err != nil {
		return err
	}
	if err := v.Validate(vals); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "jsonschema validation failed with 'file:///values.schema.json#'\n") + "\n")
	}
	return nil
}

// walkSchema calls f on every object of a schema document.
func walkSchema(v any, f func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(v)
		for _, x := range v {
			walkSchema(x, f)
		}
	case []any:
		for _, x := range v {
			walkSchema(x, f)
		}
	}
}

// noRefs loads no schema (a metaschema named by $schema, a reference that
// slipped through): each is `true`.
type noRefs struct{}

func (noRefs) Load(string) (any, error) { return true, nil }
