package quantity_test

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/oomlint/oomlint/internal/quantity"
)

var classifyTests = []struct {
	in     string
	class  quantity.Class
	suffix string
	bytes  int64 // rounded up, as the kubelet does
}{
	{"512Mi", quantity.Binary, "Mi", 512 << 20},
	{"1Gi", quantity.Binary, "Gi", 1 << 30},
	{"1.5Gi", quantity.Binary, "Gi", 3 << 29},
	{"1Ki", quantity.Binary, "Ki", 1024},
	{"512m", quantity.SubByte, "m", 1},
	{"100u", quantity.SubByte, "u", 1},
	{"2n", quantity.SubByte, "n", 1},
	{"512M", quantity.Decimal, "M", 512_000_000},
	{"1G", quantity.Decimal, "G", 1_000_000_000},
	{"1k", quantity.Decimal, "k", 1000},
	{"1E", quantity.Decimal, "E", 1_000_000_000_000_000_000},
	{"1e9", quantity.Decimal, "e", 1_000_000_000},
	{"5E+3", quantity.Decimal, "E", 5000},
	{"0.5", quantity.Bare, "", 1},
	{"512", quantity.Bare, "", 512},
	{"536870912", quantity.Bare, "", 512 << 20},
	{"0", quantity.Bare, "", 0},
	{"9223372036854775807", quantity.Bare, "", math.MaxInt64},
	{"8Ei", quantity.Binary, "Ei", math.MaxInt64}, // 2^63 is 1 past int64: clamped, not wrapped
	// Beyond ±(2^63-1) no memory size reaches and apimachinery's Value
	// wraps: out of range, as is an exponent of more than three digits.
	{"10000000000000000000", quantity.Invalid, "", 0},
	{"1e400", quantity.Invalid, "", 0},
	{"1e999", quantity.Invalid, "", 0},
	{"-20E", quantity.Invalid, "", 0},
	// The API server trims the JSON string before parsing; so do we.
	{" 512Mi", quantity.Binary, "Mi", 512 << 20},
	{"512Mi\t", quantity.Binary, "Mi", 512 << 20},
	{"512MB", quantity.Invalid, "", 0},
	{"1K", quantity.Invalid, "", 0},
	{"512 Mi", quantity.Invalid, "", 0},
	{"1e3Mi", quantity.Invalid, "", 0},
	{" ", quantity.Invalid, "", 0},
	{"abc", quantity.Invalid, "", 0},
	{"", quantity.Invalid, "", 0},
	{"1e-99999999", quantity.Invalid, "", 0}, // apimachinery would take half a minute
	{"1e1000", quantity.Invalid, "", 0},
	{"1" + strings.Repeat("0", 64), quantity.Invalid, "", 0},
}

func TestClassify(t *testing.T) {
	type result struct {
		Class  quantity.Class
		Suffix string
		Bytes  int64
		Err    bool
	}
	for _, tt := range classifyTests {
		info := quantity.Classify(tt.in)
		got := result{info.Class, info.Suffix, info.Bytes(), info.Err != nil}
		want := result{tt.class, tt.suffix, tt.bytes, tt.class == quantity.Invalid}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Classify(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
		if info.Raw != tt.in {
			t.Errorf("Classify(%q).Raw = %q", tt.in, info.Raw)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want string // canonical form; "" for an error
	}{
		{"512Mi", "512Mi"},
		{" 1Gi ", "1Gi"},
		{"8Ei", "9223372036854775807"}, // apimachinery caps binary quantities at 2^63-1
		{"1e9", "1e9"},
		{"1e-99999999", ""}, // minutes in apimachinery: refused before it
		{"1e400", ""},
		{"-1e19", ""},
		{"512MB", ""},
	}
	for _, tt := range tests {
		q, err := quantity.Parse(tt.in)
		got := ""
		if err == nil {
			got = q.String()
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %q (%v), want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestExact(t *testing.T) {
	for in, want := range map[string]float64{"512m": 0.512, "512Mi": 512 << 20, "2n": 2e-9, "abc": 0} {
		if got := quantity.Classify(in).Exact(); got != want {
			t.Errorf("Classify(%q).Exact() = %v, want %v", in, got, want)
		}
	}
}

var suggestTests = []struct{ in, want string }{
	{"512MB", "512Mi"},
	{"1GB", "1Gi"},
	{"2gb", "2Gi"},
	{"1K", "1Ki"},
	{"1kb", "1Ki"},
	{"512 Mi", "512Mi"},
	{" 512Mi ", "512Mi"},
	{"512m", "512Mi"},
	{"512M", "512Mi"},
	{"1G", "1Gi"},
	{"1.5G", "1.5Gi"},
	{"1TB", "1Ti"},
	{"512", "512Mi"},
	{"512b", "512Mi"},
	{"abc", ""},
	{"", ""},
	{"Mi", ""},
	{"1e9", ""},
	{"100u", ""},
	{"1.2.3M", ""},
}

func TestSuggest(t *testing.T) {
	for _, tt := range suggestTests {
		if got := quantity.Suggest(tt.in); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{1023, "1023"},
		{0.512, "0.512"},
		{1024, "1Ki"},
		{1536, "1.5Ki"},
		{512 << 20, "512Mi"},
		{1 << 30, "1Gi"},
		{3 << 29, "1.5Gi"},
		{1_000_000_000, "953.7Mi"},
		{-1024, "-1Ki"},
		{1 << 60, "1Ei"},
		{math.Inf(1), "8Ei"}, // never "+InfEi"
		{math.Inf(-1), "-8Ei"},
	}
	for _, tt := range tests {
		if got := quantity.Format(tt.in); got != tt.want {
			t.Errorf("Format(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := quantity.FormatBytes(16 << 20); got != "16Mi" {
		t.Errorf("FormatBytes(16Mi) = %q, want 16Mi", got)
	}
}

func TestRound(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0"},
		{1023, "1023"},
		{1024, "1Ki"},
		{1<<20 - 1, "1023Ki"},
		{1 << 20, "1Mi"},
		{1<<20 + 1, "1Mi"},
		{640 << 20, "640Mi"},
		{3 << 29, "1536Mi"}, // 1.5Gi is not whole Gi
		{1 << 30, "1Gi"},
		{3 << 30, "3Gi"},
	}
	for _, tt := range tests {
		if got := quantity.Round(tt.in); got != tt.want {
			t.Errorf("Round(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPlain(t *testing.T) {
	tests := []struct{ in, want string }{
		{"512m", "0.512"},
		{"100u", "0.0001"},
		{"2n", "0.000000002"},
		{"1.5", "1.5"},
		{"0", "0"},
		{"512", "512"},
		{"1k", "1000"},
		{"1Ki", "1024"},
		{"10k", "10,000"},
		{"512M", "512,000,000"},
		{"1e9", "1,000,000,000"},
		{"9E+999999999", "9E+999999999"}, // not a billion digits
	}
	for _, tt := range tests {
		if got := quantity.Plain(resource.MustParse(tt.in)); got != tt.want {
			t.Errorf("Plain(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPercent(t *testing.T) {
	tests := []struct {
		part, whole float64
		want        string
	}{
		{3, 4, "75%"},
		{1, 1, "100%"},
		{2, 1, "200%"},
		{1, 3, "33.3%"},
		{0, 1, "0%"},
		{1, 0, "∞%"},
	}
	for _, tt := range tests {
		if got := quantity.Percent(tt.part, tt.whole); got != tt.want {
			t.Errorf("Percent(%v, %v) = %q, want %q", tt.part, tt.whole, got, tt.want)
		}
	}
}

func TestClassString(t *testing.T) {
	got := []string{quantity.Invalid.String(), quantity.Binary.String(), quantity.Decimal.String(),
		quantity.Bare.String(), quantity.SubByte.String(), quantity.Class(99).String()}
	want := []string{"invalid", "binary", "decimal", "bare", "sub-byte", "unknown"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Class.String mismatch (-want +got):\n%s", diff)
	}
}

func FuzzClassify(f *testing.F) {
	for _, tt := range classifyTests {
		f.Add(tt.in)
	}
	for _, tt := range suggestTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		info := quantity.Classify(in)
		_ = quantity.Format(info.Exact())
		_ = quantity.Round(info.Bytes())
		// Negative sizes are left out: the API server rejects them, and
		// apimachinery rounds -1e-10 to +1.
		if exact, bytes := info.Exact(), info.Bytes(); exact > 0 && bytes <= 0 {
			t.Fatalf("Classify(%q) is %g bytes exactly but Bytes() = %d", in, exact, bytes)
		}
		if info.Class != quantity.Invalid {
			_ = quantity.Plain(info.Quantity)
		}
		// Beyond int64, apimachinery's String() is lossy (1e30 prints as "1").
		// Compare as floats: Cmp on 9E+999999999 computes a billion digits.
		inRange := math.Abs(info.Exact()) < math.MaxInt64
		if info.Class != quantity.Invalid && inRange {
			s := info.Quantity.String()
			again, err := resource.ParseQuantity(s)
			if err != nil {
				t.Fatalf("Classify(%q): String() %q does not parse: %v", in, s, err)
			}
			if again.Cmp(info.Quantity) != 0 {
				t.Fatalf("Classify(%q): String() %q parses to %s", in, s, again.String())
			}
		}
		if s := quantity.Suggest(in); s != "" {
			if c := quantity.Classify(s).Class; c != quantity.Binary {
				t.Fatalf("Suggest(%q) = %q, which classifies as %v, not binary", in, s, c)
			}
		}
	})
}
