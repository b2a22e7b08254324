#!/usr/bin/env bash
# Installs what the real-VS-Code tests need, offline except for Debian's packages and the npm registry:
#   - Debian: chromium (driven headless by playwright-core), libkrb5-dev + pkg-config (a native module
#     of VS Code needs gssapi headers to build), ripgrep (stands in for @vscode/ripgrep's download)
#   - npm: code-server (VS Code's workbench + Node extension host) and playwright-core, into
#     .vscode-test/code-server/ with a package.json of their own. They are NOT project dependencies.
# Idempotent: a second run only checks versions and returns in about a second.
# Env: VSCODE_TEST_DIR (default <repo>/.vscode-test), FORCE=1 reinstalls the npm part.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3      # newest code-server whose engines.node is 20 (VS Code 1.100.3)
PLAYWRIGHT_CORE_VERSION=1.65.1
# @vscode/ripgrep's postinstall looks here before it tries to download rg (which fails offline).
RIPGREP_CACHE_DIR_NAME=vscode-ripgrep-cache-1.15.11
RIPGREP_ASSET_VERSION=v13.0.0-10

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TEST_DIR="${VSCODE_TEST_DIR:-$ROOT/.vscode-test}"
CS_DIR="$TEST_DIR/code-server"
START=$(date +%s.%N)

elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }
log() { echo "[vscode-install] $*"; }

# ---- 1. Debian packages -------------------------------------------------------------------------
t=$(date +%s.%N)
missing=()
for pkg in chromium libkrb5-dev pkg-config ripgrep; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  log "apt done in $(elapsed "$t") s"
else
  log "apt packages present (chromium libkrb5-dev pkg-config ripgrep)"
fi
command -v rg >/dev/null || { echo "ripgrep (rg) missing after apt" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "/usr/bin/chromium missing after apt" >&2; exit 1; }

# ---- 2. npm: code-server + playwright-core in their own folder -----------------------------------
installed_version() {  # prints the version of an installed package in $CS_DIR, or nothing
  local pj="$CS_DIR/node_modules/$1/package.json"
  [ -f "$pj" ] && node -p "require(process.argv[1]).version" "$pj" 2>/dev/null || true
}
STAMP="code-server@$CODE_SERVER_VERSION playwright-core@$PLAYWRIGHT_CORE_VERSION"
# .installed is written only after a complete install, so an interrupted one is redone.
if [ "${FORCE:-0}" != 1 ] \
   && [ "$(cat "$CS_DIR/.installed" 2>/dev/null)" = "$STAMP" ] \
   && [ -x "$CS_DIR/node_modules/.bin/code-server" ] \
   && [ "$(installed_version code-server)" = "$CODE_SERVER_VERSION" ] \
   && [ "$(installed_version playwright-core)" = "$PLAYWRIGHT_CORE_VERSION" ]; then
  log "code-server $CODE_SERVER_VERSION and playwright-core $PLAYWRIGHT_CORE_VERSION already installed in $CS_DIR"
else
  t=$(date +%s.%N)
  mkdir -p "$CS_DIR"
  rm -f "$CS_DIR/.installed"
  cat > "$CS_DIR/package.json" <<JSON
{
  "name": "prontodb-vscode-test-rig",
  "private": true,
  "description": "Test-only tools (not shipped, not project dependencies): VS Code's workbench and extension host from code-server, driven by headless Chromium.",
  "dependencies": {
    "code-server": "$CODE_SERVER_VERSION",
    "playwright-core": "$PLAYWRIGHT_CORE_VERSION"
  }
}
JSON
  # A fixed TMPDIR makes the ripgrep cache path deterministic (os.tmpdir() reads TMPDIR).
  export TMPDIR="$TEST_DIR/tmp"
  case "$(uname -m)" in
    x86_64) rg_target=x86_64-unknown-linux-musl ;;
    aarch64|arm64) rg_target=aarch64-unknown-linux-musl ;;
    *) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;;
  esac
  rg_cache="$TMPDIR/$RIPGREP_CACHE_DIR_NAME"
  rg_tgz="$rg_cache/ripgrep-$RIPGREP_ASSET_VERSION-$rg_target.tar.gz"
  if [ ! -s "$rg_tgz" ]; then
    mkdir -p "$rg_cache/stage"
    cp "$(command -v rg)" "$rg_cache/stage/rg"
    tar -czf "$rg_tgz" -C "$rg_cache/stage" rg
    rm -rf "$rg_cache/stage"
  fi
  log "npm install code-server@$CODE_SERVER_VERSION playwright-core@$PLAYWRIGHT_CORE_VERSION (a few minutes cold)"
  # unsafe_perm: code-server's install refuses to run as root otherwise (npm 11 has no flag for it).
  # yes: a nested postinstall runs `npx node-gyp`, which would otherwise stop to ask.
  ( cd "$CS_DIR" && npm_config_unsafe_perm=true npm_config_yes=true \
      npm install --no-audit --no-fund --loglevel=error ) > "$TEST_DIR/npm-install.log" 2>&1 || {
    echo "npm install failed; last lines of $TEST_DIR/npm-install.log:" >&2
    tail -n 60 "$TEST_DIR/npm-install.log" >&2
    exit 1
  }
  [ -x "$CS_DIR/node_modules/.bin/code-server" ] || { echo "code-server binary missing after npm install" >&2; exit 1; }
  [ -x "$CS_DIR/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ] \
    || { echo "ripgrep missing in code-server after npm install (see $TEST_DIR/npm-install.log)" >&2; exit 1; }
  echo "$STAMP" > "$CS_DIR/.installed"
  log "npm done in $(elapsed "$t") s"
fi

# (The version comes from package.json: running `code-server --version` would write ~/.config/code-server.)
log "ready in $(elapsed "$START") s: code-server $(installed_version code-server), playwright-core $(installed_version playwright-core), $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
