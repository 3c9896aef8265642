// Package quantity classifies Kubernetes memory quantities: whether they
// parse, and whether their unit is the one a person most likely meant.
package quantity

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Class says what kind of unit a memory quantity was written with.
type Class int

// The classes, from fine to suspicious.
const (
	Invalid Class = iota // does not parse as a Kubernetes quantity
	Binary               // Ki, Mi, Gi, Ti, Pi, Ei: what memory is normally written in
	Decimal              // k, M, G, T, P, E or an exponent: powers of ten, rarely meant
	Bare                 // a plain number of bytes
	SubByte              // m, u, n: fractions of a byte, always a mistake for memory
)

func (c Class) String() string {
	switch c {
	case Binary:
		return "binary"
	case Decimal:
		return "decimal"
	case Bare:
		return "bare"
	case SubByte:
		return "sub-byte"
	case Invalid:
		return "invalid"
	}
	return "unknown"
}

// Info is a classified quantity.
type Info struct {
	Raw      string
	Class    Class
	Quantity resource.Quantity // zero when Class is Invalid
	Suffix   string            // the unit suffix as written ("Mi", "m", "" …)
	Err      error             // why it does not parse, when Class is Invalid
}

// Bytes is the quantity in whole bytes, rounded up as the kubelet does, and
// clamped to int64: beyond it apimachinery's Value wraps (1e19 is negative).
func (i Info) Bytes() int64 {
	switch f := i.Exact(); {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return i.Quantity.Value()
}

// Exact is the quantity in bytes as a float, keeping fractions of a byte.
func (i Info) Exact() float64 { return i.Quantity.AsApproximateFloat64() }

// shared holds one Info per value as written: a repository writes the same
// few values (512Mi, 1Gi) thousands of times, and Infos never change.
var shared sync.Map // string → *Info

// Shared is Classify's result for raw, one copy per distinct value.
func Shared(raw string) *Info {
	if v, ok := shared.Load(raw); ok {
		return v.(*Info)
	}
	info := Classify(raw)
	if len(raw) > 64 {
		return &info // odd values are not worth keeping
	}
	v, _ := shared.LoadOrStore(raw, &info)
	return v.(*Info)
}

// Classify parses raw the way the API server does (surrounding white space
// trimmed, as Quantity.UnmarshalJSON does) and says what unit it used.
func Classify(raw string) Info {
	info := Info{Raw: raw}
	q, err := Parse(raw)
	if err != nil {
		info.Class = Invalid
		info.Err = err
		return info
	}
	info.Quantity = q
	info.Suffix = suffix(raw)
	switch {
	case strings.HasSuffix(info.Suffix, "i"):
		info.Class = Binary
	case info.Suffix == "m" || info.Suffix == "u" || info.Suffix == "n":
		info.Class = SubByte
	case info.Suffix == "":
		info.Class = Bare
	default: // k M G T P E, or an e/E exponent
		info.Class = Decimal
	}
	return info
}

// Parse is the one way oomlint parses a quantity: as the API server does
// (surrounding white space trimmed), but refusing, before apimachinery
// sees them, values too long or with too large an exponent (it takes
// minutes over 1e-99999999), and afterwards values beyond ±(2^63-1), which
// no memory size reaches and which apimachinery's Value wraps.
func Parse(raw string) (resource.Quantity, error) {
	s := strings.TrimSpace(raw)
	if len(s) > maxLen || hugeExponent(s) {
		return resource.Quantity{}, ErrOutOfRange
	}
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return resource.Quantity{}, err
	}
	if q.Cmp(maxQuantity) > 0 || q.Cmp(minQuantity) < 0 {
		return resource.Quantity{}, ErrOutOfRange
	}
	return q, nil
}

var (
	maxQuantity = *resource.NewQuantity(math.MaxInt64, resource.DecimalSI)
	minQuantity = *resource.NewQuantity(math.MinInt64, resource.DecimalSI)
)

// ErrOutOfRange reports a quantity too long, with too large an exponent, or
// too large in magnitude to be a memory size.
var ErrOutOfRange = errors.New("out of range: a quantity must be at most 2^63-1 (8Ei) in magnitude, with an exponent of at most three digits")

const maxLen = 64

// hugeExponent reports an exponent of more than three digits.
func hugeExponent(s string) bool {
	i := strings.LastIndexAny(s, "eE")
	return i >= 0 && len(strings.TrimLeft(s[i+1:], "+-0")) > 3
}

// suffix returns the trailing unit of a quantity string that has parsed.
func suffix(raw string) string {
	s := strings.TrimSpace(raw)
	i := len(s)
	for i > 0 {
		c := s[i-1]
		if (c >= '0' && c <= '9') || c == '.' {
			break
		}
		i--
	}
	suf := s[i:]
	// An exponent such as 1e9 or 5E+3 ends in digits; report it as "e".
	if suf == "" {
		if j := strings.IndexAny(s, "eE"); j > 0 {
			return s[j : j+1]
		}
	}
	return suf
}

// Format renders a byte count the way people write memory: 512Mi, 1.5Gi, 300Ki.
func Format(bytes float64) string {
	if math.IsNaN(bytes) || math.IsInf(bytes, 0) {
		// Parse keeps quantities within int64, so only arithmetic on
		// them gets here; never print "+InfEi".
		bytes = math.Copysign(math.MaxInt64, bytes)
	}
	units := []string{"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"}
	for k, u := range units {
		size := math.Pow(1024, float64(len(units)-k))
		if math.Abs(bytes) >= size {
			return trim(bytes/size) + u
		}
	}
	if bytes == math.Trunc(bytes) {
		return strconv.FormatFloat(bytes, 'f', 0, 64)
	}
	return strconv.FormatFloat(bytes, 'f', -1, 64)
}

// FormatBytes is Format for whole bytes.
func FormatBytes(bytes int64) string { return Format(float64(bytes)) }

// Round renders a byte count rounded down to whole Mi (or Ki below 1Mi), for
// fixes a person can paste.
func Round(bytes int64) string {
	const mi = 1 << 20
	switch {
	case bytes >= 1<<30 && bytes%(1<<30) == 0:
		return strconv.FormatInt(bytes>>30, 10) + "Gi"
	case bytes >= mi:
		return strconv.FormatInt(bytes/mi, 10) + "Mi"
	case bytes >= 1024:
		return strconv.FormatInt(bytes/1024, 10) + "Ki"
	}
	return strconv.FormatInt(bytes, 10)
}

func trim(f float64) string {
	s := strconv.FormatFloat(f, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}

// Plain renders the exact value of a quantity as a decimal byte count
// ("0.512", "512000000") for messages that explain a unit mistake.
func Plain(q resource.Quantity) string {
	if math.Abs(q.AsApproximateFloat64()) >= 1e24 {
		return q.String() // 9E+999999999 would spell out a billion digits
	}
	r := new(big.Rat)
	if _, ok := r.SetString(q.AsDec().String()); !ok {
		return q.String()
	}
	if r.IsInt() {
		return groupDigits(r.Num().String())
	}
	return strings.TrimRight(strings.TrimRight(r.FloatString(9), "0"), ".")
}

func groupDigits(s string) string {
	if len(s) <= 4 {
		return s
	}
	var b strings.Builder
	lead := len(s) % 3
	if lead > 0 {
		b.WriteString(s[:lead])
	}
	for i := lead; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// Suggest returns the binary-unit spelling a person most likely meant for a
// memory quantity, or "" when there is no good guess. It handles the
// mistakes seen in real manifests: 512MB, 1GB, 1K, 512 Mi, 512m, 512M, 1G.
func Suggest(raw string) string {
	s := strings.TrimSpace(raw)
	s = strings.ReplaceAll(s, " ", "")
	num, unit := splitNumber(s)
	if num == "" || strings.Count(num, ".") > 1 || len(num)+2 > maxLen {
		return ""
	}
	switch strings.ToLower(unit) {
	case "k", "kb", "kib", "ki":
		return num + "Ki"
	case "m", "mb", "mib", "mi":
		return num + "Mi"
	case "g", "gb", "gib", "gi":
		return num + "Gi"
	case "t", "tb", "tib", "ti":
		return num + "Ti"
	case "", "b":
		return num + "Mi"
	}
	return ""
}

func splitNumber(s string) (num, unit string) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	return s[:i], s[i:]
}

// Percent renders part/whole as a percentage for messages ("75%", "100%").
func Percent(part, whole float64) string {
	if whole == 0 {
		return "∞%"
	}
	p := part / whole * 100
	if p == math.Trunc(p) {
		return fmt.Sprintf("%.0f%%", p)
	}
	return fmt.Sprintf("%.1f%%", p)
}
