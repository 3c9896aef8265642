package lint

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// refExpandVars is the kubelet's $(VAR) expansion without limits, as
// oomlint had it before: what expandVars must give whenever it fits.
func refExpandVars(s string, lookup func(string) (string, bool)) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			if v, ok := lookup(s[i+2 : i+2+end]); ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// fuzzContainer builds a container from fuzz input: env holds NAME=VALUE
// lines, script is run with sh -c, args are more words.
func fuzzContainer(env, script, args string) (*Object, *Container) {
	str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for line := range strings.Lines(env) {
		name, value, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{str("name"), str(name), str("value"), str(value)}})
	}
	command := &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{str("sh"), str("-c"), str(script)}}
	argv := &yaml.Node{Kind: yaml.SequenceNode}
	for a := range strings.FieldsSeq(args) {
		argv.Content = append(argv.Content, str(a))
	}
	node := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		str("name"), str("app"), str("env"), seq, str("command"), command, str("args"), argv,
	}}
	o := &Object{Kind: "Pod", Name: "fuzz", Node: node}
	o.Origin = nodeOrigin{file: "fuzz.yaml", root: node}
	return o, &Container{Name: "app", Node: node, Path: Root}
}

// FuzzExpansion feeds environments, scripts and arguments through the
// kubelet and shell expansion: it never panics, ends quickly, keeps every
// value within maxExpanded, reports each cut, and where nothing was cut
// expands $(VAR) exactly as the kubelet does.
func FuzzExpansion(f *testing.F) {
	var doubling strings.Builder
	doubling.WriteString("V0=x\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&doubling, "V%d=$(V%d)$(V%d)\n", i, i-1, i-1)
	}
	for _, seed := range []struct{ env, script, args string }{
		{"JAVA_OPTS=-Xmx1g\nOPTS=$(JAVA_OPTS) -Xss1m", "exec java $JAVA_OPTS -jar app.jar", "$(OPTS) $$(OPTS)"},
		{doubling.String(), "java $V40", "$(V40)"},
		{"", "X=x; " + strings.Repeat("X=$X$X; ", 40) + "java $X", ""},
		{"", "X=aaaaaaaa; " + strings.Repeat("X=${X//a/$X}; ", 10) + "java $X", ""},
		{"X=" + strings.Repeat("ab ", 300), "echo {1..9999}$X; Y=${X#*b*b*b*}; Z=${!Y}; echo ${X@Q} ${#X} ${X:1:2} $((1+2))", ""},
		{"HOME=/root", "cat <(echo) $(id) ~ `x`; export A=${B:-${C:-d}}", ""},
		{"", "java 'unterminated", ""},
	} {
		f.Add(seed.env, seed.script, seed.args)
	}
	f.Fuzz(func(t *testing.T, env, script, args string) {
		o, c := fuzzContainer(env, script, args)
		start := time.Now()
		p := buildProcess(o, c, nil)
		c.Process = p
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("expansion took %v", d)
		}
		for _, v := range p.Env {
			if v.Known && len(v.Value) > maxExpanded {
				t.Fatalf("%s is %d bytes", v.Name, len(v.Value))
			}
		}
		for _, cmd := range p.Commands {
			for _, w := range cmd {
				if len(w.Value) > maxExpanded && !strings.Contains(args, w.Value) {
					t.Fatalf("word of %d bytes", len(w.Value))
				}
			}
		}
		if len(p.Cuts) > 0 && len(cutFindings(o, c)) != 1 {
			t.Fatalf("cuts %+v give no finding", p.Cuts)
		}
		if len(p.Cuts) > 0 {
			return
		}
		// Nothing cut: each env value is the kubelet's expansion of what
		// was written, against the entries before it.
		known := map[string]EnvVar{}
		lookup := func(name string) (string, bool) {
			v, ok := known[name]
			return v.Value, ok && v.Known
		}
		for i, n := range c.Node.Content[3].Content {
			v := p.Env[i]
			if want := refExpandVars(n.Content[3].Value, lookup); v.Known && v.Value != want {
				t.Fatalf("%s = %q, want %q", v.Name, v.Value, want)
			}
			known[v.Name] = v
		}
	})
}
