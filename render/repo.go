package render

import "strings"

// SameRepo reports whether two git URLs name the same repository: they
// compare without scheme, user, trailing slash and .git suffix, case
// insensitively, and the scp-like form git@host:org/repo is
// https://host/org/repo.
func SameRepo(a, b string) bool {
	na, nb := normalizeURL(a), normalizeURL(b)
	return na != "" && na == nb
}

// normalizeURL is a git URL as SameRepo compares it: host/path.
func normalizeURL(u string) string {
	u = strings.TrimSpace(u)
	scheme := false
	if i := strings.Index(u, "://"); i >= 0 {
		u, scheme = u[i+3:], true
	}
	host, path, _ := strings.Cut(u, "/")
	if i := strings.LastIndex(host, "@"); i >= 0 {
		host = host[i+1:]
	}
	if !scheme {
		// scp-like syntax: host:org/repo (no port is possible there).
		if h, p, ok := strings.Cut(host, ":"); ok {
			host, path = h, strings.TrimPrefix(p+"/"+path, "/")
		}
	}
	path = strings.TrimRight(path, "/")
	path = strings.TrimSuffix(path, ".git")
	path = strings.TrimRight(path, "/")
	if host == "" {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(host+"/"+path, "/"))
}

// OtherRepo reports whether url is known to name another repository: some
// URLs of this one are known (repoURLs in .oomlint.yaml, the checkout's git
// remotes) and none of them is url. With none known it cannot tell.
func OtherRepo(opt Options, url string) bool {
	if url == "" || len(opt.RepoURLs)+len(opt.GitRemotes) == 0 {
		return false
	}
	for _, u := range append(append([]string{}, opt.RepoURLs...), opt.GitRemotes...) {
		if SameRepo(u, url) {
			return false
		}
	}
	return true
}
