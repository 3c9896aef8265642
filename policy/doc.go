// Package policy runs the user's Rego policies as oomlint rules: it loads
// and compiles conftest-style policies (deny, violation and warn sets) with
// OPA once, prepares one query per rule set, and evaluates them over every
// object with oomlint's resolved facts at data.oomlint.facts. It also runs
// the policies' Rego unit tests (oomlint policy test).
package policy
