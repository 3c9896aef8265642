package triage

import (
	"cmp"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/internal/lazyre"
)

// exitSIGKILL is the exit code of a process killed by SIGKILL (128 + 9): what
// the kernel's OOM killer sends, and also what a kill after a failed
// liveness probe's grace period looks like.
const exitSIGKILL = 137

// Incident is one container of one pod that the cluster killed.
type Incident struct {
	Namespace string
	Pod       string
	Container string
	Init      bool   // an init container (or native sidecar)
	Restarts  int    // restartCount
	Reason    string // OOMKilled, or the termination reason of an exit 137
	ExitCode  int
	Finished  string // when the last kill happened (RFC 3339), "" when unknown
	Current   bool   // the container is terminated by the kill right now
	Limit     string // limits.memory the pod runs with, "" when none
	Events    int    // kill events for the container
	Evicted   int    // eviction events for the pod
}

// OOM reports whether the kill is known to be the OOM killer's.
func (i *Incident) OOM() bool { return i.Reason == "OOMKilled" }

// Ref is a workload a pod may belong to: kind and name, in its namespace.
type Ref struct {
	Kind string
	Name string
}

func (r Ref) String() string { return r.Kind + " " + r.Name }

// Group is the incidents of one container of one workload: every pod of a
// Deployment killed for the same reason is one thing to fix at one line.
type Group struct {
	Namespace string
	// Refs are the workloads the pods may belong to, most likely first
	// (a ReplicaSet's pods: the Deployment, an Argo Rollout, the
	// ReplicaSet itself).
	Refs        []Ref
	Via         string // the owner the pods name, when it is not Refs[0]: "ReplicaSet checkout-7d9f8c6b5d"
	Container   string
	Init        bool
	Incidents   []*Incident
	Labels      map[string]string // of the first pod
	Annotations map[string]string
}

// nameOf is the name the pods give a workload of that kind: the one the
// cluster runs, which a chart in the repository may render under another.
func (g *Group) nameOf(kind string) string {
	for _, r := range g.Refs {
		if r.Kind == kind {
			return r.Name
		}
	}
	return g.Refs[0].Name
}

// Restarts is the sum of the restart counts of the group's pods.
func (g *Group) Restarts() int {
	n := 0
	for _, i := range g.Incidents {
		n += i.Restarts
	}
	return n
}

// Last is the latest kill time of the group, "" when none is known.
func (g *Group) Last() string {
	last := ""
	for _, i := range g.Incidents {
		last = max(last, i.Finished) // RFC 3339 in UTC sorts as text
	}
	return last
}

// Pods are the names of the group's pods, sorted.
func (g *Group) Pods() []string {
	var out []string
	for _, i := range g.Incidents {
		out = append(out, i.Pod)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Limits are the distinct limits the group's pods run with, sorted.
func (g *Group) Limits() []string {
	var out []string
	for _, i := range g.Incidents {
		out = append(out, i.Limit)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// OOM reports whether any kill of the group is known to be the OOM
// killer's, not only an exit code 137.
func (g *Group) OOM() bool { return slices.ContainsFunc(g.Incidents, (*Incident).OOM) }

// findIncidents lists every container the cluster OOM-killed, or killed
// with exit code 137, with the usage samples eviction events and messages
// hold. Kill events name containers whose last termination no longer shows
// the kill.
func findIncidents(c *Cluster) ([]*Incident, []Usage) {
	var out []*Incident
	var usage []Usage
	for i := range c.Pods {
		p := &c.Pods[i]
		ns, name := p.Metadata.Namespace, p.Metadata.Name
		evs := podEvents(c.Events, ns, name)
		evicted := 0
		for _, e := range evs {
			if e.Reason == "Evicted" {
				evicted += e.Count
				usage = append(usage, evictionUsage(ns, name, e.Message)...)
			}
		}
		if p.Status.Reason == "Evicted" {
			usage = append(usage, evictionUsage(ns, name, p.Status.Message)...)
		}
		for _, list := range []struct {
			statuses []ContainerStatus
			init     bool
		}{{p.Status.InitContainerStatuses, true}, {p.Status.ContainerStatuses, false}} {
			for _, st := range list.statuses {
				inc := incidentOf(p, st, list.init, evs)
				if inc == nil {
					continue
				}
				inc.Evicted = evicted
				out = append(out, inc)
			}
		}
	}
	slices.SortFunc(out, func(a, b *Incident) int {
		return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Pod, b.Pod), strings.Compare(a.Container, b.Container))
	})
	return out, usage
}

// incidentOf reads one container status: a kill now, or as the last
// termination, or kill events naming the container.
func incidentOf(p *Pod, st ContainerStatus, init bool, evs []Event) *Incident {
	inc := &Incident{
		Namespace: p.Metadata.Namespace, Pod: p.Metadata.Name, Container: st.Name, Init: init,
		Restarts: st.RestartCount, Limit: specLimit(p, st.Name, init),
	}
	t := st.State.Terminated
	inc.Current = killed(t)
	if !inc.Current {
		t = st.LastState.Terminated
	}
	if killed(t) {
		inc.Reason, inc.ExitCode = t.Reason, t.ExitCode
		inc.Finished = t.FinishedAt
		if inc.Reason == "" {
			inc.Reason = "Error"
		}
	}
	for _, e := range evs {
		if !killEvent(e.Reason) || !eventNames(e, p, st.Name, init) {
			continue
		}
		inc.Events += e.Count
		if inc.Reason == "" || inc.Reason != "OOMKilled" && e.Last >= inc.Finished {
			inc.Reason = "OOMKilled"
			inc.ExitCode = exitSIGKILL
		}
		inc.Finished = max(inc.Finished, e.Last)
	}
	if inc.Reason == "" {
		return nil
	}
	return inc
}

// killed reports whether a termination was an OOM kill or a SIGKILL.
func killed(t *Terminated) bool {
	return t != nil && (t.Reason == "OOMKilled" || t.ExitCode == exitSIGKILL)
}

// killEvent reports whether an event reason is an OOM kill: the kubelet's
// OOMKilled, or OOMKilling as the node problem detector writes it.
func killEvent(reason string) bool { return reason == "OOMKilled" || reason == "OOMKilling" }

// podEvents are the events about one pod.
func podEvents(evs []Event, ns, pod string) []Event {
	var out []Event
	for _, e := range evs {
		if e.Object.Kind == "Pod" && e.Object.Name == pod && (e.Object.Namespace == "" || e.Object.Namespace == ns) {
			out = append(out, e)
		}
	}
	return out
}

// fieldContainer reads the container of an event's fieldPath:
// spec.containers{api}, spec.initContainers{init}.
var fieldContainer = lazyre.New(`^spec\.(containers|initContainers)\{([^}]+)\}`)

// eventNames reports whether a pod's event is about the container; one
// without a fieldPath is about the pod's only container.
func eventNames(e Event, p *Pod, container string, init bool) bool {
	if m := fieldContainer().FindStringSubmatch(e.Object.FieldPath); m != nil {
		return m[2] == container && (m[1] == "initContainers") == init
	}
	return !init && len(p.Spec.Containers) == 1 && p.Spec.Containers[0].Name == container
}

// specLimit is the memory limit a container runs with, as the pod spec
// says: its own, else the pod-level one.
func specLimit(p *Pod, name string, init bool) string {
	list := p.Spec.Containers
	if init {
		list = p.Spec.InitContainers
	}
	for _, c := range list {
		if c.Name == name && c.Resources.Limits["memory"] != "" {
			return c.Resources.Limits["memory"]
		}
	}
	if r := p.Spec.Resources; r != nil {
		return r.Limits["memory"]
	}
	return ""
}

// jobSuffix is what the CronJob controller appends to a Job's name: the
// scheduled time in minutes since the epoch.
var jobSuffix = lazyre.New(`-\d+$`)

// refsOf lists the workloads a pod may belong to, most likely first, and
// the owner it names when that is not the workload itself.
func refsOf(p *Pod) ([]Ref, string) {
	var owner *OwnerReference
	for i := range p.Metadata.OwnerReferences {
		o := &p.Metadata.OwnerReferences[i]
		if owner == nil || o.Controller != nil && *o.Controller {
			owner = o
		}
	}
	if owner == nil {
		return []Ref{{"Pod", p.Metadata.Name}}, ""
	}
	via := owner.Kind + " " + owner.Name
	switch owner.Kind {
	case "ReplicaSet":
		base := trimHash(owner.Name, p.Metadata.Labels)
		if base == "" {
			return []Ref{{"ReplicaSet", owner.Name}}, ""
		}
		return []Ref{{"Deployment", base}, {"Rollout", base}, {"ReplicaSet", owner.Name}}, via
	case "Job":
		refs := []Ref{{"Job", owner.Name}}
		if base := jobSuffix().ReplaceAllString(owner.Name, ""); base != owner.Name {
			// A scheduled Job: the CronJob is what the repository holds.
			refs = []Ref{{"CronJob", base}, {"Job", owner.Name}}
		}
		return refs, via
	case "ReplicationController":
		// OpenShift DeploymentConfig pods: <dc>-<version>.
		if base := jobSuffix().ReplaceAllString(owner.Name, ""); base != owner.Name {
			return []Ref{{"ReplicationController", owner.Name}, {"DeploymentConfig", base}}, ""
		}
	case "Node":
		return []Ref{{"Pod", p.Metadata.Name}}, "" // a static pod
	}
	return []Ref{{owner.Kind, owner.Name}}, ""
}

// trimHash strips the pod-template-hash a Deployment (or an Argo Rollout)
// adds to its ReplicaSets' names; without the label, the last dash-separated
// part when it looks like one.
func trimHash(rs string, labels map[string]string) string {
	for _, l := range []string{"pod-template-hash", "rollouts-pod-template-hash"} {
		if h := labels[l]; h != "" {
			if base, ok := strings.CutSuffix(rs, "-"+h); ok && base != "" {
				return base
			}
		}
	}
	i := strings.LastIndexByte(rs, '-')
	if i <= 0 || !templateHash().MatchString(rs[i+1:]) {
		return ""
	}
	return rs[:i]
}

// templateHash matches a pod-template-hash: what rand.SafeEncodeString
// writes (no vowels, no 0, 1 or 3).
var templateHash = lazyre.New(`^[bcdfghjklmnpqrstvwxz2456789]{5,10}$`)

// groupIncidents gathers the incidents of one container of one workload.
func groupIncidents(c *Cluster, incs []*Incident) []*Group {
	pods := map[[2]string]*Pod{}
	for i := range c.Pods {
		p := &c.Pods[i]
		pods[[2]string{p.Metadata.Namespace, p.Metadata.Name}] = p
	}
	var out []*Group
	byKey := map[string]*Group{}
	for _, inc := range incs {
		p := pods[[2]string{inc.Namespace, inc.Pod}]
		refs, via := refsOf(p)
		key := strings.Join([]string{inc.Namespace, refs[0].Kind, refs[0].Name, inc.Container, boolKey(inc.Init)}, "\x00")
		g := byKey[key]
		if g == nil {
			g = &Group{Namespace: inc.Namespace, Refs: refs, Via: via, Container: inc.Container, Init: inc.Init,
				Labels: p.Metadata.Labels, Annotations: p.Metadata.Annotations}
			byKey[key] = g
			out = append(out, g)
		}
		g.Incidents = append(g.Incidents, inc)
	}
	return out
}

func boolKey(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
