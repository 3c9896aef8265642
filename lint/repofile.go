package lint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ReadRepoFile reads p for a renderer the way discovery would: only a
// regular file, and when p lies in the repository at root, not through a
// symlink that resolves outside it. The repository is untrusted, so a
// link out of it or a named pipe must not be read or block the run.
func ReadRepoFile(root, p string) ([]byte, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	if root != "" {
		if r, err := filepath.Abs(root); err == nil && insideDir(filepath.Clean(r), abs) {
			if msg, _ := unreadable(abs, resolvePath(r)); msg != "" {
				return nil, fmt.Errorf("%s: %w", filepath.Base(p), errors.New(msg))
			}
		}
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %s, not a regular file; not read", filepath.Base(p), specialKind(st.Mode()))
	}
	return os.ReadFile(abs)
}
