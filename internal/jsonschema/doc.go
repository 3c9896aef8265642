// Copied from github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 (Apache
// License 2.0, see LICENSE in this directory), the library helm validates
// values.schema.json with, so messages stay helm's. One change: the
// drafts' metaschemas compile on first use (loadDrafts in draft.go), not
// in an init function that every start of the program paid for. The
// library's own tests stay upstream; internal/helmutil's schema tests and
// TestLazyDrafts cover this copy.
package jsonschema
