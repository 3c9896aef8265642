package broken.syntax

deny contains msg if {
	msg := "unterminated # want-policy: OOM902
}
