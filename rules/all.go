// Package rules holds oomlint's built-in rules, one file per family, each
// rule's documentation beside its code.
package rules

import "github.com/oomlint/oomlint/lint"

// All is the catalogue, in ID order. A rule not listed here never runs.
var All = []*lint.Rule{
	memoryLimitMissing,
	memoryRequestMissing,
	memoryLimitBelowRequest,
	memoryLimitEqualsRequest,
	memoryLimitRequestRatio,
	memoryQuantityInvalid,
	memoryMillibytes,
	memoryDecimalUnit,
	memoryTooSmall,

	jvmHeapExceedsLimit,
	jvmHeapHeadroom,
	jvmRAMPercentageHigh,
	jvmNotContainerAware,

	nodeHeapExceedsLimit,
	nodeHeapHeadroom,
	nodeHeapUnset,
	nodeNotContainerAware,
	goMemLimitExceedsLimit,
	goMemLimitHeadroom,
	goMemLimitInvalid,
	gunicornMaxRequestsMissing,
	uwsgiReloadOnRSSExceedsLimit,
	uwsgiLimitASIneffective,
	uwsgiRecyclingMissing,
	celeryChildMemoryExceedsLimit,
	celeryRecyclingMissing,
	dotnetHeapLimitExceedsLimit,
	dotnetNotContainerAware,

	tmpfsSizeLimitMissing,
	tmpfsExceedsLimit,
	memoryBudgetExceeded,
	sidecarMemoryLimitMissing,
	podExceedsNodeMemory,
	terminationMessagePolicy,

	limitRangeViolation,
	limitRangeInconsistent,
	quotaRequiresMemory,
	quotaExceeded,
	vpaBoundsConflict,
	vpaAutoMode,
	hpaMemoryWithoutRequest,
	vpaHPAMemoryConflict,

	renderError,
	parseError,
	policyError,
	suppressionInvalid,
	suppressionUnused,
	oomKilled,
	clusterDrift,
	notInRepository,
}
