package runtimeflags

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScanUWSGI(t *testing.T) {
	tests := []struct {
		name  string
		words []string
		want  []UWSGIOption
	}{
		{"long with space", []string{"--master", "--processes", "4", "--reload-on-rss", "200"},
			[]UWSGIOption{{"processes", "4", 2}, {"reload-on-rss", "200", 4}}},
		{"long with equals", []string{"--workers=8", "--evil-reload-on-rss=300", "--limit-as=1024"},
			[]UWSGIOption{{"processes", "8", 0}, {"evil-reload-on-rss", "300", 1}, {"limit-as", "1024", 2}}},
		{"short", []string{"-p", "4", "-R5000", "-M"},
			[]UWSGIOption{{"processes", "4", 1}, {"max-requests", "5000", 2}}},
		{"short attached", []string{"-p4"}, []UWSGIOption{{"processes", "4", 0}}},
		{"config file options", []string{"--ini", "/etc/uwsgi/app.ini:prod", "--yaml=/etc/u.yaml", "-x", "u.xml"},
			[]UWSGIOption{{"ini", "/etc/uwsgi/app.ini:prod", 1}, {"yaml", "/etc/u.yaml", 2}, {"xml", "u.xml", 4}}},
		{"config named alone", []string{"/etc/uwsgi.ini", "--processes", "2"},
			[]UWSGIOption{{"ini", "/etc/uwsgi.ini", 0}, {"processes", "2", 2}}},
		{"switch before a config file", []string{"--master", "app.ini"}, []UWSGIOption{{"ini", "app.ini", 1}}},
		{"other options skip their values", []string{"--socket", ":3031", "--module", "app.wsgi:application", "--processes", "2"},
			[]UWSGIOption{{"processes", "2", 5}}},
		{"no value", []string{"--processes"}, nil},
		// getopt reads -processes as -p with the value "rocesses", as uWSGI does.
		{"single dash", []string{"--p=4", "-processes", "4"}, []UWSGIOption{{"processes", "rocesses", 1}}},
		{"similar names", []string{"--max-requests-delta", "10", "--reload-on-rss-x", "1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ScanUWSGI(tt.words)); diff != "" {
				t.Errorf("ScanUWSGI(%q) (-want +got):\n%s", tt.words, diff)
			}
		})
	}
}

func TestUWSGIEnv(t *testing.T) {
	for name, want := range map[string]string{
		"UWSGI_RELOAD_ON_RSS": "reload-on-rss", "UWSGI_PROCESSES": "processes", "UWSGI_WORKERS": "processes",
		"UWSGI_EVIL_RELOAD_ON_RSS": "evil-reload-on-rss", "UWSGI_MAX_REQUESTS": "max-requests",
		"UWSGI_LIMIT_AS": "limit-as", "UWSGI_INI": "ini", "UWSGI_SOCKET": "", "UWSGI_P": "", "WORKERS": "",
	} {
		got, ok := UWSGIEnv(name)
		if got != want || ok != (want != "") {
			t.Errorf("UWSGIEnv(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
}

func TestUWSGIConfigPath(t *testing.T) {
	tests := []struct{ in, file, section string }{
		{"/etc/uwsgi.ini", "/etc/uwsgi.ini", "uwsgi"},
		{"/etc/uwsgi.ini:prod", "/etc/uwsgi.ini", "prod"},
		{"http://config.example/uwsgi.ini", "", ""},
	}
	for _, tt := range tests {
		file, section, ok := UWSGIConfigPath(tt.in)
		if file != tt.file || section != tt.section || ok != (tt.file != "") {
			t.Errorf("UWSGIConfigPath(%q) = %q, %q, %v", tt.in, file, section, ok)
		}
	}
}

func TestUWSGIIni(t *testing.T) {
	const ini = `; uwsgi.ini
[uwsgi]
master = true
processes = 4
reload-on-rss=256
# a comment
workers = $(WORKERS)
enable-threads

[prod]
processes = 16
`
	want := []UWSGIOption{{"processes", "4", 4}, {"reload-on-rss", "256", 5}, {"processes", "$(WORKERS)", 7}}
	if diff := cmp.Diff(want, UWSGIIni(ini, "uwsgi")); diff != "" {
		t.Errorf("[uwsgi] (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]UWSGIOption{{"processes", "16", 11}}, UWSGIIni(ini, "prod")); diff != "" {
		t.Errorf("[prod] (-want +got):\n%s", diff)
	}
}

func TestUWSGIYAML(t *testing.T) {
	const doc = `uwsgi:
  master: true
  processes: 4
  reload-on-rss: 300
  max-requests: [1000, 2000]
other:
  processes: 99
`
	got, err := UWSGIYAML(doc, "uwsgi")
	if err != nil {
		t.Fatal(err)
	}
	want := []UWSGIOption{{"processes", "4", 3}, {"reload-on-rss", "300", 4}, {"max-requests", "1000", 5}, {"max-requests", "2000", 5}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	js, err := UWSGIYAML(`{"uwsgi": {"workers": 2, "limit-as": 512}}`, "uwsgi")
	if err != nil || len(js) != 2 || js[0].Name != "processes" || js[1].Value != "512" {
		t.Errorf("JSON: %v, %v", js, err)
	}
	if _, err := UWSGIYAML("uwsgi: [", "uwsgi"); err == nil {
		t.Error("a broken file parsed")
	}
}

func TestParseUWSGINumber(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"200", 200, true}, {" 200 ", 200, true}, {"200M", 200, true}, {"+8", 8, true},
		{"", 0, true}, {"abc", 0, true}, {"%k", 0, false}, {"$(WORKERS)", 0, false}, {"%(workers)", 0, false},
		{"99999999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseUWSGINumber(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseUWSGINumber(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzScanUWSGI(f *testing.F) {
	f.Add("--processes 4 --reload-on-rss=200 -p8 app.ini")
	f.Add("-R -- --ini")
	f.Fuzz(func(t *testing.T, line string) {
		words := strings.Fields(line)
		for _, o := range ScanUWSGI(words) {
			if o.At < 0 || o.At >= len(words) {
				t.Fatalf("option %+v outside %q", o, words)
			}
		}
		_ = UWSGIIni(line, "uwsgi")
		_, _ = UWSGIYAML(line, "uwsgi")
		_, _ = ParseUWSGINumber(line)
	})
}
