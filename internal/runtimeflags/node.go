package runtimeflags

import (
	"math"
	"strconv"
	"strings"
)

// NodeHeap is a --max-old-space-size setting: V8's cap on the old
// generation of the JavaScript heap, in MiB.
type NodeHeap struct {
	Raw   string // the value as written: "768"
	MiB   int64  // valid only when Valid
	Valid bool   // V8 accepts the value
	Index int    // the word that holds the value (the flag itself for --flag=N)
}

// Bytes is the setting in bytes.
func (h NodeHeap) Bytes() int64 { return h.MiB << 20 }

// maxNodeMiB keeps MiB<<20 inside an int64.
const maxNodeMiB = math.MaxInt64 >> 20

// ParseNodeMiB reads a --max-old-space-size value as V8 does for a size_t
// flag: decimal digits (an optional +), a whole number of MiB.
func ParseNodeMiB(s string) (int64, bool) {
	digits := strings.TrimPrefix(s, "+")
	if digits == "" {
		return 0, false
	}
	for i := range len(digits) {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > maxNodeMiB {
		return 0, false
	}
	return n, true
}

// isNodeHeapFlag reports whether word names --max-old-space-size. V8 treats
// - and _ in flag names alike (--max_old_space_size, even
// --max-old_space-size), and takes one or two leading dashes.
func isNodeHeapFlag(name string) bool {
	if !strings.HasPrefix(name, "-") {
		return false
	}
	name = strings.TrimPrefix(strings.TrimPrefix(name, "-"), "-")
	return strings.ReplaceAll(name, "_", "-") == "max-old-space-size"
}

// FindNodeHeap returns the --max-old-space-size among words, in the
// --flag=N or the --flag N form. When it appears more than once the last
// one wins, as in V8.
func FindNodeHeap(words []string) (NodeHeap, bool) {
	var out NodeHeap
	found := false
	for i := 0; i < len(words); i++ {
		name, value, hasValue := strings.Cut(words[i], "=")
		if !isNodeHeapFlag(name) {
			continue
		}
		h := NodeHeap{Raw: value, Index: i}
		if !hasValue {
			if i+1 >= len(words) {
				continue // a trailing flag with no value sets nothing
			}
			i++
			h.Raw, h.Index = words[i], i
		}
		h.MiB, h.Valid = ParseNodeMiB(h.Raw)
		out, found = h, true
	}
	return out, found
}

// nodeValueOptions are node's options that take their value as the next
// word, so that word is not the script.
var nodeValueOptions = map[string]bool{
	"-r": true, "--require": true, "--import": true, "--loader": true, "--experimental-loader": true,
	"-C": true, "--conditions": true, "--title": true, "--env-file": true, "--inspect-port": true,
	"--max-old-space-size": true, "--max_old_space_size": true, "--stack-size": true,
	"--input-type": true, "--unhandled-rejections": true, "--disable-warning": true,
}

// NodeOptionsEnd returns how many leading words of a node command line
// (after the program) are node's own options: node reads flags only before
// the script, and everything after it is the script's argv. -e, -p and --
// end the options too.
func NodeOptionsEnd(args []string) int {
	for i := 0; i < len(args); i++ {
		w := args[i]
		switch {
		case w == "--" || w == "-e" || w == "--eval" || w == "-p" || w == "--print":
			return i
		case !strings.HasPrefix(w, "-") || w == "-":
			return i
		case nodeValueOptions[w] || isNodeHeapFlag(w):
			i++
		}
	}
	return len(args)
}
