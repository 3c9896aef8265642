package acme.jvm_percentage_test

import data.acme.jvm_percentage

pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api"}}

facts(jvm) := {"workload": {"containers": [{
	"name": "api",
	"limit": {"raw": "1Gi", "bytes": 1073741824},
	"heap": {"jvm": jvm},
}]}}

test_xmx_warned if {
	f := facts({"maxHeap": {"text": "-Xmx768m", "value": 805306368, "path": "spec.containers[0].env[0].value"}, "maxRAMPercentage": null})
	some r in jvm_percentage.warn with input as pod with data.oomlint.facts as f
	r.path == "spec.containers[0].env[0].value"
	contains(r.msg, "-Xmx768m")
}

test_percentage_allowed if {
	f := facts({"maxHeap": null, "maxRAMPercentage": {"text": "-XX:MaxRAMPercentage=75", "value": 75, "path": "x"}})
	count(jvm_percentage.warn) == 0 with input as pod with data.oomlint.facts as f
}

test_not_a_jvm if {
	f := facts(null)
	count(jvm_percentage.warn) == 0 with input as pod with data.oomlint.facts as f
}
