package lint

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/shell"

	"github.com/oomlint/oomlint/internal/jvmflags"
	"github.com/oomlint/oomlint/internal/quantity"
	"github.com/oomlint/oomlint/internal/runtimeflags"
)

// Heap settings per runtime, read once from a container's process model.
// The runtime rules and the Rego policy facts both read these, so a policy
// and a rule can never disagree about what a container's heap is.

// JVM is what a container's JVM is given: the winning settings, where each
// source was written, and the JDK version that decides which variables the
// JVM reads.
type JVM struct {
	Settings jvmflags.Settings
	Sources  []JVMSource // parallel to the sources given to jvmflags.Resolve
	Version  jvmflags.Version
	env      []EnvVar
	script   map[string]string // the text of each script a command was split from, by its place
}

// JVMSource is one source of JVM flags: a variable, or the java command line.
type JVMSource struct {
	Env   *EnvVar // set for a variable
	Words Command // the words after java, for the command line
}

// JVM reads a container's JVM settings, or returns nil when the container
// does not run a JVM: its command does not run java, no JVM variable is
// set, and its image is not a known JDK or JVM application.
func (c *Container) JVM() *JVM {
	if c.Process == nil {
		return nil
	}
	if !c.jvmRead { // several rules and the policy facts ask; read once
		c.jvm, c.jvmRead = c.readJVM(), true
	}
	return c.jvm
}

func (c *Container) readJVM() *JVM {
	proc := c.Process
	var java Command
	explicit := false
	j := &JVM{env: proc.Env, script: map[string]string{}}
	for i, cmd := range proc.Commands {
		if prog, args := cmd.Program(); prog == "java" {
			java, explicit = args, true
		}
		for _, w := range cmd {
			if i == 0 {
				j.script[placeKey(w.At)] = w.Value
			}
		}
	}
	j.Version, _ = jvmflags.JDK(c.Image)
	set := func(name string) bool {
		v, ok := proc.Lookup(name)
		return ok && v.Known
	}
	var sources []jvmflags.Source
	for i := range jvmflags.Vars {
		v := &jvmflags.Vars[i]
		switch {
		case explicit && v.Phase == jvmflags.CommandLine:
			continue // only what the command line references reaches java
		case v.Name == "JDK_JAVA_OPTIONS" && j.Version.Major > 0 && j.Version.Major < 9:
			continue // JDK 8 does not read it
		case !set(v.Name) || !v.Applies(c.Image, set):
			continue
		}
		env, _ := proc.Lookup(v.Name)
		sources = append(sources, jvmflags.Source{Var: v, Value: env.Value})
		j.Sources = append(j.Sources, JVMSource{Env: &env})
	}
	if !explicit && len(sources) == 0 && !jvmflags.IsJVMImage(c.Image) {
		return nil
	}
	if explicit {
		args := make([]string, len(java))
		for i, w := range java {
			args[i] = w.Value
		}
		sources = append(sources, jvmflags.Source{Args: args})
		j.Sources = append(j.Sources, JVMSource{Words: java})
	}
	j.Settings = jvmflags.Resolve(sources)
	return j
}

func placeKey(at Place) string { return fmt.Sprintf("%p\x00%s", at.Object, at.Path) }

// Place is where the flag of s was written: the variable's value (maybe a
// ConfigMap key), the args element, or the script. A flag a script got by
// expanding a variable ($JAVA_OPTS) points at the variable.
func (j *JVM) Place(s *jvmflags.Setting) Place {
	src := j.Sources[s.Source]
	if src.Env != nil {
		return src.Env.At
	}
	w := src.Words[s.Word]
	if !w.Script || strings.Contains(j.script[placeKey(w.At)], s.Text) {
		return w.At
	}
	for _, e := range slices.Backward(j.env) {
		if e.Known && slices.Contains(jvmflags.Split(e.Value), s.Text) {
			return e.At
		}
	}
	return w.At
}

// NodeHeap is a --max-old-space-size a Node.js process is given.
type NodeHeap struct {
	Heap   runtimeflags.NodeHeap
	At     Place
	Source string // "NODE_OPTIONS", or "" for a command line
}

// nodePrograms start Node.js.
var nodePrograms = map[string]bool{"node": true, "nodejs": true, "npm": true, "npx": true, "yarn": true, "pnpm": true}

// shellPrograms are the programs whose -c script the process model splits
// into commands of its own.
var shellPrograms = map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true, "zsh": true, "ksh": true}

// NodeHeap returns the --max-old-space-size of each command line and of
// NODE_OPTIONS. A node command line reads flags only before its script;
// npm, npx, yarn and pnpm do not pass their own flags to node; other
// commands (a wrapper such as nodemon or ts-node) are read whole.
// NODE_OPTIONS counts only when no command line sets the flag, since the
// command line overrides it.
func (p *Process) NodeHeap() []NodeHeap {
	if p == nil {
		return nil
	}
	var out []NodeHeap
	for _, cmd := range p.Commands {
		prog, rest := cmd.Program()
		if prog == "" {
			continue
		}
		if shellPrograms[prog] {
			continue // sh -c "node …": the script's own commands are read on their own
		}
		if nodePrograms[prog] && prog != "node" && prog != "nodejs" {
			continue // npm start --max-old-space-size=… is npm's config, not node's flag: only NODE_OPTIONS reaches node
		}
		if prog == "node" || prog == "nodejs" {
			rest = rest[:runtimeflags.NodeOptionsEnd(wordValues(rest))]
		}
		if h, ok := runtimeflags.FindNodeHeap(wordValues(rest)); ok {
			out = append(out, NodeHeap{Heap: h, At: rest[h.Index].At})
		}
	}
	if len(out) > 0 {
		return out
	}
	v, ok := p.Lookup("NODE_OPTIONS")
	if !ok || !v.Known {
		return nil
	}
	words, err := shell.Fields(v.Value, func(string) string { return "" })
	if err != nil {
		return nil
	}
	if h, ok := runtimeflags.FindNodeHeap(words); ok {
		out = append(out, NodeHeap{Heap: h, At: v.At, Source: "NODE_OPTIONS"})
	}
	return out
}

// IsNodeProgram reports whether a command's program starts Node.js.
func IsNodeProgram(prog string) bool { return nodePrograms[prog] }

func wordValues(ws []Word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Value
	}
	return out
}

// GoMemLimit is a GOMEMLIMIT a Go process sees and where it was written.
type GoMemLimit struct {
	Raw     string // a literal value
	Field   string // or a resourceFieldRef: "limits.memory"
	Divisor string
	At      Place
}

// Bytes is the value Go reads. A resourceFieldRef is what the kubelet
// writes: the container's value divided by the divisor, rounded up.
func (s GoMemLimit) Bytes(c *Container) (int64, bool) {
	if s.Field == "" {
		v, off, err := runtimeflags.ParseGoMemLimit(s.Raw)
		return v, err == nil && !off
	}
	var e Effective
	switch s.Field {
	case "limits.memory":
		e = c.Limit
	case "requests.memory":
		e = c.Request
	default:
		return 0, false
	}
	if !e.Usable() {
		return 0, false
	}
	div := int64(1)
	if s.Divisor != "" {
		d := quantity.Classify(s.Divisor)
		if d.Err != nil || d.Bytes() <= 0 {
			return 0, false
		}
		div = d.Bytes()
	}
	return int64(math.Ceil(float64(e.Bytes()) / float64(div))), true
}

// GoMemLimit returns the GOMEMLIMIT of each command line that sets it
// inline (GOMEMLIMIT=… ./server, env GOMEMLIMIT=… ./server), or else the
// container's environment variable; a value from a ConfigMap that is not
// in the repo is left alone.
func (c *Container) GoMemLimit() []GoMemLimit {
	if c.Process == nil {
		return nil
	}
	var out []GoMemLimit
	for _, cmd := range c.Process.Commands {
		_, rest := cmd.Program()
		for _, w := range cmd[:len(cmd)-len(rest)] {
			if v, ok := strings.CutPrefix(w.Value, "GOMEMLIMIT="); ok {
				out = append(out, GoMemLimit{Raw: v, At: w.At})
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	v, ok := c.Process.Lookup("GOMEMLIMIT")
	switch {
	case !ok:
		return nil
	case v.ResourceField != "":
		return []GoMemLimit{{Field: v.ResourceField, Divisor: v.Divisor, At: v.At}}
	case v.Known:
		return []GoMemLimit{{Raw: v.Value, At: v.At}}
	}
	return nil
}

// DotnetSetting looks a .NET GC setting up under DOTNET_ first, then
// COMPlus_, as the runtime does, and returns the variable and its full
// name. Callers leave a value they cannot see (Known false) alone.
func (p *Process) DotnetSetting(name string) (EnvVar, string, bool) {
	if p == nil {
		return EnvVar{}, "", false
	}
	for _, prefix := range []string{"DOTNET_", "COMPlus_"} {
		if v, ok := p.Lookup(prefix + name); ok {
			return v, prefix + name, true
		}
	}
	return EnvVar{}, "", false
}
