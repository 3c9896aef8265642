package acme.jvm

import data.oomlint.facts

# METADATA
# title: JVM heap set with MaxRAMPercentage, not -Xmx
# custom:
#   id: ACME-JVM-001
#   severity: warning
#   fix: replace -Xmx with -XX:MaxRAMPercentage=75
deny contains {"msg": msg, "path": jvm.maxHeap.path} if {
	some c in facts.workload.containers
	jvm := c.heap.jvm
	startswith(jvm.maxHeap.text, "-Xmx")
	msg := sprintf("container %s sets %s; size the heap with -XX:MaxRAMPercentage so it follows the limit", [c.name, jvm.maxHeap.text])
}
