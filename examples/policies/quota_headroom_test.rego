package acme.quota_headroom_test

import data.acme.quota_headroom

deployment := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "shop"}}

facts(replicas, quota) := {
	"workload": {
		"maxReplicas": replicas,
		"hpa": null,
		"containers": [{"name": "api", "role": "container", "limit": {"bytes": 1073741824}}],
	},
	"namespace": {"resourceQuotas": [{"name": "mem", "hard": {"limits.memory": {"raw": quota, "bytes": units.parse_bytes(quota)}}}]},
}

test_near_quota_warned if {
	some r in quota_headroom.warn with input as deployment with data.oomlint.facts as facts(9, "10Gi")
	r.path == "spec.replicas"
	contains(r.msg, "9 replicas")
}

test_headroom_allowed if {
	count(quota_headroom.warn) == 0 with input as deployment with data.oomlint.facts as facts(4, "10Gi")
}
