package acme.memory_bounds_test

import data.acme.memory_bounds

deployment := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "prod"}}

facts(ns, limit) := {
	"object": {"kind": "Deployment", "namespace": ns, "name": "api"},
	"workload": {"containers": [{
		"name": "api",
		"path": "spec.template.spec.containers[0]",
		"limit": limit,
	}]},
}

test_small_limit_denied if {
	f := facts("prod", {"raw": "64Mi", "bytes": 67108864, "source": "declared", "path": "spec.template.spec.containers[0].resources.limits.memory"})
	some r in memory_bounds.deny with input as deployment with data.oomlint.facts as f
	r.path == "spec.template.spec.containers[0].resources.limits.memory"
	contains(r.msg, "at least 128Mi")
}

test_limitrange_default_named if {
	f := facts("prod-eu", {"raw": "16Gi", "bytes": 17179869184, "source": "limitrange-default", "limitRange": "defaults", "path": "spec.template.spec.containers[0].resources.limits.memory"})
	some r in memory_bounds.deny with input as deployment with data.oomlint.facts as f
	contains(r.msg, "defaulted by LimitRange defaults")
}

test_missing_limit_denied if {
	f := facts("prod", null)
	some r in memory_bounds.deny with input as deployment with data.oomlint.facts as f
	r.path == "spec.template.spec.containers[0]"
}

test_good_limit_allowed if {
	f := facts("prod", {"raw": "512Mi", "bytes": 536870912, "source": "declared", "path": "x"})
	count(memory_bounds.deny) == 0 with input as deployment with data.oomlint.facts as f
}

test_other_namespaces_ignored if {
	f := facts("dev", {"raw": "64Mi", "bytes": 67108864, "source": "declared", "path": "x"})
	count(memory_bounds.deny) == 0 with input as deployment with data.oomlint.facts as f
}
