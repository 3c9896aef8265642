package lint

import (
	"path"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// Process is what a container runs, read the way the kubelet and a shell
// would: its command lines and its environment, each piece with the place
// it was written, so runtime rules can point at the flag a person edits.
type Process struct {
	// Commands are the container's command line (command + args, after
	// $(VAR) expansion) and, when that line is a shell running a script
	// (sh -c "…"), every simple command of the script, expanded with the
	// container's environment.
	Commands []Command
	// Env is the container's environment in the order the kubelet builds
	// it (envFrom, then env; a later entry wins). Use Lookup.
	Env []EnvVar
}

// Command is one command line.
type Command []Word

// Word is one argument and where it was written.
type Word struct {
	Value  string
	At     Place
	Script bool // split out of a shell script string; At is the script's position
}

// Place is a position inside an object: a field of the workload, or of a
// ConfigMap the container reads.
type Place struct {
	Object *Object
	Path   Path
}

// EnvVar is one environment variable.
type EnvVar struct {
	Name  string
	Value string // after $(VAR) expansion; "" when not Known
	Known bool   // a literal, or a key of a ConfigMap found in the same unit and namespace
	At    Place
	// ResourceField is set for valueFrom.resourceFieldRef (e.g.
	// "limits.memory"), with its divisor as written ("" means 1).
	ResourceField string
	Divisor       string
}

// Lookup returns the variable the process sees under name: the last one set.
func (p *Process) Lookup(name string) (EnvVar, bool) {
	if p == nil {
		return EnvVar{}, false
	}
	for _, v := range slices.Backward(p.Env) {
		if v.Name == name {
			return v, true
		}
	}
	return EnvVar{}, false
}

// Program is the command's executable name without its directory, after
// wrappers that only start it (exec, env, tini, dumb-init): "java" for
// `exec /usr/bin/java -Xmx1g`, and the arguments that follow it.
func (c Command) Program() (string, Command) {
	i := 0
	for i < len(c) {
		w := path.Base(c[i].Value)
		switch {
		case w == "exec" || w == "tini" || w == "dumb-init" || w == "--" || w == "nice" || w == "nohup":
			i++
		case w == "env" || (strings.Contains(c[i].Value, "=") && !strings.HasPrefix(c[i].Value, "-")):
			i++
		case strings.HasPrefix(c[i].Value, "-") && i > 0:
			i++ // a wrapper's own flag (tini -g, env -i)
		default:
			return w, c[i+1:]
		}
	}
	return "", nil
}

// configMaps indexes the ConfigMaps of a run by unit, namespace and name:
// a container reads the ones its own unit deploys beside it.
type configMapKey struct {
	unit      *Unit
	namespace string
	name      string
}

func indexConfigMaps(objects []*Object) map[configMapKey]*Object {
	out := map[configMapKey]*Object{}
	for _, o := range objects {
		if o.Kind == "ConfigMap" {
			out[configMapKey{o.Unit, o.Namespace, o.Name}] = o
		}
	}
	return out
}

// buildProcess reads a container's environment and command lines.
func buildProcess(o *Object, c *Container, cms map[configMapKey]*Object) *Process {
	p := &Process{}
	p.Env = readEnv(o, c, cms)
	lookup := func(name string) (string, bool) {
		v, ok := p.Lookup(name)
		return v.Value, ok && v.Known
	}
	var line Command
	for _, key := range []string{"command", "args"} {
		seq := yamlnode.Get(c.Node, key)
		if seq == nil || seq.Kind != yaml.SequenceNode {
			continue
		}
		for i, n := range seq.Content {
			n = yamlnode.Deref(n)
			if n.Kind != yaml.ScalarNode {
				continue
			}
			line = append(line, Word{Value: expandVars(n.Value, lookup), At: Place{o, c.Path.Key(key).Index(i)}})
		}
	}
	if len(line) == 0 {
		return p
	}
	p.Commands = append(p.Commands, line)
	if script, ok := shellScript(line); ok {
		cmds, env := scriptCommands(script, lookup)
		p.Commands = append(p.Commands, cmds...)
		p.Env = append(p.Env, env...)
	}
	return p
}

func readEnv(o *Object, c *Container, cms map[configMapKey]*Object) []EnvVar {
	var env []EnvVar
	lookup := func(name string) (string, bool) {
		for _, v := range slices.Backward(env) {
			if v.Name == name {
				return v.Value, v.Known
			}
		}
		return "", false
	}
	if seq := yamlnode.Get(c.Node, "envFrom"); seq != nil && seq.Kind == yaml.SequenceNode {
		for _, n := range seq.Content {
			cm := cms[configMapKey{o.Unit, o.Namespace, yamlnode.Str(n, "configMapRef", "name")}]
			if cm == nil || cm.Data == nil {
				continue // not in the repo: say nothing rather than guess
			}
			prefix := yamlnode.Str(n, "prefix")
			for _, e := range cm.Data {
				env = append(env, EnvVar{Name: prefix + e.Key, Value: e.Value, Known: true, At: Place{cm, Root.Keys("data", e.Key)}})
			}
		}
	}
	seq := yamlnode.Get(c.Node, "env")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return env
	}
	for i, n := range seq.Content {
		n = yamlnode.Deref(n)
		at := c.Path.Key("env").Index(i)
		v := EnvVar{Name: yamlnode.Str(n, "name"), At: Place{o, at.Key("value")}}
		switch {
		case yamlnode.Get(n, "value") != nil:
			v.Value, v.Known = expandVars(yamlnode.Str(n, "value"), lookup), true
		case yamlnode.Get(n, "valueFrom", "configMapKeyRef") != nil:
			ref := yamlnode.Get(n, "valueFrom", "configMapKeyRef")
			cm := cms[configMapKey{o.Unit, o.Namespace, yamlnode.Str(ref, "name")}]
			key := yamlnode.Str(ref, "key")
			if val, ok := cm.DataValue(key); ok {
				v.Value, v.Known, v.At = val, true, Place{cm, Root.Keys("data", key)}
			} else {
				v.At = Place{o, at.Key("valueFrom")}
			}
		case yamlnode.Get(n, "valueFrom", "resourceFieldRef") != nil:
			ref := yamlnode.Get(n, "valueFrom", "resourceFieldRef")
			v.ResourceField, v.Divisor = yamlnode.Str(ref, "resource"), yamlnode.Str(ref, "divisor")
			v.At = Place{o, at.Key("valueFrom")}
		default:
			v.At = Place{o, at}
		}
		env = append(env, v)
	}
	return env
}

// expandVars applies the kubelet's $(VAR) expansion: a defined variable is
// replaced, an undefined one is left as written, and $$ escapes a $.
func expandVars(s string, lookup func(string) (string, bool)) string {
	if !strings.Contains(s, "$") {
		return s
	}
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
			name := s[i+2 : i+2+end]
			if v, ok := lookup(name); ok {
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

var shells = map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true, "zsh": true, "ksh": true}

// shellScript returns the script word of `sh -c SCRIPT` (also -lc, -ec, …).
func shellScript(line Command) (Word, bool) {
	prog, rest := line.Program()
	if !shells[prog] {
		return Word{}, false
	}
	for i, w := range rest {
		if !strings.HasPrefix(w.Value, "-") {
			return Word{}, false
		}
		if !strings.HasPrefix(w.Value, "--") && strings.Contains(w.Value, "c") && i+1 < len(rest) {
			return rest[i+1], true
		}
	}
	return Word{}, false
}

// scriptCommands parses a shell script with a real shell parser and returns
// each simple command, its words expanded against the container's
// environment (unknown variables expand to nothing, as in a shell where
// they are unset), and the variables the script sets: `export X=…`,
// `X=… cmd` and plain `X=…` assignments, which later commands see. A
// script that does not parse yields nothing.
func scriptCommands(script Word, lookup func(string) (string, bool)) ([]Command, []EnvVar) {
	f, err := syntax.NewParser().Parse(strings.NewReader(script.Value), "")
	if err != nil {
		return nil, nil
	}
	set := map[string]string{}
	cfg := &expand.Config{Env: expand.FuncEnviron(func(name string) string {
		if v, ok := set[name]; ok {
			return v
		}
		v, _ := lookup(name)
		return v
	})}
	var cmds []Command
	var env []EnvVar
	assign := func(as []*syntax.Assign) {
		for _, a := range as {
			if a.Name == nil || a.Naked || a.Array != nil || a.Index != nil {
				continue
			}
			v := ""
			if a.Value != nil {
				if lit, err := expand.Literal(cfg, a.Value); err == nil {
					v = lit
				}
			}
			set[a.Name.Value] = v
			env = append(env, EnvVar{Name: a.Name.Value, Value: v, Known: true, At: script.At})
		}
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.DeclClause:
			assign(n.Args)
		case *syntax.CallExpr:
			assign(n.Assigns)
			fields, err := expand.Fields(cfg, n.Args...)
			if err != nil || len(fields) == 0 {
				return true
			}
			cmd := make(Command, len(fields))
			for i, v := range fields {
				cmd[i] = Word{Value: v, At: script.At, Script: true}
			}
			cmds = append(cmds, cmd)
		}
		return true
	})
	return cmds, env
}
