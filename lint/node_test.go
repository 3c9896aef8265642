package lint

import (
	"fmt"
	"testing"

	"go.yaml.in/yaml/v3"
)

const locateDoc = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  annotations:
    oomlint.io/ignore: OOM104
x-defaults: &small
  limits:
    memory: 256Mi
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: full
        resources:
          limits:
            memory: 512Mi
      - name: empty
        resources: {}
      - image: nameless
      - name: shared
        resources: *small
      - name: null
        resources:
      - name: bare
        image: x
`

func TestLocate(t *testing.T) {
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(locateDoc), &root); err != nil {
		t.Fatal(err)
	}
	containers := Root.Keys("spec", "template", "spec", "containers")
	mem := func(i int) Path { return containers.Index(i).Keys("resources", "limits", "memory") }
	tests := []struct {
		name string
		path Path
		want string // line:column
	}{
		{"root is the kind: key", Root, "2:1"},
		{"full path is the value", mem(0), "18:21"},
		{"resources: {} is the resources key", mem(1), "20:9"},
		{"no resources is the name: key", mem(5), "26:9"},
		{"no name: is the element's first key", mem(2), "21:9"},
		{"missing key after an index is the name: key", containers.Index(0).Key("env"), "15:9"},
		{"missing key deeper is the deepest key found", containers.Index(0).Keys("resources", "requests", "memory"), "16:9"},
		{"out-of-range index is the list's key", mem(9), "14:7"},
		{"alias resolves to the anchored value", mem(3), "9:13"},
		{"null resources is the resources key", mem(4), "25:9"},
		{"path through a scalar stops at its key", Root.Keys("spec", "replicas", "x"), "11:3"},
		{"index into a mapping stops at its key", Root.Key("spec").Index(0), "10:1"},
		{"a mapping value is its key", Root.Keys("spec", "template"), "12:3"},
		{"missing top-level key is the first key", Root.Key("status"), "1:1"},
		{"quoted key", Root.Keys("metadata", "annotations", IgnoreAnnotation), "6:24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := nodeOrigin{file: "f.yaml", root: &root}.Locate(tt.path)
			if got := fmt.Sprintf("%d:%d", loc.Line, loc.Column); got != tt.want || loc.File != "f.yaml" {
				t.Errorf("Locate(%s) = %s:%s, want f.yaml:%s", tt.path, loc.File, got, tt.want)
			}
		})
	}
}

func TestLocateOffsetAndEmpty(t *testing.T) {
	var root yaml.Node
	if err := yaml.Unmarshal([]byte("kind: Pod\nspec: {}\n"), &root); err != nil {
		t.Fatal(err)
	}
	loc := nodeOrigin{file: "f.yaml", root: &root, lineOffset: 10}.Locate(Root.Keys("spec", "containers"))
	if loc.Line != 12 || loc.Column != 1 {
		t.Errorf("Locate with offset 10 = %d:%d, want 12:1", loc.Line, loc.Column)
	}
	loc = nodeOrigin{file: "f.yaml"}.Locate(Root.Key("spec"))
	if loc.Line != 1 || loc.Column != 1 {
		t.Errorf("Locate in a nil root = %d:%d, want 1:1", loc.Line, loc.Column)
	}
}

func TestPathString(t *testing.T) {
	tests := []struct {
		path Path
		want string
	}{
		{Root, ""},
		{Root.Key("spec"), "spec"},
		{Root.Keys("spec", "template", "spec").Key("containers").Index(0).Keys("resources", "limits", "memory"),
			"spec.template.spec.containers[0].resources.limits.memory"},
		{Root.Key("items").Index(2).Index(10), "items[2][10]"},
		{Root.Index(0).Key("name"), "[0].name"},
		{Root.Keys("metadata", "annotations", IgnoreAnnotation), `metadata.annotations["oomlint.io/ignore"]`},
		{Root.Keys("data", "app.properties"), `data["app.properties"]`},
		{Root.Keys("a", "0x", "x0", "snake_case", "kebab-case"), `a["0x"].x0.snake_case.kebab-case`},
		{Root.Keys("a", ""), `a[""]`},
	}
	for _, tt := range tests {
		if got := tt.path.String(); got != tt.want {
			t.Errorf("Path.String() = %q, want %q", got, tt.want)
		}
	}
}

func TestPathIsImmutable(t *testing.T) {
	base := Root.Keys("spec", "containers")
	a, b := base.Index(0), base.Index(1)
	if a.String() != "spec.containers[0]" || b.String() != "spec.containers[1]" || base.Len() != 2 {
		t.Errorf("paths share steps: base %s, a %s, b %s", base, a, b)
	}
	if got := a.Keys("resources", "limits", "memory").Tail(2); got != "limits.memory" {
		t.Errorf("Tail(2) = %q, want limits.memory", got)
	}
	if got := a.Tail(5); got != "spec.containers[0]" {
		t.Errorf("Tail(5) = %q, want the whole path", got)
	}
	if !Root.IsZero() || base.IsZero() {
		t.Error("IsZero wrong")
	}
}
