package runtimeflags

import (
	"strconv"
	"testing"
)

func TestParseDotnetHex(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0x40000000", 1 << 30, true},
		{"0X40000000", 1 << 30, true},
		{"40000000", 1 << 30, true}, // hex without 0x
		{"0x5A", 90, true},
		{"5a", 90, true},
		{"90", 0x90, true},
		{"1073741824", 0x1073741824, true}, // meant decimal, read as hex
		{"  +0x10", 16, true},
		{"1Gi", 1, true}, // stops at the first non-hex character
		{"0xZ", 0, true}, // strtoull reads the 0 and stops at x
		{"0", 0, true},
		{"FFFFFFFFFFFFFFFF", 1<<64 - 1, true},
		{"10000000000000000", 0, false}, // 65 bits: ERANGE
		{"", 0, false},
		{"G", 0, false},
		{"0x", 0, true},
		{"-1", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseDotnetHex(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseDotnetHex(%q) = %#x, %v; want %#x, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestHexWithoutPrefix(t *testing.T) {
	tests := map[string]bool{"40000000": true, "90": true, "0x5A": false, "5A": false, "": false, "0X10": false}
	for in, want := range tests {
		if got := HexWithoutPrefix(in); got != want {
			t.Errorf("HexWithoutPrefix(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParseDotnetHex(f *testing.F) {
	for _, s := range []string{"0x40000000", "40000000", "5A", "90", "1Gi", "-1", "", "FFFFFFFFFFFFFFFF"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := ParseDotnetHex(s)
		if !ok {
			return
		}
		back, ok := ParseDotnetHex("0x" + strconv.FormatUint(v, 16))
		if !ok || back != v {
			t.Fatalf("round trip of %#x from %q: %#x, %v", v, s, back, ok)
		}
	})
}
