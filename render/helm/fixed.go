package helm

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/rand/v2"
	"strings"
	"text/template"
	"time"
)

// FixedTime is what `now` returns in a chart render: 2000-01-01T00:00:00Z.
// A fixed instant, not the Unix epoch, so a chart that computes a date from
// it (now | dateModify "-24h") still gets a plausible one.
var FixedTime = time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)

// fixedFuncs are deterministic stand-ins for the sprig functions whose
// output changes from run to run. Random values are drawn from a generator
// seeded from the chart and release name, the template being rendered and
// the call's place among that template's calls, so one template gaining a
// call does not change another's values, and rendering twice gives the
// same bytes.
type fixedFuncs struct {
	seed string // chart and release name
	tmpl string // the template being rendered
	n    int    // calls so far in tmpl
}

// start begins the render of one template.
func (f *fixedFuncs) start(tmpl string) { f.tmpl, f.n = tmpl, 0 }

// source is the seeded stream of the next call. It is deliberately not
// a secure source: the point is to give the same values every run.
func (f *fixedFuncs) source() *rand.ChaCha8 {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d", f.seed, f.tmpl, f.n)
	f.n++
	var key [32]byte
	copy(key[:], h.Sum(nil))
	return rand.NewChaCha8(key)
}

// rand is the generator for the next call.
func (f *fixedFuncs) rand() *rand.Rand {
	return rand.New(f.source()) //nolint:gosec // G404: renders must repeat, so the generator is seeded on purpose
}

func (f *fixedFuncs) bytes(n int) []byte {
	out := make([]byte, n)
	_, _ = f.source().Read(out) // never fails
	return out
}

const (
	alphaChars   = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	numericChars = "0123456789"
)

func (f *fixedFuncs) chars(count int, set string) string {
	if count <= 0 {
		return ""
	}
	r := f.rand()
	var b strings.Builder
	for range count {
		b.WriteByte(set[r.IntN(len(set))])
	}
	return b.String()
}

// asciiChars are the printable ASCII characters randAscii draws from.
func asciiChars() string {
	var b strings.Builder
	for c := byte(32); c <= 126; c++ {
		b.WriteByte(c)
	}
	return b.String()
}

// funcs are the stand-ins, by the sprig names they replace.
func (f *fixedFuncs) funcs() template.FuncMap {
	ascii := asciiChars()
	return template.FuncMap{
		"randAlphaNum": func(n int) string { return f.chars(n, alphaChars+numericChars) },
		"randAlpha":    func(n int) string { return f.chars(n, alphaChars) },
		"randNumeric":  func(n int) string { return f.chars(n, numericChars) },
		"randAscii":    func(n int) string { return f.chars(n, ascii) },
		"randInt":      func(lo, hi int) int { return f.rand().IntN(hi-lo) + lo },
		"randBytes": func(n int) (string, error) {
			return base64.StdEncoding.EncodeToString(f.bytes(max(n, 0))), nil
		},
		"shuffle":        f.shuffle,
		"uuidv4":         f.uuid,
		"now":            func() time.Time { return FixedTime },
		"ago":            func(d any) string { return FixedTime.Sub(toTime(d)).Round(time.Second).String() },
		"date":           func(layout string, d any) string { return formatTime(layout, d, "UTC") },
		"htmlDate":       func(d any) string { return formatTime("2006-01-02", d, "UTC") },
		"dateInZone":     formatTime,
		"htmlDateInZone": func(d any, zone string) string { return formatTime("2006-01-02", d, zone) },
		"genPrivateKey":  f.privateKey,
		"bcrypt":         f.bcrypt,
		"htpasswd": func(user, password string) string {
			if strings.Contains(user, ":") {
				return "invalid username: " + user
			}
			return user + ":" + f.bcrypt(password)
		},
		"encryptAES":        f.encryptAES,
		"genCA":             func(cn string, days int) (fixedCert, error) { return f.cert("CA", cn), nil },
		"genCAWithKey":      func(cn string, days int, key string) (fixedCert, error) { return f.certWithKey("CA", cn, key), nil },
		"genSelfSignedCert": func(cn string, ips, dns any, days int) (fixedCert, error) { return f.cert("self-signed", cn), nil },
		"genSelfSignedCertWithKey": func(cn string, ips, dns any, days int, key string) (fixedCert, error) {
			return f.certWithKey("self-signed", cn, key), nil
		},
		"genSignedCert": func(cn string, ips, dns any, days int, ca any) (fixedCert, error) { return f.cert("signed", cn), nil },
		"genSignedCertWithKey": func(cn string, ips, dns any, days int, ca any, key string) (fixedCert, error) {
			return f.certWithKey("signed", cn, key), nil
		},
	}
}

func (f *fixedFuncs) shuffle(s string) string {
	rs := []rune(s)
	f.rand().Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
	return string(rs)
}

// uuid is a version 4 UUID from the seeded generator.
func (f *fixedFuncs) uuid() string {
	b := f.bytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// privateKey is a PEM block of the type sprig's genPrivateKey writes. Its
// body is seeded bytes, not a usable key: a render only needs the shape,
// and Go ignores custom random sources in key generation.
func (f *fixedFuncs) privateKey(typ string) string {
	kinds := map[string]string{"rsa": "RSA PRIVATE KEY", "dsa": "DSA PRIVATE KEY", "ecdsa": "EC PRIVATE KEY", "ed25519": "PRIVATE KEY"}
	kind, ok := kinds[typ]
	if !ok {
		return "Unknown type " + typ
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: f.bytes(64)}))
}

// bcrypt is a string shaped like a bcrypt hash ($2a$10$ and 53 characters).
func (f *fixedFuncs) bcrypt(string) string {
	const b64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	return "$2a$10$" + f.chars(53, b64)
}

// encryptAES is sprig's AES-CBC encryption with a seeded IV, so
// decryptAES still reads it back.
func (f *fixedFuncs) encryptAES(password, plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	key := make([]byte, 32)
	copy(key, password)
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	content := []byte(plaintext)
	padding := block.BlockSize() - len(content)%block.BlockSize()
	content = append(content, bytes.Repeat([]byte{byte(padding)}, padding)...) //nolint:gosec // G115: padding is 1 to 16
	out := make([]byte, aes.BlockSize+len(content))
	copy(out, f.bytes(aes.BlockSize))
	cipher.NewCBCEncrypter(block, out[:aes.BlockSize]).CryptBlocks(out[aes.BlockSize:], content)
	return base64.StdEncoding.EncodeToString(out), nil
}

// fixedCert is what genCA and the genXxxCert functions return: PEM text
// in the fields templates read (.Cert, .Key), seeded, not usable.
type fixedCert struct {
	Cert string
	Key  string
}

func (f *fixedFuncs) cert(kind, cn string) fixedCert {
	return f.certWithKey(kind, cn, f.privateKey("rsa"))
}

func (f *fixedFuncs) certWithKey(kind, cn, key string) fixedCert {
	body := fmt.Appendf(nil, "oomlint placeholder %s certificate for %s\x00", kind, cn)
	body = FixedTime.AppendFormat(body, time.RFC3339)
	body = append(body, f.bytes(32)...)
	return fixedCert{Cert: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: body})), Key: key}
}

// toTime reads a date argument as sprig does; anything else is now.
func toTime(d any) time.Time {
	switch d := d.(type) {
	case time.Time:
		return d
	case *time.Time:
		return *d
	case int64:
		return time.Unix(d, 0)
	case int:
		return time.Unix(int64(d), 0)
	case int32:
		return time.Unix(int64(d), 0)
	}
	return FixedTime
}

// formatTime is sprig's dateInZone with the fixed now.
func formatTime(layout string, d any, zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	return toTime(d).In(loc).Format(layout)
}
