package lint

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpandVars(t *testing.T) {
	env := map[string]string{"HEAP": "1g", "OPTS": "-Xms1g -Xmx1g", "EMPTY": ""}
	lookup := func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
	tests := []struct{ in, want string }{
		{"-Xmx$(HEAP)", "-Xmx1g"},
		{"$(OPTS) -jar app.jar", "-Xms1g -Xmx1g -jar app.jar"},
		{"$(HEAP)$(HEAP)", "1g1g"},
		{"a$(EMPTY)b", "ab"},
		{"$(UNDEFINED) stays", "$(UNDEFINED) stays"},
		{"$$(HEAP) is escaped", "$(HEAP) is escaped"},
		{"$$$(HEAP)", "$1g"},
		{"cost: $5", "cost: $5"},
		{"$HEAP is shell syntax", "$HEAP is shell syntax"},
		{"${HEAP} too", "${HEAP} too"},
		{"trailing $", "trailing $"},
		{"$(unterminated", "$(unterminated"},
		{"$()", "$()"},
		{"no dollars", "no dollars"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := expandVars(tt.in, lookup); got != tt.want {
			t.Errorf("expandVars(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func words(values ...string) Command {
	c := make(Command, len(values))
	for i, v := range values {
		c[i] = Word{Value: v, At: Place{Path: Root.Key("args").Index(i)}}
	}
	return c
}

func values(c Command) []string {
	var out []string
	for _, w := range c {
		out = append(out, w.Value)
	}
	return out
}

func TestProgram(t *testing.T) {
	tests := []struct {
		line []string
		prog string
		rest []string
	}{
		{[]string{"java", "-Xmx1g", "-jar", "app.jar"}, "java", []string{"-Xmx1g", "-jar", "app.jar"}},
		{[]string{"/usr/bin/java", "-Xmx1g"}, "java", []string{"-Xmx1g"}},
		{[]string{"exec", "java", "-jar", "a.jar"}, "java", []string{"-jar", "a.jar"}},
		{[]string{"tini", "-g", "--", "java", "-Xmx1g"}, "java", []string{"-Xmx1g"}},
		{[]string{"/usr/bin/dumb-init", "--", "node", "server.js"}, "node", []string{"server.js"}},
		{[]string{"env", "-i", "A=1", "B=2", "java"}, "java", nil},
		{[]string{"JAVA_OPTS=-Xmx1g", "java", "-jar", "a.jar"}, "java", []string{"-jar", "a.jar"}},
		{[]string{"nice", "nohup", "java"}, "java", nil},
		{[]string{"sh", "-c", "java"}, "sh", []string{"-c", "java"}},
		{[]string{"exec"}, "", nil},
		{nil, "", nil},
	}
	for _, tt := range tests {
		prog, rest := words(tt.line...).Program()
		if prog != tt.prog || !cmp.Equal(values(rest), tt.rest) {
			t.Errorf("Program(%q) = %q, %q; want %q, %q", tt.line, prog, values(rest), tt.prog, tt.rest)
		}
	}
}

func TestShellScript(t *testing.T) {
	tests := []struct {
		line   []string
		script string
		ok     bool
	}{
		{[]string{"sh", "-c", "exec java -jar app.jar"}, "exec java -jar app.jar", true},
		{[]string{"/bin/bash", "-lc", "java"}, "java", true},
		{[]string{"bash", "-e", "-c", "java", "arg0"}, "java", true},
		{[]string{"/bin/sh", "-ec", "java"}, "java", true},
		{[]string{"dumb-init", "--", "sh", "-c", "java"}, "java", true},
		{[]string{"sh", "script.sh"}, "", false},
		{[]string{"sh", "--norc", "script.sh"}, "", false},
		{[]string{"sh", "-c"}, "", false},
		{[]string{"python", "-c", "print(1)"}, "", false},
		{[]string{"java", "-jar", "a.jar"}, "", false},
	}
	for _, tt := range tests {
		w, ok := shellScript(words(tt.line...))
		if ok != tt.ok || w.Value != tt.script {
			t.Errorf("shellScript(%q) = %q, %v; want %q, %v", tt.line, w.Value, ok, tt.script, tt.ok)
		}
	}
}

func TestScriptCommands(t *testing.T) {
	env := map[string]string{"JAVA_OPTS": "-Xms1g -Xmx1g", "APP": "/srv/app.jar", "QUOTED": `-Dx="a b"`}
	lookup := func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
	tests := []struct {
		script string
		want   [][]string
	}{
		{"exec java -Xmx1g -jar app.jar", [][]string{{"exec", "java", "-Xmx1g", "-jar", "app.jar"}}},
		{"cd /app && ./migrate.sh; java $JAVA_OPTS -jar \"$APP\"", [][]string{
			{"cd", "/app"}, {"./migrate.sh"}, {"java", "-Xms1g", "-Xmx1g", "-jar", "/srv/app.jar"},
		}},
		{`java "-Dgreeting=hello world" '-Xmx512m' -jar app.jar`, [][]string{{"java", "-Dgreeting=hello world", "-Xmx512m", "-jar", "app.jar"}}},
		{`java "$JAVA_OPTS"`, [][]string{{"java", "-Xms1g -Xmx1g"}}},
		{`java $QUOTED`, [][]string{{"java", `-Dx="a`, `b"`}}}, // expansion results are split, quotes kept: what a shell does
		{"java $UNSET -jar a.jar", [][]string{{"java", "-jar", "a.jar"}}},
		{"if true; then\n  exec java -Xmx1g -jar a.jar\nfi", [][]string{{"true"}, {"exec", "java", "-Xmx1g", "-jar", "a.jar"}}},
		{"JAVA_OPTS=-Xmx2g java -jar a.jar", [][]string{{"java", "-jar", "a.jar"}}},
		{"java 'unterminated", nil},
		{"", nil},
	}
	for _, tt := range tests {
		at := Place{Path: Root.Key("command").Index(2)}
		cmds, _ := scriptCommands(Word{Value: tt.script, At: at}, lookup)
		var got [][]string
		for _, c := range cmds {
			got = append(got, values(c))
			for _, w := range c {
				if !w.Script || w.At.Path.String() != at.Path.String() {
					t.Errorf("%q: word %q is not placed at the script: %+v", tt.script, w.Value, w)
				}
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("scriptCommands(%q) (-want +got):\n%s", tt.script, diff)
		}
	}
}

func TestScriptEnv(t *testing.T) {
	lookup := func(string) (string, bool) { return "", false }
	tests := []struct {
		script string
		want   map[string]string
	}{
		{"export NODE_OPTIONS=--max-old-space-size=4096; exec node server.js", map[string]string{"NODE_OPTIONS": "--max-old-space-size=4096"}},
		{"GOMEMLIMIT=1GiB exec ./server", map[string]string{"GOMEMLIMIT": "1GiB"}},
		{"HEAP=2g; export JAVA_TOOL_OPTIONS=\"-Xmx$HEAP\"; java -jar a.jar", map[string]string{"HEAP": "2g", "JAVA_TOOL_OPTIONS": "-Xmx2g"}},
		{"exec java -jar a.jar", map[string]string{}},
	}
	for _, tt := range tests {
		_, env := scriptCommands(Word{Value: tt.script}, lookup)
		got := map[string]string{}
		for _, v := range env {
			got[v.Name] = v.Value
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("scriptCommands(%q) env (-want +got):\n%s", tt.script, diff)
		}
	}
}

// decodeUnit decodes one file of YAML as a unit, resolved as the engine does.
func decodeUnit(t *testing.T, u *Unit, src string) []*Object {
	t.Helper()
	d := decodeBytes([]byte(src), u.Name, false, "default")
	if len(d.problems) > 0 {
		t.Fatalf("decode: %v", d.problems)
	}
	for _, o := range d.objects {
		o.Unit = u
		o.Workload = buildWorkload(o)
	}
	return d.objects
}

// envOf renders a container's environment: NAME=value, with (unknown),
// the resource field, and where it was read from.
func envOf(c *Container) []string {
	var out []string
	for _, e := range c.Process.Env {
		s := e.Name + "=" + e.Value
		switch {
		case e.ResourceField != "":
			s = fmt.Sprintf("%s=<%s/%s>", e.Name, e.ResourceField, e.Divisor)
		case !e.Known:
			s = e.Name + "=(unknown)"
		}
		out = append(out, s+" @ "+e.At.Object.Kind+"/"+e.At.Object.Name+" "+e.At.Path.String())
	}
	return out
}

func TestReadEnv(t *testing.T) {
	const configMaps = `
apiVersion: v1
kind: ConfigMap
metadata:
  name: jvm
  namespace: shop
data:
  JAVA_TOOL_OPTIONS: -Xmx1g
  HEAP: 2g
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: jvm
  namespace: other
data:
  JAVA_TOOL_OPTIONS: -Xmx9g
`
	const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: api
          image: eclipse-temurin:17
          command: ["java", "-Xmx$(HEAP)", "$(UNSET)", "$$(HEAP)"]
          envFrom:
            - configMapRef:
                name: jvm
            - prefix: CM_
              configMapRef:
                name: jvm
            - configMapRef:
                name: not-in-repo
          env:
            - name: JAVA_TOOL_OPTIONS
              value: -Xmx512m
            - name: OPTS
              value: $(JAVA_TOOL_OPTIONS) -Xss1m
            - name: FROM_KEY
              valueFrom:
                configMapKeyRef:
                  name: jvm
                  key: HEAP
            - name: MISSING_KEY
              valueFrom:
                configMapKeyRef:
                  name: jvm
                  key: nope
            - name: MISSING_MAP
              valueFrom:
                configMapKeyRef:
                  name: not-in-repo
                  key: HEAP
            - name: LIMIT
              valueFrom:
                resourceFieldRef:
                  resource: limits.memory
                  divisor: 1Mi
            - name: POD
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
`
	unit := &Unit{Name: "app.yaml"}
	objects := append(decodeUnit(t, unit, configMaps), decodeUnit(t, unit, deployment)...)
	// The same ConfigMap name in another unit is not the one the pod reads.
	objects = append(objects, decodeUnit(t, &Unit{Name: "elsewhere.yaml"}, strings.Replace(configMaps, "-Xmx1g", "-Xmx7g", 1))...)
	resolve(objects)
	c := objects[2].Workload.Containers[0]

	want := []string{
		"JAVA_TOOL_OPTIONS=-Xmx1g @ ConfigMap/jvm data.JAVA_TOOL_OPTIONS",
		"HEAP=2g @ ConfigMap/jvm data.HEAP",
		"CM_JAVA_TOOL_OPTIONS=-Xmx1g @ ConfigMap/jvm data.JAVA_TOOL_OPTIONS",
		"CM_HEAP=2g @ ConfigMap/jvm data.HEAP",
		"JAVA_TOOL_OPTIONS=-Xmx512m @ Deployment/api spec.template.spec.containers[0].env[0].value",
		"OPTS=-Xmx512m -Xss1m @ Deployment/api spec.template.spec.containers[0].env[1].value",
		"FROM_KEY=2g @ ConfigMap/jvm data.HEAP",
		"MISSING_KEY=(unknown) @ Deployment/api spec.template.spec.containers[0].env[3].valueFrom",
		"MISSING_MAP=(unknown) @ Deployment/api spec.template.spec.containers[0].env[4].valueFrom",
		"LIMIT=<limits.memory/1Mi> @ Deployment/api spec.template.spec.containers[0].env[5].valueFrom",
		"POD=(unknown) @ Deployment/api spec.template.spec.containers[0].env[6]",
	}
	if diff := cmp.Diff(want, envOf(c)); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	if cm := c.Process.Env[0].At.Object; cm != objects[0] {
		t.Errorf("envFrom read ConfigMap %s/%s of unit %s, want shop/jvm of this unit", cm.Namespace, cm.Name, cm.Unit.Name)
	}

	// Later entries win: env over envFrom.
	if v, ok := c.Process.Lookup("JAVA_TOOL_OPTIONS"); !ok || v.Value != "-Xmx512m" {
		t.Errorf("Lookup(JAVA_TOOL_OPTIONS) = %+v, %v; want the env value -Xmx512m", v, ok)
	}
	if _, ok := c.Process.Lookup("NOT_SET"); ok {
		t.Error("Lookup(NOT_SET) found a variable")
	}
	var nilProc *Process
	if _, ok := nilProc.Lookup("X"); ok {
		t.Error("nil Process found a variable")
	}

	// The command line is expanded with the environment, the kubelet way.
	if diff := cmp.Diff([][]string{{"java", "-Xmx2g", "$(UNSET)", "$(HEAP)"}}, commandsOf(c)); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}

func commandsOf(c *Container) [][]string {
	var out [][]string
	for _, cmd := range c.Process.Commands {
		out = append(out, values(cmd))
	}
	return out
}

func TestBuildProcessShell(t *testing.T) {
	const src = `
apiVersion: v1
kind: Pod
metadata:
  name: job
spec:
  containers:
    - name: sh
      image: eclipse-temurin:17
      command: ["/bin/sh", "-c"]
      args:
        - exec java $JAVA_OPTS -Xss$(STACK) -jar /app.jar
      env:
        - name: JAVA_OPTS
          value: "-Xmx1g -Dname='a b'"
        - name: STACK
          value: 1m
    - name: no-command
      image: eclipse-temurin:17
`
	objects := decodeUnit(t, &Unit{Name: "pod.yaml"}, src)
	resolve(objects)
	w := objects[0].Workload
	want := [][]string{
		{"/bin/sh", "-c", "exec java $JAVA_OPTS -Xss1m -jar /app.jar"},
		{"exec", "java", "-Xmx1g", "-Dname='a", "b'", "-Xss1m", "-jar", "/app.jar"},
	}
	if diff := cmp.Diff(want, commandsOf(w.Containers[0])); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	script := w.Containers[0].Process.Commands[1]
	if got := script[2].At.Path.String(); got != "spec.containers[0].args[0]" || !script[2].Script {
		t.Errorf("script word placed at %s (script %v), want spec.containers[0].args[0]", got, script[2].Script)
	}
	if prog, _ := script.Program(); prog != "java" {
		t.Errorf("script program = %q, want java", prog)
	}
	if got := commandsOf(w.Containers[1]); got != nil {
		t.Errorf("no command: commands = %q, want none", got)
	}
}

// FuzzScript feeds arbitrary shell scripts through the parser the runtime
// rules rely on: it must never panic, and every word it yields is placed at
// the script.
func FuzzScript(f *testing.F) {
	for _, s := range []string{
		"exec java -Xmx1g -jar app.jar",
		"cd /app && ./migrate.sh; java $JAVA_OPTS -jar \"$APP\"",
		"export NODE_OPTIONS=--max-old-space-size=4096; exec node server.js",
		"GOMEMLIMIT=1GiB exec ./server",
		"if true; then\n  exec java -Xmx1g -jar a.jar\nfi",
		"java $(cat opts) `id` ${X:-2g} ~root",
		"java 'unterminated",
	} {
		f.Add(s)
	}
	lookup := func(name string) (string, bool) { return "-Xmx512m", name == "JAVA_OPTS" }
	f.Fuzz(func(t *testing.T, script string) {
		at := Place{Path: Root.Key("args").Index(1)}
		cmds, env := scriptCommands(Word{Value: script, At: at}, lookup)
		for _, c := range cmds {
			for _, w := range c {
				if !w.Script || w.At.Path.String() != "args[1]" {
					t.Fatalf("word %q not placed at the script", w.Value)
				}
			}
		}
		for _, v := range env {
			if v.Name == "" {
				t.Fatalf("empty variable name from %q", script)
			}
		}
	})
}
