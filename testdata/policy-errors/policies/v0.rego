package legacy

deny[msg] { # want-policy: OOM902
	input.kind == "Deployment"
	msg := "legacy v0 policy"
}
