package runtimeflags

import (
	"fmt"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
)

// UWSGIOption is one uWSGI option as written: its canonical name (the long
// name: "processes" for -p and --workers, "ini" for a config file), its
// value, and where it was read (a word's index on a command line, a line
// of a file).
type UWSGIOption struct {
	Name  string
	Value string
	At    int
}

// uwsgiNames maps every spelling oomlint reads to its canonical name.
// Sizes are whole megabytes (MiB): uWSGI multiplies them by 1024*1024.
var uwsgiNames = map[string]string{
	"processes": "processes", "workers": "processes", "p": "processes",
	"reload-on-rss": "reload-on-rss", "evil-reload-on-rss": "evil-reload-on-rss",
	"reload-on-as": "reload-on-as", "evil-reload-on-as": "evil-reload-on-as",
	"max-requests": "max-requests", "R": "max-requests",
	"max-worker-lifetime": "max-worker-lifetime",
	"limit-as":            "limit-as",
	"ini":                 "ini",
	"yaml":                "yaml", "yml": "yaml", "y": "yaml",
	"json": "json", "js": "json", "j": "json",
	"xml": "xml", "xmlconfig": "xml", "x": "xml",
}

// UWSGIConfigFiles are the canonical names of options that load a config
// file, which sets options in its turn.
var UWSGIConfigFiles = []string{"ini", "yaml", "json", "xml"}

// uwsgiConfigExt maps the extension of a config file named alone on the
// command line (uwsgi /etc/uwsgi.ini) to the option uWSGI treats it as.
var uwsgiConfigExt = map[string]string{".ini": "ini", ".yaml": "yaml", ".yml": "yaml", ".json": "json", ".js": "json", ".xml": "xml"}

// ScanUWSGI reads the options oomlint cares about from a uWSGI command
// line (the words after the program), in order: --name value,
// --name=value, -p 4 and -p4; a config file named alone (uwsgi app.ini)
// is the option of its extension. Other options are skipped with the
// value they take.
func ScanUWSGI(words []string) []UWSGIOption {
	var out []UWSGIOption
	for i := 0; i < len(words); i++ {
		w := words[i]
		var name, value string
		var hasValue bool
		switch {
		case strings.HasPrefix(w, "--") && len(w) > 3:
			name, value, hasValue = strings.Cut(w[2:], "=")
		case strings.HasPrefix(w, "-") && len(w) > 1 && w[1] != '-':
			name, value = w[1:2], w[2:]
			hasValue = value != ""
		default:
			if canon, ok := uwsgiConfigExt[strings.ToLower(path.Ext(strings.SplitN(w, ":", 2)[0]))]; ok {
				out = append(out, UWSGIOption{Name: canon, Value: w, At: i})
			}
			continue
		}
		canon, known := uwsgiNames[name]
		at := i
		if !hasValue && i+1 < len(words) && takesNext(known, words[i+1]) {
			i++
			value, hasValue, at = words[i], true, i
		}
		if known && hasValue && (len(name) > 1) == strings.HasPrefix(w, "--") {
			out = append(out, UWSGIOption{Name: canon, Value: value, At: at})
		}
	}
	return out
}

// takesNext reports whether the word after an option without a value is
// its value. An option oomlint does not know may be a switch (--master):
// a config file after it is a config file, not its value.
func takesNext(known bool, next string) bool {
	if strings.HasPrefix(next, "-") {
		return false
	}
	_, config := uwsgiConfigExt[strings.ToLower(path.Ext(strings.SplitN(next, ":", 2)[0]))]
	return known || !config
}

// UWSGIEnv returns the option a UWSGI_* environment variable sets, which
// uWSGI reads like a command line option (UWSGI_RELOAD_ON_RSS is
// --reload-on-rss), or false for variables oomlint does not read.
func UWSGIEnv(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "UWSGI_")
	if !ok {
		return "", false
	}
	canon, ok := uwsgiNames[strings.ToLower(strings.ReplaceAll(rest, "_", "-"))]
	if !ok || len(rest) < 2 {
		return "", false
	}
	return canon, true
}

// UWSGIConfigPath splits a config option's value into the file and the
// section to read (app.ini:prod reads [prod]; the default is [uwsgi]).
// A value uWSGI would fetch (http://…) or run (exec://…) has no path.
func UWSGIConfigPath(value string) (file, section string, ok bool) {
	if strings.Contains(value, "://") {
		return "", "", false
	}
	file, section, _ = strings.Cut(value, ":")
	if section == "" {
		section = "uwsgi"
	}
	return file, section, file != ""
}

// UWSGIIni reads the options of one section of a uWSGI ini file, in order;
// At is the 1-based line. Lines are key = value; ; and # start comments.
func UWSGIIni(text, section string) []UWSGIOption {
	var out []UWSGIOption
	in := false
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == ';' || line[0] == '#':
		case line[0] == '[':
			in = strings.TrimSpace(strings.Trim(line, "[]")) == section
		case in:
			key, value, found := strings.Cut(line, "=")
			if !found {
				continue // a bare key is a boolean option, none of ours
			}
			if canon, ok := uwsgiNames[strings.TrimSpace(key)]; ok && len(strings.TrimSpace(key)) > 1 {
				out = append(out, UWSGIOption{Name: canon, Value: strings.TrimSpace(value), At: n + 1})
			}
		}
	}
	return out
}

// UWSGIYAML reads the options of one section of a uWSGI YAML or JSON
// config file (uwsgi: {processes: 4}), in order; At is the 1-based line.
// A list value is the option given several times.
func UWSGIYAML(text, section string) ([]UWSGIOption, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, fmt.Errorf("uwsgi config: %w", err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, nil
	}
	var out []UWSGIOption
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != section || root.Content[i+1].Kind != yaml.MappingNode {
			continue
		}
		m := root.Content[i+1]
		for j := 0; j+1 < len(m.Content); j += 2 {
			canon, ok := uwsgiNames[m.Content[j].Value]
			if !ok || len(m.Content[j].Value) == 1 {
				continue
			}
			values := []*yaml.Node{m.Content[j+1]}
			if m.Content[j+1].Kind == yaml.SequenceNode {
				values = m.Content[j+1].Content
			}
			for _, v := range values {
				if v.Kind == yaml.ScalarNode {
					out = append(out, UWSGIOption{Name: canon, Value: v.Value, At: v.Line})
				}
			}
		}
	}
	return out, nil
}

// ParseUWSGINumber reads a number the way uWSGI does (strtoul: leading
// digits, the rest ignored, none is 0). A value with a placeholder uWSGI
// fills at run time ($(VAR), %(option), %k for the CPU count, @(file))
// is unknown.
func ParseUWSGINumber(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "%$@") {
		return 0, false
	}
	s = strings.TrimPrefix(s, "+")
	var n int64
	for _, r := range s {
		if r < '0' || r > '9' {
			break
		}
		if n > (1<<62)/10 {
			return 0, false
		}
		n = n*10 + int64(r-'0')
	}
	return n, true
}
