# METADATA
# title: Production containers need a memory limit between 128Mi and 8Gi
# description: |
#   In production namespaces (prod, or a name starting with prod-) every
#   container, init containers and sidecars included, must end up with a
#   memory limit of at least 128Mi and at most 8Gi. The limit is the one the
#   API server stores: a LimitRange default counts, so the rule reads
#   oomlint's facts rather than the manifest.
# custom:
#   id: ACME-MEM-001
#   name: prod-memory-bounds
#   severity: error
#   fix: set resources.limits.memory between 128Mi and 8Gi
package acme.memory_bounds

import data.oomlint.facts

min_bytes := 128 * 1024 * 1024

max_bytes := 8 * 1024 * 1024 * 1024

production(ns) if ns == "prod"

production(ns) if startswith(ns, "prod-")

deny contains {"msg": msg, "path": c.path} if {
	production(facts.object.namespace)
	some c in facts.workload.containers
	c.limit == null
	msg := sprintf("container %s has no memory limit; production containers need one between 128Mi and 8Gi", [c.name])
}

deny contains {"msg": msg, "path": c.limit.path} if {
	production(facts.object.namespace)
	some c in facts.workload.containers
	c.limit.bytes < min_bytes
	msg := sprintf("container %s has a %s memory limit%s; production needs at least 128Mi", [c.name, c.limit.raw, from(c.limit)])
}

deny contains {"msg": msg, "path": c.limit.path} if {
	production(facts.object.namespace)
	some c in facts.workload.containers
	c.limit.bytes > max_bytes
	msg := sprintf("container %s has a %s memory limit%s; production allows at most 8Gi", [c.name, c.limit.raw, from(c.limit)])
}

from(limit) := sprintf(" (defaulted by LimitRange %s)", [limit.limitRange]) if limit.source == "limitrange-default"

else := ""
