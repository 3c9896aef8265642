package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The README shows real output of `oomlint examples/`. These tests run the
// command on examples/ and compare, so the samples cannot drift from what
// oomlint prints.

const sampleCommand = "$ go build -o oomlint ./cmd/oomlint && ./oomlint examples/"

// readmeBlock returns the lines of the first fenced block after heading.
func readmeBlock(t *testing.T, readme, heading string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", heading)
	}
	_, rest, ok = strings.Cut(rest, "```")
	if !ok {
		t.Fatalf("README.md %s: no fenced block", heading)
	}
	_, rest, _ = strings.Cut(rest, "\n") // the info string
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatalf("README.md %s: the fenced block is not closed", heading)
	}
	return strings.Split(strings.TrimSuffix(block, "\n"), "\n")
}

// runExamples runs oomlint on examples/ from the module root, as the README does.
func runExamples(t *testing.T, args ...string) (readme, stdout string) {
	t.Helper()
	t.Chdir("../..")
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	r := oomlint(t, nil, append(args, "examples/")...)
	if r.code == exitUsage {
		t.Fatalf("oomlint %s examples/: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return string(data), r.stdout
}

// TestReadmeSampleOutput checks that "## Sample output" is, byte for byte,
// what `oomlint examples/` prints.
func TestReadmeSampleOutput(t *testing.T) {
	readme, got := runExamples(t)
	lines := readmeBlock(t, readme, "## Sample output")
	if len(lines) == 0 || lines[0] != sampleCommand {
		t.Fatalf("README.md sample output does not start with %q", sampleCommand)
	}
	want := strings.Join(lines[1:], "\n") + "\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README.md \"## Sample output\" differs from `oomlint examples/` (-README +real):\n%s", diff)
	}
}

// TestReadmeJSONOutput checks that the finding the "## JSON output" section
// shows is one `oomlint --format json examples/` reports, field for field,
// and that its summary is the real one.
func TestReadmeJSONOutput(t *testing.T) {
	readme, out := runExamples(t, "--format", "json")
	type document struct {
		Findings []map[string]any `json:"findings"`
		Summary  map[string]any   `json:"summary"`
	}
	var sample, actual document
	if err := json.Unmarshal([]byte(strings.Join(readmeBlock(t, readme, "## JSON output"), "\n")), &sample); err != nil {
		t.Fatalf("README.md JSON output: %v", err)
	}
	if err := json.Unmarshal([]byte(out), &actual); err != nil {
		t.Fatalf("oomlint --format json: %v", err)
	}
	if len(sample.Findings) == 0 {
		t.Fatal("README.md JSON output shows no finding")
	}
	for _, want := range sample.Findings {
		var diffs []string
		found := false
		for _, got := range actual.Findings {
			if got["rule"] != want["rule"] || got["file"] != want["file"] || got["line"] != want["line"] {
				continue
			}
			if d := cmp.Diff(want, got); d != "" {
				diffs = append(diffs, d)
				continue
			}
			found = true
			break
		}
		if !found {
			t.Errorf("README.md JSON output: %s at %s:%v is not in the real output (-README +real):\n%s",
				want["rule"], want["file"], want["line"], strings.Join(diffs, "\n"))
		}
	}
	if diff := cmp.Diff(sample.Summary, actual.Summary); diff != "" {
		t.Errorf("README.md JSON output summary differs from the real one (-README +real):\n%s", diff)
	}
	// The note under the sample names how many findings the real document lists.
	if m := listsAll.FindStringSubmatch(readme); m != nil {
		if n, ok := numberWords[m[1]]; !ok || n != len(actual.Findings) {
			t.Errorf("README.md JSON output says the real document lists all %s findings; it lists %d", m[1], len(actual.Findings))
		}
	}
}

var listsAll = regexp.MustCompile(`the real document lists all (\w+)`)

var numberWords = map[string]int{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
	"eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
	"eighteen": 18, "nineteen": 19, "twenty": 20,
}
