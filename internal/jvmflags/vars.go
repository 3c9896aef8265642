package jvmflags

import (
	"cmp"
	"slices"
	"strings"
)

// Syntax is how a variable's value is written.
type Syntax int

// The syntaxes of the variables in Vars.
const (
	Options Syntax = iota + 1 // JVM options, split like shell words: "-Xms1g -Xmx1g"
	Size                      // one JVM size the start script turns into heap flags: "4G", "1024m"
	MiB                       // a bare number of MiB the start script turns into heap flags: "1024"
)

// Phase is when the JVM reads a source. A later phase wins, and within a
// phase a later word wins: for every flag the last occurrence counts.
type Phase int

// The phases, in the order HotSpot reads them (Arguments::parse_vm_init_args).
const (
	ToolOptions Phase = iota + 1 // JAVA_TOOL_OPTIONS: read by the VM before the command line
	Launcher                     // JDK_JAVA_OPTIONS: put in front of the command line by the java launcher (JDK 9+)
	CommandLine                  // the java command line, and what start scripts put on it
	Override                     // _JAVA_OPTIONS: read by the VM after the command line
)

// Var is an environment variable that carries JVM memory settings.
type Var struct {
	Name   string
	App    string // who reads it
	Syntax Syntax
	Phase  Phase
	Sets   []Kind // Size, MiB: the settings the start script derives from the value
	JVMs   int    // how many JVMs of the container get the heap; 0 means one
	// Images limits a variable with a generic name to the images that read
	// it: a substring of the image's repository name. Empty: any JVM.
	Images []string
	// Requires names a variable the start script also needs before it
	// uses this one.
	Requires string
}

var both = []Kind{MaxHeap, InitialHeap}

// Vars are the variables oomlint reads, in the order their values reach
// the JVM: within a phase a later row wins over an earlier one (a start
// script appends CATALINA_OPTS after JAVA_OPTS, cassandra-env.sh appends
// -Xmx$MAX_HEAP_SIZE after JVM_OPTS). The java command line itself comes
// after every CommandLine row. HEAP_NEWSIZE (Cassandra) sizes the young
// generation inside the heap and is not read.
var Vars = []Var{
	{Name: "JAVA_TOOL_OPTIONS", App: "every JVM (read by the VM itself)", Syntax: Options, Phase: ToolOptions},
	{Name: "JDK_JAVA_OPTIONS", App: "the java launcher, JDK 9+", Syntax: Options, Phase: Launcher},
	{Name: "ES_HEAP_SIZE", App: "Elasticsearch before 5.0 (-Xms and -Xmx)", Syntax: Size, Phase: CommandLine, Sets: both, Images: []string{"elasticsearch"}},
	{Name: "ELASTICSEARCH_HEAP_SIZE", App: "Bitnami Elasticsearch (-Xms and -Xmx, before ES_JAVA_OPTS)", Syntax: Size, Phase: CommandLine, Sets: both},
	{Name: "OPENSEARCH_HEAP_SIZE", App: "Bitnami OpenSearch (-Xms and -Xmx, before OPENSEARCH_JAVA_OPTS)", Syntax: Size, Phase: CommandLine, Sets: both},
	{Name: "JAVA_OPTS", App: "Tomcat, Jetty, WildFly, Keycloak, Jenkins and most start scripts", Syntax: Options, Phase: CommandLine},
	{Name: "CATALINA_OPTS", App: "Tomcat (after JAVA_OPTS)", Syntax: Options, Phase: CommandLine},
	{Name: "JVM_OPTS", App: "Cassandra and others", Syntax: Options, Phase: CommandLine},
	{Name: "JVMFLAGS", App: "ZooKeeper (zkEnv.sh)", Syntax: Options, Phase: CommandLine},
	{Name: "HEAP_OPTS", App: "images that keep heap flags apart", Syntax: Options, Phase: CommandLine},
	{Name: "KAFKA_HEAP_OPTS", App: "Kafka (kafka-run-class.sh)", Syntax: Options, Phase: CommandLine},
	{Name: "ES_JAVA_OPTS", App: "Elasticsearch (after config/jvm.options)", Syntax: Options, Phase: CommandLine},
	{Name: "OPENSEARCH_JAVA_OPTS", App: "OpenSearch (after config/jvm.options)", Syntax: Options, Phase: CommandLine},
	{Name: "LS_JAVA_OPTS", App: "Logstash", Syntax: Options, Phase: CommandLine},
	{Name: "SOLR_JAVA_MEM", App: "Solr", Syntax: Options, Phase: CommandLine},
	{Name: "SOLR_HEAP", App: "Solr (-Xms and -Xmx, replaces SOLR_JAVA_MEM)", Syntax: Size, Phase: CommandLine, Sets: both, Images: []string{"solr"}},
	{Name: "ZOO_HEAP_SIZE", App: "Bitnami ZooKeeper (MiB, -Xms and -Xmx)", Syntax: MiB, Phase: CommandLine, Sets: both, Images: []string{"zookeeper"}},
	{Name: "MAX_HEAP_SIZE", App: "Cassandra (cassandra-env.sh, -Xms and -Xmx)", Syntax: Size, Phase: CommandLine, Sets: both, Images: []string{"cassandra"}},
	{Name: "SONARQUBE_MAX_HEAP_SIZE", App: "Bitnami SonarQube (-Xmx of its web, compute engine and search JVMs; with SONARQUBE_MIN_HEAP_SIZE)", Syntax: Size, Phase: CommandLine, Sets: []Kind{MaxHeap}, JVMs: 3, Requires: "SONARQUBE_MIN_HEAP_SIZE"},
	{Name: "_JAVA_OPTIONS", App: "every JVM (read by the VM after the command line)", Syntax: Options, Phase: Override},
}

// Source is one place options come from.
type Source struct {
	Var   *Var     // nil for the java command line
	Value string   // the variable's value
	Args  []string // the words after `java`, when Var is nil
}

func (s Source) phase() Phase {
	if s.Var == nil {
		return CommandLine
	}
	return s.Var.Phase
}

// Flags parses the source.
func (s Source) Flags() []Flag {
	switch {
	case s.Var == nil:
		return ParseCommand(s.Args)
	case s.Var.Syntax == Options:
		return Parse(Split(s.Value))
	}
	value := strings.TrimSpace(s.Value)
	f := Flag{Text: s.Var.Name + "=" + value, JVMs: max(s.Var.JVMs, 1), prefix: s.Var.Name + "=", syntax: s.Var.Syntax}
	if s.Var.Syntax == MiB {
		n, err := ParseSize(value)
		if err == nil && (value == "" || !isDigits(value) || n > 1<<42) {
			err = ErrSyntax
		}
		f.Bytes, f.Err = n<<20, err
	} else {
		f.Bytes, f.Err = ParseSize(value)
		f.upper = value != "" && strings.ContainsAny(value[len(value)-1:], "KMGT")
	}
	out := make([]Flag, len(s.Var.Sets))
	for i, k := range s.Var.Sets {
		out[i] = f
		out[i].Kind = k
	}
	return out
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Setting is the flag that wins for one setting, and the source it came
// from (an index into the sources given to Resolve).
type Setting struct {
	Flag
	Source int
}

// Settings are what the JVM runs with: the winning flag for each setting,
// nil when none is given, and the flags whose values do not parse.
type Settings struct {
	MaxHeap              *Setting
	InitialHeap          *Setting
	MaxRAMPercentage     *Setting
	InitialRAMPercentage *Setting
	MaxRAMFraction       *Setting
	ContainerSupport     *Setting
	CgroupMemoryLimit    *Setting
	Invalid              []Setting
}

// Resolve applies the JVM's precedence to the sources: sources are read in
// phase order (JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS, the command line with
// what start scripts add to it, _JAVA_OPTIONS), and the last occurrence of
// a setting wins. -Xmx and -XX:MaxHeapSize= are one setting. A value that
// does not parse is listed in Invalid and overrides nothing.
func Resolve(sources []Source) Settings {
	order := make([]int, len(sources))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		sa, sb := sources[a], sources[b]
		return cmp.Or(cmp.Compare(sa.phase(), sb.phase()), cmp.Compare(sa.row(), sb.row()))
	})
	var s Settings
	for _, i := range order {
		for _, f := range sources[i].Flags() {
			set := &Setting{Flag: f, Source: i}
			if f.Err != nil {
				s.Invalid = append(s.Invalid, *set)
				continue
			}
			switch f.Kind {
			case MaxHeap:
				s.MaxHeap = set
			case InitialHeap:
				s.InitialHeap = set
			case MaxRAMPercentage:
				s.MaxRAMPercentage = set
			case InitialRAMPercentage:
				s.InitialRAMPercentage = set
			case MaxRAMFraction:
				s.MaxRAMFraction = set
			case ContainerSupport:
				s.ContainerSupport = set
			case CgroupMemoryLimit:
				s.CgroupMemoryLimit = set
			}
		}
	}
	return s
}

// row orders sources within a phase: variables in table order, the
// command line after them.
func (s Source) row() int {
	if s.Var == nil {
		return len(Vars)
	}
	for i := range Vars {
		if Vars[i].Name == s.Var.Name {
			return i
		}
	}
	return len(Vars)
}

// Lookup returns the variable named name, or nil.
func Lookup(name string) *Var {
	for i := range Vars {
		if Vars[i].Name == name {
			return &Vars[i]
		}
	}
	return nil
}

// Applies reports whether a container running image, with the variables
// set reports, reads v.
func (v *Var) Applies(image string, set func(name string) bool) bool {
	if v.Requires != "" && !set(v.Requires) {
		return false
	}
	if len(v.Images) == 0 {
		return true
	}
	repo := ParseImage(image).Repo
	return slices.ContainsFunc(v.Images, func(s string) bool { return strings.Contains(repo, s) })
}
