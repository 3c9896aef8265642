package triage

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRefsOf(t *testing.T) {
	yes := true
	owner := func(kind, name string) []OwnerReference {
		return []OwnerReference{{Kind: kind, Name: name, Controller: &yes}}
	}
	tests := []struct {
		name   string
		pod    string
		labels map[string]string
		owners []OwnerReference
		want   []Ref
		via    string
	}{
		{"deployment", "checkout-7d9f8c6b5d-2xkqp", map[string]string{"pod-template-hash": "7d9f8c6b5d"}, owner("ReplicaSet", "checkout-7d9f8c6b5d"),
			[]Ref{{"Deployment", "checkout"}, {"Rollout", "checkout"}, {"ReplicaSet", "checkout-7d9f8c6b5d"}}, "ReplicaSet checkout-7d9f8c6b5d"},
		{"argo rollout", "web-6f7b9c8d5-abcde", map[string]string{"rollouts-pod-template-hash": "6f7b9c8d5"}, owner("ReplicaSet", "web-6f7b9c8d5"),
			[]Ref{{"Deployment", "web"}, {"Rollout", "web"}, {"ReplicaSet", "web-6f7b9c8d5"}}, "ReplicaSet web-6f7b9c8d5"},
		{"hash without its label", "my-app-5d9c7f8b46-x", nil, owner("ReplicaSet", "my-app-5d9c7f8b46"),
			[]Ref{{"Deployment", "my-app"}, {"Rollout", "my-app"}, {"ReplicaSet", "my-app-5d9c7f8b46"}}, "ReplicaSet my-app-5d9c7f8b46"},
		{"bare replicaset", "frontend-x", nil, owner("ReplicaSet", "frontend"), []Ref{{"ReplicaSet", "frontend"}}, ""},
		{"cronjob", "nightly-report-29145600-7xk2p", nil, owner("Job", "nightly-report-29145600"),
			[]Ref{{"CronJob", "nightly-report"}, {"Job", "nightly-report-29145600"}}, "Job nightly-report-29145600"},
		{"job", "migrate-abcde", nil, owner("Job", "migrate"), []Ref{{"Job", "migrate"}}, "Job migrate"},
		{"statefulset", "postgres-0", nil, owner("StatefulSet", "postgres"), []Ref{{"StatefulSet", "postgres"}}, ""},
		{"daemonset", "agent-x7k2p", nil, owner("DaemonSet", "agent"), []Ref{{"DaemonSet", "agent"}}, ""},
		{"no owner", "debug", nil, nil, []Ref{{"Pod", "debug"}}, ""},
		{"static pod", "etcd-node-1", nil, owner("Node", "node-1"), []Ref{{"Pod", "etcd-node-1"}}, ""},
		{"operator", "solr-0", nil, owner("SolrCloud", "solr"), []Ref{{"SolrCloud", "solr"}}, ""},
		{"controller among owners", "a-0", nil, []OwnerReference{{Kind: "ConfigMap", Name: "x"}, {Kind: "StatefulSet", Name: "a", Controller: &yes}},
			[]Ref{{"StatefulSet", "a"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p Pod
			p.Metadata.Name, p.Metadata.Labels, p.Metadata.OwnerReferences = tc.pod, tc.labels, tc.owners
			refs, via := refsOf(&p)
			if diff := cmp.Diff(tc.want, refs); diff != "" {
				t.Errorf("refs (-want +got):\n%s", diff)
			}
			if via != tc.via {
				t.Errorf("via = %q, want %q", via, tc.via)
			}
		})
	}
}

func TestFindIncidents(t *testing.T) {
	const pod = `{"kind": "Pod", "metadata": {"name": "p", "namespace": "n"},
 "spec": {"resources": {"limits": {"memory": "2Gi"}},
  "initContainers": [{"name": "init", "resources": {"limits": {"memory": "64Mi"}}}],
  "containers": [{"name": "now", "resources": {"limits": {"memory": "1Gi"}}}, {"name": "last"}, {"name": "exit137"}, {"name": "fine"}, {"name": "probe"}]},
 "status": {
  "initContainerStatuses": [{"name": "init", "restartCount": 1, "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": "2025-06-03T01:00:00Z"}}}],
  "containerStatuses": [
   {"name": "now", "restartCount": 3, "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": "2025-06-03T03:00:00Z"}},
    "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": "2025-06-03T02:00:00Z"}}},
   {"name": "last", "restartCount": 1, "state": {"running": {}}, "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": "2025-06-03T04:00:00Z"}}},
   {"name": "exit137", "restartCount": 2, "lastState": {"terminated": {"exitCode": 137, "reason": "Error", "finishedAt": "2025-06-03T05:00:00Z"}}},
   {"name": "fine", "restartCount": 9, "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}},
   {"name": "probe", "restartCount": 1, "lastState": {"terminated": {"exitCode": 0, "reason": "Completed", "finishedAt": "2025-06-03T05:00:00Z"}}}]}}`
	var p Pod
	if err := json.Unmarshal([]byte(pod), &p); err != nil {
		t.Fatal(err)
	}
	c := &Cluster{Pods: []Pod{p}, Events: []Event{{
		Object: EventObject{Kind: "Pod", Namespace: "n", Name: "p", FieldPath: "spec.containers{probe}"},
		Reason: "OOMKilled", Count: 2, Last: "2025-06-03T06:00:00Z",
	}}}
	incs, _ := findIncidents(c)
	var got []Incident
	for _, i := range incs {
		got = append(got, *i)
	}
	want := []Incident{
		{Namespace: "n", Pod: "p", Container: "exit137", Restarts: 2, Reason: "Error", ExitCode: 137, Finished: "2025-06-03T05:00:00Z", Limit: "2Gi"},
		{Namespace: "n", Pod: "p", Container: "init", Init: true, Restarts: 1, Reason: "OOMKilled", ExitCode: 137, Finished: "2025-06-03T01:00:00Z", Limit: "64Mi"},
		{Namespace: "n", Pod: "p", Container: "last", Restarts: 1, Reason: "OOMKilled", ExitCode: 137, Finished: "2025-06-03T04:00:00Z", Limit: "2Gi"},
		{Namespace: "n", Pod: "p", Container: "now", Restarts: 3, Reason: "OOMKilled", ExitCode: 137, Finished: "2025-06-03T03:00:00Z", Current: true, Limit: "1Gi"},
		{Namespace: "n", Pod: "p", Container: "probe", Restarts: 1, Reason: "OOMKilled", ExitCode: 137, Finished: "2025-06-03T06:00:00Z", Limit: "2Gi", Events: 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("incidents (-want +got):\n%s", diff)
	}
	groups := groupIncidents(c, incs)
	if len(groups) != 5 {
		t.Fatalf("%d groups, want one per container", len(groups))
	}
	if g := groups[0]; g.Refs[0] != (Ref{"Pod", "p"}) || g.OOM() || g.Restarts() != 2 {
		t.Errorf("group %+v", g)
	}
}

func TestGroupIncidents(t *testing.T) {
	yes := true
	mk := func(name, hash string, restarts int, finished, limit string) Pod {
		var p Pod
		p.Metadata.Name, p.Metadata.Namespace = name, "shop"
		p.Metadata.Labels = map[string]string{"pod-template-hash": hash}
		p.Metadata.OwnerReferences = []OwnerReference{{Kind: "ReplicaSet", Name: "api-" + hash, Controller: &yes}}
		p.Spec.Containers = []PodContainer{{Name: "api", Resources: Resources{Limits: map[string]string{"memory": limit}}}}
		p.Status.ContainerStatuses = []ContainerStatus{{Name: "api", RestartCount: restarts,
			LastState: ContainerState{Terminated: &Terminated{ExitCode: 137, Reason: "OOMKilled", FinishedAt: finished}}}}
		return p
	}
	// Mid-rollout: pods of two ReplicaSets of one Deployment, with two limits.
	c := &Cluster{Pods: []Pod{
		mk("api-6d9f7c8b5d-aaaaa", "6d9f7c8b5d", 2, "2025-06-03T10:00:00Z", "512Mi"),
		mk("api-6d9f7c8b5d-bbbbb", "6d9f7c8b5d", 3, "2025-06-03T12:00:00Z", "512Mi"),
		mk("api-7b8c9d6f5g-ccccc", "7b8c9d6f5g", 1, "2025-06-03T11:00:00Z", "768Mi"),
	}}
	incs, _ := findIncidents(c)
	groups := groupIncidents(c, incs)
	if len(groups) != 1 {
		t.Fatalf("%d groups, want 1", len(groups))
	}
	g := groups[0]
	if g.Restarts() != 6 || g.Last() != "2025-06-03T12:00:00Z" || !cmp.Equal(g.Limits(), []string{"512Mi", "768Mi"}) || len(g.Pods()) != 3 {
		t.Errorf("restarts %d, last %s, limits %v, pods %v", g.Restarts(), g.Last(), g.Limits(), g.Pods())
	}
}
