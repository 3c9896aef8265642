package triage

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/oomlint/oomlint/internal/lazyre"
	"github.com/oomlint/oomlint/internal/quantity"
)

// Kind is what a dump file holds, as --vpa, --top and --events require.
type Kind int

// Kinds of dump. Any is a file whose kind is read from its content.
const (
	Any Kind = iota
	Pods
	VPAs
	Top
	Events
)

func (k Kind) String() string {
	switch k {
	case Pods:
		return "kubectl get pods -o json"
	case VPAs:
		return "kubectl get vpa -o json"
	case Top:
		return "kubectl top pods --containers"
	case Events:
		return "kubectl get events -o json"
	case Any:
	}
	return "a kubectl dump"
}

// Dump is one file of saved kubectl output.
type Dump struct {
	Name string // the path, or <stdin>
	Flag string // the flag that named it ("--top"), "" for the pods dump
	Data []byte
	Want Kind // Any, or the kind the file must hold
}

// label names a dump in messages as it was given: --top top.txt.
func (d Dump) label() string {
	if d.Flag == "" {
		return d.Name
	}
	return d.Flag + " " + d.Name
}

// Cluster is what the dumps say about the cluster.
type Cluster struct {
	Pods   []Pod
	VPAs   []VPA
	Usage  []Usage
	Events []Event
}

// Pod is the part of a Pod object triage reads.
type Pod struct {
	Metadata struct {
		Name            string            `json:"name"`
		Namespace       string            `json:"namespace"`
		Labels          map[string]string `json:"labels"`
		Annotations     map[string]string `json:"annotations"`
		OwnerReferences []OwnerReference  `json:"ownerReferences"`
	} `json:"metadata"`
	Spec struct {
		Containers     []PodContainer `json:"containers"`
		InitContainers []PodContainer `json:"initContainers"`
		Resources      *Resources     `json:"resources"`
	} `json:"spec"`
	Status struct {
		Phase                 string            `json:"phase"`
		Reason                string            `json:"reason"`
		Message               string            `json:"message"`
		ContainerStatuses     []ContainerStatus `json:"containerStatuses"`
		InitContainerStatuses []ContainerStatus `json:"initContainerStatuses"`
	} `json:"status"`
}

// OwnerReference names the object that created a Pod or Job.
type OwnerReference struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Controller *bool  `json:"controller"`
}

// PodContainer is a container of a pod spec.
type PodContainer struct {
	Name      string    `json:"name"`
	Image     string    `json:"image"`
	Resources Resources `json:"resources"`
}

// Resources are a container's (or pod's) requests and limits as written.
type Resources struct {
	Limits   map[string]string `json:"limits"`
	Requests map[string]string `json:"requests"`
}

// ContainerStatus is one entry of status.containerStatuses.
type ContainerStatus struct {
	Name         string         `json:"name"`
	RestartCount int            `json:"restartCount"`
	State        ContainerState `json:"state"`
	LastState    ContainerState `json:"lastState"`
}

// ContainerState is a container's current or last state.
type ContainerState struct {
	Terminated *Terminated `json:"terminated"`
	Waiting    *struct {
		Reason string `json:"reason"`
	} `json:"waiting"`
}

// Terminated is how a container's run ended.
type Terminated struct {
	ExitCode   int    `json:"exitCode"`
	Signal     int    `json:"signal"`
	Reason     string `json:"reason"`
	StartedAt  string `json:"startedAt"`
	FinishedAt string `json:"finishedAt"`
}

// VPA is the part of a VerticalPodAutoscaler triage reads.
type VPA struct {
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		TargetRef struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"targetRef"`
	} `json:"spec"`
	Status struct {
		Recommendation struct {
			ContainerRecommendations []struct {
				ContainerName string            `json:"containerName"`
				Target        map[string]string `json:"target"`
				UpperBound    map[string]string `json:"upperBound"`
			} `json:"containerRecommendations"`
		} `json:"recommendation"`
	} `json:"status"`
}

// Usage is one memory sample: a `kubectl top pods --containers` row, or
// what a kubelet eviction message says a container was using.
type Usage struct {
	Namespace string // "" when the sample did not say (top without -A)
	Pod       string
	Container string // "" for a pod total (top without --containers)
	Bytes     int64
	Source    string // "kubectl top", "eviction"
}

// Event is the part of a core/v1 (or events.k8s.io/v1) Event triage reads.
type Event struct {
	Namespace string
	Object    EventObject
	Reason    string
	Message   string
	Count     int
	Last      string // lastTimestamp, else eventTime
}

// EventObject is what an event is about.
type EventObject struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	FieldPath string `json:"fieldPath"`
}

// eventJSON reads both event APIs: core/v1 (involvedObject, message,
// count, lastTimestamp) and events.k8s.io/v1 (regarding, note,
// deprecatedCount, series).
type eventJSON struct {
	Metadata struct {
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	InvolvedObject     *EventObject `json:"involvedObject"`
	Regarding          *EventObject `json:"regarding"`
	Reason             string       `json:"reason"`
	Message            string       `json:"message"`
	Note               string       `json:"note"`
	Count              int          `json:"count"`
	DeprecatedCount    int          `json:"deprecatedCount"`
	LastTimestamp      string       `json:"lastTimestamp"`
	DeprecatedLastTime string       `json:"deprecatedLastTimestamp"`
	EventTime          string       `json:"eventTime"`
	Series             *struct {
		Count            int    `json:"count"`
		LastObservedTime string `json:"lastObservedTime"`
	} `json:"series"`
}

func (e eventJSON) event() Event {
	ev := Event{Namespace: e.Metadata.Namespace, Reason: e.Reason, Message: e.Message, Count: e.Count, Last: e.LastTimestamp}
	switch {
	case e.InvolvedObject != nil:
		ev.Object = *e.InvolvedObject
	case e.Regarding != nil:
		ev.Object = *e.Regarding
	}
	if ev.Message == "" {
		ev.Message = e.Note
	}
	if ev.Count == 0 {
		ev.Count = e.DeprecatedCount
	}
	if e.Series != nil {
		ev.Count = max(ev.Count, e.Series.Count)
		if e.Series.LastObservedTime != "" {
			ev.Last = e.Series.LastObservedTime
		}
	}
	ev.Last = firstOf(ev.Last, e.DeprecatedLastTime, e.EventTime)
	ev.Count = max(ev.Count, 1)
	if ev.Object.Namespace == "" {
		ev.Object.Namespace = ev.Namespace
	}
	return ev
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// ErrNoPods means no dump held a Pod: triage has nothing to trace.
var ErrNoPods = errors.New("no Pods in the dumps (save them with kubectl get pods -A -o json)")

// Read parses every dump into one Cluster. A file's kind is read from its
// content: a JSON or YAML List (or single object) of Pods, VPAs or Events,
// or the text table of kubectl top. A file that is none of these, or not
// the kind its flag asks for, is an error.
func Read(dumps []Dump) (*Cluster, error) {
	c := &Cluster{}
	for _, d := range dumps {
		got, err := c.read(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.label(), err)
		}
		if d.Want != Any && !got[d.Want] {
			return nil, fmt.Errorf("%s: not the output of %s", d.label(), d.Want)
		}
	}
	if len(c.Pods) == 0 {
		return nil, ErrNoPods
	}
	return c, nil
}

// read adds one dump's content and says which kinds it held.
func (c *Cluster) read(d Dump) (map[Kind]bool, error) {
	data := bytes.TrimSpace(bytes.TrimPrefix(d.Data, []byte("\xef\xbb\xbf")))
	if len(data) == 0 {
		return nil, errors.New("empty file")
	}
	if looksLikeTop(data) {
		us, err := parseTop(data)
		if err != nil {
			return nil, err
		}
		c.Usage = append(c.Usage, us...)
		return map[Kind]bool{Top: true}, nil
	}
	items, err := parseItems(data)
	if err != nil {
		return nil, err
	}
	got := map[Kind]bool{}
	for _, raw := range items {
		var head struct {
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, err
		}
		switch head.Kind {
		case "Pod":
			var p Pod
			if err := json.Unmarshal(raw, &p); err != nil {
				return nil, fmt.Errorf("Pod: %w", err)
			}
			c.Pods = append(c.Pods, p)
			got[Pods] = true
		case "VerticalPodAutoscaler":
			var v VPA
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, fmt.Errorf("VerticalPodAutoscaler: %w", err)
			}
			c.VPAs = append(c.VPAs, v)
			got[VPAs] = true
		case "Event":
			var e eventJSON
			if err := json.Unmarshal(raw, &e); err != nil {
				return nil, fmt.Errorf("Event: %w", err)
			}
			c.Events = append(c.Events, e.event())
			got[Events] = true
		}
	}
	if len(got) == 0 && len(items) > 0 {
		return nil, errors.New("holds no Pod, VerticalPodAutoscaler or Event")
	}
	// An empty List is a valid dump of a namespace with nothing in it.
	if len(items) == 0 {
		got[d.Want] = true
	}
	return got, nil
}

// parseItems reads a JSON or YAML document: a List's items, or the object
// itself.
func parseItems(data []byte) ([]json.RawMessage, error) {
	if data[0] != '{' {
		j, err := yaml.YAMLToJSON(data)
		if err != nil {
			return nil, fmt.Errorf("neither JSON, YAML nor kubectl top output: %w", err)
		}
		data = j
	}
	var doc struct {
		Kind  string            `json:"kind"`
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not a Kubernetes object or List: %w", err)
	}
	if doc.Kind == "" {
		return nil, errors.New("not a Kubernetes object or List: no kind")
	}
	if strings.HasSuffix(doc.Kind, "List") {
		return doc.Items, nil
	}
	return []json.RawMessage{data}, nil
}

// looksLikeTop reports whether data starts with kubectl top's header.
func looksLikeTop(data []byte) bool {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	return bytes.Contains(line, []byte("MEMORY(bytes)"))
}

// parseTop reads `kubectl top pods` output: NAMESPACE POD NAME CPU(cores)
// MEMORY(bytes) with -A --containers, POD NAME … without -A, and NAMESPACE
// NAME … or NAME … (pod totals) without --containers.
func parseTop(data []byte) ([]Usage, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var cols map[string]int
	width := 0 // the fields a row needs
	var out []Usage
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if slices.Contains(fields, "MEMORY(bytes)") {
			cols, width = map[string]int{}, len(fields)
			for i, f := range fields {
				cols[f] = i
			}
			continue
		}
		if cols == nil || len(fields) < width {
			return nil, fmt.Errorf("line %d: not a row of kubectl top output", line)
		}
		u := Usage{Source: "kubectl top"}
		get := func(name string) string {
			if i, ok := cols[name]; ok {
				return fields[i]
			}
			return ""
		}
		u.Namespace = get("NAMESPACE")
		if _, ok := cols["POD"]; ok {
			u.Pod, u.Container = get("POD"), get("NAME")
		} else {
			u.Pod = get("NAME")
		}
		q, err := quantity.Parse(get("MEMORY(bytes)"))
		if err != nil {
			return nil, fmt.Errorf("line %d: memory %q: %w", line, get("MEMORY(bytes)"), err)
		}
		u.Bytes = q.Value()
		out = append(out, u)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// evictedUsage reads what an eviction message says a container was using:
// "Container api was using 1503Mi, request is 512Mi, has larger
// consumption of memory."
var evictedUsage = lazyre.New(`Container (\S+) was using (\d+(?:\.\d+)?[A-Za-z]*), request is`)

// evictionUsage returns the memory samples in a kubelet eviction message.
func evictionUsage(namespace, pod, msg string) []Usage {
	if !strings.Contains(msg, "memory") {
		return nil
	}
	var out []Usage
	for _, m := range evictedUsage().FindAllStringSubmatch(msg, -1) {
		q, err := quantity.Parse(m[2])
		if err != nil {
			continue
		}
		out = append(out, Usage{Namespace: namespace, Pod: pod, Container: m[1], Bytes: q.Value(), Source: "eviction"})
	}
	return out
}

// parseBytes reads a memory quantity, or reports that it does not parse.
func parseBytes(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	q, err := quantity.Parse(s)
	if err != nil {
		return 0, false
	}
	return q.Value(), true
}
