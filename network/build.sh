#!/usr/bin/env bash
# Builds the pinned Hyperledger Fabric and Fabric CA binaries from the Go module proxy into a cache
# outside the checkout, and skips the work when the cache already holds the same pinned versions.
# See network/README.md. Usage: network/build.sh [--force] [--only fabric|ca] [--print-dir] [--help]
set -Eeuo pipefail

# ---------------------------------------------------------------------------------------------------
# Pins. Fabric's module path has no /v3 suffix, so its v3 tags do not resolve as module versions: the
# release commit does. The ccaas external builder is a module of its own in the same repository
# (ccaas_builder/go.mod: github.com/hyperledger/fabric/ccaas_builder), pinned to the same commit.
# The candidates are tried in order; the first one whose two modules the proxy serves is built.
#   label | fabric query (commit or pseudo-version) | metadata version | commit | ccaas_builder query
FABRIC_MODULE="github.com/hyperledger/fabric"
CCAAS_MODULE="github.com/hyperledger/fabric/ccaas_builder"
FABRIC_CANDIDATES=(
  "v3.1.5|86c1172bec37e6590c6b1ae6f847833df48d65fc|3.1.5|86c1172bec37e6590c6b1ae6f847833df48d65fc|86c1172bec37e6590c6b1ae6f847833df48d65fc"
  "v3.1.5|v1.4.0-rc1.0.20260618074816-86c1172bec37|3.1.5|86c1172bec37e6590c6b1ae6f847833df48d65fc|v0.0.0-20260618074816-86c1172bec37"
  "v2.5.16|f871cf92a026aba7b12e6f06d71ded3e6e659d71|2.5.16|f871cf92a026aba7b12e6f06d71ded3e6e659d71|f871cf92a026aba7b12e6f06d71ded3e6e659d71"
)
FABRIC_BINARIES=(peer orderer osnadmin configtxgen configtxlator cryptogen)
CCAAS_BINARIES=(detect build release)
CA_MODULE="github.com/hyperledger/fabric-ca"
CA_VERSION="v1.5.21"
CA_BINARIES=(fabric-ca-server fabric-ca-client)
# ---------------------------------------------------------------------------------------------------

PROG="network/build.sh"
JOBS="${MEDLEDGER_BUILD_JOBS:-2}"
PROBE_TIMEOUT="${MEDLEDGER_PROBE_TIMEOUT:-90}"
FORCE=0
PRINT_DIR=0
ONLY=""
STEP="start"
START_TS=$(date +%s)

usage() {
  cat <<EOF
Usage: $PROG [--force] [--only fabric|ca] [--print-dir] [--help]

Builds Hyperledger Fabric (peer, orderer, osnadmin, configtxgen, configtxlator, cryptogen, the ccaas
external builder) and Fabric CA (fabric-ca-server, fabric-ca-client) from the Go module proxy into
  \${MEDLEDGER_FABRIC_CACHE:-\${XDG_CACHE_HOME:-~/.cache}/medledger/fabric/<fabric version>}
Does nothing (but check the binaries) when that folder already holds the pinned versions.

  --force        rebuild even if the cache is up to date
  --only C       build only component C (fabric or ca); no VERSION manifest is written for a partial cache
  --print-dir    print the cache folder and exit
  -h, --help     this text

Environment: MEDLEDGER_FABRIC_CACHE (the cache folder itself), MEDLEDGER_BUILD_JOBS (go build -p, default 2),
MEDLEDGER_PROBE_TIMEOUT (seconds for each proxy look-up, default 90), and the go command's own (GOPROXY...).
EOF
}

log() { printf '[network:build] %s\n' "$*"; }
elapsed() { local s=$(($(date +%s) - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
die() {
  # die CODE MESSAGE...
  local code=$1
  shift
  printf '[network:build] ERROR (step: %s): %s\n' "$STEP" "$*" >&2
  exit "$code"
}
on_error() {
  local rc=$?
  printf '[network:build] FAILED at step "%s" (exit %d, after %s)\n' "$STEP" "$rc" "$(elapsed "$START_TS")" >&2
  exit "$rc"
}
trap on_error ERR

while (($#)); do
  case "$1" in
    --force) FORCE=1 ;;
    --print-dir) PRINT_DIR=1 ;;
    --only)
      [[ $# -ge 2 ]] || { usage >&2; exit 2; }
      ONLY="$2"
      shift
      ;;
    --only=*) ONLY="${1#--only=}" ;;
    -h | --help) usage; exit 0 ;;
    *) printf '%s: unknown argument %s\n' "$PROG" "$1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
case "$ONLY" in "" | fabric | ca) ;; *) printf '%s: --only takes fabric or ca\n' "$PROG" >&2; exit 2 ;; esac
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || { printf '%s: MEDLEDGER_BUILD_JOBS must be a positive integer\n' "$PROG" >&2; exit 2; }

want_fabric() { [[ -z "$ONLY" || "$ONLY" == fabric ]]; }
want_ca() { [[ -z "$ONLY" || "$ONLY" == ca ]]; }

# The cache folder for a Fabric label (v3.1.5, or a fallback's label).
cache_root() { printf '%s' "${XDG_CACHE_HOME:-$HOME/.cache}/medledger/fabric"; }
dir_for_label() {
  if [[ -n "${MEDLEDGER_FABRIC_CACHE:-}" ]]; then printf '%s' "$MEDLEDGER_FABRIC_CACHE"; else printf '%s/%s' "$(cache_root)" "$1"; fi
}
cand_field() { local IFS='|' parts; read -r -a parts <<<"$1"; printf '%s' "${parts[$2]}"; }

manifest_get() { # manifest_get FILE KEY
  [[ -f "$1" ]] || return 0
  sed -n "s/^$2=//p" "$1" | head -n 1
}

# Component stamps: one line naming exactly what a component in the folder was built from.
fabric_stamp_text() { printf '%s@%s\n' "$FABRIC_MODULE" "$(cand_field "$1" 3)"; }
ca_stamp_text() { printf '%s@%s\n' "$CA_MODULE" "$CA_VERSION"; }
stamp_ok() { [[ -f "$1/.stamps/$2" && "$(cat "$1/.stamps/$2")" == "$3" ]]; }

fabric_files_present() {
  local d=$1 b
  for b in "${FABRIC_BINARIES[@]}"; do [[ -x "$d/bin/$b" ]] || return 1; done
  for b in "${CCAAS_BINARIES[@]}"; do [[ -x "$d/builders/ccaas/bin/$b" ]] || return 1; done
  [[ -f "$d/config/core.yaml" && -f "$d/config/orderer.yaml" && -f "$d/config/configtx.yaml" && -d "$d/config/msp" ]]
}
ca_files_present() {
  local d=$1 b
  for b in "${CA_BINARIES[@]}"; do [[ -x "$d/bin/$b" ]] || return 1; done
}
fabric_done() { stamp_ok "$1" fabric "$(fabric_stamp_text "$2")" && fabric_files_present "$1"; }
ca_done() { stamp_ok "$1" ca "$(ca_stamp_text)" && ca_files_present "$1"; }

# A folder is complete for a candidate when its VERSION manifest names that candidate's commit and the
# pinned CA version, and every file is there.
complete_for() { # complete_for DIR CANDIDATE
  local d=$1 c=$2
  [[ "$(manifest_get "$d/VERSION" fabric_commit)" == "$(cand_field "$c" 3)" ]] || return 1
  [[ "$(manifest_get "$d/VERSION" fabric_ca_version)" == "$CA_VERSION" ]] || return 1
  fabric_done "$d" "$c" && ca_done "$d"
}

# Which folder and candidate already satisfy the request, if any (prints "DIR|INDEX").
find_satisfied() {
  local i c d
  for i in "${!FABRIC_CANDIDATES[@]}"; do
    c=${FABRIC_CANDIDATES[$i]}
    d=$(dir_for_label "$(cand_field "$c" 0)")
    case "$ONLY" in
      "") complete_for "$d" "$c" || continue ;;
      fabric) fabric_done "$d" "$c" || continue ;;
      ca) ca_done "$d" || continue ;;
    esac
    printf '%s|%s' "$d" "$i"
    return 0
  done
  return 1
}

# --print-dir: the folder of a complete build if there is one (the primary pin's first), else the
# primary pin's folder.
if ((PRINT_DIR)); then
  for c in "${FABRIC_CANDIDATES[@]}"; do
    d=$(dir_for_label "$(cand_field "$c" 0)")
    if complete_for "$d" "$c"; then printf '%s\n' "$d"; exit 0; fi
  done
  dir_for_label "$(cand_field "${FABRIC_CANDIDATES[0]}" 0)"
  echo
  exit 0
fi

# --- verification: every binary answers its version command ----------------------------------------
# version_of LABEL CMD... : runs CMD and prints LABEL and the value of its " Version:" line (and the
# "Commit SHA:" line where there is one).
version_of() {
  local label=$1 out ver sha
  shift
  STEP="verify $label"
  out=$("$@" 2>&1) || die 1 "'$label ${*:2}' failed: $out"
  ver=$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*Version:[[:space:]]*//p' | head -n 1)
  sha=$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*Commit SHA:[[:space:]]*//p' | head -n 1)
  [[ -n "$ver" ]] || die 1 "'$label ${*:2}' printed no version: $out"
  printf '  %-18s %s%s\n' "$label" "$ver" "${sha:+ (commit $sha)}"
}
verify() {
  local d=$1 b tmp
  log "verifying the binaries in $d"
  if want_fabric; then
    version_of peer "$d/bin/peer" version
    version_of orderer "$d/bin/orderer" version
    version_of configtxgen "$d/bin/configtxgen" -version
    version_of configtxlator "$d/bin/configtxlator" version
    version_of cryptogen "$d/bin/cryptogen" version
    STEP="verify osnadmin"
    "$d/bin/osnadmin" --help >/dev/null 2>&1 || die 1 "osnadmin --help failed"
    printf '  %-18s %s\n' osnadmin "runs (it has no version command; built from the same commit)"
    STEP="verify ccaas builder"
    tmp=$(mktemp -d)
    mkdir -p "$tmp/src" "$tmp/meta"
    printf '{"type":"ccaas","label":"probe"}\n' >"$tmp/meta/metadata.json"
    if ! "$d/builders/ccaas/bin/detect" "$tmp/src" "$tmp/meta" >/dev/null 2>&1; then
      rm -rf "$tmp"
      die 1 "the ccaas builder's detect did not accept a ccaas package"
    fi
    printf '{"type":"golang"}\n' >"$tmp/meta/metadata.json"
    if "$d/builders/ccaas/bin/detect" "$tmp/src" "$tmp/meta" >/dev/null 2>&1; then
      rm -rf "$tmp"
      die 1 "the ccaas builder's detect accepted a non-ccaas package"
    fi
    rm -rf "$tmp"
    [[ -x "$d/builders/ccaas/bin/build" && -x "$d/builders/ccaas/bin/release" ]] || die 1 "ccaas build/release missing"
    printf '  %-18s %s\n' "ccaas builder" "detect/build/release present; detect accepts type ccaas only"
  fi
  if want_ca; then
    for b in "${CA_BINARIES[@]}"; do version_of "$b" "$d/bin/$b" version; done
  fi
  STEP="done"
}

# --- already built? ---------------------------------------------------------------------------------
if ((!FORCE)) && sat=$(find_satisfied); then
  d=${sat%|*}
  i=${sat##*|}
  if [[ -z "$ONLY" ]]; then what="Fabric $(manifest_get "$d/VERSION" fabric_version), Fabric CA $CA_VERSION"; else what="--only $ONLY"; fi
  log "up to date: $d ($what)"
  if [[ "$(cand_field "${FABRIC_CANDIDATES[$i]}" 3)" != "$(cand_field "${FABRIC_CANDIDATES[0]}" 3)" ]]; then
    log "note: this is the fallback Fabric $(cand_field "${FABRIC_CANDIDATES[$i]}" 0); --force retries $(cand_field "${FABRIC_CANDIDATES[0]}" 0)"
  fi
  verify "$d"
  log "nothing to build (${SECONDS}s); --force rebuilds"
  exit 0
fi

# --- preconditions: go, a C compiler for Fabric CA, the proxy ---------------------------------------
STEP="check go"
command -v go >/dev/null 2>&1 || die 1 "the go command is not on PATH: install Go (1.26 or newer; Fabric v3.1.5 asks for go 1.26.4) and rerun"
GO_VERSION=$(go env GOVERSION) || die 1 "'go env' failed"
log "go: $GO_VERSION ($(go env GOOS)/$(go env GOARCH)), build parallelism -p $JOBS"
if want_ca; then
  STEP="check C compiler"
  command -v "$(go env CC)" >/dev/null 2>&1 || die 1 "Fabric CA needs cgo (sqlite): no C compiler '$(go env CC)' on PATH (apt-get install gcc)"
fi

STEP="check proxy"
GOPROXY_VALUE=$(go env GOPROXY)
log "GOPROXY=$GOPROXY_VALUE"
[[ -n "$GOPROXY_VALUE" && "$GOPROXY_VALUE" != off ]] || die 1 "GOPROXY is '$GOPROXY_VALUE': the build fetches modules from the Go module proxy"

PROBE_DIR=$(mktemp -d)
cleanup() { chmod -R u+w "$PROBE_DIR" 2>/dev/null || true; rm -rf "$PROBE_DIR"; }
trap cleanup EXIT

unreachable_pattern='dial tcp|no such host|i/o timeout|connection refused|connection reset|TLS handshake|network is unreachable|proxyconnect|timed out'
# mod_download MODULE@QUERY -> sets DL_DIR, DL_VERSION; returns 0 served, 1 refused, 2 unreachable.
mod_download() {
  local q=$1 out rc=0
  out=$(cd "$PROBE_DIR" && timeout "$PROBE_TIMEOUT" go mod download -json "$q" 2>&1) || rc=$?
  DL_DIR=$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)
  DL_VERSION=$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"Version": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)
  DL_ERROR=$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)
  [[ -n "$DL_ERROR" ]] || DL_ERROR=$(printf '%s\n' "$out" | tail -n 3 | tr '\n' ' ')
  DL_ERROR=${DL_ERROR//\\n\\t/ }
  DL_ERROR=${DL_ERROR//\\n/ }
  if ((rc == 124)); then
    DL_ERROR="no answer within ${PROBE_TIMEOUT}s"
    return 2
  fi
  if ((rc == 0)) && [[ -n "$DL_DIR" && -d "$DL_DIR" ]]; then return 0; fi
  if printf '%s' "$DL_ERROR" | grep -qiE "$unreachable_pattern"; then return 2; fi
  return 1
}

# Reachability probe: one small look-up with an empty module cache, so that it really asks the proxy.
STEP="probe proxy"
t=$(date +%s)
rc=0
probe_out=$(cd "$PROBE_DIR" && GOMODCACHE="$PROBE_DIR/modcache" timeout "$PROBE_TIMEOUT" \
  go list -m -f '{{.Version}}' "$CA_MODULE@$CA_VERSION" 2>&1) || rc=$?
if ((rc == 124)); then
  die 1 "the Go module proxy ($GOPROXY_VALUE) gave no answer within ${PROBE_TIMEOUT}s"
elif ((rc != 0)) && printf '%s' "$probe_out" | grep -qiE "$unreachable_pattern"; then
  die 1 "the Go module proxy ($GOPROXY_VALUE) is unreachable: $(printf '%s' "$probe_out" | tail -n 2 | tr '\n\t' '  ')"
elif ((rc != 0)); then
  want_ca && die 1 "the proxy refuses $CA_MODULE@$CA_VERSION: $(printf '%s' "$probe_out" | tr '\n\t' '  ')"
  log "note: the proxy refuses $CA_MODULE@$CA_VERSION (not needed for --only fabric)"
else
  log "proxy answers ($CA_MODULE@$probe_out in $(elapsed "$t"))"
fi
if want_ca; then
  STEP="download $CA_MODULE@$CA_VERSION"
  rc=0
  mod_download "$CA_MODULE@$CA_VERSION" || rc=$?
  ((rc == 0)) || die 1 "could not download $CA_MODULE@$CA_VERSION: $DL_ERROR"
  CA_DIR=$DL_DIR
fi

CHOSEN=""
CHOSEN_INDEX=0
FABRIC_DIR=""
FABRIC_MODVER=""
CCAAS_DIR=""
CCAAS_MODVER=""
if want_fabric; then
  refusals=()
  for i in "${!FABRIC_CANDIDATES[@]}"; do
    c=${FABRIC_CANDIDATES[$i]}
    served=1
    for m in "$FABRIC_MODULE|$(cand_field "$c" 1)" "$CCAAS_MODULE|$(cand_field "$c" 4)"; do
      q="${m%%|*}@${m#*|}"
      STEP="resolve $q"
      log "looking up $q (Fabric $(cand_field "$c" 0))"
      rc=0
      mod_download "$q" || rc=$?
      ((rc == 2)) && die 1 "the Go module proxy is unreachable: $DL_ERROR"
      if ((rc != 0)); then
        log "refused: $DL_ERROR"
        refusals+=("$q")
        served=0
        break
      fi
      log "served as ${m%%|*}@$DL_VERSION"
      if [[ "${m%%|*}" == "$FABRIC_MODULE" ]]; then
        FABRIC_DIR=$DL_DIR
        FABRIC_MODVER=$DL_VERSION
      else
        CCAAS_DIR=$DL_DIR
        CCAAS_MODVER=$DL_VERSION
      fi
    done
    if ((served)); then
      CHOSEN=$c
      CHOSEN_INDEX=$i
      break
    fi
  done
  STEP="resolve Fabric"
  [[ -n "$CHOSEN" ]] || die 3 "the Go module proxy serves none of the pinned Fabric references (refused: ${refusals[*]}); no Fabric binary can be built here. '$PROG --only ca' builds Fabric CA alone."
  if [[ "$(cand_field "$CHOSEN" 3)" != "$(cand_field "${FABRIC_CANDIDATES[0]}" 3)" ]]; then
    log "WARNING: falling back to Fabric $(cand_field "$CHOSEN" 0) (commit $(cand_field "$CHOSEN" 3))"
  elif ((CHOSEN_INDEX > 0)); then
    log "note: the pinned commit resolved through its pseudo-version $FABRIC_MODVER"
  fi
  STEP="check Fabric source layout"
  for p in "${FABRIC_BINARIES[@]/#/cmd/}" sampleconfig/core.yaml sampleconfig/orderer.yaml sampleconfig/configtx.yaml sampleconfig/msp; do
    [[ -e "$FABRIC_DIR/$p" ]] || die 1 "$FABRIC_MODULE@$FABRIC_MODVER has no $p"
  done
  for p in "${CCAAS_BINARIES[@]/#/cmd/}"; do
    [[ -e "$CCAAS_DIR/$p" ]] || die 1 "$CCAAS_MODULE@$CCAAS_MODVER has no $p"
  done
fi

# The folder: the chosen Fabric's, or (for --only ca) the first candidate folder already holding
# Fabric, else the primary pin's.
if [[ -n "$CHOSEN" ]]; then
  CACHE=$(dir_for_label "$(cand_field "$CHOSEN" 0)")
else
  CHOSEN=${FABRIC_CANDIDATES[0]}
  CACHE=$(dir_for_label "$(cand_field "$CHOSEN" 0)")
  for c in "${FABRIC_CANDIDATES[@]}"; do
    d=$(dir_for_label "$(cand_field "$c" 0)")
    if fabric_done "$d" "$c"; then CHOSEN=$c; CACHE=$d; break; fi
  done
fi
STEP="prepare $CACHE"
mkdir -p "$CACHE/bin" "$CACHE/.stamps" "$CACHE/logs"
log "cache: $CACHE"

# Binaries are built in a throw-away module that requires the pinned module version: the same
# dependency versions as `go install pkg@version`, without its look-up of the module's version list
# (which this proxy may refuse while it serves the version itself).
# make_build_module DIR MODULE VERSION MODULE_SOURCE_DIR
make_build_module() {
  local dir=$1 goline
  goline=$(sed -n 's/^go[[:space:]]\{1,\}\([0-9][0-9.]*\).*/\1/p' "$4/go.mod" | head -n 1)
  mkdir -p "$dir"
  printf 'module medledger.local/fabric-build\n\ngo %s\n\nrequire %s %s\n' "${goline:-${GO_VERSION#go}}" "$2" "$3" >"$dir/go.mod"
}
# go_build MODULE_DIR OUT_DIR LOG [go build flags...] PACKAGE
go_build() {
  local moddir=$1 out=$2 logf=$3
  shift 3
  if ! (cd "$moddir" && go build -mod=mod -p "$JOBS" -trimpath -o "$out/" "$@") >"$logf" 2>&1; then
    printf '[network:build] go build %s failed; last lines of %s:\n' "${*: -1}" "$logf" >&2
    tail -n 25 "$logf" >&2
    return 1
  fi
}

BUILT_ANY=0
if want_fabric && { ((FORCE)) || ! fabric_done "$CACHE" "$CHOSEN"; }; then
  rm -f "$CACHE/.stamps/fabric" "$CACHE/VERSION"
  FV=$(cand_field "$CHOSEN" 2)
  FC=$(cand_field "$CHOSEN" 3)
  LDFLAGS="-X $FABRIC_MODULE/common/metadata.Version=$FV -X $FABRIC_MODULE/common/metadata.CommitSHA=${FC:0:7}"
  STAGE="$CACHE/.stage-fabric"
  rm -rf "$STAGE"
  mkdir -p "$STAGE/bin" "$STAGE/ccaas"
  make_build_module "$STAGE/mod" "$FABRIC_MODULE" "$FABRIC_MODVER" "$FABRIC_DIR"
  make_build_module "$STAGE/mod-ccaas" "$CCAAS_MODULE" "$CCAAS_MODVER" "$CCAAS_DIR"
  T_FABRIC=$(date +%s)
  n=0
  total=$((${#FABRIC_BINARIES[@]} + ${#CCAAS_BINARIES[@]}))
  for b in "${FABRIC_BINARIES[@]}"; do
    n=$((n + 1))
    STEP="build $b"
    t=$(date +%s)
    log "[$n/$total] $b ($FABRIC_MODULE/cmd/$b@$FABRIC_MODVER) ..."
    go_build "$STAGE/mod" "$STAGE/bin" "$CACHE/logs/$b.log" -ldflags "$LDFLAGS" "$FABRIC_MODULE/cmd/$b"
    log "[$n/$total] $b built in $(elapsed "$t") (total $(elapsed "$START_TS"))"
  done
  for b in "${CCAAS_BINARIES[@]}"; do
    n=$((n + 1))
    STEP="build ccaas $b"
    t=$(date +%s)
    log "[$n/$total] ccaas $b ($CCAAS_MODULE/cmd/$b@$CCAAS_MODVER) ..."
    go_build "$STAGE/mod-ccaas" "$STAGE/ccaas" "$CACHE/logs/ccaas-$b.log" "$CCAAS_MODULE/cmd/$b"
    log "[$n/$total] ccaas $b built in $(elapsed "$t")"
  done
  STEP="install Fabric binaries and config templates"
  for b in "${FABRIC_BINARIES[@]}"; do mv -f "$STAGE/bin/$b" "$CACHE/bin/$b"; done
  rm -rf "$CACHE/builders/ccaas"
  mkdir -p "$CACHE/builders/ccaas"
  mv "$STAGE/ccaas" "$CACHE/builders/ccaas/bin"
  if [[ -d "$CACHE/config" ]]; then chmod -R u+w "$CACHE/config"; rm -rf "$CACHE/config"; fi
  mkdir -p "$CACHE/config"
  cp -R "$FABRIC_DIR/sampleconfig/." "$CACHE/config/"
  # Read-only templates: later steps copy them into per-node folders and edit the copies.
  find "$CACHE/config" -type d -exec chmod 0755 {} +
  find "$CACHE/config" -type f -exec chmod 0444 {} +
  rm -rf "$STAGE"
  fabric_stamp_text "$CHOSEN" >"$CACHE/.stamps/fabric"
  log "Fabric $(cand_field "$CHOSEN" 0) done in $(elapsed "$T_FABRIC")"
  BUILT_ANY=1
elif want_fabric; then
  log "Fabric $(cand_field "$CHOSEN" 0) already in the cache: skipped"
fi

if want_ca && { ((FORCE)) || ! ca_done "$CACHE"; }; then
  rm -f "$CACHE/.stamps/ca" "$CACHE/VERSION"
  STAGE="$CACHE/.stage-ca"
  rm -rf "$STAGE"
  mkdir -p "$STAGE/bin"
  make_build_module "$STAGE/mod" "$CA_MODULE" "$CA_VERSION" "$CA_DIR"
  T_CA=$(date +%s)
  n=0
  for b in "${CA_BINARIES[@]}"; do
    n=$((n + 1))
    STEP="build $b"
    t=$(date +%s)
    tags=()
    [[ "$b" == fabric-ca-client ]] && tags=(-tags caclient) # as Fabric CA's release build does
    log "[$n/${#CA_BINARIES[@]}] $b ($CA_MODULE/cmd/$b@$CA_VERSION, CGO_ENABLED=1) ..."
    CGO_ENABLED=1 go_build "$STAGE/mod" "$STAGE/bin" "$CACHE/logs/$b.log" "${tags[@]}" \
      -ldflags "-X $CA_MODULE/lib/metadata.Version=${CA_VERSION#v}" "$CA_MODULE/cmd/$b"
    log "[$n/${#CA_BINARIES[@]}] $b built in $(elapsed "$t") (total $(elapsed "$START_TS"))"
  done
  STEP="install Fabric CA binaries"
  for b in "${CA_BINARIES[@]}"; do mv -f "$STAGE/bin/$b" "$CACHE/bin/$b"; done
  rm -rf "$STAGE"
  ca_stamp_text >"$CACHE/.stamps/ca"
  log "Fabric CA $CA_VERSION done in $(elapsed "$T_CA")"
  BUILT_ANY=1
elif want_ca; then
  log "Fabric CA $CA_VERSION already in the cache: skipped"
fi

# The manifest describes a complete cache only; it is what the next run checks.
if fabric_done "$CACHE" "$CHOSEN" && ca_done "$CACHE"; then
  if ((BUILT_ANY)) || ! complete_for "$CACHE" "$CHOSEN"; then
    STEP="write VERSION"
    FALLBACK=no
    [[ "$(cand_field "$CHOSEN" 3)" == "$(cand_field "${FABRIC_CANDIDATES[0]}" 3)" ]] || FALLBACK=yes
    {
      echo "# Medledger Fabric toolchain, written by network/build.sh; the next run compares these lines"
      echo "fabric_version=$(cand_field "$CHOSEN" 0)"
      echo "fabric_module=$FABRIC_MODULE"
      echo "fabric_commit=$(cand_field "$CHOSEN" 3)"
      echo "fabric_module_version=${FABRIC_MODVER:-$(manifest_get "$CACHE/VERSION" fabric_module_version)}"
      echo "ccaas_builder_module=$CCAAS_MODULE"
      echo "ccaas_builder_module_version=${CCAAS_MODVER:-$(manifest_get "$CACHE/VERSION" ccaas_builder_module_version)}"
      echo "fabric_fallback=$FALLBACK"
      echo "fabric_ca_module=$CA_MODULE"
      echo "fabric_ca_version=$CA_VERSION"
      echo "go_version=$GO_VERSION"
      echo "platform=$(go env GOOS)/$(go env GOARCH)"
      echo "built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
      echo "build_seconds=$(($(date +%s) - START_TS))"
      echo "binaries=${FABRIC_BINARIES[*]} ${CA_BINARIES[*]}"
      echo "ccaas_builder=builders/ccaas"
      echo "config_templates=config"
    } >"$CACHE/VERSION.tmp"
    mv -f "$CACHE/VERSION.tmp" "$CACHE/VERSION"
  fi
else
  log "partial cache (--only $ONLY): no VERSION manifest until both Fabric and Fabric CA are built"
fi

verify "$CACHE"
log "done in $(elapsed "$START_TS"); cache $CACHE ($(du -sh "$CACHE" | cut -f1))"
