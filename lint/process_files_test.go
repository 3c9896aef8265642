package lint

import "testing"

func TestMountedConfigMapFile(t *testing.T) {
	const src = `
apiVersion: v1
kind: ConfigMap
metadata:
  name: uwsgi
data:
  uwsgi.ini: |
    [uwsgi]
    processes = 4
  other.ini: "[uwsgi]"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: example/app:1
          volumeMounts:
            - name: whole
              mountPath: /etc/uwsgi
            - name: single
              mountPath: /srv/app.ini
              subPath: app.ini
            - name: projected
              mountPath: /etc/projected/
            - name: missing
              mountPath: /etc/missing
      volumes:
        - name: whole
          configMap:
            name: uwsgi
        - name: single
          configMap:
            name: uwsgi
            items:
              - key: uwsgi.ini
                path: app.ini
        - name: projected
          projected:
            sources:
              - configMap:
                  name: uwsgi
                  items:
                    - key: other.ini
                      path: conf/uwsgi.ini
        - name: missing
          configMap:
            name: not-in-repo
`
	objects := decodeUnit(t, &Unit{Name: "files.yaml"}, src)
	cms := map[string]*Object{}
	var w *Workload
	for _, o := range objects {
		if o.Kind == "ConfigMap" {
			cms[o.Name] = o
		}
		if o.Workload != nil {
			w = o.Workload
		}
	}
	lookup := func(name string) *Object { return cms[name] }
	c := w.Containers[0]
	tests := []struct {
		path, key string
		ok        bool
	}{
		{"/etc/uwsgi/uwsgi.ini", "uwsgi.ini", true},
		{"/etc/uwsgi/../uwsgi/other.ini", "other.ini", true},
		{"/srv/app.ini", "uwsgi.ini", true},
		{"/etc/projected/conf/uwsgi.ini", "other.ini", true},
		{"/etc/projected/uwsgi.ini", "", false},
		{"/etc/uwsgi/absent.ini", "", false},
		{"/etc/missing/uwsgi.ini", "", false},
		{"etc/uwsgi/uwsgi.ini", "", false},
	}
	for _, tt := range tests {
		f, ok := MountedConfigMapFile(w, c, tt.path, lookup)
		if ok != tt.ok {
			t.Errorf("%s: found %v, want %v", tt.path, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if want := Root.Keys("data", tt.key).String(); f.At.Path.String() != want || f.At.Object != cms["uwsgi"] {
			t.Errorf("%s: at %s, want data.%s of the uwsgi ConfigMap", tt.path, f.At.Path, tt.key)
		}
		if v, _ := cms["uwsgi"].DataValue(tt.key); f.Value != v {
			t.Errorf("%s: value %q, want %q", tt.path, f.Value, v)
		}
	}
}
