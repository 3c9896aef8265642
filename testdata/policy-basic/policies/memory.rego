# METADATA
# title: Production memory limits within 128Mi and 8Gi
# description: |
#   Containers in production namespaces must declare a memory limit between
#   128Mi and 8Gi, after LimitRange defaulting.
# custom:
#   id: ACME-MEM-001
#   name: prod-memory-bounds
#   severity: error
#   fix: set resources.limits.memory between 128Mi and 8Gi
package acme.memory

import data.oomlint.facts

deny contains result if {
	input.metadata.namespace == "prod"
	some c in facts.workload.containers
	c.limit.bytes < 128 * 1024 * 1024
	result := {
		"msg": sprintf("container %s has a %s memory limit; production needs at least 128Mi", [c.name, c.limit.raw]),
		"path": c.limit.path,
	}
}

deny contains result if {
	input.metadata.namespace == "prod"
	some i, c in facts.workload.containers
	c.limit == null
	result := {
		"msg": sprintf("container %s has no memory limit", [c.name]),
		"path": ["spec", "template", "spec", "containers", i, "resources"],
	}
}
