# METADATA
# title: In-memory emptyDir at most a quarter of the memory limit
# description: |
#   Files written to an emptyDir with medium: Memory are charged to the memory
#   limit of the container that writes them. Each such volume needs a
#   sizeLimit, and the sizeLimit may take at most 25% of the limit of every
#   container that mounts it, so the process keeps room for itself.
# custom:
#   id: ACME-TMPFS-001
#   name: tmpfs-quarter-of-limit
#   fix: set emptyDir.sizeLimit to at most 25% of limits.memory
package acme.tmpfs_quarter

import data.oomlint.facts

deny contains {"msg": msg, "path": v.path} if {
	some v in facts.workload.memoryVolumes
	v.sizeLimit == null
	msg := sprintf("in-memory emptyDir %s has no sizeLimit", [v.name])
}

deny contains {"msg": msg, "path": [v.path, "emptyDir", "sizeLimit"]} if {
	some c in facts.workload.containers
	some v in c.memoryVolumes
	v.sizeLimitBytes * 4 > c.limit.bytes
	msg := sprintf("in-memory emptyDir %s (sizeLimit %s) is more than 25%% of container %s's %s memory limit", [v.name, v.sizeLimit, c.name, c.limit.raw])
}
