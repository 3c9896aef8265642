package lint

import (
	"errors"
	"fmt"
	"math"
	"path"
	"slices"
	"strconv"
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
	// Cuts are the values and script words left unread because their
	// expansion passed a limit (see maxExpanded); each is an OOM901
	// warning. A cut variable is not Known, a cut command word stays as
	// written, and a cut script command is left out, so no rule reads a
	// flag out of text that was cut short.
	Cuts []Cut

	configMaps map[configMapKey]*Object // the pod's unit and namespace's, for ConfigMap
	at         *Object
}

// ConfigMap is the ConfigMap name in the container's namespace and unit,
// as the engine resolved it (nil when there is none): what a volume of the
// pod mounts.
func (p *Process) ConfigMap(name string) *Object {
	if p == nil || p.at == nil {
		return nil
	}
	return p.configMaps[configMapKey{p.at.Unit, p.at.Namespace, name}]
}

// Cut is a value or script whose expansion passed a limit.
type Cut struct {
	At   Place
	What string // "JAVA_OPTS", "args[1]", "the script"
	Why  string // which limit
	N    int    // values or words left unread there
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
	Known bool   // a literal, or a key of a ConfigMap found in the same unit and namespace; not a value cut (Process.Cuts)
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
	p := &Process{configMaps: cms, at: o}
	ex := newExpansion(c)
	p.Env = readEnv(o, c, cms, ex)
	last := make(map[string]int, len(p.Env))
	for i, v := range p.Env {
		last[v.Name] = i
	}
	lookup := func(name string) (string, bool) {
		if i, ok := last[name]; ok && p.Env[i].Known {
			return p.Env[i].Value, true
		}
		return "", false
	}
	var line Command
	for _, key := range []string{"command", "args"} {
		seq := yamlnode.Get(c.Node, key)
		if seq == nil || seq.Kind != yaml.SequenceNode {
			continue
		}
		for i, n := range seq.Content {
			n = yamlnode.Deref(n)
			if n == nil || n.Kind != yaml.ScalarNode {
				continue
			}
			at := Place{o, c.Path.Key(key).Index(i)}
			v, ok := ex.vars(n.Value, lookup)
			if !ok {
				v = n.Value // as written: the kubelet's text for an unknown variable
				ex.cut(at, key+"["+strconv.Itoa(i)+"]", ex.why)
			}
			line = append(line, Word{Value: v, At: at})
		}
	}
	defer func() { p.Cuts = ex.cuts }()
	if len(line) == 0 {
		return p
	}
	p.Commands = append(p.Commands, line)
	if script, ok := shellScript(line); ok {
		envBytes := 0
		for _, v := range p.Env {
			envBytes += len(v.Name) + len(v.Value) + 1
		}
		cmds, env := ex.script(script, lookup, envBytes)
		p.Commands = append(p.Commands, cmds...)
		p.Env = append(p.Env, env...)
	}
	return p
}

func readEnv(o *Object, c *Container, cms map[configMapKey]*Object, ex *expansion) []EnvVar {
	var env []EnvVar
	last := map[string]int{} // a variable's last entry: lookups stay linear in the entries
	lookup := func(name string) (string, bool) {
		if i, ok := last[name]; ok {
			return env[i].Value, env[i].Known
		}
		return "", false
	}
	push := func(v EnvVar) {
		if v.Known && len(v.Value) > maxExpanded {
			v.Value, v.Known = "", false
			ex.cut(v.At, "variable "+v.Name, "is longer than 1 MiB")
		}
		last[v.Name] = len(env)
		env = append(env, v)
	}
	if seq := yamlnode.Get(c.Node, "envFrom"); seq != nil && seq.Kind == yaml.SequenceNode {
		for _, n := range seq.Content {
			cm := cms[configMapKey{o.Unit, o.Namespace, yamlnode.Str(n, "configMapRef", "name")}]
			if cm == nil || cm.Data == nil {
				continue // not in the repo: say nothing rather than guess
			}
			prefix := yamlnode.Str(n, "prefix")
			for _, e := range cm.Data {
				push(EnvVar{Name: prefix + e.Key, Value: e.Value, Known: true, At: Place{cm, Root.Keys("data", e.Key)}})
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
			if v.Value, v.Known = ex.vars(yamlnode.Str(n, "value"), lookup); !v.Known {
				ex.cut(v.At, "variable "+v.Name, ex.why)
			}
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
		push(v)
	}
	return env
}

// Limits on expansion. The repository is untrusted: $(VAR) references
// that double a value at each step (B=$(A)$(A), C=$(B)$(B), …) or a script
// doing X=$X$X reach gigabytes from a few lines. Past a limit a value is
// cut, never truncated: it is unknown to the rules, and Process.Cuts
// names it.
const (
	// maxExpanded caps one value or word after expansion, and a value read
	// from a ConfigMap.
	maxExpanded = 1 << 20
	// A container's expansions together may produce expansionFloor bytes
	// plus expansionFactor times what its command, args and env values
	// hold as written: thousands of containers that each concatenate one
	// large ConfigMap value then cost about what they write. Text passed
	// through whole ($(VAR) alone, "$X") shares memory and costs nothing.
	expansionFloor  = 16 << 10
	expansionFactor = 16
	// maxPatternWork caps the matching work of a script's pattern
	// operators (${X//pat/rep}, ${X#pat}): value length times pattern
	// length, summed over the script.
	maxPatternWork = 1 << 24
)

// expansion is one container's budget for expanding variables, and the
// values it cut.
type expansion struct {
	left int    // bytes expansion may still produce
	why  string // the limit the last refused expansion passed
	work int    // pattern matching work left for scripts
	cuts []Cut
}

func newExpansion(c *Container) *expansion {
	written := 0
	for _, key := range []string{"command", "args"} {
		for _, n := range yamlnode.Seq(c.Node, key) {
			written += len(yamlnode.Scalar(n))
		}
	}
	for _, n := range yamlnode.Seq(c.Node, "env") {
		written += len(yamlnode.Str(n, "value"))
	}
	return &expansion{left: expansionFloor + expansionFactor*written, work: maxPatternWork}
}

// Why a value was cut, as the OOM901 warning says it.
const (
	whyValue     = "expands past 1 MiB"
	whyContainer = "takes the container's expansions past their limit"
	whyPattern   = "uses pattern operators on values too long to match in time"
	whyUnbounded = "uses an expansion oomlint does not evaluate"
)

// limit is what a value written in n bytes may expand to: expansion may
// grow it by what the budget has left, and no value passes maxExpanded.
func (e *expansion) limit(n int) (int, string) {
	if grown := n + max(e.left, 0); grown < maxExpanded {
		return grown, whyContainer
	}
	return maxExpanded, whyValue
}

// cut records a value left unread; cuts in a row at one place (a
// script's commands) add up.
func (e *expansion) cut(at Place, what, why string) {
	if n := len(e.cuts); n > 0 {
		if c := &e.cuts[n-1]; c.At == at && c.What == what && c.Why == why {
			c.N++
			return
		}
	}
	e.cuts = append(e.cuts, Cut{At: at, What: what, Why: why, N: 1})
}

// vars applies the kubelet's $(VAR) expansion within the budget; ok is
// false when the value would pass it (e.why says which limit).
func (e *expansion) vars(s string, lookup func(string) (string, bool)) (string, bool) {
	limit, why := e.limit(len(s))
	if isOneRef(s) {
		limit, why = maxExpanded, whyValue // shared, not copied: only the value cap
	}
	out, ok := expandVars(s, lookup, limit)
	if !ok {
		e.why = why
		return "", false
	}
	if !isOneRef(s) {
		e.left -= max(len(out)-len(s), 0)
	}
	return out, true
}

// isOneRef reports whether s is a single $(VAR): its expansion is the
// variable's own string, not a copy.
func isOneRef(s string) bool {
	return strings.HasPrefix(s, "$(") && strings.IndexByte(s, ')') == len(s)-1
}

// expandVars applies the kubelet's $(VAR) expansion: a defined variable is
// replaced, an undefined one is left as written, and $$ escapes a $. It
// stops with ok false when a result it builds would pass limit bytes.
func expandVars(s string, lookup func(string) (string, bool), limit int) (string, bool) {
	if !strings.Contains(s, "$") {
		return s, true // as written: nothing copied
	}
	if isOneRef(s) {
		if v, ok := lookup(s[2 : len(s)-1]); ok {
			return v, len(v) <= limit
		}
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '$')
		if j < 0 {
			j = len(s) - i
		}
		v := s[i : i+j] // text up to the next $
		switch i += j; {
		case i >= len(s):
		case i+1 == len(s) || (s[i+1] != '$' && s[i+1] != '('):
			v += "$"
			i++
		case s[i+1] == '$':
			v += "$"
			i += 2
		default: // $(
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				v += s[i:]
				i = len(s)
				break
			}
			ref, ok := lookup(s[i+2 : i+2+end])
			if !ok {
				ref = s[i : i+3+end] // undefined: left as written
			}
			if b.Len()+len(v)+len(ref) > limit {
				return "", false
			}
			b.WriteString(v)
			v = ref
			i += 3 + end
		}
		if b.Len()+len(v) > limit {
			return "", false
		}
		b.WriteString(v)
	}
	return b.String(), true
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

// errNoExec refuses what would run a program: oomlint never does.
var errNoExec = errors.New("not run")

// wordCost is what one field of a script command costs beside its text.
const wordCost = 40

// script parses a shell script with a real shell parser and returns each
// simple command, its words expanded against the container's environment
// (unknown variables expand to nothing, as in a shell where they are
// unset), and the variables the script sets: `export X=…`, `X=… cmd` and
// plain `X=…` assignments, which later commands see. A script that does
// not parse yields nothing.
//
// A word is expanded only when shellEnv.bound can tell it stays within
// the limits; otherwise its command is left out, or the variable it
// assigns is unknown, and the cut is recorded.
func (e *expansion) script(script Word, lookup func(string) (string, bool), envBytes int) (cmds []Command, env []EnvVar) {
	defer func() {
		if r := recover(); r != nil { // the expander panics on a few constructs
			cmds, env = nil, nil
			e.cut(script.At, "the script", whyUnbounded)
		}
	}()
	f, err := syntax.NewParser().Parse(strings.NewReader(script.Value), "")
	if err != nil {
		return nil, nil
	}
	sh := &shellEnv{lookup: lookup, set: map[string]string{}, total: envBytes}
	cfg := &expand.Config{
		Env:       expand.FuncEnviron(sh.get),
		ProcSubst: func(*syntax.ProcSubst) (string, error) { return "", errNoExec },
	}
	assign := func(as []*syntax.Assign) {
		for _, a := range as {
			if a.Name == nil || a.Naked || a.Array != nil || a.Index != nil {
				continue
			}
			name := a.Name.Value
			v, ok := "", true
			if a.Value != nil {
				v, ok = e.literal(cfg, sh, a.Value)
			}
			if !ok {
				sh.assign(name, "") // unknown: later commands read it as unset
				e.cut(script.At, "variable "+name, e.why)
				env = append(env, EnvVar{Name: name, At: script.At})
				continue
			}
			sh.assign(name, v)
			env = append(env, EnvVar{Name: name, Value: v, Known: true, At: script.At})
		}
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.DeclClause:
			assign(n.Args)
		case *syntax.CallExpr:
			assign(n.Assigns)
			cmd, ok := e.fields(cfg, sh, n.Args, script.At)
			if !ok {
				e.cut(script.At, "a command of the script", e.why)
			}
			if len(cmd) > 0 {
				cmds = append(cmds, cmd)
			}
		}
		return true
	})
	return cmds, env
}

// literal expands an assigned value; ok is false when it was cut. An
// expansion the shell would fail (a command substitution) reads as empty.
func (e *expansion) literal(cfg *expand.Config, sh *shellEnv, w *syntax.Word) (string, bool) {
	if !e.allow(sh, w) {
		return "", false
	}
	v, err := expand.Literal(cfg, w)
	if err != nil {
		return "", true
	}
	if !sharesText(w) {
		e.left -= len(v)
	}
	return v, true
}

// fields expands a command's words; ok is false when one was cut. A
// command whose expansion fails (a command substitution) is left out.
func (e *expansion) fields(cfg *expand.Config, sh *shellEnv, args []*syntax.Word, at Place) (Command, bool) {
	for _, w := range args {
		if !e.allow(sh, w) {
			return nil, false
		}
	}
	var cmd Command
	for _, w := range args {
		free := sharesText(w) && !hasBraces(w)
		// Lazily: brace expansion may make thousands of fields, and the
		// budget stops it at the first that does not fit.
		for f, err := range expand.FieldsSeq(cfg, w) {
			if err != nil {
				return nil, true
			}
			cost := wordCost
			if !free {
				cost += len(f)
			}
			if cost > e.left {
				e.why = whyContainer
				return nil, false
			}
			e.left -= cost
			cmd = append(cmd, Word{Value: f, At: at, Script: true})
		}
	}
	return cmd, true
}

// allow reports whether w can be expanded within the limits, charging its
// pattern matching work; when not, e.why says which limit it passes.
func (e *expansion) allow(sh *shellEnv, w *syntax.Word) bool {
	limit, why := e.limit(0)
	n, work, ok := sh.bound(w.Parts)
	switch {
	case !ok:
		e.why = whyUnbounded
	case work > e.work:
		e.why = whyPattern
	case n > limit:
		e.why = why
	default:
		e.work -= work
		return true
	}
	return false
}

// sharesText reports whether w expands to text that already exists: the
// script's own literals, or one variable's value whole.
func sharesText(w *syntax.Word) bool {
	parts := w.Parts
	if len(parts) == 1 {
		if dq, ok := parts[0].(*syntax.DblQuoted); ok {
			parts = dq.Parts
		}
	}
	if len(parts) == 1 {
		if pe, ok := parts[0].(*syntax.ParamExp); ok {
			return plainParam(pe)
		}
	}
	for _, p := range parts {
		switch p.(type) {
		case *syntax.Lit, *syntax.SglQuoted:
		default:
			return false
		}
	}
	return true
}

func plainParam(pe *syntax.ParamExp) bool {
	return !pe.Excl && !pe.Length && !pe.Width && !pe.IsSet && pe.Index == nil && pe.Slice == nil && pe.Repl == nil && pe.Exp == nil
}

// hasBraces reports whether w holds a brace expansion ({a,b}, {1..9}).
func hasBraces(w *syntax.Word) bool {
	cp := *w
	return syntax.SplitBraces(&cp)
}

// shellEnv is what a script's expansions read: the variables it set, then
// the container's environment.
type shellEnv struct {
	lookup func(string) (string, bool)
	set    map[string]string
	total  int // bytes of every variable, names included: bounds ${!X}
}

// assign sets a script variable.
func (sh *shellEnv) assign(name, v string) {
	sh.set[name] = v
	sh.total = satAdd(sh.total, len(name)+len(v)+1)
}

func (sh *shellEnv) get(name string) string {
	if v, ok := sh.set[name]; ok {
		return v
	}
	v, _ := sh.lookup(name)
	return v
}

// bound is an upper bound on the bytes parts expand to (one field, before
// brace expansion repeats it), from the lengths of the variables they read,
// and the pattern matching work they need; ok is false for constructs it
// does not bound, which are then not expanded.
func (sh *shellEnv) bound(parts []syntax.WordPart) (n, work int, ok bool) {
	for _, p := range parts {
		pn, pw, pok := 0, 0, true
		switch p := p.(type) {
		case *syntax.Lit:
			pn = len(p.Value)
			if strings.HasPrefix(p.Value, "~") {
				pn += len(sh.get("HOME"))
			}
		case *syntax.SglQuoted:
			pn = len(p.Value)
		case *syntax.DblQuoted:
			pn, pw, pok = sh.bound(p.Parts)
		case *syntax.ParamExp:
			pn, pw, pok = sh.param(p)
		case *syntax.ArithmExp:
			pn, pw, pok = sh.arith(p.X)
		case *syntax.ExtGlob:
			pn = len(p.Pattern.Value) + 3
		case *syntax.CmdSubst, *syntax.ProcSubst:
			// never run: the expansion fails
		default:
			pok = false
		}
		if !pok {
			return 0, 0, false
		}
		n, work = satAdd(n, pn), satAdd(work, pw)
	}
	return n, work, true
}

// param bounds one parameter expansion, as mvdan.cc/sh/v3/expand
// evaluates it.
func (sh *shellEnv) param(pe *syntax.ParamExp) (n, work int, ok bool) {
	if pe.Param == nil {
		return 0, 0, true // the expansion fails
	}
	if pe.Index != nil {
		if _, work, ok = sh.arith(pe.Index); !ok {
			return 0, 0, false
		}
	}
	v := len(sh.get(pe.Param.Value))
	switch {
	case pe.Length:
		return 20, work, true
	case pe.Excl: // ${!X}, ${!prefix*}: another variable, or names
		return sh.all(), work, true
	case pe.Width, pe.IsSet:
		return 0, 0, true // the expansion fails
	case pe.Slice != nil:
		for _, x := range []syntax.ArithmExpr{pe.Slice.Offset, pe.Slice.Length} {
			if x == nil {
				continue
			}
			_, w, ok := sh.arith(x)
			if !ok {
				return 0, 0, false
			}
			work = satAdd(work, w)
		}
		return v, work, true
	case pe.Repl != nil:
		orig, ow, ok1 := sh.word(pe.Repl.Orig)
		with, ww, ok2 := sh.word(pe.Repl.With)
		if !ok1 || !ok2 {
			return 0, 0, false
		}
		work = satAdd(work, satAdd(satAdd(ow, ww), satMul(v+1, orig+1)))
		n = satAdd(v, with)
		if pe.Repl.All { // every match, at most one per byte, replaced
			n = satAdd(satMul(v+1, with+1), v)
		}
		return n, work, true
	case pe.Exp != nil:
		return sh.operator(pe, v, work)
	}
	return v, work, true
}

// operator bounds ${X<op>word}.
func (sh *shellEnv) operator(pe *syntax.ParamExp, v, work int) (n, _ int, ok bool) {
	arg, aw, ok := sh.word(pe.Exp.Word)
	if !ok {
		return 0, 0, false
	}
	work = satAdd(work, aw)
	switch pe.Exp.Op {
	case syntax.RemSmallPrefix, syntax.RemLargePrefix, syntax.RemSmallSuffix, syntax.RemLargeSuffix:
		return v, satAdd(work, satMul(v+1, arg+1)), true
	case syntax.UpperFirst, syntax.UpperAll, syntax.LowerFirst, syntax.LowerAll:
		return satMul(v, 2), satAdd(work, satMul(v+1, arg+1)), true
	case syntax.OtherParamOps:
		switch pe.Exp.Word.Lit() {
		case "Q", "A": // quoted: at most four bytes per byte
			return satAdd(satMul(v, 4), 64+len(pe.Param.Value)), work, true
		case "E", "a", "P", "U", "u", "L", "K", "k":
			return satAdd(satMul(v, 2), 64), work, true
		}
		return 0, 0, false // the expander panics on the others
	default: // defaults, alternates, errors, assignments: the value or the word
		return satAdd(v, arg), work, true
	}
}

func (sh *shellEnv) word(w *syntax.Word) (n, work int, ok bool) {
	if w == nil {
		return 0, 0, true
	}
	return sh.bound(w.Parts)
}

// arith bounds an arithmetic expression: its result is a number, and the
// words inside it are expanded as they are elsewhere.
func (sh *shellEnv) arith(x syntax.ArithmExpr) (n, work int, ok bool) {
	ok = true
	syntax.Walk(x, func(node syntax.Node) bool {
		w, isWord := node.(*syntax.Word)
		if !ok || !isWord {
			return ok
		}
		wn, ww, wok := sh.bound(w.Parts)
		ok = wok && wn <= maxExpanded
		work = satAdd(work, ww)
		return false
	})
	return 20, work, ok
}

// all bounds indirect expansion: the bytes of every variable there is.
func (sh *shellEnv) all() int { return sh.total }

func satAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

func satMul(a, b int) int {
	if a != 0 && b > math.MaxInt/a {
		return math.MaxInt
	}
	return a * b
}

// cutFindings is the OOM901 warning for what expansion left unread in a
// container (see Process.Cuts): one, at the first cut, naming the others.
func cutFindings(o *Object, c *Container) []Finding {
	if c.Process == nil || len(c.Process.Cuts) == 0 {
		return nil
	}
	cuts := c.Process.Cuts
	first := cuts[0]
	in := first.At.Object
	if in == nil || in.Origin == nil {
		in = o
	}
	loc := in.Origin.Locate(first.At.Path)
	what := first.What
	if first.N > 1 {
		what += " (" + strconv.Itoa(first.N) + " times)"
	}
	msg := fmt.Sprintf("%s %s; oomlint leaves it unread, so no rule checks it", what, first.Why)
	if len(cuts) > 1 {
		var more []string
		for _, cut := range cuts[1:min(len(cuts), 6)] {
			more = append(more, cut.What)
		}
		if len(cuts) > 6 {
			more = append(more, "…")
		}
		msg += fmt.Sprintf(" (%d more cut in this container: %s)", len(cuts)-1, strings.Join(more, ", "))
	}
	return []Finding{{
		File: loc.File, Line: loc.Line, Column: loc.Column, Container: c.Name, Path: first.At.Path.String(), Related: loc.Related,
		Message: msg, Fix: "shorten the value, or the references that build it",
	}}
}
