package lint

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

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
		if got, ok := expandVars(tt.in, lookup, maxExpanded); got != tt.want || !ok {
			t.Errorf("expandVars(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

// scriptCommands expands a script with a budget no test here reaches.
func scriptCommands(script Word, lookup func(string) (string, bool)) ([]Command, []EnvVar) {
	e := &expansion{left: 1 << 40, work: maxPatternWork}
	return e.script(script, lookup, 0)
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

func TestExpandVarsLimit(t *testing.T) {
	big := strings.Repeat("x", 600)
	lookup := func(name string) (string, bool) { return big, name == "BIG" }
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"$(BIG)", true},
		{"$(BIG)$(BIG)", false},
		{"-Xmx1g $(BIG) $(BIG)", false},
		{"$(BIG) and $(NOPE)", true},
		{strings.Repeat("y", 1001), true}, // as written: nothing copied
		{strings.Repeat("y", 1001) + "$(NOPE)", false},
	} {
		got, ok := expandVars(tt.in, lookup, 1000)
		if ok != tt.want || (len(got) > 1000 && got != tt.in) || (!ok && got != "") {
			t.Errorf("expandVars(%.20q…) = %d bytes, %v; want ok %v within 1000 bytes", tt.in, len(got), ok, tt.want)
		}
	}
}

// resolveOne decodes a one-container Pod (plus any other documents) and
// returns its container, resolved.
func resolveOne(t *testing.T, src string) *Container {
	t.Helper()
	objects := decodeUnit(t, &Unit{Name: "pod.yaml"}, src)
	resolve(objects)
	for _, o := range objects {
		if o.Workload != nil {
			return o.Workload.Containers[0]
		}
	}
	t.Fatal("no workload")
	return nil
}

// processBytes is what a process holds: its values and words.
func processBytes(p *Process) int {
	n := 0
	for _, v := range p.Env {
		n += len(v.Value)
	}
	for _, c := range p.Commands {
		for _, w := range c {
			n += len(w.Value)
		}
	}
	return n
}

const bombPod = `apiVersion: v1
kind: Pod
metadata: {name: bomb}
spec:
  containers:
    - name: app
      image: eclipse-temurin:17
`

// TestExpansionBombs builds each expansion bomb at test time: every one
// ends fast, within the limits, with the cut reported and no rule able to
// read cut text.
func TestExpansionBombs(t *testing.T) {
	var doubling strings.Builder
	doubling.WriteString("      args: [\"$(V40)\"]\n      env:\n        - {name: V0, value: x}\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&doubling, "        - {name: V%d, value: \"$(V%d)$(V%d)\"}\n", i, i-1, i-1)
	}
	doubling.WriteString("        - {name: JAVA_TOOL_OPTIONS, value: \"-Xmx2g $(V40)\"}\n")
	script := func(s string) string {
		return fmt.Sprintf("      command: [sh, -c, %q]\n", s)
	}
	big := strings.Repeat("a", maxExpanded+1)
	for _, tt := range []struct {
		name, src string
		cut       string // a cut's What
		env       string // a variable that must be unknown
	}{
		{"kubelet doubling", doubling.String(), "variable V", "JAVA_TOOL_OPTIONS"},
		{"shell doubling", script("X=x; " + strings.Repeat("X=$X$X; ", 40) + "java -Xmx2g $X"), "variable X", ""},
		{"shell replace", script("X=" + strings.Repeat("a", 64) + "; " + strings.Repeat("X=${X//a/$X}; ", 8) + "java $X"), "variable X", ""},
		{"shell words", script("X='" + strings.Repeat("ab ", 2000) + "'; " + strings.Repeat("echo $X$X$X$X; ", 200)), "a command of the script", ""},
		{"brace expansion", script("X=" + strings.Repeat("a", 4000) + "; echo {1..9999}$X"), "a command of the script", ""},
		{"pattern work", script("X=" + strings.Repeat("a", 200000) + "; " + strings.Repeat("Y=${X%%*b*b*b*b*b*b*b*b*b*b*b*b*}; ", 50)), "variable Y", ""},
		{"indirect", script("X=" + strings.Repeat("a", 500000) + "; Y=X; Z=${!Y}${!Y}${!Y}; java $Z"), "variable Z", ""},
		{"configmap value", "      envFrom: [{configMapRef: {name: big}}]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  BIG: " + big + "\n", "variable BIG", "BIG"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			c := resolveOne(t, bombPod+tt.src)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			p := c.Process
			if n := processBytes(p); n > 2*maxExpanded+len(tt.src)*(expansionFactor+2) {
				t.Errorf("the process holds %d bytes", n)
			}
			if !slices.ContainsFunc(p.Cuts, func(c Cut) bool { return strings.HasPrefix(c.What, tt.cut) }) {
				t.Errorf("cuts %+v, want one of %q", p.Cuts, tt.cut)
			}
			if v, ok := p.Lookup(tt.env); tt.env != "" && (!ok || v.Known) {
				t.Errorf("%s = %+v, %v; want it unknown", tt.env, v, ok)
			}
			for _, f := range cutFindings(nil, c) {
				if f.Line < 1 || !strings.Contains(f.Message, "oomlint leaves it unread") {
					t.Errorf("cut finding %+v", f)
				}
			}
		})
	}
}

// TestExpansionBudgetPerContainer: containers that each concatenate one
// large value cost what they write, not a megabyte each.
func TestExpansionBudgetPerContainer(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  BIG: " + strings.Repeat("b", 300<<10) + "\n---\n")
	b.WriteString("apiVersion: v1\nkind: Pod\nmetadata: {name: many}\nspec:\n  containers:\n")
	const n = 200
	for i := range n {
		fmt.Fprintf(&b, "    - {name: c%d, image: x, envFrom: [{configMapRef: {name: big}}], env: [{name: A, value: \"$(BIG)$(BIG)\"}, {name: B, value: \"$(BIG)\"}]}\n", i)
	}
	objects := decodeUnit(t, &Unit{Name: "many.yaml"}, b.String())
	resolve(objects)
	copied := 0
	for _, c := range objects[1].Workload.Containers {
		a, _ := c.Process.Lookup("A")
		if a.Known {
			t.Fatalf("%s: A expanded to %d bytes past the container's budget", c.Name, len(a.Value))
		}
		if v, _ := c.Process.Lookup("B"); !v.Known || len(v.Value) != 300<<10 {
			t.Errorf("%s: B (one reference, shared) = %d bytes, known %v", c.Name, len(v.Value), v.Known)
		}
		copied += len(a.Value)
	}
	if copied != 0 {
		t.Errorf("containers copied %d bytes", copied)
	}
}
