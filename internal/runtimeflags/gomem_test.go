package runtimeflags

import (
	"errors"
	"math"
	"strconv"
	"testing"
)

func TestParseGoMemLimit(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		off     bool
		wantErr bool
	}{
		{in: "", want: math.MaxInt64, off: true},
		{in: "off", want: math.MaxInt64, off: true},
		{in: "0", want: 0},
		{in: "1073741824", want: 1 << 30},
		{in: "512B", want: 512},
		{in: "64KiB", want: 64 << 10},
		{in: "870MiB", want: 870 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "2TiB", want: 2 << 40},
		{in: "+512MiB", want: 512 << 20}, // strconv.ParseInt takes a sign
		{in: "-0", want: 0},
		{in: "8388607TiB", want: 8388607 << 40},
		{in: "8388608TiB", wantErr: true}, // overflows int64
		{in: "OFF", wantErr: true},
		{in: "2G", wantErr: true},
		{in: "512MB", wantErr: true},
		{in: "1.5GiB", wantErr: true},
		{in: "512Mi", wantErr: true},
		{in: "1Gi", wantErr: true},
		{in: "512mib", wantErr: true},
		{in: "512MIB", wantErr: true},
		{in: "512 MiB", wantErr: true},
		{in: " 512MiB", wantErr: true},
		{in: "1e9", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "-1MiB", wantErr: true},
		{in: "MiB", wantErr: true},
		{in: "B", wantErr: true},
		{in: "iB", wantErr: true},
		{in: "5iB", wantErr: true},
		{in: "1PiB", wantErr: true},
		{in: "1_000", wantErr: true},
		{in: "0x10", wantErr: true},
	}
	for _, tt := range tests {
		got, off, err := ParseGoMemLimit(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ErrGoMemLimit) {
				t.Errorf("ParseGoMemLimit(%q) = %d, %v, %v; want ErrGoMemLimit", tt.in, got, off, err)
			}
			continue
		}
		if err != nil || got != tt.want || off != tt.off {
			t.Errorf("ParseGoMemLimit(%q) = %d, %v, %v; want %d, %v, nil", tt.in, got, off, err, tt.want, tt.off)
		}
		if want, ok := goParseByteCount(tt.in); !tt.off && (!ok || want != got) {
			t.Errorf("ParseGoMemLimit(%q) = %d; Go's parser says %d, %v", tt.in, got, want, ok)
		}
	}
}

func TestSuggestGoMemLimit(t *testing.T) {
	tests := map[string]string{
		"2G": "2GiB", "512MB": "512MiB", "512Mi": "512MiB", "1Gi": "1GiB", "1.5GiB": "1536MiB",
		"512 MiB": "512MiB", "512mib": "512MiB", "64k": "64KiB", "1.5": "1", "abc": "", "1PB": "", "": "", "1.2.3G": "",
	}
	for in, want := range tests {
		got := SuggestGoMemLimit(in)
		if got != want {
			t.Errorf("SuggestGoMemLimit(%q) = %q, want %q", in, got, want)
		}
		if got != "" {
			if _, _, err := ParseGoMemLimit(got); err != nil {
				t.Errorf("SuggestGoMemLimit(%q) = %q, which Go rejects", in, got)
			}
		}
	}
}

func TestFormatGoMemLimit(t *testing.T) {
	tests := map[int64]string{
		0: "0", 1000: "1000", 1024: "1KiB", 1536 << 10: "1536KiB", 870 << 20: "870MiB", 1 << 30: "1GiB", 3 << 40: "3TiB",
	}
	for in, want := range tests {
		if got := FormatGoMemLimit(in); got != want {
			t.Errorf("FormatGoMemLimit(%d) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseGoMemLimit checks ParseGoMemLimit against a copy of the Go
// runtime's own parser, and that formatting round-trips.
func FuzzParseGoMemLimit(f *testing.F) {
	for _, s := range []string{"", "off", "0", "1073741824", "512B", "64KiB", "870MiB", "1GiB", "2TiB", "+512MiB", "-0",
		"8388608TiB", "2G", "512MB", "1.5GiB", "512Mi", "512 MiB", "1e9", "-1", "MiB", "B", "5iB", "0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, off, err := ParseGoMemLimit(s)
		if s == "" || s == "off" {
			if !off || err != nil {
				t.Fatalf("ParseGoMemLimit(%q) = %d, %v, %v; want off", s, got, off, err)
			}
			return
		}
		want, ok := goParseByteCount(s)
		if ok != (err == nil) || (ok && want != got) {
			t.Fatalf("ParseGoMemLimit(%q) = %d, %v; Go's parser says %d, %v", s, got, err, want, ok)
		}
		if err != nil {
			return
		}
		back, _, err := ParseGoMemLimit(FormatGoMemLimit(got))
		if err != nil || back != got {
			t.Fatalf("round trip of %d via %q: %d, %v", got, FormatGoMemLimit(got), back, err)
		}
	})
}

// goParseByteCount is the Go runtime's parseByteCount
// (src/runtime/string.go, Go 1.26), copied as the reference the parser
// must agree with. Copyright 2014 The Go Authors; BSD-style license.
func goParseByteCount(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	last := s[len(s)-1]
	if last >= '0' && last <= '9' {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, false
		}
		return n, true
	}
	if last != 'B' || len(s) < 2 {
		return 0, false
	}
	if c := s[len(s)-2]; c >= '0' && c <= '9' {
		n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
		if err != nil || n < 0 {
			return 0, false
		}
		return n, true
	} else if c != 'i' {
		return 0, false
	}
	if len(s) < 4 {
		return 0, false
	}
	var power int
	switch s[len(s)-3] {
	case 'K':
		power = 1
	case 'M':
		power = 2
	case 'G':
		power = 3
	case 'T':
		power = 4
	default:
		return 0, false
	}
	m := uint64(1)
	for range power {
		m *= 1024
	}
	n, err := strconv.ParseInt(s[:len(s)-3], 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	un := uint64(n)
	if un > math.MaxUint64/m {
		return 0, false
	}
	un *= m
	if un > uint64(math.MaxInt64) {
		return 0, false
	}
	return int64(un), true
}
