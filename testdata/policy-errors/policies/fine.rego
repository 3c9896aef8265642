package fine

# METADATA
# custom:
#   id: FINE-1
deny contains "every Deployment is reported" if input.kind == "Deployment"
