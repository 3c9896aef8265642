package lint

import (
	"path"
	"slices"
	"strings"

	"github.com/oomlint/oomlint/internal/yamlnode"

	"go.yaml.in/yaml/v3"
)

// ConfigMapFile is a file a container reads from a ConfigMap volume: a
// uwsgi.ini mounted at /etc/uwsgi.
type ConfigMapFile struct {
	Path  string // as the container sees it: /etc/uwsgi/uwsgi.ini
	Value string
	At    Place // the ConfigMap's data key
}

// MountedConfigMapFile returns the file at name (an absolute path in the
// container) when one of the container's volume mounts puts a key of a
// ConfigMap there: a configMap volume or a projected volume's configMap
// source, mounted whole (items and their paths honoured) or by subPath.
// configMap returns the ConfigMap the pod would mount under a name, nil
// when the repository does not have it; such a file is not found.
func MountedConfigMapFile(w *Workload, c *Container, name string, configMap func(string) *Object) (ConfigMapFile, bool) {
	if w == nil || c == nil || configMap == nil || !path.IsAbs(name) {
		return ConfigMapFile{}, false
	}
	name = path.Clean(name)
	mounts := yamlnode.Get(c.Node, "volumeMounts")
	if mounts == nil || mounts.Kind != yaml.SequenceNode {
		return ConfigMapFile{}, false
	}
	// A later mount over the same path hides an earlier one.
	for _, m := range slices.Backward(mounts.Content) {
		at := path.Clean(yamlnode.Str(m, "mountPath"))
		sub := yamlnode.Str(m, "subPath")
		var rel string
		switch {
		case sub != "" && at == name:
			rel = path.Clean(sub)
		case sub == "" && strings.HasPrefix(name, strings.TrimSuffix(at, "/")+"/"):
			rel = strings.TrimPrefix(name, strings.TrimSuffix(at, "/")+"/")
		default:
			continue
		}
		if f, ok := volumeFile(w.Pod, yamlnode.Str(m, "name"), rel, configMap); ok {
			f.Path = name
			return f, true
		}
	}
	return ConfigMapFile{}, false
}

// volumeFile finds the ConfigMap key a volume shows at rel.
func volumeFile(pod *yaml.Node, volume, rel string, configMap func(string) *Object) (ConfigMapFile, bool) {
	vols := yamlnode.Get(pod, "volumes")
	if vols == nil || vols.Kind != yaml.SequenceNode {
		return ConfigMapFile{}, false
	}
	for _, v := range vols.Content {
		if yamlnode.Str(v, "name") != volume {
			continue
		}
		sources := []*yaml.Node{yamlnode.Get(v, "configMap")}
		if ps := yamlnode.Get(v, "projected", "sources"); ps != nil && ps.Kind == yaml.SequenceNode {
			for _, s := range ps.Content {
				sources = append(sources, yamlnode.Get(s, "configMap"))
			}
		}
		for _, src := range sources {
			if src == nil {
				continue
			}
			cm := configMap(yamlnode.Str(src, "name"))
			if cm == nil {
				continue
			}
			key, ok := itemKey(src, rel)
			if !ok {
				continue
			}
			if value, scalar := cm.DataValue(key); scalar {
				return ConfigMapFile{Value: value, At: Place{cm, Root.Keys("data", key)}}, true
			}
		}
		return ConfigMapFile{}, false
	}
	return ConfigMapFile{}, false
}

// itemKey is the key a configMap volume source shows at rel: the item whose
// path it is, or, without items, the key of that name.
func itemKey(src *yaml.Node, rel string) (string, bool) {
	items := yamlnode.Get(src, "items")
	if items == nil || items.Kind != yaml.SequenceNode || len(items.Content) == 0 {
		return rel, !strings.Contains(rel, "/")
	}
	for _, it := range items.Content {
		if path.Clean(yamlnode.Str(it, "path")) == rel {
			return yamlnode.Str(it, "key"), true
		}
	}
	return "", false
}
