#!/usr/bin/env bash
# The run step of oomlint's GitHub Action (action.yml). Inputs arrive as
# INPUT_* environment variables, never spliced into this script. One lint run
# writes the SARIF file, the annotations and the job summary; the step fails
# only at the end, after every output is written, so an upload-sarif step
# with `if: ${{ !cancelled() }}` still runs.
#
# OOMLINT_BIN names a prebuilt binary (tests); otherwise oomlint is built
# from the action's own source into $RUNNER_TEMP.
set -uo pipefail

die() {
	echo "::error title=oomlint action::$*"
	exit 2
}

action_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
workspace="${GITHUB_WORKSPACE:-$PWD}"
tmp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"

bin="${OOMLINT_BIN:-}"
if [[ -z "$bin" ]]; then
	bin="$tmp/oomlint"
	echo "::group::build oomlint"
	(cd "$action_dir" && go build -trimpath -o "$bin" ./cmd/oomlint) || die "building oomlint from $action_dir failed"
	echo "::endgroup::"
fi

# `build`: only build, and key the chart cache on the chart references of
# the paths (the step before actions/cache).
if [[ "${1:-}" == "build" ]]; then
	echo "bin=$bin" >>"${GITHUB_OUTPUT:-/dev/null}"
	if [[ "${INPUT_PULL_CHARTS:-true}" == "true" ]]; then
		if [[ -n "${INPUT_WORKING_DIRECTORY:-}" ]]; then
			cd "$workspace/$INPUT_WORKING_DIRECTORY" 2>/dev/null || cd "$INPUT_WORKING_DIRECTORY" || die "working-directory $INPUT_WORKING_DIRECTORY does not exist"
		fi
		read -r -d '' -a refpaths <<<"${INPUT_PATH:-.}"
		refs="$("$bin" charts refs -- "${refpaths[@]}")" || die "oomlint charts refs failed"
		key="$(printf '%s\n' "$refs" | sha256sum | cut -c1-16)"
		echo "chart-key=oomlint-charts-${RUNNER_OS:-local}-$key" >>"${GITHUB_OUTPUT:-/dev/null}"
	fi
	exit 0
fi

# The SARIF file and the JSON used for the counts are placed relative to the
# workspace, before working-directory changes the current directory.
sarif="${INPUT_SARIF_FILE-oomlint.sarif}"
sarif_abs=""
if [[ -n "$sarif" ]]; then
	case "$sarif" in
	/*) sarif_abs="$sarif" ;;
	*) sarif_abs="$workspace/$sarif" ;;
	esac
	mkdir -p "$(dirname "$sarif_abs")" || die "cannot create the directory of sarif-file $sarif"
fi
counts_json="$(mktemp "$tmp/oomlint-counts.XXXXXX")" || die "mktemp failed"
trap 'rm -f "$counts_json"' EXIT

if [[ -n "${INPUT_WORKING_DIRECTORY:-}" ]]; then
	cd "$workspace/$INPUT_WORKING_DIRECTORY" 2>/dev/null || cd "$INPUT_WORKING_DIRECTORY" || die "working-directory $INPUT_WORKING_DIRECTORY does not exist"
fi

args=(lint --fail-on "${INPUT_FAIL_ON:-warning}" --output "json=$counts_json")
if [[ -n "$sarif_abs" ]]; then
	args+=(--output "sarif=$sarif_abs")
fi
if [[ "${INPUT_ANNOTATIONS:-true}" == "true" ]]; then
	args+=(--output "github=-")
fi
[[ -n "${INPUT_CONFIG:-}" ]] && args+=(--config "$INPUT_CONFIG")
[[ -n "${INPUT_KUBE_VERSION:-}" ]] && args+=(--kube-version "$INPUT_KUBE_VERSION")
# Lists: one item per line or separated by spaces.
read -r -d '' -a values <<<"${INPUT_VALUES:-}"
for v in "${values[@]}"; do args+=(--values "$v"); done
read -r -d '' -a policies <<<"${INPUT_POLICY:-}"
for p in "${policies[@]}"; do args+=(--policy "$p"); done
read -r -d '' -a extra <<<"${INPUT_ARGS:-}"
args+=("${extra[@]}")
read -r -d '' -a paths <<<"${INPUT_PATH:-.}"

# Charts that HelmReleases and Applications fetch from chart repositories:
# pulled into the cache (restored by actions/cache) before an offline lint.
# A chart that cannot be pulled is a warning here and one finding in lint.
if [[ "${INPUT_PULL_CHARTS:-true}" == "true" ]]; then
	cache_dir="${OOMLINT_CHART_CACHE:-$tmp/oomlint-charts}"
	echo "::group::oomlint charts pull"
	"$bin" charts pull --chart-cache "$cache_dir" -- "${paths[@]}" ||
		echo "::warning title=oomlint charts pull::some charts could not be pulled; lint reports each"
	echo "::endgroup::"
	args+=(--chart-cache "$cache_dir")
fi
args+=(-- "${paths[@]}")

set +e
"$bin" "${args[@]}"
rc=$?


count() { # the summary's count of one severity in the JSON report
	sed -n "s/^    \"$1\": \([0-9][0-9]*\),\{0,1\}$/\1/p" "$counts_json" | tail -n 1
}
errors="$(count error)"
warnings="$(count warning)"
infos="$(count info)"
{
	echo "exit-code=$rc"
	echo "sarif-file=$sarif"
	echo "errors=${errors:-0}"
	echo "warnings=${warnings:-0}"
	echo "infos=${infos:-0}"
} >>"${GITHUB_OUTPUT:-/dev/null}"

case "$rc" in
0) ;;
1) echo "oomlint found ${errors:-0} errors, ${warnings:-0} warnings and ${infos:-0} info at or above fail-on (exit 1)" ;;
*) echo "::error title=oomlint::oomlint could not run (exit $rc); see the log above" ;;
esac
exit "$rc"
