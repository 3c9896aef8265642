package main

deny contains msg if {
	input.kind == "Deployment"
	not input.spec.template.spec.securityContext.runAsNonRoot
	msg := sprintf("Deployment %s must set runAsNonRoot", [input.metadata.name])
}

warn_replicas contains msg if {
	input.kind == "Deployment"
	input.spec.replicas < 2
	msg := "a single replica is not highly available"
}
