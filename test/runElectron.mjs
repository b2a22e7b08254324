#!/usr/bin/env node
// Runs the same integration suite (out/test/integration) in desktop VS Code through
// @vscode/test-electron, on machines that can download VS Code (the offline default is
// test/runVscodeTests.mjs on code-server). Needs a display: use xvfb-run on a headless Linux.
//   node esbuild.config.mjs && npx tsc -p . && node test/runElectron.mjs [--version 1.100.3]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const versionFlag = process.argv.indexOf('--version');
const version = versionFlag >= 0 ? process.argv[versionFlag + 1] : '1.100.3';
// The suite expects the folders test/runVscodeTests.mjs prepares (PRONTODB_IT_ROOT, a workspace).
const testRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pdb-it-'));
const workspace = path.join(testRoot, 'workspace');
fs.mkdirSync(workspace);
fs.mkdirSync(path.join(testRoot, 'home'));
fs.writeFileSync(path.join(workspace, 'README.md'), '# ProntoDB integration test workspace\n');
try {
  await runTests({
    version,
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'out', 'test', 'integration', 'index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', path.join(testRoot, 'user-data')],
    extensionTestsEnv: { PRONTODB_IT_ROOT: testRoot, HOME: path.join(testRoot, 'home') },
  });
} catch (error) {
  console.error(`VS Code desktop tests did not pass: ${error instanceof Error ? error.message : error}`);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
} finally {
  fs.rmSync(testRoot, { recursive: true, force: true });
}
