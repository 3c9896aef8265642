package lazyre

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestNewCompilesOnce(t *testing.T) {
	re := New(`^a+$`)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if !re().MatchString("aaa") || re().MatchString("b") {
				t.Error("wrong match")
			}
		})
	}
	wg.Wait()
	if first, again := re(), re(); first != again {
		t.Error("compiled more than once")
	}
}

func TestNewPanicsOnFirstUse(t *testing.T) {
	re := New(`(`) // New itself must not compile
	defer func() {
		if recover() == nil {
			t.Error("an invalid expression did not panic on first use")
		}
	}()
	re()
}

// TestNoRegexpCompiledAtStartup keeps package-level regular expressions
// lazy in every package of the module: each compile at start-up costs
// every run, hook call and editor save, whatever its input.
func TestNoRegexpCompiledAtStartup(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && (d.Name() == "testdata" || d.Name() == "jsonschema" || strings.HasPrefix(d.Name(), ".")) && path != root:
			return filepath.SkipDir // fixtures, and a copied library kept as upstream has it
		case d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go"):
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.VAR {
				continue
			}
			ast.Inspect(gen, func(n ast.Node) bool {
				if _, ok := n.(*ast.FuncLit); ok {
					return false // runs when called, not at start-up
				}
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "regexp" && strings.HasPrefix(sel.Sel.Name, "MustCompile") {
						t.Errorf("%s: package-level regexp.%s runs at every start; use lazyre.New", path, sel.Sel.Name)
					}
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
