package lint

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oomlint/oomlint/internal/lazyre"
	"github.com/oomlint/oomlint/internal/quantity"
	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"
)

// Config is everything a run needs, merged from flags and .oomlint.yaml.
type Config struct {
	Paths []string // files or directories; default "."
	// Buffered decodes every file before checking any, so every object
	// keeps its YAML tree to the end of the run (oomlint render reads
	// them). By default files of only workloads and objects nothing else
	// reads are checked as they are decoded and their trees dropped.
	Buffered bool
	WorkDir  string // findings' paths are relative to it
	// Root is the repository: nothing it holds (a symlink, a path in its
	// config) makes oomlint read outside it. "" is the enclosing git work
	// tree of WorkDir, else WorkDir. A path argument outside it is the
	// user's own choice and is its own root.
	Root        string
	Jobs        int      // parallel workers; 0 means GOMAXPROCS
	Namespace   string   // for objects without metadata.namespace; default "default"
	Enable      []string // IDs, names or globs turned on
	Disable     []string // IDs, names or globs turned off
	Severity    map[string]Severity
	Settings    Settings
	Ignore      []string   // globs of paths not to lint
	MaxFileSize int64      // bytes; larger files are a finding
	Renderers   []Renderer // in order: a directory that is a root of several kinds belongs to the first
	// Standalone lints the charts and directories that GitOps controller
	// objects build on their own as well, with their defaults.
	Standalone bool
	// IncludeGenerated reports findings in files that say they are
	// generated and not to be edited (DO NOT EDIT in their first lines).
	IncludeGenerated bool
	Progress         func(Progress) // called after each file or unit, one call at a time; may be nil
	// Extra are findings made before the run (Rego policies that did not
	// compile: OOM902); they are disabled, re-ranked, suppressed by
	// comment, sorted and counted like the run's own.
	Extra []Finding
}

// Settings are the thresholds rules read.
type Settings struct {
	MaxLimitRequestRatio float64  // OOM105
	MinMemory            int64    // OOM109, bytes
	HeapFraction         float64  // OOM202, OOM212: the share of the limit a heap may take
	GoMemLimitFraction   float64  // OOM222: the share of the limit GOMEMLIMIT may take
	NodeMemory           int64    // OOM305: allocatable memory of a node, bytes; 0 turns the rule off
	Nodes                int      // OOM404: nodes a DaemonSet runs on; 0 leaves DaemonSets out of quota sums
	Sidecars             []string // OOM304: extra sidecar container or image names, beside the built-in list
	Cgroup               string   // cluster.cgroup: "v1" or "v2"; "" is v2 (runtime rules OOM20x–OOM24x)
}

// Defaults.
const (
	DefaultNamespace   = "default"
	DefaultMaxFileSize = 10 << 20
)

// Limits of the config's values: beyond them a value is a mistake, or
// would overflow (maxFileSize: 8Ei lints nothing).
const (
	maxMaxFileSize   = 1 << 30 // settings.maxFileSize: 1Gi
	maxMinMemory     = 64 << 30
	maxNodeMemory    = 1 << 50 // settings.nodeMemory: 1Pi
	maxNodes         = 100_000
	maxRatio         = 1000 // settings.maxLimitRequestRatio
	maxPolicyTimeout = 10 * time.Minute
	maxRenderTimeout = 10 * time.Minute
	maxConfigSize    = 1 << 20 // the config file itself
)

// DefaultSettings are the thresholds when nothing is configured.
func DefaultSettings() Settings {
	return Settings{MaxLimitRequestRatio: 4, MinMemory: 16 << 20, HeapFraction: 0.8, GoMemLimitFraction: 0.9}
}

// ConfigFileNames are looked for in the working directory, then the first path.
var ConfigFileNames = []string{".oomlint.yaml", ".oomlint.yml"}

// FileConfig is .oomlint.yaml, decoded strictly: an unknown key is an error.
type FileConfig struct {
	Rules struct {
		Enable   []string          `yaml:"enable"`
		Disable  []string          `yaml:"disable"`
		Severity map[string]string `yaml:"severity"`
	} `yaml:"rules"`
	Settings struct {
		MaxLimitRequestRatio *float64 `yaml:"maxLimitRequestRatio"`
		HeapFraction         *float64 `yaml:"heapFraction"`
		GoMemLimitFraction   *float64 `yaml:"goMemLimitFraction"`
		NodeMemory           string   `yaml:"nodeMemory"`
		Nodes                int      `yaml:"nodes"`
		Sidecars             []string `yaml:"sidecars"`
		MinMemory            string   `yaml:"minMemory"`
		MaxFileSize          string   `yaml:"maxFileSize"`
	} `yaml:"settings"`
	Ignore []string `yaml:"ignore"`
	// Standalone also lints the charts and directories a Flux or Argo CD
	// object builds on their own, with their defaults.
	Standalone bool `yaml:"standalone"`
	// IncludeTests renders helm test hooks (helm.sh/hook: test), which
	// are left out by default as helm template --skip-tests does.
	IncludeTests bool `yaml:"includeTests"`
	// IncludeGenerated reports findings in generated files (DO NOT EDIT).
	IncludeGenerated bool   `yaml:"includeGenerated"`
	Namespace        string `yaml:"namespace"`
	FailOn           string `yaml:"failOn"`
	KubeVersion      string `yaml:"kubeVersion"`
	Charts           struct {
		Values      map[string][]string `yaml:"values"`      // chart directory → values files, relative to this file
		Search      []string            `yaml:"search"`      // directories whose charts satisfy dependencies by name
		ReleaseName string              `yaml:"releaseName"` // .Release.Name
		Cache       string              `yaml:"cache"`       // the chart cache directory (default: the user cache dir)
	} `yaml:"charts"`
	// RepoURLs are the git URLs of this repository, as Argo CD
	// Applications and Flux GitRepositories name it.
	RepoURLs []string `yaml:"repoURLs"`
	// Cluster describes the nodes the manifests run on.
	Cluster struct {
		Cgroup string `yaml:"cgroup"` // v1 or v2 (default): which limits old runtimes can read
	} `yaml:"cluster"`

	// Rego policies (package policy); paths are relative to this file.
	Policies       []string `yaml:"policies"`       // policy directories, as --policy
	PolicyData     []string `yaml:"policyData"`     // data documents, as --data
	PolicyPackages []string `yaml:"policyPackages"` // only these packages; empty: all
	RegoVersion    string   `yaml:"regoVersion"`    // v1 (default) or v0, as --rego-version
	PolicyTimeout  string   `yaml:"policyTimeout"`  // per object and rule set, e.g. 2s
	// RenderTimeout bounds one Helm chart's render, e.g. 10s; a chart over
	// it is one OOM900.
	RenderTimeout string `yaml:"renderTimeout"`

	path  string
	doc   *yaml.Node     // the parsed file, for the positions of entries
	lines map[string]int // where each setting was written, for errors
	// problems are findings about the file itself (not read) or its
	// entries (paths outside the repository, dropped); Apply adds them.
	problems []configProblem
	search   []yamlPos // where each charts.search entry was written
	// where each rules.enable and rules.disable entry was written
	ruleItems map[string][]yamlPos
}

// yamlPos is a line and column in the config file.
type yamlPos struct{ line, col int }

// PosError is an error about a position in a file; it prints as
// path:line: message, which editors can jump to.
type PosError struct {
	File string
	Line int
	Err  error
}

func (e *PosError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *PosError) Unwrap() error { return e.Err }

var unknownField = lazyre.New(`^line (\d+): field (\S+) not found in type .*$`)
var lineError = lazyre.New(`^line (\d+): (.*)$`)

// LoadConfigFile reads and strictly decodes a config file the user chose
// (--config outside the repository): its paths are taken as written. An
// error names the file, the line and the key: "FILE:LINE: key: message".
func LoadConfigFile(path string) (*FileConfig, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	return decodeConfig(path, f)
}

// LoadRepoConfigFile reads a config file that belongs to the repository at
// root, which is untrusted input: a file that is a symlink leading outside
// root, or not a regular file (a FIFO would block the read forever), is
// not read but reported, and every path it names must stay inside root
// (symlinks resolved) or it is dropped and reported (OOM903) at its line.
func LoadRepoConfigFile(path, root string) (*FileConfig, error) {
	root = resolvePath(root)
	if msg, fix := unreadable(path, root); msg != "" {
		return &FileConfig{path: path, lines: map[string]int{},
			problems: []configProblem{{rule: ParseErrorID, line: 1, col: 1, msg: msg + "; the run uses the default settings", fix: fix}}}, nil
	}
	fc, err := LoadConfigFile(path)
	if err != nil {
		return nil, err
	}
	fc.confine(root)
	return fc, nil
}

func decodeConfig(path string, r io.Reader) (*FileConfig, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if len(data) > maxConfigSize {
		return nil, &PosError{File: path, Err: fmt.Errorf("larger than %d bytes; a config file is a few lines", maxConfigSize)}
	}
	fc := &FileConfig{path: path}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil {
		fc.doc = &root
		fc.lines = settingLines(&root)
		fc.search = itemPositions(&root, "charts", "search")
		fc.ruleItems = map[string][]yamlPos{
			"enable":  itemPositions(&root, "rules", "enable"),
			"disable": itemPositions(&root, "rules", "disable"),
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(fc); err != nil && !errors.Is(err, io.EOF) {
		return nil, configError(path, &root, err)
	}
	if err := fc.check(); err != nil {
		return nil, err
	}
	return fc, nil
}

// unmarshalError is yaml.v3's type error: "cannot unmarshal !!str `four` into float64".
var unmarshalError = lazyre.New("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")

func configError(path string, root *yaml.Node, err error) error {
	if te, ok := errors.AsType[*yaml.TypeError](err); ok && len(te.Errors) > 0 {
		msg := te.Errors[0]
		if m := unknownField().FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			e := fmt.Errorf("unknown key %q", m[2])
			if k := keyAt(root, line, m[2]); k != nil && k.parent != "" {
				e = fmt.Errorf("unknown key %q in %s", m[2], k.parent)
			}
			return &PosError{File: path, Line: line, Err: e}
		}
		if m := lineError().FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return &PosError{File: path, Line: line, Err: typeError(root, line, m[2])}
		}
		return &PosError{File: path, Err: errors.New(msg)}
	}
	return &PosError{File: path, Line: errorLine(err), Err: errors.New(strings.TrimSpace(yamlLine().ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "")))}
}

// typeError rewords yaml.v3's "cannot unmarshal !!str `four` into float64"
// at line as "settings.heapFraction: want a number, got \"four\"".
func typeError(root *yaml.Node, line int, msg string) error {
	m := unmarshalError().FindStringSubmatch(msg)
	if m == nil {
		return errors.New(msg)
	}
	got := m[2]
	switch m[1] {
	case "str":
		got = strconv.Quote(got)
	case "seq":
		got = "a list"
	case "map":
		got = "a mapping"
	case "null":
		got = "nothing"
	}
	if got == "" {
		got = "a " + m[1]
	}
	e := fmt.Sprintf("want %s, got %s", goTypeNoun(m[3]), got)
	if k := valueAt(root, line, "!!"+m[1]); k != nil {
		return fmt.Errorf("%s: %s", k.path, e)
	}
	return errors.New(e)
}

// goTypeNoun names the kind of value a field of FileConfig takes.
func goTypeNoun(t string) string {
	t = strings.TrimPrefix(t, "*")
	switch {
	case t == "float64":
		return "a number"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "a whole number"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "a string"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	}
	return "a mapping"
}

// configKey is a key or list item of the config file: its dotted path
// ("settings.heapFraction", "rules.disable[1]") and lines.
type configKey struct {
	path, parent, name string
	keyLine, valLine   int
	depth              int
	tag                string // of the value: !!str, !!seq…
}

// configKeys lists every key and list item of the config file.
func configKeys(root *yaml.Node) []configKey {
	var out []configKey
	var walk func(n *yaml.Node, prefix string, depth int)
	walk = func(n *yaml.Node, prefix string, depth int) {
		n = yamlnode.Deref(n)
		if n == nil || depth > 16 {
			return
		}
		join := func(s string) string {
			if prefix == "" {
				return s
			}
			return prefix + "." + s
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, prefix, depth)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := join(k.Value)
				out = append(out, configKey{path: p, parent: prefix, name: k.Value, keyLine: k.Line, valLine: v.Line, depth: depth, tag: v.ShortTag()})
				walk(v, p, depth+1)
			}
		case yaml.SequenceNode:
			for i, v := range n.Content {
				p := fmt.Sprintf("%s[%d]", prefix, i)
				out = append(out, configKey{path: p, parent: prefix, keyLine: v.Line, valLine: v.Line, depth: depth, tag: v.ShortTag()})
				walk(v, p, depth+1)
			}
		default:
		}
	}
	walk(root, "", 0)
	return out
}

// keyAt is the key called name at line.
func keyAt(root *yaml.Node, line int, name string) *configKey {
	for _, k := range configKeys(root) {
		if k.keyLine == line && k.name == name {
			return &k
		}
	}
	return nil
}

// valueAt is the deepest key or list item whose value of type tag starts at line.
func valueAt(root *yaml.Node, line int, tag string) *configKey {
	var best *configKey
	for _, k := range configKeys(root) {
		if k.valLine == line && k.tag == tag && (best == nil || k.depth > best.depth) {
			best = &k
		}
	}
	return best
}

// settingLines records the line of every key up to three levels deep
// ("settings.minMemory", "rules.severity.OOM104").
func settingLines(root *yaml.Node) map[string]int {
	lines := map[string]int{}
	var walk func(n *yaml.Node, prefix string, depth int)
	walk = func(n *yaml.Node, prefix string, depth int) {
		n = yamlnode.Deref(n)
		if n == nil || n.Kind != yaml.MappingNode || depth == 0 {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := prefix + n.Content[i].Value
			lines[key] = n.Content[i].Line
			walk(n.Content[i+1], key+".", depth-1)
		}
	}
	walk(root, "", 3)
	return lines
}

// itemPositions are the positions of the items of the sequence at keys.
func itemPositions(root *yaml.Node, keys ...string) []yamlPos {
	n := yamlnode.Deref(root)
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		_, n = yamlnode.Lookup(n, k)
		n = yamlnode.Deref(n)
	}
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]yamlPos, len(n.Content))
	for i, item := range n.Content {
		out[i] = yamlPos{item.Line, item.Column}
	}
	return out
}

func (fc *FileConfig) errAt(key string, err error) error {
	return &PosError{File: fc.path, Line: fc.lines[key], Err: err}
}

func (fc *FileConfig) check() error {
	for _, k := range slices.Sorted(maps.Keys(fc.Rules.Severity)) {
		if v := fc.Rules.Severity[k]; !validSeverity(v) {
			return fc.errAt("rules.severity."+k, fmt.Errorf("rules.severity.%s: unknown severity %q, want one of error, warning, info", k, v))
		}
	}
	if err := fc.checkSettings(); err != nil {
		return err
	}
	switch fc.RegoVersion {
	case "", "v0", "v1":
	default:
		return fc.errAt("regoVersion", fmt.Errorf("regoVersion: unknown value %q, want one of v0, v1", fc.RegoVersion))
	}
	if fc.PolicyTimeout != "" {
		d, err := time.ParseDuration(fc.PolicyTimeout)
		if err != nil || d <= 0 {
			return fc.errAt("policyTimeout", fmt.Errorf("policyTimeout %q is not a positive duration (e.g. 2s)", fc.PolicyTimeout))
		}
		if d > maxPolicyTimeout {
			return fc.errAt("policyTimeout", fmt.Errorf("policyTimeout %s is out of range: at most %s per object", fc.PolicyTimeout, maxPolicyTimeout))
		}
	}
	if fc.RenderTimeout != "" {
		d, err := time.ParseDuration(fc.RenderTimeout)
		if err != nil || d <= 0 {
			return fc.errAt("renderTimeout", fmt.Errorf("renderTimeout %q is not a positive duration (e.g. 10s)", fc.RenderTimeout))
		}
		if d > maxRenderTimeout {
			return fc.errAt("renderTimeout", fmt.Errorf("renderTimeout %s is out of range: at most %s per unit", fc.RenderTimeout, maxRenderTimeout))
		}
	}
	switch fc.Cluster.Cgroup {
	case "", "v1", "v2":
	default:
		return fc.errAt("cluster.cgroup", fmt.Errorf("cluster.cgroup: unknown value %q, want one of v1, v2", fc.Cluster.Cgroup))
	}
	if fc.FailOn != "" && fc.FailOn != "none" {
		if _, err := ParseSeverity(fc.FailOn); err != nil {
			return fc.errAt("failOn", fmt.Errorf("failOn: unknown value %q, want one of error, warning, info, none", fc.FailOn))
		}
	}
	return nil
}

// checkSettings checks every setting against its range: a quantity goes
// through the guarded parser (a huge exponent would take minutes) and must
// fit its limit, a number must be finite (YAML has .nan and .inf).
func (fc *FileConfig) checkSettings() error {
	st := fc.Settings
	for _, q := range []struct {
		key, raw, example string
		min, max          int64
	}{
		{"minMemory", st.MinMemory, "16Mi", 1, maxMinMemory},
		{"nodeMemory", st.NodeMemory, "15Gi", 0, maxNodeMemory},
		{"maxFileSize", st.MaxFileSize, "10Mi", 1, maxMaxFileSize},
	} {
		if q.raw == "" {
			continue
		}
		info := quantity.Classify(q.raw)
		switch {
		case errors.Is(info.Err, quantity.ErrOutOfRange):
			return fc.errAt("settings."+q.key, fmt.Errorf("settings.%s %q is out of range: at most %s", q.key, q.raw, quantity.FormatBytes(q.max)))
		case info.Err != nil:
			return fc.errAt("settings."+q.key, fmt.Errorf("settings.%s %q is not a quantity (e.g. %s)", q.key, q.raw, q.example))
		case info.Bytes() < q.min || info.Bytes() > q.max:
			return fc.errAt("settings."+q.key, fmt.Errorf("settings.%s %s is out of range: at least %s and at most %s",
				q.key, q.raw, quantity.FormatBytes(q.min), quantity.FormatBytes(q.max)))
		}
	}
	if st.Nodes < 0 || st.Nodes > maxNodes {
		return fc.errAt("settings.nodes", fmt.Errorf("settings.nodes %d is out of range: at least 0 and at most %d", st.Nodes, maxNodes))
	}
	for key, f := range map[string]*float64{"heapFraction": st.HeapFraction, "goMemLimitFraction": st.GoMemLimitFraction} {
		if f != nil && (math.IsNaN(*f) || *f <= 0 || *f > 1) {
			return fc.errAt("settings."+key, fmt.Errorf("settings.%s %v must be above 0 and at most 1", key, *f))
		}
	}
	if r := st.MaxLimitRequestRatio; r != nil && (math.IsNaN(*r) || *r < 1 || *r > maxRatio) {
		return fc.errAt("settings.maxLimitRequestRatio", fmt.Errorf("settings.maxLimitRequestRatio %v must be at least 1 and at most %d", *r, maxRatio))
	}
	return nil
}

// CheckRules reports the first rules.enable, rules.disable or
// rules.severity entry that names no rule of catalogue (an ID, a name or a
// glob), at its line, as the run would stop on it without one.
func (fc *FileConfig) CheckRules(catalogue []*Rule) error {
	known := func(p string) bool {
		return slices.ContainsFunc(catalogue, func(r *Rule) bool { return ruleMatches(p, r) })
	}
	for _, key := range []string{"enable", "disable"} {
		list := fc.Rules.Enable
		if key == "disable" {
			list = fc.Rules.Disable
		}
		for i, p := range list {
			if known(p) {
				continue
			}
			line := fc.lines["rules."+key]
			if items := fc.ruleItems[key]; i < len(items) {
				line = items[i].line
			}
			return &PosError{File: fc.path, Line: line,
				Err: fmt.Errorf("rules.%s: unknown rule %q (see `oomlint rules`)", key, p)}
		}
	}
	keys := slices.Sorted(maps.Keys(fc.Rules.Severity))
	for _, p := range keys {
		if !known(p) {
			return fc.errAt("rules.severity."+p, fmt.Errorf("rules.severity: unknown rule %q (see `oomlint rules`)", p))
		}
	}
	return nil
}

func validSeverity(s string) bool {
	_, err := ParseSeverity(s)
	return err == nil
}

// Apply merges the file's settings into cfg; flags applied afterwards win.
func (fc *FileConfig) Apply(cfg *Config) {
	cfg.Enable = append(cfg.Enable, fc.Rules.Enable...)
	cfg.Disable = append(cfg.Disable, fc.Rules.Disable...)
	for k, v := range fc.Rules.Severity {
		s, _ := ParseSeverity(v)
		if cfg.Severity == nil {
			cfg.Severity = map[string]Severity{}
		}
		cfg.Severity[k] = s
	}
	if r := fc.Settings.MaxLimitRequestRatio; r != nil {
		cfg.Settings.MaxLimitRequestRatio = *r
	}
	if fc.Settings.NodeMemory != "" {
		cfg.Settings.NodeMemory = quantity.Classify(fc.Settings.NodeMemory).Bytes()
	}
	if fc.Settings.Nodes > 0 {
		cfg.Settings.Nodes = fc.Settings.Nodes
	}
	cfg.Settings.Sidecars = append(cfg.Settings.Sidecars, fc.Settings.Sidecars...)
	if f := fc.Settings.HeapFraction; f != nil {
		cfg.Settings.HeapFraction = *f
	}
	if f := fc.Settings.GoMemLimitFraction; f != nil {
		cfg.Settings.GoMemLimitFraction = *f
	}
	if fc.Settings.MinMemory != "" {
		cfg.Settings.MinMemory = quantity.Classify(fc.Settings.MinMemory).Bytes()
	}
	if fc.Settings.MaxFileSize != "" {
		cfg.MaxFileSize = quantity.Classify(fc.Settings.MaxFileSize).Bytes()
	}
	base := filepath.Dir(fc.path)
	for _, g := range fc.Ignore {
		// Globs in the file are relative to the file's directory.
		if !strings.HasPrefix(g, "/") && !strings.HasPrefix(g, "**") && strings.Contains(g, "/") {
			if rel, err := filepath.Rel(cfg.WorkDir, filepath.Join(base, g)); err == nil {
				g = filepath.ToSlash(rel)
			}
		}
		cfg.Ignore = append(cfg.Ignore, g)
	}
	if fc.Namespace != "" {
		cfg.Namespace = fc.Namespace
	}
	if fc.Standalone {
		cfg.Standalone = true
	}
	if fc.IncludeGenerated {
		cfg.IncludeGenerated = true
	}
	if fc.Cluster.Cgroup != "" {
		cfg.Settings.Cgroup = fc.Cluster.Cgroup
	}
	cfg.Extra = append(cfg.Extra, fc.Problems(cfg.WorkDir)...)
	cfg.Extra = append(cfg.Extra, fc.searchProblems(cfg.WorkDir)...)
}

// searchProblems are the charts.search entries that cannot be what they
// say, a folder of charts: a path that does not exist or is a file, or
// one that is itself a chart. Each is an OOM903 finding at its entry, as
// such an entry would otherwise find nothing without a word.
func (fc *FileConfig) searchProblems(workDir string) []Finding {
	file := DisplayPath(workDir, fc.Abs(filepath.Base(fc.path)))
	var out []Finding
	for i, entry := range fc.Charts.Search {
		msg, fix := searchEntryProblem(entry, fc.Abs(entry))
		if msg == "" {
			continue
		}
		pos := yamlPos{fc.lines["charts.search"], 1}
		if i < len(fc.search) {
			pos = fc.search[i]
		}
		out = append(out, Finding{Rule: SuppressionInvalidID, File: file, Line: max(pos.line, 1), Column: max(pos.col, 1),
			Message: msg, Fix: fix})
	}
	return out
}

// searchEntryProblem is what is wrong with one charts.search entry, "" for nothing.
func searchEntryProblem(entry, abs string) (msg, fix string) {
	st, err := os.Stat(abs)
	switch {
	case err != nil:
		return fmt.Sprintf("charts.search entry %q does not exist, so no dependency is found there", entry),
			"correct the path (relative to the config file) or remove the entry"
	case !st.IsDir():
		return fmt.Sprintf("charts.search entry %q is a file, not a folder of charts", entry),
			"list the folder that holds the charts"
	}
	if _, err := os.Stat(filepath.Join(abs, "Chart.yaml")); err == nil {
		parent := filepath.ToSlash(filepath.Dir(filepath.Clean(filepath.FromSlash(entry))))
		return fmt.Sprintf("charts.search entry %q is a chart, not a folder of charts; charts.search lists the folders whose charts satisfy dependencies by name", entry),
			fmt.Sprintf("list the folder that holds it (%s) instead", parent)
	}
	return "", ""
}

// configProblem is a finding about the config file or one of its entries,
// made before the run knows how its path is displayed.
type configProblem struct {
	rule      string
	line, col int
	msg, fix  string
}

// Problems are the findings about the config file itself (it was not read)
// and its entries (paths outside the repository, dropped), as warnings: a
// policy or values file that silently did not load would change the run.
func (fc *FileConfig) Problems(workDir string) []Finding {
	file := DisplayPath(workDir, fc.Abs(filepath.Base(fc.path)))
	out := make([]Finding, 0, len(fc.problems))
	problems := slices.Clone(fc.problems)
	slices.SortStableFunc(problems, func(a, b configProblem) int { return cmp.Or(cmp.Compare(a.line, b.line), cmp.Compare(a.col, b.col)) })
	for _, p := range problems {
		out = append(out, Finding{Rule: p.rule, Severity: Warning, File: file, Line: max(p.line, 1), Column: max(p.col, 1),
			Message: p.msg, Fix: p.fix})
	}
	return out
}

// confine drops every path entry that leads outside root (symlinks
// resolved), with a problem at its line: a repository's config must not
// make oomlint read the rest of the machine. Paths given on the command
// line are the user's own and are not checked.
func (fc *FileConfig) confine(root string) {
	var kept []yamlPos
	fc.Charts.Search = fc.confineList(root, fc.Charts.Search, "charts.search", "", func(i int, ok bool) {
		if ok && i < len(fc.search) {
			kept = append(kept, fc.search[i])
		}
	}, "charts", "search")
	if fc.search != nil {
		fc.search = kept
	}
	fc.Policies = fc.confineList(root, fc.Policies, "policies", "--policy", nil, "policies")
	fc.PolicyData = fc.confineList(root, fc.PolicyData, "policyData", "--data", nil, "policyData")
	for _, chart := range slices.Sorted(maps.Keys(fc.Charts.Values)) {
		fc.Charts.Values[chart] = fc.confineList(root, fc.Charts.Values[chart], "charts.values."+chart, "--values", nil, "charts", "values", chart)
	}
	if c := fc.Charts.Cache; c != "" && !insideDir(root, resolvePath(fc.Abs(c))) {
		n := fc.node("charts", "cache")
		fc.problems = append(fc.problems, fc.outsideProblem(n, "charts.cache", c, "--chart-cache"))
		fc.Charts.Cache = ""
	}
}

// confineList keeps the entries of list (at keys in the file) inside
// root; kept, when set, hears of each entry's fate in order.
func (fc *FileConfig) confineList(root string, list []string, key, flag string, kept func(i int, ok bool), keys ...string) []string {
	var items []*yaml.Node
	if n := fc.node(keys...); n != nil && n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	out := list[:0:0]
	for i, p := range list {
		ok := insideDir(root, resolvePath(fc.Abs(p)))
		if kept != nil {
			kept(i, ok)
		}
		if ok {
			out = append(out, p)
			continue
		}
		var at *yaml.Node
		if i < len(items) {
			at = items[i]
		}
		fc.problems = append(fc.problems, fc.outsideProblem(at, key, p, flag))
	}
	if list == nil {
		return nil
	}
	return out
}

func (fc *FileConfig) outsideProblem(at *yaml.Node, key, entry, flag string) configProblem {
	p := configProblem{rule: SuppressionInvalidID, line: 1, col: 1,
		msg: fmt.Sprintf("%s entry %q leads outside the repository (symlinks resolved); a repository's %s may only name paths inside it, so it is not read",
			key, entry, filepath.Base(fc.path)),
		fix: "move it into the repository"}
	if flag != "" {
		p.fix += fmt.Sprintf(", or give it on the command line (%s) if you trust it", flag)
	}
	if at != nil {
		p.line, p.col = at.Line, at.Column
	} else if l := fc.lines[key]; l > 0 {
		p.line = l
	}
	return p
}

// node is the value at keys in the config file, nil when there is none.
func (fc *FileConfig) node(keys ...string) *yaml.Node {
	n := yamlnode.Deref(fc.doc)
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		_, n = yamlnode.Lookup(n, k)
		n = yamlnode.Deref(n)
	}
	return n
}

// Abs resolves a path written in the config file against the file's directory.
func (fc *FileConfig) Abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	dir, err := filepath.Abs(filepath.Dir(fc.path))
	if err != nil {
		dir = filepath.Dir(fc.path)
	}
	return filepath.Join(dir, filepath.FromSlash(p))
}

// Path is where the config was read from.
func (fc *FileConfig) Path() string { return fc.path }

// FindConfigFile returns the config file in dir, or "".
func FindConfigFile(dir string) string {
	for _, name := range ConfigFileNames {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}
