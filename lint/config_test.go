package lint

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadConfigFileErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"settings:\n  heapFraction: four\n", `.oomlint.yaml:2: settings.heapFraction: want a number, got "four"`},
		{"settings:\n  nodes: many\n", `.oomlint.yaml:2: settings.nodes: want a whole number, got "many"`},
		{"standalone: [a]\n", `.oomlint.yaml:1: standalone: want true or false, got a list`},
		{"rules:\n  disable:\n    - OOM104\n    - [x]\n", `.oomlint.yaml:4: rules.disable[1]: want a string, got a list`},
		{"rules:\n  enable: OOM104\n", `.oomlint.yaml:2: rules.enable: want a list, got "OOM104"`},
		{"settings:\n  x: 1\n", `.oomlint.yaml:2: unknown key "x" in settings`},
		{"colour: red\n", `.oomlint.yaml:1: unknown key "colour"`},
		{"failOn: loud\n", `.oomlint.yaml:1: failOn: unknown value "loud", want one of error, warning, info, none`},
		{"rules:\n  severity:\n    OOM101: fatal\n", `.oomlint.yaml:3: rules.severity.OOM101: unknown severity "fatal", want one of error, warning, info`},
		{"regoVersion: v2\n", `.oomlint.yaml:1: regoVersion: unknown value "v2", want one of v0, v1`},
		// Values beyond their range: an overflowing size, a huge exponent
		// (refused before apimachinery, which would take minutes), NaN.
		{"settings:\n  maxFileSize: 8Ei\n", `.oomlint.yaml:2: settings.maxFileSize 8Ei is out of range: at least 1 and at most 1Gi`},
		{"settings:\n  maxFileSize: 2Gi\n", `.oomlint.yaml:2: settings.maxFileSize 2Gi is out of range: at least 1 and at most 1Gi`},
		{"settings:\n  maxFileSize: \"0\"\n", `.oomlint.yaml:2: settings.maxFileSize 0 is out of range: at least 1 and at most 1Gi`},
		{"settings:\n  maxFileSize: 1e-99999999\n", `.oomlint.yaml:2: settings.maxFileSize "1e-99999999" is out of range: at most 1Gi`},
		{"settings:\n  minMemory: 1e400\n", `.oomlint.yaml:2: settings.minMemory "1e400" is out of range: at most 64Gi`},
		{"settings:\n  minMemory: -1Mi\n", `.oomlint.yaml:2: settings.minMemory -1Mi is out of range: at least 1 and at most 64Gi`},
		{"settings:\n  nodeMemory: 1e-99999999\n", `.oomlint.yaml:2: settings.nodeMemory "1e-99999999" is out of range: at most 1Pi`},
		{"settings:\n  nodeMemory: 2Pi\n", `.oomlint.yaml:2: settings.nodeMemory 2Pi is out of range: at least 0 and at most 1Pi`},
		{"settings:\n  nodes: 1000000\n", `.oomlint.yaml:2: settings.nodes 1000000 is out of range: at least 0 and at most 100000`},
		{"settings:\n  nodes: -1\n", `.oomlint.yaml:2: settings.nodes -1 is out of range: at least 0 and at most 100000`},
		{"settings:\n  heapFraction: .nan\n", `.oomlint.yaml:2: settings.heapFraction NaN must be above 0 and at most 1`},
		{"settings:\n  maxLimitRequestRatio: .inf\n", `.oomlint.yaml:2: settings.maxLimitRequestRatio +Inf must be at least 1 and at most 1000`},
		{"policyTimeout: 100h\n", `.oomlint.yaml:1: policyTimeout 100h is out of range: at most 10m0s per object`},
	}
	for _, tt := range tests {
		_, err := LoadConfigFile(writeConfig(t, tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("LoadConfigFile(%q) = %v, want %s", tt.in, err, tt.want)
		}
	}
}

func TestConfigSizes(t *testing.T) {
	fc, err := LoadConfigFile(writeConfig(t, "settings:\n  maxFileSize: 1Gi\n  minMemory: 1.5Mi\n  nodeMemory: \"0\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	fc.Apply(&cfg)
	if cfg.MaxFileSize != 1<<30 || cfg.Settings.MinMemory != 3<<19 || cfg.Settings.NodeMemory != 0 {
		t.Errorf("maxFileSize %d, minMemory %d, nodeMemory %d; want 1Gi, 1.5Mi, 0", cfg.MaxFileSize, cfg.Settings.MinMemory, cfg.Settings.NodeMemory)
	}
}

func TestCheckRules(t *testing.T) {
	catalogue := []*Rule{{ID: "OOM104", Name: "memory-limit-equals-request"}, {ID: "OOM201", Name: "jvm-heap-exceeds-limit"}}
	tests := []struct{ in, want string }{
		{"rules:\n  disable: [OOM104, jvm-*]\n  enable: [OOM2*]\n  severity: {OOM104: info}\n", ""},
		{"rules:\n  disable:\n    - OOM104\n    - memory-leak\n", ".oomlint.yaml:4: rules.disable: unknown rule \"memory-leak\" (see `oomlint rules`)"},
		{"rules:\n  enable: [OOM104, OOM999]\n", ".oomlint.yaml:2: rules.enable: unknown rule \"OOM999\" (see `oomlint rules`)"},
		{"rules:\n  severity:\n    OOM104: info\n    nope: error\n", ".oomlint.yaml:4: rules.severity: unknown rule \"nope\" (see `oomlint rules`)"},
	}
	for _, tt := range tests {
		fc, err := LoadConfigFile(writeConfig(t, tt.in))
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if err := fc.CheckRules(catalogue); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckRules(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile(filepath.Join(dir, ".oomlint.yaml"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return ".oomlint.yaml"
}
