package acme.tmpfs_quarter_test

import data.acme.tmpfs_quarter

pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api"}}

volume(size, bytes) := {"name": "cache", "path": "spec.volumes[0]", "sizeLimit": size, "sizeLimitBytes": bytes}

facts(v) := {"workload": {
	"memoryVolumes": [v],
	"containers": [{"name": "api", "limit": {"raw": "1Gi", "bytes": 1073741824}, "memoryVolumes": [v]}],
}}

test_large_volume_denied if {
	some r in tmpfs_quarter.deny with input as pod with data.oomlint.facts as facts(volume("512Mi", 536870912))
	contains(r.msg, "more than 25%")
}

test_missing_size_limit_denied if {
	some r in tmpfs_quarter.deny with input as pod with data.oomlint.facts as facts(volume(null, null))
	r.path == "spec.volumes[0]"
}

test_quarter_allowed if {
	count(tmpfs_quarter.deny) == 0 with input as pod with data.oomlint.facts as facts(volume("256Mi", 268435456))
}
