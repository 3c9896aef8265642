package triage

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const onePod = `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api-1", "namespace": "shop"},
 "spec": {"containers": [{"name": "api", "resources": {"limits": {"memory": "512Mi"}}}]},
 "status": {"containerStatuses": [{"name": "api", "restartCount": 2,
  "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": "2025-06-03T10:00:00Z"}}}]}}`

func TestRead(t *testing.T) {
	tests := []struct {
		name                      string
		dumps                     []Dump
		pods, vpas, usage, events int
		err                       string
	}{
		{name: "a single pod", dumps: []Dump{{Name: "p", Data: []byte(onePod)}}, pods: 1},
		{name: "a List", dumps: []Dump{{Name: "p", Data: []byte(`{"apiVersion": "v1", "kind": "List", "items": [` + onePod + `,` + onePod + `]}`)}}, pods: 2},
		{name: "a PodList", dumps: []Dump{{Name: "p", Data: []byte(`{"kind": "PodList", "items": [` + onePod + `]}`)}}, pods: 1},
		{name: "YAML", dumps: []Dump{{Name: "p", Data: []byte("apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: a, namespace: b}\n")}}, pods: 1},
		{name: "pods and VPAs in one List", dumps: []Dump{{Name: "p", Data: []byte(`{"kind": "List", "items": [` + onePod +
			`, {"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler", "metadata": {"name": "v", "namespace": "shop"}}]}`)}}, pods: 1, vpas: 1},
		{name: "top by content", dumps: []Dump{{Name: "p", Data: []byte(onePod)}, {Name: "t", Data: []byte("POD NAME CPU(cores) MEMORY(bytes)\napi-1 api 1m 100Mi\n")}}, pods: 1, usage: 1},
		{name: "events", dumps: []Dump{{Name: "p", Data: []byte(onePod)}, {Name: "e", Want: Events, Data: []byte(`{"kind": "List", "items": [{"kind": "Event", "reason": "OOMKilling"}]}`)}}, pods: 1, events: 1},
		{name: "an empty VPA List", dumps: []Dump{{Name: "p", Data: []byte(onePod)}, {Name: "v", Want: VPAs, Data: []byte(`{"kind": "List", "items": []}`)}}, pods: 1},
		{name: "no pods", dumps: []Dump{{Name: "v", Data: []byte(`{"kind": "List", "items": []}`)}}, err: ErrNoPods.Error()},
		{name: "empty", dumps: []Dump{{Name: "p", Data: []byte("\n")}}, err: "p: empty file"},
		{name: "wrong kind", dumps: []Dump{{Name: "p", Data: []byte(onePod)}, {Name: "v.json", Flag: "--vpa", Want: VPAs, Data: []byte(onePod)}}, err: "--vpa v.json: not the output of kubectl get vpa -o json"},
		{name: "not kubectl output", dumps: []Dump{{Name: "p", Data: []byte("hello: world\n")}}, err: "p: not a Kubernetes object or List"},
		{name: "other objects", dumps: []Dump{{Name: "p", Data: []byte(`{"kind": "Service"}`)}}, err: "p: holds no Pod"},
		{name: "bad top row", dumps: []Dump{{Name: "t", Data: []byte("POD NAME CPU(cores) MEMORY(bytes)\napi-1 api 1m lots\n")}}, err: `t: line 2: memory "lots"`},
		{name: "broken JSON", dumps: []Dump{{Name: "p", Data: []byte(`{"kind": "Pod",`)}}, err: "p: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Read(tc.dumps)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []int{len(c.Pods), len(c.VPAs), len(c.Usage), len(c.Events)}
			if diff := cmp.Diff([]int{tc.pods, tc.vpas, tc.usage, tc.events}, got); diff != "" {
				t.Errorf("pods, VPAs, usage, events (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := Read(nil); !errors.Is(err, ErrNoPods) {
		t.Errorf("Read(nil) = %v, want ErrNoPods", err)
	}
}

func TestParseTop(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Usage
	}{
		{"all namespaces, containers", "NAMESPACE   POD     NAME   CPU(cores)   MEMORY(bytes)\nshop        api-1   api    3m           250Mi\n",
			[]Usage{{Namespace: "shop", Pod: "api-1", Container: "api", Bytes: 250 << 20, Source: "kubectl top"}}},
		{"one namespace, containers", "POD     NAME    CPU(cores)   MEMORY(bytes)\napi-1   proxy   1m           1Gi\n\n",
			[]Usage{{Pod: "api-1", Container: "proxy", Bytes: 1 << 30, Source: "kubectl top"}}},
		{"pod totals", "NAMESPACE   NAME    CPU(cores)   MEMORY(bytes)\nshop        api-1   3m           100Mi\n",
			[]Usage{{Namespace: "shop", Pod: "api-1", Bytes: 100 << 20, Source: "kubectl top"}}},
		{"two snapshots appended", "POD NAME CPU(cores) MEMORY(bytes)\na b 1m 1Mi\nPOD NAME CPU(cores) MEMORY(bytes)\na b 1m 2Mi\n",
			[]Usage{{Pod: "a", Container: "b", Bytes: 1 << 20, Source: "kubectl top"}, {Pod: "a", Container: "b", Bytes: 2 << 20, Source: "kubectl top"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseTop([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvents(t *testing.T) {
	c, err := Read([]Dump{{Name: "p", Data: []byte(onePod)}, {Name: "e", Data: []byte(`{"kind": "List", "items": [
  {"kind": "Event", "metadata": {"namespace": "shop"}, "involvedObject": {"kind": "Pod", "name": "api-1", "fieldPath": "spec.containers{api}"},
   "reason": "OOMKilling", "message": "Memory cgroup out of memory", "count": 3, "lastTimestamp": "2025-06-03T11:00:00Z"},
  {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"namespace": "shop"}, "regarding": {"kind": "Pod", "name": "api-1", "namespace": "shop"},
   "reason": "Evicted", "note": "The node was low on resource: memory. Container api was using 700Mi, request is 256Mi.", "deprecatedCount": 2,
   "series": {"count": 4, "lastObservedTime": "2025-06-03T12:00:00Z"}}]}`)}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{Namespace: "shop", Object: EventObject{Kind: "Pod", Namespace: "shop", Name: "api-1", FieldPath: "spec.containers{api}"},
			Reason: "OOMKilling", Message: "Memory cgroup out of memory", Count: 3, Last: "2025-06-03T11:00:00Z"},
		{Namespace: "shop", Object: EventObject{Kind: "Pod", Namespace: "shop", Name: "api-1"},
			Reason: "Evicted", Message: "The node was low on resource: memory. Container api was using 700Mi, request is 256Mi.", Count: 4, Last: "2025-06-03T12:00:00Z"},
	}
	if diff := cmp.Diff(want, c.Events); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
	incs, usage := findIncidents(c)
	if len(incs) != 1 || incs[0].Events != 3 || incs[0].Evicted != 4 || incs[0].Finished != "2025-06-03T11:00:00Z" {
		t.Errorf("incidents %+v", incs)
	}
	if len(usage) != 1 || usage[0].Bytes != 700<<20 || usage[0].Container != "api" || usage[0].Source != "eviction" {
		t.Errorf("usage %+v", usage)
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(onePod))
	f.Add([]byte("NAMESPACE POD NAME CPU(cores) MEMORY(bytes)\nshop a b 1m 1Mi\n"))
	f.Add([]byte("kind: List\nitems: [{kind: Pod}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Read([]Dump{{Name: "f", Data: data}})
		if err == nil {
			findIncidents(c)
		}
	})
}
