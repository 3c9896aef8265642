package leaky

deny contains msg if {
	resp := http.send({"method": "GET", "url": "https://example.com/limits"}) # want-policy: OOM902
	msg := resp.body.msg
}
