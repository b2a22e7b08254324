#!/usr/bin/env bash
# Proves the harness end to end with the throwaway sample extension:
# install (idempotent), the mocha suite inside the real extension host, then the UI check
# (screenshot in test-output/sample-view.png). Exit code: non-zero if any step fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bash test/vscode/install.sh
rc=0
node test/vscode/runIntegration.mjs --extension test/vscode/sample --tests test/vscode/sample/suite --timeout 300 || rc=$?
node test/vscode/sample/ui.mjs || rc=$?
exit $rc
