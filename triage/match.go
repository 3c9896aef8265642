package triage

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"
	"github.com/oomlint/oomlint/lint"
)

// Annotations `oomlint render` writes on every object it prints; a cluster
// applied from that output carries them.
const (
	originAnnotation = "oomlint.io/origin"
	unitAnnotation   = "oomlint.io/unit"
)

// Labels GitOps controllers and Helm charts put on what they deploy.
const (
	labelName          = "app.kubernetes.io/name"
	labelInstance      = "app.kubernetes.io/instance"
	labelFluxHelm      = "helm.toolkit.fluxcd.io/name"
	labelFluxHelmNS    = "helm.toolkit.fluxcd.io/namespace"
	labelFluxKustomize = "kustomize.toolkit.fluxcd.io/name"
	labelFluxKustNS    = "kustomize.toolkit.fluxcd.io/namespace"
	labelArgoInstance  = "argocd.argoproj.io/instance"
)

// matcher finds the repository object that deploys a group's pods.
type matcher struct {
	objects   []*lint.Object
	byName    map[string][]*lint.Object // kind/name
	defaultNS string                    // the namespace objects without one were given
}

func newMatcher(objects []*lint.Object, defaultNS string) *matcher {
	m := &matcher{objects: objects, byName: map[string][]*lint.Object{}, defaultNS: defaultNS}
	for _, o := range objects {
		k := o.Kind + "/" + o.Name
		m.byName[k] = append(m.byName[k], o)
	}
	return m
}

// match is the outcome of matching one group.
type match struct {
	object *lint.Object
	also   []*lint.Object // other objects that match as well
	how    string         // how the object was found, for the trace
	reason string         // why nothing matched
}

// candidate is an object that may deploy a group's pods, with how well it fits.
type candidate struct {
	o     *lint.Object
	score int
	how   string
}

// find matches a group: by the origin annotation oomlint render writes,
// then by kind, namespace and name for each workload the pods may belong
// to, then by the Helm release name the pods' instance label gives. Labels
// and annotations rank several candidates.
func (m *matcher) find(g *Group) match {
	if cs := m.byOrigin(g); len(cs) > 0 {
		return m.best(g, cs)
	}
	for _, ref := range g.Refs {
		var cs []candidate
		for _, o := range m.byName[ref.Kind+"/"+ref.Name] {
			if exact, ok := m.namespaceFits(o, g.Namespace); ok {
				cs = append(cs, candidate{o: o, score: nsScore(exact), how: "by kind, namespace and name"})
			}
		}
		if len(cs) > 0 {
			return m.best(g, cs)
		}
	}
	for _, ref := range g.Refs {
		if cs := m.byRelease(g, ref); len(cs) > 0 {
			return m.best(g, cs)
		}
	}
	return match{reason: m.why(g)}
}

func nsScore(exact bool) int {
	if exact {
		return 4
	}
	return 0
}

// namespaceFits reports whether an object may be the one in namespace ns:
// it is there, or it names no namespace of its own (it was given the
// default one, as kubectl apply -n and helm install -n place it anywhere).
func (m *matcher) namespaceFits(o *lint.Object, ns string) (exact, ok bool) {
	if o.Namespace == ns {
		return true, true
	}
	return false, o.Namespace == m.defaultNS
}

// byOrigin finds the objects an oomlint.io/origin annotation (file:line)
// names, narrowed by oomlint.io/unit.
func (m *matcher) byOrigin(g *Group) []candidate {
	origin := g.Annotations[originAnnotation]
	file, line, ok := strings.Cut(origin, ":")
	if !ok || file == "" {
		return nil
	}
	n, err := strconv.Atoi(line)
	if err != nil {
		return nil
	}
	unit := g.Annotations[unitAnnotation]
	var out []candidate
	for _, o := range m.objects {
		if o.Workload == nil {
			continue
		}
		loc := o.Origin.Locate(lint.Root)
		if loc.Line != n || (loc.File != file && !strings.HasSuffix(loc.File, "/"+file) && !strings.HasSuffix(file, "/"+loc.File)) {
			continue
		}
		if unit != "" && (o.Unit == nil || o.Unit.Name != unit) {
			continue
		}
		out = append(out, candidate{o: o, score: 16, how: "by its " + originAnnotation + " annotation"})
	}
	return out
}

// byRelease finds objects of a chart rendered under another release name:
// the repository renders a chart as release-name-api, the cluster runs
// search-api. The object's instance label says which part of its name is
// the release; the pods' instance label gives the cluster's.
func (m *matcher) byRelease(g *Group, ref Ref) []candidate {
	release := g.Labels[labelInstance]
	if release == "" {
		release = g.Labels["release"]
	}
	if release == "" {
		return nil
	}
	var out []candidate
	for _, o := range m.objects {
		if o.Kind != ref.Kind || o.Workload == nil {
			continue
		}
		exact, ok := m.namespaceFits(o, g.Namespace)
		if !ok {
			continue
		}
		rendered := instanceOf(o)
		if rendered == "" || rendered == release || !strings.Contains(o.Name, rendered) {
			continue
		}
		if strings.Replace(o.Name, rendered, release, 1) == ref.Name {
			out = append(out, candidate{o: o, score: nsScore(exact) - 1,
				how: fmt.Sprintf("as Helm release %s (the repository renders it as %s)", release, rendered)})
		}
	}
	return out
}

// instanceOf is the release name an object was rendered with, as its own
// or its pod template's labels say.
func instanceOf(o *lint.Object) string {
	for _, labels := range []map[string]string{labelsAt(o, "metadata", "labels"), templateLabels(o)} {
		if v := labels[labelInstance]; v != "" {
			return v
		}
		if v := labels["release"]; v != "" {
			return v
		}
	}
	return ""
}

// templateLabels are the labels of a workload's pod template.
func templateLabels(o *lint.Object) map[string]string {
	wk, ok := lint.KindOf(o.Kind)
	if !ok {
		return nil
	}
	keys := append(slices.Clone(wk.PodSpec[:len(wk.PodSpec)-1]), "metadata", "labels")
	return labelsAt(o, keys...)
}

func labelsAt(o *lint.Object, keys ...string) map[string]string {
	n := yamlnode.Get(o.Node, keys...)
	if n == nil {
		return nil
	}
	out := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		out[n.Content[i].Value] = yamlnode.Deref(n.Content[i+1]).Value
	}
	return out
}

// best ranks candidates by what the pods' labels and annotations say and
// keeps the first of the best; the others that rank as well are named.
func (m *matcher) best(g *Group, cs []candidate) match {
	for i := range cs {
		cs[i].score += fit(g, cs[i].o)
	}
	top := slices.MaxFunc(cs, func(a, b candidate) int { return a.score - b.score }).score
	var out match
	for _, c := range cs {
		if c.score != top {
			continue
		}
		if out.object == nil {
			out.object, out.how = c.o, c.how
			continue
		}
		out.also = append(out.also, c.o)
	}
	return out
}

// fit scores how well an object fits the pods beyond kind and name: the
// container is there, tracking labels name its GitOps object, the app
// labels agree.
func fit(g *Group, o *lint.Object) int {
	score := 0
	if containerOf(o, g.Container, g.Init) != nil {
		score += 2
	} else {
		score -= 8
	}
	if u := g.Annotations[unitAnnotation]; u != "" && o.Unit != nil {
		score += agree(u == o.Unit.Name, 8)
	}
	chain := controllers(o)
	if name := g.Labels[labelFluxHelm]; name != "" {
		score += agree(hasController(chain, "helm.toolkit.fluxcd.io/", "HelmRelease", name, g.Labels[labelFluxHelmNS]), 3)
	}
	if name := g.Labels[labelFluxKustomize]; name != "" {
		score += agree(hasController(chain, "kustomize.toolkit.fluxcd.io/", "Kustomization", name, g.Labels[labelFluxKustNS]), 3)
	}
	if inst := g.Labels[labelArgoInstance]; inst != "" {
		// Argo CD writes <app> or, with applications in any namespace, <namespace>_<app>.
		ns, name, ok := strings.Cut(inst, "_")
		if !ok {
			ns, name = "", inst
		}
		score += agree(hasController(chain, "argoproj.io/", "Application", name, ns), 3)
	}
	tl := templateLabels(o)
	for _, l := range []string{labelName, labelInstance} {
		if v, w := g.Labels[l], tl[l]; v != "" && w != "" {
			score += agree(v == w, 1)
		}
	}
	return score
}

func agree(ok bool, weight int) int {
	if ok {
		return weight
	}
	return -weight
}

// controllers are the GitOps objects behind an object, nearest first: the
// HelmRelease that rendered it, the Flux Kustomization that built that…
func controllers(o *lint.Object) []*lint.Object {
	var out []*lint.Object
	seen := map[*lint.Unit]bool{}
	for u := o.Unit; u != nil && u.Source != nil && !seen[u]; u = u.Source.Unit {
		seen[u] = true
		out = append(out, u.Source)
	}
	return out
}

func hasController(chain []*lint.Object, group, kind, name, ns string) bool {
	return slices.ContainsFunc(chain, func(c *lint.Object) bool {
		return c.Kind == kind && strings.HasPrefix(c.APIVersion, group) && c.Name == name && (ns == "" || c.Namespace == ns)
	})
}

// containerOf finds a workload's container by name.
func containerOf(o *lint.Object, name string, init bool) *lint.Container {
	if o.Workload == nil {
		return nil
	}
	for _, c := range o.Workload.Containers {
		if c.Name == name && (c.Role != lint.Regular) == init {
			return c
		}
	}
	return nil
}

// why says why no object matched a group: nothing of that kind and name,
// or only in other namespaces.
func (m *matcher) why(g *Group) string {
	ref := g.Refs[0]
	msg := fmt.Sprintf("no %s %s/%s in the repository", ref.Kind, g.Namespace, ref.Name)
	if g.Via != "" {
		msg += " (the pods' owner is " + g.Via + ")"
	}
	var elsewhere []string
	for _, r := range g.Refs {
		for _, o := range m.byName[r.Kind+"/"+r.Name] {
			elsewhere = append(elsewhere, fmt.Sprintf("%s %s/%s", o.Kind, o.Namespace, o.Name))
		}
	}
	if len(elsewhere) > 0 {
		slices.Sort(elsewhere)
		msg += "; it has " + strings.Join(slices.Compact(elsewhere), ", ")
	}
	return msg
}
