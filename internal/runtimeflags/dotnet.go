package runtimeflags

import (
	"math/bits"
	"strings"
)

// ParseDotnetHex reads a GC setting from the environment the way the CLR
// does (GCToEEInterface::GetIntConfigValue: u16_strtoui64(value, &end, 16)):
// the value is hexadecimal whether or not it starts with 0x, so
// DOTNET_GCHeapHardLimit=40000000 is 0x40000000, 1GiB, and
// DOTNET_GCHeapHardLimitPercent=90 is 0x90, 144. Leading spaces and a + are
// skipped, and parsing stops at the first character that is not a hex
// digit (1Gi reads as 1). No digits, or a value above 64 bits, and the CLR
// treats the setting as unset. A minus sign makes strtoull wrap around;
// that is reported as not ok, since no one means it.
func ParseDotnetHex(s string) (uint64, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	s = strings.TrimPrefix(s, "+")
	if strings.HasPrefix(s, "-") {
		return 0, false
	}
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") && hexDigit(s[2]) >= 0 {
		s = s[2:]
	}
	var v uint64
	n := 0
	for ; n < len(s); n++ {
		d := hexDigit(s[n])
		if d < 0 {
			break
		}
		hi, lo := bits.Mul64(v, 16)
		if hi != 0 || lo+uint64(d) < lo {
			return 0, false // ERANGE
		}
		v = lo + uint64(d)
	}
	return v, n > 0
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// HexWithoutPrefix reports whether a value is read as hex although it does
// not say so: no 0x, and only decimal digits (40000000, 90), which people
// easily read as decimal.
func HexWithoutPrefix(s string) bool {
	s = strings.TrimPrefix(strings.TrimSpace(s), "+")
	if s == "" || strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
