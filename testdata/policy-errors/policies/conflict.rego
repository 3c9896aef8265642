package conflict

label := "a" if input.kind == "Deployment"

label := "b" if input.kind == "Deployment" # want-policy: OOM902

deny contains label
