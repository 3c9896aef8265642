package runtimeflags

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScanCelery(t *testing.T) {
	tests := []struct {
		name   string
		words  []string
		worker bool
		want   []CeleryOption
	}{
		{"celery 5", []string{"-A", "proj", "worker", "-l", "info", "-c", "4", "--max-memory-per-child=200000"}, true,
			[]CeleryOption{{"concurrency", "4", 6}, {"max-memory-per-child", "200000", 7}}},
		{"celery 4", []string{"worker", "--app=proj", "--concurrency", "8", "--maxtasksperchild", "100"}, true,
			[]CeleryOption{{"concurrency", "8", 3}, {"max-tasks-per-child", "100", 5}}},
		{"attached short", []string{"-A", "proj", "worker", "-c4", "-Pprefork", "-linfo"}, true,
			[]CeleryOption{{"concurrency", "4", 3}, {"pool", "prefork", 4}}},
		{"autoscale", []string{"--app", "proj", "worker", "--autoscale=10,3", "--max-memory-per-child", "512000"}, true,
			[]CeleryOption{{"autoscale", "10,3", 3}, {"max-memory-per-child", "512000", 5}}},
		{"an app named worker", []string{"-A", "worker", "beat"}, false, nil},
		{"beat", []string{"-A", "proj", "beat", "-c", "4"}, false, nil},
		{"no subcommand", []string{"--version"}, false, nil},
		{"options before the subcommand are not the worker's", []string{"-c", "4", "worker"}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			worker, opts := ScanCelery(tt.words)
			if worker != tt.worker {
				t.Errorf("worker = %v, want %v", worker, tt.worker)
			}
			if diff := cmp.Diff(tt.want, opts); diff != "" {
				t.Errorf("ScanCelery(%q) (-want +got):\n%s", tt.words, diff)
			}
		})
	}
}

func TestCeleryEnv(t *testing.T) {
	tests := []struct {
		name, option string
		legacy, ok   bool
	}{
		{"CELERY_WORKER_MAX_MEMORY_PER_CHILD", "max-memory-per-child", false, true},
		{"CELERY_WORKER_CONCURRENCY", "concurrency", false, true},
		{"CELERY_WORKER_AUTOSCALE", "autoscale", false, true},
		{"CELERYD_MAX_MEMORY_PER_CHILD", "max-memory-per-child", true, true},
		{"CELERYD_CONCURRENCY", "concurrency", true, true},
		{"CELERYD_MAX_TASKS_PER_CHILD", "max-tasks-per-child", true, true},
		{"CELERY_WORKER_LOGLEVEL", "", false, false},
		{"CELERY_BROKER_URL", "", false, false},
		{"CELERYD_C", "", false, false},
	}
	for _, tt := range tests {
		option, legacy, ok := CeleryEnv(tt.name)
		if option != tt.option || legacy != tt.legacy || ok != tt.ok {
			t.Errorf("CeleryEnv(%q) = %q, %v, %v; want %q, %v, %v", tt.name, option, legacy, ok, tt.option, tt.legacy, tt.ok)
		}
	}
}

func TestCeleryValues(t *testing.T) {
	if n, ok := CeleryAutoscaleMax("10,3"); n != 10 || !ok {
		t.Errorf("autoscale 10,3 = %d, %v", n, ok)
	}
	if _, ok := CeleryAutoscaleMax("x,3"); ok {
		t.Error("autoscale x,3 parsed")
	}
	if n, ok := ParseCeleryInt(" 200000 "); n != 200000 || !ok {
		t.Errorf("200000 = %d, %v", n, ok)
	}
	if _, ok := ParseCeleryInt("200MB"); ok {
		t.Error("200MB parsed: click rejects it")
	}
	for pool, forks := range map[string]bool{"": true, "prefork": true, "processes": true, "solo": false, "threads": false, "gevent": false, "eventlet": false} {
		if CeleryForks(pool) != forks {
			t.Errorf("CeleryForks(%q) = %v", pool, !forks)
		}
	}
}

func FuzzScanCelery(f *testing.F) {
	f.Add("-A proj worker -c4 --max-memory-per-child=200000 --autoscale 10,3")
	f.Add("worker -c")
	f.Fuzz(func(t *testing.T, line string) {
		words := strings.Fields(line)
		_, opts := ScanCelery(words)
		for _, o := range opts {
			if o.At < 0 || o.At >= len(words) {
				t.Fatalf("option %+v outside %q", o, words)
			}
		}
		_, _ = CeleryAutoscaleMax(line)
	})
}
