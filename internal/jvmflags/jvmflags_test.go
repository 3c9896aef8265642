package jvmflags

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var sizeTests = []struct {
	in      string
	want    int64
	wantErr error
}{
	{"1g", 1 << 30, nil},
	{"1G", 1 << 30, nil},
	{"768m", 768 << 20, nil},
	{"768M", 768 << 20, nil},
	{"512k", 512 << 10, nil},
	{"512K", 512 << 10, nil},
	{"2t", 2 << 40, nil},
	{"2T", 2 << 40, nil},
	{"1073741824", 1 << 30, nil},
	{"0", 0, nil},
	{"0x40000000", 1 << 30, nil},
	{"", 0, ErrEmpty},
	{"1.5g", 0, ErrSyntax},
	{"1gb", 0, ErrSyntax},
	{"512MB", 0, ErrSyntax},
	{"1Gi", 0, ErrSyntax},
	{"g", 0, ErrSyntax},
	{"-1g", 0, ErrSyntax},
	{"+1g", 0, ErrSyntax},
	{" 1g", 0, ErrSyntax},
	{"1_000", 0, ErrSyntax},
	{"0x", 0, ErrSyntax},
	{"8388608t", 0, ErrRange},
	{"99999999999999999999", 0, ErrRange},
}

func TestParseSize(t *testing.T) {
	for _, tt := range sizeTests {
		got, err := ParseSize(tt.in)
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzSize(f *testing.F) {
	for _, tt := range sizeTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d, negative", s, n)
		}
		// FormatSize rounds down to MiB; whole MiB values round-trip.
		if n%(1<<20) == 0 && n > 0 {
			back, err := ParseSize(FormatSize(n))
			if err != nil || back != n {
				t.Fatalf("ParseSize(FormatSize(%d)) = %d, %v", n, back, err)
			}
		}
	})
}

func TestFormatSize(t *testing.T) {
	for in, want := range map[int64]string{1 << 30: "1g", 3 << 30: "3g", 768 << 20: "768m", 1536 << 20: "1536m", 1<<20 + 5: "1m", 2048: "2k", 100: "100"} {
		if got := FormatSize(in); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", in, got, want)
		}
	}
}

// flag is a Flag without its unexported rendering fields, for comparing.
type flag struct {
	Kind    Kind
	Text    string
	Bytes   int64
	Percent float64
	Divisor int64
	On      bool
	Err     bool
	Word    int
}

func flags(fs []Flag) []flag {
	var out []flag
	for _, f := range fs {
		out = append(out, flag{f.Kind, f.Text, f.Bytes, f.Percent, f.Divisor, f.On, f.Err != nil, f.Word})
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want []flag
	}{
		{"-Xmx1g -Xms512m", []flag{{Kind: MaxHeap, Text: "-Xmx1g", Bytes: 1 << 30}, {Kind: InitialHeap, Text: "-Xms512m", Bytes: 512 << 20, Word: 1}}},
		{"-XX:MaxHeapSize=2G -XX:InitialHeapSize=1073741824", []flag{{Kind: MaxHeap, Text: "-XX:MaxHeapSize=2G", Bytes: 2 << 30}, {Kind: InitialHeap, Text: "-XX:InitialHeapSize=1073741824", Bytes: 1 << 30, Word: 1}}},
		{"-XX:MaxRAMPercentage=75.0 -XX:InitialRAMPercentage=50", []flag{{Kind: MaxRAMPercentage, Text: "-XX:MaxRAMPercentage=75.0", Percent: 75}, {Kind: InitialRAMPercentage, Text: "-XX:InitialRAMPercentage=50", Percent: 50, Word: 1}}},
		{"-XX:MaxRAMFraction=2", []flag{{Kind: MaxRAMFraction, Text: "-XX:MaxRAMFraction=2", Divisor: 2}}},
		{"-XX:-UseContainerSupport -XX:+UseContainerSupport", []flag{{Kind: ContainerSupport, Text: "-XX:-UseContainerSupport"}, {Kind: ContainerSupport, Text: "-XX:+UseContainerSupport", On: true, Word: 1}}},
		{"-XX:+UnlockExperimentalVMOptions -XX:+UseCGroupMemoryLimitForHeap", []flag{{Kind: CgroupMemoryLimit, Text: "-XX:+UseCGroupMemoryLimitForHeap", On: true, Word: 1}}},
		{`-Dgreeting="hello world" -Xmx1g`, []flag{{Kind: MaxHeap, Text: "-Xmx1g", Bytes: 1 << 30, Word: 1}}},
		{"-Xmx1.5g -XX:MaxRAMPercentage=120 -XX:MaxRAMFraction=0 -Xmx", []flag{
			{Kind: MaxHeap, Text: "-Xmx1.5g", Err: true},
			{Kind: MaxRAMPercentage, Text: "-XX:MaxRAMPercentage=120", Err: true, Word: 1},
			{Kind: MaxRAMFraction, Text: "-XX:MaxRAMFraction=0", Err: true, Word: 2},
			{Kind: MaxHeap, Text: "-Xmx", Err: true, Word: 3},
		}},
		{"-Xmn256m -Xss1m -XX:MaxMetaspaceSize=256m -server", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, flags(Parse(Split(tt.in)))); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		args []string
		want []string // texts of the flags read
	}{
		{[]string{"-Xmx1g", "-jar", "app.jar", "-Xmx4g"}, []string{"-Xmx1g"}},
		{[]string{"-cp", "-Xmx4g", "-Xms1g", "com.example.Main", "-Xmx2g"}, []string{"-Xms1g"}},
		{[]string{"@argfile", "-Xmx1g", "-m", "app/com.example.Main", "-Xmx2g"}, []string{"-Xmx1g"}},
		{[]string{"--module-path", "mods", "--module=app/Main", "-Xmx2g"}, nil},
		{[]string{"Main.java", "-Xmx2g"}, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, f := range ParseCommand(tt.args) {
			got = append(got, f.Text)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseCommand(%q) (-want +got):\n%s", tt.args, diff)
		}
	}
}

func TestWith(t *testing.T) {
	tests := []struct {
		src  Source
		want string
	}{
		{Source{Args: []string{"-Xmx1g"}}, "-Xmx768m"},
		{Source{Args: []string{"-XX:MaxHeapSize=1G"}}, "-XX:MaxHeapSize=768M"},
		{Source{Var: Lookup("ZOO_HEAP_SIZE"), Value: "1024"}, "ZOO_HEAP_SIZE=768"},
		{Source{Var: Lookup("MAX_HEAP_SIZE"), Value: "4G"}, "MAX_HEAP_SIZE=768M"},
		{Source{Var: Lookup("ELASTICSEARCH_HEAP_SIZE"), Value: "1024m"}, "ELASTICSEARCH_HEAP_SIZE=768m"},
	}
	for _, tt := range tests {
		fs := tt.src.Flags()
		if len(fs) == 0 {
			t.Fatalf("%+v: no flags", tt.src)
		}
		if got := fs[0].With(768 << 20); got != tt.want {
			t.Errorf("%+v: With = %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestResolve(t *testing.T) {
	v := func(name, value string) Source { return Source{Var: Lookup(name), Value: value} }
	cmdline := func(args ...string) Source { return Source{Args: args} }
	tests := []struct {
		name    string
		sources []Source
		max     string // text of the winning max heap flag
		src     int    // its source
		initial string
		invalid int
	}{
		{"command line over JAVA_TOOL_OPTIONS", []Source{cmdline("-Xmx768m"), v("JAVA_TOOL_OPTIONS", "-Xmx2g")}, "-Xmx768m", 0, "", 0},
		{"_JAVA_OPTIONS over command line", []Source{v("_JAVA_OPTIONS", "-Xmx1g"), cmdline("-Xmx512m")}, "-Xmx1g", 0, "", 0},
		{"JDK_JAVA_OPTIONS over JAVA_TOOL_OPTIONS", []Source{v("JDK_JAVA_OPTIONS", "-Xmx1g"), v("JAVA_TOOL_OPTIONS", "-Xmx2g")}, "-Xmx1g", 0, "", 0},
		{"command line over JDK_JAVA_OPTIONS", []Source{v("JDK_JAVA_OPTIONS", "-Xmx1g"), cmdline("-Xmx2g")}, "-Xmx2g", 1, "", 0},
		{"last occurrence wins", []Source{cmdline("-Xmx1g", "-XX:MaxHeapSize=2g", "-Xms1g")}, "-XX:MaxHeapSize=2g", 0, "-Xms1g", 0},
		{"CATALINA_OPTS after JAVA_OPTS", []Source{v("CATALINA_OPTS", "-Xmx768m"), v("JAVA_OPTS", "-Xmx2g")}, "-Xmx768m", 0, "", 0},
		{"bare size sets both", []Source{v("ZOO_HEAP_SIZE", "1024")}, "ZOO_HEAP_SIZE=1024", 0, "ZOO_HEAP_SIZE=1024", 0},
		{"invalid overrides nothing", []Source{v("JAVA_TOOL_OPTIONS", "-Xmx1g"), v("_JAVA_OPTIONS", "-Xmx1gb")}, "-Xmx1g", 0, "", 1},
		{"invalid MiB number", []Source{v("ZOO_HEAP_SIZE", "1g")}, "", 0, "", 2},
		{"nothing", nil, "", 0, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Resolve(tt.sources)
			text := func(s *Setting) string {
				if s == nil {
					return ""
				}
				return s.Text
			}
			if text(s.MaxHeap) != tt.max || text(s.InitialHeap) != tt.initial || len(s.Invalid) != tt.invalid {
				t.Fatalf("max %q, initial %q, %d invalid; want %q, %q, %d", text(s.MaxHeap), text(s.InitialHeap), len(s.Invalid), tt.max, tt.initial, tt.invalid)
			}
			if s.MaxHeap != nil && s.MaxHeap.Source != tt.src {
				t.Errorf("max heap from source %d, want %d", s.MaxHeap.Source, tt.src)
			}
		})
	}
}

func TestApplies(t *testing.T) {
	set := func(names ...string) func(string) bool {
		return func(n string) bool { return slices.Contains(names, n) }
	}
	tests := []struct {
		name, image string
		set         func(string) bool
		want        bool
	}{
		{"MAX_HEAP_SIZE", "cassandra:4.1", set(), true},
		{"MAX_HEAP_SIZE", "bitnami/cassandra:4.1", set(), true},
		{"MAX_HEAP_SIZE", "example/worker:1", set(), false},
		{"JAVA_OPTS", "example/worker:1", set(), true},
		{"SONARQUBE_MAX_HEAP_SIZE", "bitnami/sonarqube:10", set(), false},
		{"SONARQUBE_MAX_HEAP_SIZE", "bitnami/sonarqube:10", set("SONARQUBE_MIN_HEAP_SIZE"), true},
	}
	for _, tt := range tests {
		if got := Lookup(tt.name).Applies(tt.image, tt.set); got != tt.want {
			t.Errorf("%s in %s: Applies = %v, want %v", tt.name, tt.image, got, tt.want)
		}
	}
}

var imageTests = []struct {
	image string
	want  Version
	known bool
}{
	{"openjdk:8u181-jre", Version{8, 181}, true},
	{"openjdk:8u212-jdk-alpine", Version{8, 212}, true},
	{"openjdk:8-jre", Version{8, -1}, true},
	{"openjdk:11-jre-slim", Version{11, -1}, true},
	{"docker.io/library/openjdk:8u181-jre@sha256:abcd", Version{8, 181}, true},
	{"eclipse-temurin:17", Version{17, -1}, true},
	{"eclipse-temurin:8u372-b07-jre", Version{8, 372}, true},
	{"eclipse-temurin:17.0.8_7-jre", Version{17, 8}, true},
	{"eclipse-temurin:11.0.15_10-jre", Version{11, 15}, true},
	{"eclipse-temurin:11.0.16.1_1-jdk", Version{11, 16}, true},
	{"openjdk:11.0.15-jre-slim", Version{11, 15}, true},
	{"amazoncorretto:11.0.15.9.1", Version{11, 15}, true},
	{"sapmachine:jdk-11.0.15", Version{11, 15}, true},
	{"ibm-semeru-runtimes:open-11.0.20_8-jre-jammy", Version{11, 20}, true},
	{"registry:5000/team/openjdk:14.0.2@sha256:0123", Version{14, 2}, true},
	{"amazoncorretto:8", Version{8, -1}, true},
	{"amazoncorretto:8u382-al2", Version{8, 382}, true},
	{"amazoncorretto:8.382.05.1", Version{8, 382}, true},
	{"amazoncorretto:21", Version{21, -1}, true},
	{"adoptopenjdk/openjdk8:jdk8u181-b13", Version{8, 181}, true},
	{"adoptopenjdk/openjdk8:latest", Version{8, -1}, true},
	{"adoptopenjdk/openjdk11:jre-11.0.6_10", Version{11, 6}, true},
	{"adoptopenjdk/openjdk11:1.18.2", Version{11, -1}, true},
	{"adoptopenjdk:8-jre-hotspot", Version{8, -1}, true},
	{"azul/zulu-openjdk:8u172", Version{8, 172}, true},
	{"azul/zulu-openjdk:8", Version{8, -1}, true},
	{"azul/zulu-openjdk-alpine:8.0.292", Version{8, 292}, true},
	{"bitnami/java:1.8.0-181", Version{8, 181}, true},
	{"bitnami/java:1.8.362-debian-11-r0", Version{8, 362}, true},
	{"bitnami/java:17", Version{17, -1}, true},
	{"ibm-semeru-runtimes:open-17-jre", Version{17, -1}, true},
	{"ibm-semeru-runtimes:open-8u372-b07-jre-focal", Version{8, 372}, true},
	{"java:8u111-jre", Version{8, 111}, true},
	{"gcr.io/distroless/java17-debian11", Version{17, -1}, true},
	{"gcr.io/distroless/java:8", Version{8, -1}, true},
	{"registry.access.redhat.com/ubi8/openjdk-11:1.18", Version{11, -1}, true},
	{"mcr.microsoft.com/openjdk/jdk:21-ubuntu", Version{21, -1}, true},
	{"tomcat:8.5-jre8", Version{8, -1}, true},
	{"tomcat:9.0.80-jdk11-temurin", Version{11, -1}, true},
	{"maven:3.9-eclipse-temurin-17", Version{17, -1}, true},
	{"jenkins/jenkins:lts-jdk17", Version{17, -1}, true},
	{"openjdk:latest", Version{0, -1}, false},
	{"openjdk", Version{0, -1}, false},
	{"elasticsearch:8.15.0", Version{0, -1}, false},
	{"example/javascript-app:8u181", Version{0, -1}, false},
	{"nginx:1.25", Version{0, -1}, false},
	{"", Version{0, -1}, false},
}

func TestJDK(t *testing.T) {
	for _, tt := range imageTests {
		got, known := JDK(tt.image)
		if got != tt.want || known != tt.known {
			t.Errorf("JDK(%q) = %v (%+v), %v; want %+v, %v", tt.image, got, got, known, tt.want, tt.known)
		}
	}
}

func TestCgroupV2(t *testing.T) {
	tests := []struct {
		image        string
		version      Version
		aware, known bool
	}{
		{"eclipse-temurin:11.0.15_10-jre", Version{11, 15}, false, true},
		{"eclipse-temurin:11.0.16_8-jre", Version{11, 16}, true, true},
		{"openjdk:8u362-jre", Version{8, 362}, false, true},
		{"eclipse-temurin:8u372-b07-jre", Version{8, 372}, true, true},
		{"amazoncorretto:8.382.05.1", Version{8, 382}, true, true},
		{"amazoncorretto:8", Version{8, -1}, true, true},    // floating: the newest build has the backport
		{"eclipse-temurin:11", Version{11, -1}, true, true}, // likewise
		{"openjdk:11", Version{11, 16}, true, true},         // frozen at 11.0.16, which has it
		{"openjdk:8-jre", Version{8, 342}, false, true},     // frozen at 8u342, which has not
		{"docker.io/library/openjdk:8@sha256:ab", Version{8, 342}, false, true},
		{"openjdk:14", Version{14, -1}, false, true},
		{"openjdk:10-jre", Version{10, -1}, false, true},
		{"openjdk:8u181-jre", Version{8, 181}, false, true},
		{"eclipse-temurin:17", Version{17, -1}, true, true},
		{"openjdk:15", Version{15, -1}, true, true},
		{"ibm-semeru-runtimes:open-17.0.7_7-jre", Version{17, 7}, false, true},
		{"ibm-semeru-runtimes:open-17.0.8_7-jre", Version{17, 8}, true, true},
		{"ibm-semeru-runtimes:open-11.0.19_7-jre", Version{11, 19}, false, true},
		{"ibm-semeru-runtimes:open-8u382-b05-jre", Version{8, 382}, true, true},
		{"ibm-semeru-runtimes:open-19-jre", Version{19, -1}, false, false},
		{"ibm-semeru-runtimes:open-21-jre", Version{21, -1}, true, true},
		{"openjdk:latest", Version{0, -1}, false, false},
		{"nginx:1.25", Version{0, -1}, false, false},
	}
	for _, tt := range tests {
		got := CgroupV2(tt.image)
		if got.Version != tt.version || got.Aware != tt.aware || got.Known != tt.known {
			t.Errorf("CgroupV2(%q) = %v aware %v known %v; want %v, %v, %v", tt.image, got.Version, got.Aware, got.Known, tt.version, tt.aware, tt.known)
		}
	}
}

func TestContainerAware(t *testing.T) {
	tests := []struct {
		v            Version
		aware, known bool
	}{
		{Version{8, 181}, false, true},
		{Version{8, 190}, false, true},
		{Version{8, 191}, true, true},
		{Version{8, -1}, false, false},
		{Version{7, -1}, false, true},
		{Version{9, -1}, false, true},
		{Version{10, -1}, true, true},
		{Version{0, -1}, false, false},
	}
	for _, tt := range tests {
		aware, known := tt.v.ContainerAware()
		if aware != tt.aware || known != tt.known {
			t.Errorf("%v.ContainerAware() = %v, %v; want %v, %v", tt.v, aware, known, tt.aware, tt.known)
		}
	}
}

func TestIsJVMImage(t *testing.T) {
	for image, want := range map[string]bool{
		"eclipse-temurin:17": true, "bitnami/kafka:3.7": true, "confluentinc/cp-kafka:7.6.0": true,
		"docker.elastic.co/elasticsearch/elasticsearch:8.15.0": true, "cassandra:4.1": true,
		"solr:9": true, "jenkins/jenkins:lts": true, "sonarqube:10-community": true, "zookeeper:3.9": true,
		"azul/zulu-openjdk:8": true, "ibm-semeru-runtimes:open-17-jre": true, "bitnami/java:17": true,
		"nginx:1.25": false, "node:20": false, "example/javascript-app:1": false, "": false,
	} {
		if got := IsJVMImage(image); got != want {
			t.Errorf("IsJVMImage(%q) = %v, want %v", image, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"-Xmx1g -Xms512m", `-Dx="a b" -XX:MaxRAMPercentage=75.0`, "-XX:MaxRAMFraction=1", "-XX:-UseContainerSupport", "'unterminated", "$(cmd) ${X:-y}", "-Xmx"} {
		f.Add(s)
	}
	for _, tt := range imageTests {
		f.Add(tt.image)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words := Split(s)
		fs := Parse(words)
		for _, fl := range fs {
			if fl.Word < 0 || fl.Word >= len(words) || words[fl.Word] != fl.Text {
				t.Fatalf("flag %q at word %d of %q", fl.Text, fl.Word, words)
			}
			if fl.Err == nil && (fl.Bytes < 0 || fl.Percent < 0 || fl.Percent > 100) {
				t.Fatalf("flag %q: out-of-range value accepted: %+v", fl.Text, fl)
			}
		}
		_ = ParseCommand(words)
		_ = Resolve([]Source{{Var: Lookup("JAVA_TOOL_OPTIONS"), Value: s}, {Var: Lookup("ZOO_HEAP_SIZE"), Value: s}, {Args: words}})
		if v, known := JDK(s); known && (v.Major < 1 || v.Update < -1) {
			t.Fatalf("JDK(%q) = %+v", s, v)
		}
		_ = IsJVMImage(s)
	})
}

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"-Xmx1g -Xms1g", []string{"-Xmx1g", "-Xms1g"}},
		{"  -Xmx1g\t\n-Xms1g  ", []string{"-Xmx1g", "-Xms1g"}},
		{`-Dname="a b" '-Dx=y z' -Xmx1g`, []string{"-Dname=a b", "-Dx=y z", "-Xmx1g"}},
		{`-Dpath=~/x -Duser=~root -Xmx1g`, []string{"-Dpath=~/x", "-Duser=~root", "-Xmx1g"}},
		{`$UNSET -Xmx1g ${ALSO:-}`, []string{"-Xmx1g"}},
		{`-Dx="unterminated -Xmx1g`, []string{`-Dx="unterminated`, "-Xmx1g"}},
		{`$(cmd) -Xmx1g`, []string{"$(cmd)", "-Xmx1g"}},
		{"", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Split(tt.in)); diff != "" {
			t.Errorf("Split(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}
