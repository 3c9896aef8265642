package policy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/oomlint/oomlint/lint"
)

// TestOptions say which Rego unit tests RunTests runs.
type TestOptions struct {
	Paths       []string      // directories or files of policies and their _test.rego files; default "."
	Data        []string      // data documents, as for Load
	RegoVersion string        // "v1" (default) or "v0"
	WorkDir     string        // positions are shown relative to it; "" means the current directory
	Run         string        // only tests whose name matches this regular expression (opa test --run)
	Verbose     bool          // list every test, with print output and traces of failures
	Timeout     time.Duration // per test; 0 means 5s, as opa test
}

// Exit codes of RunTests: oomlint's and conftest verify's, not opa test's
// (which exits 2 when tests fail and 1 when they cannot run).
const (
	TestsPassed = 0 // every test passed (or there were none)
	TestsFailed = 1 // a test failed or errored
	TestsBroken = 2 // the policies or data did not load or compile, or an option is wrong
)

// RunTests runs the test_* rules of the _test.rego files (and every other
// .rego file they test) with OPA's tester, under the same capabilities as
// linting: none of refusedBuiltins. It prints opa test's report to stdout
// and problems to stderr, and returns the exit code.
func RunTests(ctx context.Context, opts TestOptions, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		_, _ = fmt.Fprintln(stderr, "oomlint policy test:", err)
		return TestsBroken
	}
	v, err := regoVersion(opts.RegoVersion)
	if err != nil {
		return fail(err)
	}
	workDir := opts.WorkDir
	if workDir == "" {
		if workDir, err = os.Getwd(); err != nil {
			return fail(err)
		}
	}
	paths := opts.Paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	srcs, problems, err := findRego(paths, workDir)
	if err != nil {
		return fail(err)
	}
	caps := capabilities(v)
	mods, perr, err := parseAll(srcs, v, caps)
	if err != nil {
		return fail(err)
	}
	problems = append(problems, perr...)
	store, dproblems, err := loadData(opts.Data, workDir)
	if err != nil {
		return fail(err)
	}
	if problems = append(problems, dproblems...); len(problems) > 0 {
		printProblems(stderr, problems)
		return TestsBroken
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	compiler := ast.NewCompiler().
		WithCapabilities(caps).
		WithDefaultRegoVersion(v).
		WithEnablePrintStatements(true)
	txn, err := store.NewTransaction(ctx, storage.WriteParams)
	if err != nil {
		return fail(err)
	}
	defer store.Abort(ctx, txn)
	runner := tester.NewRunner().
		SetCompiler(compiler).
		SetStore(store).
		SetModules(mods).
		SetDefaultRegoVersion(v).
		CapturePrintOutput(true).
		EnableTracing(opts.Verbose).
		SetTimeout(timeout).
		Filter(opts.Run)
	ch, err := runner.RunTests(ctx, txn)
	if err != nil {
		if errs, ok := errors.AsType[ast.Errors](err); ok {
			var fs []lint.Finding
			for _, e := range errs {
				fs = append(fs, errorFinding(e, ""))
			}
			printProblems(stderr, fs)
			return TestsBroken
		}
		return fail(err)
	}
	code := TestsPassed
	dup := make(chan *tester.Result)
	go func() {
		defer close(dup)
		for tr := range ch {
			if !tr.Pass() && !tr.Skip {
				code = TestsFailed
			}
			dup <- tr
		}
	}()
	if err := (tester.PrettyReporter{Output: stdout, Verbose: opts.Verbose, FailureLine: true}).Report(dup); err != nil {
		return fail(err)
	}
	return code
}

func printProblems(w io.Writer, fs []lint.Finding) {
	for _, f := range fs {
		_, _ = fmt.Fprintf(w, "%s:%d:%d: %s\n", f.File, f.Line, f.Column, f.Message)
	}
}
