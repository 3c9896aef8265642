package runtimeflags

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFindNodeHeap(t *testing.T) {
	tests := []struct {
		name  string
		words []string
		want  NodeHeap
		found bool
	}{
		{"equals", []string{"--max-old-space-size=768"}, NodeHeap{Raw: "768", MiB: 768, Valid: true}, true},
		{"underscores", []string{"--max_old_space_size=512"}, NodeHeap{Raw: "512", MiB: 512, Valid: true}, true},
		{"mixed separators", []string{"--max-old_space-size=512"}, NodeHeap{Raw: "512", MiB: 512, Valid: true}, true},
		{"one dash", []string{"-max-old-space-size=256"}, NodeHeap{Raw: "256", MiB: 256, Valid: true}, true},
		{"space separated", []string{"--inspect", "--max-old-space-size", "1024", "app.js"}, NodeHeap{Raw: "1024", MiB: 1024, Valid: true, Index: 2}, true},
		{"last wins", []string{"--max-old-space-size=4096", "--max-old-space-size=768"}, NodeHeap{Raw: "768", MiB: 768, Valid: true, Index: 1}, true},
		{"plus sign", []string{"--max-old-space-size=+64"}, NodeHeap{Raw: "+64", MiB: 64, Valid: true}, true},
		{"unit is not allowed", []string{"--max-old-space-size=1g"}, NodeHeap{Raw: "1g"}, true},
		{"decimal is not allowed", []string{"--max-old-space-size=1.5"}, NodeHeap{Raw: "1.5"}, true},
		{"empty value", []string{"--max-old-space-size="}, NodeHeap{}, true},
		{"overflow", []string{"--max-old-space-size=99999999999999999999"}, NodeHeap{Raw: "99999999999999999999"}, true},
		{"trailing flag without value", []string{"--max-old-space-size"}, NodeHeap{}, false},
		{"other flag", []string{"--max-semi-space-size=64", "--max-old-space-size-x=1"}, NodeHeap{}, false},
		{"not a flag", []string{"max-old-space-size=768"}, NodeHeap{}, false},
		{"none", nil, NodeHeap{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found := FindNodeHeap(tt.words)
			if found != tt.found {
				t.Fatalf("FindNodeHeap(%q) found = %v, want %v", tt.words, found, tt.found)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FindNodeHeap(%q) (-want +got):\n%s", tt.words, diff)
			}
		})
	}
}

func TestNodeOptionsEnd(t *testing.T) {
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"--max-old-space-size=768", "server.js", "--max-old-space-size=4096"}, 1},
		{[]string{"-r", "dotenv/config", "--max-old-space-size", "768", "dist/main.js"}, 4},
		{[]string{"--inspect", "--enable-source-maps"}, 2},
		{[]string{"-e", "console.log(1)", "--max-old-space-size=1"}, 0},
		{[]string{"--", "app.js"}, 0},
		{nil, 0},
	}
	for _, tt := range tests {
		if got := NodeOptionsEnd(tt.args); got != tt.want {
			t.Errorf("NodeOptionsEnd(%q) = %d, want %d", tt.args, got, tt.want)
		}
	}
}

func FuzzFindNodeHeap(f *testing.F) {
	for _, s := range []string{"768", "+64", "1g", "1.5", "", "99999999999999999999", "-1", "0", "8796093022207"} {
		f.Add("--max-old-space-size=" + s)
		f.Add("--max_old_space_size " + s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words := splitSpaces(line)
		h, found := FindNodeHeap(words)
		if !found {
			return
		}
		if h.Index < 0 || h.Index >= len(words) {
			t.Fatalf("Index %d out of range for %q", h.Index, words)
		}
		if !h.Valid {
			return
		}
		if h.MiB < 0 || h.Bytes() < 0 {
			t.Fatalf("negative size %d MiB from %q", h.MiB, h.Raw)
		}
		// Round trip: the value written back in decimal parses to the same size.
		back, ok := ParseNodeMiB(strconv.FormatInt(h.MiB, 10))
		if !ok || back != h.MiB {
			t.Fatalf("round trip of %d: got %d, %v", h.MiB, back, ok)
		}
	})
}

func splitSpaces(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return out
}
