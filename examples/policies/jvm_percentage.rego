# METADATA
# title: JVM heap sized with MaxRAMPercentage, not -Xmx
# description: |
#   A fixed -Xmx (or -XX:MaxHeapSize) does not follow the container's memory
#   limit: raise the limit and the heap stays small, lower it and the JVM is
#   OOM-killed. -XX:MaxRAMPercentage sizes the heap from the limit. The rule
#   reads the heap settings oomlint parses from the command line,
#   JAVA_TOOL_OPTIONS, JAVA_OPTS and the application-specific variables.
# custom:
#   id: ACME-JVM-001
#   name: jvm-use-max-ram-percentage
#   severity: warning
#   fix: replace -Xmx with -XX:MaxRAMPercentage=75
package acme.jvm_percentage

import data.oomlint.facts

warn contains {"msg": msg, "path": heap.path} if {
	some c in facts.workload.containers
	heap := c.heap.jvm.maxHeap
	heap != null
	msg := sprintf("container %s fixes the heap with %s; use -XX:MaxRAMPercentage=75 so the heap follows the %s limit", [c.name, heap.text, limit_text(c)])
}

limit_text(c) := c.limit.raw if c.limit != null

else := "(unset)"
