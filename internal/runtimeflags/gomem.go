package runtimeflags

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// ErrGoMemLimit is returned for a GOMEMLIMIT the Go runtime rejects: the
// program aborts at start with "malformed GOMEMLIMIT".
var ErrGoMemLimit = errors.New("malformed GOMEMLIMIT: Go accepts a whole number of bytes with an optional B, KiB, MiB, GiB or TiB suffix, or off")

// ParseGoMemLimit reads GOMEMLIMIT exactly as the Go runtime does
// (runtime.readGOMEMLIMIT and runtime.parseByteCount): "" and "off" mean no
// limit; otherwise a non-negative decimal integer (an optional sign, no
// fraction, no exponent, no spaces) followed by nothing, B, KiB, MiB, GiB
// or TiB. Decimal units (KB, MB, G) and Kubernetes units (Mi, Gi) are
// rejected.
func ParseGoMemLimit(s string) (bytes int64, off bool, err error) {
	if s == "" || s == "off" {
		return math.MaxInt64, true, nil
	}
	num, mult := s, int64(1)
	if strings.HasSuffix(s, "B") {
		num = s[:len(s)-1]
		for i, unit := range []string{"Ki", "Mi", "Gi", "Ti"} {
			if n, ok := strings.CutSuffix(num, unit); ok {
				num, mult = n, int64(1)<<(10*(i+1))
				break
			}
		}
	}
	// A suffix must follow a digit: "MiB" alone, "5KB" and "B" all fail,
	// as they do in parseByteCount.
	if num == "" || num[len(num)-1] < '0' || num[len(num)-1] > '9' {
		return 0, false, ErrGoMemLimit
	}
	n, perr := strconv.ParseInt(num, 10, 64)
	// Go checks the product against MaxUint64, then MaxInt64: for
	// non-negative n that is n*mult <= MaxInt64.
	if perr != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, false, ErrGoMemLimit
	}
	return n * mult, false, nil
}

// FormatGoMemLimit writes bytes in GOMEMLIMIT syntax with the largest unit
// that keeps it exact: 1GiB, 870MiB, 1536KiB, 1000.
func FormatGoMemLimit(bytes int64) string {
	for i, unit := range []string{"TiB", "GiB", "MiB", "KiB"} {
		size := int64(1) << (10 * (4 - i))
		if bytes >= size && bytes%size == 0 {
			return strconv.FormatInt(bytes/size, 10) + unit
		}
	}
	return strconv.FormatInt(bytes, 10)
}

// SuggestGoMemLimit returns the GOMEMLIMIT a person most likely meant by a
// value Go rejects, in Go's syntax, or "" when there is no good guess:
// 2G → 2GiB, 512MB → 512MiB, 512Mi → 512MiB, 1.5GiB → 1536MiB.
func SuggestGoMemLimit(raw string) string {
	s := strings.ReplaceAll(strings.TrimSpace(raw), " ", "")
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.ToLower(s[i:])
	shift := map[string]uint{
		"": 0, "b": 0,
		"k": 10, "kb": 10, "ki": 10, "kib": 10,
		"m": 20, "mb": 20, "mi": 20, "mib": 20,
		"g": 30, "gb": 30, "gi": 30, "gib": 30,
		"t": 40, "tb": 40, "ti": 40, "tib": 40,
	}
	sh, ok := shift[unit]
	if !ok || num == "" || strings.Count(num, ".") > 1 || len(num) > 15 {
		return ""
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return ""
	}
	bytes := f * float64(uint64(1)<<sh)
	if bytes < 1 || bytes >= math.MaxInt64/2 {
		return ""
	}
	return FormatGoMemLimit(int64(bytes))
}
