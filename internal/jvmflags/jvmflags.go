// Package jvmflags reads the memory settings of a HotSpot JVM from the
// places a container gives them: the java command line, the JVM's own
// environment variables, the variables application start scripts put on
// the command line, and the JDK version an image tag names.
package jvmflags

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/shell"
)

// Kind is the setting a flag controls.
type Kind int

// The settings oomlint reads. -Xmx and -XX:MaxHeapSize are one setting, as
// are -Xms and -XX:InitialHeapSize.
const (
	MaxHeap              Kind = iota + 1 // -Xmx, -XX:MaxHeapSize=
	InitialHeap                          // -Xms, -XX:InitialHeapSize=
	MaxRAMPercentage                     // -XX:MaxRAMPercentage= (JDK 8u191+, 10+)
	InitialRAMPercentage                 // -XX:InitialRAMPercentage=
	MaxRAMFraction                       // -XX:MaxRAMFraction= (deprecated in 10)
	ContainerSupport                     // -XX:±UseContainerSupport
	CgroupMemoryLimit                    // -XX:±UseCGroupMemoryLimitForHeap (experimental, 8u131–8u190, 9)
)

func (k Kind) String() string {
	switch k {
	case MaxHeap:
		return "max heap"
	case InitialHeap:
		return "initial heap"
	case MaxRAMPercentage:
		return "MaxRAMPercentage"
	case InitialRAMPercentage:
		return "InitialRAMPercentage"
	case MaxRAMFraction:
		return "MaxRAMFraction"
	case ContainerSupport:
		return "UseContainerSupport"
	case CgroupMemoryLimit:
		return "UseCGroupMemoryLimitForHeap"
	}
	return "unknown"
}

// Flag is one memory setting as written.
type Flag struct {
	Kind    Kind
	Text    string  // as written: "-Xmx1g", "ZOO_HEAP_SIZE=1024"
	Bytes   int64   // MaxHeap, InitialHeap
	Percent float64 // MaxRAMPercentage, InitialRAMPercentage
	Divisor int64   // MaxRAMFraction
	On      bool    // ContainerSupport, CgroupMemoryLimit
	Err     error   // the value does not parse: the JVM refuses to start
	Word    int     // index of the word it was read from
	JVMs    int     // how many JVMs of the container get this setting (SonarQube: 3); at least 1

	prefix string // what precedes the value: "-Xmx", "-XX:MaxHeapSize=", "ZOO_HEAP_SIZE="
	syntax Syntax
	upper  bool // the size suffix was written in upper case
}

// With renders the flag with another size, in the syntax it was written in:
// "-Xmx768m", "-XX:MaxHeapSize=768m", "ZOO_HEAP_SIZE=768", "MAX_HEAP_SIZE=768M".
func (f Flag) With(bytes int64) string {
	switch f.syntax {
	case MiB:
		return f.prefix + strconv.FormatInt(bytes>>20, 10)
	case Options, Size:
	}
	s := FormatSize(bytes)
	if f.upper {
		s = strings.ToUpper(s)
	}
	return f.prefix + s
}

// FormatSize renders bytes in JVM size syntax, rounded down to whole MiB:
// "768m", "1g" when it is a whole number of GiB, bytes below 1 MiB.
func FormatSize(bytes int64) string {
	switch {
	case bytes >= 1<<30 && bytes%(1<<30) == 0:
		return strconv.FormatInt(bytes>>30, 10) + "g"
	case bytes >= 1<<20:
		return strconv.FormatInt(bytes>>20, 10) + "m"
	case bytes >= 1<<10:
		return strconv.FormatInt(bytes>>10, 10) + "k"
	}
	return strconv.FormatInt(bytes, 10)
}

// Errors a size or option value can have.
var (
	ErrEmpty    = errors.New("no value")
	ErrSyntax   = errors.New("not a JVM size (digits with an optional k, m, g or t suffix)")
	ErrRange    = errors.New("out of range")
	ErrPercent  = errors.New("not a percentage between 0 and 100")
	ErrFraction = errors.New("not a whole number of at least 1")
)

// ParseSize reads a JVM memory size the way HotSpot does: a decimal (or 0x
// hexadecimal) number with an optional k, m, g or t suffix in either case,
// 1024-based; a bare number is bytes. "1.5g", "1gb" and "512MB" are
// rejected by the JVM and here.
func ParseSize(s string) (int64, error) {
	if s == "" {
		return 0, ErrEmpty
	}
	digits, shift := s, 0
	switch s[len(s)-1] {
	case 'k', 'K':
		shift = 10
	case 'm', 'M':
		shift = 20
	case 'g', 'G':
		shift = 30
	case 't', 'T':
		shift = 40
	}
	if shift > 0 {
		digits = s[:len(s)-1]
	}
	base := 10
	if len(digits) > 2 && (digits[:2] == "0x" || digits[:2] == "0X") {
		digits, base = digits[2:], 16
	}
	if digits == "" || strings.ContainsAny(digits, "+-_ ") {
		return 0, ErrSyntax
	}
	n, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, ErrRange
		}
		return 0, ErrSyntax
	}
	if n > math.MaxInt64>>shift {
		return 0, ErrRange
	}
	return int64(n) << shift, nil //nolint:gosec // n is at most MaxInt64>>shift, checked above
}

// Split splits an option string into words the way a shell does (quotes,
// escapes), which is also how the JVM splits JAVA_TOOL_OPTIONS. Variables
// expand to nothing: a start script's own variables are unknown here. A
// tilde stays as written (no home directory is looked up). A string the
// shell parser refuses is split on white space.
func Split(s string) []string {
	words, err := shell.Fields(s, noEnv)
	if err != nil {
		return strings.Fields(s)
	}
	return words
}

// noEnv is an empty environment, except that ~ and ~user expand to
// themselves: the expander would otherwise read the user database.
func noEnv(name string) string {
	if user, ok := strings.CutPrefix(name, "HOME"); ok {
		return "~" + strings.TrimPrefix(user, " ")
	}
	return ""
}

// Parse reads every word as a JVM option, as the JVM reads the words of
// JAVA_TOOL_OPTIONS: words that are not memory settings are skipped.
func Parse(words []string) []Flag {
	var out []Flag
	for i, w := range words {
		if f, ok := parseOption(w); ok {
			f.Word = i
			out = append(out, f)
		}
	}
	return out
}

// argOptions are the launcher options that take the next word as their
// value; that word is not an option.
var argOptions = map[string]bool{
	"-cp": true, "-classpath": true, "--class-path": true,
	"-p": true, "--module-path": true, "--upgrade-module-path": true,
	"--add-modules": true, "--add-reads": true, "--add-exports": true, "--add-opens": true,
	"--limit-modules": true, "--patch-module": true, "--source": true, "--enable-native-access": true,
}

// ParseCommand reads the arguments that follow `java` on a command line.
// Options end at the main class, after `-jar FILE`, or at `-m MODULE`:
// what follows belongs to the application, so `java -jar app.jar -Xmx1g`
// does not set the heap.
func ParseCommand(args []string) []Flag {
	var out []Flag
	for i := 0; i < len(args); i++ {
		w := args[i]
		switch {
		case w == "-jar" || w == "-m" || w == "--module" || strings.HasPrefix(w, "--module="):
			return out
		case argOptions[w]:
			i++
		case !strings.HasPrefix(w, "-"):
			if strings.HasPrefix(w, "@") {
				continue // an argument file: not readable here
			}
			return out // the main class or source file
		default:
			if f, ok := parseOption(w); ok {
				f.Word = i
				out = append(out, f)
			}
		}
	}
	return out
}

// parseOption reads one word; ok is false when it is not a memory setting.
func parseOption(w string) (Flag, bool) {
	f := Flag{Text: w, JVMs: 1, syntax: Options}
	switch {
	case strings.HasPrefix(w, "-Xmx"):
		f.Kind, f.prefix = MaxHeap, "-Xmx"
	case strings.HasPrefix(w, "-Xms"):
		f.Kind, f.prefix = InitialHeap, "-Xms"
	case strings.HasPrefix(w, "-XX:MaxHeapSize="):
		f.Kind, f.prefix = MaxHeap, "-XX:MaxHeapSize="
	case strings.HasPrefix(w, "-XX:InitialHeapSize="):
		f.Kind, f.prefix = InitialHeap, "-XX:InitialHeapSize="
	case strings.HasPrefix(w, "-XX:MaxRAMPercentage="):
		f.Kind, f.prefix = MaxRAMPercentage, "-XX:MaxRAMPercentage="
	case strings.HasPrefix(w, "-XX:InitialRAMPercentage="):
		f.Kind, f.prefix = InitialRAMPercentage, "-XX:InitialRAMPercentage="
	case strings.HasPrefix(w, "-XX:MaxRAMFraction="):
		f.Kind, f.prefix = MaxRAMFraction, "-XX:MaxRAMFraction="
	case w == "-XX:+UseContainerSupport" || w == "-XX:-UseContainerSupport":
		f.Kind, f.On = ContainerSupport, w[4] == '+'
		return f, true
	case w == "-XX:+UseCGroupMemoryLimitForHeap" || w == "-XX:-UseCGroupMemoryLimitForHeap":
		f.Kind, f.On = CgroupMemoryLimit, w[4] == '+'
		return f, true
	default:
		return Flag{}, false
	}
	value := w[len(f.prefix):]
	switch f.Kind {
	case MaxHeap, InitialHeap:
		f.Bytes, f.Err = ParseSize(value)
		f.upper = value != "" && strings.ContainsAny(value[len(value)-1:], "KMGT")
	case MaxRAMPercentage, InitialRAMPercentage:
		f.Percent, f.Err = parsePercent(value)
	case MaxRAMFraction:
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n < 1 {
			f.Err = ErrFraction
		}
		f.Divisor = n
	case ContainerSupport, CgroupMemoryLimit:
	}
	if f.Err != nil {
		f.Err = fmt.Errorf("%s: %q %w", f.Kind, value, f.Err)
	}
	return f, true
}

func parsePercent(s string) (float64, error) {
	if s == "" {
		return 0, ErrEmpty
	}
	p, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(p) || p < 0 || p > 100 {
		return 0, ErrPercent
	}
	return p, nil
}
