package rules

import "github.com/oomlint/oomlint/lint"

// The OOM95x family: what `oomlint triage` finds when it reads a cluster's
// pods (kubectl get pods -o json) against the repository. Lint never
// reports them, so they are off for lint and have no Check; triage turns
// them on. The IDs live in lint.

var oomKilled = &lint.Rule{
	ID: lint.OOMKilledID, Name: "oom-killed", Severity: lint.Error, Scope: lint.EngineScope, Off: true,
	Since:  "0.1.0",
	Family: "incident", Precision: lint.HighPrecision,
	Summary: "a container was OOM-killed in the cluster; this line sets its memory limit (oomlint triage)",
	Doc: `Reported by oomlint triage, never by lint. The kernel killed the container
(lastState.terminated.reason OOMKilled, or exit code 137) because it
reached its memory limit, or the node ran out of memory. Triage follows
the pod's owners (ReplicaSet to Deployment, Job to CronJob, StatefulSet,
DaemonSet), finds the workload in the rendered repository, and reports
the line a person edits to change the container's limits.memory: the
values file, the base or patch, the HelmRelease values, or the LimitRange
whose default applies; with no limit anywhere, the container itself.

The message states the evidence: the pods, their restarts, the last kill,
and the limit in force. The fix suggests a limit: a VPA's upperBound plus
20% when a VPA dump recommends one (--vpa), else the peak usage kubectl top
saw plus 25% (--top), else 1.5 times the limit that was killed, marked as
a guess. A JVM, Node.js, Go or .NET heap setting of the container is in the
related locations with the value it needs beside the new limit (75% of it
for -Xmx, --max-old-space-size and DOTNET_GCHeapHardLimit, 85% for
GOMEMLIMIT), since raising the limit alone leaves a heap set to the old
one. Exit code 137 without OOMKilled is SIGKILL, which is also what a
liveness probe failure ends in: check the pod's events before sizing up.`,
	Fix: "raise limits.memory at this line to the suggested value, and move the heap setting with it",
	Example: `# kubectl get pods -n shop checkout-7d9f8c6b5d-2xkqp -o json
"lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}
# the HelmRelease values that set the limit
  values:
    resources:
      limits:
        memory: 1Gi`,
	Good: `  values:
    resources:
      limits:
        memory: 1536Mi`,
}

var clusterDrift = &lint.Rule{
	ID: lint.ClusterDriftID, Name: "cluster-drift", Severity: lint.Warning, Scope: lint.EngineScope, Off: true,
	Since:  "0.1.0",
	Family: "incident", Precision: lint.HighPrecision,
	Summary: "an OOM-killed container runs with another memory limit than the repository sets (oomlint triage)",
	Doc: `Reported by oomlint triage, never by lint. The limit in the pod spec the
cluster runs is not the one the repository renders for that container: a
GitOps sync that failed or is suspended, a rollout still in progress, a
kubectl edit or patch, a mutating webhook, or a LimitRange that exists only
in the cluster. Until the cluster runs what the repository says, changing
the repository's line does not change what is killed; and a limit sized
from the repository's value may be sized from the wrong number.`,
	Fix: "find out why the cluster differs (flux get helmreleases -A, argocd app diff, kubectl get limitrange) and let the repository's value roll out",
	Example: `# the pod:        "limits": {"memory": "768Mi"}
# the repository: limits:
                    memory: 1Gi`,
}

var notInRepository = &lint.Rule{
	ID: lint.NotInRepoID, Name: "not-in-repository", Severity: lint.Info, Scope: lint.EngineScope, Off: true,
	Since:  "0.1.0",
	Family: "incident", Precision: lint.HighPrecision,
	Summary: "an OOM-killed container matches no workload in the repository (oomlint triage)",
	Doc: `Reported by oomlint triage, never by lint. No object of the repository
deploys the killed container: no workload of that kind, namespace and name
(after following the pod's owners and Helm release naming), or the
workload has no container of that name (a sidecar injected at admission).
The container is deployed from elsewhere (another repository, a chart the
repository names but that is not in the chart cache, kubectl apply), or
the repository paths given to triage are not the ones the cluster syncs.
It has no line to point at: text output lists it after the findings, JSON
in "unmatched", SARIF as a tool execution notification of the run, and
GitHub as a notice without a file.`,
	Fix: "give triage the repository paths the cluster syncs from, or pull the missing charts with oomlint charts pull",
	Example: `Not found in the repository (OOM952):
shop/legacy-7f6d9c8b4-x2x9q, container legacy: no Deployment shop/legacy in the repository`,
}
