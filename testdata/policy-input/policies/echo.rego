# METADATA
# title: Echo the input of Deployments (the input contract's golden test)
# custom:
#   id: ECHO
#   severity: info
package echo

deny contains {"msg": json.marshal({"input": input, "facts": data.oomlint.facts})} if input.kind == "Deployment"
