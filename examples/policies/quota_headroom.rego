# METADATA
# title: Workload fits in the namespace memory quota at full scale
# description: |
#   A workload scaled to its maximum (the HPA's maxReplicas, else its
#   replicas) must leave at least 20% of the namespace's ResourceQuota
#   limits.memory for rolling updates and everything else in the namespace.
#   oomlint's built-in OOM404 fires only when the quota is exceeded; this
#   organisation rule keeps headroom.
# custom:
#   id: ACME-QUOTA-001
#   name: quota-headroom
#   severity: warning
#   fix: lower the memory limit or maxReplicas, or raise the quota
package acme.quota_headroom

import data.oomlint.facts

warn contains {"msg": msg, "path": path} if {
	w := facts.workload
	w.maxReplicas != null
	pod := sum([c.limit.bytes | some c in w.containers; c.role != "init"; c.limit.bytes != null])
	some q in facts.namespace.resourceQuotas
	hard := q.hard["limits.memory"].bytes
	total := pod * w.maxReplicas
	total * 10 > hard * 8
	path := replicas_path(w)
	msg := sprintf("%d replicas × %d MiB = %d MiB of memory limits is more than 80%% of ResourceQuota %s (%s)", [w.maxReplicas, pod / 1048576, total / 1048576, q.name, q.hard["limits.memory"].raw])
}

replicas_path(w) := "spec.replicas" if w.hpa == null

else := "metadata.name"
