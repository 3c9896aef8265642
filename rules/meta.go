package rules

import "github.com/oomlint/oomlint/lint"

// The OOM90x family: findings the engine emits about input it could not
// read, render or evaluate. They have no Check; the IDs live in lint.

var renderError = &lint.Rule{
	ID: lint.RenderErrorID, Name: "render-error", Severity: lint.Error, Scope: lint.EngineScope,
	Since:  "0.1.0",
	Family: "config", Precision: lint.VeryHighPrecision,
	Summary: "a chart, kustomization or GitOps object did not render, or oomlint failed on an object",
	Doc: `oomlint renders Helm charts and kustomizations itself before checking them,
and what Flux Kustomizations, HelmReleases and Argo CD Applications
deploy. When rendering fails, nothing in that unit can be checked, so the
failure is reported at the file and line the library names, or at the
field of the controller object that names what is missing (a spec.path,
a valuesFrom ConfigMap, a chartRef). A chart that is neither in the
repository nor in the chart cache is a warning, once per chart version,
naming "oomlint charts pull"; what oomlint leaves out on purpose (a
source in another repository, a generator it cannot expand offline, the
jsonnet files of an Argo CD directory source) is info. A kustomize
plugin (an exec or KRM function), which kustomize runs a program for,
is a warning at its line, and the rest of the kustomization is built
without it; so is a helmCharts entry whose chart is neither vendored in
the chart home nor in charts.search or the chart cache. The same ID reports an internal failure on one object, so one bad
object never hides the findings of the others.

A chart that renders longer than renderTimeout (default 10s) or writes
more than 64 MiB of text is stopped and reported once; a chart file or
kustomize entry that is a symlink out of the repository, or not a
regular file, is not read and fails its unit here (docs/security.md).`,
	Fix: "fix the template or kustomization at the reported line; vendor what it fetches remotely",
	Example: `# templates/deployment.yaml
replicas: {{ required "replicas is required" .Values.replicas }}`,
}

var parseError = &lint.Rule{
	ID: lint.ParseErrorID, Name: "parse-error", Severity: lint.Error, Scope: lint.EngineScope,
	Since:  "0.1.0",
	Family: "config", Precision: lint.VeryHighPrecision,
	Summary: "a file is not valid YAML or JSON, or cannot be read",
	Doc: `A manifest that does not parse cannot be applied, and nothing in it can be
checked. The finding is at the line the YAML parser names; the other
documents of a multi-document file are still checked. Binary files,
unreadable files and files over the size cap (settings.maxFileSize,
default 10Mi) are reported the same way. Go/Helm template files outside a
chart are reported once per file, not once per line.

The repository is untrusted input, so a file that is a symlink resolving
outside the repository, or not a regular file (a named pipe, a socket),
is not read: a warning says so. A document whose YAML aliases form a
cycle, or expand past the limit Kubernetes' own YAML decoder enforces, is
reported the same way and not read. A key written twice in one mapping is
a warning at the occurrence that counts (the last, as Kubernetes keeps
it), and so is a value whose $(VAR) or shell expansion passes oomlint's
limits (1 MiB per value); that value is left unread, never truncated.`,
	Fix: "fix the YAML at the reported line, or exclude the file with ignore: in .oomlint.yaml",
	Example: `resources:
  limits:
    memory: 512Mi
   requests:        # one space too many
    memory: 256Mi`,
}

var policyError = &lint.Rule{
	ID: lint.PolicyErrorID, Name: "policy-error", Severity: lint.Error, Scope: lint.EngineScope,
	Since:  "0.1.0",
	Family: "config", Precision: lint.VeryHighPrecision,
	Summary: "a Rego policy failed to compile or evaluate",
	Doc: `User policies run beside the built-in rules. A policy that does not
compile, or fails while evaluating an object, is reported at the policy
file and line so the rest of the run still counts. A call to a built-in
that reaches the network, the environment or files (http.send,
net.lookup_ip_addr, opa.runtime, json.verify_schema, json.match_schema) or
that the policy timeout cannot stop (strings.render_template) is refused
here, and so is a policy or data file that is a symlink out of its
directory or not a regular file.`,
	Fix: "fix the policy at the reported line",
	Example: `deny contains msg if {
  input.kind == "Deployment"
  msg := sprintf("%v", [input.metadata.nme])   # evaluation error`,
}

var suppressionInvalid = &lint.Rule{
	ID: lint.SuppressionInvalidID, Name: "suppression-invalid", Severity: lint.Info, Scope: lint.EngineScope,
	Since:  "0.1.0",
	Family: "config", Precision: lint.VeryHighPrecision,
	Summary: "an ignore comment or annotation is malformed or names an unknown rule, or a config entry names nothing",
	Doc: `Suppressions are "# oomlint:ignore OOM104 reason" comments (on the line,
or on the line above) and the oomlint.io/ignore annotation
("OOM104,OOM306" or "all"). A comment must name rules and give a reason;
one without a reason is not applied. A rule that does not exist (a typo
such as OOM1O4) suppresses nothing, so it is reported rather than
silently ignored.

The same goes for a charts.search entry in .oomlint.yaml that does not
exist, is a file, or is itself a chart rather than a folder of charts: it
finds no dependency, so it is reported at its line rather than ignored.
A path in a repository's .oomlint.yaml (policies, policyData,
charts.search, charts.cache, charts.values) that resolves outside the
repository is dropped and reported as a warning at its line: pass such a
path on the command line instead.`,
	Fix:     "write # oomlint:ignore OOM104 why-this-is-fine, with IDs or names from `oomlint rules`; list folders of charts under charts.search",
	Example: `    memory: 512Mi # oomlint:ignore OOM1O4 sized by load test`,
	Good:    `    memory: 512Mi # oomlint:ignore OOM104 sized by load test`,
}

var suppressionUnused = &lint.Rule{
	ID: lint.SuppressionUnusedID, Name: "suppression-unused", Severity: lint.Info, Scope: lint.EngineScope,
	Since:  "0.1.0",
	Family: "config", Precision: lint.HighPrecision,
	Summary: "an ignore comment suppresses no finding",
	Doc: `An "# oomlint:ignore OOM104 reason" comment that silences nothing has
outlived its reason: the value was fixed, the rule no longer fires there,
or the comment sits on the wrong line or names the wrong rule. Left in
place it would hide a real finding the day one lands on that line, so it
is reported at the comment, as golangci-lint's nolintlint reports unused
//nolint directives.

Only comments oomlint can judge are reported: well-formed ones (rules and
a reason; OOM903 covers the others) in manifests it checks. A comment
naming a rule that the run does not enable is left alone, since the rule
would fire with another config, and so is "all" when the config disables
rules. Comments in generated files, in files that did not parse, and in
files read only through a chart or kustomization (values files,
templates, bases) are not reported.`,
	Fix: "remove the comment, or put it on the line the finding is reported at and name the rule that fires there",
	Example: `          resources:
            limits:
              memory: 512Mi
              cpu: "1" # oomlint:ignore OOM104 Guaranteed QoS on purpose`,
	Good: `          resources:
            limits:
              memory: 512Mi # oomlint:ignore OOM104 Guaranteed QoS on purpose
              cpu: "1"`,
}
