#!/usr/bin/env bash
# The steps of oomlint's GitHub Action (action.yml). Inputs arrive as INPUT_*
# environment variables, never spliced into this script.
#
#   resolve  the release to download (latest by default), for the cache key
#   build    install oomlint (download the release binary, or build it from
#            the action's source with install: source) and key the chart cache
#   (none)   one lint run that writes the SARIF file, the annotations and
#            the job summary; the step fails only at the end, after every
#            output is written, so an upload-sarif step with
#            `if: ${{ !cancelled() }}` still runs.
#
# OOMLINT_BIN names a binary to use instead of installing one (tests).
# OOMLINT_RELEASE_URL and OOMLINT_API_URL replace the GitHub release and API
# base URLs.
set -uo pipefail

die() {
	echo "::error title=oomlint action::$*"
	exit 2
}

action_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
workspace="${GITHUB_WORKSPACE:-$PWD}"
tmp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
release_url="${OOMLINT_RELEASE_URL:-https://github.com/oomlint/oomlint/releases/download}"
api_url="${OOMLINT_API_URL:-https://api.github.com}"
release_url="${release_url%/}"
api_url="${api_url%/}"

unix_path() { # a runner path (C:\... on Windows) as bash sees it
	if command -v cygpath >/dev/null 2>&1; then cygpath -u "$1"; else printf '%s\n' "$1"; fi
}

# The release asset's os, arch and archive suffix for this runner.
platform() {
	case "${RUNNER_OS:-$(uname -s)}" in
	Linux) os=linux ;;
	macOS | Darwin) os=darwin ;;
	Windows | MINGW* | MSYS* | CYGWIN*) os=windows ;;
	*) die "no oomlint release for runner OS ${RUNNER_OS:-$(uname -s)}; use install: source" ;;
	esac
	case "${RUNNER_ARCH:-$(uname -m)}" in
	X64 | x86_64 | amd64) arch=amd64 ;;
	ARM64 | arm64 | aarch64) arch=arm64 ;;
	*) die "no oomlint release for runner architecture ${RUNNER_ARCH:-$(uname -m)}; use install: source" ;;
	esac
	ext=tar.gz
	exe=""
	if [[ "$os" == windows ]]; then
		ext=zip
		exe=.exe
	fi
}

fetch() { # fetch URL FILE [curl args...]
	local url="$1" out="$2"
	shift 2
	command -v curl >/dev/null 2>&1 || die "curl is needed to download oomlint"
	curl -fsSL --retry 3 --retry-delay 2 --connect-timeout 20 -o "$out" "$@" "$url"
}

# The release version without the leading v: the input, or the latest
# release from the GitHub API (with the job's token, against rate limits).
resolve_version() {
	local v="${INPUT_VERSION:-latest}"
	v="${v#"${v%%[![:space:]]*}"}"
	v="${v%"${v##*[![:space:]]}"}"
	if [[ -z "$v" || "$v" == latest ]]; then
		local json auth=()
		json="$(mktemp "$tmp/oomlint-release.XXXXXX")" || die "mktemp failed"
		[[ -n "${GITHUB_TOKEN:-}" ]] && auth=(-H "Authorization: Bearer $GITHUB_TOKEN")
		# A token for another host (GitHub Enterprise Server) is refused by
		# api.github.com: try once more without it.
		if ! fetch "$api_url/repos/oomlint/oomlint/releases/latest" "$json" -H "Accept: application/vnd.github+json" ${auth[@]+"${auth[@]}"} &&
			! { [[ ${#auth[@]} -gt 0 ]] && fetch "$api_url/repos/oomlint/oomlint/releases/latest" "$json" -H "Accept: application/vnd.github+json"; }; then
			rm -f "$json"
			die "cannot find the latest oomlint release at $api_url; set the version input"
		fi
		v="$(tr -d '\n' <"$json" | sed -n 's/.*"tag_name"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')"
		rm -f "$json"
		[[ -n "$v" ]] || die "no tag_name in the latest oomlint release from $api_url"
	fi
	v="${v#v}"
	[[ "$v" =~ ^[0-9A-Za-z][0-9A-Za-z.+-]*$ ]] || die "version ${INPUT_VERSION:-} is not a release version (e.g. 1.2.3, v1.2.3 or latest)"
	version="$v"
}

# Where a version's binary is kept: the runner's tool cache (kept between
# jobs on self-hosted runners), saved and restored by actions/cache.
install_dir() {
	local base="${RUNNER_TOOL_CACHE:-$tmp}"
	printf '%s/oomlint/%s/%s-%s\n' "$base" "$version" "$os" "$arch"
}

# sha256 [FILE]: the hex digest of FILE or of stdin.
sha256_cmd=()
if command -v sha256sum >/dev/null 2>&1; then
	sha256_cmd=(sha256sum)
elif command -v shasum >/dev/null 2>&1; then
	sha256_cmd=(shasum -a 256)
elif command -v openssl >/dev/null 2>&1; then
	sha256_cmd=(openssl dgst -sha256 -r)
fi
sha256() {
	"${sha256_cmd[@]}" "$@" | cut -d' ' -f1
}

# Downloads the release archive and checksums.txt, verifies the archive's
# sha256 before extracting it, and puts the binary in $dir.
download() {
	local name="oomlint_${version}_${os}_${arch}.${ext}" url="$release_url/v$version" work want got found
	work="$(mktemp -d "$tmp/oomlint-download.XXXXXX")" || die "mktemp failed"
	echo "::group::download oomlint $version ($os/$arch)"
	fetch "$url/checksums.txt" "$work/checksums.txt" || die "cannot download $url/checksums.txt (is v$version an oomlint release?)"
	fetch "$url/$name" "$work/$name" || die "cannot download $url/$name (is v$version an oomlint release with $os/$arch binaries?)"
	want="$(awk -v f="$name" '$2 == f || $2 == "*" f { print tolower($1); exit }' "$work/checksums.txt")"
	[[ -n "$want" ]] || die "checksums.txt of v$version has no entry for $name"
	[[ ${#sha256_cmd[@]} -gt 0 ]] || die "no sha256sum, shasum or openssl to verify the oomlint download"
	got="$(sha256 "$work/$name")"
	[[ "$got" == "$want" ]] || die "checksum mismatch for $name: sha256 $got does not match $want in checksums.txt; not installed"
	echo "sha256 $got $name: OK"
	mkdir -p "$work/x" || die "mkdir failed"
	if [[ "$ext" == zip ]]; then
		if command -v unzip >/dev/null 2>&1; then
			unzip -q "$work/$name" -d "$work/x"
		elif command -v 7z >/dev/null 2>&1; then
			7z x -y -o"$work/x" "$work/$name" >/dev/null
		else
			ARCHIVE="$(cygpath -w "$work/$name")" DEST="$(cygpath -w "$work/x")" \
				powershell -NoProfile -Command 'Expand-Archive -LiteralPath $env:ARCHIVE -DestinationPath $env:DEST'
		fi
	else
		tar -xzf "$work/$name" -C "$work/x"
	fi || die "cannot extract $name"
	found="$(find "$work/x" -type f -name "oomlint$exe" | head -n 1)"
	[[ -n "$found" ]] || die "$name holds no oomlint$exe"
	mkdir -p "$dir" || die "cannot create $dir"
	mv -f "$found" "$dir/oomlint$exe" && chmod +x "$dir/oomlint$exe" || die "cannot install oomlint into $dir"
	echo "$version" >"$dir/.complete"
	rm -rf "$work"
	echo "::endgroup::"
}

install_mode="${INPUT_INSTALL:-download}"
case "$install_mode" in
download | source) ;;
*) die "install is $install_mode; want download or source" ;;
esac

# `resolve`: the version, directory and cache key of the release binary
# (the step before actions/cache).
if [[ "${1:-}" == "resolve" ]]; then
	if [[ "$install_mode" == download ]]; then
		platform
		resolve_version
		dir="$(install_dir)"
		{
			echo "version=$version"
			echo "dir=$dir"
			echo "cache-key=oomlint-bin-$version-$os-$arch"
		} >>"${GITHUB_OUTPUT:-/dev/null}"
		echo "oomlint $version for $os/$arch"
	fi
	exit 0
fi

bin="${OOMLINT_BIN:-}"
if [[ -z "$bin" && "${1:-}" == "build" ]]; then
	if [[ "$install_mode" == source ]]; then
		bin="$tmp/oomlint"
		echo "::group::build oomlint"
		(cd "$action_dir" && CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags "-s -w" -o "$bin" ./cmd/oomlint) || die "building oomlint from $action_dir failed"
		echo "::endgroup::"
	else
		platform
		if [[ -n "${OOMLINT_VERSION:-}" ]]; then
			version="${OOMLINT_VERSION#v}"
		else
			resolve_version
		fi
		dir="$(unix_path "${OOMLINT_INSTALL_DIR:-$(install_dir)}")"
		bin="$dir/oomlint$exe"
		if [[ -f "$dir/.complete" && -x "$bin" ]]; then
			echo "oomlint $version from the cache ($dir)"
		else
			download
		fi
	fi
fi
[[ -n "$bin" ]] || die "no oomlint binary: run the build step first"

# `build`: only install, and key the chart cache on the chart references of
# the paths (the step before actions/cache).
if [[ "${1:-}" == "build" ]]; then
	echo "bin=$bin" >>"${GITHUB_OUTPUT:-/dev/null}"
	if [[ "${INPUT_PULL_CHARTS:-true}" == "true" ]]; then
		if [[ -n "${INPUT_WORKING_DIRECTORY:-}" ]]; then
			cd "$workspace/$INPUT_WORKING_DIRECTORY" 2>/dev/null || cd "$INPUT_WORKING_DIRECTORY" || die "working-directory $INPUT_WORKING_DIRECTORY does not exist"
		fi
		read -r -d '' -a refpaths <<<"${INPUT_PATH:-.}"
		refs="$("$bin" charts refs -- "${refpaths[@]}")" || die "oomlint charts refs failed"
		key="$(printf '%s\n' "$refs" | sha256 | cut -c1-16)"
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
