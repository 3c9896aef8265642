package jvmflags

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/oomlint/oomlint/internal/lazyre"
)

// Image is a container image reference split into the parts rules need.
type Image struct {
	Repo string // repository path without registry, lower case: "library/openjdk" → "openjdk", "bitnami/java"
	Tag  string // "" when absent or only a digest
}

// ParseImage splits an image reference: registry host, repository, tag,
// digest. It never fails; an empty or odd reference gives an empty Image.
func ParseImage(ref string) Image {
	ref = strings.TrimSpace(ref)
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	var img Image
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		ref, img.Tag = ref[:i], ref[i+1:]
	}
	parts := strings.Split(strings.ToLower(ref), "/")
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") {
		parts = parts[1:]
	}
	if len(parts) > 1 && parts[0] == "library" {
		parts = parts[1:]
	}
	img.Repo = strings.Join(parts, "/")
	return img
}

func (i Image) name() string {
	return i.Repo[strings.LastIndexByte(i.Repo, '/')+1:]
}

// jdkRepos are images that are a JDK or JRE and nothing else, by the last
// part of their repository path (a prefix: openjdk8, zulu-openjdk-alpine).
var jdkRepos = []string{
	"openjdk", "eclipse-temurin", "amazoncorretto", "adoptopenjdk", "zulu-openjdk",
	"ibm-semeru-runtimes", "ibmjava", "sapmachine", "liberica-openjdk", "java", "jdk", "jre",
	"ubi8-openjdk", "ubi9-openjdk", "temurin", "corretto", "graalvm",
}

// appRepos are applications that run on a JVM.
var appRepos = []string{
	"elasticsearch", "opensearch", "logstash", "kafka", "cp-kafka", "cp-zookeeper", "cp-schema-registry",
	"cp-server", "zookeeper", "cassandra", "solr", "tomcat", "jetty", "wildfly", "jenkins", "sonarqube",
	"keycloak", "nexus3", "activemq", "artemis", "flink", "neo4j", "trino", "presto", "hivemq",
	"graylog", "maven", "gradle", "spark", "hadoop", "hbase", "nifi", "jboss",
}

// IsJVMImage reports whether an image is a known JDK/JRE image, or an
// application image known to run a JVM.
func IsJVMImage(ref string) bool {
	img := ParseImage(ref)
	return img.isJDK() || hasPrefixIn(img.name(), appRepos) || strings.Contains(img.Repo, "distroless/java")
}

func (i Image) isJDK() bool {
	n := i.name()
	if strings.HasPrefix(n, "java") && i.Repo != n && !strings.HasPrefix(i.Repo, "bitnami/") && !strings.Contains(i.Repo, "distroless/") {
		return false // someone/javascript-app: only library/java, bitnami/java and distroless/java*
	}
	return hasPrefixIn(n, jdkRepos) || strings.Contains(i.Repo, "distroless/java") || strings.HasPrefix(i.Repo, "openjdk/")
}

func hasPrefixIn(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// Version is a JDK version: 8u181 is {8, 181} and 11.0.16 is {11, 16}
// (the update release, JEP 322's third number); Update is -1 when the
// image names only the major version (openjdk:8-jre, eclipse-temurin:11).
type Version struct {
	Major  int
	Update int
}

func (v Version) String() string {
	switch {
	case v.Major == 0:
		return "unknown"
	case v.Major <= 8 && v.Update >= 0:
		return strconv.Itoa(v.Major) + "u" + strconv.Itoa(v.Update)
	case v.Update >= 0:
		return strconv.Itoa(v.Major) + ".0." + strconv.Itoa(v.Update)
	}
	return strconv.Itoa(v.Major)
}

var (
	// 8u181, jdk8u181-b13, open-8u372-b07, jdk-8u202
	reUpdate = lazyre.New(`^(?:(?:jdk|jre|open)-?)?(\d{1,2})u(\d{1,4})(?:\D|$)`)
	// 1.8.0_181, 1.8.0-181, 1.8.362 (bitnami/java)
	reLegacy = lazyre.New(`^1\.(\d)\.(?:0[_-](\d{1,4})|(\d{2,4}))(?:\D|$)`)
	// 8.0.292 (Zulu), 8.382.05.1 (Corretto)
	reEightDot = lazyre.New(`^8\.(?:0\.)?(\d{2,4})(?:\D|$)`)
	// 11.0.15_10-jre, 11.0.16.1, jdk-11.0.15+10, jre-11.0.6_10, open-11.0.20_8-jre
	reFull = lazyre.New(`^(?:(?:jdk|jre|open|openjdk)-?)?(\d{1,2})\.\d{1,2}\.(\d{1,3})(?:\D|$)`)
	// 17, 11.0.20, 8-jre, jdk-17.0.8, jre-11.0.6_10, open-17-jre, openjdk-11
	reMajor = lazyre.New(`^(?:(?:jdk|jre|open|openjdk)-?)?(\d{1,2})(?:\D|$)`)
	// in an application's tag: 8.5-jre8, 9-jdk11, 3.9-eclipse-temurin-17, jdk8u181
	reEmbedded = lazyre.New(`(?:^|[-_.])(?:jdk|jre|openjdk|temurin|corretto|java)-?(\d{1,2})(?:u(\d{1,4}))?(?:\D|$)`)
	// the major version in a repository name: openjdk8, openjdk-11, java17-debian11
	reRepoMajor = lazyre.New(`(?:openjdk|java|jdk|jre)-?(\d{1,2})(?:\D|$)`)
)

// JDK returns the JDK version an image reference names, from its tag and
// repository: openjdk:8u181-jre is 8u181, eclipse-temurin:17 is 17,
// adoptopenjdk/openjdk8:jdk8u181-b13 is 8u181, openjdk:8-jre is 8 with an
// unknown update, openjdk:latest is unknown (known false).
func JDK(ref string) (v Version, known bool) {
	img := ParseImage(ref)
	tag := strings.ToLower(img.Tag)
	v.Update = -1
	if img.isJDK() {
		if m := reRepoMajor().FindStringSubmatch(img.name()); m != nil {
			v.Major = atoi(m[1])
		}
		switch m := []string(nil); {
		case matchInto(&m, reUpdate(), tag):
			v.Major, v.Update = atoi(m[1]), atoi(m[2])
		case matchInto(&m, reLegacy(), tag):
			v.Major = atoi(m[1])
			if u := m[2] + m[3]; u != "" {
				v.Update = atoi(u)
			}
		case (v.Major == 0 || v.Major == 8) && matchInto(&m, reEightDot(), tag):
			v.Major, v.Update = 8, atoi(m[1])
		case matchInto(&m, reFull(), tag) && atoi(m[1]) >= 9 && (v.Major == 0 || v.Major == atoi(m[1])):
			v.Major, v.Update = atoi(m[1]), atoi(m[2])
		case v.Major == 0 && matchInto(&m, reMajor(), tag):
			v.Major = atoi(m[1])
		case v.Major == 0:
			if m := reEmbedded().FindStringSubmatch(tag); m != nil {
				v.Major = atoi(m[1])
				if m[2] != "" {
					v.Update = atoi(m[2])
				}
			}
		}
	} else if m := reEmbedded().FindStringSubmatch(tag); m != nil && IsJVMImage(ref) {
		v.Major = atoi(m[1])
		if m[2] != "" {
			v.Update = atoi(m[2])
		}
	}
	if v.Major < 1 || v.Major > 99 {
		return Version{Update: -1}, false
	}
	return v, true
}

func matchInto(m *[]string, re *regexp.Regexp, s string) bool {
	*m = re.FindStringSubmatch(s)
	return *m != nil
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

// ContainerAware reports whether a JDK reads the container's memory limit
// by default (JDK 8u191+, 10+), and whether that is known: an unknown
// version or an unknown JDK 8 update is never reported as unaware.
func (v Version) ContainerAware() (aware, known bool) {
	switch {
	case v.Major == 0:
		return false, false
	case v.Major >= 10:
		return true, true
	case v.Major == 8 && v.Update < 0:
		return false, false
	case v.Major == 8:
		return v.Update >= 191, true
	}
	return false, true // 7 and older, 9
}

// CgroupV2Support is what an image says about its JVM on a cgroup v2 node.
type CgroupV2Support struct {
	Version Version // as the tag names it, or the last build a frozen repository published
	Aware   bool    // the JVM reads the container's memory limit under cgroup v2
	Known   bool    // false: the tag does not say, and nothing is reported
	Frozen  bool    // a floating tag of a repository that is no longer updated
	OpenJ9  bool    // IBM Semeru / OpenJ9, whose versions differ from HotSpot's
}

// frozen are JDK image repositories that stopped publishing: a tag that
// names only the major version runs the last build. The Docker library's
// openjdk image stopped with 8u342 and 11.0.16 (docker-library/openjdk#505).
var frozen = map[string]map[int]Version{
	"openjdk": {8: {8, 342}, 11: {11, 16}},
}

// CgroupV2 reports whether the JDK an image names reads the container's
// memory limit on a cgroup v2 node. HotSpot: JDK 15 and later
// (JDK-8230305), 11.0.16 and 8u372 (the backports). IBM Semeru (OpenJ9):
// 8u382, 11.0.20, 17.0.8, 21 and later. A tag that names only the major
// version (eclipse-temurin:11, amazoncorretto:8) runs the newest build,
// which has the backport, unless its repository is frozen (openjdk:8 is
// 8u342). Versions the tables do not cover are unknown.
func CgroupV2(ref string) CgroupV2Support {
	v, ok := JDK(ref)
	if !ok {
		return CgroupV2Support{Version: v}
	}
	img := ParseImage(ref)
	s := CgroupV2Support{Version: v, Known: true}
	if v.Update < 0 {
		if last, ok := frozen[img.Repo][v.Major]; ok {
			s.Version, s.Frozen = last, true
		}
	}
	s.OpenJ9 = strings.Contains(img.Repo, "semeru") || strings.Contains(img.Repo, "openj9") || strings.Contains(strings.ToLower(img.Tag), "openj9")
	minimum := map[int]int{8: 372, 11: 16} // HotSpot: the first update with the backport
	newest := 15                           // and every release from this one on
	if s.OpenJ9 {
		minimum, newest = map[int]int{8: 382, 11: 20, 17: 8}, 21
		if v.Major > 17 && v.Major < newest {
			return CgroupV2Support{Version: v} // Semeru 18–20: not covered
		}
	}
	u := s.Version.Update
	switch first, backported := minimum[v.Major]; {
	case v.Major >= newest:
		s.Aware = true
	case backported:
		s.Aware = u < 0 || u >= first
	}
	return s
}
