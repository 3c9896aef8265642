package acme.tmpfs

import data.oomlint.facts

# METADATA
# title: In-memory emptyDir sizeLimit at most 25% of the memory limit
# custom:
#   id: ACME-TMPFS-001
deny contains {"msg": msg, "path": sprintf("%s.emptyDir.sizeLimit", [v.path])} if {
	some c in facts.workload.containers
	some v in c.memoryVolumes
	v.sizeLimitBytes * 4 > c.limit.bytes
	msg := sprintf("emptyDir %s (%s) is more than 25%% of container %s's %s limit", [v.name, v.sizeLimit, c.name, c.limit.raw])
}
