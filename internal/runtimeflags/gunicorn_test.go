package runtimeflags

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScanGunicorn(t *testing.T) {
	tests := []struct {
		name     string
		words    []string
		want     GunicornArgs
		recycles bool
	}{
		{"none", []string{"app:app", "--workers", "4"}, GunicornArgs{}, false},
		{"space", []string{"--max-requests", "1000", "app:app"}, GunicornArgs{MaxRequests: "1000", MaxRequestsIndex: 1, HasMaxRequests: true}, true},
		{"equals", []string{"app:app", "--max-requests=500"}, GunicornArgs{MaxRequests: "500", MaxRequestsIndex: 1, HasMaxRequests: true}, true},
		{"zero turns it off", []string{"--max-requests=0"}, GunicornArgs{MaxRequests: "0", HasMaxRequests: true}, false},
		{"jitter alone", []string{"--max-requests-jitter", "50"}, GunicornArgs{}, false},
		{"config file", []string{"-c", "gunicorn.conf.py", "app:app"}, GunicornArgs{Config: true}, false},
		{"config attached", []string{"-cgunicorn.conf.py"}, GunicornArgs{Config: true}, false},
		{"long config", []string{"--config=python:app.conf"}, GunicornArgs{Config: true}, false},
		{"capture output is not config", []string{"--capture-output"}, GunicornArgs{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ScanGunicorn(tt.words)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ScanGunicorn(%q) (-want +got):\n%s", tt.words, diff)
			}
			if got.Recycles() != tt.recycles {
				t.Errorf("Recycles() = %v, want %v", got.Recycles(), tt.recycles)
			}
		})
	}
}
