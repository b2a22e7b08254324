#!/usr/bin/env bash
# First step of `npm test`: installs what the tests need when it is missing, one line each, and says
# what it installed. Debian packages: sqlite3 (interop), strace (durability ordering), postgresql
# (the team store's tests run throwaway clusters), tar; then, unless --unit, a real VS Code for the
# extension tests (test/vscode/install.sh: code-server and Debian's Chromium). Idempotent: with
# everything present it only checks and takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
unit_only=false
[ "${1:-}" = "--unit" ] && unit_only=true

installed=()
missing=()
for pkg in sqlite3 strace tar postgresql; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  echo "[setup] apt-get install ${missing[*]} (Debian packages the tests use)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  installed+=("${missing[@]}")
else
  echo "[setup] Debian packages present: sqlite3 strace tar postgresql"
fi

if [ "$unit_only" = false ]; then
  before=$(ls .vscode-test/code-server/node_modules 2>/dev/null | wc -l || true)
  bash test/vscode/install.sh | sed 's/^/[setup] /'
  after=$(ls .vscode-test/code-server/node_modules 2>/dev/null | wc -l || true)
  [ "$before" != "$after" ] && installed+=("code-server and playwright-core (into .vscode-test/)")
fi

if [ ${#installed[@]} -gt 0 ]; then
  echo "[setup] installed: ${installed[*]}"
else
  echo "[setup] nothing to install"
fi
