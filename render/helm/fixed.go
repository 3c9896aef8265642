package helm

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
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

// Bounds. A chart is untrusted input (oomlint runs on pull requests), and
// Go templates cannot be interrupted: a render runs in its own goroutine
// that the caller stops waiting for at the deadline, and every point where
// a template can loop or grow (writing text, include, tpl and the list and
// string makers below) checks whether it should stop, so a runaway render
// ends soon after its deadline instead of running on in the background.

// Fixed bounds of every render.
const (
	// maxNesting bounds nested include and tpl calls together. Helm's own
	// guard counts each template name separately (1000 deep, so it still
	// reports a template that includes itself) and none for tpl, so
	// alternating names or a tpl that renders itself overflow the stack,
	// which kills the process.
	maxNesting = 1024
	// maxListItems bounds the items one until, untilStep or seq call makes.
	maxListItems = 100_000
)

// errNesting stops include and tpl calls nested beyond maxNesting.
var errNesting = fmt.Errorf("include and tpl calls nested more than %d deep: a template that includes or renders itself", maxNesting)

// LimitError is a render stopped by a limit: the time it took or the text
// it wrote.
type LimitError struct {
	Template string        // the template being rendered when it stopped
	Timeout  time.Duration // set when the render took too long
	Budget   int64         // set when the render wrote too much
	Err      error         // set when the lint was cancelled
}

func (e *LimitError) Error() string {
	switch {
	case e.Err != nil:
		return "rendering stopped: " + e.Err.Error()
	case e.Timeout > 0:
		return fmt.Sprintf("rendering exceeded %s", e.Timeout)
	}
	return fmt.Sprintf("rendering exceeded the %s output budget", byteSize(e.Budget))
}

func (e *LimitError) Unwrap() error { return e.Err }

// byteSize prints a budget: 64 MiB, or bytes when not a whole MiB.
func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// limits bound one render of a chart. Zero fields bound nothing: the zero
// value bounds only nesting, list sizes and cycles.
type limits struct {
	ctx      context.Context // the lint's; nil for none
	deadline time.Time
	timeout  time.Duration // what deadline was computed from, for the message
	budget   int64         // bytes all writers together may take; 0 for no bound

	written  atomic.Int64
	stopped  atomic.Pointer[LimitError] // the first limit hit; checked at every bound point
	template atomic.Pointer[string]     // the template being rendered
	depth    int                        // nested include and tpl: the render goroutine's alone
}

// newLimits bounds a render by the deadline (the unit's: all renders of
// one unit share it) and the output budget.
func newLimits(ctx context.Context, deadline time.Time, timeout time.Duration, budget int64) *limits {
	return &limits{ctx: ctx, deadline: deadline, timeout: timeout, budget: budget}
}

// start records the template being rendered.
func (l *limits) start(name string) { l.template.Store(&name) }

// stop records why the render must end; the first reason wins.
func (l *limits) stop(e *LimitError) {
	if p := l.template.Load(); p != nil {
		e.Template = *p
	}
	l.stopped.CompareAndSwap(nil, e)
}

// check fails once the render must end.
func (l *limits) check() error {
	if e := l.stopped.Load(); e != nil {
		return e
	}
	return nil
}

// enter counts one nested include or tpl call; leave ends it.
func (l *limits) enter() error {
	if err := l.check(); err != nil {
		return err
	}
	if l.depth >= maxNesting {
		return errNesting
	}
	l.depth++
	return nil
}

func (l *limits) leave() { l.depth-- }

// run renders: at once when there is no deadline, else in a goroutine it
// stops waiting for at the deadline or when the lint is cancelled. The
// goroutine then stops at its next bound point; its result is dropped.
func (l *limits) run(render func() (map[string]string, error)) (map[string]string, error) {
	if l.deadline.IsZero() && l.ctx == nil {
		return l.result(render())
	}
	type result struct {
		files map[string]string
		err   error
	}
	done := make(chan result, 1) // never blocks the goroutine, even after the wait ends
	go func() {
		files, err := render()
		done <- result{files, err}
	}()
	var timeout <-chan time.Time
	if !l.deadline.IsZero() {
		t := time.NewTimer(time.Until(l.deadline))
		defer t.Stop()
		timeout = t.C
	}
	var cancelled <-chan struct{}
	if l.ctx != nil {
		cancelled = l.ctx.Done()
	}
	select {
	case r := <-done:
		return l.result(r.files, r.err)
	case <-timeout:
		l.stop(&LimitError{Timeout: l.timeout})
	case <-cancelled:
		l.stop(&LimitError{Err: l.ctx.Err()})
	}
	return nil, l.stopped.Load()
}

// result is a finished render; a render a limit stopped fails with the
// limit, however the templates wrapped the error.
func (l *limits) result(files map[string]string, err error) (map[string]string, error) {
	if e := l.stopped.Load(); e != nil {
		return nil, e
	}
	return files, err
}

// stops reports whether err is a limit's: nesting, time or output.
func (l *limits) stops(err error) bool {
	_, limit := errors.AsType[*LimitError](err)
	return limit || errors.Is(err, errNesting)
}

// writer writes template output to b until the render must stop or the
// output budget is spent; a failed write ends text/template's execution.
func (l *limits) writer(b *strings.Builder) io.Writer { return &limitedWriter{b: b, lim: l} }

type limitedWriter struct {
	b   *strings.Builder
	lim *limits
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if err := w.lim.grow(len(p)); err != nil {
		return 0, err
	}
	return w.b.Write(p)
}

// grow takes n bytes of the output budget.
func (l *limits) grow(n int) error {
	if err := l.check(); err != nil {
		return err
	}
	if l.budget > 0 && l.written.Add(int64(n)) > l.budget {
		l.stop(&LimitError{Budget: l.budget})
		return l.check()
	}
	return nil
}

// funcs are sprig's list and string makers, bounded: the same results, an
// error where sprig would allocate without bound (until 1000000000) or
// loop forever (untilStep with a step that overflows).
func (l *limits) funcs() template.FuncMap {
	return template.FuncMap{
		"until": func(count int) ([]int, error) {
			step := 1
			if count < 0 {
				step = -1
			}
			return l.list(fmt.Sprintf("until %d", count), 0, count, step)
		},
		"untilStep": func(start, stop, step int) ([]int, error) {
			return l.list(fmt.Sprintf("untilStep %d %d %d", start, stop, step), start, stop, step)
		},
		"seq": l.seq,
		"repeat": func(count int, str string) (string, error) {
			if err := l.check(); err != nil {
				return "", err
			}
			if count < 0 {
				return "", errors.New("strings: negative Repeat count") // sprig panics with this
			}
			if count > 0 && str != "" && (count > math.MaxInt/len(str) || l.budget > 0 && int64(count*len(str)) > l.budget) {
				return "", fmt.Errorf("repeat %d of %d bytes is larger than the output budget", count, len(str))
			}
			return strings.Repeat(str, count), nil
		},
	}
}

// list is sprig's untilStep: start, start+step, … up to stop (excluded);
// call is the template's call, for the error.
func (l *limits) list(call string, start, stop, step int) ([]int, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	v := []int{}
	if (stop < start && step >= 0) || (stop >= start && step <= 0) {
		return v, nil
	}
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); {
		if len(v) == maxListItems {
			return nil, fmt.Errorf("%s makes more than %d items", call, maxListItems)
		}
		v = append(v, i)
		next := i + step
		if (step > 0) != (next > i) {
			break // overflow: sprig would loop forever
		}
		i = next
	}
	return v, nil
}

// seq is sprig's: seq END, seq START END, seq START STEP END, as a string.
func (l *limits) seq(params ...int) (string, error) {
	var nums []int
	var err error
	call := strings.TrimSpace("seq " + strings.Trim(fmt.Sprint(params), "[]"))
	switch len(params) {
	case 0:
		return "", nil
	case 1:
		step := 1
		if params[0] < 1 {
			step = -1
		}
		nums, err = l.list(call, 1, params[0]+step, step)
	case 2:
		step := 1
		if params[1] < params[0] {
			step = -1
		}
		nums, err = l.list(call, params[0], params[1]+step, step)
	case 3:
		start, step, end := params[0], params[1], params[2]
		inc := 1
		if end < start {
			inc = -1
			if step > 0 {
				return "", nil
			}
		}
		nums, err = l.list(call, start, end+inc, step)
	default:
		// sprig returns nothing (a nil string) for more than three
		return "", nil
	}
	if err != nil {
		return "", err
	}
	parts := make([]string, len(nums))
	for i, n := range nums {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, " "), nil
}

// errCycle stops a set or merge that would make a map contain itself:
// printing it (or toYamlPretty, deepCopy) recurses until the stack
// overflows, which kills the process.
var errCycle = errors.New("this would make a map that contains itself")

// guardCycles makes sprig's set and merge functions fail instead of
// making a map that contains itself, the one way a template can build a
// cycle. A function whose signature is not sprig's is left as it is.
func guardCycles(fm template.FuncMap) {
	type mergeFunc = func(map[string]any, ...map[string]any) any
	type mustMergeFunc = func(map[string]any, ...map[string]any) (any, error)
	if set, ok := fm["set"].(func(map[string]any, string, any) map[string]any); ok {
		fm["set"] = func(d map[string]any, key string, value any) (map[string]any, error) {
			if d != nil && reaches(reflect.ValueOf(value), reflect.ValueOf(d).Pointer(), map[uintptr]bool{}) {
				return nil, errCycle
			}
			return set(d, key, value), nil
		}
	}
	for _, name := range []string{"merge", "mergeOverwrite"} {
		if merge, ok := fm[name].(mergeFunc); ok {
			fm[name] = func(dst map[string]any, srcs ...map[string]any) (any, error) {
				out := merge(dst, srcs...)
				return out, acyclic(dst)
			}
		}
	}
	for _, name := range []string{"mustMerge", "mustMergeOverwrite"} {
		if merge, ok := fm[name].(mustMergeFunc); ok {
			fm[name] = func(dst map[string]any, srcs ...map[string]any) (any, error) {
				out, err := merge(dst, srcs...)
				if err == nil {
					err = acyclic(dst)
				}
				return out, err
			}
		}
	}
}

// acyclic fails when a map or list reachable from v contains itself.
func acyclic(v any) error {
	if cyclic(reflect.ValueOf(v), map[uintptr]bool{}, map[uintptr]bool{}) {
		return errCycle
	}
	return nil
}

// container is the map or list v holds, following interfaces and
// pointers; ok is false for anything else, nil maps and empty lists (whose
// array may be any other list's).
func container(v reflect.Value) (reflect.Value, bool) {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return v, false
		}
		v = v.Elem()
	}
	switch v.Kind() { //nolint:exhaustive // only maps and lists hold values a template can reach again
	case reflect.Map:
		return v, !v.IsNil()
	case reflect.Slice:
		return v, v.Len() > 0
	}
	return v, false
}

// elems calls f on each element of a map or list until f returns true.
func elems(v reflect.Value, f func(reflect.Value) bool) bool {
	if v.Kind() == reflect.Map {
		for it := v.MapRange(); it.Next(); {
			if f(it.Value()) {
				return true
			}
		}
		return false
	}
	for i := range v.Len() {
		if f(v.Index(i)) {
			return true
		}
	}
	return false
}

// cyclic reports whether a map or list reachable from v contains itself.
func cyclic(v reflect.Value, onPath, done map[uintptr]bool) bool {
	v, ok := container(v)
	if !ok {
		return false
	}
	p := v.Pointer()
	if onPath[p] {
		return v.Kind() == reflect.Map // a list may share its array with another
	}
	if done[p] {
		return false
	}
	onPath[p] = true
	found := elems(v, func(e reflect.Value) bool { return cyclic(e, onPath, done) })
	delete(onPath, p)
	done[p] = true
	return found
}

// reaches reports whether the map at target is reachable from v.
func reaches(v reflect.Value, target uintptr, seen map[uintptr]bool) bool {
	v, ok := container(v)
	if !ok {
		return false
	}
	p := v.Pointer()
	if v.Kind() == reflect.Map && p == target {
		return true
	}
	if seen[p] {
		return false
	}
	seen[p] = true
	return elems(v, func(e reflect.Value) bool { return reaches(e, target, seen) })
}
